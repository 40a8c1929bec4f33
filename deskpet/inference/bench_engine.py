"""The engine bench behind `deskpet bench`: deskpet's engine against mlx-lm on the same weights.

Measured for both: prefill and decode speed, time to first token for a cold turn and for a
follow-up turn of a conversation (deskpet keeps the conversation's KV cache and prefills only the
new turn; mlx-lm gets the whole re-rendered conversation from scratch, as an app without prefix
reuse would), and peak memory. Measured for deskpet alone: how long generate() takes to return
after the cancel flag is set, during decode and during a long prefill.

Fairness: mlx-lm's own llama model is built on the very arrays deskpet loaded (same quantization,
float32 on the CPU), both engines are warmed up, then run in alternating rounds on the same token
ids with greedy sampling, the same max tokens and the same prefill chunk; the best round counts.
Each measurement is a small function returning numbers; `measure` fills one BenchResult, which
prints as a table or as one JSON object. What the engines are given: bench_workload.py.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import mlx.core as mx
import mlx.nn as nn

from .bench_workload import Plan, TokenIdsOnly, Workload
from .generate import Sampling, generate, prefill
from .model import Model, make_cache
from .reference import reference_model

# What deskpet holds itself to.
DECODE_TARGET = 0.95  # deskpet decode speed / mlx-lm's, at least
FOLLOW_UP_TARGET = 5.0  # mlx-lm's re-rendered follow-up TTFT / deskpet's, at least

# --- one timed generation -----------------------------------------------------------------


@dataclass
class Run:
    """Wall-clock marks of one generation, taken the same way for both engines."""

    prompt_tokens: int
    tokens: list[int]
    ttft: float  # call -> first token
    decode_time: float  # first token -> last token

    @property
    def prefill_tps(self) -> float:
        return self.prompt_tokens / self.ttft

    @property
    def decode_tps(self) -> float:
        return (len(self.tokens) - 1) / self.decode_time if self.decode_time > 0 else 0.0


def _settle() -> None:
    """Wait for work queued ahead (both engines decode one step ahead) so it does not run
    inside the next measurement."""
    from mlx_lm.generate import generation_stream

    mx.synchronize(generation_stream)
    mx.synchronize()


def timed(tokens: Iterator[int], prompt_tokens: int) -> Run:
    out: list[int] = []
    first = last = 0.0
    start = time.perf_counter()
    for token in tokens:
        last = time.perf_counter()
        first = first or last
        out.append(token)
    _settle()
    return Run(prompt_tokens, out, first - start, last - first)


class DeskpetEngine:
    name = "deskpet"

    def __init__(self, model: Model, tokenizer, stop_ids: list[int], chunk: int):
        self.model, self.tokenizer = model, tokenizer or TokenIdsOnly()
        self.stop_ids, self.chunk = stop_ids, chunk

    def tokens(self, cache, prompt, max_tokens, history=()) -> Iterator[int]:
        for ev in generate(
            self.model,
            self.tokenizer,
            cache,
            prompt,
            sampling=Sampling.greedy(),
            max_tokens=max_tokens,
            stop_ids=self.stop_ids,
            history=history,
            prefill_chunk=self.chunk,
        ):
            if ev.token is not None:  # includes a stop token, as mlx-lm's last response does
                yield ev.token

    def run(self, prompt: list[int], max_tokens: int) -> Run:
        return timed(self.tokens(make_cache(self.model), prompt, max_tokens), len(prompt))

    def follow_up(self, w: Workload) -> Run:
        cache = make_cache(self.model)
        # The conversation so far is already in the app's cache; not timed.
        prefill(self.model, cache, w.history, self.chunk)
        return timed(self.tokens(cache, w.follow_up, 1, history=w.history), len(w.follow_up))


class MlxLmEngine:
    name = "mlx-lm"

    def __init__(self, model: nn.Module, tokenizer, stop_ids: list[int], chunk: int):
        self.model, self.tokenizer = model, tokenizer
        self.stop_ids, self.chunk = set(stop_ids), chunk

    def tokens(self, prompt: list[int], max_tokens: int) -> Iterator[int]:
        from mlx_lm.generate import generate_step, stream_generate
        from mlx_lm.sample_utils import make_sampler

        greedy = make_sampler(temp=0.0)
        if self.tokenizer is not None:
            for r in stream_generate(
                self.model,
                self.tokenizer,
                prompt,
                max_tokens=max_tokens,
                sampler=greedy,
                prefill_step_size=self.chunk,
            ):
                yield r.token
            return
        # No tokenizer (random weights): stream_generate needs one, so drive generate_step.
        steps = generate_step(
            mx.array(prompt),
            self.model,
            max_tokens=max_tokens,
            sampler=greedy,
            prefill_step_size=self.chunk,
        )
        for token, _ in steps:
            yield token
            if token in self.stop_ids:
                return

    def run(self, prompt: list[int], max_tokens: int) -> Run:
        return timed(self.tokens(prompt, max_tokens), len(prompt))

    def follow_up(self, w: Workload) -> Run:
        # An app without prefix reuse renders the whole conversation and prefills all of it.
        return self.run(w.rerendered, 1)


# --- cancel latency (deskpet) --------------------------------------------------------------


@dataclass
class CancelSample:
    phase: str  # where the flag landed: "prefill" or "decode"
    latency: float  # flag set -> generate() returned
    idle: float  # flag set -> the step queued ahead has finished too
    finish_reason: str | None


def cancel_sample(
    engine: DeskpetEngine, prompt: list[int], *, delay: float, max_tokens: int
) -> CancelSample:
    """Set the cancel flag from another thread (as the GUI does) `delay` s after the start."""
    flag = threading.Event()
    flagged: list[float] = []

    def pull() -> None:
        flagged.append(time.perf_counter())
        flag.set()

    cache = make_cache(engine.model)
    first, finish = None, None
    timer = threading.Timer(delay, pull)
    timer.start()
    for ev in generate(
        engine.model,
        engine.tokenizer,
        cache,
        prompt,
        sampling=Sampling.greedy(),
        max_tokens=max_tokens,
        prefill_chunk=engine.chunk,
        should_cancel=flag.is_set,
    ):
        if first is None and ev.token is not None:
            first = time.perf_counter()
        finish = ev.finish_reason
    returned = time.perf_counter()
    _settle()
    idle = time.perf_counter()
    timer.cancel()
    timer.join()
    if not flagged:
        return CancelSample("none", 0.0, 0.0, finish)
    phase = "prefill" if first is None or flagged[0] < first else "decode"
    return CancelSample(phase, returned - flagged[0], idle - flagged[0], finish)


def prefill_chunk_times(engine: DeskpetEngine, tokens: list[int]) -> list[float]:
    cache = make_cache(engine.model)
    times = []
    for start in range(0, len(tokens), engine.chunk):
        t = time.perf_counter()
        prefill(engine.model, cache, tokens[start : start + engine.chunk], engine.chunk)
        times.append(time.perf_counter() - t)
    return times


# --- the whole bench -----------------------------------------------------------------------


@dataclass
class EngineNumbers:
    prefill_tps: float = 0.0
    decode_tps: float = 0.0
    ttft_cold_s: float = float("inf")
    ttft_follow_up_s: float = float("inf")
    peak_memory_bytes: int = 0
    tokens: list[int] = field(default_factory=list)  # greedy tokens of the cold turn


@dataclass
class Check:
    name: str
    target: str
    passed: bool


@dataclass
class BenchResult:
    model: str
    mlx_lm_driver: str  # "stream_generate", or "generate_step" for token-id runs
    sizes: dict
    deskpet: EngineNumbers
    mlx_lm: EngineNumbers
    same_tokens: bool  # every greedy run of both engines on the same prompt agreed
    cancel_decode_s: float
    cancel_prefill_s: float
    cancel_idle_s: float  # until the step deskpet queued ahead is done as well
    decode_step_s: float
    prefill_chunk_s: float
    notes: list[str] = field(default_factory=list)

    @property
    def cancel_budget_s(self) -> float:
        return self.decode_step_s + self.prefill_chunk_s

    def ratios(self) -> dict[str, float]:
        """deskpet / mlx-lm for every number measured on both."""
        d, m = self.deskpet, self.mlx_lm
        return {
            "prefill_tps": d.prefill_tps / m.prefill_tps,
            "decode_tps": d.decode_tps / m.decode_tps,
            "ttft_cold_s": d.ttft_cold_s / m.ttft_cold_s,
            "ttft_follow_up_s": d.ttft_follow_up_s / m.ttft_follow_up_s,
            "peak_memory_bytes": d.peak_memory_bytes / m.peak_memory_bytes,
        }

    def checks(self) -> list[Check]:
        r = self.ratios()
        budget = f"<= {self.cancel_budget_s:.3f} s"
        return [
            Check("decode_tps", f">= {DECODE_TARGET:.2f}x", r["decode_tps"] >= DECODE_TARGET),
            Check(
                "ttft_follow_up_s",
                f"<= {1 / FOLLOW_UP_TARGET:.2f}x",
                r["ttft_follow_up_s"] <= 1 / FOLLOW_UP_TARGET,
            ),
            Check("cancel_decode_s", budget, self.cancel_decode_s <= self.cancel_budget_s),
            Check("cancel_prefill_s", budget, self.cancel_prefill_s <= self.cancel_budget_s),
            Check("peak_memory_bytes", "<= 1.00x", r["peak_memory_bytes"] <= 1.0),
        ]

    def to_json(self) -> dict:
        out = asdict(self)
        out["ratios"] = self.ratios()
        out["cancel_budget_s"] = self.cancel_budget_s
        out["checks"] = [asdict(c) for c in self.checks()]
        return out


def _quiet(_msg: str) -> None: ...


def _with_peak(numbers: EngineNumbers, measure: Callable[[], Run]) -> Run:
    """Run one measurement with MLX's peak-memory counter to itself."""
    mx.clear_cache()
    mx.reset_peak_memory()
    run = measure()
    numbers.peak_memory_bytes = max(numbers.peak_memory_bytes, mx.get_peak_memory())
    return run


