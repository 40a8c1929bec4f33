"""PersonasPage: Settings → Personas, every persona with its voice, and the owner's changes.

One row per persona: its name, where it comes from (shipped with deskpet, or the owner's) and
its voice with the loaded model (its adapter, or its prompt only), as the worker finds it
(personas/voices.py). The voices are asked for on a thread of the page's own, since the worker
may be busy answering; the rows say "checking…" meanwhile.

Import… takes a persona folder, or a GGUF LoRA file (llama.cpp's format) that becomes the
selected persona's voice; both go through personas/importer.py on a thread of their own (the
adapter is checked against the loaded model there) and end in one line under the list.
Remove deletes one of the owner's personas after asking (shipped ones cannot be removed);
Reveal shows the persona's folder (in the Finder on a Mac).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deskpet import i18n
from deskpet.i18n import N_, Said, shown, tr
from deskpet.personas.importer import (
    ImportRefused,
    RemoveRefused,
    import_lora,
    import_persona,
    remove_persona,
)
from deskpet.personas.manager import PersonaManager, UnknownPersonaError
from deskpet.personas.persona import Persona, PersonaError, load_persona
from deskpet.personas.voices import PROMPT_ONLY, AdapterChecks, Voice
from deskpet.ui.diagnostics import open_folder

log = logging.getLogger(__name__)

CHECKING = N_("checking…")
NAME, ORIGIN, VOICE = range(3)
ID_ROLE = Qt.ItemDataRole.UserRole
ERROR_STYLE = "color: #c0392b;"


def origin_text(persona: Persona) -> str:
    return tr("shipped") if persona.shipped else tr("yours")


class PersonasPage(QGroupBox):
    """The Personas section of the settings window (see the module docstring).

    Attributes:
        table: the QTreeWidget of personas (column 0 holds the persona id in UserRole).
        status: the line under the list: what the last action did, or why it failed.
        import_button, remove_button, reveal_button: the three buttons ("personas-import",
            "personas-remove", "personas-reveal"); the import button's menu holds
            "import-folder" and "import-gguf".

    Signals:
        on_personas_changed(str): a persona was imported, given a LoRA, or removed (its id).
        on_voices_shown(): every row shows its voice for the loaded model.
    """

    on_personas_changed = Signal(str)
    on_voices_shown = Signal()
    _voices_found = Signal(int, object)  # from the voices thread: (generation, {id: Voice})
    _import_ended = Signal(str, str, bool)  # from the import thread: (id, line, ok)

    def __init__(
        self,
        personas: PersonaManager,
        checks: AdapterChecks | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(tr("Personas"), parent)
        self.setObjectName("section-personas")
        self._personas = personas
        self._checks = checks
        self._generation = 0  # voices asked for by an older refresh are dropped
        self._busy = False
        self._voices_found.connect(self._show_voices)
        self._import_ended.connect(self._imported)

        self.table = QTreeWidget()
        self.table.setObjectName("personas-table")
        self.table.setHeaderLabels([tr("Persona"), tr("From"), tr("Voice with this model")])
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.header()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ORIGIN, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setMinimumHeight(150)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.import_button = QToolButton()
        self.import_button.setObjectName("personas-import")
        self.import_button.setText(tr("Import…"))
        self.import_button.setToolTip(tr("Add a persona folder, or give a persona a GGUF LoRA"))
        self.import_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.import_button)
        menu.setObjectName("personas-import-menu")
        folder_action = menu.addAction(tr("Persona folder…"))
        folder_action.setObjectName("import-folder")
        folder_action.triggered.connect(self.choose_folder)
        self.gguf_action = menu.addAction(tr("GGUF LoRA for the selected persona…"))
        self.gguf_action.setObjectName("import-gguf")
        self.gguf_action.triggered.connect(self.choose_gguf)
        self.import_button.setMenu(menu)
        self.remove_button = QPushButton(tr("Remove"))
        self.remove_button.setObjectName("personas-remove")
        self.remove_button.clicked.connect(self.ask_remove)
        self.reveal_button = QPushButton(tr("Reveal"))
        self.reveal_button.setObjectName("personas-reveal")
        self.reveal_button.setToolTip(tr("Show the persona's folder"))
        self.reveal_button.clicked.connect(self.reveal)
        for button in (self.remove_button, self.reveal_button):
            button.setAutoDefault(False)

        self.status = QLabel()
        self.status.setObjectName("personas-status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.addWidget(self.table)
        column.addLayout(buttons)
        column.addWidget(self.status)
        self.refresh()

    # -- the list ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """List the personas on disk now, then ask for their voices off the GUI thread."""
        selected = self.selected_id()
        self._personas.reload()
        personas = self._personas.list()
        self.table.clear()
        for persona in personas:
            item = QTreeWidgetItem(
                [persona.name.get(i18n.language()), origin_text(persona), tr(CHECKING)]
            )
            item.setData(NAME, ID_ROLE, persona.id)
            item.setToolTip(NAME, persona.description.get(i18n.language()))
            self.table.addTopLevelItem(item)
            if persona.id == (selected or self._current_id()):
                item.setSelected(True)
        self._generation += 1
        generation, checks = self._generation, self._checks
        if checks is None:  # nothing to ask: say what the files say
            self._show_voices(generation, {p.id: _unchecked(p) for p in personas})
            return

        def find() -> None:
            voices = {}
            for persona in personas:
                try:
                    voices[persona.id] = checks.voice(persona)
                except Exception as exc:  # a broken adapter file must not end the thread
                    log.warning("cannot check the voice of %s: %s", persona.id, exc)
                    voices[persona.id] = Voice(False, Said("prompt only: {why}", why=exc))
            try:
                self._voices_found.emit(generation, voices)
            except RuntimeError:  # the page was closed meanwhile
                pass

        threading.Thread(target=find, name="deskpet-persona-voices", daemon=True).start()

    def _show_voices(self, generation: int, voices: dict) -> None:
        if generation != self._generation:
            return
        for item in self._items():
            voice = voices.get(item.data(NAME, ID_ROLE))
            if voice is not None:
                text = tr(PROMPT_ONLY) if voice.text == PROMPT_ONLY else shown(voice.text)
                item.setText(VOICE, text)
                item.setToolTip(VOICE, text)
        self._update_buttons()
        self.on_voices_shown.emit()

    def voice_text(self, persona_id: str) -> str:
        item = self._item(persona_id)
        return item.text(VOICE) if item is not None else ""

    def selected_id(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(NAME, ID_ROLE) if items else None

    def select(self, persona_id: str) -> None:
        item = self._item(persona_id)
        if item is not None:
            self.table.setCurrentItem(item)

    def _selected(self) -> Persona | None:
        persona_id = self.selected_id()
        try:
            return self._personas.get(persona_id) if persona_id else None
        except UnknownPersonaError:
            return None

    def _current_id(self) -> str | None:
        current = self._personas.current
        return current.id if current is not None else None

    def _items(self) -> list[QTreeWidgetItem]:
        return [self.table.topLevelItem(i) for i in range(self.table.topLevelItemCount())]

    def _item(self, persona_id: str) -> QTreeWidgetItem | None:
        return next((i for i in self._items() if i.data(NAME, ID_ROLE) == persona_id), None)

    def _update_buttons(self) -> None:
        persona = self._selected()
        idle = not self._busy
        self.import_button.setEnabled(idle)
        self.gguf_action.setEnabled(idle and persona is not None)
        self.reveal_button.setEnabled(persona is not None)
        mine = persona is not None and not persona.shipped
        self.remove_button.setEnabled(idle and mine)
        self.remove_button.setToolTip(
            tr("Delete this persona of yours (asks first)")
            if mine or persona is None
            else tr("Personas that came with deskpet cannot be removed")
        )

    def _say(self, line: str, error: bool = False) -> None:
        self.status.setText(line)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    # -- import --------------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Import a persona folder"))
        if folder:
            self.import_folder(Path(folder))

    def choose_gguf(self) -> None:
        persona = self._selected()
        if persona is None:
            return
        file, _filter = QFileDialog.getOpenFileName(
            self, tr("A GGUF LoRA for {persona}", persona=persona.name.en), "", "GGUF LoRA (*.gguf)"
        )
        if file:
            self.import_gguf(Path(file), persona.id)

    def import_folder(self, folder: Path) -> bool:
        """Import a persona folder (asks before replacing one of the owner's); the copy and
        the adapter's check run on a thread. Returns whether the import started."""
        try:
            persona = load_persona(folder, shipped=False)
        except PersonaError as exc:
            return self._refuse(Said("Not imported: {why}", why=exc))
        mine = self._personas.owner_root / persona.id
        replace = mine.exists()
        if replace and not _confirm(
            self,
            tr("Replace your persona?"),
            tr(
                "You already have a persona “{persona}”. Replace it with the one in {folder}?",
                persona=persona.name.en,
                folder=folder,
            ),
        ):
            return False
        owner, check = self._personas.owner_root, self._import_check()
        return self._run(
            persona.id,
            lambda: import_persona(folder, owner, replace=replace, check=check),
            tr("Imported {persona}.", persona=persona.name.en),
        )

    def import_gguf(self, file: Path, persona_id: str) -> bool:
        """Make the GGUF LoRA `file` the voice of a persona (asks before replacing the adapter
        of one of the owner's). Returns whether the import started."""
        try:
            persona = self._personas.get(persona_id)
        except UnknownPersonaError:
            return self._refuse(
                Said("Not imported: {why}", why=Said("no persona {id}", id=repr(persona_id)))
            )
        if (
            not persona.shipped
            and persona.adapter
            and not _confirm(
                self,
                tr("Replace the adapter?"),
                tr(
                    "{persona} already has an adapter. Give it {file} instead?",
                    persona=persona.name.en,
                    file=file.name,
                ),
            )
        ):
            return False
        owner, check = self._personas.owner_root, self._import_check()
        return self._run(
            persona.id,
            lambda: import_lora(file, persona, owner, check=check),
            tr("{persona} now speaks through {file}.", persona=persona.name.en, file=file.name),
        )

    def _import_check(self) -> Callable[[Persona], None] | None:
        return self._checks.import_check if self._checks is not None else None

    def _run(self, persona_id: str, work: Callable[[], object], done: str) -> bool:
        if self._busy:
            return self._refuse(Said("An import is already running."))
        self._busy = True
        self._update_buttons()
        self._say(tr("Importing… (checking the adapter against the model in use)"))

        def run() -> None:
            try:
                work()
            except (ImportRefused, PersonaError) as exc:
                line, ok = Said("Not imported: {why}", why=exc), False
                log.warning("%s", line)  # English; the page shows the owner's language
            except Exception as exc:  # outside files: say it in one line, keep the page alive
                log.exception("persona import failed")
                line, ok = Said("Not imported: {why}", why=exc), False
            else:
                line, ok = done, True
            try:
                self._import_ended.emit(persona_id, shown(line), ok)
            except RuntimeError:  # the page was closed meanwhile
                pass

        threading.Thread(target=run, name="deskpet-persona-import", daemon=True).start()
        return True

    def _imported(self, persona_id: str, line: str, ok: bool) -> None:
        self._busy = False
        if ok:
            log.info("persona %s imported", persona_id)
        self.refresh()
        self.select(persona_id)
        self._say(line, error=not ok)
        if ok:
            self.on_personas_changed.emit(persona_id)

    def _refuse(self, line: str) -> bool:
        log.warning("%s", line)  # English (a Said); the page shows the owner's language
        self._say(shown(line), error=True)
        return False

    # -- remove and reveal ---------------------------------------------------------------------

    def ask_remove(self) -> bool:
        """Remove the selected persona if it is the owner's, after asking."""
        persona = self._selected()
        if persona is None or persona.shipped or self._busy:
            return False
        shipped = (self._personas.shipped_root / persona.id).is_dir()
        if not _confirm(
            self,
            tr("Remove {persona}?", persona=persona.name.en),
            tr(
                "Delete your persona “{persona}” and its folder {folder}?"
                " The one that came with deskpet takes its place."
                " Its saved chats stay in the history.",
                persona=persona.name.en,
                folder=persona.folder,
            )
            if shipped
            else tr(
                "Delete your persona “{persona}” and its folder {folder}?"
                " Its saved chats stay in the history.",
                persona=persona.name.en,
                folder=persona.folder,
            ),
        ):
            return False
        try:
            remove_persona(persona, self._personas.owner_root)
        except RemoveRefused as exc:
            return self._refuse(Said("Not removed: {why}", why=exc))
        self.refresh()
        self._say(tr("Removed {persona}.", persona=persona.name.en))
        self.on_personas_changed.emit(persona.id)
        return True

    def reveal(self) -> bool:
        """Show the selected persona's folder (the Finder on a Mac)."""
        persona = self._selected()
        if persona is None:
            return False
        if not persona.folder.is_dir():
            return self._refuse(Said("{folder} is not there any more", folder=persona.folder))
        # MAC-CHECK: Reveal opens the persona's folder in the Finder
        return open_folder(persona.folder)


def _unchecked(persona: Persona) -> Voice:
    """The voice as the files say, with no model to ask."""
    if persona.adapter is None:
        return Voice(False, PROMPT_ONLY)
    return Voice(True, tr("adapter (checked when a model is loaded)"))


def _confirm(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
