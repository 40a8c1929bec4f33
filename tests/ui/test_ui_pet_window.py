"""PetWindow: flags, what it paints in every state, the mouse, and where it sits."""

from __future__ import annotations

import yaml
from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from deskpet.pet import Display, State
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.pet_window import FIRST_MARGIN, PetWindow, clamp_into, screen_key
from deskpet.ui.theme import THEME_STATES, load_theme

CENTRE = QPoint(64, 64)
CORNER = QPoint(2, 2)


def _new_window(qtbot, **kwargs) -> PetWindow:
    window = PetWindow(**kwargs)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _screen():
    return QGuiApplication.primaryScreen()


# -- the window itself ----------------------------------------------------------------------------


def test_window_flags_and_attributes(ui_pet_window):
    w = ui_pet_window
    flags = w.windowFlags()
    for flag in (
        Qt.WindowType.Tool,
        Qt.WindowType.FramelessWindowHint,
        Qt.WindowType.WindowStaysOnTopHint,
        Qt.WindowType.WindowDoesNotAcceptFocus,
        Qt.WindowType.NoDropShadowWindowHint,
    ):
        assert flags & flag == flag, flag
    for attribute in (
        Qt.WidgetAttribute.WA_TranslucentBackground,
        Qt.WidgetAttribute.WA_ShowWithoutActivating,
        Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow,
    ):
        assert w.testAttribute(attribute), attribute
    assert w.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert w.objectName() == "pet-window"
    assert w.player.objectName() == "sprite-player"
    assert (w.width(), w.height()) == (128, 128)
    # (Whether showing activates it is up to the platform: offscreen activates every window.)


def test_every_object_has_a_name(ui_pet_window):
    unnamed = [o for o in ui_pet_window.findChildren(QObject) if not o.objectName()]
    assert unnamed == []


def _alpha_problems(image: QImage) -> list[str]:
    """Corners transparent, the middle opaque, no opaque pixel on the outer 1 px border."""
    w, h = image.width(), image.height()
    problems = []
    for x, y in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (4, 4), (w - 5, 4)):
        if image.pixelColor(x, y).alpha() != 0:
            problems.append(f"corner {x},{y} not transparent")
    if image.pixelColor(w // 2, h // 2).alpha() < 200:
        problems.append("middle not opaque")
    border = [(x, 0) for x in range(w)] + [(x, h - 1) for x in range(w)]
    border += [(0, y) for y in range(h)] + [(w - 1, y) for y in range(h)]
    if any(image.pixelColor(x, y).alpha() > 0 for x, y in border):
        problems.append("clipped: paint on the outer border")
    return problems


def test_screenshot_of_every_state_at_1x(qtbot, ui_pet_window, tmp_path):
    window = ui_pet_window
    for (state, variant), name in THEME_STATES.items():
        window.set_display(Display(state, "" if variant == "*" else variant))
        assert window.player.state == name
        qtbot.waitUntil(lambda: window.player.pixmap is not None, timeout=100)
        image = window.grab().toImage()
        image.save(str(tmp_path / f"{name}.png"))
        assert (image.width(), image.height()) == (128, 128)
        assert image.hasAlphaChannel()
        assert _alpha_problems(image) == [], name
        assert image == window.player.pixmap.toImage().convertToFormat(image.format())


def test_every_frame_of_every_theme_at_2x_is_crisp_and_unclipped(qtbot, ui_pet_window):
    window = ui_pet_window
    for theme_id in ("deskpet", "neko", "bolt", "sage"):
        window.set_theme(theme_id)
        window.player.set_size(128, 2.0)  # as on a Retina screen
        for (state, variant), name in THEME_STATES.items():
            window.set_display(Display(state, "" if variant == "*" else variant))
            image = _render_at(window, 2.0)
            assert (image.width(), image.height()) == (256, 256)
            assert _alpha_problems(image) == [], (theme_id, name)
        frames = window.theme.pixmaps(window.player.animation, 128, 2.0)
        assert {p.devicePixelRatio() for p in frames} == {2.0}


def _render_at(widget: QWidget, dpr: float) -> QImage:
    """What the widget paints on a screen of device pixel ratio `dpr`."""
    image = QImage(widget.size() * dpr, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(dpr)
    image.fill(Qt.GlobalColor.transparent)
    widget.render(image)
    return image


def test_the_2x_window_paints_native_pixels(qtbot, ui_pet_window):
    window = ui_pet_window
    window.player.set_size(128, 2.0)
    painted = _render_at(window, 2.0)
    frame = window.player.pixmap.toImage().convertToFormat(painted.format())
    assert painted.convertToFormat(frame.format()) == frame  # no resampling on the way


def test_set_display_and_set_theme(ui_pet_window):
    ui_pet_window.set_display(Display(State.WORKING, "reading"))
    assert ui_pet_window.player.state == "working_reading"
    ui_pet_window.set_theme("sage")
    assert ui_pet_window.theme.id == "sage"
    assert ui_pet_window.player.state == "working_reading"
    assert ui_pet_window.player.animation.theme_id == "sage"
    ui_pet_window.set_theme("no-such-theme")
    assert ui_pet_window.theme.id == "deskpet"


def test_the_player_runs_only_while_shown(qtbot, ui_pet_window):
    assert ui_pet_window.player.running
    ui_pet_window.hide()
    assert not ui_pet_window.player.running


# -- the mouse -----------------------------------------------------------------------------------


def test_click(qtbot, ui_pet_window):
    w = ui_pet_window
    with qtbot.assertNotEmitted(w.on_double_clicked), qtbot.assertNotEmitted(w.on_drag_started):
        with qtbot.waitSignal(w.on_clicked, timeout=1000):
            qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=CENTRE)


def test_a_click_on_a_transparent_pixel_is_refused(qtbot, ui_pet_window):
    w = ui_pet_window
    assert not w.is_opaque_at(w.mapToGlobal(CORNER))
    assert w.is_opaque_at(w.mapToGlobal(CENTRE))
    with qtbot.assertNotEmitted(w.on_clicked), qtbot.assertNotEmitted(w.on_double_clicked):
        qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=CORNER)
        qtbot.mouseDClick(w, Qt.MouseButton.LeftButton, pos=CORNER)