def measure(
    model: Model,
    workload: Workload,
    plan: Plan,
    *,
    tokenizer=None,
    label: str = "model",
    progress: Callable[[str], None] = _quiet,
) -> BenchResult:
    """Everything, on `model` and an mlx-lm llama built on its arrays. tokenizer=None runs on
    token ids alone (mlx-lm through generate_step instead of stream_generate)."""
    w, chunk = workload, plan.prefill_chunk
    deskpet = DeskpetEngine(model, tokenizer, w.stop_ids, chunk)
    reference = MlxLmEngine(reference_model(model), tokenizer, w.stop_ids, chunk)
    numbers = {deskpet.name: EngineNumbers(), reference.name: EngineNumbers()}
    cold_runs: list[list[int]] = []
    long_firsts: list[list[int]] = []

    for engine in (deskpet, reference):
        progress(f"warming up {engine.name}")
        engine.run(w.chat_prompt, 2)

    for r in range(plan.rounds):
        # Alternate who goes first so neither always runs on a warmer (or busier) CPU.
        for engine in (deskpet, reference) if r % 2 == 0 else (reference, deskpet):
            n = numbers[engine.name]
            progress(
                f"round {r + 1}/{plan.rounds}, {engine.name}: cold turn "
                f"({len(w.chat_prompt)} prompt + {plan.decode_tokens} tokens)"
            )
            cold = _with_peak(n, lambda e=engine: e.run(w.chat_prompt, plan.decode_tokens))
            progress(f"  ttft {cold.ttft:.3f} s, decode {cold.decode_tps:.2f} tok/s")
            cold_runs.append(cold.tokens)
            n.tokens = cold.tokens
            n.ttft_cold_s = min(n.ttft_cold_s, cold.ttft)
            n.decode_tps = max(n.decode_tps, cold.decode_tps)
            progress(
                f"round {r + 1}/{plan.rounds}, {engine.name}: prefill {len(w.long_prompt)} tokens"
            )
            long = _with_peak(n, lambda e=engine: e.run(w.long_prompt, 1))
            long_firsts.append(long.tokens)
            progress(f"  prefill {long.prefill_tps:.1f} tok/s")
            n.prefill_tps = max(n.prefill_tps, long.prefill_tps)
            progress(f"round {r + 1}/{plan.rounds}, {engine.name}: follow-up turn")
            follow = _with_peak(n, lambda e=engine: e.follow_up(w))
            progress(
                f"  follow-up ttft {follow.ttft:.3f} s ({follow.prompt_tokens} tokens prefilled)"
            )
            n.ttft_follow_up_s = min(n.ttft_follow_up_s, follow.ttft)

    progress("deskpet: prefill chunk times and cancel latency")
    d = numbers[deskpet.name]
    chunk_times = prefill_chunk_times(deskpet, w.long_prompt)
    full_chunks = chunk_times[: len(w.long_prompt) // chunk] or chunk_times
    chunk_s = max(full_chunks)  # later chunks attend over more context: the budget takes the worst
    step_s = 1 / d.decode_tps if d.decode_tps else 0.0
    notes: list[str] = []
    decode_samples, prefill_samples = [], []
    for frac in (0.3, 0.7)[: max(plan.rounds, 1)]:
        # Land the flag mid-step, a few steps into decode; never run out of tokens first.
        delay = d.ttft_cold_s * 1.5 + (2 + frac) * step_s
        decode_samples.append(
            cancel_sample(
                deskpet, w.chat_prompt, delay=delay, max_tokens=plan.decode_tokens * 4 + 16
            )
        )
        # Mid-chunk, after the first chunk of the long prompt.
        delay = (1 + frac) * full_chunks[0]
        prefill_samples.append(cancel_sample(deskpet, w.long_prompt, delay=delay, max_tokens=1))
    for want, samples in (("decode", decode_samples), ("prefill", prefill_samples)):
        missed = [s for s in samples if s.phase != want or s.finish_reason != "cancelled"]
        if missed:
            notes.append(
                f"{len(missed)} cancel-during-{want} sample(s) landed elsewhere "
                f"({', '.join(s.phase for s in missed)}); the worst valid one is shown"
            )

    def worst(samples: list[CancelSample], want: str) -> float:
        valid = [s.latency for s in samples if s.phase == want and s.finish_reason == "cancelled"]
        return max(valid) if valid else float("nan")

    sizes = {
        "chat_prompt": len(w.chat_prompt),
        "decode_tokens": plan.decode_tokens,
        "long_prompt": len(w.long_prompt),
        "history": len(w.history),
        "follow_up_turn": len(w.follow_up),
        "rerendered": len(w.rerendered),
        "prefill_chunk": chunk,
        "rounds": plan.rounds,
    }
    same = all(t == cold_runs[0] for t in cold_runs) and all(
        t[:1] == long_firsts[0][:1] for t in long_firsts
    )
    return BenchResult(
        model=label,
        mlx_lm_driver="stream_generate" if tokenizer is not None else "generate_step",
        sizes=sizes,
        deskpet=numbers[deskpet.name],
        mlx_lm=numbers[reference.name],
        same_tokens=same,
        cancel_decode_s=worst(decode_samples, "decode"),
        cancel_prefill_s=worst(prefill_samples, "prefill"),
        cancel_idle_s=max(s.idle for s in decode_samples + prefill_samples),
        decode_step_s=step_s,
        prefill_chunk_s=chunk_s,
        notes=notes,
    )


# --- report --------------------------------------------------------------------------------


def format_table(result: BenchResult) -> str:
    d, m, s = result.deskpet, result.mlx_lm, result.sizes
    ratios = result.ratios()
    checks = {c.name: c for c in result.checks()}

    def verdict(key: str) -> tuple[str, str]:
        c = checks.get(key)
        return (c.target, "PASS" if c.passed else "MISS") if c else ("", "")

    def row(label: str, key: str, dv: str, mv: str) -> list[str]:
        ratio = f"{ratios[key]:.2f}x" if key in ratios else ""
        return [label, dv, mv, ratio, *verdict(key)]

    mb = 1024**2
    rows = [
        ["", "deskpet", "mlx-lm", "ratio", "target", ""],
        row(
            f"prefill ({s['long_prompt']} tokens)",
            "prefill_tps",
            f"{d.prefill_tps:.1f} tok/s",
            f"{m.prefill_tps:.1f} tok/s",
        ),
        row(
            f"decode ({len(d.tokens)} tokens)",
            "decode_tps",
            f"{d.decode_tps:.2f} tok/s",
            f"{m.decode_tps:.2f} tok/s",
        ),
        row(
            f"TTFT cold ({s['chat_prompt']}-token turn)",
            "ttft_cold_s",
            f"{d.ttft_cold_s:.3f} s",
            f"{m.ttft_cold_s:.3f} s",
        ),
        row(
            f"TTFT follow-up ({s['history']} history)",
            "ttft_follow_up_s",
            f"{d.ttft_follow_up_s:.3f} s",
            f"{m.ttft_follow_up_s:.3f} s",
        ),
        row(
            "peak memory",
            "peak_memory_bytes",
            f"{d.peak_memory_bytes / mb:.1f} MiB",
            f"{m.peak_memory_bytes / mb:.1f} MiB",
        ),
        row("cancel during decode", "cancel_decode_s", f"{result.cancel_decode_s:.3f} s", "-"),
        row("cancel during prefill", "cancel_prefill_s", f"{result.cancel_prefill_s:.3f} s", "-"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        f"deskpet bench: {result.model}",
        f"mlx-lm: its llama model on the same arrays, driven by {result.mlx_lm_driver}; "
        f"greedy, float32 on {mx.default_device()}, best of {s['rounds']} alternating round(s)",
        "",
    ]
    lines += [
        "  ".join(
            c.rjust(w) if i in (1, 2, 3) else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]
    lines += [
        "",
        f"follow-up: deskpet prefills a {s['follow_up_turn']}-token turn on its cached "
        f"{s['history']}-token conversation; mlx-lm prefills all {s['rerendered']} tokens "
        f"re-rendered ({1 / ratios['ttft_follow_up_s']:.1f}x slower)",
        f"cancel budget: one decode step ({result.decode_step_s:.3f} s) + one prefill chunk of "
        f"{s['prefill_chunk']} tokens ({result.prefill_chunk_s:.3f} s); model idle again within "
        f"{result.cancel_idle_s:.3f} s",
        f"same greedy tokens on both engines: {'yes' if result.same_tokens else 'NO'} "
        f"({len(d.tokens)} tokens of the cold turn)",
    ]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def to_json_text(result: BenchResult) -> str:
    """One strict JSON object (a number that could not be measured is null)."""

    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(result.to_json()), allow_nan=False)
