"""`deskpet persona import`: copies regular files only, never loses the old persona or the
source, and refuses links, loops, oversized folders and importing a persona onto itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from deskpet.cli import main
from deskpet.personas import importer

PERSONA = {
    "id": "owl2",
    "format": 1,
    "name": {"en": "Owl Two", "zh": "二号猫头鹰"},
    "description": "Another owl.",
    "system_prompt": "You are an owl.",
    "greeting": "Hoo!",
    "theme": "sage",
}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def tiny_base(monkeypatch):
    """The base's config is all the adapter check reads: a tiny one stands in for the model."""
    from helpers.tiny import TINY_MINICPM

    from deskpet.inference.model import ModelArgs

    args = ModelArgs.from_dict(TINY_MINICPM)
    monkeypatch.setattr("deskpet.personas.cli._base_args", lambda _a: (args, "tiny"))
    return args


def make_persona(root: Path, greeting: str = "Hoo!", adapter_args=None) -> Path:
    folder = root / PERSONA["id"]
    folder.mkdir(parents=True)
    data = {**PERSONA, "greeting": greeting}
    (folder / "persona.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    (folder / "train.jsonl").write_text("")
    if adapter_args is not None:
        from helpers.lora_files import random_peft

        random_peft(folder / "adapter", adapter_args)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_importing_a_persona_onto_itself_is_refused_and_keeps_it(home, tmp_path, tiny_base, capsys):
    # GIVEN the owner's persona with a trained adapter
    assert (
        main(["persona", "import", str(make_persona(tmp_path / "in", adapter_args=tiny_base))]) == 0
    )
    mine = home / "personas" / "owl2"
    before = snapshot(mine)
    assert "adapter/adapter_model.safetensors" in before
    capsys.readouterr()
    # WHEN it is imported onto itself, directly or through a symbolic link to it
    link = tmp_path / "links" / "owl2"
    link.parent.mkdir()
    link.symlink_to(mine)
    for source in (mine, link):
        assert main(["persona", "import", str(source), "--replace"]) == 1
        # THEN it is refused in one line and nothing is lost
        assert "is the persona 'owl2' itself" in one_line_error(capsys)
        assert snapshot(mine) == before


def test_replace_swaps_in_the_new_copy_and_never_touches_the_source(home, tmp_path, capsys):
    assert main(["persona", "import", str(make_persona(tmp_path / "a", "first"))]) == 0
    source = make_persona(tmp_path / "b", "second")
    source_before = snapshot(source)
    assert main(["persona", "import", str(source), "--replace"]) == 0
    mine = home / "personas" / "owl2"
    assert yaml.safe_load((mine / "persona.yaml").read_text())["greeting"] == "second"
    assert snapshot(source) == source_before
    assert sorted(p.name for p in (home / "personas").iterdir()) == ["owl2"]


def test_a_failed_replace_keeps_the_old_persona_and_leaves_nothing_behind(
    home, tmp_path, tiny_base, capsys
):
    assert main(["persona", "import", str(make_persona(tmp_path / "a", "first"))]) == 0
    mine = home / "personas" / "owl2"
    before = snapshot(mine)
    capsys.readouterr()
    # a dangling link: the old code deleted the persona, then failed half-way through the copy
    broken = make_persona(tmp_path / "b", "second")
    (broken / "weights.safetensors").symlink_to(tmp_path / "nowhere")
    assert main(["persona", "import", str(broken), "--replace"]) == 1
    assert "weights.safetensors is a symbolic link" in one_line_error(capsys)
    assert snapshot(mine) == before
    # an adapter that fails its check after the copy: the copy goes, the old persona stays
    from deskpet.inference.model import ModelArgs

    wrong = ModelArgs.from_dict({**tiny_base.__dict__, "hidden_size": 256})
    misfit = make_persona(tmp_path / "c", "third", adapter_args=wrong)
    assert main(["persona", "import", str(misfit), "--replace"]) == 1
    assert "not imported" in one_line_error(capsys)
    assert snapshot(mine) == before
    assert sorted(p.name for p in (home / "personas").iterdir()) == ["owl2"]


def test_a_symlink_leaving_the_folder_is_refused(home, tmp_path, capsys):
    # GIVEN a persona folder with a link to a private key outside it
    secret = tmp_path / "ssh" / "id_ed25519"
    secret.parent.mkdir()
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    folder = make_persona(tmp_path / "in")
    (folder / "adapter.bin").symlink_to(secret)
    # WHEN it is imported THEN it is refused by name and nothing is copied
    assert main(["persona", "import", str(folder)]) == 1
    err = one_line_error(capsys)
    assert "adapter.bin is a symbolic link" in err and "PRIVATE KEY" not in err
    assert not (home / "personas").exists() or list((home / "personas").iterdir()) == []


@pytest.mark.parametrize("where", ["loop", "inside", "persona.yaml"])
def test_any_link_in_the_folder_is_refused_and_nothing_is_left(home, tmp_path, capsys, where):
    folder = make_persona(tmp_path / "in")
    if where == "loop":
        (folder / "data").mkdir()
        (folder / "data" / "again").symlink_to(folder, target_is_directory=True)
    elif where == "inside":
        (folder / "copy.jsonl").symlink_to(folder / "train.jsonl")
    else:
        real = tmp_path / "real.yaml"
        (folder / "persona.yaml").rename(real)
        (folder / "persona.yaml").symlink_to(real)
    assert main(["persona", "import", str(folder)]) == 1
    assert "is a symbolic link" in one_line_error(capsys)
    assert not (home / "personas").exists() or list((home / "personas").iterdir()) == []


def test_the_copy_is_bounded_in_files_and_bytes(home, tmp_path, capsys, monkeypatch):
    folder = make_persona(tmp_path / "in")
    for i in range(5):
        (folder / f"extra{i}.txt").write_bytes(b"x" * 100)
    monkeypatch.setattr(importer, "MAX_FILES", 4)
    assert main(["persona", "import", str(folder)]) == 1
    assert "more than 4 files" in one_line_error(capsys)
    monkeypatch.setattr(importer, "MAX_FILES", 100)
    monkeypatch.setattr(importer, "MAX_BYTES", 300)
    assert main(["persona", "import", str(folder)]) == 1
    assert "holds more than" in one_line_error(capsys)
    assert not (home / "personas").exists() or list((home / "personas").iterdir()) == []


def test_a_fifo_is_not_copied(home, tmp_path, capsys):
    folder = make_persona(tmp_path / "in")
    os.mkfifo(folder / "pipe")
    assert main(["persona", "import", str(folder)]) == 1
    assert "pipe is not a regular file" in one_line_error(capsys)


def test_a_copy_left_by_a_killed_import_is_cleared_and_never_loads(home, tmp_path):
    from deskpet.personas import PersonaManager

    owner = home / "personas"
    stale = owner / ".owl2.importing-abc" / "owl2"
    make_persona(stale.parent)
    assert "owl2" not in [p.id for p in PersonaManager(owner=owner).list()]
    os.utime(stale.parent, (0, 0))
    assert main(["persona", "import", str(make_persona(tmp_path / "in"))]) == 0
    assert sorted(p.name for p in owner.iterdir()) == ["owl2"]


def test_an_adapter_outside_the_persona_folder_is_refused(home, tmp_path, capsys):
    # GIVEN persona.yaml naming an adapter folder beside, not inside, the persona
    folder = make_persona(tmp_path / "in")
    elsewhere = tmp_path / "in" / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "adapter_config.json").write_text("{}")
    data = yaml.safe_load((folder / "persona.yaml").read_text())
    (folder / "persona.yaml").write_text(yaml.safe_dump({**data, "adapter": "../elsewhere"}))
    # THEN the import is refused: the copy would point back out of the owner's folder
    assert main(["persona", "import", str(folder)]) == 1
    assert "is outside the folder" in one_line_error(capsys)
    assert not (home / "personas").exists() or list((home / "personas").iterdir()) == []
