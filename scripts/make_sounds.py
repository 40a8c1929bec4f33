#!/usr/bin/env python3
"""Generate deskpet's "done" sound, deterministically, with the standard library only.

    python scripts/make_sounds.py          # writes assets/sounds/done.wav

The sound plays when an agent finishes its turn: a soft rising major third (F5 then A5), round
like a felt mallet on wood (a strong fundamental, a faint octave, a slow attack) so it reads as
"finished" rather than the bell's brighter "come here" (assets/src/make_art.py writes the bell).
Mono, 16-bit, 44.1 kHz, half a second.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

SOUNDS_DIR = Path(__file__).resolve().parents[1] / "assets" / "sounds"
RATE = 44100
DURATION = 0.5  # seconds
PEAK = 0.45  # of full scale: quieter than the bell (0.7), which asks for the owner
# (start in seconds, frequency in Hz, loudness)
NOTES = ((0.0, 698.46, 0.8), (0.11, 880.0, 1.0))
# (frequency ratio, loudness, decay speed-up): mostly fundamental, so it sounds round
PARTIALS = ((1.0, 1.0, 1.0), (2.0, 0.12, 1.8), (3.0, 0.03, 2.6))
ATTACK = 0.012  # seconds: soft enough not to click, quick enough to sound struck
DECAY = 7.0  # per second
FADE = 0.12  # seconds of fade-out at the end, so the file never ends on a step


def samples() -> list[float]:
    """The sound as floats in [-PEAK, PEAK]."""
    n = int(RATE * DURATION)
    out = []
    for i in range(n):
        t = i / RATE
        v = 0.0
        for start, freq, amp in NOTES:
            tt = t - start
            if tt < 0:
                continue
            attack = math.sin(0.5 * math.pi * min(1.0, tt / ATTACK))
            for ratio, loudness, speed in PARTIALS:
                v += (
                    amp
                    * loudness
                    * attack
                    * math.exp(-tt * DECAY * speed)
                    * math.sin(2 * math.pi * freq * ratio * tt)
                )
        fade = 1.0 if t < DURATION - FADE else max(0.0, (DURATION - t) / FADE) ** 2
        out.append(v * fade)
    peak = max(abs(s) for s in out) or 1.0
    return [s * PEAK / peak for s in out]


def write_done(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(struct.pack("<h", int(round(s * 32767))) for s in samples())
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames)


def main() -> None:
    target = SOUNDS_DIR / "done.wav"
    write_done(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
