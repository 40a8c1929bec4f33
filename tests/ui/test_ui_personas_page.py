"""Settings → Personas (ui/personas_page.py) on a real worker with the tiny model loaded: each
persona's voice as the worker finds it, Import… of a persona folder and of a GGUF LoRA, Remove
(asks; owner personas only), Reveal.

The owner's answers to the page's questions are a patched QMessageBox.question (a modal dialog
would block the test: the boundary). Reveal's "open this folder" reaches a URL handler the test
registers with Qt (QDesktopServices.setUrlHandler), in place of the Finder."""

from __future__ import annotations

import shutil

import pytest
from helpers.lora_files import peft_tensors, persona_folder, write_gguf_lora
from helpers.tiny import TINY_MINICPM
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QMessageBox

from deskpet import i18n
from deskpet.inference.model import ModelArgs
from deskpet.personas.manager import PersonaManager
from deskpet.personas.persona import shipped_dir
from deskpet.personas.voices import AdapterChecks
from deskpet.ui.personas_page import CHECKING, PersonasPage

TINY = ModelArgs.from_dict(TINY_MINICPM)
OTHER = ModelArgs.from_dict(dict(TINY_MINICPM, hidden_size=64, head_dim=16, intermediate_size=192))
WAIT = 60_000


@pytest.fixture
def roots(tmp_path):
    shipped = tmp_path / "shipped"
    for pid in ("deskpet", "neko"):
        shutil.copytree(shipped_dir() / pid, shipped / pid)
    owner = tmp_path / "owner"
    persona_folder(owner, "owl", "Owl", TINY)
    persona_folder(owner, "bat", "Bat", OTHER)  # an adapter made for another base model
    return shipped, owner


@pytest.fixture
def page(qtbot, roots, tiny_worker):
    shipped, owner = roots
    page = PersonasPage(PersonaManager(shipped=shipped, owner=owner), AdapterChecks(tiny_worker))
    qtbot.addWidget(page)
    wait_for_voices(qtbot, page)
    return page


@pytest.fixture
def answer(monkeypatch):
    """The owner's answer to the next question (patched: see the module docstring)."""
    reply = {"button": QMessageBox.StandardButton.Yes, "asked": []}

    def question(_parent, title, text, *_args):
        reply["asked"].append(title)
        return reply["button"]

    monkeypatch.setattr(QMessageBox, "question", question)
    return reply


def wait_for_voices(qtbot, page):
    qtbot.waitUntil(
        lambda: all(page.voice_text(pid) not in ("", CHECKING) for pid in row_ids(page)),
        timeout=WAIT,
    )


def row_ids(page):
    table = page.table
    return [table.topLevelItem(i).data(0, 256) for i in range(table.topLevelItemCount())]


def row(page, pid):
    item = next(
        page.table.topLevelItem(i)
        for i in range(page.table.topLevelItemCount())
        if page.table.topLevelItem(i).data(0, 256) == pid
    )
    return item.text(0), item.text(1), item.text(2)


def test_each_persona_is_listed_with_its_voice_for_the_loaded_model(page):
    assert row_ids(page) == ["deskpet", "bat", "neko", "owl"]
    assert row(page, "deskpet") == ("Pip", "shipped", "prompt only")
    assert row(page, "neko") == ("Neko", "shipped", "prompt only")
    assert row(page, "owl") == ("Owl", "yours", "adapter (LoRA r=4)")
    name, origin, voice = row(page, "bat")
    assert (name, origin) == ("Bat", "yours")
    assert voice.startswith("prompt only: ") and "\n" not in voice  # why, in one line
    menu = page.import_button.menu()
    assert {a.objectName() for a in menu.findChildren(QAction)} >= {
        "import-folder",
        "import-gguf",
    }


def test_import_a_persona_folder_checked_against_the_model(qtbot, page, roots, tmp_path):
    _shipped, owner = roots
    fox = persona_folder(tmp_path / "downloads", "fox", "Fox", TINY, rank=8)
    with qtbot.waitSignal(page.on_personas_changed, timeout=WAIT) as changed:
        assert page.import_folder(fox)
    assert changed.args == ["fox"]
    assert page.status.text() == "Imported Fox."
    wait_for_voices(qtbot, page)
    assert row(page, "fox") == ("Fox", "yours", "adapter (LoRA r=8)")
    assert page.selected_id() == "fox"
    assert (owner / "fox" / "adapter" / "adapter_config.json").exists()
    # An adapter for another base model is refused in one line, and nothing is copied.
    wolf = persona_folder(tmp_path / "downloads", "wolf", "Wolf", OTHER)
    assert page.import_folder(wolf)
    qtbot.waitUntil(lambda: page.status.text().startswith("Not imported:"), timeout=WAIT)
    assert "does not fit the model in use" in page.status.text()
    assert "\n" not in page.status.text() and "c0392b" in page.status.styleSheet()
    assert not (owner / "wolf").exists() and "wolf" not in row_ids(page)
    # A folder without a persona.yaml: one line, at once.
    assert not page.import_folder(tmp_path)
    assert page.status.text().startswith("Not imported:") and "persona.yaml" in page.status.text()


