"""PetLife offscreen: mini mode at each side edge (entry by a drop or the menu, peek, exit by a
click or a drag), eyes that follow the pointer, walks, and the size setting on the window.

The offscreen screen is one 800x800 display; that is the geometry the edges are tested on.
"""

from __future__ import annotations

import random

import pytest
import yaml
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor

from deskpet.pet import Display, State
from deskpet.pet.walk import WalkPlanner, WalkTimings
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.pet_life import PetLife
from deskpet.ui.pet_window import PetWindow, screen_key

CENTRE = QPoint(64, 64)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FullScreen(DefaultPlatform):
    """A full-screen app in front (the Mac's answer, which Linux cannot give)."""

    def full_screen_app_active(self) -> bool:
        return True


def make(qtbot, ui_home, platform=None, **settings):
    store = Settings()
    for key, value in settings.items():
        store.put(key, value)
    pet = PetWindow(settings=store, platform=DefaultPlatform())
    qtbot.addWidget(pet)
    clock = FakeClock()
    walks = WalkPlanner(random.Random(3), WalkTimings((5.0, 5.0), (80.0, 80.0), 40.0))
    life = PetLife(pet, store, platform or DefaultPlatform(), clock=clock, walks=walks)
    pet.on_clicked.connect(life.take_click)  # as the app does: a click leaves mini mode
    QCursor.setPos(0, 0)  # the pointer is global: away from where the tests put the pet
    pet.show()
    qtbot.waitExposed(pet)
    life.settings_changed()
    return pet, life, clock


def saved(ui_home) -> dict:
    return yaml.safe_load((ui_home / "settings.yaml").read_text()) or {}


def drop_at(qtbot, pet: PetWindow, target_x: int, y: int = 300) -> None:
    """Carry the pet with real mouse events so its left edge ends near target_x."""
    pet.move(400 - 64, y)
    qtbot.mousePress(pet, Qt.MouseButton.LeftButton, pos=CENTRE)
    qtbot.mouseMove(pet, CENTRE + QPoint(target_x - pet.x(), 0))
    qtbot.mouseRelease(pet, Qt.MouseButton.LeftButton, pos=CENTRE)


def opaque_point(pet: PetWindow, xs: range) -> QPoint:
    """A local point on the pet's body among columns `xs` (for a click that hits it)."""
    for y in range(40, pet.height() - 10, 4):
        for x in xs:
            if pet.is_opaque_at(pet.mapToGlobal(QPoint(x, y))):
                return QPoint(x, y)
    raise AssertionError("no opaque pixel in the visible part")


@pytest.mark.parametrize(
    ("edge", "target", "mirrored"), [("right", 790, False), ("left", -20, True)]
)
def test_a_drop_at_a_side_edge_tucks_the_pet_half_in_and_a_click_brings_it_out(
    qtbot, ui_home, edge, target, mirrored
):
    pet, life, _clock = make(qtbot, ui_home)
    # WHEN the owner drags the pet against the edge
    with qtbot.waitSignal(life.on_mini_changed, timeout=1000) as entered:
        drop_at(qtbot, pet, target)
    # THEN half of it hides behind that edge, the mini pose shows, and the choice is kept
    assert entered.args == [True]
    assert life.mini_edge == edge and pet.tucked
    assert pet.x() == (800 - 64 if edge == "right" else -64)
    assert pet.y() == 300
    assert (pet.pose, pet.mirrored) == ("mini", mirrored)
    assert pet.player.state == "mini"
    assert saved(ui_home)["pet_mini"] == {screen_key(pet.screen()): edge}
    # WHEN the owner clicks the part that shows
    visible = range(70, 120) if edge == "left" else range(10, 60)
    with qtbot.waitSignal(life.on_mini_changed, timeout=1000) as left:
        qtbot.mouseClick(pet, Qt.MouseButton.LeftButton, pos=opaque_point(pet, visible))
    # THEN it stands fully on screen beside the edge, and mini mode is forgotten
    assert left.args == [False]
    assert life.mini_edge is None and not pet.tucked
    assert pet.x() == (800 - 128 if edge == "right" else 0)
    assert (pet.pose, pet.mirrored) == (None, False)
    assert saved(ui_home)["pet_mini"] == {}


def test_a_drop_away_from_the_edges_is_no_mini_mode(qtbot, ui_home):
    pet, life, _clock = make(qtbot, ui_home)
    drop_at(qtbot, pet, 300)
    assert life.mini_edge is None and pet.pose is None


def test_dragging_the_tucked_pet_away_leaves_mini_mode(qtbot, ui_home):
    pet, life, _clock = make(qtbot, ui_home)
    life.enter_mini("right")
    # The visible half is left of x 64 in the window.
    grab = opaque_point(pet, range(10, 60))
    with qtbot.waitSignal(life.on_mini_changed, timeout=1000) as changed:
        qtbot.mousePress(pet, Qt.MouseButton.LeftButton, pos=grab)
        qtbot.mouseMove(pet, grab + QPoint(-300, 0))
    assert changed.args == [False]
    assert not pet.tucked
    qtbot.mouseRelease(pet, Qt.MouseButton.LeftButton, pos=grab)
    assert life.mini_edge is None
    assert pet.frameGeometry().right() < 800


