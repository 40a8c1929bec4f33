"""TrayMenu: deskpet's menu-bar icon and its menu, the root of the application's UI.

The menu is a view: it shows state it is given (persona, thinking, do-not-disturb, whether the
pet is shown) and emits what the owner chose. Lists that change while deskpet runs (personas,
the live agent sessions, the agents' hook status) are rebuilt each time their menu opens, so
they are never stale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from deskpet.bridge.agents import ids as agent_ids
from deskpet.bridge.agents import long_name
from deskpet.bridge.sessions import SessionView
from deskpet.i18n import N_, tr
from deskpet.ui.sessions_list import EMPTY_TEXT, MAX_ROWS, row_texts
from deskpet.ui.theme import assets_dir

THINKING_TEXT = N_("Thinking Mode")
THINKING_TIP = N_("Let the model think before it answers")
OPEN_CHAT_SHORTCUT = "Ctrl+Shift+Space"  # Cmd+Shift+Space on a Mac (Qt maps Ctrl to Cmd)

log = logging.getLogger(__name__)

# (id, name) or (id, name, voice): the voice ("voice: prompt only with this model") is shown
# after the name.
PersonaSource = Callable[[], list[tuple[str, ...]]]
SessionSource = Callable[[], list[SessionView]]


def tray_icon() -> QIcon:
    """The monochrome menu-bar icon; a mask, so macOS tints it for light and dark menu bars."""
    icon = QIcon()
    folder = assets_dir() / "icons"
    for name in ("menubarTemplate.png", "menubarTemplate@2x.png"):
        if (folder / name).exists():
            icon.addFile(str(folder / name))
    # MAC-CHECK: the menu-bar icon is tinted to match light and dark menu bars
    icon.setIsMask(True)
    return icon


class TrayMenu(QObject):
    """The menu-bar icon and its menu.

    Attributes:
        icon: the QSystemTrayIcon.
        menu: its QMenu (every QAction in it has an object name, e.g. "persona-neko").
        agents_menu: the "Agents" submenu.
        sessions_menu: the "Sessions" submenu: the live agent sessions, as in the pet's list.
        persona: the persona shown as chosen.
        attention: the line of an agent waiting for the owner, else "".

    Signals:
        on_persona_chosen(str): the owner picked a persona (its id).
        on_stop_voice_download(): stop the persona adapter download (`set_voice_download`).
        on_thinking_toggled(bool): thinking mode switched.
        on_dnd_toggled(bool): do-not-disturb switched.
        on_show_toggled(bool): show (True) or hide the pet.
        on_open_chat(): open the chat bubble.
        on_go_to_waiting_terminal(): go to the terminal of the agent that waits (the attention
            line).
        on_agent_action(str, str): ("install" or "uninstall", agent id).
        on_go_to_terminal(str): the owner picked a session (its session id) to go to.
        on_open_settings(): show the owner's settings.
        on_show_logs(): show the folder holding deskpet's log files.
        on_check_connection(): run the connection check ("Check connection…", shown only
            while something is wrong: `set_connection_trouble`).
        on_reconnect(str): put an agent's hooks back after another program removed them
            ("Reconnect Claude Code", shown from `set_lost_hooks`).
        on_notice_clicked(): the owner clicked the last notice (`notify`).
        on_quit(): quit deskpet.
    """

    on_persona_chosen = Signal(str)
    on_stop_voice_download = Signal()
    on_thinking_toggled = Signal(bool)
    on_dnd_toggled = Signal(bool)
    on_show_toggled = Signal(bool)
    on_open_chat = Signal()
    on_go_to_waiting_terminal = Signal()
    on_agent_action = Signal(str, str)
    on_go_to_terminal = Signal(str)
    on_open_settings = Signal()
    on_show_logs = Signal()
    on_check_connection = Signal()
    on_reconnect = Signal(str)
    on_notice_clicked = Signal()
    on_quit = Signal()

    def __init__(
        self,
        personas: PersonaSource,
        agent_status: Callable[[str], object] | None = None,
        agents: tuple[str, ...] = agent_ids(),
        sessions: SessionSource | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("tray")
        self._personas = personas
        self._agent_status = agent_status or _installer_status
        self._agents = agents
        self._sessions = sessions or (lambda: [])
        self.persona = ""
        self.attention = ""
        self._status = "deskpet"

        self.menu = QMenu()
        self.menu.setObjectName("tray-menu")
        self.menu.aboutToShow.connect(self.rebuild_personas)
        self.menu.aboutToShow.connect(self.rebuild_sessions)

        self.status_action = self._action("status", "deskpet", enabled=False)
        self.menu.addAction(self.status_action)
        # Offered only while an agent waits, under the line that says who.
        self.go_to_terminal_action = self._action(
            "go-to-terminal", tr("Go to Terminal"), enabled=False
        )
        self.go_to_terminal_action.setVisible(False)
        self.go_to_terminal_action.triggered.connect(self.on_go_to_waiting_terminal)
        self.menu.addAction(self.go_to_terminal_action)
        self.menu.addSeparator().setObjectName("personas-top")
        self._persona_group = QActionGroup(self)
        self._persona_group.setObjectName("persona-group")
        self._persona_group.setExclusive(True)
        self._persona_actions: list[QAction] = []
        # Shown only while a persona's adapter downloads: its progress, and a click stops it.
        self.voice_download_action = self._action("stop-voice-download", "")
        self.voice_download_action.setVisible(False)
        self.voice_download_action.triggered.connect(self.on_stop_voice_download)
        self.menu.addAction(self.voice_download_action)
        self._personas_end = self.menu.addSeparator()
        self._personas_end.setObjectName("personas-end")

        self.sessions_menu = QMenu(tr("Sessions"), self.menu)
        self.sessions_menu.setObjectName("sessions-menu")
        self.sessions_menu.menuAction().setObjectName("sessions")
        self.menu.addMenu(self.sessions_menu)

        self.chat_action = self._action("open-chat", tr("Chat…"))
        # Works while any deskpet window is active (the app never steals focus to get it).
        self.chat_action.setShortcut(QKeySequence(OPEN_CHAT_SHORTCUT))
        self.chat_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.chat_action.triggered.connect(self.on_open_chat)
        self.menu.addAction(self.chat_action)
        self.show_action = self._action("show-pet", tr("Show Pet"), checkable=True, checked=True)
        self.show_action.toggled.connect(self.on_show_toggled)
        self.menu.addAction(self.show_action)
        self.menu.addSeparator().setObjectName("modes-top")
        self.thinking_action = self._action("thinking-mode", tr(THINKING_TEXT), checkable=True)
        self.thinking_action.setToolTip(tr(THINKING_TIP))
        self.thinking_action.toggled.connect(self.on_thinking_toggled)
        self.menu.addAction(self.thinking_action)
        self.dnd_action = self._action("do-not-disturb", tr("Do Not Disturb"), checkable=True)
        self.dnd_action.toggled.connect(self.on_dnd_toggled)
        self.menu.addAction(self.dnd_action)

        self.agents_menu = QMenu(tr("Agents"), self.menu)
        self.agents_menu.setObjectName("agents-menu")
        self.agents_menu.menuAction().setObjectName("agents")
        self.agents_menu.aboutToShow.connect(self.rebuild_agents)
        self.menu.addMenu(self.agents_menu)
        self.check_action = self._action("check-connection", tr("Check connection…"))
        self.check_action.setVisible(False)
        self.check_action.triggered.connect(self.on_check_connection)
        self.menu.addAction(self.check_action)
        self._reconnect_actions: list[QAction] = []
        self.settings_action = self._action("settings", tr("Settings…"))
        self.settings_action.triggered.connect(self.on_open_settings)
        self.menu.addAction(self.settings_action)
        self.logs_action = self._action("show-logs", tr("Show Logs…"))
        self.logs_action.setToolTip(tr("Open the folder with deskpet's log and crash files"))
        self.logs_action.triggered.connect(self.on_show_logs)
        self.menu.addAction(self.logs_action)
        self.menu.addSeparator().setObjectName("quit-top")
        self.quit_action = self._action("quit", tr("Quit deskpet"))
        self.quit_action.triggered.connect(self.on_quit)
        self.menu.addAction(self.quit_action)

        self.icon = QSystemTrayIcon(tray_icon(), self)
        self.icon.messageClicked.connect(self.on_notice_clicked)
        self.icon.setObjectName("tray-icon")
        self.icon.setToolTip("deskpet")
        self.icon.setContextMenu(self.menu)
        self.rebuild_personas()

    def _action(
        self,
        name: str,
        text: str,
        *,
        checkable: bool = False,
        checked: bool = False,
        enabled: bool = True,
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setCheckable(checkable)
        if checkable:
            action.setChecked(checked)
        action.setEnabled(enabled)
        return action

    # -- state shown -----------------------------------------------------------------------------

    def show(self) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_status(self, text: str) -> None:
        """The grey first line of the menu (what the model is doing); a waiting agent's line
        takes its place until it is answered."""
        self._status = text
        if not self.attention:
            self.status_action.setText(text)

    def set_attention(self, line: str) -> None:
        """An agent needs the owner ("Claude · myproject needs you"), or "" once answered:
        shown as the status line and the icon's tooltip meanwhile, with "Go to Terminal"."""
        self.attention = line
        self.status_action.setText(line or self._status)
        self.icon.setToolTip(line or "deskpet")
        self.go_to_terminal_action.setEnabled(bool(line))
        self.go_to_terminal_action.setVisible(bool(line))

    def set_persona(self, persona: str) -> None:
        self.persona = persona
        for action in self._persona_actions:
            action.setChecked(action.data() == persona)

    def set_voice_download(self, text: str) -> None:
        """ "Stop downloading Neko's voice (42%)" while an adapter downloads; "" hides it."""
        self.voice_download_action.setText(text)
        self.voice_download_action.setVisible(bool(text))

    def set_thinking(self, on: bool, held_off_by: str = "") -> None:
        """Show the setting without emitting on_thinking_toggled. With `held_off_by` (a persona
        trained without thinking is active: personas/thinking.py) the item is off, greyed and
        says why; the owner's choice shows again once it is "" again."""
        action = self.thinking_action
        with _quiet(action):
            action.setChecked(on and not held_off_by)
        action.setEnabled(not held_off_by)
        if held_off_by:
            action.setText(
                tr("Thinking: off for {persona}", persona=held_off_by).replace("&", "&&")
            )
            action.setToolTip(
                tr(
                    "{persona} was trained without thinking, so it answers without it. "
                    "Your choice holds again with another persona.",
                    persona=held_off_by,
                )
            )
        else:
            action.setText(tr(THINKING_TEXT))
            action.setToolTip(tr(THINKING_TIP))

    def set_dnd(self, on: bool) -> None:
        with _quiet(self.dnd_action):
            self.dnd_action.setChecked(on)

    def set_pet_shown(self, shown: bool) -> None:
        with _quiet(self.show_action):
            self.show_action.setChecked(shown)

    def set_connection_trouble(self, trouble: bool) -> None:
        """Show "Check connection…" while something is wrong with the agents' link."""
        self.check_action.setVisible(trouble)

    def set_lost_hooks(self, lost: list[str]) -> None:
        """One "Reconnect <agent>" item per agent whose hooks another program removed."""
        for action in self._reconnect_actions:
            self.menu.removeAction(action)
            action.setParent(None)
        self._reconnect_actions = []
        for agent in lost:
            action = self._action(
                f"reconnect-{agent}", tr("Reconnect {agent}", agent=long_name(agent))
            )
            action.triggered.connect(lambda _checked=False, a=agent: self.on_reconnect.emit(a))
            self.menu.insertAction(self.check_action, action)
            self._reconnect_actions.append(action)

    def notify(self, title: str, text: str) -> None:
        """A passing message from the menu-bar icon (where the platform shows them).

        Not logged: a notice may carry an agent's words (its project, what it asks), which
        stay out of the log; a failure it tells of is logged where it happens."""
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 6000)

    # -- lists rebuilt on opening ----------------------------------------------------------------

    def rebuild_personas(self) -> None:
        """List the personas afresh (runs each time the menu opens)."""
        for action in self._persona_actions:
            self._persona_group.removeAction(action)
            self.menu.removeAction(action)
            action.setParent(None)  # out of findChild's reach at once; Python frees it
        self._persona_actions = []
        try:
            personas = list(self._personas())
        except Exception:  # a broken persona folder must not take the menu down
            log.exception("cannot list personas")
            personas = []
        for persona_id, name, *voice in personas:
            text = f"{name} — {voice[0]}" if voice and voice[0] else name
            action = self._action(
                f"persona-{persona_id}", text, checkable=True, checked=persona_id == self.persona
            )
            action.setData(persona_id)
            action.triggered.connect(lambda _checked=False, p=persona_id: self._choose(p))
            self._persona_group.addAction(action)
            self.menu.insertAction(self._personas_end, action)
            self._persona_actions.append(action)

    def persona_actions(self) -> list[QAction]:
        """The persona items as listed now (the pet's menu mirrors them)."""
        return list(self._persona_actions)

    def _choose(self, persona: str) -> None:
        self.set_persona(persona)
        self.on_persona_chosen.emit(persona)

    def rebuild_sessions(self) -> None:
        """The live agent sessions, two lines each, picked to go to their terminal (each time
        the menu opens); the submenu's title counts them."""
        for action in self.sessions_menu.actions():
            self.sessions_menu.removeAction(action)
            action.setParent(None)
        try:
            sessions = list(self._sessions())
        except Exception as exc:  # the menu must open even if the tracker misbehaves
            log.warning("cannot list the agent sessions: %s", exc)
            sessions = []
        self.sessions_menu.setTitle(
            tr("Sessions ({count})", count=len(sessions)) if sessions else tr("Sessions")
        )
        if not sessions:
            self.sessions_menu.addAction(
                self._action("session-none", tr(EMPTY_TEXT), enabled=False)
            )
            return
        for i, view in enumerate(sessions[:MAX_ROWS]):
            who, what = row_texts(view)
            # "&" would mark a shortcut letter in a menu item: agent words show as written.
            text = f"{who} — {what}".replace("&", "&&")
            action = self._action(f"session-{i}", text)
            action.setToolTip(tr("Go to terminal"))
            action.setData(view.session)
            action.triggered.connect(
                lambda _checked=False, s=view.session: self.on_go_to_terminal.emit(s)
            )
            self.sessions_menu.addAction(action)
        hidden = len(sessions) - MAX_ROWS
        if hidden > 0:
            more = self._action("session-more", tr("+ {count} more", count=hidden), enabled=False)
            self.sessions_menu.addAction(more)

    def rebuild_agents(self) -> None:
        """One status line and an Install or Uninstall item per agent (each time it opens)."""
        for action in self.agents_menu.actions():
            self.agents_menu.removeAction(action)
            action.setParent(None)
        for agent in self._agents:
            name = long_name(agent)
            try:
                report = self._agent_status(agent)
                installed = bool(getattr(report, "installed", False))
                detected = bool(getattr(report, "detected", False))
                ok = bool(getattr(report, "ok", True))
            except Exception as exc:  # an unreadable config shows as such, never raises
                log.warning("agent status for %s failed: %s", agent, exc)
                installed, detected, ok = False, False, False
            if not ok:
                line = tr("{agent}: cannot read its settings", agent=name)
            elif installed:
                line = tr("{agent}: connected", agent=name)
            elif detected:
                line = tr("{agent}: not connected", agent=name)
            else:
                line = tr("{agent}: not found", agent=name)
            status = self._action(f"agent-status-{agent}", line, enabled=False)
            self.agents_menu.addAction(status)
            verb = "uninstall" if installed else "install"
            label = (
                tr("Disconnect {agent}", agent=name)
                if installed
                else tr("Connect {agent}", agent=name)
            )
            change = self._action(f"agent-{verb}-{agent}", f"    {label}", enabled=ok)
            change.triggered.connect(
                lambda _checked=False, v=verb, a=agent: self.on_agent_action.emit(v, a)
            )
            self.agents_menu.addAction(change)


def _installer_status(agent: str):
    from deskpet.bridge import installers

    return installers.status(agent)


class _quiet:
    """Block an action's signals for a programmatic change."""

    def __init__(self, action: QAction) -> None:
        self._action = action

    def __enter__(self) -> None:
        self._blocked = self._action.blockSignals(True)

    def __exit__(self, *_exc) -> None:
        self._action.blockSignals(self._blocked)
