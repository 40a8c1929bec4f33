"""Whether the pet thinks before it answers, and how long an answer may be: one rule, used by
the chat (what each request asks for) and the menu (what the Thinking item shows).

A persona trained without thinking (`thinking: false` in its persona.yaml, like the seed app's
NekoQA cat) answers without it while it is active, whatever the owner chose; the owner's
choice is kept, and holds again with a persona that may think. No Qt and no MLX here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .persona import Persona

# An answer that thinks first gets at least this many tokens, so it is never all reasoning
# (the seed app raises its max tokens to 1,280 when thinking is on).
THINKING_MIN_TOKENS = 1280


@dataclass(frozen=True)
class Thinking:
    """on: whether the next answer thinks first. held_off_by: the name of the persona that
    keeps thinking off ("" when the owner's choice holds)."""

    on: bool
    held_off_by: str = ""


def thinking_for(owner_choice: bool, persona: Persona | None) -> Thinking:
    """The owner's choice, unless the active persona was trained without thinking."""
    if persona is not None and not persona.thinking:
        return Thinking(False, persona.name.get("en"))
    return Thinking(bool(owner_choice))


def answer_budget(max_tokens: int, think: bool, model_thinks: bool = True) -> int:
    """The tokens an answer may use: the owner's limit, raised to the floor when it thinks
    (with a model that can: one without think tokens in its template never does)."""
    return max(max_tokens, THINKING_MIN_TOKENS) if think and model_thinks else max_tokens