def test_the_tucked_pet_peeks_when_the_pointer_comes_near(qtbot, ui_home):
    pet, life, _clock = make(qtbot, ui_home)
    pet.move(600, 200)
    life.enter_mini("right")  # as the menu's "Mini Mode" does: the nearer edge
    assert life.clock_timer.isActive()
    QCursor.setPos(100, 100)
    life.tick()
    assert pet.pose == "mini" and pet.x() == 800 - 64
    QCursor.setPos(pet.x() - 20, pet.y() + 60)
    life.tick()
    assert life.peeking and pet.pose == "mini_peek"
    assert pet.x() == 800 - round(128 * 0.72)
    QCursor.setPos(100, 100)
    life.tick()
    assert not life.peeking and pet.x() == 800 - 64
    # The bell and the done chime show in mini form.
    for state, pose in ((State.ATTENTION, "mini_attention"), (State.HAPPY, "mini_happy")):
        pet.set_display(Display(state))
        life.set_display(pet.display)
        assert pet.pose == pose


def test_mini_mode_is_restored_per_screen_at_the_next_start(qtbot, ui_home):
    pet, life, _clock = make(qtbot, ui_home)
    drop_at(qtbot, pet, 790)
    pet.close()
    again, life2, _ = make(qtbot, ui_home)
    life2.restore()
    assert life2.mini_edge == "right" and again.x() == 800 - 64


def test_eyes_follow_the_pointer_and_rest_when_it_is_still(qtbot, ui_home):
    pet, life, _clock = make(qtbot, ui_home)
    pet.move(300, 300)
    assert life.clock_timer.isActive()
    assert life.clock_timer.interval() >= 100  # never faster than the pet machine's clock
    eye = pet.mapToGlobal(QPoint(64, 60))
    QCursor.setPos(eye + QPoint(150, 0))
    life.tick()
    assert pet.player.held and pet.player.state == "look" and pet.player.frame_index == 0
    QCursor.setPos(eye + QPoint(0, -150))
    life.tick()
    assert pet.player.frame_index == 2  # up
    # A still pointer: nothing changes, not even a repaint.
    frames = []
    pet.player.on_frame.connect(frames.append)
    for _ in range(5):
        life.tick()
    assert frames == []
    # Far away: it looks ahead again (the idle animation plays).
    QCursor.setPos(eye + QPoint(0, -600))
    life.tick()
    assert life.look is None and not pet.player.held and pet.player.state == "idle"


def test_eyes_never_follow_while_asleep_or_when_switched_off(qtbot, ui_home):
    pet, life, _clock = make(qtbot, ui_home)
    pet.move(300, 300)
    for state in (State.YAWN, State.DOZE, State.SLEEP, State.WORKING):
        pet.set_display(Display(state))
        life.set_display(pet.display)
        assert not life.clock_timer.isActive(), state  # nothing ticks for it at all
        QCursor.setPos(pet.mapToGlobal(QPoint(200, 60)))
        life.tick()
        assert life.look is None and pet.pose is None
    pet.set_display(Display(State.IDLE))
    life.set_display(pet.display)
    pet.settings.put("eyes_follow", False)
    life.settings_changed()
    assert not life.clock_timer.isActive()


def test_a_walk_goes_along_its_line_on_its_screen_and_sits_again(qtbot, ui_home):
    pet, life, clock = make(qtbot, ui_home, pet_walks=True)
    pet.move(400, 500)
    QCursor.setPos(0, 0)
    life.tick()  # the first tick sets the wait (5 s here)
    clock.now += 5.0
    life.tick()
    assert life.walking and pet.pose == "walk"
    xs = []
    for _ in range(12):
        clock.now += 0.25
        life.tick()
        xs.append(pet.x())
        assert pet.y() == 500 and 0 <= pet.x() <= 800 - 128
    assert not life.walking and pet.pose is None
    assert abs(pet.x() - 400) == 80
    assert saved(ui_home)["pet_positions"][screen_key(pet.screen())] == [pet.x(), 500]


@pytest.mark.parametrize("why", ["working", "bubble", "full_screen", "off"])
def test_no_walk_while_an_agent_works_a_window_is_open_or_a_full_screen_app_shows(
    qtbot, ui_home, why
):
    platform = FullScreen() if why == "full_screen" else None
    pet, life, clock = make(qtbot, ui_home, platform, pet_walks=why != "off")
    if why == "bubble":
        life._blocked = lambda: True  # the app's check: a card, the bubble or the list shows
    if why == "working":
        pet.set_display(Display(State.WORKING))
        life.set_display(pet.display)
    pet.move(400, 500)
    for _ in range(40):
        clock.now += 0.5
        life.tick()
        assert not life.walking and pet.pos() == QPoint(400, 500)


def test_a_walk_stops_when_an_agent_starts_working(qtbot, ui_home):
    pet, life, clock = make(qtbot, ui_home, pet_walks=True)
    pet.move(400, 500)
    life.tick()
    clock.now += 5.5
    life.tick()
    assert life.walking
    pet.set_display(Display(State.WORKING))
    life.set_display(pet.display)
    assert not life.walking and pet.pose is None
    assert pet.player.state == "working_shell"


