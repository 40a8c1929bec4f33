#!/usr/bin/env python3
"""Generate deskpet's original vector art, deterministically.

    python assets/src/make_art.py          # writes assets/themes/*, assets/icons/*, assets/sounds/bell.wav

Everything here is drawn from scratch in code: a round little creature ("Pip") built from a
superellipse body, big glossy eyes, stubby arms and feet, plus per-theme accessories and props.
Every frame is a plain SVG (viewBox 0 0 256 256, transparent background) that Qt's SVG Tiny
renderer (PySide6.QtSvg.QSvgRenderer) draws crisply at any scale; only paths, ellipses, circles,
rects, groups, transforms, opacity and linear/radial gradients are used (no filters, masks,
clip paths or text), so no fonts are needed either.

The PNG icons and the contact sheet need PySide6 (run with the project's .venv); the SVGs, the
theme.yaml files and the bell sound need only the standard library.
"""

from __future__ import annotations

import io
import math
import os
import struct
import sys
import wave
from dataclasses import dataclass, field
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1]
THEMES_DIR = ASSETS / "themes"
ICONS_DIR = ASSETS / "icons"
SOUNDS_DIR = ASSETS / "sounds"

FLOOR = 214.0  # world y of the feet / ground contact
CX = 128.0  # world x of the body centre
BODY_W = 150.0
BODY_H = 128.0


# --------------------------------------------------------------------------------------------
# small helpers


def f(v: float) -> str:
    """Compact number formatting (1 decimal, no trailing zeros)."""
    s = f"{v:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    if s == "-0":
        s = "0"
    return s


def pt(x: float, y: float) -> str:
    return f"{f(x)},{f(y)}"


def smooth_closed(pts: list[tuple[float, float]], tension: float = 1 / 6) -> str:
    """Closed Catmull-Rom spline through pts, as cubic Beziers."""
    n = len(pts)
    d = [f"M{pt(*pts[0])}"]
    for i in range(n):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[(i + 1) % n], pts[(i + 2) % n]
        c1 = (p1[0] + (p2[0] - p0[0]) * tension, p1[1] + (p2[1] - p0[1]) * tension)
        c2 = (p2[0] - (p3[0] - p1[0]) * tension, p2[1] - (p3[1] - p1[1]) * tension)
        d.append(f"C{pt(*c1)} {pt(*c2)} {pt(*p2)}")
    return "".join(d) + "Z"


def smooth_open(pts: list[tuple[float, float]], tension: float = 1 / 6) -> str:
    n = len(pts)
    d = [f"M{pt(*pts[0])}"]
    for i in range(n - 1):
        p0 = pts[i - 1] if i > 0 else pts[0]
        p1, p2 = pts[i], pts[i + 1]
        p3 = pts[i + 2] if i + 2 < n else pts[-1]
        c1 = (p1[0] + (p2[0] - p0[0]) * tension, p1[1] + (p2[1] - p0[1]) * tension)
        c2 = (p2[0] - (p3[0] - p1[0]) * tension, p2[1] - (p3[1] - p1[1]) * tension)
        d.append(f"C{pt(*c1)} {pt(*c2)} {pt(*p2)}")
    return "".join(d)


def stroke(d: str, color: str, width: float, extra: str = "") -> str:
    return (
        f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{f(width)}" '
        f'stroke-linecap="round" stroke-linejoin="round"{extra}/>'
    )


def fillp(d: str, color: str, outline: str | None = None, width: float = 5, extra: str = "") -> str:
    s = f' stroke="{outline}" stroke-width="{f(width)}" stroke-linejoin="round"' if outline else ""
    return f'<path d="{d}" fill="{color}"{s}{extra}/>'


def ellipse(cx, cy, rx, ry, color, outline=None, width=5.0, extra="") -> str:
    s = f' stroke="{outline}" stroke-width="{f(width)}"' if outline else ""
    return (
        f'<ellipse cx="{f(cx)}" cy="{f(cy)}" rx="{f(rx)}" ry="{f(ry)}" fill="{color}"{s}{extra}/>'
    )


def circle(cx, cy, r, color, outline=None, width=5.0, extra="") -> str:
    s = f' stroke="{outline}" stroke-width="{f(width)}"' if outline else ""
    return f'<circle cx="{f(cx)}" cy="{f(cy)}" r="{f(r)}" fill="{color}"{s}{extra}/>'


def rrect(x, y, w, h, r, color, outline=None, width=4.0, extra="") -> str:
    s = f' stroke="{outline}" stroke-width="{f(width)}" stroke-linejoin="round"' if outline else ""
    return (
        f'<rect x="{f(x)}" y="{f(y)}" width="{f(w)}" height="{f(h)}" rx="{f(r)}" ry="{f(r)}" '
        f'fill="{color}"{s}{extra}/>'
    )


def group(inner: list[str] | str, transform: str = "", extra: str = "") -> str:
    if isinstance(inner, list):
        inner = "".join(inner)
    t = f' transform="{transform}"' if transform else ""
    return f"<g{t}{extra}>{inner}</g>"


def capsule(x1, y1, x2, y2, fill, outline, w=13.0, ow=4.5) -> str:
    """A stubby limb: an outlined round-capped line."""
    d = f"M{pt(x1, y1)}L{pt(x2, y2)}"
    return stroke(d, outline, w + 2 * ow) + stroke(d, fill, w)


def star4(x, y, r, color, outline=None, rot=0.0) -> str:
    """A four-pointed twinkle."""
    pts = []
    for i in range(8):
        a = math.radians(rot + i * 45)
        rr = r if i % 2 == 0 else r * 0.36
        pts.append((x + rr * math.sin(a), y - rr * math.cos(a)))
    d = "M" + "L".join(pt(*p) for p in pts) + "Z"
    return fillp(d, color, outline, 2.5) if outline else fillp(d, color)


