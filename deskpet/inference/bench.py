"""`deskpet bench`: deskpet's engine against mlx-lm on the same weights, in one run.

Measured for both: prefill and decode speed, time to first token for a cold turn and for a
follow-up turn of a conversation (deskpet keeps the conversation's KV cache and prefills only the
new turn; mlx-lm gets the whole re-rendered conversation from scratch, as an app without prefix
reuse would), and peak memory. Measured for deskpet alone: how long generate() takes to return
after the cancel flag is set, during decode and during a long prefill.

Fairness: mlx-lm's own llama model is built on the very arrays deskpet loaded (same quantization,
float32 on the CPU), both engines are warmed up, then run in alternating rounds on the same token
ids with greedy sampling, the same max tokens and the same prefill chunk; the best round counts.
Each measurement is a small function returning numbers; `measure` fills one BenchResult, which
prints as a table or as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten

from .chat import ChatTemplate, Conversation
from .generate import Sampling, generate, prefill
from .model import Model, ModelArgs, make_cache

# MiniCPM5-1B's architecture (docs: shared/reference/minicpm5-1b.md), for --synthetic.
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

# Targets from the issue.
DECODE_TARGET = 0.95  # deskpet decode speed / mlx-lm's, at least
FOLLOW_UP_TARGET = 5.0  # mlx-lm's re-rendered follow-up TTFT / deskpet's, at least

SYSTEM_PROMPT = "You are deskpet, a small, friendly desktop companion. Answer briefly."
STORY_REQUEST = "Tell me a long story about a cat who lives on a programmer's desk."
FOLLOW_UP = "And what did the cat do after that?"
# A made-up conversation, cycled until the history is long enough.
EXCHANGES = [
    (
        "What are you doing today?",
        "I am sitting next to your keyboard and watching the build logs scroll by. Every time a "
        "test turns green I wag my tail a little, and when one turns red I hide behind the mug.",
    ),
    (
        "Can you keep an eye on the agent while I get coffee?",
        "Of course. I will watch the terminal, count the files it touches and tell you if it asks "
        "for permission. If it starts deleting things I will jump on the escape key for you.",
    ),
    (
        "Why did the last run take so long?",
        "The agent re-ran the whole test suite three times because a flaky network test kept "
        "failing. Pinning the mock server port would probably save you a few minutes each run.",
    ),
]
LONG_TEXT = (
    "The desk was crowded with notebooks, cables, a cold cup of tea and a small plant that "
    "nobody remembered to water. Between the monitor stand and the keyboard there was just "
    "enough room for a pet to curl up and watch the cursor blink, line after line, while the "
    "fans hummed and the build went on. "
)


@dataclass
class Plan:
    """How much work each measurement does (token counts, repeats)."""

    decode_tokens: int  # generated in the cold turn: decode speed
    long_prompt: int  # prefill speed and cancel-during-prefill
    history: int  # conversation before the follow-up turn
    prefill_chunk: int
    rounds: int
    chat_prompt: int = 0  # token-id runs only (chat models use a real first turn)
    follow_up: int = 0  # token-id runs only


def plan_for(synthetic: bool, quick: bool) -> Plan:
    """Default sizes suit an Apple Silicon Mac. MLX's CPU backend (Linux, no GPU) prefills a
    4-bit model barely faster than it decodes (~9 tok/s for the 135M demo, ~1.5 for a 1B model
    on 2 cores), so --quick and --synthetic keep prompts short and chunks small there."""
    if synthetic:
        if quick:
            return Plan(
                decode_tokens=6,
                long_prompt=48,
                history=64,
                prefill_chunk=16,
                rounds=1,
                chat_prompt=24,
                follow_up=8,
            )
        return Plan(
            decode_tokens=12,
            long_prompt=96,
            history=128,
            prefill_chunk=32,
            rounds=2,
            chat_prompt=48,
            follow_up=16,
        )
    if quick:
        return Plan(decode_tokens=32, long_prompt=384, history=600, prefill_chunk=128, rounds=2)
    return Plan(decode_tokens=128, long_prompt=1536, history=600, prefill_chunk=512, rounds=3)


@dataclass
class Workload:
    """The token ids both engines are given."""

    chat_prompt: list[int]  # a cold first turn: system prompt + user message
    long_prompt: list[int]
    history: list[int]  # the conversation so far, as deskpet's transcript holds it
    follow_up: list[int]  # the new turn deskpet prefills on top of its cached history
    rerendered: list[int]  # history + new turn as mlx-lm gets them, rendered from scratch
    stop_ids: list[int]


def chat_workload(tokenizer, plan: Plan, stop_ids: list[int]) -> Workload:
    template = ChatTemplate(tokenizer)
    sp = SYSTEM_PROMPT
    chat = template.system_tokens(sp) + template.user_turn_tokens(sp, STORY_REQUEST, think=False)
    text = LONG_TEXT
    while len(template.encode(text)) < plan.long_prompt:
        text += LONG_TEXT
    long_prompt = template.encode(text)[: plan.long_prompt]

    # deskpet's append-only transcript and the messages an app would re-render.
    conv = Conversation.start(template, sp)
    messages = [{"role": "system", "content": sp}]
    i = 0
    while len(conv.tokens) < plan.history:
        question, answer = EXCHANGES[i % len(EXCHANGES)]
        conv.begin_turn(template.user_turn_tokens(sp, question, think=False))
        conv.tokens.extend(template.encode(answer))
        conv.end_turn(template.closing_tokens(None))
        messages += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
        i += 1
    follow_up = template.user_turn_tokens(sp, FOLLOW_UP, think=False)
    messages.append({"role": "user", "content": FOLLOW_UP})
    rerendered = template.encode(template.render(messages, generation_prompt=True, think=False))
    return Workload(chat, long_prompt, list(conv.tokens), follow_up, rerendered, list(stop_ids))


def token_workload(vocab_size: int, plan: Plan, seed: int = 0) -> Workload:
    """Random token ids (no tokenizer): mlx-lm's "re-rendered" prompt is the same ids."""
    rng = random.Random(seed)

    def ids(n: int) -> list[int]:
        return [rng.randrange(vocab_size) for _ in range(n)]

    history, follow_up = ids(plan.history), ids(plan.follow_up)
    # No stop ids: random weights would stop at random, and both engines should run to length.
    return Workload(
        ids(plan.chat_prompt), ids(plan.long_prompt), history, follow_up, history + follow_up, []
    )


