"""`deskpet bench [--demo | --model X | --synthetic NAME] [--full] [--json]`, and its other
modes: `--server URL` (a model server beside the local engine, inference/bench_server.py),
`--adapters` (persona adapters, inference/bench_adapters.py), `--ui` (the pet's frame
timing, ui/smoothness.py), `--bridge` (the agents' hook round trip, bridge/bench_bridge.py,
and the permission card's, ui/bench_permission.py) and `--narration` (an agent's Stop to the
narrated line, bridge/bench_narration.py).

It sits above the rooms because one mode is the engine's (inference/, never Qt) and one is the
pet's (ui/). Building the parser imports nothing heavy; each bench is imported when it runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .inference.source import (
    add_model_options,
    add_server_options,
    from_args,
    local_path,
    named,
    server_from_args,
)

# MiniCPM5-1B's architecture, a plain LlamaForCausalLM, for --synthetic.
MINICPM5_1B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 1536,
    "num_hidden_layers": 24,
    "intermediate_size": 4608,
    "num_attention_heads": 16,
    "num_key_value_heads": 2,
    "head_dim": 128,
    "vocab_size": 130560,
    "max_position_embeddings": 131072,
    "rope_theta": 5_000_000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
    "bos_token_id": 0,
    "eos_token_id": [1, 130073],
}
SYNTHETIC = {"minicpm5-1b": MINICPM5_1B}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("bench", help="measure deskpet's engine against mlx-lm")
    which = p.add_mutually_exclusive_group()
    add_model_options(which)
    which.add_argument(
        "--synthetic",
        choices=sorted(SYNTHETIC),
        help="random 4-bit weights in a real architecture (no download)",
    )
    add_server_options(p)
    p.add_argument(
        "--server-tokens",
        type=int,
        default=64,
        help="longest answer for --server (both brains, greedy)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--full",
        action="store_true",
        help="the long run, sized for an Apple Silicon Mac (the default finishes in about "
        "five minutes on a CPU; --full takes far longer there)",
    )
    p.add_argument(
        "--ui",
        action="store_true",
        help="the pet's frame timing offscreen, idle and while the model writes, and its idle "
        "CPU (eyes following a moving pointer, and asleep)",
    )
    p.add_argument("--seconds", type=float, default=10.0, help="length of each --ui phase")
    p.add_argument(
        "--idle-seconds",
        type=float,
        default=30.0,
        help="length of each --ui idle-CPU phase (idle with the eyes on, and asleep)",
    )
    p.add_argument(
        "--adapters",
        action="store_true",
        help="persona adapters: switch latency, decode with an adapter, memory",
    )
    p.add_argument(
        "--bridge",
        action="store_true",
        help="the agents' hook: a real hook process per event against a real socket, and a "
        "permission request from spawn to card to a simulated click (median and p95)",
    )
    p.add_argument(
        "--narration",
        action="store_true",
        help="narration: an agent's Stop hook to the line shown, the old way and the new",
    )
    p.add_argument(
        "--runs", type=int, default=50, help="hook runs (and permission rounds) for --bridge"
    )
    p.set_defaults(run=run)


def _progress(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    if args.server:
        return _run_server(args)
    if args.ui:
        return _run_ui(args)
    if args.bridge:
        return _run_bridge(args)
    if args.synthetic and named(getattr(args, "model", None), getattr(args, "demo", False)):
        print(
            "deskpet: --synthetic builds its own model; leave out --model and --demo",
            file=sys.stderr,
        )
        return 2
    if args.adapters:
        return _run_adapters(args)
    if args.narration:
        return _run_narration(args)
    return _run_engine(args)


def _load(args: argparse.Namespace):
    """The chosen model, loaded; None (the reason printed) when it cannot be."""
    from .inference.demo import DemoModelError
    from .inference.load import ModelLoadError, load

    try:
        source = local_path(from_args(args), _progress)
        _progress(f"loading {source}")
        return load(source)
    except (ModelLoadError, DemoModelError) as e:
        print(f"deskpet: {e}", file=sys.stderr)
        return None


def _run_engine(args: argparse.Namespace) -> int:
    from .inference.bench_engine import format_table, measure, to_json_text
    from .inference.bench_workload import chat_workload, plan_for, random_model, token_workload

    plan = plan_for(synthetic=bool(args.synthetic), full=args.full)
    _progress(f"sizes: {plan.describe()}" + ("" if args.full else "; --full for the long run"))
    notes = []
    if args.synthetic:
        model = random_model(SYNTHETIC[args.synthetic], progress=_progress)
        workload = token_workload(model.args.vocab_size, plan)
        label = f"synthetic {args.synthetic} (random 4-bit g64 weights, token ids, no tokenizer)"
        tokenizer = None
        notes.append(f"synthetic: random token ids; the history is {plan.history} tokens")
    else:
        lm = _load(args)
        if lm is None:
            return 1
        model, tokenizer = lm.model, lm.tokenizer
        workload = chat_workload(tokenizer, plan, lm.eos_token_ids)
        label = f"{lm.source.name} ({lm.format}, {lm.quantization})"
    result = measure(model, workload, plan, tokenizer=tokenizer, label=label, progress=_progress)
    result.notes[:0] = notes
    print(to_json_text(result) if args.json else format_table(result))
    return 0


def _shipped_adapters(args: argparse.Namespace) -> dict | None:
    """The shipped personas' adapters for the demo model, when the demo model is measured."""
    from .inference.source import DEMO
    from .personas import PersonaManager
    from .personas.eval import DEMO_BASE, adapter_for

    if from_args(args, say=lambda _line: None) != DEMO:
        return None
    found = {}
    for persona in PersonaManager().list():
        folder = adapter_for(persona, DEMO_BASE) if persona.adapters else None
        if persona.shipped and folder and Path(folder).is_dir():
            found[persona.id] = Path(folder)
    return found or None


