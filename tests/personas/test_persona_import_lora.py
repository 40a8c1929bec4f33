"""A GGUF LoRA file becomes a persona's voice (importer.import_lora), and the owner's personas
can be removed (importer.remove_persona): staged and swapped in whole, nothing half-done, the
shipped personas never touched."""

from __future__ import annotations

import re
import shutil

import pytest
from helpers.lora_files import peft_tensors, write_gguf_lora
from helpers.tiny import TINY_MINICPM

from deskpet.inference.lora import check_adapter
from deskpet.inference.model import ModelArgs
from deskpet.personas.importer import (
    ImportRefused,
    RemoveRefused,
    import_lora,
    remove_persona,
)
from deskpet.personas.manager import PersonaManager
from deskpet.personas.persona import shipped_dir

TINY = ModelArgs.from_dict(TINY_MINICPM)


@pytest.fixture
def roots(tmp_path):
    shipped = tmp_path / "shipped"
    for persona in ("deskpet", "neko"):
        shutil.copytree(shipped_dir() / persona, shipped / persona)
    return shipped, tmp_path / "owner"


@pytest.fixture
def lora(tmp_path):
    return write_gguf_lora(tmp_path / "nekoqa.gguf", peft_tensors(TINY, 2, seed=1), 4.0, TINY)


def test_a_gguf_lora_becomes_a_shipped_personas_voice_in_the_owners_copy(roots, lora):
    shipped, owner = roots
    personas = PersonaManager(shipped=shipped, owner=owner)
    neko = personas.get("neko")
    assert neko.adapter is None and neko.shipped
    shipped_bytes = {p: p.read_bytes() for p in (shipped / "neko").rglob("*") if p.is_file()}
    checked = []
    # WHEN the owner gives Neko the LoRA (checked as the GUI does, against a model's config)
    target = import_lora(
        lora, neko, owner, check=lambda p: checked.append(check_adapter(p.adapter, TINY))
    )
    # THEN the owner's Neko overrides the shipped one and speaks through the file
    assert target == owner / "neko"
    assert (target / "adapter" / "nekoqa.gguf").read_bytes() == lora.read_bytes()
    assert (target / "train.jsonl").read_bytes() == (shipped / "neko" / "train.jsonl").read_bytes()
    assert checked and checked[0].rank == 2
    personas.reload()
    mine = personas.get("neko")
    assert not mine.shipped and mine.adapter == str((target / "adapter").resolve())
    assert mine.system_prompt == neko.system_prompt
    # AND the shipped persona and the source file are untouched; no staging left behind
    assert {p: p.read_bytes() for p in (shipped / "neko").rglob("*") if p.is_file()} == (
        shipped_bytes
    )
    assert lora.exists()
    assert sorted(p.name for p in owner.iterdir()) == ["neko"]


def test_an_adapter_line_is_pointed_at_the_new_lora_with_comments_kept(roots, lora, tmp_path):
    shipped, owner = roots
    folder = owner / "neko"
    shutil.copytree(shipped / "neko", folder)
    old = folder / "old-adapter"
    old.mkdir()
    write_gguf_lora(old / "old.gguf", peft_tensors(TINY, 4, seed=2), 8.0, TINY)
    text = (folder / "persona.yaml").read_text() + "adapter: old-adapter  # my first try\n"
    (folder / "persona.yaml").write_text(text)
    personas = PersonaManager(shipped=shipped, owner=owner)
    assert personas.get("neko").adapter == str(old.resolve())

    import_lora(lora, personas.get("neko"), owner)
    personas.reload()
    assert personas.get("neko").adapter == str((folder / "adapter").resolve())
    written = (folder / "persona.yaml").read_text()
    assert re.search(r"^adapter: adapter +# my first try$", written, re.M)
    assert not (folder / "old-adapter").exists()  # the adapter it had is left behind
    assert "# adapter: left out;" in written  # the shipped file's own comment


def test_a_file_that_is_not_a_gguf_lora_is_refused_and_nothing_changes(roots, tmp_path, lora):
    shipped, owner = roots
    personas = PersonaManager(shipped=shipped, owner=owner)
    neko = personas.get("neko")
    fake = tmp_path / "notes.gguf"
    fake.write_text("not a model")
    with pytest.raises(ImportRefused, match="not a GGUF file"):
        import_lora(fake, neko, owner)
    with pytest.raises(ImportRefused, match="not a .gguf file"):
        import_lora(tmp_path / "missing.gguf", neko, owner)

    # A check that refuses (the adapter does not fit the model in use) leaves nothing either.
    def refuse(_persona):
        raise ImportRefused("its adapter does not fit the model in use")

    with pytest.raises(ImportRefused, match="does not fit"):
        import_lora(lora, neko, owner, check=refuse)
    assert not owner.exists() or list(owner.iterdir()) == []


def test_only_the_owners_personas_can_be_removed(roots, lora):
    shipped, owner = roots
    personas = PersonaManager(shipped=shipped, owner=owner)
    with pytest.raises(RemoveRefused, match="came with deskpet"):
        remove_persona(personas.get("neko"), owner)
    assert (shipped / "neko" / "persona.yaml").exists()
    import_lora(lora, personas.get("neko"), owner)
    personas.reload()
    # WHEN the owner removes their Neko THEN the shipped Neko is back, prompt only
    remove_persona(personas.get("neko"), owner)
    personas.reload()
    assert personas.get("neko").shipped and personas.get("neko").adapter is None
    assert list(owner.iterdir()) == []
    assert (shipped / "neko" / "persona.yaml").exists()
