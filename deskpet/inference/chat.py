"""A conversation as an append-only token transcript of exactly what the model saw and wrote.

Re-rendering the whole conversation every turn breaks the cached prefix: MiniCPM5's template
re-renders earlier assistant turns without their (empty) think block, so the tokens differ from
what the model saw at the first assistant turn. Instead each new user turn is rendered on its
own (the template's text for [system, user] minus its text for [system]) and appended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_MARKER = "\u2063deskpet-answer\u2063"


class ContextFullError(ValueError):
    """The new message alone does not fit the context window."""


class ChatTemplate:
    """The model's own chat template, cut into the pieces an append-only transcript needs."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        vocab = tokenizer.get_vocab()
        # Thinking is parsed by token id where the tokenizer has single <think> tokens.
        self.think_start_id = vocab.get("<think>")
        self.think_end_id = vocab.get("</think>")
        self.end_of_turn = self._end_of_turn_text()

    def render(self, messages: list[dict], *, generation_prompt: bool, think: bool = False) -> str:
        # enable_thinking always explicit: some wrappers default it to True.
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt, enable_thinking=think
        )

    def encode(self, text: str) -> list[int]:
        # The template writes BOS itself where the model wants one.
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def system_tokens(self, system_prompt: str) -> list[int]:
        return self.encode(self.render(_system(system_prompt), generation_prompt=False))

    def user_turn_tokens(self, system_prompt: str, text: str, think: bool) -> list[int]:
        """Tokens of one user turn plus the generation prompt, to append to a transcript."""
        base = self.render(_system(system_prompt), generation_prompt=False)
        full = self.render(
            _system(system_prompt) + [{"role": "user", "content": text}],
            generation_prompt=True,
            think=think,
        )
        if not full.startswith(base):
            raise ValueError("this chat template does not render turns independently")
        return self.encode(full[len(base) :])

    def starts_in_reasoning(self, turn_tokens: list[int]) -> bool:
        """Whether the generation prompt leaves the model inside an open <think> block."""
        if self.think_start_id is None or self.think_start_id not in turn_tokens:
            return False
        last_open = len(turn_tokens) - 1 - turn_tokens[::-1].index(self.think_start_id)
        return self.think_end_id not in turn_tokens[last_open:]

    def closing_tokens(self, last_token: int | None) -> list[int]:
        """What to append after an answer so the transcript holds a well-formed turn."""
        text = self.end_of_turn
        if last_token is not None:
            last_text = self.tokenizer.decode([last_token], skip_special_tokens=False)
            if last_text and text.startswith(last_text):
                text = text[len(last_text) :]
        return self.encode(text) if text else []

    def _end_of_turn_text(self) -> str:
        rendered = self.render(
            _system("s")
            + [{"role": "user", "content": "u"}, {"role": "assistant", "content": _MARKER}],
            generation_prompt=False,
        )
        at = rendered.rfind(_MARKER)
        return rendered[at + len(_MARKER) :] if at >= 0 else ""


def _system(prompt: str) -> list[dict]:
    return [{"role": "system", "content": prompt}]


@dataclass
class Conversation:
    """One conversation: the system prefix, then whole turns, all as token ids.

    `turns` holds (start, end) token indices of each finished user+assistant exchange, so the
    oldest can be dropped whole when the context window fills up.
    """

    system_prompt: str
    tokens: list[int] = field(default_factory=list)
    system_len: int = 0
    turns: list[tuple[int, int]] = field(default_factory=list)
    open_turn: int | None = None  # start index of the turn being answered

    @classmethod
    def start(cls, template: ChatTemplate, system_prompt: str) -> Conversation:
        tokens = template.system_tokens(system_prompt)
        return cls(system_prompt=system_prompt, tokens=list(tokens), system_len=len(tokens))

    @property
    def system_tokens(self) -> list[int]:
        return self.tokens[: self.system_len]

    def make_room(self, needed: int, context_window: int) -> bool:
        """Drop the oldest whole turns (never the system prompt) until `needed` more tokens fit.
        Returns True if anything was dropped (the KV cache must then be rebuilt)."""
        if self.system_len + needed > context_window:
            raise ContextFullError(
                f"the message needs {needed} tokens but the context window holds {context_window}"
            )
        dropped = False
        while self.turns and len(self.tokens) + needed > context_window:
            start, end = self.turns.pop(0)
            width = end - start
            del self.tokens[start:end]
            self.turns = [(s - width, e - width) for s, e in self.turns]
            dropped = True
        return dropped

    def begin_turn(self, turn_tokens: list[int]) -> None:
        self.open_turn = len(self.tokens)
        self.tokens.extend(turn_tokens)

    def add(self, token: int) -> None:
        self.tokens.append(token)

    def end_turn(self, closing: list[int]) -> None:
        self.tokens.extend(closing)
        if self.open_turn is not None:
            self.turns.append((self.open_turn, len(self.tokens)))
        self.open_turn = None

    def abandon_turn(self) -> int:
        """Remove the open turn (cancelled before any answer). Returns the new length."""
        if self.open_turn is not None:
            del self.tokens[self.open_turn :]
        self.open_turn = None
        return len(self.tokens)
