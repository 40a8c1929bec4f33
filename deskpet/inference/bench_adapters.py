"""The adapter bench behind `deskpet bench --adapters`: persona adapters resident on one
model; how fast switching is (against reloading the model), what decoding with an adapter
costs, and how much memory each takes.

With `files` (the shipped personas' adapters for the loaded model, e.g. the demo model's) the
real files are measured; without, two OpenBMB-shaped random adapters stand in."""

from __future__ import annotations

from pathlib import Path

import mlx.core as mx

from .bench_workload import TokenIdsOnly
from .generate import Sampling, generate
from .lora import AdapterBank
from .model import Model, make_cache

SWITCH_TARGET_MS = 20.0
SWITCH_VS_RELOAD_TARGET = 50.0  # switching at least this many times faster than reloading
ADAPTER_DECODE_TARGET = 0.85  # decode with an adapter active / without, at least


def adapter_numbers(
    model: Model,
    prompt: list[int],
    decode_tokens: int,
    load_seconds: float,
    rounds: int = 2,
    files: dict[str, Path] | None = None,
) -> dict:
    """Adapters resident on `model`: switch latency, decode speed with one active against
    none, memory. `files` names real adapter folders to load; without it, two OpenBMB-shaped
    random adapters (r=8/alpha=16 and r=16/alpha=32 on all seven projections)."""
    bank = AdapterBank(model)
    if files:
        for name, folder in files.items():
            bank.load(name, folder)
    else:
        for name, rank, seed in (("r8", 8, 1), ("r16", 16, 2)):
            adapter = bank.new(name, rank=rank, alpha=2.0 * rank, seed=seed)
            for pair in adapter.pairs.values():  # a trained adapter's B is not zero
                pair.lora_B = 0.01 * mx.random.normal(pair.lora_B.shape)
            mx.eval([(p.lora_A, p.lora_B) for p in adapter.pairs.values()])
    names = list(bank.adapters)
    described = {
        name: f"r={a.rank}/alpha={a.alpha:g}, {len(a.pairs)} projections"
        for name, a in bank.adapters.items()
    }
    cycle = [*names, None]
    switches = [bank.switch(name) for _ in range(60 // len(cycle)) for name in cycle]

    def decode_tps() -> float:
        events = list(
            generate(
                model,
                TokenIdsOnly(),
                make_cache(model),
                prompt,
                sampling=Sampling.greedy(),
                max_tokens=decode_tokens,
            )
        )
        return events[-1].generation_tps

    first = names[0]
    speeds = {"none": 0.0, first: 0.0}
    for _ in range(rounds):  # alternate so load on the machine hits both alike
        for name in ("none", first):
            bank.switch(None if name == "none" else name)
            speeds[name] = max(speeds[name], decode_tps())
    bank.switch(None)
    switch_ms = percentile_of(switches, 50)
    result = {
        "adapters": described,
        "decode_adapter": first,
        "switches": len(switches),
        "switch_ms_p50": switch_ms,
        "switch_ms_max": max(switches),
        "reload_s": load_seconds,
        "switch_vs_reload": load_seconds * 1000 / switch_ms if switch_ms > 0 else float("inf"),
        "decode_tps_none": speeds["none"],
        "decode_tps_adapter": speeds[first],
        "decode_ratio": speeds[first] / speeds["none"] if speeds["none"] else 0.0,
        "memory_bytes": bank.memory(),
    }
    bank.detach()
    return result


def percentile_of(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] if ordered else 0.0


def format_adapters(result: dict, label: str, load_seconds: float, reload_note: str) -> str:
    """The table `deskpet bench --adapters` prints, with a verdict per target."""

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    adapters = "; ".join(f"{n}: {d}" for n, d in result["adapters"].items())
    lines = [
        f"deskpet bench --adapters: {label}, adapters {adapters}",
        f"{'switch (p50 of ' + str(result['switches']) + ')':<25}"
        f"{result['switch_ms_p50']:8.3f} ms   <= {SWITCH_TARGET_MS:g} ms"
        f"  {verdict(result['switch_ms_p50'] <= SWITCH_TARGET_MS)}",
        f"vs reloading             {result['switch_vs_reload']:8.0f}x    >= "
        f"{SWITCH_VS_RELOAD_TARGET:g}x  "
        f"{verdict(result['switch_vs_reload'] >= SWITCH_VS_RELOAD_TARGET)}"
        f"  ({reload_note}: {load_seconds:.2f} s)",
        f"decode, no adapter       {result['decode_tps_none']:8.2f} tok/s",
        f"{'decode, ' + result['decode_adapter'] + ' adapter':<25}"
        f"{result['decode_tps_adapter']:8.2f} tok/s  "
        f"{result['decode_ratio']:.2f}x  >= {ADAPTER_DECODE_TARGET:g}x  "
        f"{verdict(result['decode_ratio'] >= ADAPTER_DECODE_TARGET)}",
    ]
    for name, nbytes in result["memory_bytes"].items():
        lines.append(f"memory, adapter {name:<8} {nbytes / 2**20:8.1f} MiB")
    return "\n".join(lines)
