"""Which projections an adapter config targets, read without trusting the config.

PEFT lets `target_modules` be a regular expression matched (re.fullmatch) against full module
names. Python's `re` backtracks and holds the GIL, so a pattern such as `(a+)+$` from a hub
adapter could freeze the whole app. deskpet therefore never runs an adapter's pattern through
`re`: it parses a safe subset itself (literals, `.`, classes, groups, `|`, `* + ? {m,n}`, `^ $`)
into a Thompson program and runs that with a set of states (a Pike VM without captures). The
work is at most (program size) x (name length + 1) steps, and both are capped, so any pattern
finishes in bounded time; anything outside the subset is refused with one line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import ModelArgs

# Where each projection lives inside a transformer block: deskpet's model has exactly these.
PROJECTIONS = {
    "q_proj": "self_attn",
    "k_proj": "self_attn",
    "v_proj": "self_attn",
    "o_proj": "self_attn",
    "gate_proj": "mlp",
    "up_proj": "mlp",
    "down_proj": "mlp",
}

MAX_PATTERN = 500  # characters of a target_modules regex
MAX_PROGRAM = 4000  # instructions after expanding {m,n}
MAX_REPEAT = 100  # largest m or n in {m,n}
MAX_DEPTH = 20  # nested groups (the parser recurses once per group)


def projection_dims(args: ModelArgs) -> dict[str, tuple[int, int]]:
    """(in, out) of each projection, from the config alone (no weights needed)."""
    attn = args.num_attention_heads * args.head_dim
    kv = args.num_key_value_heads * args.head_dim
    h, ffn = args.hidden_size, args.intermediate_size
    return {
        "q_proj": (h, attn),
        "k_proj": (h, kv),
        "v_proj": (h, kv),
        "o_proj": (attn, h),
        "gate_proj": (h, ffn),
        "up_proj": (h, ffn),
        "down_proj": (ffn, h),
    }


class TargetError(ValueError):
    """target_modules cannot be used; the message is one line (without the file name)."""


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def peft_targets(targets) -> list[str]:
    """The projections a PEFT `target_modules` value selects (list, string regex, all-linear)."""
    if targets in ("all-linear", "all_linear"):
        return list(PROJECTIONS)
    if isinstance(targets, str):
        pattern = SafePattern(targets)
        found = [
            p
            for p, block in PROJECTIONS.items()
            if pattern.fullmatch(f"model.layers.0.{block}.{p}")
        ]
        if not found:
            raise TargetError(f"target_modules {_short(targets)} matches no module of the model")
        return found
    if not isinstance(targets, list) or not targets:
        raise TargetError(
            f"target_modules must be a non-empty list or a regex (got {_short(targets)})"
        )
    out = []
    for name in targets:
        if not isinstance(name, str):
            raise TargetError(f"target_modules holds {_short(name)}, which is not a module name")
        short = name.rsplit(".", 1)[-1]
        if short not in PROJECTIONS:
            raise TargetError(
                f"target module {_short(name)} does not exist in deskpet's model "
                f"(it has {', '.join(PROJECTIONS)})"
            )
        out.append(short)
    return out


def mlx_targets(keys) -> list[str]:
    """The projections an mlx-lm `lora_parameters.keys` list selects (all when absent)."""
    if keys is None or keys == []:
        return list(PROJECTIONS)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise TargetError(f"lora_parameters.keys must be a list of names (got {_short(keys)})")
    targets = sorted({k.rsplit(".", 1)[-1] for k in keys})
    for name in targets:
        if name not in PROJECTIONS:
            raise TargetError(f"target module {_short(name)} does not exist in deskpet's model")
    return targets


def check_layers(layers) -> list[int] | None:
    """PEFT's layers_to_transform: None, one index, or a list of indexes."""
    if layers is None:
        return None
    if isinstance(layers, int) and not isinstance(layers, bool):
        layers = [layers]
    if not isinstance(layers, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in layers
    ):
        raise TargetError(f"layers_to_transform must be layer indexes (got {_short(layers)})")
    return layers


# --- the safe pattern -------------------------------------------------------------------------

Matcher = Callable[[str], bool]
_CLASS_ESCAPES: dict[str, Matcher] = {
    "d": str.isdigit,
    "w": lambda c: c.isalnum() or c == "_",
    "s": str.isspace,
    "D": lambda c: not c.isdigit(),
    "W": lambda c: not (c.isalnum() or c == "_"),
    "S": lambda c: not c.isspace(),
}
_LITERAL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}
_QUANTIFIER = re.compile(r"\{(\d*)(,?)(\d*)\}")


