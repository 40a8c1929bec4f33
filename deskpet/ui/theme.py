"""Sprite themes: assets/themes/<id>/theme.yaml, its fallback rule, and its frames as pixmaps.

`load_theme(id)` reads a theme and applies the fallback rule of assets/themes/README.md (own
state -> the default theme's state -> own idle -> the default idle). An optional state
(`OPTIONAL_STATES`) falls back to its plainer state first, in the theme's own frames, so a pet
never borrows another pet's look for it. `Theme.pixmaps()` renders
an animation's frames with QSvgRenderer once per (size, device pixel ratio) and caches them,
so the animation clock only swaps pixmaps and never rasterizes.

`THEME_STATES` is the one table from the pet machine's `Display(state, variant)` to the name of
the theme animation that shows it.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from deskpet.pet import IDLE_FLOURISHES, Display, State

log = logging.getLogger(__name__)

DEFAULT_THEME = "deskpet"
FORMAT_VERSION = 1
DEFAULT_MS = 200
MIN_MS = 16  # one 60 Hz frame: faster frames would only be skipped
DEFAULT_VIEWBOX = (256, 256)
DEFAULT_ANCHOR = (128, 218)

# (pet state, variant) -> theme state. Variant "*" is the state's animation for every variant
# without its own row (variants are free strings, so the bridge may send new ones).
THEME_STATES: dict[tuple[State, str], str] = {
    (State.IDLE, "*"): "idle",
    (State.IDLE, "blinking"): "idle_blink",
    **{(State.IDLE, name): "idle_flourish" for name in IDLE_FLOURISHES},
    (State.THINKING, "*"): "thinking",
    (State.TALKING, "*"): "talking",
    (State.WORKING, "*"): "working_shell",  # typing away: the most generic "busy" look
    (State.WORKING, "editing"): "working_editing",
    (State.WORKING, "reading"): "working_reading",
    (State.WORKING, "searching"): "working_searching",
    (State.WORKING, "delegating"): "working_delegating",
    (State.WORKING, "busy"): "working_busy",  # several sessions working at once
    (State.ATTENTION, "*"): "attention",
    (State.HAPPY, "*"): "happy",
    (State.ERROR, "*"): "error",
    (State.WAKING, "*"): "waking",  # loops while the model loads
    (State.WAKING_UP, "*"): "waking",  # out of sleep: eyes open and a stretch
    (State.DRAGGED, "*"): "dragged",
    (State.DRAGGED, "left"): "dragged_left",  # carried leftwards: leans into the way it goes
    (State.DRAGGED, "right"): "dragged_right",
    (State.POKED, "*"): "poked",
    (State.POKED, "annoyed"): "annoyed",  # poked twice quickly
    (State.POKED, "flail"): "flail",  # four times
    (State.YAWN, "*"): "yawn",
    (State.DOZE, "*"): "doze",
    (State.SLEEP, "*"): "sleep",
}

# Poses the pet window shows by itself, outside the machine's table: a walk (drawn facing
# right; mirrored for left), eight still look frames (0 = right, counter-clockwise, see
# deskpet.pet.gaze), and mini mode tucked at a right edge (mirrored at a left one).
POSE_STATES = ("walk", "look", "mini", "mini_peek", "mini_attention", "mini_happy")

# Every animation name the app asks a theme for.
STATE_NAMES: tuple[str, ...] = tuple(dict.fromkeys(THEME_STATES.values())) + POSE_STATES

# Theme states a theme may leave out, and the plainer state shown instead (today's look).
# "look" is absent on purpose: a theme without its own look frames keeps still eyes.
OPTIONAL_STATES: dict[str, str] = {
    "working_busy": "working_shell",
    "dragged_left": "dragged",
    "dragged_right": "dragged",
    "annoyed": "poked",
    "flail": "poked",
    "walk": "idle",
    "mini": "idle",
    "mini_peek": "mini",
    "mini_attention": "mini",
    "mini_happy": "mini",
}


def theme_state(display: Display) -> str:
    """The theme animation that shows `display`."""
    name = THEME_STATES.get((display.state, display.variant))
    return name or THEME_STATES[(display.state, "*")]


def assets_dir() -> Path:
    """deskpet's assets/ folder, in a source checkout or inside a frozen (PyInstaller) app."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen is not None:
        return Path(frozen) / "assets"
    return Path(__file__).resolve().parents[2] / "assets"


def themes_dir() -> Path:
    return assets_dir() / "themes"


def theme_ids(root: Path | None = None) -> list[str]:
    """Ids of the themes found in `root` (default: the shipped ones), sorted."""
    root = root or themes_dir()
    return sorted(p.parent.name for p in root.glob("*/theme.yaml"))


class ThemeError(ValueError):
    """A theme.yaml that cannot be used (missing, not YAML, unknown format, no states)."""


