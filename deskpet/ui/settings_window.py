"""SettingsWindow: the owner's preferences pane, built from the declared SETTINGS list.

One row per visible setting (checkbox for bool, spin box for numbers, combo for choices, line
edit for text), grouped into sections, labels on the left and controls on the right, help as a
tooltip. A change applies at once: it is checked, written to settings.yaml (atomically, through
Settings) and announced with `on_setting_changed`. A value that does not fit, or a settings
file that cannot be read, is refused inline and nothing is written.

Below the settings: the sections given to it (the personas: ui/personas_page.py), the agents
(connect or disconnect each one's hooks, Check connection runs `deskpet doctor` and shows its
findings), the data folder, the raw settings.yaml, re-running the first-launch onboarding, the
logs, and the model's folder.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from deskpet import paths
from deskpet.bridge import installers
from deskpet.bridge.agents import ids as agent_ids
from deskpet.bridge.agents import long_name
from deskpet.i18n import N_, shown, tr
from deskpet.platform import DefaultPlatform
from deskpet.safefile import ParseRefused
from deskpet.settings import (
    BY_KEY,
    SETTINGS,
    Setting,
    Settings,
    SettingsFileError,
    SettingValueError,
)
from deskpet.ui.local_models_list import LocalModelsPanel
from deskpet.ui.server_key import ServerKeyEditor
from deskpet.ui.size_editor import SizeEditor

log = logging.getLogger(__name__)

# Sections, in order; a setting not listed here lands in "Other", so a new setting always shows.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        N_("Pet"),
        (
            "persona",
            "pet_size",
            "eyes_follow",
            "pet_walks",
            "bubble_fade_seconds",
            "launch_at_login",
        ),
    ),
    (N_("Agents and quiet"), ("narration", "do_not_disturb", "dnd_schedule", "start_with_agents")),
    (
        N_("Sounds and shortcuts"),
        ("sound_volume", "done_sound", "shortcut_chat", "shortcut_allow", "shortcut_deny"),
    ),
    (
        N_("Model"),
        (
            "model",
            "thinking_default",
            "temperature",
            "top_p",
            "repetition_penalty",
            "max_tokens",
            "context_window",
        ),
    ),
    (N_("Model server"), ("brain", "server_url", "server_model")),
)
# The running pet reads these once, at start (brain settings switch live: ui/brain_switch.py).
NEXT_START = frozenset({"context_window"})
# Key chords, recorded by pressing them.
SHORTCUTS = frozenset({"shortcut_chat", "shortcut_allow", "shortcut_deny"})

ERROR_STYLE = "color: #c0392b;"
NOTE_STYLE = "color: palette(placeholder-text);"
FLOAT_DECIMALS = 2

_DATA_TIPS = {
    "open-data-folder": N_("Settings, conversations and personas live in {data}"),
    "edit-settings-file": N_("Open the settings file in your text editor"),
    "rerun-onboarding": N_("Show the first-launch window again (model download and checks)"),
    "show-logs": N_("deskpet's log and crash files, in {logs}"),
    "reveal-model-folder": N_("Show the folder of the model the pet talks with"),
    "delete-downloaded-model": N_(
        "Delete the model deskpet downloaded (asks first; "
        "a model folder you chose yourself is never deleted)"
    ),
}

# (value, label) pairs offered for a str setting instead of free text, e.g. the personas.
ChoiceSource = Callable[[], list[tuple[Any, str]]]
# A last word before a value is saved: "" lets it through, else why not (a shortcut another
# app holds). It may act on the value (bind the shortcut) when it lets it through.
Check = Callable[[Any], str]


def _without_key(key: str, reason: str) -> str:
    """A refusal shown under its control leaves out the setting's key, which starts it in
    every language ("max_tokens must be…", "max_tokens：…")."""
    for prefix in (f"{key}: ", f"{key}：", f"{key} "):
        if reason.startswith(prefix):
            return reason.removeprefix(prefix)
    return reason


def _small(text: str, name: str, style: str = NOTE_STYLE) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(style)
    font = label.font()
    font.setPointSizeF(max(font.pointSizeF() - 1.5, 8.0))
    label.setFont(font)
    return label


class SettingsWindow(QWidget):
    """The preferences pane (see the module docstring).

    Attributes:
        settings: the Settings it shows and changes (shared with the app), or None when
            settings.yaml could not be read at all (every row is then disabled).
        editors: {setting key: its control}; each control's objectName is "setting-<key>".
        banner: the red line at the top saying why settings cannot be saved, when they cannot.
        local_models: the models already on this computer, under the model field (looked for
            when the owner asks; the one picked becomes the model setting).

    Signals:
        on_setting_changed(str, object): a setting was changed and saved (key, new value).
        on_agent_changed(str): an agent's hooks were installed or removed (agent id).
        on_open_settings_file(): the owner asked for settings.yaml in their editor.
        on_rerun_onboarding(): the owner asked to see the first-launch window again.
        on_show_logs(): the owner asked for the logs folder.
        on_reveal_model(): the owner asked for the folder of the model in use.
        on_delete_model(): the owner asked to delete the downloaded model in use.
    """

    on_setting_changed = Signal(str, object)
    on_agent_changed = Signal(str)
    on_check_connection = Signal()
    on_open_settings_file = Signal()
    on_rerun_onboarding = Signal()
    on_show_logs = Signal()
    on_reveal_model = Signal()
    on_delete_model = Signal()

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        platform: DefaultPlatform | None = None,
        choices: Mapping[str, ChoiceSource] | None = None,
        checks: Mapping[str, Check] | None = None,
        agents: tuple[str, ...] = agent_ids(),
        pages: tuple[QWidget, ...] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settings-window")
        self.setWindowTitle(tr("deskpet Settings"))
        self._platform = platform or DefaultPlatform()
        self._choices = dict(choices or {})
        self._checks = dict(checks or {})
        self._agents = agents
        self.editors: dict[str, QWidget] = {}
        self._errors: dict[str, QLabel] = {}
        self._agent_boxes: dict[str, QCheckBox] = {}
        self._agent_lines: dict[str, QLabel] = {}
        self._labels: list[QLabel] = []

        self.settings = settings
        load_error = ""
        if settings is None:
            try:
                self.settings = Settings()
            except SettingsFileError as exc:
                load_error = shown(exc)

        self.banner = _small("", "settings-banner", ERROR_STYLE)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()

        body = QWidget()
        body.setObjectName("settings-body")
        column = QVBoxLayout(body)
        column.setContentsMargins(20, 16, 20, 16)
        column.setSpacing(14)
        column.addWidget(self.banner)
        for title, keys in self._sections():
            group = self._settings_group(title, keys)
            if title == "Model server":  # its API key lives in the keychain, not the file
                self.server_key = ServerKeyEditor()
                group.layout().addRow(self._label(tr("API key")), self.server_key)
            column.addWidget(group)
        for page in pages:  # sections built elsewhere (ui/personas_page.py)
            column.addWidget(page)
        column.addWidget(self._agents_group())
        column.addWidget(self._data_group())
        column.addStretch(1)
        # One column of labels across every section, as in a Mac preferences pane.
        width = max(label.sizeHint().width() for label in self._labels)
        for label in self._labels:
            label.setFixedWidth(width)

        scroll = QScrollArea()
        scroll.setObjectName("settings-scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.resize(580, 720)

        self.sync()
        self.refresh_agents()
        if load_error:
            self._file_refused(load_error)

    # -- building ------------------------------------------------------------------------------

    @staticmethod
    def _sections() -> list[tuple[str, list[str]]]:
        visible = [s.key for s in SETTINGS if s.visible]
        placed = {key for _title, keys in SECTIONS for key in keys}
        sections = [(title, [k for k in keys if k in visible]) for title, keys in SECTIONS]
        other = [key for key in visible if key not in placed]
        if other:
            sections.append((N_("Other"), other))
        return [(title, keys) for title, keys in sections if keys]

    def _settings_group(self, title: str, keys: list[str]) -> QGroupBox:
        by_key = {s.key: s for s in SETTINGS}
        group = QGroupBox(tr(title))
        group.setObjectName(f"section-{title.lower().replace(' ', '-')}")
        form = QFormLayout(group)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(14)
        for key in keys:
            setting = by_key[key]
            editor = self._editor(setting)
            editor.setObjectName(f"setting-{key}")
            note = self._note(setting)
            editor.setToolTip(f"{tr(setting.help)} ({note})" if note else tr(setting.help))
            self.editors[key] = editor
            error = _small("", f"setting-error-{key}", ERROR_STYLE)
            error.hide()
            self._errors[key] = error
            cell = QWidget()
            lines = QVBoxLayout(cell)
            lines.setContentsMargins(0, 0, 0, 0)
            lines.setSpacing(2)
            lines.addWidget(editor)
            if note:
                lines.addWidget(_small(note, f"setting-note-{key}"))
            if key == "model":
                lines.addWidget(self._local_models())
            lines.addWidget(error)
            label = self._label(tr(setting.label))
            label.setToolTip(tr(setting.help))
            label.setBuddy(editor)
            form.addRow(label, cell)
        return group

    def _local_models(self) -> LocalModelsPanel:
        """Models other apps already downloaded; picking one puts its path in the model field."""
        self.local_models = LocalModelsPanel()

        def picked(path: str) -> None:
            editor = self.editors["model"]
            assert isinstance(editor, QLineEdit)
            editor.setText(path)
            self._apply_text("model")

        self.local_models.on_model_picked.connect(picked)
        return self.local_models

    def _label(self, text: str) -> QLabel:
        label = QLabel(tr("{label}:", label=text))
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._labels.append(label)
        return label

    def _note(self, setting: Setting) -> str:
        if setting.key == "launch_at_login":
            return tr(self._platform.launch_at_login_note)
        if setting.key == "model":
            return tr(
                "Loads as soon as it changes; \u201cRe-run onboarding\u201d below downloads one."
            )
        if setting.key in NEXT_START:
            return tr("Takes effect the next time deskpet starts.")
        if setting.key == "dnd_schedule":
            return tr("HH:MM-HH:MM, e.g. 22:00-08:00; empty for none.")
        if setting.key == "shortcut_chat":
            return tr(self._platform.shortcuts_note)
        if setting.key == "start_with_agents":
            return tr(self._platform.start_with_agents_note)
        return ""

    def _editor(self, setting: Setting) -> QWidget:
        key = setting.key
        if setting.choices is not None or key in self._choices:
            combo = QComboBox()
            combo.currentIndexChanged.connect(lambda _i, k=key: self._apply_combo(k))
            return combo
        if key == "pet_size":
            size = SizeEditor()
            size.on_size_chosen.connect(lambda value, k=key: self.apply(k, value))
            return size
        if key in SHORTCUTS:
            keys = QKeySequenceEdit()
            keys.setMaximumSequenceLength(1)
            keys.setClearButtonEnabled(True)
            keys.setMaximumWidth(220)
            keys.editingFinished.connect(lambda k=key: self._apply_keys(k))
            # The clear button changes the keys without finishing an edit.
            keys.keySequenceChanged.connect(
                lambda seq, k=key: seq.isEmpty() and self._apply_keys(k)
            )
            return keys
        if setting.type is bool:
            box = QCheckBox()
            box.toggled.connect(lambda on, k=key: self.apply(k, on))
            return box
        if setting.type in (int, float):
            spin: QSpinBox | QDoubleSpinBox
            if setting.type is int:
                spin = QSpinBox()
                spin.setRange(
                    int(setting.minimum if setting.minimum is not None else -(2**31)),
                    int(setting.maximum if setting.maximum is not None else 2**31 - 1),
                )
            else:
                spin = QDoubleSpinBox()
                spin.setDecimals(FLOAT_DECIMALS)
                spin.setSingleStep(0.05)
                spin.setRange(
                    setting.minimum if setting.minimum is not None else -1e9,
                    setting.maximum if setting.maximum is not None else 1e9,
                )
            # Arrows apply at once; typed digits apply when the field is left or Return pressed.
            spin.setKeyboardTracking(False)
            spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            spin.setMinimumWidth(110)
            spin.valueChanged.connect(lambda value, k=key: self.apply(k, value))
            return spin
        line = QLineEdit()
        line.setMaximumWidth(320)
        if setting.default == "" and key == "model":
            line.setPlaceholderText(tr("the demo model"))
        line.editingFinished.connect(lambda k=key: self._apply_text(k))
        return line

    def _agents_group(self) -> QGroupBox:
        group = QGroupBox(tr("Coding agents"))
        group.setObjectName("section-agents")
        form = QFormLayout(group)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(14)
        for agent in self._agents:
            box = QCheckBox(tr("Connected"))
            box.setObjectName(f"agent-{agent}")
            box.setToolTip(
                tr(
                    "Let {agent} tell the pet what it is doing "
                    "(adds deskpet's hooks to its settings; unticking removes them)",
                    agent=long_name(agent),
                )
            )
            box.toggled.connect(lambda on, a=agent: self.set_agent(a, on))
            line = _small("", f"agent-status-{agent}")
            cell = QWidget()
            lines = QVBoxLayout(cell)
            lines.setContentsMargins(0, 0, 0, 0)
            lines.setSpacing(2)
            lines.addWidget(box)
            lines.addWidget(line)
            self._agent_boxes[agent] = box
            self._agent_lines[agent] = line
            form.addRow(self._label(long_name(agent)), cell)
        self._check_button = QPushButton(tr("Check connection"))
        self._check_button.setObjectName("check-connection")
        self._check_button.setToolTip(
            tr(
                "Run each agent's hook on a test event and see what is wrong, if anything "
                "(as `deskpet doctor` does)"
            )
        )
        self._check_button.setAutoDefault(False)
        self._check_button.clicked.connect(lambda _checked=False: self.on_check_connection.emit())
        self._findings = _small("", "connection-findings")
        self._findings.setWordWrap(True)
        self._findings.setTextFormat(Qt.TextFormat.RichText)
        self._findings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("", self._check_button)
        form.addRow(self._findings)
        return group

    def connection_checking(self) -> None:
        """The check runs: its button waits."""
        self._check_button.setEnabled(False)
        self._check_button.setText(tr("Checking…"))

    def show_connection(self, lines: list[str], healthy: bool) -> None:
        """The check's findings, one per line; the failed ones ("!! ...") in the error colour."""
        self._check_button.setEnabled(True)
        self._check_button.setText(tr("Check connection"))
        verdict = (
            tr("All good.") if healthy else tr("Something needs fixing (the lines marked !!).")
        )
        shown = []
        for line in lines:
            text = html.escape(line, quote=False)
            shown.append(f'<span style="{ERROR_STYLE}">{text}</span>' if line[:2] == "!!" else text)
        shown.append(verdict if healthy else f'<span style="{ERROR_STYLE}">{verdict}</span>')
        self._findings.setText("<br>".join(shown))

    def _data_group(self) -> QGroupBox:
        group = QGroupBox(tr("Data"))
        group.setObjectName("section-data")
        column = QVBoxLayout(group)
        rows = (
            (
                ("open-data-folder", tr("Open data folder"), self.open_data_folder),
                ("edit-settings-file", tr("Edit settings.yaml"), self.on_open_settings_file.emit),
                ("rerun-onboarding", tr("Re-run onboarding"), self.on_rerun_onboarding.emit),
            ),
            (
                ("show-logs", tr("Show Logs…"), self.on_show_logs.emit),
                ("reveal-model-folder", tr("Reveal model folder"), self.on_reveal_model.emit),
                (
                    "delete-downloaded-model",
                    tr("Delete downloaded model"),
                    self.on_delete_model.emit,
                ),
            ),
        )
        for buttons in rows:
            row = QHBoxLayout()
            for name, text, slot in buttons:
                button = QPushButton(text)
                button.setObjectName(name)
                button.setToolTip(
                    tr(_DATA_TIPS[name], data=paths.data_dir(), logs=paths.logs_dir())
                )
                button.setAutoDefault(False)
                button.clicked.connect(lambda _checked=False, s=slot: s())
                row.addWidget(button)
            row.addStretch(1)
            column.addLayout(row)
        column.addWidget(_small(str(paths.data_dir()), "data-folder-path"))
        return group

    # -- showing values ------------------------------------------------------------------------

    def sync(self) -> None:
        """Show every setting's current value (without re-saving it); check the file again."""
        for key, editor in self.editors.items():
            self._show(key, self._value(key))
            editor.setEnabled(self.settings is not None)
        if self.settings is not None:
            try:
                Settings(self.settings.path)
            except SettingsFileError as exc:
                self._file_refused(shown(exc))
            else:
                self.banner.hide()

    def _value(self, key: str) -> Any:
        if self.settings is None:
            return next(s.default for s in SETTINGS if s.key == key)
        return self.settings.get(key)

    def _show(self, key: str, value: Any) -> None:
        editor = self.editors[key]
        blocked = editor.blockSignals(True)
        try:
            if isinstance(editor, QComboBox):
                self._fill_combo(key, editor, value)
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, (QSpinBox, QDoubleSpinBox, SizeEditor)):
                editor.setValue(value)
            elif isinstance(editor, QLineEdit):
                editor.setText(str(value))
            elif isinstance(editor, QKeySequenceEdit):
                editor.setKeySequence(QKeySequence(value))
        finally:
            editor.blockSignals(blocked)
        self._errors[key].hide()

    def _fill_combo(self, key: str, combo: QComboBox, value: Any) -> None:
        setting = next(s for s in SETTINGS if s.key == key)
        if key in self._choices:
            try:
                items = list(self._choices[key]())
            except Exception:  # a broken source must not take the pane down
                log.exception("cannot list the choices for %s", key)
                items = []
        else:
            items = [(choice, str(choice)) for choice in setting.choices or ()]
        if value not in [v for v, _label in items]:
            items.append((value, str(value)))  # what the file holds, even if unknown now
        combo.clear()
        for choice, label in items:
            combo.addItem(label, choice)
        combo.setCurrentIndex(combo.findData(value))

    def refresh_agents(self) -> None:
        """Read each agent's hook status afresh and show it."""
        for agent, box in self._agent_boxes.items():
            name = long_name(agent)
            try:
                report = installers.status(agent)
                installed, detected, ok = report.installed, report.detected, report.ok
                problem = shown(report.problems[0]) if report.problems else ""
            except Exception as exc:  # an unreadable config shows as such, never raises
                log.warning("agent status for %s failed: %s", agent, exc)
                installed, detected, ok, problem = False, False, False, shown(exc)
            if not ok:
                line = problem or tr("cannot read {agent}'s settings", agent=name)
            elif installed:
                line = tr("Connected: the pet shows what it does.")
            elif detected:
                line = tr("Not connected.")
            else:
                line = tr("Not found on this computer.")
            blocked = box.blockSignals(True)
            box.setChecked(installed)
            box.blockSignals(blocked)
            box.setEnabled(ok and (detected or installed))
            self._agent_lines[agent].setText(line)
            self._agent_lines[agent].setStyleSheet(NOTE_STYLE if ok else ERROR_STYLE)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.sync()
        self.refresh_agents()
        super().showEvent(event)

    # -- changing ------------------------------------------------------------------------------

    def apply(self, key: str, value: Any) -> bool:
        """Check, save and announce one setting. On refusal the control goes back to the value
        in effect, the reason shows under it, and nothing is written. Returns whether it took."""
        if self.settings is None:
            self._show(key, self._value(key))
            return False
        old = self.settings.get(key)
        if value == old:
            self._errors[key].hide()
            return True
        try:
            if key in self._checks:
                BY_KEY[key].check(value)  # the setting's own rule first, then the last word
                reason = self._checks[key](value)
                if reason:
                    raise SettingValueError(reason)
            self.settings.put(key, value)  # refused or unsaved: unchanged, in memory too
        except SettingValueError as exc:
            self._refuse(key, _without_key(key, shown(exc)))
            return False
        except (ParseRefused, OSError) as exc:
            self._show(key, old)
            self._file_refused(shown(exc))
            self._refuse(key, tr("Not saved: settings.yaml cannot be written (see above)."))
            return False
        self._errors[key].hide()
        self.banner.hide()
        if key == "launch_at_login":
            self._platform.set_launch_at_login(bool(value))
        self.on_setting_changed.emit(key, self.settings.get(key))
        return True

    def _apply_text(self, key: str) -> None:
        editor = self.editors[key]
        assert isinstance(editor, QLineEdit)
        text = editor.text().strip()
        if self.settings is not None and text == self.settings.get(key):
            self._errors[key].hide()
            return
        self.apply(key, text)

    def _apply_keys(self, key: str) -> None:
        editor = self.editors[key]
        assert isinstance(editor, QKeySequenceEdit)
        self.apply(key, editor.keySequence().toString(QKeySequence.SequenceFormat.PortableText))

    def _apply_combo(self, key: str) -> None:
        editor = self.editors[key]
        assert isinstance(editor, QComboBox)
        self.apply(key, editor.currentData())

    def _refuse(self, key: str, reason: str) -> None:
        """Show why a value was refused, under its control; a text field keeps what was typed
        so it can be corrected."""
        if not isinstance(self.editors[key], QLineEdit):
            self._show(key, self._value(key))
        error = self._errors[key]
        error.setText(reason)
        error.show()

    def _file_refused(self, reason: str) -> None:
        self.banner.setText(
            tr(
                "Settings cannot be saved: {reason}.\n"
                "Fix the file with \u201cEdit settings.yaml\u201d below;"
                " deskpet leaves it as it is.",
                reason=reason,
            )
        )
        self.banner.show()

    def set_agent(self, agent: str, on: bool) -> None:
        """Install (on) or remove deskpet's hooks for one agent, then show its status."""
        try:
            report = installers.install(agent) if on else installers.uninstall(agent)
            failed = "" if report.ok else "\n".join(map(shown, report.lines))
        except Exception as exc:  # shown on the line, never raised into Qt
            log.warning("could not change %s's hooks: %s", agent, exc)
            failed = shown(exc)
        self.refresh_agents()
        if failed:
            self._agent_lines[agent].setText(failed)
            self._agent_lines[agent].setStyleSheet(ERROR_STYLE)
        else:
            self.on_agent_changed.emit(agent)

    def open_data_folder(self) -> None:
        folder = paths.data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
