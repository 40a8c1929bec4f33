"""Themes: loading, the fallback rule, the Display -> theme state table, rendering once."""

from __future__ import annotations

import shutil
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from deskpet.pet import IDLE_FLOURISHES, WORKING_VARIANTS, Display, State
from deskpet.ui import theme as theme_mod
from deskpet.ui.theme import (
    DEFAULT_THEME,
    OPTIONAL_STATES,
    POSE_STATES,
    STATE_NAMES,
    THEME_STATES,
    assets_dir,
    load_theme,
    theme_ids,
    theme_state,
    themes_dir,
)

SHIPPED = ["bolt", "deskpet", "neko", "sage"]


def test_assets_dir_in_a_checkout_and_in_a_frozen_app(tmp_path, monkeypatch):
    assert (assets_dir() / "themes" / DEFAULT_THEME / "theme.yaml").is_file()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert assets_dir() == tmp_path / "assets"


def test_every_shipped_theme_has_every_state(qapp):
    assert theme_ids() == SHIPPED
    for theme_id in SHIPPED:
        theme = load_theme(theme_id)
        assert theme.id == theme_id
        assert theme.problems == []
        required = [name for name in STATE_NAMES if name not in OPTIONAL_STATES]
        assert [name for name in theme.own_states() if name not in OPTIONAL_STATES] == required
        # The shipped art draws every optional state too, and lets the eyes follow.
        assert theme.own_states() == list(STATE_NAMES)
        assert theme.eyes_follow
        assert len(theme.animation("look").frames) == 8


def test_every_pet_state_maps_to_a_theme_state():
    for state in State:
        assert theme_state(Display(state)) in STATE_NAMES
    assert set(THEME_STATES.values()) | set(POSE_STATES) == set(STATE_NAMES)


def test_a_theme_without_the_new_poses_keeps_its_own_look(qapp, tmp_path):
    # GIVEN an older theme with only idle and poked frames
    _partial_theme(tmp_path, states=("idle", "poked"))
    theme = load_theme("tiny", root=tmp_path)
    # THEN reactions, walks and mini mode show its own plainer frames, never Pip's
    for state, plainer in (
        ("annoyed", "poked"),
        ("flail", "poked"),
        ("walk", "idle"),
        ("mini", "idle"),
        ("mini_peek", "idle"),
        ("mini_attention", "idle"),
    ):
        animation = theme.animation(state)
        assert (animation.name, animation.theme_id) == (plainer, "tiny"), state
    # AND without its own look frames its eyes stay still
    assert not theme.eyes_follow


def test_a_theme_may_say_no_to_eyes_that_follow(qapp, tmp_path):
    _partial_theme(tmp_path, states=("idle", "look"))
    assert load_theme("tiny", root=tmp_path).eyes_follow
    path = tmp_path / "tiny" / "theme.yaml"
    path.write_text(path.read_text() + "eyes_follow: false\n")
    assert not load_theme("tiny", root=tmp_path).eyes_follow


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        (Display(State.IDLE, "breathing"), "idle"),
        (Display(State.IDLE, "blinking"), "idle_blink"),
        *[(Display(State.IDLE, f), "idle_flourish") for f in IDLE_FLOURISHES],
        *[(Display(State.WORKING, v), f"working_{v}") for v in WORKING_VARIANTS],
        (Display(State.WORKING, ""), "working_shell"),
        (Display(State.WORKING, "compiling"), "working_shell"),  # unknown variant
        (Display(State.WAKING), "waking"),
        (Display(State.POKED, "annoyed"), "annoyed"),
        (Display(State.POKED, "flail"), "flail"),
        (Display(State.DRAGGED, "left"), "dragged_left"),
        (Display(State.DRAGGED, "right"), "dragged_right"),
        (Display(State.WAKING_UP), "waking"),
        (Display(State.POKED), "poked"),
        (Display(State.ERROR, "chat"), "error"),
        (Display(State.DRAGGED), "dragged"),
    ],
)
def test_display_to_theme_state(display, expected):
    assert theme_state(display) == expected