def test_import_a_gguf_lora_as_a_shipped_personas_voice(qtbot, page, roots, tmp_path):
    _shipped, owner = roots
    lora = write_gguf_lora(tmp_path / "nekoqa.gguf", peft_tensors(TINY, 2, seed=5), 4.0, TINY)
    page.select("neko")
    assert page.gguf_action.isEnabled()
    with qtbot.waitSignal(page.on_personas_changed, timeout=WAIT):
        assert page.import_gguf(lora, "neko")
    assert page.status.text() == "Neko now speaks through nekoqa.gguf."
    wait_for_voices(qtbot, page)
    assert row(page, "neko") == ("Neko", "yours", "adapter (LoRA r=2)")
    assert (owner / "neko" / "adapter" / "nekoqa.gguf").read_bytes() == lora.read_bytes()


def test_replacing_an_owner_personas_adapter_asks_first(qtbot, page, roots, tmp_path, answer):
    _shipped, owner = roots
    wrong = write_gguf_lora(tmp_path / "other.gguf", peft_tensors(OTHER, 2), 4.0, OTHER)
    before = sorted(p.name for p in (owner / "owl").rglob("*"))
    answer["button"] = QMessageBox.StandardButton.No
    assert not page.import_gguf(wrong, "owl")
    assert answer["asked"] == ["Replace the adapter?"]
    answer["button"] = QMessageBox.StandardButton.Yes
    assert page.import_gguf(wrong, "owl")
    qtbot.waitUntil(lambda: page.status.text().startswith("Not imported:"), timeout=WAIT)
    assert "does not fit the model in use" in page.status.text()
    assert sorted(p.name for p in (owner / "owl").rglob("*")) == before
    wait_for_voices(qtbot, page)
    assert row(page, "owl")[2] == "adapter (LoRA r=4)"


def test_remove_asks_and_removes_only_the_owners_personas(qtbot, page, roots, answer):
    shipped, owner = roots
    # Shipped personas cannot be removed: the button is off and nothing is asked.
    page.select("neko")
    assert not page.remove_button.isEnabled()
    assert "came with deskpet" in page.remove_button.toolTip()
    assert not page.ask_remove() and answer["asked"] == []
    # The owner's: asked first; No keeps it.
    page.select("owl")
    assert page.remove_button.isEnabled()
    answer["button"] = QMessageBox.StandardButton.No
    assert not page.ask_remove()
    assert answer["asked"] == ["Remove Owl?"] and (owner / "owl").is_dir()
    # Yes removes it (and only it).
    answer["button"] = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(page.on_personas_changed, timeout=WAIT) as changed:
        page.remove_button.click()
    assert changed.args == ["owl"]
    assert not (owner / "owl").exists() and (owner / "bat").is_dir()
    assert "owl" not in row_ids(page) and page.status.text() == "Removed Owl."
    assert sorted(p.name for p in shipped.iterdir()) == ["deskpet", "neko"]


class Opened(QObject):
    def __init__(self):
        super().__init__()
        self.urls = []

    @Slot(QUrl)
    def open(self, url):
        self.urls.append(url.toLocalFile())


def test_reveal_opens_the_personas_folder(qtbot, page, roots):
    shipped, owner = roots
    opened = Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        page.select("owl")
        page.reveal_button.click()
        page.select("neko")
        page.reveal_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert opened.urls == [str((owner / "owl").resolve()), str((shipped / "neko").resolve())]


def test_voices_say_why_in_chinese(qtbot, roots, tiny_worker):
    # The worker's reason (an adapter for another base model) is shown in the owner's
    # language, inside the page's own line.
    shipped, owner = roots
    i18n.set_language("zh")  # the autouse fixture in conftest puts English back
    page = PersonasPage(PersonaManager(shipped=shipped, owner=owner), AdapterChecks(tiny_worker))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: all(row(page, p)[2] != "检查中…" for p in row_ids(page)), timeout=WAIT)
    assert row(page, "owl")[2] == "适配器（LoRA r=4）"
    voice = row(page, "bat")[2]
    assert voice.startswith("只有提示词：") and "这个适配器是为另一个基础模型做的" in voice
