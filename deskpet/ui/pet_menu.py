"""PetMenu: the menu a right-click on the pet opens.

It offers what the tray offers that matters on the desk (chat, sessions, persona, Do Not
Disturb, Settings, Quit) through the tray's own actions, so a choice here and one in the menu
bar are the same code and stay in step, plus what only makes sense on the pet itself: mini
mode, hide, and moving it between displays. Lists (sessions, personas, displays) are rebuilt
each time the menu opens.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QScreen
from PySide6.QtWidgets import QMenu, QWidget

from deskpet.i18n import tr
from deskpet.ui.tray import TrayMenu


def screen_label(screen: QScreen, main: bool) -> str:
    g = screen.geometry()
    name = screen.name() or tr("Display")
    size = f"{g.width()}\u00d7{g.height()}"
    if main:
        return tr("{name} ({size}) \u2014 main", name=name, size=size)
    return f"{name} ({size})"


class PetMenu(QMenu):
    """The pet's right-click menu (object name "pet-menu"; every action has an object name).

    Attributes:
        persona_menu: the "Persona" submenu ("pet-persona-<id>" actions).
        displays_menu: the "Send to Display" submenu ("display-<n>" actions, in Qt's order).
        mini_action: "Mini Mode" (checkable, shows whether the pet is tucked in).

    Signals:
        on_mini_toggled(bool): the owner asked for mini mode (True) or out of it.
        on_send_to_screen(object): the owner picked a QScreen to move the pet to.
    """

    on_mini_toggled = Signal(bool)
    on_send_to_screen = Signal(object)

    def __init__(self, tray: TrayMenu, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pet-menu")
        self._tray = tray
        self.addAction(tray.chat_action)
        # The tray's own sessions submenu: one list, filled by the tray each time it opens.
        tray.sessions_menu.aboutToShow.connect(tray.rebuild_sessions)
        self.addMenu(tray.sessions_menu)
        self.persona_menu = QMenu(tr("Persona"), self)
        self.persona_menu.setObjectName("pet-persona-menu")
        self.persona_menu.menuAction().setObjectName("pet-persona")
        self.persona_menu.aboutToShow.connect(self.rebuild_personas)
        self.addMenu(self.persona_menu)
        self._persona_group = QActionGroup(self)
        self._persona_group.setExclusive(True)
        self.addSeparator()
        self.addAction(tray.dnd_action)
        self.mini_action = self._action("mini-mode", tr("Mini Mode"), checkable=True)
        self.mini_action.setToolTip(tr("Tuck the pet half behind the nearest side of the screen"))
        self.mini_action.triggered.connect(self.on_mini_toggled)
        self.addAction(self.mini_action)
        self.hide_action = self._action("hide-pet", tr("Hide Pet"))
        self.hide_action.setToolTip(tr("Show it again from the menu bar"))
        self.hide_action.triggered.connect(lambda: tray.show_action.setChecked(False))
        self.addAction(self.hide_action)
        self.displays_menu = QMenu(tr("Send to Display"), self)
        self.displays_menu.setObjectName("displays-menu")
        self.displays_menu.menuAction().setObjectName("send-to-display")
        self.displays_menu.aboutToShow.connect(self.rebuild_displays)
        self.addMenu(self.displays_menu)
        self.main_display_action = self._action(
            "bring-to-main-display", tr("Bring to Main Display")
        )
        self.main_display_action.triggered.connect(self._to_main)
        self.addAction(self.main_display_action)
        self.addSeparator()
        self.addAction(tray.settings_action)
        self.addAction(tray.quit_action)
        self.aboutToShow.connect(self.rebuild_displays)

    def _action(self, name: str, text: str, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setCheckable(checkable)
        return action

    def set_mini(self, on: bool) -> None:
        self.mini_action.setChecked(on)

    def open_at(self, point: QPoint) -> None:
        """Show the menu at a global point (without blocking, like any popup)."""
        self.popup(point)

    # -- lists rebuilt on opening ----------------------------------------------------------------

    def rebuild_personas(self) -> None:
        """The tray's persona list, as a submenu; a pick goes through the tray's signal."""
        for action in self.persona_menu.actions():
            self._persona_group.removeAction(action)
            self.persona_menu.removeAction(action)
            action.setParent(None)
        self._tray.rebuild_personas()  # the tray's list is the source (and logs its failures)
        for source in self._tray.persona_actions():
            persona = source.data()
            action = self._action(f"pet-persona-{persona}", source.text(), checkable=True)
            action.setChecked(persona == self._tray.persona)
            action.triggered.connect(lambda _checked=False, s=source: s.trigger())
            self._persona_group.addAction(action)
            self.persona_menu.addAction(action)

    def rebuild_displays(self) -> None:
        """One item per connected screen; the main display comes first, marked."""
        for action in self.displays_menu.actions():
            self.displays_menu.removeAction(action)
            action.setParent(None)
        primary = QGuiApplication.primaryScreen()
        screens = QGuiApplication.screens()
        for i, screen in enumerate(screens):
            action = self._action(f"display-{i}", screen_label(screen, screen is primary))
            action.triggered.connect(
                lambda _checked=False, s=screen: self.on_send_to_screen.emit(s)
            )
            self.displays_menu.addAction(action)
        self.displays_menu.setEnabled(len(screens) > 1)

    def _to_main(self) -> None:
        primary = QGuiApplication.primaryScreen()
        if primary is not None:
            self.on_send_to_screen.emit(primary)