def _partial_theme(root, theme_id="tiny", states=("idle",), broken=()):
    """A theme in `root` that copies a few of neko's states (and breaks some frames)."""
    folder = root / theme_id / "frames"
    folder.mkdir(parents=True)
    lines = [f"id: {theme_id}", f'name: "{theme_id.title()}"', "frames_dir: frames", "states:"]
    for name in states:
        src = themes_dir() / "neko" / "frames" / f"{name}_0.svg"
        shutil.copy(src, folder / f"{name}_0.svg")
        if name in broken:
            (folder / f"{name}_0.svg").write_text("<svg this is not xml", encoding="utf-8")
        lines += [f"  {name}:", "    ms: 100", "    frames:", f"      - {name}_0.svg"]
    (root / theme_id / "theme.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_partial_theme_falls_back_to_the_default_frames(qapp, tmp_path):
    # GIVEN a theme with only idle and happy
    _partial_theme(tmp_path, states=("idle", "happy"))
    # WHEN it is loaded
    theme = load_theme("tiny", root=tmp_path)
    # THEN its own states come from it, every other state from deskpet's frames
    assert theme.id == "tiny"
    assert theme.own_states() == ["idle", "happy"]
    assert theme.animation("happy").theme_id == "tiny"
    assert theme.animation("happy").frames[0].path.parent == tmp_path / "tiny" / "frames"
    sleep = theme.animation("sleep")
    assert sleep.theme_id == DEFAULT_THEME
    assert sleep.name == "sleep"
    assert sleep.frames[0].path.parent == themes_dir() / DEFAULT_THEME / "frames"


def test_an_optional_state_falls_back_to_its_plainer_state_in_the_same_theme(qapp, tmp_path):
    # GIVEN a theme with its own typing frames but no busy look
    _partial_theme(tmp_path, states=("idle", "working_shell"))
    theme = load_theme("tiny", root=tmp_path)
    # THEN the busy look is its own typing animation, never another theme's busy frames
    busy = theme.animation(theme_state(Display(State.WORKING, "busy")))
    assert busy.name == "working_shell"
    assert busy.theme_id == "tiny"
    # AND a theme without either falls back like any other state
    _partial_theme(tmp_path, theme_id="bare", states=("idle",))
    bare = load_theme("bare", root=tmp_path).animation("working_busy")
    assert bare.theme_id == DEFAULT_THEME
    assert bare.name in ("working_busy", "working_shell")


# Qt's SVG reader says it cannot read the broken frame: that frame is the test's input.
@pytest.mark.qt_log_ignore(r"^Cannot read file '.*happy_0\.svg', because: ")
def test_a_broken_frame_counts_as_a_missing_state(qapp, tmp_path):
    _partial_theme(tmp_path, states=("idle", "happy"), broken=("happy",))
    theme = load_theme("tiny", root=tmp_path)
    assert theme.own_states() == ["idle"]
    assert theme.animation("happy").theme_id == DEFAULT_THEME
    assert any("happy" in p for p in theme.problems)


def test_a_missing_frame_counts_as_a_missing_state(qapp, tmp_path):
    _partial_theme(tmp_path, states=("idle", "happy"))
    (tmp_path / "tiny" / "frames" / "happy_0.svg").unlink()
    theme = load_theme("tiny", root=tmp_path)
    assert theme.animation("happy").theme_id == DEFAULT_THEME


def test_fallback_order_default_state_before_own_idle(qapp, tmp_path, monkeypatch):
    # Step 3 and 4 of the rule need a state the default theme lacks too.
    _partial_theme(tmp_path, states=("idle",))
    theme = load_theme("tiny", root=tmp_path)
    monkeypatch.delitem(theme._default, "doze")
    assert theme.animation("doze").theme_id == "tiny"  # T's idle
    assert theme.animation("doze").name == "idle"


@pytest.mark.qt_log_ignore(r"^Cannot read file '.*idle_0\.svg', because: ")
def test_a_broken_idle_falls_back_to_the_default_idle(qapp, tmp_path):
    _partial_theme(tmp_path, states=("idle", "happy"), broken=("idle",))
    theme = load_theme("tiny", root=tmp_path)
    assert theme.animation("idle").theme_id == DEFAULT_THEME


@pytest.mark.parametrize(
    "yaml_text",
    [None, "states: [unclosed", "format: 2\nstates: {idle: {frames: [a.svg]}}", "- a list"],
)
def test_an_unusable_theme_gives_the_default_theme(qapp, tmp_path, caplog, yaml_text):
    if yaml_text is not None:
        (tmp_path / "odd").mkdir()
        (tmp_path / "odd" / "theme.yaml").write_text(yaml_text, encoding="utf-8")
    theme = load_theme("odd", root=tmp_path)
    assert theme.id == DEFAULT_THEME
    assert theme.problems
    assert "using deskpet" in caplog.text


def test_unknown_states_and_keys_are_ignored(qapp, tmp_path):
    _partial_theme(tmp_path, states=("idle",))
    path = tmp_path / "tiny" / "theme.yaml"
    path.write_text(
        path.read_text() + "  dancing:\n    frames: [nothing.svg]\nsparkles: true\n",
        encoding="utf-8",
    )
    theme = load_theme("tiny", root=tmp_path)
    assert theme.own_states() == ["idle"]
    assert theme.problems == []


def test_frame_timing_from_the_yaml(qapp):
    blink = load_theme().animation("idle_blink")
    assert [f.ms for f in blink.frames] == [70, 110, 70]
    assert blink.loop is False
    assert blink.next == "idle"
    assert load_theme().animation("idle").loop is True


def test_tiny_durations_are_clamped(qapp, tmp_path):
    _partial_theme(tmp_path, states=("idle",))
    path = tmp_path / "tiny" / "theme.yaml"
    path.write_text(path.read_text().replace("ms: 100", "ms: 1"), encoding="utf-8")
    assert load_theme("tiny", root=tmp_path).animation("idle").frames[0].ms == theme_mod.MIN_MS


def test_frames_are_rendered_once_per_size_and_ratio(qapp):
    theme = load_theme("neko")
    idle = theme.animation("idle")  # 4 frames, 3 distinct files
    first = theme.pixmaps(idle, 128, 1.0)
    assert theme.render_count == 3
    again = theme.pixmaps(idle, 128, 1.0)
    assert theme.render_count == 3
    assert [p.cacheKey() for p in again] == [p.cacheKey() for p in first]
    theme.pixmaps(idle, 128, 2.0)
    assert theme.render_count == 6
    theme.pixmaps(idle, 64, 1.0)
    assert theme.render_count == 9
    theme.prerender(128, 1.0)
    done = theme.render_count
    theme.prerender(128, 1.0)
    assert theme.render_count == done


@pytest.mark.parametrize("dpr", [1.0, 2.0])
def test_rendered_frames_are_crisp_at_the_device_pixel_ratio(qapp, dpr):
    theme = load_theme()
    pixmap = theme.pixmaps(theme.animation("idle"), 128, dpr)[0]
    assert pixmap.devicePixelRatio() == dpr
    assert (pixmap.width(), pixmap.height()) == (128 * dpr, 128 * dpr)
    assert pixmap.deviceIndependentSize().toSize().width() == 128
    image = pixmap.toImage()
    assert image.hasAlphaChannel()
    # Crisp: the outline's edge goes from clear to solid within a couple of device pixels,
    # as it would not if a 1x rendering had been scaled up.
    row = [image.pixelColor(x, image.height() // 2).alpha() for x in range(image.width())]
    edge = next(i for i, a in enumerate(row) if a > 0)
    assert row[edge + 3] == 255
    assert _opaque_pixels(image) > 0.25 * image.width() * image.height()


def test_retina_frames_are_rendered_not_scaled_up(qapp):
    theme = load_theme()
    idle = theme.animation("idle")
    native = theme.pixmaps(idle, 128, 2.0)[0].toImage()
    upscaled = (
        theme.pixmaps(idle, 128, 1.0)[0]
        .toImage()
        .scaled(
            native.size(),
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    )
    # A scaled-up 1x frame has soft edges twice as wide: far more half-transparent pixels.
    assert _soft_pixels(native) < 0.6 * _soft_pixels(upscaled)


def _soft_pixels(image: QImage) -> int:
    return sum(
        0 < image.pixelColor(x, y).alpha() < 255
        for y in range(image.height())
        for x in range(image.width())
    )


def _opaque_pixels(image: QImage) -> int:
    return (
        sum(
            image.pixelColor(x, y).alpha() > 200
            for y in range(0, image.height(), 2)
            for x in range(0, image.width(), 2)
        )
        * 4
    )