def test_right_click_is_not_a_poke(qtbot, ui_pet_window):
    with qtbot.assertNotEmitted(ui_pet_window.on_clicked):
        qtbot.mouseClick(ui_pet_window, Qt.MouseButton.RightButton, pos=CENTRE)


def test_double_click(qtbot, ui_pet_window):
    w = ui_pet_window
    clicks, doubles = [], []
    w.on_clicked.connect(lambda: clicks.append(1))
    w.on_double_clicked.connect(lambda: doubles.append(1))
    # What Qt delivers for a double-click: press, release, double-click, release.
    qtbot.mousePress(w, Qt.MouseButton.LeftButton, pos=CENTRE)
    qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, pos=CENTRE)
    qtbot.mouseDClick(w, Qt.MouseButton.LeftButton, pos=CENTRE)
    qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, pos=CENTRE)
    assert (len(clicks), len(doubles)) == (1, 1)


def test_drag_moves_the_window(qtbot, ui_pet_window):
    w = ui_pet_window
    w.move(200, 200)
    start = w.pos()
    finished = []
    w.on_drag_finished.connect(finished.append)
    with qtbot.assertNotEmitted(w.on_clicked):
        qtbot.mousePress(w, Qt.MouseButton.LeftButton, pos=CENTRE)
        with qtbot.waitSignal(w.on_drag_started, timeout=1000):
            qtbot.mouseMove(w, CENTRE + QPoint(30, 20))
        assert w.pos() == start + QPoint(30, 20)
        qtbot.mouseMove(w, CENTRE + QPoint(10, 5))  # relative to the moved window
        qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, pos=CENTRE + QPoint(10, 5))
    assert w.pos() == start + QPoint(40, 25)
    assert finished == [w.pos()]


def test_a_small_wobble_is_still_a_click(qtbot, ui_pet_window):
    w = ui_pet_window
    start = w.pos()
    with qtbot.assertNotEmitted(w.on_drag_started):
        with qtbot.waitSignal(w.on_clicked, timeout=1000):
            qtbot.mousePress(w, Qt.MouseButton.LeftButton, pos=CENTRE)
            qtbot.mouseMove(w, CENTRE + QPoint(2, 1))
            qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, pos=CENTRE + QPoint(2, 1))
    assert w.pos() == start


def _drag_to(qtbot, window: PetWindow, target: QPoint) -> None:
    qtbot.mousePress(window, Qt.MouseButton.LeftButton, pos=CENTRE)
    qtbot.mouseMove(window, CENTRE + (target - window.pos()))
    qtbot.mouseRelease(window, Qt.MouseButton.LeftButton, pos=CENTRE)


# -- where it sits -------------------------------------------------------------------------------


