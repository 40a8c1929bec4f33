"""HotKeys: the owner's keyboard shortcuts, by name ("chat", "allow", "deny"), rebindable.

Here (Linux, Windows, the tests) they are app-wide QAction shortcuts: they fire while a deskpet
window is active, from the windows the app adds `action(name)` to. On a Mac the platform gives
CarbonHotKeys (hotkeys_macos.py): the same names and rules, registered with the system's
hot-key API so they work while another app is in front, without Accessibility permission.

A binding that cannot be made (not a chord deskpet accepts, already used by another name, or
refused by the system) is refused with one line saying why, and the old binding stays. A name
can be bound but inactive (Allow and Deny while no permission card shows): an inactive shortcut
is not registered at all, so it never swallows the keys in another app.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence

from deskpet.i18n import Said
from deskpet.platform import keys
from deskpet.platform.keys import Chord, ShortcutError

log = logging.getLogger(__name__)

# The names as a refusal shows them ("… is already the shortcut for chat").
_SHOWN_NAMES = {"chat": Said("chat"), "allow": Said("allow"), "deny": Said("deny")}


class HotKeys(QObject):
    """Named shortcuts as app-wide QAction shortcuts (see the module docstring).

    Attributes:
        works_in_other_apps: whether the shortcuts fire while another app is in front.

    Signals:
        on_pressed(str): a shortcut was pressed (its name). Here an adopted action triggers
            itself instead; a system-wide hot key (CarbonHotKeys) always says on_pressed.
    """

    on_pressed = Signal(str)
    works_in_other_apps = False

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hot-keys")
        self._chords: dict[str, Chord | None] = {}
        self._active: dict[str, bool] = {}
        self._actions: dict[str, QAction] = {}
        self._adopted: set[str] = set()

    # -- what the app uses ---------------------------------------------------------------------

    def action(self, name: str) -> QAction:
        """The QAction carrying `name`'s shortcut here; add it to the windows it should fire
        from (an action fires only from windows that carry it)."""
        if name not in self._actions:
            action = QAction(name, self)
            action.setObjectName(f"shortcut-{name}")
            action.triggered.connect(lambda _checked=False, n=name: self.on_pressed.emit(n))
            self._prepare(action)
            self._actions[name] = action
        return self._actions[name]

    def adopt(self, name: str, action: QAction) -> None:
        """Carry `name` on an existing action (the tray's Chat… item), so the menu shows its
        keys and one press triggers it once."""
        self._prepare(action)
        self._actions[name] = action
        self._adopted.add(name)

    def keys(self, name: str) -> str:
        """The text `name` is bound to ("" when unbound)."""
        chord = self._chords.get(name)
        return chord.text if chord else ""

    def bind(self, name: str, text: str, active: bool = True) -> str:
        """Bind `name` to `text` ("Ctrl+Shift+Space"; "" unbinds). Returns "" when done, else
        one line saying why not (a Said: English, and `shown()` for the owner); the old binding
        then stays in place."""
        try:
            chord = keys.parse(text) if text.strip() else None
        except ShortcutError as exc:
            return Said("{keys}: {why}", keys=text, why=exc)
        for other, taken in self._chords.items():
            if chord is not None and other != name and taken == chord:
                return Said(
                    "{keys} is already the shortcut for {name}",
                    keys=chord.text,
                    name=_SHOWN_NAMES.get(other, other),
                )
        was = self._chords.get(name)
        if chord == was and name in self._chords:
            return self.set_active(name, active)
        if self._active.get(name):
            self._remove(name)
        if chord is not None and active:
            error = self._install(name, chord)
            if error:
                log.warning("shortcut %s refused: %s", name, error)
                if was is not None and self._active.get(name):
                    self._install(name, was)  # put the old one back
                return error
        self._chords[name] = chord
        self._active[name] = active and chord is not None
        return ""

    def set_active(self, name: str, on: bool) -> str:
        """Register (on) or unregister `name`'s bound shortcut; "" or why it could not."""
        chord = self._chords.get(name)
        if on == self._active.get(name, False) or chord is None:
            return ""
        if on:
            error = self._install(name, chord)
            if error:
                log.warning("shortcut %s not registered: %s", name, error)
                return error
        else:
            self._remove(name)
        self._active[name] = on
        return ""

    def active(self, name: str) -> bool:
        return self._active.get(name, False)

    def close(self) -> None:
        """Unregister everything (quit)."""
        for name, on in list(self._active.items()):
            if on:
                self._remove(name)
                self._active[name] = False

    # -- the platform's part -------------------------------------------------------------------

    def _prepare(self, action: QAction) -> None:
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)

    def _install(self, name: str, chord: Chord) -> str:
        """Make `chord` fire `name`; "" or why not."""
        self.action(name).setShortcut(QKeySequence(chord.text))
        return ""

    def _remove(self, name: str) -> None:
        self.action(name).setShortcut(QKeySequence())