# --- models --------------------------------------------------------------------------------


def random_model(
    config: dict,
    *,
    bits: int = 4,
    group_size: int = 64,
    seed: int = 0,
    progress: Callable[[str], None] = lambda _msg: None,
) -> Model:
    """A model of the config's architecture with random quantized weights, built in memory.

    Model() only describes its random init lazily, so quantizing it and evaluating one block at
    a time keeps no more than one block in float32 (a full 1B float32 model would be 4+ GB)."""
    mx.random.seed(seed)
    model = Model(ModelArgs.from_dict(config))
    nn.quantize(model, group_size=group_size, bits=bits)
    parts = [model.model.embed_tokens, *model.layers, model.model.norm]
    if not model.args.tie_word_embeddings:
        parts.append(model.lm_head)
    for i, part in enumerate(parts):
        mx.eval(part.parameters())
        if i % 8 == 0:
            progress(f"building random {bits}-bit g{group_size} weights: {i + 1}/{len(parts)}")
    return model


def reference_model(model: Model) -> nn.Module:
    """mlx-lm's own llama model holding the very arrays `model` holds (no copy)."""
    from mlx_lm.models import llama

    a = model.args
    ref = llama.Model(
        llama.ModelArgs(
            model_type="llama",
            hidden_size=a.hidden_size,
            num_hidden_layers=a.num_hidden_layers,
            intermediate_size=a.intermediate_size,
            num_attention_heads=a.num_attention_heads,
            num_key_value_heads=a.num_key_value_heads,
            head_dim=a.head_dim,
            rms_norm_eps=a.rms_norm_eps,
            vocab_size=a.vocab_size,
            rope_theta=a.rope_theta,
            max_position_embeddings=a.max_position_embeddings,
            attention_bias=a.attention_bias,
            mlp_bias=a.mlp_bias,
            tie_word_embeddings=a.tie_word_embeddings,
        )
    )
    weights = dict(tree_flatten(model.parameters()))

    def quantized_like(path: str, module: nn.Module):
        # Bits and group size per layer, read off the packed shapes (GGUF mixes them).
        if f"{path}.scales" not in weights or not hasattr(module, "to_quantized"):
            return False
        in_features = module.weight.shape[-1]
        return {
            "group_size": in_features // weights[f"{path}.scales"].shape[-1],
            "bits": weights[f"{path}.weight"].shape[-1] * 32 // in_features,
        }

    nn.quantize(ref, class_predicate=quantized_like)
    ref.load_weights(list(weights.items()))  # strict: every name and shape must match
    return ref


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


