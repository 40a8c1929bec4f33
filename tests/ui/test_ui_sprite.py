"""SpritePlayer: one timer, theme timing, restart on switch, play-once with `next`."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QTimer

from deskpet.ui.sprite import SpritePlayer
from deskpet.ui.theme import load_theme, themes_dir


def _quick_theme(root, once_without_next=False):
    """A theme whose idle loops 3 frames of 20 ms and whose happy plays once (-> idle)."""
    folder = root / "quick" / "frames"
    folder.mkdir(parents=True)
    for name in ("idle_0", "idle_1", "idle_2", "happy_0", "happy_1"):
        shutil.copy(themes_dir() / "deskpet" / "frames" / f"{name}.svg", folder)
    happy_next = "" if once_without_next else "    next: idle\n"
    (root / "quick" / "theme.yaml").write_text(
        "id: quick\nname: Quick\nframes_dir: frames\nstates:\n"
        "  idle:\n    ms: 20\n    frames: [idle_0.svg, idle_1.svg, idle_2.svg]\n"
        f"  happy:\n    ms: 20\n    loop: false\n{happy_next}"
        "    frames: [happy_0.svg, happy_1.svg]\n",
        encoding="utf-8",
    )
    return load_theme("quick", root=root)


@pytest.fixture
def quick_player(qapp, tmp_path):
    player = SpritePlayer(_quick_theme(tmp_path), size=64)
    yield player
    player.stop()


def test_loops_through_frames_with_one_timer(qtbot, quick_player):
    assert quick_player.findChildren(QTimer) == [quick_player.findChild(QTimer, "sprite-timer")]
    seen = []
    quick_player.on_frame.connect(lambda _p: seen.append(quick_player.frame_index))
    quick_player.start()
    qtbot.waitUntil(lambda: len(seen) >= 7, timeout=2000)
    assert seen[:7] == [1, 2, 0, 1, 2, 0, 1]


def test_ticks_never_render(qtbot, quick_player):
    renders = quick_player.theme.render_count
    quick_player.start()
    with qtbot.waitSignals([quick_player.on_frame] * 6, timeout=2000):
        pass
    quick_player.play("happy")
    qtbot.waitUntil(lambda: quick_player.state == "idle", timeout=2000)
    # Only happy's two frames were new; every tick just swapped pixmaps.
    assert quick_player.theme.render_count == renders + 2


def test_switching_state_restarts_at_frame_zero(qtbot, quick_player):
    quick_player.start()
    qtbot.waitUntil(lambda: quick_player.frame_index == 2, timeout=2000)
    with qtbot.waitSignal(quick_player.on_animation_changed, timeout=1000) as changed:
        quick_player.play("happy")
    assert changed.args == ["happy"]
    assert quick_player.frame_index == 0
    assert quick_player.state == "happy"


def test_asking_again_for_the_same_state_does_not_restart(qtbot, quick_player):
    quick_player.start()
    qtbot.waitUntil(lambda: quick_player.frame_index == 2, timeout=2000)
    quick_player.stop()
    quick_player.play("idle")
    assert quick_player.frame_index == 2


def test_play_once_goes_on_to_next(qtbot, quick_player):
    quick_player.start()
    changes = []
    quick_player.on_animation_changed.connect(changes.append)
    quick_player.play("happy")
    qtbot.waitUntil(lambda: changes == ["happy", "idle"], timeout=2000)
    # The machine's later "idle" is what is already playing: no restart.
    quick_player.play("idle")
    assert changes == ["happy", "idle"]


def test_play_once_without_next_holds_the_last_frame(qtbot, qapp, tmp_path):
    player = SpritePlayer(_quick_theme(tmp_path, once_without_next=True), size=64)
    player.play("happy")
    player.start()
    qtbot.waitUntil(lambda: player.frame_index == 1, timeout=2000)
    qtbot.wait(100)
    assert (player.state, player.frame_index) == ("happy", 1)
    assert not player.findChild(QTimer, "sprite-timer").isActive()


def test_a_fallback_state_keeps_its_name(qapp, tmp_path):
    player = SpritePlayer(_quick_theme(tmp_path), size=64)
    player.play("sleep")  # quick has no sleep: deskpet's is used
    assert player.state == "sleep"
    assert player.animation.theme_id == "deskpet"


def test_set_theme_restarts_the_current_state_in_the_new_look(qtbot, quick_player):
    quick_player.play("happy")
    before = quick_player.pixmap.cacheKey()
    with qtbot.waitSignal(quick_player.on_frame, timeout=1000):
        quick_player.set_theme(load_theme("neko"))
    assert quick_player.state == "happy"
    assert quick_player.animation.theme_id == "neko"
    assert quick_player.pixmap.cacheKey() != before


def test_set_size_renders_for_the_new_ratio(quick_player):
    quick_player.set_size(64, 2.0)
    assert quick_player.pixmap.devicePixelRatio() == 2.0
    assert quick_player.pixmap.width() == 128


def test_records_tick_times_when_asked(qtbot, quick_player):
    quick_player.start()
    with qtbot.waitSignals([quick_player.on_frame] * 2, timeout=2000):
        pass
    assert quick_player.tick_times == []
    quick_player.record_ticks(True)
    qtbot.waitUntil(lambda: len(quick_player.tick_times) >= 5, timeout=2000)
    quick_player.record_ticks(False)
    times = [t for t, _ in quick_player.tick_times]
    assert times == sorted(times)
    assert {ms for _, ms in quick_player.tick_times} == {20}
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(0.015 < g < 0.5 for g in gaps)