def _run_adapters(args: argparse.Namespace) -> int:
    import json

    from .inference.bench_adapters import adapter_numbers, format_adapters
    from .inference.bench_workload import random_model
    from .inference.lora import AdapterError

    started = time.perf_counter()
    files = None
    if args.synthetic:
        model = random_model(SYNTHETIC[args.synthetic], progress=_progress)
        label = f"synthetic {args.synthetic}"
        prompt = list(range(100, 116))
        decode_tokens = 6
        reload_note = "building the random model"
    else:
        lm = _load(args)
        if lm is None:
            return 1
        model, label = lm.model, lm.source.name
        files = _shipped_adapters(args)
        prompt = lm.tokenizer.encode("Tell me about your day.", add_special_tokens=False)
        decode_tokens = 24
        reload_note = "loading the model from disk"
    load_seconds = time.perf_counter() - started
    what = f"the shipped adapters of {', '.join(files)}" if files else "two random adapters"
    _progress(f"{label}: {what} resident, timing switches and decode")
    try:
        result = adapter_numbers(model, prompt, decode_tokens, load_seconds, rounds=2, files=files)
    except AdapterError as e:
        print(f"deskpet: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        print(format_adapters(result, label, load_seconds, reload_note))
    return 0


def _run_narration(args: argparse.Namespace) -> int:
    import json

    from .bridge.bench_narration import format_narration, narration_bench, to_json
    from .inference.demo import DemoModelError
    from .inference.protocol import ModelReady
    from .inference.worker import InferenceWorker

    if args.synthetic:
        print("deskpet: --narration needs a real model (--demo or --model)", file=sys.stderr)
        return 2
    try:
        source = local_path(from_args(args), _progress)
    except DemoModelError as e:
        print(f"deskpet: {e}", file=sys.stderr)
        return 1
    worker = InferenceWorker().start()
    try:
        _progress(f"loading {source}")
        loaded = list(worker.events_for(worker.load(source, stream=True)))
        ready = next((e for e in loaded if isinstance(e, ModelReady)), None)
        if ready is None:
            print(f"deskpet: {getattr(loaded[-2], 'message', 'the model did not load')}")
            return 1
        results = narration_bench(worker, _progress)
    finally:
        worker.shutdown()
    label = f"{ready.info['name']} ({ready.info['format']}, {ready.info['quantization']})"
    print(json.dumps(to_json(results)) if args.json else format_narration(results, label))
    return 0


def _run_ui(args: argparse.Namespace) -> int:
    import os

    # The one bench that needs Qt: its code lives in ui/ and is imported only here, so the
    # parser and the other benches never load Qt.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from deskpet.ui.smoothness import run_bench_ui

    return run_bench_ui(args)


def _run_bridge(args: argparse.Namespace) -> int:
    """Both round trips: an ordinary event's, and a permission request's through its card."""
    import json
    import os

    from .bridge.bench_bridge import hook_round_trip

    _progress(f"running the hook {args.runs} times against a throwaway socket")
    ordinary = hook_round_trip(args.runs)
    # The cards are real widgets; the bench only needs them drawn, not seen.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from deskpet.ui.bench_permission import bench_permission, format_permission

    _progress("permission round trip: hook -> card -> click -> hook exit")
    permission = bench_permission(args.runs)
    if args.json:
        print(json.dumps({"ordinary": ordinary.to_json(), "permission": permission}))
    else:
        print(ordinary.table())
        print(format_permission(permission))
    healthy = ordinary.arrived == ordinary.runs and not permission["failures"]
    return 0 if healthy else 1


def _run_server(args: argparse.Namespace) -> int:
    """The local engine, then the server: the same two questions through the same interface."""
    import json

    from .inference.bench_server import format_server, measure_brain, to_json
    from .inference.worker import InferenceWorker

    server = server_from_args(args)
    source = from_args(args, say=_progress)
    results = []
    local = InferenceWorker().start()
    try:
        label = f"local MLX: {'the demo model' if source == 'demo' else source}"
        results.append(measure_brain(local, label, source, args.server_tokens, _progress))
    finally:
        local.shutdown()
    server.start()
    try:
        label = f"server: {server.url}" + (f" ({server.model})" if server.model else "")
        results.append(measure_brain(server, label, "", args.server_tokens, _progress))
    finally:
        server.shutdown()
    if args.json:
        print(json.dumps(to_json(results)))
    else:
        print(format_server(results, args.server_tokens))
    return 0 if not any(r.error for r in results) else 1