def mix(c1: str, c2: str, t: float) -> str:
    a = [int(c1[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(c2[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


# --------------------------------------------------------------------------------------------
# themes


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    description: str
    body: str
    belly: str
    outline: str
    cheek: str
    eye: str
    eye_hi: str = "#ffffff"
    inner: str = "#ff9fb4"  # inner ears etc.
    accent: str = "#ffd34d"  # sparkles, bell
    accent2: str = "#7ec8ff"  # sweat, glass
    mouth: str = "#7a2b3c"
    tongue: str = "#ff8a9e"
    ears: str = "round"  # round | cat | bolt | tufts
    top: str = "curl"  # curl | none | antenna | sprout
    tail: str = "nub"  # nub | cat | plug | feather
    face: str = "plain"  # plain | whiskers | visor | disc
    belly_style: str = "oval"  # oval | panel | feathers | muzzle
    mouth_dy: float = 0.0
    beak: str = ""  # beak colour (owl-ish themes draw a beak instead of a mouth)


THEMES = [
    Theme(
        id="deskpet",
        name="Pip (deskpet)",
        description="The default deskpet: a round mint mochi-creature with big eyes and a curl.",
        body="#86dcc6",
        belly="#e6fbf3",
        outline="#24414a",
        cheek="#ff9fb4",
        eye="#1d2838",
        ears="round",
        top="curl",
        tail="nub",
    ),
    Theme(
        id="neko",
        name="Neko",
        description="A warm ginger blob-cat with pointy ears, whiskers and tabby stripes.",
        body="#ffb46e",
        belly="#fff1dc",
        outline="#5a3120",
        cheek="#ff8f8f",
        eye="#2e1c16",
        inner="#ff9aa8",
        accent="#ffe066",
        ears="cat",
        top="none",
        tail="cat",
        face="whiskers",
        belly_style="muzzle",
    ),
    Theme(
        id="bolt",
        name="Bolt",
        description="A cool little robot-blob with an antenna, a visor face and a plug tail.",
        body="#a9c4ee",
        belly="#dde9fb",
        outline="#1d2a4b",
        cheek="#ff7fae",
        eye="#7ff4ff",
        eye_hi="#ffffff",
        inner="#5d74a8",
        accent="#ffe14d",
        accent2="#7ff4ff",
        mouth="#1d2a4b",
        tongue="#ff7fae",
        ears="bolt",
        top="antenna",
        tail="plug",
        face="visor",
        belly_style="panel",
        mouth_dy=2.0,
    ),
    Theme(
        id="sage",
        name="Sage",
        description="A calm, leafy owl-ish blob with feather tufts, a sprout and a soft facial disc.",
        body="#a3c98e",
        belly="#f1f4dc",
        outline="#2f4631",
        cheek="#f7a98f",
        eye="#27301f",
        inner="#7ea56b",
        accent="#ffe27a",
        mouth="#6b3a2a",
        ears="tufts",
        top="sprout",
        tail="feather",
        face="disc",
        belly_style="feathers",
        beak="#f2b447",
    ),
]


# --------------------------------------------------------------------------------------------
# the character


def body_points(n: int = 28) -> list[tuple[float, float]]:
    """Mochi silhouette in local coords: origin at bottom centre, y up is negative."""
    a, b = BODY_W / 2, BODY_H / 2
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        c, s = math.cos(t), math.sin(t)
        e = 2.25 if s > 0 else 3.6  # rounder dome on top, flatter bottom
        x = a * math.copysign(abs(c) ** (2 / e), c)
        y = b * math.copysign(abs(s) ** (2 / e), s)
        if s > 0:
            x *= 1 - 0.07 * s  # a little narrower on top: egg / mochi
        pts.append((x, -b - y))
    return pts


BODY_D = smooth_closed(body_points())

EYE_X, EYE_Y, ERX, ERY = 28.0, -70.0, 12.0, 15.0
MOUTH_Y = -50.0


@dataclass
class Pose:
    sx: float = 1.0
    sy: float = 1.0
    dx: float = 0.0
    dy: float = 0.0
    rot: float = 0.0
    pivot_top: bool = False
    eyes: str = "open"  # open half sleepy closed happy wide dizzy squeeze
    look: tuple[float, float] = (0.0, 0.0)
    brows: str = ""  # worried focus raised
    mouth: str = "cat"  # cat smile open mid o big yawn line wavy frown tiny
    cheeks: float = 1.0
    # hands in local coords; None = resting nub behind the body
    lhand: tuple[float, float] | None = None
    rhand: tuple[float, float] | None = None
    arms_front: bool = True
    feet: str = "stand"  # stand | dangle | tuck
    shadow: float = 1.0
    props: list = field(default_factory=list)  # callables (theme, pose) -> (under, over) in local
    fx: list = field(default_factory=list)  # callables (theme) -> str in world coords
    blush_extra: bool = False


def draw_eye(t: Theme, x: float, y: float, kind: str, look, side: int) -> str:
    lx, ly = look
    ex, ey = x + lx * 3.5, y + ly * 3.0
    col, hi = t.eye, t.eye_hi
    out = []
    if kind == "open":
        out.append(ellipse(ex, ey, ERX, ERY, col))
        out.append(ellipse(ex - 3.6 + lx * 1.5, ey - 5.5 + ly, 4.6, 5.2, hi))
        out.append(circle(ex + 4.2 + lx * 1.0, ey + 5.5, 2.2, hi))
    elif kind == "half":
        # half-closed (mid-blink): a relaxed lid arching over the lower half of the eye
        d = f"M{pt(ex - ERX, ey)}Q{pt(ex, ey - 9)} {pt(ex + ERX, ey)}A{f(ERX)} {f(ERY)} 0 0 1 {pt(ex - ERX, ey)}Z"
        out.append(fillp(d, col))
        out.append(circle(ex - 4 + lx, ey + 3, 2.6, hi))
    elif kind == "sleepy":
        # drowsy: a heavy, relaxed lid over the bottom of the eye (a soft lens shape)
        d = f"M{pt(ex - ERX, ey + 4)}Q{pt(ex, ey - 3)} {pt(ex + ERX, ey + 4)}Q{pt(ex + ERX - 1, ey + 14)} {pt(ex, ey + 14)}Q{pt(ex - ERX + 1, ey + 14)} {pt(ex - ERX, ey + 4)}Z"
        out.append(fillp(d, col))
        out.append(circle(ex - 4 + lx, ey + 8, 2.0, hi))
    elif kind == "closed":
        out.append(
            stroke(
                f"M{pt(ex - ERX + 1, ey + 1)}Q{pt(ex, ey + 10)} {pt(ex + ERX - 1, ey + 1)}",
                col,
                4.6,
            )
        )
    elif kind == "happy":
        out.append(
            stroke(
                f"M{pt(ex - ERX + 1, ey + 4)}Q{pt(ex, ey - 11)} {pt(ex + ERX - 1, ey + 4)}",
                col,
                4.8,
            )
        )
    elif kind == "wide":
        white = "#ffffff" if t.face != "visor" else "#22304f"
        out.append(
            ellipse(
                ex, ey - 1, ERX + 1.5, ERY + 2, white, t.outline if t.face != "visor" else col, 3.5
            )
        )
        out.append(circle(ex + lx * 4, ey + ly * 4, 6.2, col))
        out.append(
            circle(
                ex + lx * 4 - 2,
                ey + ly * 4 - 2.2,
                2.0,
                "#ffffff" if t.face != "visor" else "#22304f",
            )
        )
    elif kind == "dizzy":
        pts = []
        turns = 2.3
        for i in range(40):
            a = i / 39 * turns * 2 * math.pi
            r = 1.0 + 11.0 * i / 39
            pts.append((ex + side * r * math.cos(a), ey + r * math.sin(a) * 1.1))
        out.append(stroke(smooth_open(pts), col, 3.2))
    elif kind == "squeeze":  # > <
        s = -side
        out.append(
            stroke(
                f"M{pt(ex - 8 * s, ey - 9)}L{pt(ex + 8 * s, ey)}L{pt(ex - 8 * s, ey + 9)}", col, 4.8
            )
        )
    elif kind == "line":
        out.append(stroke(f"M{pt(ex - ERX, ey + 2)}L{pt(ex + ERX, ey + 2)}", col, 4.4))
    return "".join(out)


def draw_brows(t: Theme, kind: str, look) -> str:
    if not kind or t.face == "visor":  # the robot emotes with its screen eyes only
        return ""
    out = []
    for side in (-1, 1):
        x = side * EYE_X + look[0] * 2
        y = EYE_Y - ERY - 9
        if kind == "worried":  # inner ends up
            d = f"M{pt(x - side * 9, y + 3)}L{pt(x + side * 7, y - 3)}"
        elif kind == "focus":  # inner ends down
            d = f"M{pt(x - side * 9, y - 2)}L{pt(x + side * 7, y + 3)}"
        else:  # raised
            d = f"M{pt(x - 9, y - 1)}Q{pt(x, y - 8)} {pt(x + 9, y - 1)}"
        out.append(stroke(d, t.outline, 3.6))
    return "".join(out)


def draw_beak(t: Theme, kind: str) -> str:
    y = MOUTH_Y - 4
    o, b = t.outline, t.beak
    gap = {"open": 6, "mid": 3, "big": 9, "yawn": 11, "o": 4}.get(kind, 0)
    if not gap:
        d = f"M{pt(-7, y - 3)}Q{pt(0, y - 6)} {pt(7, y - 3)}Q{pt(3, y + 5)} {pt(0, y + 8)}Q{pt(-3, y + 5)} {pt(-7, y - 3)}Z"
        return fillp(d, b, o, 3)
    upper = f"M{pt(-7, y - 3)}Q{pt(0, y - 6)} {pt(7, y - 3)}Q{pt(3, y + 2)} {pt(0, y + 4)}Q{pt(-3, y + 2)} {pt(-7, y - 3)}Z"
    lower = f"M{pt(-5.5, y + 3 + gap)}Q{pt(0, y + 1 + gap)} {pt(5.5, y + 3 + gap)}Q{pt(2, y + 8 + gap)} {pt(0, y + 9 + gap)}Q{pt(-2, y + 8 + gap)} {pt(-5.5, y + 3 + gap)}Z"
    inside = ellipse(0, y + 3 + gap / 2, 6, gap / 2 + 3, t.mouth)
    return inside + fillp(lower, b, o, 3) + fillp(upper, b, o, 3)


def draw_mouth(t: Theme, kind: str) -> str:
    if t.beak:
        return draw_beak(t, kind)
    y = MOUTH_Y + t.mouth_dy
    o, m, tg = t.outline, t.mouth, t.tongue
    if kind == "cat":
        return stroke(
            f"M{pt(-8, y - 1)}Q{pt(-4, y + 4.5)} {pt(0, y)}Q{pt(4, y + 4.5)} {pt(8, y - 1)}", o, 3.4
        )
    if kind == "smile":
        return stroke(f"M{pt(-7, y - 1)}Q{pt(0, y + 6)} {pt(7, y - 1)}", o, 3.4)
    if kind == "line":
        return stroke(f"M{pt(-5, y + 1)}L{pt(5, y + 1)}", o, 3.4)
    if kind == "tiny":
        return stroke(f"M{pt(-3, y + 1)}Q{pt(0, y + 3)} {pt(3, y + 1)}", o, 3.0)
    if kind == "frown":
        return stroke(f"M{pt(-7, y + 4)}Q{pt(0, y - 3)} {pt(7, y + 4)}", o, 3.4)
    if kind == "wavy":
        return stroke(
            f"M{pt(-10, y + 1)}Q{pt(-7.5, y - 3)} {pt(-5, y + 1)}Q{pt(-2.5, y + 5)} {pt(0, y + 1)}"
            f"Q{pt(2.5, y - 3)} {pt(5, y + 1)}Q{pt(7.5, y + 5)} {pt(10, y + 1)}",
            o,
            3.2,
        )
    if kind in ("open", "mid"):
        ry = 6.5 if kind == "open" else 3.8
        return ellipse(0, y + 2, 7, ry, m, o, 3.0) + (
            ellipse(0, y + 2 + ry * 0.45, 4.2, ry * 0.38, tg) if kind == "open" else ""
        )
    if kind == "o":
        return ellipse(0, y + 2, 4.6, 5.2, m, o, 3.0)
    if kind == "big":
        d = f"M{pt(-12, y - 3)}Q{pt(0, y - 1)} {pt(12, y - 3)}Q{pt(11, y + 13)} {pt(0, y + 13)}Q{pt(-11, y + 13)} {pt(-12, y - 3)}Z"
        return fillp(d, m, o, 3.0) + ellipse(0, y + 8.5, 6, 3.2, tg)
    if kind == "yawn":
        return ellipse(0, y + 3, 8.5, 11.5, m, o, 3.0) + ellipse(0, y + 9, 5.5, 4.0, tg)
    return ""


def draw_ears(t: Theme) -> str:
    o, b = t.outline, t.body
    if t.ears == "round":
        out = []
        for s in (-1, 1):
            out.append(circle(s * 42, -114, 17, b, o, 5))
            out.append(circle(s * 42, -114, 8.5, t.inner))
        return "".join(out)
    if t.ears == "cat":
        out = []
        for s in (-1, 1):
            d = f"M{pt(s * 16, -116)}Q{pt(s * 30, -140)} {pt(s * 44, -152)}Q{pt(s * 58, -130)} {pt(s * 66, -98)}Z"
            out.append(fillp(d, b, o, 5))
            d2 = f"M{pt(s * 28, -118)}Q{pt(s * 36, -132)} {pt(s * 43, -140)}Q{pt(s * 51, -124)} {pt(s * 55, -106)}Z"
            out.append(fillp(d2, t.inner))
        return "".join(out)
    if t.ears == "bolt":
        out = []
        for s in (-1, 1):
            out.append(rrect(s * 74 - 9, -86, 18, 30, 7, t.inner, o, 4.5))
            out.append(stroke(f"M{pt(s * 74, -80)}L{pt(s * 74, -62)}", t.belly, 3.5))
        return "".join(out)
    if t.ears == "tufts":
        # owl-ish feather tufts: two pointed feathers per side, leaning outward
        out = []
        for s in (-1, 1):
            for ang, ln, col in ((-52, 40, mix(t.inner, t.outline, 0.15)), (-30, 46, t.inner)):
                a = math.radians(180 - ang if s < 0 else ang)
                bx, by = s * 34, -112
                tx, ty = bx + ln * math.cos(a), by + ln * math.sin(a)
                nx, ny = -math.sin(a) * 10, math.cos(a) * 10
                mx, my = (bx + tx) / 2, (by + ty) / 2
                d = f"M{pt(bx, by)}Q{pt(mx + nx, my + ny)} {pt(tx, ty)}Q{pt(mx - nx, my - ny)} {pt(bx, by)}Z"
                out.append(fillp(d, col, o, 4.5))
        return "".join(out)
    return ""


def draw_top(t: Theme, pose: Pose) -> str:
    o = t.outline
    if t.top == "curl":
        d = f"M{pt(-2, -126)}C{pt(-8, -142)} {pt(10, -152)} {pt(14, -140)}C{pt(17, -131)} {pt(6, -130)} {pt(6, -137)}"
        return stroke(d, o, 9.5) + stroke(d, t.body, 4.0)
    if t.top == "antenna":
        d = f"M{pt(0, -127)}L{pt(0, -147)}"
        glow = t.accent
        return (
            stroke(d, o, 5) + circle(0, -152, 8, glow, o, 4) + circle(-2.5, -154.5, 2.4, "#ffffff")
        )
    if t.top == "sprout":
        stem = f"M{pt(0, -126)}Q{pt(1, -138)} {pt(-2, -146)}"
        leaf1 = f"M{pt(-2, -144)}Q{pt(-20, -160)} {pt(-30, -146)}Q{pt(-16, -136)} {pt(-2, -144)}Z"
        leaf2 = f"M{pt(-1, -142)}Q{pt(12, -162)} {pt(26, -154)}Q{pt(16, -138)} {pt(-1, -142)}Z"
        leaf_c = "#6fb35a"
        return (
            stroke(stem, o, 4.5)
            + fillp(leaf1, leaf_c, o, 3.5)
            + fillp(leaf2, mix(leaf_c, "#ffffff", 0.2), o, 3.5)
        )
    return ""


def draw_tail(t: Theme) -> str:
    o, b = t.outline, t.body
    if t.tail == "nub":
        return circle(70, -22, 13, b, o, 5)
    if t.tail == "cat":
        d = smooth_open([(54, -18), (76, -24), (85, -44), (80, -63), (88, -77)])
        tip = smooth_open([(83, -56), (80, -63), (88, -77)])
        return stroke(d, o, 19) + stroke(d, b, 10) + stroke(tip, mix(b, "#7a3a18", 0.35), 10)
    if t.tail == "plug":
        d = smooth_open([(60, -16), (84, -12), (96, -26), (90, -42)])
        return (
            stroke(d, o, 9)
            + stroke(d, t.inner, 4)
            + rrect(82, -60, 16, 18, 4, t.inner, o, 4)
            + stroke(f"M{pt(86, -60)}L{pt(86, -68)}M{pt(94, -60)}L{pt(94, -68)}", o, 3.5)
        )
    if t.tail == "feather":
        out = []
        for a, ln in ((-30, 30), (-5, 34), (20, 28)):
            r = math.radians(a)
            x2, y2 = 62 + ln * math.cos(r), -18 + ln * math.sin(r)
            d = f"M{pt(56, -18)}Q{pt((56 + x2) / 2 + 4 * math.sin(r), (-18 + y2) / 2 - 8)} {pt(x2, y2)}Q{pt((56 + x2) / 2, (-18 + y2) / 2 + 6)} {pt(56, -14)}Z"
            out.append(fillp(d, t.inner, o, 4))
        return "".join(out)
    return ""


def draw_belly(t: Theme) -> str:
    o = t.outline
    if t.belly_style == "oval":
        return ellipse(0, -24, 42, 21, t.belly)
    if t.belly_style == "muzzle":
        return ellipse(0, -24, 44, 21, t.belly) + "".join(
            stroke(f"M{pt(x, -122)}L{pt(x * 0.8, -110)}", mix(t.body, "#8a3f14", 0.45), 5)
            for x in (-12, 0, 12)
        )
    if t.belly_style == "panel":
        bolt = f"M{pt(3, -33)}L{pt(-7, -20)}L{pt(0, -20)}L{pt(-4, -9)}L{pt(8, -24)}L{pt(1, -24)}Z"
        return (
            rrect(-30, -37, 60, 31, 10, t.belly, o, 3.5)
            + fillp(bolt, t.accent, o, 2.2)
            + "".join(circle(x, -22, 2.6, t.inner) for x in (-20, 20))
        )
    if t.belly_style == "feathers":
        out = [ellipse(0, -24, 42, 21, t.belly)]
        c = mix(t.belly, t.body, 0.55)
        for yy, xs in ((-34, (-16, 0, 16)), (-22, (-24, -8, 8, 24))):
            for x in xs:
                out.append(stroke(f"M{pt(x - 6, yy)}Q{pt(x, yy + 7)} {pt(x + 6, yy)}", c, 3.0))
        return "".join(out)
    return ""


def draw_face_base(t: Theme, pose: Pose) -> str:
    o = t.outline
    if t.face == "visor":
        return rrect(-50, EYE_Y - 21, 100, 39, 19.5, "#22304f", o, 4)
    if t.face == "disc":
        return "".join(
            ellipse(s * EYE_X, EYE_Y + 1, 22, 23, mix(t.belly, t.body, 0.25)) for s in (-1, 1)
        )
    return ""


def draw_face_extra(t: Theme, pose: Pose) -> str:
    if t.face == "whiskers":
        out = []
        for s in (-1, 1):
            for dy, ang in ((-4, -8), (3, 6)):
                x0 = s * 52
                out.append(
                    stroke(
                        f"M{pt(x0, MOUTH_Y + dy)}L{pt(x0 + s * 22, MOUTH_Y + dy + ang * 0.8)}",
                        t.outline,
                        2.6,
                    )
                )
        return "".join(out)
    return ""


def draw_cheeks(t: Theme, pose: Pose) -> str:
    if pose.cheeks <= 0:
        return ""
    op = 0.55 * pose.cheeks + (0.25 if pose.blush_extra else 0)
    if t.face == "visor":
        return "".join(
            rrect(s * 46 - 7, -44, 14, 5, 2.5, t.cheek, extra=f' opacity="{f(min(op + 0.3, 1))}"')
            for s in (-1, 1)
        )
    rx = 9.5 if not pose.blush_extra else 11
    return "".join(
        ellipse(s * 45, -50, rx, 5.5, t.cheek, extra=f' opacity="{op:.2f}"') for s in (-1, 1)
    )


def draw_feet(t: Theme, pose: Pose) -> str:
    o, b = t.outline, t.body
    out = []
    for s in (-1, 1):
        if pose.feet == "stand":
            out.append(ellipse(s * 27, -3, 16, 9, b, o, 4.5))
        elif pose.feet == "dangle":
            out.append(ellipse(s * 22, 8 - (s * 2), 11, 14, b, o, 4.5))
        elif pose.feet == "tuck":
            out.append(ellipse(s * 30, -2, 14, 7, b, o, 4.5))
        elif pose.feet in ("step1", "step2"):  # walking: one foot forward and lifted
            up = (s == -1) == (pose.feet == "step1")
            out.append(ellipse(s * 27 + (8 if up else -4), -8 if up else -3, 16, 9, b, o, 4.5))
    return "".join(out)


ARM_REST = {-1: (-78, -34), 1: (78, -34)}
SHOULDER = {-1: (-52, -50), 1: (52, -50)}
BODY_C = (0.0, -BODY_H / 2)


def inside_body(x: float, y: float) -> bool:
    a, b = BODY_W / 2, BODY_H / 2
    v = (y + b) / b  # -1 top .. +1 bottom
    e = 2.25 if v < 0 else 3.6
    if v < 0:
        a *= 1 - 0.07 * min(1.0, abs(v))
    return abs(x / a) ** e + abs(v) ** e <= 1.0


def arm_geometry(
    side: int, hand, min_reach: float = 24.0
) -> tuple[str, tuple[float, float], tuple[float, float]]:
    """'merge' arms grow out of the silhouette (hand outside the body); 'front' arms lie over it."""
    hx, hy = hand
    if not inside_body(hx, hy):
        cx, cy = BODY_C
        lo, hi = 0.0, 1.0  # fraction from hand toward centre; find the body edge
        for _ in range(30):
            m = (lo + hi) / 2
            if inside_body(hx + (cx - hx) * m, hy + (cy - hy) * m):
                hi = m
            else:
                lo = m
        ex, ey = hx + (cx - hx) * hi, hy + (cy - hy) * hi
        dist = math.hypot(cx - hx, cy - hy) or 1.0
        inset = 12.0
        ux, uy = (hx - cx) / dist, (hy - cy) / dist
        reach = math.hypot(hx - ex, hy - ey)
        if reach < min_reach:  # keep raised arms visible outside the silhouette
            hx, hy = ex + ux * min_reach, ey + uy * min_reach
        return "merge", (ex - ux * inset, ey - uy * inset), (hx, hy)
    sx, sy = SHOULDER[side]
    dist = math.hypot(sx - hx, sy - hy)
    if dist > 30:
        sx, sy = hx + (sx - hx) / dist * 30, hy + (sy - hy) / dist * 30
    return "front", (sx, sy), hand


def arm_parts(t: Theme, side: int, hand, rest: bool = False) -> tuple[str, str]:
    """(drawn before the body, drawn after it)"""
    mode, (sx, sy), (hx, hy) = arm_geometry(side, hand, 0.0 if rest else 24.0)
    d = f"M{pt(sx, sy)}L{pt(hx, hy)}"
    w, ow = 13.0, 4.5
    if mode == "merge":
        return stroke(d, t.outline, w + 2 * ow), stroke(d, "url(#bodyShade)", w)
    return "", stroke(d, t.outline, w + 2 * ow) + stroke(d, "url(#bodyShade)", w)


def shadow(scale: float) -> str:
    if scale <= 0:
        return ""
    return ellipse(
        CX, FLOOR + 4, 62 * scale, 9 * scale, "#000000", extra=f' opacity="{0.16 * scale:.2f}"'
    )


def render(t: Theme, pose: Pose) -> str:
    """One frame as a complete SVG document."""
    local: list[str] = []
    under, over = [], []
    for p in pose.props:
        u, o = p(t, pose)
        under.append(u)
        over.append(o)

    hands = {-1: pose.lhand or ARM_REST[-1], 1: pose.rhand or ARM_REST[1]}
    rest = {-1: pose.lhand is None, 1: pose.rhand is None}
    arms = {side: arm_parts(t, side, h, rest[side]) for side, h in hands.items()}
    merged = [arms[s][1] for s in (-1, 1) if arms[s][0]]
    local.append(draw_tail(t))
    local.extend(arms[s][0] for s in (-1, 1))
    local.append(draw_ears(t))
    local.append(draw_top(t, pose))
    # body with soft radial shading
    local.append(fillp(BODY_D, "url(#bodyShade)", t.outline, 5))
    local.extend(merged)
    local.append(draw_belly(t))
    local.append(
        ellipse(
            -36, -108, 13, 6.5, "#ffffff", extra=' opacity="0.55" transform="rotate(-28 -36 -108)"'
        )
    )
    local.append(draw_face_base(t, pose))
    local.append(draw_cheeks(t, pose))
    for side in (-1, 1):
        local.append(draw_eye(t, side * EYE_X, EYE_Y, pose.eyes, pose.look, side))
    local.append(draw_brows(t, pose.brows, pose.look))
    local.append(draw_mouth(t, pose.mouth))
    local.append(draw_face_extra(t, pose))
    local.append(draw_feet(t, pose))
    local.extend(under)
    local.extend(arms[s][1] for s in (-1, 1) if not arms[s][0])
    local.extend(over)

    tr = f"translate({f(CX + pose.dx)} {f(FLOOR + pose.dy)})"
    if pose.rot:
        tr += f" rotate({f(pose.rot)} 0 {f(-BODY_H if pose.pivot_top else 0)})"
    if pose.sx != 1 or pose.sy != 1:
        tr += f" scale({pose.sx:g} {pose.sy:g})"

    light = mix(t.body, "#ffffff", 0.35)
    dark = mix(t.body, t.outline, 0.18)
    defs = (
        "<defs>"
        f'<radialGradient id="bodyShade" gradientUnits="userSpaceOnUse" cx="-20" cy="-92" r="112" fx="-26" fy="-100">'
        f'<stop offset="0" stop-color="{light}"/><stop offset="0.55" stop-color="{t.body}"/>'
        f'<stop offset="1" stop-color="{dark}"/></radialGradient>'
        "</defs>"
    )
    fx = "".join(e(t) for e in pose.fx)
    body = group([s for s in local if s], tr)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256" width="256" height="256">'
        f"{defs}{shadow(pose.shadow)}{body}{fx}</svg>\n"
    )


# --------------------------------------------------------------------------------------------
# props (drawn in local coords, inside the body transform) -> (under_arms, over_arms)


def keyboard(pressed: int):
    def p(t: Theme, pose: Pose):
        o = t.outline
        out = [rrect(-54, -34, 108, 30, 8, "#4b5470", o, 4.5)]
        keys = [(-44 + c * 15, -28 + r * 9) for r in range(2) for c in range(7)]
        for i, (x, y) in enumerate(keys):
            col = t.accent if i == pressed else "#e4ebf5"
            out.append(rrect(x, y, 12, 6.5, 2, col))
        out.append(rrect(-24, -13, 48, 5.5, 2.5, "#e4ebf5"))
        return "".join(out), ""

    return p


def paper_pencil(progress: int, hand):
    def p(t: Theme, pose: Pose):
        o = t.outline
        paper = group(
            [
                rrect(-44, -40, 82, 38, 4, "#fffdf6", o, 4),
                stroke(f"M{pt(-34, -30)}L{pt(20, -30)}", "#c7cfe0", 2.5),
                stroke(f"M{pt(-34, -21)}L{pt(26, -21)}", "#c7cfe0", 2.5),
                stroke(f"M{pt(-34, -12)}L{pt(10, -12)}", "#c7cfe0", 2.5),
            ],
            "rotate(-6 0 -20)",
        )
        # scribble that grows with progress
        pts = [(-32 + i * 6, -24 + (3 if i % 2 else -3)) for i in range(2 + progress * 2)]
        scrib = stroke(smooth_open(pts), "#3c64c8", 2.6) if len(pts) > 1 else ""
        hx, hy = hand
        # pencil held in the right hand, tip toward lower left
        tip = (hx - 16, hy + 14)
        end = (hx + 14, hy - 26)
        pen = (
            stroke(f"M{pt(*tip)}L{pt(*end)}", o, 12)
            + stroke(f"M{pt(tip[0] + 4, tip[1] - 5.5)}L{pt(*end)}", "#ffc93c", 7)
            + stroke(f"M{pt(end[0] - 2.4, end[1] + 3.2)}L{pt(*end)}", "#ff8fa3", 7)
            + stroke(f"M{pt(*tip)}L{pt(tip[0] + 4, tip[1] - 5.5)}", "#f2d2a9", 6)
            + circle(tip[0], tip[1], 2, o)
        )
        return paper + scrib, pen

    return p


def book(flip: float):
    def p(t: Theme, pose: Pose):
        o = t.outline
        cover = "#e0675a" if t.id != "bolt" else "#f29b4a"
        out = [
            fillp(
                f"M{pt(-50, -54)}L{pt(0, -46)}L{pt(50, -54)}L{pt(52, -12)}L{pt(0, -6)}L{pt(-52, -12)}Z",
                cover,
                o,
                4.5,
            ),
            fillp(
                f"M{pt(-45, -52)}Q{pt(-22, -52)} {pt(0, -44)}L{pt(0, -10)}Q{pt(-22, -17)} {pt(-46, -16)}Z",
                "#fffdf6",
                o,
                3,
            ),
            fillp(
                f"M{pt(45, -52)}Q{pt(22, -52)} {pt(0, -44)}L{pt(0, -10)}Q{pt(22, -17)} {pt(46, -16)}Z",
                "#fffdf6",
                o,
                3,
            ),
        ]
        for i in range(3):
            y = -42 + i * 8
            out.append(stroke(f"M{pt(-38, y)}L{pt(-10, y + 3)}", "#c7cfe0", 2.4))
            out.append(
                stroke(f"M{pt(10, y + 3)}L{pt(38 - (12 if i == 2 else 0), y)}", "#c7cfe0", 2.4)
            )
        if flip > 0:
            # a page mid-turn, lifting from the right
            w = 44 * math.cos(flip * math.pi)
            out.append(
                fillp(
                    f"M{pt(0, -44)}Q{pt(w * 0.5, -62 + 10 * abs(math.cos(flip * math.pi)))} {pt(w, -52 - 8 * math.sin(flip * math.pi))}"
                    f"L{pt(w, -16 - 8 * math.sin(flip * math.pi))}Q{pt(w * 0.5, -24)} {pt(0, -10)}Z",
                    "#ffffff",
                    o,
                    3,
                )
            )
        return "".join(out), ""

    return p


def magnifier(lx: float, ly: float, eye_look):
    def p(t: Theme, pose: Pose):
        o = t.outline
        r = 23
        # handle down-right toward the right hand
        hx, hy = lx + 20, ly + 24
        handle = stroke(f"M{pt(lx + 14, ly + 16)}L{pt(hx + 14, hy + 16)}", o, 13) + stroke(
            f"M{pt(lx + 16, ly + 18)}L{pt(hx + 12, hy + 14)}", "#8a5a3c", 7
        )
        # the magnified eye seen through the lens
        inner = ""
        ex, ey = EYE_X, EYE_Y
        if abs(lx - ex) < 14 and abs(ly - ey) < 14:
            inner = group(
                [
                    circle(
                        0,
                        0,
                        r - 2,
                        mix(t.body, "#ffffff", 0.15) if t.face != "visor" else "#22304f",
                    ),
                    draw_eye(t, 0, 0, "open", eye_look, 1),
                ],
                f"translate({f(lx)} {f(ly)}) scale(1.45)",
            )
        glass = circle(lx, ly, r, t.accent2, extra=' opacity="0.28"')
        rim = circle(lx, ly, r, "none", o, 8.5) + circle(lx, ly, r, "none", "#c6ced9", 4)
        shine = stroke(
            f"M{pt(lx - 13, ly - 6)}Q{pt(lx - 11, ly - 13)} {pt(lx - 5, ly - 15)}", "#ffffff", 3.5
        )
        return "", handle + inner + glass + rim + shine

    return p


def held_note(x: float, y: float, rot: float = 0):
    def p(t: Theme, pose: Pose):
        return "", note_svg(t, x, y, rot)

    return p


def note_svg(t: Theme, x, y, rot=0.0, s=1.0) -> str:
    o = t.outline
    d = f"M{pt(-13, -10)}L{pt(7, -10)}L{pt(13, -4)}L{pt(13, 10)}L{pt(-13, 10)}Z"
    return group(
        [
            fillp(d, "#fff6c8", o, 3.2),
            stroke(f"M{pt(7, -10)}L{pt(7, -4)}L{pt(13, -4)}", o, 2.4),
            stroke(f"M{pt(-8, -2)}L{pt(4, -2)}M{pt(-8, 4)}L{pt(7, 4)}", "#c9a94a", 2.2),
        ],
        f"translate({f(x)} {f(y)}) rotate({f(rot)}) scale({s:g})",
    )


def chin_hand():
    return (18, -44)


# --------------------------------------------------------------------------------------------
# effects (world coords)


def fx_sparkles(seed: int, n: int = 4, spread=1.0):
    spots = [(52, 70, 11), (206, 62, 13), (34, 140, 8), (222, 132, 9), (90, 36, 8), (172, 30, 10)]

    def e(t: Theme):
        out = []
        for i in range(n):
            x, y, r = spots[(i + seed) % len(spots)]
            k = 0.7 + 0.3 * ((i + seed) % 3) / 2
            out.append(star4(x, y, r * k * spread, t.accent, t.outline, rot=(seed * 15) % 45))
        return "".join(out)

    return e


def fx_sweat(x=178, y=92, s=1.0):
    def e(t: Theme):
        d = f"M{pt(0, -12)}Q{pt(9, 0)} {pt(7, 5)}Q{pt(0, 13)} {pt(-7, 5)}Q{pt(-9, 0)} {pt(0, -12)}Z"
        return group(
            [
                fillp(d, t.accent2, t.outline, 3),
                ellipse(-2.5, 3, 2, 3, "#ffffff", extra=' opacity="0.8"'),
            ],
            f"translate({f(x)} {f(y)}) scale({s:g})",
        )

    return e


def z_letter(x, y, s, color, outline) -> str:
    d = f"M{pt(x - s, y - s)}L{pt(x + s, y - s)}L{pt(x - s, y + s)}L{pt(x + s, y + s)}"
    return stroke(d, outline, s * 0.55 + 4) + stroke(d, color, s * 0.55)


def fx_zzz(phase: int):
    def e(t: Theme):
        out = []
        base = [(166, 94, 7), (186, 68, 10), (208, 38, 12)]
        for i, (x, y, s) in enumerate(base):
            if i <= phase:
                out.append(
                    z_letter(x + (phase - i) * 2, y - (phase - i) * 2, s, "#ffffff", t.outline)
                )
        return "".join(out)

    return e


def fx_thought(dots: int, qmark: bool = False):
    def e(t: Theme):
        o = t.outline
        out = [
            circle(176, 86, 5, "#ffffff", o, 3),
            circle(188, 70, 8, "#ffffff", o, 3.5),
        ]
        cloud = smooth_closed(
            [(176, 44), (186, 30), (206, 24), (226, 30), (236, 44), (230, 58), (206, 64), (184, 58)]
        )
        out.append(fillp(cloud, "#ffffff", o, 4))
        for i in range(dots):
            out.append(circle(192 + i * 14, 44, 4.2, o))
        if qmark:
            out.append(question(208, 44, t))
        return "".join(out)

    return e


def question(x, y, t: Theme, s=1.0) -> str:
    d = f"M{pt(x - 7 * s, y - 6 * s)}Q{pt(x - 6 * s, y - 15 * s)} {pt(x, y - 15 * s)}Q{pt(x + 8 * s, y - 15 * s)} {pt(x + 7 * s, y - 7 * s)}Q{pt(x + 6 * s, y - 2 * s)} {pt(x, y + 1 * s)}L{pt(x, y + 4 * s)}"
    return stroke(d, t.outline, 4.5 * s) + circle(x, y + 11 * s, 2.8 * s, t.outline)


def fx_question(x, y, s=1.0):
    return lambda t: question(x, y, t, s)


def fx_bang(x, y, s=1.0, color=None):
    def e(t: Theme):
        c = color or "#ff5a5a"
        d = f"M{pt(x - 5 * s, y - 20 * s)}L{pt(x + 5 * s, y - 20 * s)}L{pt(x + 2.5 * s, y + 4 * s)}L{pt(x - 2.5 * s, y + 4 * s)}Z"
        return fillp(d, c, t.outline, 3.5) + circle(x, y + 12 * s, 4.2 * s, c, t.outline, 3.5)

    return e


def fx_anger(x, y, s=1.0):
    """The cartoon "annoyed" mark: four bent strokes around a point."""

    def e(t: Theme):
        out = []
        for qx, qy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            a = (x + qx * 4 * s, y + qy * 11 * s)
            b = (x + qx * 4 * s, y + qy * 4 * s)
            c = (x + qx * 11 * s, y + qy * 4 * s)
            d = f"M{pt(*a)}Q{pt(*b)} {pt(*c)}"
            out.append(stroke(d, t.outline, 7.5 * s) + stroke(d, "#ff4d5e", 4.2 * s))
        return "".join(out)

    return e


def fx_stars_at(spots, color_key: str = "accent"):
    def e(t: Theme):
        c = getattr(t, color_key)
        return "".join(star4(x, y, r, c, t.outline, rot=r * 3) for x, y, r in spots)

    return e


def fx_bell(angle: float, rings: int, k: float = 1.3):
    def e(t: Theme):
        o = t.outline
        x, y = 190, 62
        d = f"M{pt(-18, 14)}Q{pt(-16, 8)} {pt(-14, -2)}Q{pt(-12, -20)} {pt(0, -20)}Q{pt(12, -20)} {pt(14, -2)}Q{pt(16, 8)} {pt(18, 14)}Z"
        bell = group(
            [
                circle(0, -22, 4.5, "none", o, 3.5),
                circle(0, 19, 6, "#c98a1a", o, 3.5),
                fillp(d, t.accent, o, 4),
                stroke(f"M{pt(-18, 14)}L{pt(18, 14)}", o, 5),
                stroke(
                    f"M{pt(-8, -12)}Q{pt(-11, -4)} {pt(-11, 6)}", "#ffffff", 3.5, ' opacity="0.8"'
                ),
            ],
            f"translate({x} {y}) scale({k:g}) rotate({f(angle)} 0 -22)",
        )
        out = [bell]
        for i in range(rings):
            r = (28 + i * 9) * k
            for s in (-1, 1):
                a0, a1 = math.radians(-35), math.radians(35)
                p0 = (x + s * r * math.cos(a0), y + r * math.sin(a0))
                p1 = (x + s * r * math.cos(a1), y + r * math.sin(a1))
                out.append(
                    stroke(f"M{pt(*p0)}A{f(r)} {f(r)} 0 0 {1 if s > 0 else 0} {pt(*p1)}", o, 3.5)
                )
        return "".join(out)

    return e


def fx_terminal(cursor: bool, lines: int, x: float = 168, y: float = 22):
    def e(t: Theme):
        o = t.outline
        w, h = 68, 48
        out = [
            rrect(x, y, w, h, 9, "#2a3146", o, 4),
            rrect(x, y, w, 12, 6, "#4b5470"),
            circle(x + 9, y + 6.5, 2.4, "#ff7b7b"),
            circle(x + 17, y + 6.5, 2.4, "#ffd34d"),
            circle(x + 25, y + 6.5, 2.4, "#7be08a"),
        ]
        py = y + 24
        for i in range(lines):
            out.append(
                stroke(
                    f"M{pt(x + 9, py + i * 10 - 3)}L{pt(x + 13, py + i * 10)}L{pt(x + 9, py + i * 10 + 3)}",
                    "#7be08a",
                    2.6,
                )
            )
            out.append(
                stroke(
                    f"M{pt(x + 18, py + i * 10)}L{pt(x + 18 + 14 + 9 * ((i * 3) % 3), py + i * 10)}",
                    "#cfd8ea",
                    2.6,
                )
            )
        ci = lines
        cy = py + ci * 10
        if cy < y + h - 3:
            out.append(
                stroke(f"M{pt(x + 9, cy - 3)}L{pt(x + 13, cy)}L{pt(x + 9, cy + 3)}", "#7be08a", 2.6)
            )
            if cursor:
                out.append(rrect(x + 17, cy - 4, 7, 8, 1, "#cfd8ea"))
        return "".join(out)

    return e


def fx_stars_orbit(phase: float):
    def e(t: Theme):
        out = []
        for i in range(3):
            a = phase + i * 2 * math.pi / 3
            x = 128 + 56 * math.cos(a)
            y = 72 + 14 * math.sin(a)
            out.append(star4(x, y, 9, t.accent, t.outline, rot=math.degrees(a)))
        return "".join(out)

    return e


def fx_motion(side: int, y0=120):
    def e(t: Theme):
        x = 128 + side * 94
        return "".join(
            stroke(
                f"M{pt(x, y0 + i * 16)}L{pt(x + side * 12, y0 + i * 16)}",
                t.outline,
                3.5,
                ' opacity="0.6"',
            )
            for i in range(3)
        )

    return e


def fx_helper(x, y, s, note=False, hop=0.0, look=(0, 0), eyes="open"):
    """A tiny sidekick blob (same species, lighter)."""

    def e(t: Theme):
        o = t.outline
        b = mix(t.body, "#ffffff", 0.25)
        pts = [(px * 0.36, py * 0.36) for px, py in body_points(20)]
        out = (
            [ellipse(x, y + 3, 20 * s, 4 * s, "#000000", extra=' opacity="0.14"')]
            if hop <= 0
            else []
        )
        inner = [fillp(smooth_closed(pts), b, o, 4.5 / s)]
        for side in (-1, 1):
            inner.append(
                ellipse(side * 10 + look[0] * 2, -26 + look[1] * 2, 4.2, 5.4, t.eye)
                if eyes == "open"
                else stroke(
                    f"M{pt(side * 10 - 4, -25)}Q{pt(side * 10, -30)} {pt(side * 10 + 4, -25)}",
                    t.eye,
                    3,
                )
            )
            inner.append(
                circle(side * 10 - 1.2 + look[0] * 2, -28 + look[1] * 2, 1.6, "#ffffff")
                if eyes == "open"
                else ""
            )
            inner.append(ellipse(side * 14, -1, 7, 4, b, o, 3.5 / s))
        inner.append(stroke(f"M{pt(-3, -19)}Q{pt(0, -16)} {pt(3, -19)}", o, 2.5))
        # a little work cap so helpers read as helpers
        inner.append(
            fillp(
                f"M{pt(-15, -39)}Q{pt(-14, -55)} {pt(0, -55)}Q{pt(14, -55)} {pt(15, -39)}Z",
                t.accent,
                o,
                3,
            )
        )
        inner.append(stroke(f"M{pt(-15, -39)}L{pt(22, -39)}", o, 4.5))
        if note:
            inner.append(note_svg(t, 0, -52, -8, 0.9))
        out.append(group(inner, f"translate({f(x)} {f(y - hop)}) scale({s:g})"))
        return "".join(out)

    return e


# --------------------------------------------------------------------------------------------
# states: name -> (ms per frame, loop, frames)
# Each frame is a Pose; a (Pose, ms) tuple overrides the timing of that frame.


def P(**kw) -> Pose:
    return Pose(**kw)


def states() -> dict[str, tuple[int, bool, list]]:
    S: dict[str, tuple[int, bool, list]] = {}
    breath = [(1.0, 1.0), (1.012, 0.988), (1.024, 0.976), (1.012, 0.988)]
    S["idle"] = (380, True, [P(sx=a, sy=b) for a, b in breath])
    S["idle_blink"] = (
        70,
        False,
        [P(eyes="half"), (P(eyes="closed", mouth="cat"), 110), P(eyes="half")],
    )
    S["idle_flourish"] = (
        260,
        False,
        [
            P(look=(-1, 0), rot=-3),
            (P(look=(-1, 0), rot=-3, mouth="o"), 420),
            P(look=(1, 0), rot=3),
            (P(look=(1, 0), rot=3, mouth="smile"), 420),
            P(
                sx=0.93,
                sy=1.08,
                eyes="closed",
                mouth="o",
                lhand=(-58, -128),
                rhand=(58, -128),
                fx=[fx_sparkles(0, 2, 0.7)],
            ),
            (
                P(
                    sx=0.9,
                    sy=1.11,
                    dy=-4,
                    eyes="closed",
                    mouth="smile",
                    lhand=(-62, -136),
                    rhand=(62, -136),
                    shadow=0.9,
                    fx=[fx_sparkles(1, 2, 0.8)],
                ),
                520,
            ),
            P(sx=1.06, sy=0.95, eyes="happy", mouth="smile"),
        ],
    )
    S["thinking"] = (
        420,
        True,
        [
            P(
                look=(0.8, -1),
                brows="raised",
                mouth="line",
                rhand=chin_hand(),
                rot=2,
                fx=[fx_thought(1)],
            ),
            P(
                look=(0.8, -1),
                brows="raised",
                mouth="line",
                rhand=chin_hand(),
                rot=2,
                fx=[fx_thought(2)],
            ),
            P(
                look=(1, -1),
                brows="raised",
                mouth="smile",
                rhand=chin_hand(),
                rot=3,
                fx=[fx_thought(3)],
            ),
            P(
                look=(0.6, -1),
                brows="raised",
                mouth="line",
                rhand=chin_hand(),
                rot=2,
                fx=[fx_thought(0, True)],
            ),
        ],
    )
    S["talking"] = (
        140,
        True,
        [
            P(mouth="open", sy=1.01),
            P(mouth="mid"),
            P(mouth="cat", sy=0.995),
            P(mouth="open", sy=1.015, lhand=(-72, -56)),
            P(mouth="mid", lhand=(-72, -54)),
            P(mouth="smile"),
        ],
    )
    S["working_shell"] = (
        150,
        True,
        [
            P(
                look=(0, 1),
                mouth="line",
                lhand=(-30, -40),
                rhand=(28, -30),
                props=[keyboard(2)],
                fx=[fx_terminal(True, 1)],
            ),
            P(
                look=(0, 1),
                mouth="line",
                lhand=(-28, -30),
                rhand=(30, -40),
                props=[keyboard(10)],
                fx=[fx_terminal(True, 1)],
            ),
            P(
                look=(0, 1),
                mouth="line",
                lhand=(-30, -40),
                rhand=(28, -30),
                props=[keyboard(5)],
                fx=[fx_terminal(False, 2)],
            ),
            P(
                look=(0, 1),
                mouth="cat",
                lhand=(-28, -30),
                rhand=(30, -40),
                props=[keyboard(12)],
                fx=[fx_terminal(False, 2)],
            ),
        ],
    )
    # Several agents at once: typing fast between two terminals, focused, a drop of sweat.
    busy_hands = [((-30, -42), (28, -28)), ((-28, -28), (30, -42))]
    S["working_busy"] = (
        110,
        True,
        [
            P(
                look=(-0.8 if i < 2 else 0.8, 0.6),
                brows="focus",
                mouth="line" if i % 2 else "tiny",
                lhand=busy_hands[i % 2][0],
                rhand=busy_hands[i % 2][1],
                dy=-1.5 if i % 2 else 0.0,
                props=[keyboard((3, 11, 6, 13)[i])],
                fx=[
                    fx_terminal(i % 2 == 0, 1 + i % 2, x=20, y=22),
                    fx_terminal(i % 2 == 1, 2 - i % 2),
                    *([fx_sweat(204, 96, 0.8)] if i >= 2 else []),
                ],
            )
            for i in range(4)
        ],
    )
    pen_hands = [(8, -40), (18, -38), (28, -40), (14, -36)]
    S["working_editing"] = (
        220,
        True,
        [
            P(
                look=(0, 1),
                mouth="line",
                lhand=(-40, -24),
                rhand=h,
                rot=-2,
                props=[paper_pencil(i + 1, h)],
            )
            for i, h in enumerate(pen_hands)
        ],
    )
    S["working_reading"] = (
        520,
        True,
        [
            P(look=(-0.6, 1), mouth="cat", lhand=(-48, -32), rhand=(48, -32), props=[book(0)]),
            P(look=(0.6, 1), mouth="cat", lhand=(-48, -32), rhand=(48, -32), props=[book(0)]),
            (
                P(look=(0.6, 1), mouth="o", lhand=(-48, -32), rhand=(48, -34), props=[book(0.3)]),
                180,
            ),
            (
                P(look=(-0.6, 1), mouth="o", lhand=(-48, -32), rhand=(48, -34), props=[book(0.75)]),
                180,
            ),
        ],
    )
    S["working_searching"] = (
        300,
        True,
        [
            P(
                look=(1, 0.2),
                mouth="o",
                rhand=(50, -36),
                rot=-3,
                props=[magnifier(EYE_X, EYE_Y, (1, 0.2))],
            ),
            P(
                look=(0.2, 0.6),
                mouth="o",
                rhand=(50, -36),
                rot=0,
                props=[magnifier(EYE_X, EYE_Y, (0.2, 0.6))],
            ),
            P(
                look=(-1, 0.2),
                mouth="line",
                rhand=(50, -36),
                rot=3,
                props=[magnifier(EYE_X, EYE_Y, (-1, 0.2))],
            ),
            P(
                look=(0.2, -0.6),
                mouth="o",
                rhand=(50, -36),
                rot=0,
                props=[magnifier(EYE_X, EYE_Y, (0.2, -0.6))],
                fx=[fx_sparkles(3, 1, 0.7)],
            ),
        ],
    )
    S["working_delegating"] = (
        340,
        True,
        [
            P(
                dx=12,
                look=(-1, 0.4),
                mouth="smile",
                lhand=(-84, -50),
                rot=-4,
                props=[held_note(-90, -62, -12)],
                fx=[fx_helper(42, 214, 0.9, look=(1, -0.6))],
            ),
            P(
                dx=12,
                look=(-1, 0.4),
                mouth="open",
                lhand=(-84, -52),
                rot=-4,
                fx=[fx_helper(42, 214, 0.9, note=True, look=(1, -0.6), eyes="happy")],
            ),
            P(
                dx=12,
                look=(-1, 0),
                mouth="smile",
                rot=-2,
                fx=[fx_helper(46, 214, 0.9, note=True, hop=18, look=(-1, 0)), fx_motion(-1, 172)],
            ),
            (P(dx=12, eyes="happy", mouth="cat", rot=0, fx=[fx_sparkles(4, 1, 0.8)]), 500),
        ],
    )
    S["attention"] = (
        160,
        True,
        [
            P(
                eyes="wide",
                look=(0.6, -0.8),
                mouth="o",
                rhand=(76, -110),
                dy=-2,
                fx=[fx_bell(-18, 1)],
            ),
            P(eyes="wide", look=(0.6, -0.8), mouth="open", rhand=(84, -100), fx=[fx_bell(18, 2)]),
            P(
                eyes="wide",
                look=(0.6, -0.8),
                mouth="o",
                rhand=(76, -110),
                dy=-2,
                fx=[fx_bell(-18, 2)],
            ),
            P(
                eyes="open",
                look=(0.6, -0.8),
                brows="raised",
                mouth="open",
                rhand=(84, -100),
                fx=[fx_bell(18, 1), fx_bang(46, 66, 1.4)],
            ),
        ],
    )
    S["happy"] = (
        130,
        True,
        [
            P(sx=1.1, sy=0.88, eyes="happy", mouth="big", lhand=(-70, -46), rhand=(70, -46)),
            P(
                sx=0.95,
                sy=1.06,
                dy=-16,
                eyes="happy",
                mouth="big",
                lhand=(-72, -100),
                rhand=(72, -100),
                shadow=0.8,
                feet="tuck",
                fx=[fx_sparkles(0, 3)],
            ),
            (
                P(
                    sx=1.0,
                    sy=1.0,
                    dy=-28,
                    eyes="happy",
                    mouth="big",
                    lhand=(-76, -112),
                    rhand=(76, -112),
                    shadow=0.65,
                    feet="tuck",
                    blush_extra=True,
                    fx=[fx_sparkles(2, 4)],
                ),
                180,
            ),
            P(
                sx=0.97,
                sy=1.04,
                dy=-14,
                eyes="happy",
                mouth="big",
                lhand=(-72, -100),
                rhand=(72, -100),
                shadow=0.8,
                fx=[fx_sparkles(4, 3)],
            ),
            P(sx=1.08, sy=0.91, eyes="happy", mouth="smile", blush_extra=True),
        ],
    )
    S["error"] = (
        180,
        True,
        [
            P(
                eyes="dizzy",
                mouth="wavy",
                brows="worried",
                rot=-5,
                fx=[fx_stars_orbit(0.0), fx_sweat(190, 98, 1.4)],
            ),
            P(
                eyes="dizzy",
                mouth="wavy",
                brows="worried",
                rot=0,
                fx=[fx_stars_orbit(0.7), fx_sweat(190, 102, 1.4)],
            ),
            P(
                eyes="dizzy",
                mouth="wavy",
                brows="worried",
                rot=5,
                fx=[fx_stars_orbit(1.4), fx_sweat(190, 106, 1.4)],
            ),
            P(
                eyes="squeeze",
                mouth="frown",
                brows="worried",
                rot=0,
                lhand=(-50, -106),
                rhand=(50, -106),
                fx=[fx_stars_orbit(2.1), fx_sweat(190, 98, 1.5)],
            ),
        ],
    )
    S["yawn"] = (
        200,
        False,
        [
            P(eyes="sleepy", mouth="o"),
            P(eyes="closed", mouth="yawn", sx=0.96, sy=1.05, lhand=(-62, -104), rhand=(62, -104)),
            (
                P(
                    eyes="closed",
                    mouth="yawn",
                    sx=0.94,
                    sy=1.07,
                    lhand=(-66, -116),
                    rhand=(66, -116),
                ),
                700,
            ),
            P(eyes="closed", mouth="mid", sx=1.0, sy=1.0, lhand=(-62, -94), rhand=(62, -94)),
            (P(eyes="sleepy", mouth="cat", sx=1.03, sy=0.97), 400),
        ],
    )
    S["doze"] = (
        600,
        True,
        [
            P(eyes="sleepy", mouth="tiny", rot=0),
            P(eyes="sleepy", mouth="tiny", rot=4, sy=0.98, sx=1.02),
            (P(eyes="closed", mouth="tiny", rot=7, sy=0.97, sx=1.03, fx=[fx_zzz(0)]), 900),
            (P(eyes="open", mouth="o", rot=0, dy=-2, brows="raised"), 300),
        ],
    )
    S["sleep"] = (
        700,
        True,
        [
            P(
                eyes="closed",
                mouth="tiny",
                sx=1.1,
                sy=0.84,
                feet="tuck",
                cheeks=0.8,
                fx=[fx_zzz(0)],
            ),
            P(
                eyes="closed",
                mouth="tiny",
                sx=1.12,
                sy=0.82,
                feet="tuck",
                cheeks=0.8,
                fx=[fx_zzz(1)],
            ),
            P(eyes="closed", mouth="o", sx=1.1, sy=0.85, feet="tuck", cheeks=0.8, fx=[fx_zzz(2)]),
            P(
                eyes="closed",
                mouth="tiny",
                sx=1.08,
                sy=0.86,
                feet="tuck",
                cheeks=0.8,
                fx=[fx_zzz(2)],
            ),
        ],
    )
    S["waking"] = (
        450,
        True,
        [
            P(eyes="closed", mouth="tiny", sx=1.08, sy=0.88, feet="tuck"),
            P(eyes="sleepy", mouth="tiny", sx=1.05, sy=0.92, feet="tuck"),
            P(eyes="closed", mouth="o", sx=0.95, sy=1.06, lhand=(-36, -76), rhand=(36, -76)),
            (
                P(
                    eyes="sleepy",
                    mouth="cat",
                    sx=0.92,
                    sy=1.09,
                    lhand=(-62, -120),
                    rhand=(62, -120),
                ),
                650,
            ),
            P(eyes="open", mouth="smile", sx=1.0, sy=1.0, fx=[fx_sparkles(5, 1, 0.8)]),
            P(eyes="sleepy", mouth="cat", sx=1.02, sy=0.97),
        ],
    )
    dangle = dict(
        sx=0.9,
        sy=1.1,
        dy=-18,
        pivot_top=True,
        feet="dangle",
        shadow=0.45,
        lhand=(-30, -132),
        rhand=(30, -132),
        brows="worried",
    )
    S["dragged"] = (
        170,
        True,
        [
            P(rot=-8, eyes="wide", look=(0, 0.5), mouth="o", **dangle, fx=[fx_sweat(176, 90, 0.9)]),
            P(
                rot=0,
                eyes="wide",
                look=(0, 0.5),
                mouth="wavy",
                **dangle,
                fx=[fx_sweat(176, 86, 0.9)],
            ),
            P(rot=8, eyes="wide", look=(0, 0.5), mouth="o", **dangle, fx=[fx_sweat(178, 92, 0.9)]),
            P(
                rot=0,
                eyes="wide",
                look=(0, 0.5),
                mouth="wavy",
                **dangle,
                fx=[fx_sweat(176, 86, 0.9)],
            ),
        ],
    )
    S["poked"] = (
        110,
        False,
        [
            P(
                sx=1.12,
                sy=0.86,
                eyes="squeeze",
                mouth="o",
                lhand=(-74, -60),
                rhand=(74, -60),
                fx=[fx_motion(-1), fx_motion(1)],
            ),
            (
                P(
                    sx=0.94,
                    sy=1.07,
                    dy=-8,
                    eyes="wide",
                    brows="raised",
                    mouth="o",
                    lhand=(-78, -84),
                    rhand=(78, -84),
                    shadow=0.85,
                    fx=[fx_bang(206, 62, 1.4, "#ffb020")],
                ),
                360,
            ),
            P(
                sx=1.03,
                sy=0.97,
                eyes="wide",
                brows="raised",
                mouth="o",
                fx=[fx_bang(206, 62, 1.3, "#ffb020")],
            ),
            (P(eyes="happy", mouth="smile", blush_extra=True), 260),
        ],
    )
    life_states(S, dangle)
    return S


def life_states(S: dict, dangle: dict) -> None:
    """The pet's own life: reactions that add up, the drag's direction, a walk, the eyes'
    eight look frames and mini mode (drawn tucked at a right edge; the app mirrors it)."""
    S["annoyed"] = (
        160,
        False,
        [
            P(sx=1.06, sy=0.95, eyes="open", brows="focus", mouth="frown", fx=[fx_anger(196, 60)]),
            (
                P(
                    sx=1.08,
                    sy=0.93,
                    eyes="line",
                    brows="focus",
                    mouth="frown",
                    look=(-1, 0),
                    rot=-3,
                    lhand=(-70, -70),
                    rhand=(70, -70),
                    fx=[fx_anger(198, 58, 1.2)],
                ),
                520,
            ),
            P(sx=1.04, sy=0.96, eyes="open", brows="focus", mouth="line", look=(1, 0), rot=2,
              fx=[fx_anger(196, 60, 1.1)]),
        ],
    )  # fmt: skip
    flail = dict(eyes="squeeze", mouth="big", brows="worried", shadow=0.85)
    S["flail"] = (
        90,
        True,
        [
            P(rot=-6, dy=-6, lhand=(-76, -132), rhand=(86, -70), **flail,
              fx=[fx_motion(-1, 60), fx_sweat(186, 80, 0.9)]),
            P(rot=0, dy=-2, lhand=(-88, -96), rhand=(88, -96), **flail,
              fx=[fx_sweat(188, 76, 0.9)]),
            P(rot=6, dy=-6, lhand=(-86, -70), rhand=(76, -132), **flail,
              fx=[fx_motion(1, 60), fx_sweat(190, 84, 0.9)]),
            P(rot=0, dy=-2, lhand=(-88, -96), rhand=(88, -96), **flail,
              fx=[fx_sweat(188, 80, 0.9)]),
        ],
    )  # fmt: skip
    carried = {**dangle, "eyes": "wide", "mouth": "o"}
    for way, side in (("left", -1), ("right", 1)):
        S[f"dragged_{way}"] = (
            200,
            True,
            [
                P(**{**carried, "rot": -side * 14}, look=(side, 0.4),
                  fx=[fx_motion(-side, 100), fx_sweat(128 - side * 50, 88, 0.9)]),
                P(**{**carried, "rot": -side * 11, "mouth": "wavy"}, look=(side, 0.4),
                  fx=[fx_motion(-side, 104), fx_sweat(128 - side * 50, 84, 0.9)]),
            ],
        )  # fmt: skip
    walk = dict(look=(1, 0), rot=3, mouth="smile")
    S["walk"] = (
        170,
        True,
        [
            P(feet="step1", dy=-3, lhand=(-64, -30), rhand=(82, -44), **walk),
            P(feet="stand", dy=0, sx=1.02, sy=0.98, **walk),
            P(feet="step2", dy=-3, lhand=(-82, -44), rhand=(64, -30), **walk),
            P(feet="stand", dy=0, sx=1.02, sy=0.98, **walk),
        ],
    )
    looks = []
    for i in range(8):
        a = math.radians(i * 45)
        lx, ly = round(math.cos(a), 3), round(-math.sin(a), 3)
        looks.append(P(look=(lx, ly), rot=round(2.5 * lx, 2), dx=round(2 * lx, 2)))
    S["look"] = (400, False, looks)
    # Tucked at a right edge: the canvas' right half is off screen, so the pet leans out to
    # the left, eyes on the desk; the other hand is behind the edge.
    tuck = dict(rot=-16, dx=6, look=(-1, 0), feet="tuck", shadow=0.0)
    S["mini"] = (
        420,
        True,
        [
            P(**tuck, mouth="cat"),
            P(**tuck, mouth="cat", sx=1.015, sy=0.985),
            (P(**tuck, mouth="cat", eyes="half"), 90),
            P(**tuck, mouth="cat", sx=1.015, sy=0.985),
        ],
    )
    peek = {**tuck, "rot": -22, "dx": 0, "eyes": "wide", "mouth": "o"}
    S["mini_peek"] = (
        260,
        True,
        [
            P(**peek, lhand=(-86, -110)),
            P(**{**peek, "mouth": "smile"}, lhand=(-92, -126)),
        ],
    )
    S["mini_attention"] = (
        220,
        True,
        [
            P(**{**peek, "brows": "raised"}, lhand=(-90, -130), fx=[fx_bang(44, 56, 1.3)]),
            P(**{**peek, "brows": "raised", "mouth": "big"}, lhand=(-96, -110),
              fx=[fx_bang(40, 60, 1.3)]),
        ],
    )  # fmt: skip
    S["mini_happy"] = (
        240,
        True,
        [
            P(**{**tuck, "eyes": "happy", "mouth": "smile"}, lhand=(-86, -120),
              fx=[fx_stars_at([(40, 62, 11), (70, 30, 8)])]),
            P(**{**tuck, "eyes": "happy", "mouth": "big", "dy": -4}, lhand=(-92, -132),
              fx=[fx_stars_at([(32, 80, 8), (60, 40, 11)])]),
        ],
    )  # fmt: skip


STATE_NAMES = [
    "idle", "idle_blink", "idle_flourish", "thinking", "talking",
    "working_shell", "working_editing", "working_reading", "working_searching", "working_delegating",
    "working_busy",
    "attention", "happy", "error", "yawn", "doze", "sleep", "waking", "dragged", "poked",
    "annoyed", "flail", "dragged_left", "dragged_right",
    "walk", "look", "mini", "mini_peek", "mini_attention", "mini_happy",
]  # fmt: skip

STATE_NOTES = {
    "idle": "breathing",
    "idle_blink": "one blink, back to idle",
    "idle_flourish": "looks around, then stretches",
    "thinking": "hand on chin, thought bubble",
    "talking": "mouth flaps, small gesture",
    "working_shell": "types on a tiny keyboard, terminal prompt",
    "working_editing": "writes with a pencil",
    "working_reading": "reads a book, turns a page",
    "working_searching": "peers through a magnifier",
    "working_delegating": "hands a note to a little helper",
    "working_busy": "several agents at once: types fast between two terminals",
    "attention": "a bell rings, waves for attention",
    "happy": "jumps with sparkles",
    "error": "dizzy, sweat drop, oops",
    "yawn": "a big yawn",
    "doze": "nodding off",
    "sleep": "curled down, Zzz",
    "waking": "eyes opening and a stretch (loops while the model loads)",
    "dragged": "dangling while carried",
    "poked": "startled, then giggles",
    "annoyed": "poked twice quickly: frowns, an angry mark",
    "flail": "poked four times: arms everywhere",
    "dragged_left": "carried leftwards: swings behind",
    "dragged_right": "carried rightwards: swings behind",
    "walk": "a stroll, facing right (mirrored for left)",
    "look": "eight still frames, eyes on the pointer: right, then counter-clockwise",
    "mini": "mini mode, tucked at a right edge (mirrored for left)",
    "mini_peek": "mini mode, the pointer is near: leans out",
    "mini_attention": "mini mode: an agent needs you",
    "mini_happy": "mini mode: an agent is done",
}

NEXT_STATE = {
    "idle_blink": "idle",
    "idle_flourish": "idle",
    "yawn": "doze",
    "poked": "idle",
    "annoyed": "idle",
}


# --------------------------------------------------------------------------------------------
# writing


def write_theme(t: Theme, S) -> int:
    d = THEMES_DIR / t.id
    frames_dir = d / "frames"
    frames_dir.mkdir(parents=True, exist_ok=True)
    written: set[str] = set()  # frames of this run; the others are stale and go at the end
    total = 0
    lines = [
        f"# deskpet theme: {t.name}. Generated by assets/src/make_art.py; edit the script, not this file.",
        f"id: {t.id}",
        f"name: {t.name!r}".replace("'", '"'),
        f'description: "{t.description}"',
        "format: 1",
        "author: deskpet",
        "license: Apache-2.0",
        "viewbox: [256, 256]      # frames are drawn on this canvas",
        "anchor: [128, 218]       # the point on the canvas that stands on the ground (between the feet)",
        "frames_dir: frames       # frame file names below are relative to this folder",
        "preview: frames/idle_0.svg",
        "states:",
    ]
    for name in STATE_NAMES:
        ms, loop, frames = S[name]
        lines.append(f"  {name}:   # {STATE_NOTES[name]}")
        lines.append(f"    ms: {ms}")
        lines.append(f"    loop: {'true' if loop else 'false'}")
        if not loop and name in NEXT_STATE:
            lines.append(f"    next: {NEXT_STATE[name]}")
        lines.append("    frames:")
        seen: dict[str, str] = {}
        for fr in frames:
            pose, fms = fr if isinstance(fr, tuple) else (fr, None)
            svg = render(t, pose)
            fn = seen.get(svg)
            if fn is None:  # identical frames share one file
                fn = f"{name}_{len(seen)}.svg"
                seen[svg] = fn
                write_if_changed(frames_dir / fn, svg.encode())
                written.add(fn)
                total += len(svg)
            if fms is None:
                lines.append(f"      - {fn}")
            else:
                lines.append(f"      - {{file: {fn}, ms: {fms}}}")
    write_if_changed(d / "theme.yaml", ("\n".join(lines) + "\n").encode())
    for old in frames_dir.glob("*.svg"):
        if old.name not in written:
            old.unlink()
    return total


# --------------------------------------------------------------------------------------------
# icons


def menubar_svg() -> str:
    """Black-on-transparent silhouette for a macOS template image (18x18 pt; 10 units per pt)."""
    # the body silhouette with round ears and the two eyes punched out (even-odd fill)
    k = 1.04
    ox, oy = 90.0, 164.0
    body = smooth_closed([(ox + x * k, oy + y * k) for x, y in body_points()])

    def ell(cx, cy, rx, ry):
        return f"M{pt(cx - rx, cy)}a{f(rx)},{f(ry)} 0 1 0 {f(2 * rx)},0a{f(rx)},{f(ry)} 0 1 0 {f(-2 * rx)},0Z"

    ears = "".join(ell(ox + sx * 42 * k, oy - 114 * k, 19 * k, 19 * k) for sx in (-1, 1))
    eyes = "".join(ell(ox + sx * 28 * k, oy - 70 * k, 14 * k, 17 * k) for sx in (-1, 1))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 180 180" width="18" height="18">'
        f'<path d="{ears}" fill="#000000"/>'
        f'<path d="{body}{eyes}" fill="#000000" fill-rule="evenodd"/>'
        "</svg>\n"
    )


def app_icon_svg(t: Theme) -> str:
    pet = render(t, Pose(mouth="smile", cheeks=1.2))
    inner = pet.split(">", 1)[1].rsplit("</svg>", 1)[0]
    # inner has its own <defs>; place the pet centred in the squircle
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1024 1024" width="1024" height="1024">'
        "<defs>"
        '<linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">'
        '<stop offset="0" stop-color="#fff4d6"/><stop offset="1" stop-color="#ffc9a8"/></linearGradient>'
        '<radialGradient id="halo" cx="512" cy="470" r="330" gradientUnits="userSpaceOnUse">'
        '<stop offset="0" stop-color="#ffffff" stop-opacity="0.75"/>'
        '<stop offset="1" stop-color="#ffffff" stop-opacity="0"/></radialGradient>'
        "</defs>"
        '<rect x="100" y="100" width="824" height="824" rx="185" ry="185" fill="url(#bg)"/>'
        '<circle cx="512" cy="470" r="330" fill="url(#halo)"/>'
        + "".join(
            star4(x, y, r, "#ffffff", None, 0)
            for x, y, r in ((250, 270, 34), (790, 330, 26), (760, 240, 14))
        )
        + f'<g transform="translate(512 548) scale(3.25) translate(-128 -150)">{inner}</g>'
        "</svg>\n"
    )


# --------------------------------------------------------------------------------------------
# sound


def write_bell(path: Path) -> None:
    """A soft two-tone chime (G5 then C6) with bell-like partials and a fade-out."""
    rate, dur = 44100, 0.62
    n = int(rate * dur)
    notes = [(0.0, 783.99, 0.55), (0.14, 1046.50, 0.6)]
    partials = [(1.0, 1.0, 1.0), (2.0, 0.32, 1.6), (3.01, 0.12, 2.4), (4.17, 0.05, 3.2)]
    samples = []
    for i in range(n):
        t = i / rate
        v = 0.0
        for start, freq, amp in notes:
            tt = t - start
            if tt < 0:
                continue
            attack = min(1.0, tt / 0.004)
            for ratio, pa, dk in partials:
                v += (
                    amp
                    * pa
                    * attack
                    * math.exp(-tt * 5.2 * dk)
                    * math.sin(2 * math.pi * freq * ratio * tt)
                )
        fade = 1.0 if t < dur - 0.18 else max(0.0, (dur - t) / 0.18) ** 2
        samples.append(v * fade)
    peak = max(abs(s) for s in samples) or 1.0
    gain = 0.7 / peak
    data = io.BytesIO()
    with wave.open(data, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(round(s * gain * 32767))) for s in samples))
    write_if_changed(path, data.getvalue())