def test_size_changes_keep_the_feet_in_place_and_render_crisp_at_2x(qtbot, ui_home):
    pet, life, _clock = make(qtbot, ui_home)
    pet.move(300, 400)
    feet = (pet.x() + 64, pet.y() + 128)
    with qtbot.waitSignal(pet.on_resized, timeout=1000):
        pet.set_pet_size(176)
    assert (pet.width(), pet.height()) == (176, 176)
    assert (pet.x() + 88, pet.y() + 176) == feet
    pet.player.set_size(176, 2.0)  # as on a Retina screen
    pixmap = pet.player.pixmap
    assert (pixmap.width(), pixmap.height(), pixmap.devicePixelRatio()) == (352, 352, 2.0)
    # Rendered from the SVG at that size, not scaled up: the outline is a sharp edge.
    image = pixmap.toImage()
    row = [image.pixelColor(x, 176).alpha() for x in range(352)]
    first = next(i for i, a in enumerate(row) if a > 0)
    assert row[first + 3] == 255  # opaque within a few device pixels of the edge
    # A tucked pet resized stays tucked at its edge.
    life.enter_mini("right")
    pet.set_pet_size(96)
    assert pet.x() == 800 - 48


def test_anchored_windows_stand_at_the_body_height_which_scales_with_the_size():
    from PySide6.QtCore import QRect

    from deskpet.ui.placement import beside, pet_body

    screen = QRect(0, 0, 1440, 900)
    small, large = pet_body(QRect(400, 500, 96, 96)), pet_body(QRect(400, 500, 192, 192))
    assert abs((large.top() - 500) - 2 * (small.top() - 500)) <= 1  # rounding only
    assert abs(large.height() - 2 * small.height()) <= 1
    assert (large.left(), large.width()) == (400, 192)  # beside the window, never over it
    corner, side = beside(large, screen, 300, 100, top=large.top(), gap=6, prefer="right")
    assert side == "right" and corner.x() == 400 + 192 + 6 - 1
    # A tucked pet: only the part on the screen counts, so the window goes on the open side.
    tucked = pet_body(QRect(1440 - 64, 300, 128, 128), screen)
    assert tucked.right() == 1439
    _corner, side = beside(tucked, screen, 300, 100, top=tucked.top(), gap=6, prefer="right")
    assert side == "left"


def test_the_idle_cpu_bench_runs_the_eyes_awake_and_rests_them_asleep(qtbot, ui_home):
    from deskpet.ui.bench_idle import measure_idle_cpu

    awake = measure_idle_cpu(1.2)
    asleep = measure_idle_cpu(1.2, asleep=True)
    assert awake["looks"] > 0  # the circling pointer was watched
    assert asleep["looks"] == 0  # never while asleep
    assert all(0 <= r["cpu_percent"] < 100 for r in (awake, asleep))  # the size: the bench's job


def test_send_to_a_display_goes_to_its_remembered_spot_and_tucks_in_if_it_was_tucked_there(
    qtbot, ui_home
):
    pet, life, _clock = make(qtbot, ui_home)
    screen = pet.screen()
    # GIVEN a spot remembered on the display WHEN the pet is sent there THEN it goes to it
    pet.settings.put("pet_positions", {screen_key(screen): [120, 240]})
    pet.move(500, 500)
    life.send_to(screen)
    assert pet.pos() == QPoint(120, 240) and life.mini_edge is None
    # GIVEN it was tucked into that display's right edge WHEN sent there THEN it tucks again
    pet.settings.put("pet_mini", {screen_key(screen): "right"})
    life.send_to(screen)
    assert life.mini_edge == "right" and pet.x() == 800 - 64
    # AND with nothing remembered it sits near the bottom right, fully on the display
    pet.settings.put("pet_positions", {})
    pet.settings.put("pet_mini", {})
    life.send_to(screen)
    assert life.mini_edge is None
    assert screen.availableGeometry().contains(pet.frameGeometry())


def test_the_life_clock_slows_while_the_pointer_rests_and_quickens_when_it_moves(qtbot, ui_home):
    from deskpet.ui.pet_life import LIFE_MS, LIFE_STILL_MS, STILL_TICKS

    pet, life, _clock = make(qtbot, ui_home, eyes_follow=True)
    pet.move(300, 300)
    assert life.clock_timer.isActive() and life.clock_timer.interval() == LIFE_MS
    QCursor.setPos(200, 200)
    for _ in range(STILL_TICKS):
        life.tick()
    # One tick read the new place; the pointer has rested for every tick since.
    assert life.clock_timer.interval() == LIFE_MS
    life.tick()
    assert life.clock_timer.interval() == LIFE_STILL_MS
    assert life.clock_timer.isActive()
    QCursor.setPos(520, 330)  # the owner reaches for the mouse: the eyes look at once
    life.tick()
    assert life.clock_timer.interval() == LIFE_MS
    assert life.look is not None
