"""Shortcut text as the owner types it ("Ctrl+Shift+Space") -> the key the Mac's hot-key API
takes (a virtual key code and a modifier mask). Pure data, no Qt and no pyobjc: tested anywhere.

The text is Qt's portable form, which is what Settings stores. On a Mac, Qt reads "Ctrl" as the
Command key and "Meta" as Control, so the same text means the same keys in Qt's menus and in the
global hot key. Virtual key codes name key positions on an ANSI (US) keyboard, as Carbon's
Events.h (kVK_*) does; on another layout the key in that position is the one that fires.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskpet.i18n import Said

# Carbon modifier bits (Events.h: cmdKey, shiftKey, optionKey, controlKey), by Qt's names on a Mac.
CARBON_MODIFIERS: dict[str, int] = {
    "Ctrl": 0x0100,  # Command
    "Shift": 0x0200,
    "Alt": 0x0800,  # Option
    "Meta": 0x1000,  # Control
}

_LETTERS = dict(
    zip(
        "ASDFHGZXCVBQWERYTOUIPLJKNM",
        (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0C, 0x0D)
        + (0x0E, 0x0F, 0x10, 0x11, 0x1F, 0x20, 0x22, 0x23, 0x25, 0x26, 0x28, 0x2D, 0x2E),
        strict=True,
    )
)
_DIGITS = dict(
    zip("1234567890", (0x12, 0x13, 0x14, 0x15, 0x17, 0x16, 0x1A, 0x1C, 0x19, 0x1D), strict=True)
)
_FUNCTION = dict(
    zip(
        (f"F{n}" for n in range(1, 13)),
        (0x7A, 0x78, 0x63, 0x76, 0x60, 0x61, 0x62, 0x64, 0x65, 0x6D, 0x67, 0x6F),
        strict=True,
    )
)
_NAMED = {
    "Space": 0x31,
    "Return": 0x24,
    "Tab": 0x30,
    "Esc": 0x35,
    "Backspace": 0x33,
    "Left": 0x7B,
    "Right": 0x7C,
    "Down": 0x7D,
    "Up": 0x7E,
    "-": 0x1B,
    "=": 0x18,
    "[": 0x21,
    "]": 0x1E,
    ";": 0x29,
    "'": 0x27,
    ",": 0x2B,
    ".": 0x2F,
    "/": 0x2C,
    "\\": 0x2A,
    "`": 0x32,
}
CARBON_KEYCODES: dict[str, int] = _LETTERS | _DIGITS | _FUNCTION | _NAMED


class ShortcutError(ValueError):
    """Shortcut text deskpet cannot bind; the message (a Said) says why in words for the owner."""


@dataclass(frozen=True)
class Chord:
    """One key with its modifiers, e.g. Chord(("Ctrl", "Shift"), "Space").

    Attributes:
        modifiers: Qt's modifier names, in CARBON_MODIFIERS' order.
        key: the key's name in Qt's portable text (a key of CARBON_KEYCODES).
    """

    modifiers: tuple[str, ...]
    key: str

    @property
    def text(self) -> str:
        return "+".join((*self.modifiers, self.key))

    def carbon(self) -> tuple[int, int]:
        """(virtual key code, modifier mask) for RegisterEventHotKey."""
        mask = 0
        for name in self.modifiers:
            mask |= CARBON_MODIFIERS[name]
        return CARBON_KEYCODES[self.key], mask


def parse(text: str) -> Chord:
    """The chord in "Ctrl+Shift+Space"; ShortcutError when it is not one key with at least one
    modifier (a plain key bound for the whole desktop would swallow typing)."""
    parts = text.strip().split("+")
    if len(parts) > 1 and parts[-1] == "" and parts[-2] == "":
        parts = [*parts[:-2], "+"]  # "Ctrl++": the plus key itself
    *mods, key = parts
    if not key:
        raise ShortcutError(Said("no key given"))
    for name in mods:
        if name not in CARBON_MODIFIERS:
            raise ShortcutError(
                Said("{name} is not a modifier (Ctrl, Shift, Alt or Meta)", name=repr(name))
            )
    if len(set(mods)) != len(mods):
        raise ShortcutError(Said("a modifier is given twice"))
    if not mods:
        raise ShortcutError(Said("needs Ctrl, Alt or Meta (Command, Option or Control on a Mac)"))
    if set(mods) == {"Shift"}:
        raise ShortcutError(Said("Shift alone would take a capital letter from every app"))
    upper = key.upper() if len(key) == 1 else key
    if upper not in CARBON_KEYCODES:
        raise ShortcutError(Said("the key {key} cannot be a shortcut", key=repr(key)))
    ordered = tuple(name for name in CARBON_MODIFIERS if name in mods)
    return Chord(ordered, upper)
