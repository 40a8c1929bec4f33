"""`deskpet bench --server URL`: the model server beside the local engine, same run, same prompts.

Both brains are driven through the interface the pet uses (submit a Chat, read its events), so
the numbers are what the owner waits for, network and event hand-off included:

- first token: from submitting the first question to its first written token;
- decode: tokens a second after that first token (the server's streamed deltas count as tokens
  when it reports no usage; llama.cpp's servers send one delta per token);
- follow-up: a second question in the same conversation, submit to last token, and its first
  token (the local engine keeps its KV cache; the server gets the whole conversation again and
  reuses its prompt cache where it has one).

Answers are greedy and `max_tokens` long at most; each brain answers the same two questions in
the same order, the local one first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .generate import Sampling
from .protocol import Chat, Failed, Finished, LoadModel, Token

QUESTIONS = (
    "Tell me a short story about a cat who learns to code.",
    "Now tell the same story from the computer's point of view.",
)


@dataclass
class Turn:
    first_token: float  # seconds from submit
    total: float  # seconds from submit to Finished
    tokens: int
    decode_tps: float
    reason: str


@dataclass
class BrainResult:
    label: str
    load_seconds: float
    turns: list[Turn]
    error: str = ""


class BenchError(Exception):
    pass


def _turn(brain, conversation: str, text: str, max_tokens: int, timeout: float) -> Turn:
    started = time.perf_counter()
    rid = brain.submit(
        Chat(conversation, text, sampling=Sampling.greedy(), max_tokens=max_tokens), stream=True
    )
    first = last = None
    fin = None
    for event in brain.events_for(rid, timeout=timeout):
        now = time.perf_counter()
        if isinstance(event, Token) and event.event.text:
            first = first or now
            last = now
        elif isinstance(event, Finished):
            fin = event
        elif isinstance(event, Failed):
            raise BenchError(f"{event.kind}: {event.message}")
    if fin is None or first is None:
        raise BenchError("no answer")
    tokens = fin.stats.get("generation_tokens", 0)
    decode = (tokens - 1) / (last - first) if tokens > 1 and last > first else 0.0
    return Turn(first - started, time.perf_counter() - started, tokens, decode, fin.reason)


def measure_brain(
    brain, label: str, source: str, max_tokens: int, progress: Callable[[str], None]
) -> BrainResult:
    """Load (the local model; the server's model list), then the two questions."""
    started = time.perf_counter()
    rid = brain.submit(LoadModel(source), stream=True)
    for event in brain.events_for(rid, timeout=600):
        if isinstance(event, Failed):
            return BrainResult(label, 0.0, [], f"{event.kind}: {event.message}")
    load = time.perf_counter() - started
    turns = []
    try:
        for text in QUESTIONS:
            progress(f"{label}: {text}")
            turns.append(_turn(brain, "bench", text, max_tokens, timeout=600))
    except (BenchError, TimeoutError) as e:
        return BrainResult(label, load, turns, str(e))
    return BrainResult(label, load, turns)


def format_server(results: list[BrainResult], max_tokens: int) -> str:
    lines = [
        f"deskpet bench --server: two greedy questions in one conversation, up to {max_tokens} "
        "tokens each",
        f"{'brain':<44} {'load s':>7} {'1st token s':>11} {'decode tok/s':>12} "
        f"{'follow-up s':>11} {'its 1st tok s':>13}",
    ]
    for r in results:
        if r.error and len(r.turns) < 2:
            lines.append(f"{r.label:<44} failed: {r.error}")
            continue
        one, two = r.turns
        lines.append(
            f"{r.label:<44} {r.load_seconds:>7.2f} {one.first_token:>11.2f} "
            f"{one.decode_tps:>12.1f} {two.total:>11.2f} {two.first_token:>13.2f}"
        )
    lines.append(
        "first token: submit to first written token; decode: tokens a second after it; "
        "follow-up: the second question, submit to its last token."
    )
    return "\n".join(lines)


def to_json(results: list[BrainResult]) -> list[dict]:
    return [
        {
            "brain": r.label,
            "load_seconds": r.load_seconds,
            "error": r.error,
            "turns": [t.__dict__ for t in r.turns],
        }
        for r in results
    ]