class _SilentDetokenizer:
    """generate() streams text through a detokenizer; token-id runs have no text."""

    last_segment = ""

    def reset(self) -> None: ...

    def add_token(self, token: int) -> None: ...

    def finalize(self) -> None: ...


class TokenIdsOnly:
    """Stands in for a tokenizer when a model has none (random weights)."""

    detokenizer = _SilentDetokenizer()


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


# --- command line --------------------------------------------------------------------------


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="measure deskpet's engine against mlx-lm")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--demo", action="store_true", help="the built-in demo model (default)")
    which.add_argument("--model", help="a model folder (MLX or Hugging Face) or a .gguf file")
    which.add_argument(
        "--synthetic",
        choices=sorted(SYNTHETIC),
        help="random 4-bit weights in a real architecture (no download)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quick", action="store_true", help="fewer tokens and rounds (noisier)")
    # --ui lives with the Qt code (deskpet/ui/smoothness.py); cli.py dispatches it there.
    p.add_argument(
        "--ui",
        action="store_true",
        help="the pet's frame timing offscreen, idle and while the model writes",
    )
    p.add_argument("--seconds", type=float, default=10.0, help="length of each --ui phase")
    p.add_argument(
        "--adapters",
        action="store_true",
        help="persona adapters: switch latency, decode with an adapter, memory",
    )
    p.set_defaults(run=run)