@dataclass(frozen=True)
class Frame:
    """One frame of an animation: an image file and how long it shows."""

    path: Path
    ms: int


@dataclass(frozen=True)
class Animation:
    """One theme state: frames in order, and what happens after the last one.

    Attributes:
        name: the state name as written in the theme ("idle", "working_shell", ...).
        frames: at least one frame.
        loop: True to start over after the last frame; False to play once.
        next: for play-once animations, the state to go on to (None: hold the last frame).
        theme_id: the theme that provided it (the default theme's, after a fallback).
    """

    name: str
    frames: tuple[Frame, ...]
    loop: bool
    next: str | None
    theme_id: str


class _Sources:
    """Parsed frame files shared by a theme: each file is read (and validated) only once."""

    def __init__(self) -> None:
        self._svg: dict[Path, QSvgRenderer | None] = {}
        self._png: dict[Path, QImage | None] = {}

    def valid(self, path: Path) -> bool:
        if path.suffix.lower() == ".svg":
            return self.svg(path) is not None
        return self.png(path) is not None

    def svg(self, path: Path) -> QSvgRenderer | None:
        if path not in self._svg:
            renderer = None
            if path.is_file():
                renderer = QSvgRenderer(str(path))
                renderer.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
                if not renderer.isValid() or renderer.defaultSize().isEmpty():
                    renderer = None
            self._svg[path] = renderer
        return self._svg[path]

    def png(self, path: Path) -> QImage | None:
        if path not in self._png:
            image = QImage(str(path)) if path.is_file() else QImage()
            self._png[path] = None if image.isNull() else image
        return self._png[path]


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThemeError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ThemeError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict):
        raise ThemeError(f"{path}: expected a mapping at the top")
    fmt = doc.get("format", FORMAT_VERSION)
    if fmt != FORMAT_VERSION:
        raise ThemeError(f"{path}: format {fmt!r} is not one this deskpet knows ({FORMAT_VERSION})")
    if not isinstance(doc.get("states"), dict) or not doc["states"]:
        raise ThemeError(f"{path}: no states")
    return doc


def _pair(value: Any, default: tuple[int, int]) -> tuple[int, int]:
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and value[0] > 0 < value[1]
    ):
        return (int(value[0]), int(value[1]))
    return default


def _ms(value: Any, default: int) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(MIN_MS, int(value))
    return default


def _animations(
    theme_id: str, doc: dict[str, Any], folder: Path, sources: _Sources, problems: list[str]
) -> dict[str, Animation]:
    """The usable states of one theme: known names whose frames all parse."""
    frames_dir = folder / str(doc.get("frames_dir", "."))
    found: dict[str, Animation] = {}
    for name, entry in doc["states"].items():
        if name not in STATE_NAMES:
            continue  # a newer theme's state: ignored so the theme still loads
        try:
            found[name] = _animation(theme_id, name, entry, frames_dir, sources)
        except ThemeError as exc:
            problems.append(f"{theme_id}/{name}: {exc}")
    return found


def _animation(
    theme_id: str, name: str, entry: Any, frames_dir: Path, sources: _Sources
) -> Animation:
    if not isinstance(entry, dict) or not isinstance(entry.get("frames"), list):
        raise ThemeError("no frame list")
    ms = _ms(entry.get("ms"), DEFAULT_MS)
    frames = []
    for item in entry["frames"]:
        file, frame_ms = item, ms
        if isinstance(item, dict):
            file, frame_ms = item.get("file"), _ms(item.get("ms"), ms)
        if not isinstance(file, str):
            raise ThemeError(f"bad frame entry {item!r}")
        path = frames_dir / file
        if not sources.valid(path):
            raise ThemeError(f"frame {file} is missing or does not parse")
        frames.append(Frame(path, frame_ms))
    if not frames:
        raise ThemeError("no frames")
    loop = entry.get("loop", True) is not False
    following = entry.get("next")
    following = following if not loop and following in STATE_NAMES else None
    return Animation(name, tuple(frames), loop, following, theme_id)


