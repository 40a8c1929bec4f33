"""CarbonHotKeys: the owner's shortcuts as system-wide hot keys on a Mac.

RegisterEventHotKey (Carbon's HIToolbox, still the only hot-key API that needs no Accessibility
permission) through quickmachotkey, which binds it for pyobjc and installs one event handler
that calls `hotKeyHandlers[id]` for each press. Its decorator drops the registration's status,
which deskpet needs to refuse a taken key, so the functions it binds are called directly.

Imported only on macOS (MacPlatform.hot_keys). Every line whose effect only a Mac can show is
tagged MAC-CHECK (docs/release.md).
"""

from __future__ import annotations

import logging
import struct

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from deskpet.i18n import Said
from deskpet.platform.hotkeys import HotKeys
from deskpet.platform.keys import Chord

log = logging.getLogger(__name__)

# RegisterEventHotKey's options: exclusive, so a chord another app holds is refused, not shared.
EXCLUSIVE = 1
TAKEN = -9878  # eventHotKeyExistsErr
# Our ids in quickmachotkey's handler table, far above the ones its decorator counts from 1.
FIRST_ID = 0x6470_0000


class CarbonHotKeys(HotKeys):
    """HotKeys registered with the system (see the module docstring). Falls back to the app-wide
    shortcuts of HotKeys, with a log line, when quickmachotkey cannot be loaded."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._refs: dict[str, object] = {}
        self._ids: dict[str, int] = {}
        try:
            # MAC-CHECK: importing quickmachotkey installs its hot-key handler in the packaged app
            import quickmachotkey
            from quickmachotkey._MinimalHIToolbox import (
                GetEventDispatcherTarget,
                RegisterEventHotKey,
                UnregisterEventHotKey,
            )
        except Exception as exc:  # a missing or changed wrapper: shortcuts stay app-wide
            log.warning("global shortcuts off (quickmachotkey: %s); they work in deskpet only", exc)
            self._carbon = None
            return
        self._carbon = (quickmachotkey, GetEventDispatcherTarget, RegisterEventHotKey)
        self._unregister = UnregisterEventHotKey
        (self._signature,) = struct.unpack("@I", b"QMHK")  # the signature its handler expects
        self.works_in_other_apps = True

    def adopt(self, name: str, action: QAction) -> None:
        super().adopt(name, action)
        if self._carbon is not None:
            # The hot key fires instead; a second, menu shortcut would toggle the chat twice.
            action.setShortcut(QKeySequence())

    def _install(self, name: str, chord: Chord) -> str:
        if self._carbon is None:
            return super()._install(name, chord)
        module, target, register = self._carbon
        hot_key_id = self._ids.setdefault(name, FIRST_ID + len(self._ids))
        module.hotKeyHandlers[hot_key_id] = lambda n=name: self._pressed(n)
        code, mask = chord.carbon()
        # MAC-CHECK: a shortcut fires while another app is in front, with no Accessibility prompt
        status, ref = register(code, mask, (self._signature, hot_key_id), target(), EXCLUSIVE, None)
        if status != 0 or ref is None:
            # MAC-CHECK: a chord another app holds (Spotlight's Cmd+Space) is refused
            if status == TAKEN:
                return Said("{keys} is taken by another app", keys=chord.text)
            return Said("macOS refused {keys} (error {status})", keys=chord.text, status=status)
        self._refs[name] = ref
        return ""

    def _remove(self, name: str) -> None:
        if self._carbon is None:
            super()._remove(name)
            return
        ref = self._refs.pop(name, None)
        if ref is not None:
            # MAC-CHECK: with no card shown, the Allow and Deny keys reach the app in front
            self._unregister(ref)

    def _pressed(self, name: str) -> None:
        # Adopted actions too: the app opens or closes the chat on on_pressed("chat").
        self.on_pressed.emit(name)
