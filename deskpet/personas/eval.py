"""`deskpet persona eval <id>`: does the persona's adapter change the voice, measured.

Two numbers, each with and without the adapter on the same loaded model:
- held-out loss: mean cross-entropy over the assistant tokens of valid.jsonl, rendered exactly
  as training renders them (personas.train.encode: the persona's system prompt, no-think turns);
- style score: the share of answers to held-out prompts (the first user turn of each valid.jsonl
  example) that carry one of the persona's marks (`marks:` in persona.yaml, matched without
  regard to case; a mark that begins with a Latin letter only at a word's start, so Sage's
  "hoo" is not found in "choose" or "school"). Answers are greedy, so a run is repeatable.
The work is bounded: at most `prompts` prompts, `max_tokens` tokens an answer, and the loss over
the first `loss_examples` held-out conversations when given (else all of them). `base_dtype`
runs both sides on a dense copy of the base, as training does (deskpet.inference.dequant: the
4-bit weights dequantized, much faster on MLX's CPU backend); "quantized" runs the 4-bit base.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .persona import Persona
from .train import encode


@dataclass
class Side:
    """The numbers for one side (with or without the adapter)."""

    loss: float
    style: float
    answers: list[str] = field(default_factory=list)


@dataclass
class EvalResult:
    without: Side
    adapter: Side
    prompts: int
    loss_tokens: int
    seconds: float


DEMO_BASE = "smollm2-135m-instruct"  # the `base:` name of adapters made for the demo model


def adapter_for(persona: Persona, base: str | None) -> str | None:
    """The persona's local adapter for `base` (the entry persona.voice picks: its `adapters:`
    entry for that base, else its older `adapter:`), None for prompt only or one still on the
    hub."""
    entry = persona.voice(base).entry
    return entry.path if entry is not None and entry.hub is None else None


def has_mark(text: str, marks: list[str]) -> bool:
    lowered = text.lower()
    return any(re.search(_mark_pattern(mark.lower()), lowered) for mark in marks)


def _mark_pattern(mark: str) -> str:
    # A Latin mark is a word (or a word's start: "nya" in "nyaaa~"), never a word's middle.
    word_start = r"(?<![a-z])" if mark[:1].isascii() and mark[:1].isalpha() else ""
    return word_start + re.escape(mark)


def held_out_prompts(valid_data: list[list[dict]], limit: int) -> list[str]:
    return [messages[0]["content"] for messages in valid_data[:limit]]


def held_out_loss(lm, template, system_prompt: str, valid_data: list[list[dict]]):
    """(mean cross-entropy over the learned tokens, how many tokens) on the model as it is."""
    import mlx.core as mx
    import mlx.nn as nn

    stops = set(lm.eos_token_ids)
    system = template.system_tokens(system_prompt)
    total, count = 0.0, 0
    for messages in valid_data:
        example = encode(template, system_prompt, messages, stops)
        full = system + example.tokens
        # Position t predicts token t+1: count t where token t+1 is a learned one.
        positions = [len(system) + i - 1 for i, keep in enumerate(example.loss_mask) if keep]
        logits = lm.model(mx.array([full[:-1]]), last_only=False)[0]
        picked = logits[mx.array(positions)].astype(mx.float32)
        targets = mx.array([full[p + 1] for p in positions])
        loss = nn.losses.cross_entropy(picked, targets, reduction="sum")
        total += loss.item()
        count += len(positions)
        mx.clear_cache()
    return total / max(count, 1), count


def answer(lm, template, system_prompt: str, prompt: str, max_tokens: int) -> str:
    """One greedy answer, rendered as the worker renders a fresh chat turn."""
    from deskpet.inference.generate import Sampling, generate
    from deskpet.inference.model import make_cache

    tokens = template.user_turn_tokens(system_prompt, prompt, think=False)
    parts = []
    for event in generate(
        lm.model,
        lm.tokenizer,
        make_cache(lm.model),
        template.system_tokens(system_prompt) + tokens,
        sampling=Sampling.greedy(),
        max_tokens=max_tokens,
        stop_ids=lm.eos_token_ids,
    ):
        parts.append(event.text)
    return "".join(parts).strip()


def evaluate(
    lm,
    persona: Persona,
    adapter_folder,
    valid_data: list[list[dict]],
    marks: list[str],
    *,
    prompts: int = 8,
    max_tokens: int = 48,
    base_dtype: str = "quantized",
    loss_examples: int | None = None,
    progress: Callable[[str], None] = lambda _text: None,
) -> EvalResult:
    """Both sides on `lm`; the adapter is loaded into a bank and the model left as loaded."""
    from deskpet.inference.chat import ChatTemplate
    from deskpet.inference.dequant import DTYPES, DenseBase
    from deskpet.inference.lora import AdapterBank

    started = time.perf_counter()
    template = ChatTemplate(lm.tokenizer)
    system = persona.system_prompt
    questions = held_out_prompts(valid_data, prompts)
    scored = valid_data[:loss_examples] if loss_examples else valid_data
    dense = DenseBase(lm.model, DTYPES[base_dtype]) if base_dtype != "quantized" else None
    bank = AdapterBank(lm.model)
    try:
        bank.load("persona", adapter_folder)
        sides = {}
        for name in (None, "persona"):
            bank.switch(name)
            label = "adapter" if name else "prompt only"
            loss, count = held_out_loss(lm, template, system, scored)
            progress(f"{label}: held-out loss {loss:.4f} over {count} tokens")
            answers = []
            for i, question in enumerate(questions, 1):
                answers.append(answer(lm, template, system, question, max_tokens))
                progress(f"{label}: answer {i}/{len(questions)}: {answers[-1]!r}")
            style = sum(has_mark(a, marks) for a in answers) / max(len(answers), 1)
            sides[label] = Side(loss, style, answers)
    finally:
        bank.detach()
        if dense is not None:
            dense.restore()
    return EvalResult(
        sides["prompt only"],
        sides["adapter"],
        len(questions),
        count,
        time.perf_counter() - started,
    )
