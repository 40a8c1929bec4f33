"""One chat completion from a model server: the request body deskpet sends, and the streamed
answer read back as TokenEvents (deskpet.inference.server_brain sends them on).

The body asks for what deskpet's own engine does: the persona's sampling, thinking on or off
(`chat_template_kwargs.enable_thinking`, which llama.cpp, vLLM and SGLang pass to the chat
template), llama.cpp's prompt cache (`cache_prompt`) and, where the server lists LoRA
adapters, the persona's adapter (`lora`). A strict server that refuses those fields gets
`openai_only` instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .generate import Sampling, TokenEvent
from .server_http import BAD_STREAM, STREAM_CUT, ServerError, ThinkSplitter, read_sse

CHAT_PATH = "/v1/chat/completions"
NARRATION_SAMPLING = Sampling(temperature=0.6, top_p=0.95, repetition_penalty=1.05)
_OPENAI_FIELDS = (
    "model", "messages", "stream", "max_tokens", "temperature", "top_p", "seed", "stream_options",
)  # fmt: skip


class _Cancelled(Exception):
    pass


def request_body(
    messages: list[dict],
    sampling: Sampling | None,
    max_tokens: int,
    model: str,
    think: bool,
    loras: list[int] | None,
    active: int | None,
) -> dict:
    """The streamed chat-completion request. `loras`: the server's adapter ids (None: send
    OpenAI's fields only); `active`: the one to apply, the others at scale 0."""
    body = {
        "messages": messages,
        "stream": True,
        "max_tokens": max_tokens,
        "stream_options": {"include_usage": True},
    }
    if model:
        body["model"] = model
    if sampling is not None:
        body["temperature"] = sampling.temperature
        body["top_p"] = sampling.top_p
        if sampling.seed is not None:
            body["seed"] = sampling.seed
    if loras is None:
        return body
    # Beyond OpenAI's fields: llama.cpp, vLLM, SGLang and Ollama take (or ignore) them.
    body["cache_prompt"] = True
    body["chat_template_kwargs"] = {"enable_thinking": bool(think)}
    if sampling is not None:
        if sampling.top_k:
            body["top_k"] = sampling.top_k
        if sampling.min_p:
            body["min_p"] = sampling.min_p
        if sampling.repetition_penalty != 1.0:
            body["repeat_penalty"] = sampling.repetition_penalty  # llama.cpp
            body["repetition_penalty"] = sampling.repetition_penalty  # vLLM, SGLang
    if loras:
        body["lora"] = [{"id": i, "scale": 1.0 if i == active else 0.0} for i in loras]
    return body


def openai_only(body: dict) -> dict:
    return {k: v for k, v in body.items() if k in _OPENAI_FIELDS}


def read_answer(
    post: Callable[[], object],
    on_token: Callable[[TokenEvent], None],
    cancelled: Callable[[], bool],
    cancel_reason: Callable[[], str] = lambda: "cancelled",
) -> tuple[str, str, str, dict]:
    """Send the request (`post` returns the open response) and hand each delta to `on_token`,
    the last one with the finish reason. Returns (reason, answer, reasoning, stats).

    When `cancelled()` ends the answer, its reason is `cancel_reason()`, on the last delta and
    in the return alike: "cancelled" as generate() says, or "stop" for a narration closed at
    its first sentence's end as the local worker ends it. A ServerError is raised unless
    `cancelled()` (the socket closed under the read is then the cancel itself); a stream that
    ends with no finish reason is STREAM_CUT."""
    started = time.perf_counter()
    parts = {"answer": [], "reasoning": []}
    splitter = ThinkSplitter()
    counts = {"n": 0, "first": 0.0, "usage": None}
    reason = None

    def send(channel: str, text: str) -> None:
        if not text:
            return
        now = time.perf_counter()
        if not counts["n"]:
            counts["first"] = now
        counts["n"] += 1
        parts[channel].append(text)
        on_token(TokenEvent(text, None, channel, **_stats(counts, started, now)))

    try:
        if cancelled():
            raise _Cancelled
        for chunk in read_sse(post(), CHAT_PATH):
            if cancelled():
                raise _Cancelled
            if isinstance(chunk.get("usage"), dict):
                counts["usage"] = chunk["usage"]
            choices = chunk.get("choices")
            if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
                continue
            choice = choices[0]
            delta = choice.get("delta") or {}
            if not isinstance(delta, dict):
                raise ServerError(BAD_STREAM, f"{CHAT_PATH}: a delta that is not an object")
            # llama.cpp and vLLM say reasoning_content; Ollama and newer vLLM say reasoning.
            thought = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(thought, str):
                send("reasoning", thought)
            content = delta.get("content")
            if isinstance(content, str):
                for channel, text in splitter.feed(content):
                    send(channel, text)
            if choice.get("finish_reason"):
                reason = "length" if choice["finish_reason"] == "length" else "stop"
        if cancelled():
            raise _Cancelled
    except _Cancelled:
        reason = cancel_reason()
    except ServerError:
        if not cancelled():
            raise
        reason = cancel_reason()  # the socket was closed under the read on purpose
    for channel, text in splitter.flush():
        send(channel, text)
    if reason is None:
        raise ServerError(STREAM_CUT, f"{CHAT_PATH}: the stream ended before the answer did")
    stats = _stats(counts, started, time.perf_counter())
    on_token(TokenEvent("", None, splitter.channel, reason, **stats))
    return reason, "".join(parts["answer"]), "".join(parts["reasoning"]), stats


def _stats(counts: dict, started: float, now: float) -> dict:
    """The TokenEvent statistics, measured here: what the owner waits for, network included.
    Streamed deltas stand in for tokens until the server's usage says how many there were."""
    usage = counts["usage"] or {}
    n = counts["n"]
    generated = usage.get("completion_tokens")
    generated = generated if isinstance(generated, int) else n
    prompt = usage.get("prompt_tokens")
    prompt = prompt if isinstance(prompt, int) else 0
    first = counts["first"] or now
    ttft = first - started if n else 0.0
    decode = now - first
    return {
        "prompt_tokens": prompt,
        "generation_tokens": generated,
        "prompt_tps": prompt / ttft if prompt and ttft > 0 else 0.0,
        "generation_tps": (generated - 1) / decode if generated > 1 and decode > 0 else 0.0,
        "time_to_first_token": ttft,
    }
