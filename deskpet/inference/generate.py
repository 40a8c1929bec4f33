"""generate(): new prompt tokens in, a stream of TokenEvents out.

Prefill runs in chunks (cancel is checked between them), decode runs one step ahead with
mx.async_eval so the CPU/GPU never waits on Python, and sampling and streaming detokenization
come from mlx-lm so deskpet samples exactly as mlx-lm does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import mlx.core as mx
from mlx_lm.sample_utils import make_logits_processors, make_sampler

from .model import KVCache, Model

REASONING = "reasoning"
ANSWER = "answer"


@dataclass
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    seed: int | None = None

    @classmethod
    def greedy(cls) -> Sampling:
        return cls(temperature=0.0, top_p=1.0)


@dataclass
class TokenEvent:
    """One step of a generation.

    text: the newly decoded text (may be "" while a multi-byte character is incomplete).
    token: the token id this event is about, or None on a final event without a token.
    channel: "reasoning" inside a <think> block, else "answer".
    finish_reason: None while generating; "stop", "length" or "cancelled" on the last event.
    """

    text: str
    token: int | None
    channel: str = ANSWER
    finish_reason: str | None = None
    prompt_tokens: int = 0
    generation_tokens: int = 0
    prompt_tps: float = 0.0
    generation_tps: float = 0.0
    time_to_first_token: float = 0.0


def prefill(
    model: Model,
    cache: list[KVCache],
    tokens: Sequence[int],
    chunk: int = 512,
    should_cancel: Callable[[], bool] = lambda: False,
) -> bool:
    """Feed tokens into the cache in chunks without computing logits. False if cancelled."""
    for start in range(0, len(tokens), chunk):
        if should_cancel():
            return False
        model(mx.array([tokens[start : start + chunk]]), cache)
        mx.eval([c.state for c in cache])
    return True


def generate(
    model: Model,
    tokenizer,
    cache: list[KVCache],
    prompt: Sequence[int],
    *,
    sampling: Sampling | None = None,
    max_tokens: int = 256,
    stop_ids: Sequence[int] = (),
    history: Sequence[int] = (),
    think_ids: tuple[int | None, int | None] = (None, None),
    start_in_reasoning: bool = False,
    prefill_chunk: int = 512,
    should_cancel: Callable[[], bool] = lambda: False,
    logits_processors: Sequence[Callable[[mx.array, mx.array], mx.array]] = (),
) -> Iterator[TokenEvent]:
    """Generate after `prompt` (the tokens not yet in `cache`).

    history: tokens already in the cache, for the repetition penalty's window.
    logits_processors: extra mlx-lm style processors f(context_tokens, logits) -> logits.
    Yields one event per sampled token, then a final event with finish_reason (whose token is
    the stop token, if one ended it). Every yielded token id was written by the model and
    belongs in the transcript; the cache holds a prefix of history + prompt + those tokens.
    """
    if not prompt:
        raise ValueError("generate() needs at least one new prompt token")
    sampling = sampling or Sampling()
    if sampling.seed is not None:
        mx.random.seed(sampling.seed)
    sampler = make_sampler(
        temp=sampling.temperature, top_p=sampling.top_p, min_p=sampling.min_p, top_k=sampling.top_k
    )
    processors = make_logits_processors(
        repetition_penalty=sampling.repetition_penalty
        if sampling.repetition_penalty != 1.0
        else None
    ) + list(logits_processors)
    stop = set(stop_ids)
    think_start, think_end = think_ids
    context = mx.array(list(history) + list(prompt)) if processors else None

    def step(tokens: mx.array) -> mx.array:
        nonlocal context
        logits = model(tokens[None], cache)[:, -1, :]
        if processors:
            for process in processors:
                logits = process(context, logits)
        logprobs = logits - mx.logsumexp(logits, keepdims=True)
        return sampler(logprobs)

    def record(token: mx.array) -> None:
        nonlocal context
        if processors:
            context = mx.concatenate([context, token])

    t0 = time.perf_counter()
    n_prompt = len(prompt)
    counts = {"prompt_tokens": n_prompt}
    if not prefill(model, cache, prompt[:-1], prefill_chunk, should_cancel) or should_cancel():
        yield TokenEvent("", None, finish_reason="cancelled", **counts)
        return

    detok = tokenizer.detokenizer
    detok.reset()
    channel = REASONING if start_in_reasoning else ANSWER
    y = step(mx.array(prompt[-1:]))
    mx.async_eval(y)
    first_at = None
    n = 0
    finish = "length"
    last_token = None
    while True:
        nxt = None
        if n + 1 < max_tokens:
            # Decode one step ahead: queue the next token's graph before reading this one.
            record(y)
            nxt = step(y)
            mx.async_eval(nxt)
        token = int(y.item())
        if first_at is None:
            first_at = time.perf_counter()
        n += 1
        stats = _stats(n_prompt, n, t0, first_at)
        if token in stop:
            finish, last_token = "stop", token
            break
        if token in (think_start, think_end):
            # Think markers switch channel and are never shown.
            text = _flush(detok)
            if text:
                yield TokenEvent(text, None, channel, **stats)
            channel = REASONING if token == think_start else ANSWER
            yield TokenEvent("", token, channel, **stats)
        else:
            detok.add_token(token)
            yield TokenEvent(detok.last_segment, token, channel, **stats)
        if nxt is None:
            break
        if should_cancel():
            # The token sampled ahead was never fed nor shown: dropping it keeps the cache an
            # exact prefix of the transcript.
            finish = "cancelled"
            break
        y = nxt
    detok.finalize()
    tail = detok.last_segment
    stats = _stats(n_prompt, n, t0, first_at or time.perf_counter())
    if finish == "cancelled":
        if tail:
            yield TokenEvent(tail, None, channel, **stats)
        yield TokenEvent("", last_token, channel, finish_reason="cancelled", **stats)
        return
    yield TokenEvent(tail, last_token, channel, finish_reason=finish, **stats)


def _flush(detok) -> str:
    detok.finalize()
    text = detok.last_segment
    detok.reset()
    return text


def _stats(n_prompt: int, n_gen: int, t0: float, first_at: float) -> dict:
    now = time.perf_counter()
    prefill_time = max(first_at - t0, 1e-9)
    decode_time = now - first_at
    return {
        "prompt_tokens": n_prompt,
        "generation_tokens": n_gen,
        "prompt_tps": n_prompt / prefill_time,
        "generation_tps": (n_gen - 1) / decode_time if n_gen > 1 and decode_time > 0 else 0.0,
        "time_to_first_token": prefill_time,
    }