def _progress(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    if args.adapters:
        return run_adapters(args)
    from .load import ModelLoadError, load

    notes = []
    if args.synthetic:
        plan = plan_for(synthetic=True, quick=args.quick)
        model = random_model(SYNTHETIC[args.synthetic], progress=_progress)
        workload = token_workload(model.args.vocab_size, plan)
        label = f"synthetic {args.synthetic} (random 4-bit g64 weights, token ids, no tokenizer)"
        tokenizer = None
        notes.append(
            f"synthetic: random token ids; the history is {plan.history} tokens "
            "(shorter than a chat's ~600, to keep the CPU run short)"
        )
    else:
        try:
            if args.model:
                source = args.model
            else:
                from .demo import ensure_demo_model

                source = ensure_demo_model(_progress)
            _progress(f"loading {source}")
            lm = load(source)
        except ModelLoadError as e:
            print(f"deskpet: {e}", file=sys.stderr)
            return 1
        plan = plan_for(synthetic=False, quick=args.quick)
        model, tokenizer = lm.model, lm.tokenizer
        workload = chat_workload(tokenizer, plan, lm.eos_token_ids)
        label = f"{lm.source.name} ({lm.format}, {lm.quantization})"
    result = measure(model, workload, plan, tokenizer=tokenizer, label=label, progress=_progress)
    result.notes[:0] = notes
    print(to_json_text(result) if args.json else format_table(result))
    return 0


# --- persona adapters: `deskpet bench --adapters` ----------------------------------------------

SWITCH_TARGET_MS = 20.0
SWITCH_VS_RELOAD_TARGET = 50.0  # switching at least this many times faster than reloading
ADAPTER_DECODE_TARGET = 0.85  # decode with an adapter active / without, at least


def adapter_numbers(
    model: Model, prompt: list[int], decode_tokens: int, load_seconds: float, rounds: int = 2
) -> dict:
    """Two OpenBMB-shaped adapters (r=8/alpha=16 and r=16/alpha=32 on all seven projections)
    resident on `model`: switch latency, decode speed with one active against none, memory."""
    from .generate import Sampling, generate
    from .lora import AdapterBank
    from .model import make_cache

    bank = AdapterBank(model)
    for name, rank, seed in (("r8", 8, 1), ("r16", 16, 2)):
        adapter = bank.new(name, rank=rank, alpha=2.0 * rank, seed=seed)
        for pair in adapter.pairs.values():  # a trained adapter's B is not zero
            pair.lora_B = 0.01 * mx.random.normal(pair.lora_B.shape)
        mx.eval([(p.lora_A, p.lora_B) for p in adapter.pairs.values()])
    switches = [bank.switch(name) for _ in range(20) for name in ("r8", "r16", None)]

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

    speeds = {"none": 0.0, "r8": 0.0}
    for _ in range(rounds):  # alternate so load on the machine hits both alike
        for name in ("none", "r8"):
            bank.switch(None if name == "none" else name)
            speeds[name] = max(speeds[name], decode_tps())
    bank.switch(None)
    switch_ms = percentile_of(switches, 50)
    result = {
        "switch_ms_p50": switch_ms,
        "switch_ms_max": max(switches),
        "reload_s": load_seconds,
        "switch_vs_reload": load_seconds * 1000 / switch_ms if switch_ms > 0 else float("inf"),
        "decode_tps_none": speeds["none"],
        "decode_tps_adapter": speeds["r8"],
        "decode_ratio": speeds["r8"] / speeds["none"] if speeds["none"] else 0.0,
        "memory_bytes": bank.memory(),
    }
    bank.detach()
    return result


def percentile_of(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] if ordered else 0.0


def run_adapters(args: argparse.Namespace) -> int:
    from .load import ModelLoadError, load

    started = time.perf_counter()
    if args.synthetic:
        model = random_model(SYNTHETIC[args.synthetic], progress=_progress)
        label = f"synthetic {args.synthetic}"
        prompt = list(range(100, 116))
        decode_tokens = 6
        reload_note = "building the random model"
    else:
        try:
            from .demo import ensure_demo_model

            source = args.model or ensure_demo_model(_progress)
            lm = load(source)
        except ModelLoadError as e:
            print(f"deskpet: {e}", file=sys.stderr)
            return 1
        model, label = lm.model, lm.source.name
        prompt = lm.tokenizer.encode("Tell me about your day.", add_special_tokens=False)
        decode_tokens = 8 if args.quick else 24
        reload_note = "loading the model from disk"
    load_seconds = time.perf_counter() - started
    _progress(f"{label}: two adapters resident, timing switches and decode")
    result = adapter_numbers(
        model, prompt, decode_tokens, load_seconds, rounds=1 if args.quick else 2
    )
    if args.json:
        print(json.dumps(result))
        return 0

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    print(
        f"deskpet bench --adapters: {label}, adapters r=8/alpha=16 and r=16/alpha=32 on all "
        "seven projections of every layer"
    )
    print(
        f"switch (p50 of 60)       {result['switch_ms_p50']:8.3f} ms   <= {SWITCH_TARGET_MS:g} ms"
        f"  {verdict(result['switch_ms_p50'] <= SWITCH_TARGET_MS)}"
    )
    print(
        f"vs reloading             {result['switch_vs_reload']:8.0f}x    >= "
        f"{SWITCH_VS_RELOAD_TARGET:g}x  "
        f"{verdict(result['switch_vs_reload'] >= SWITCH_VS_RELOAD_TARGET)}"
        f"  ({reload_note}: {load_seconds:.2f} s)"
    )
    print(f"decode, no adapter       {result['decode_tps_none']:8.2f} tok/s")
    print(
        f"decode, r=8 adapter      {result['decode_tps_adapter']:8.2f} tok/s  "
        f"{result['decode_ratio']:.2f}x  >= {ADAPTER_DECODE_TARGET:g}x  "
        f"{verdict(result['decode_ratio'] >= ADAPTER_DECODE_TARGET)}"
    )
    for name, nbytes in result["memory_bytes"].items():
        print(f"memory, adapter {name:<8} {nbytes / 2**20:8.1f} MiB")
    return 0