# --------------------------------------------------------------------------------------------
# PNG rendering (needs PySide6)


def qt_app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(sys.argv[:1])


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` unless `path` already holds exactly it: a run that changes nothing leaves
    the files (and their modification times, and git's tree) alone. True if written."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def render_png(svg: str | Path, size: int):
    """The SVG drawn at size x size, as a QImage."""
    from PySide6.QtCore import QByteArray, QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    data = Path(svg).read_bytes() if isinstance(svg, Path) else svg.encode()
    r = QSvgRenderer(QByteArray(data))
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    r.render(p, QRectF(0, 0, size, size))
    p.end()
    return img


def same_picture(path: Path, img) -> bool:
    """Whether the PNG at `path` shows `img`: every channel of every pixel within one level.
    Antialiasing rounds a few edge pixels one level apart on another machine or Qt build, and
    such a file is the same icon (rewriting it would only dirty the tree)."""
    from PySide6.QtGui import QImage

    old = QImage(str(path))
    if old.isNull() or old.size() != img.size():
        return False
    fmt = QImage.Format.Format_ARGB32
    a, b = old.convertToFormat(fmt), img.convertToFormat(fmt)
    for y in range(a.height()):
        row_a, row_b = bytes(a.constScanLine(y))[: a.width() * 4], bytes(b.constScanLine(y))
        if row_a != row_b[: a.width() * 4] and any(
            abs(x - z) > 1 for x, z in zip(row_a, row_b, strict=False)
        ):
            return False
    return True


def svg_to_png(svg: str | Path, out: Path, size: int) -> bool:
    """Render the SVG into the PNG `out`, unless `out` already shows it. True if written."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    img = render_png(svg, size)
    if out.exists() and same_picture(out, img):
        return False
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buffer, "PNG")
    buffer.close()
    return write_if_changed(out, bytes(data))


def write_icons(folder: Path) -> None:
    """The app and menu-bar icons, SVG and PNG, into `folder` (only the ones that changed)."""
    write_if_changed(folder / "menubar_template.svg", menubar_svg().encode())
    write_if_changed(folder / "app_icon.svg", app_icon_svg(THEMES[0]).encode())
    try:
        qt_app()
    except ImportError:
        print("PySide6 not available: skipped PNG icons")
        return
    svg_to_png(folder / "menubar_template.svg", folder / "menubarTemplate.png", 18)
    svg_to_png(folder / "menubar_template.svg", folder / "menubarTemplate@2x.png", 36)
    svg_to_png(folder / "app_icon.svg", folder / "app_icon_1024.png", 1024)


def main() -> None:
    S = states()
    assert list(S) == STATE_NAMES or set(S) == set(STATE_NAMES)
    for t in THEMES:
        n = write_theme(t, S)
        print(f"theme {t.id}: {sum(len(v[2]) for v in S.values())} frames, {n // 1024} KiB of SVG")
    write_bell(SOUNDS_DIR / "bell.wav")
    write_icons(ICONS_DIR)
    print("wrote sounds/bell.wav and the icons that changed")


if __name__ == "__main__":
    main()
