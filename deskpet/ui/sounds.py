"""The pet's sounds: the bell (an agent needs the owner) and the done chime (a turn finished).

    SoundGate   pure: may this sound play now, and how loud? (a clock is injected)
    Sounds      asks the gate with the owner's settings, then the platform plays the file

One cooldown is shared by every sound: parallel sessions finishing and asking at once make one
sound, not a medley. Do-not-disturb silences both; the done chime has its own on/off; one volume
(0-100) sets both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from deskpet.ui.theme import assets_dir

log = logging.getLogger(__name__)

BELL = "bell"
DONE = "done"
COOLDOWN = 10.0  # seconds after any sound during which no other one plays


def sound_file(name: str) -> Path:
    """The WAV file of a sound (BELL or DONE)."""
    return assets_dir() / "sounds" / f"{name}.wav"


def bell_sound() -> Path:
    return sound_file(BELL)


def done_sound() -> Path:
    return sound_file(DONE)


class SoundGate:
    """Decides whether a sound may play now; remembers when the last one did.

    Attributes:
        cooldown: seconds after a sound during which every other sound stays silent.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, cooldown: float = COOLDOWN):
        self.cooldown = cooldown
        self._clock = clock
        self._last: float | None = None

    def admit(self, name: str, *, volume: int, enabled: bool = True, quiet: bool = False) -> float:
        """The loudness (0.0-1.0) to play `name` at, or 0.0 to stay silent: silent when it is
        off, in do-not-disturb (`quiet`), at volume 0, or within the cooldown of the last sound.
        Only a sound let through starts a new cooldown."""
        if not enabled or quiet or volume <= 0:
            return 0.0
        now = self._clock()
        if self._last is not None and now - self._last < self.cooldown:
            log.debug("%s sound skipped: %.1f s after the last one", name, now - self._last)
            return 0.0
        self._last = now
        return min(volume, 100) / 100.0


class Sounds:
    """Plays the pet's sounds through the platform, as the owner's settings allow.

    `settings` needs `get(key)` and `do_not_disturb()`; `play(path, volume)` is the platform's
    (the one boundary to the speakers, replaced in tests).
    """

    def __init__(
        self,
        settings,
        play: Callable[[Path, float], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._play = play
        self.gate = SoundGate(clock)

    def play(self, name: str) -> bool:
        """Play BELL or DONE unless the gate says no; True when it was sent to the speakers."""
        volume = self.gate.admit(
            name,
            volume=self._settings.get("sound_volume"),
            enabled=name != DONE or bool(self._settings.get("done_sound")),
            quiet=self._settings.do_not_disturb(),
        )
        if not volume:
            return False
        try:
            self._play(sound_file(name), volume)
        except Exception as exc:  # a missing sound device is not worth a crash
            log.warning("could not play the %s sound: %s", name, exc)
            return False
        return True