class Theme:
    """A loaded theme, fallback applied, with its rendered frames cached.

    Attributes:
        id: the theme actually loaded (the default theme's id when the asked one was unusable).
        name, description: for display.
        viewbox: the frames' canvas (width, height).
        eyes_follow: whether the pet may look at the pointer (own "look" frames, no opt-out).
        anchor: the ground point on that canvas.
        problems: what could not be used (unreadable theme, broken frames), for logs and UI.
        render_count: frames rasterized so far (each (file, size, dpr) once).
    """

    def __init__(
        self,
        theme_id: str,
        doc: dict[str, Any],
        own: dict[str, Animation],
        default: dict[str, Animation],
        sources: _Sources,
        problems: list[str],
    ) -> None:
        self.id = theme_id
        self.name = str(doc.get("name", theme_id))
        self.description = str(doc.get("description", ""))
        self.viewbox = _pair(doc.get("viewbox"), DEFAULT_VIEWBOX)
        # Eyes follow the pointer only with the theme's own look frames and its consent.
        self.eyes_follow = doc.get("eyes_follow", True) is not False and "look" in own
        self.anchor = _pair(doc.get("anchor"), DEFAULT_ANCHOR)
        self.problems = problems
        self.render_count = 0
        self._own = own
        self._default = default
        self._sources = sources
        self._pixmaps: dict[tuple[Path, int, int], QPixmap] = {}

    def own_states(self) -> list[str]:
        """States this theme provides itself (the rest fall back)."""
        return [name for name in STATE_NAMES if name in self._own]

    def animation(self, name: str) -> Animation:
        """The animation for theme state `name`, with the fallback rule applied."""
        # An optional state walks its chain of plainer states in the theme's own frames first
        # (mini_peek -> mini -> idle), so a pet never borrows another pet's look for it.
        chain = [name]
        while chain[-1] in OPTIONAL_STATES:
            chain.append(OPTIONAL_STATES[chain[-1]])
        for key in chain:
            if key in self._own:
                return self._own[key]
        for key in chain:
            if key in self._default:
                return self._default[key]
        return self._own.get("idle") or self._default["idle"]

    def frame_size(self, size: int) -> QSize:
        """Logical size of a frame `size` px wide (the height follows the viewbox)."""
        width, height = self.viewbox
        return QSize(size, max(1, round(size * height / width)))

    def pixmaps(self, animation: Animation, size: int, dpr: float = 1.0) -> list[QPixmap]:
        """The frames of `animation` at `size` logical px and device pixel ratio `dpr`.

        Rendered on the first call for each (file, size, dpr) and cached; later calls cost a
        dict lookup. GUI thread only (QPixmap).
        """
        return [self._pixmap(frame.path, size, dpr) for frame in animation.frames]

    def prerender(self, size: int, dpr: float = 1.0) -> None:
        """Render every state's frames now, so no state change pays for it later."""
        for name in STATE_NAMES:
            self.pixmaps(self.animation(name), size, dpr)

    def _pixmap(self, path: Path, size: int, dpr: float) -> QPixmap:
        key = (path, size, round(dpr * 100))
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = QPixmap.fromImage(self._render(path, self.frame_size(size) * dpr))
            pixmap.setDevicePixelRatio(dpr)
            self._pixmaps[key] = pixmap
            self.render_count += 1
        return pixmap

    def _render(self, path: Path, pixels: QSize) -> QImage:
        image = QImage(pixels, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        svg = self._sources.svg(path) if path.suffix.lower() == ".svg" else None
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = QRectF(0, 0, pixels.width(), pixels.height())
        if svg is not None:
            svg.render(painter, target)
        else:
            png = self._sources.png(path)
            if png is not None:
                painter.drawImage(target, png)
        painter.end()
        return image


def _load_doc(theme_id: str, root: Path) -> dict[str, Any]:
    doc = _read_yaml(root / theme_id / "theme.yaml")
    if doc.get("id", theme_id) != theme_id:
        log.warning("theme %s: id %r does not match its folder", theme_id, doc.get("id"))
    return doc


def load_theme(theme_id: str = DEFAULT_THEME, root: Path | None = None) -> Theme:
    """Load theme `theme_id` from `root` (default: the shipped themes).

    A theme that is missing or unreadable gives the default theme, with a logged warning and
    the reason in `Theme.problems`. The default theme itself is always read from the shipped
    assets, so a folder of owner themes needs no copy of it. Raises ThemeError only when the
    shipped default theme is unusable (a broken install).
    """
    root = root or themes_dir()
    sources = _Sources()
    problems: list[str] = []
    default_doc = _read_yaml(themes_dir() / DEFAULT_THEME / "theme.yaml")
    default = _animations(
        DEFAULT_THEME, default_doc, themes_dir() / DEFAULT_THEME, sources, problems
    )
    if "idle" not in default:
        raise ThemeError(f"the default theme has no usable idle: {problems}")
    if theme_id == DEFAULT_THEME and root == themes_dir():
        return Theme(DEFAULT_THEME, default_doc, default, default, sources, problems)
    try:
        doc = _load_doc(theme_id, root)
    except ThemeError as exc:
        log.warning("theme %s unusable, using %s: %s", theme_id, DEFAULT_THEME, exc)
        problems.append(str(exc))
        return Theme(DEFAULT_THEME, default_doc, default, default, sources, problems)
    own = _animations(theme_id, doc, root / theme_id, sources, problems)
    for problem in problems:
        log.warning("theme %s: %s (falls back)", theme_id, problem)
    return Theme(theme_id, doc, own, default, sources, problems)