def test_first_spot_is_near_the_bottom_right(ui_pet_window):
    area = _screen().availableGeometry()
    assert ui_pet_window.frameGeometry().bottomRight() == area.bottomRight() - QPoint(
        FIRST_MARGIN, FIRST_MARGIN
    )


def test_position_is_remembered_per_screen(qtbot, ui_home):
    # GIVEN a pet dragged to (100, 150)
    first = _new_window(qtbot)
    _drag_to(qtbot, first, QPoint(100, 150))
    assert first.pos() == QPoint(100, 150)
    # THEN settings.yaml holds the spot under this screen's key
    saved = yaml.safe_load((ui_home / "settings.yaml").read_text())
    assert saved["pet_positions"] == {screen_key(_screen()): [100, 150]}
    # AND a new pet window (a new launch) sits there again
    first.close()
    second = _new_window(qtbot)
    assert second.pos() == QPoint(100, 150)


def test_a_drop_off_screen_is_clamped_back(qtbot, ui_pet_window):
    area = _screen().availableGeometry()
    _drag_to(qtbot, ui_pet_window, QPoint(area.right() + 300, 40))
    assert ui_pet_window.frameGeometry().right() == area.right()
    assert ui_pet_window.y() == 40


def test_a_saved_spot_off_screen_is_clamped_back(qtbot, ui_home):
    settings = Settings()
    settings.set("pet_positions", {screen_key(_screen()): [5000, -300]})
    settings.save()
    window = _new_window(qtbot)
    area = _screen().availableGeometry()
    assert window.frameGeometry().topRight() == QPoint(area.right(), area.top())


def test_spots_of_absent_screens_are_kept_but_not_used(qtbot, ui_home):
    settings = Settings()
    settings.set("pet_positions", {"Studio Display@-2560,0 2560x1440": [-1000, 300]})
    settings.save()
    window = _new_window(qtbot)
    assert _screen().availableGeometry().contains(window.frameGeometry())
    _drag_to(qtbot, window, QPoint(10, 10))
    saved = Settings().get("pet_positions")
    assert saved == {
        "Studio Display@-2560,0 2560x1440": [-1000, 300],
        screen_key(_screen()): [10, 10],
    }


def test_comes_back_when_its_screen_changes(qtbot, ui_pet_window):
    # GIVEN a pet left where a monitor used to be
    ui_pet_window.move(3000, 2500)
    # WHEN the screens change
    _screen().geometryChanged.emit(_screen().geometry())
    # THEN it is back on a screen, at its remembered spot or the first one
    assert _screen().availableGeometry().contains(ui_pet_window.frameGeometry())


def test_a_pet_partly_off_its_screen_is_nudged_back(qtbot, ui_pet_window):
    area = _screen().availableGeometry()
    ui_pet_window.move(area.right() - 50, 100)
    _screen().availableGeometryChanged.emit(area)
    assert ui_pet_window.pos() == QPoint(area.right() - 127, 100)


def test_screen_signals_after_the_window_is_gone(qtbot, ui_home):
    window = PetWindow()
    window.show()
    window.deleteLater()
    qtbot.waitUntil(lambda: not isValid(window), timeout=5000)
    _screen().geometryChanged.emit(_screen().geometry())  # must not touch the dead window


def test_clamp_into():
    from PySide6.QtCore import QRect

    area = QRect(0, 0, 800, 600)
    assert clamp_into(QRect(-50, 700, 100, 100), area) == QPoint(0, 500)
    assert clamp_into(QRect(10, 10, 100, 100), area) == QPoint(10, 10)
    assert clamp_into(QRect(10, 10, 1000, 100), area) == QPoint(0, 10)  # too big: top-left


# -- the platform --------------------------------------------------------------------------------


class _RecordingPlatform(DefaultPlatform):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def attach_pet_window(self, window, is_opaque_at) -> None:
        self.calls.append("attach")
        assert is_opaque_at(window.mapToGlobal(CENTRE))

    def detach_pet_window(self, window) -> None:
        self.calls.append("detach")


def test_the_platform_is_told_when_the_window_shows_and_hides(qtbot, ui_home):
    platform = _RecordingPlatform()
    window = _new_window(qtbot, platform=platform)
    window.hide()
    assert platform.calls == ["attach", "detach"]


def test_a_taller_canvas_gives_a_taller_window(qapp):
    theme = load_theme()
    theme.viewbox = (256, 384)
    assert (theme.frame_size(128).width(), theme.frame_size(128).height()) == (128, 192)