class SafePattern:
    """A regex from the safe subset, matched by a bounded Pike VM. Raises TargetError."""

    def __init__(self, pattern: str):
        if len(pattern) > MAX_PATTERN:
            raise TargetError(f"target_modules regex is longer than {MAX_PATTERN} characters")
        try:
            re.compile(pattern)  # only compiled, never run: names what is wrong with it
        except (re.error, RecursionError, OverflowError) as e:
            raise TargetError(
                f"target_modules {_short(pattern)} is not a valid regex ({e})"
            ) from None
        self.pattern = pattern
        self._pos = 0
        self._depth = 0
        tree = self._alternation()
        if self._pos != len(pattern):
            self._unsupported()
        self.program: list[tuple] = []
        self._emit_node(tree)
        self.program.append(("match",))

    def fullmatch(self, text: str) -> bool:
        program, end = self.program, len(text)
        states = self._closure({0}, 0, end)
        for i, c in enumerate(text):
            step = {pc + 1 for pc in states if program[pc][0] == "char" and program[pc][1](c)}
            states = self._closure(step, i + 1, end)
            if not states:
                return False
        return any(program[pc][0] == "match" for pc in states)

    def _closure(self, start: set[int], at: int, end: int) -> set[int]:
        seen: set[int] = set()
        stack = list(start)
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op = self.program[pc]
            if op[0] == "jmp":
                stack.append(op[1])
            elif op[0] == "split":
                stack.extend(op[1:])
            elif op[0] == "assert" and (at == 0 if op[1] == "^" else at == end):
                stack.append(pc + 1)
        return seen

    # parsing: nodes are ("char", matcher), ("assert", "^"|"$"), ("cat", [..]), ("alt", [..]),
    # ("repeat", node, low, high or None)

    def _unsupported(self):
        near = self.pattern[self._pos : self._pos + 12]
        raise TargetError(
            f"target_modules {_short(self.pattern)} uses regex syntax deskpet does not run "
            f"(near {near!r}; use names, groups, |, ., classes and * + ? {{m,n}})"
        )

    def _peek(self) -> str:
        return self.pattern[self._pos] if self._pos < len(self.pattern) else ""

    def _alternation(self):
        branches = [self._sequence()]
        while self._peek() == "|":
            self._pos += 1
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def _sequence(self):
        items = []
        while self._peek() not in ("", "|", ")"):
            items.append(self._quantified(self._atom()))
        return ("cat", items)

    def _quantified(self, node):
        c = self._peek()
        if c in ("*", "+", "?"):
            self._pos += 1
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        elif c == "{":
            m = _QUANTIFIER.match(self.pattern, self._pos)
            if m is None or not (m[1] or m[3]):
                self._unsupported()
            counts = [int(n[:4]) for n in (m[1], m[3]) if n]  # 4 digits already exceed the cap
            if max(counts) > MAX_REPEAT:
                raise TargetError(f"target_modules repeats more than {MAX_REPEAT} times")
            low = int(m[1] or 0)
            high = low if not m[2] else (int(m[3]) if m[3] else None)
            self._pos = m.end()
        else:
            return node
        if self._peek() == "?":  # lazy: the same language, and fullmatch only asks yes or no
            self._pos += 1
        if self._peek() in ("*", "+", "?", "{"):  # possessive or stacked quantifiers
            self._unsupported()
        return ("repeat", node, low, high)

    def _atom(self):
        c = self._peek()
        self._pos += 1
        if c == "(":
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise TargetError(f"target_modules nests groups more than {MAX_DEPTH} deep")
            if self.pattern.startswith("?:", self._pos):
                self._pos += 2
            elif self.pattern.startswith("?P<", self._pos):
                self._pos = self.pattern.index(">", self._pos) + 1
            elif self._peek() == "?":
                self._pos -= 1
                self._unsupported()
            node = self._alternation()
            if self._peek() != ")":
                self._unsupported()
            self._pos += 1
            self._depth -= 1
            return node
        if c == "[":
            return ("char", self._char_class())
        if c == ".":
            return ("char", lambda ch: ch != "\n")
        if c in ("^", "$"):
            return ("assert", c)
        if c == "\\":
            return ("char", self._escape())
        return ("char", c.__eq__)

    def _escape(self) -> Matcher:
        c = self._peek()
        self._pos += 1
        if c in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[c]
        if c in _LITERAL_ESCAPES:
            return _LITERAL_ESCAPES[c].__eq__
        if c and not c.isalnum():
            return c.__eq__
        self._pos -= 2
        self._unsupported()  # backreferences, \b, \A, \x.. and the like

    def _char_class(self) -> Matcher:
        negate = self._peek() == "^"
        self._pos += negate
        tests: list[Matcher] = []
        first = True
        while first or self._peek() != "]":
            first = False
            c = self._peek()
            if not c or c == "[":
                self._unsupported()
            self._pos += 1
            if c == "\\":
                tests.append(self._escape())
                continue
            if self._peek() == "-" and self.pattern[self._pos + 1 : self._pos + 2] not in ("]", ""):
                high = self.pattern[self._pos + 1]
                if high == "\\":
                    self._unsupported()
                self._pos += 2
                tests.append(lambda ch, lo=c, hi=high: lo <= ch <= hi)
            else:
                tests.append(c.__eq__)
        self._pos += 1
        return lambda ch: any(t(ch) for t in tests) != negate

    # compiling to the Pike VM program: char, assert, jmp, split, match

    def _emit(self, op: tuple) -> int:
        if len(self.program) >= MAX_PROGRAM:
            raise TargetError("target_modules regex is too large once its repeats are expanded")
        self.program.append(op)
        return len(self.program) - 1

    def _emit_node(self, node) -> None:
        kind = node[0]
        if kind in ("char", "assert"):
            self._emit(node)
        elif kind == "cat":
            for item in node[1]:
                self._emit_node(item)
        elif kind == "alt":
            jumps = []
            for branch in node[1][:-1]:
                split = self._emit(("split",))
                self._emit_node(branch)
                jumps.append(self._emit(("jmp",)))
                self.program[split] = ("split", split + 1, len(self.program))
            self._emit_node(node[1][-1])
            for jump in jumps:
                self.program[jump] = ("jmp", len(self.program))
        else:
            _, body, low, high = node
            for _ in range(low):
                self._emit_node(body)
            if high is None:
                split = self._emit(("split",))
                self._emit_node(body)
                self._emit(("jmp", split))
                self.program[split] = ("split", split + 1, len(self.program))
            else:
                for _ in range(high - low):
                    split = self._emit(("split",))
                    self._emit_node(body)
                    self.program[split] = ("split", split + 1, len(self.program))
