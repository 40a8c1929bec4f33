"""Persona files: the shipped ones, validation that names file and field, owner overrides,
the manager's switch plan and the `deskpet persona` command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deskpet.cli import main
from deskpet.personas import PersonaError, PersonaManager, load_persona
from deskpet.personas.persona import THEMES, shipped_dir
from deskpet.personas.train import TrainingDataError, read_examples

GOOD = {
    "id": "owl2",
    "format": 1,
    "name": {"en": "Owl Two", "zh": "二号猫头鹰"},
    "description": "Another owl.",
    "system_prompt": "You are an owl.",
    "greeting": {"en": "Hoo!", "zh": "咕！"},
    "sampling": {"temperature": 0.5, "top_p": 0.9, "repetition_penalty": 1.1},
    "thinking": False,
    "theme": "sage",
    "narration": "an owl",
}


def write_persona(root: Path, data: dict, folder: str | None = None) -> Path:
    target = root / (folder or data["id"])
    target.mkdir(parents=True, exist_ok=True)
    (target / "persona.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_shipped_personas_load_with_distinct_voices_and_data():
    manager = PersonaManager(owner=Path("/nonexistent"))
    assert manager.problems == []
    assert [p.id for p in manager.list()] == ["deskpet", "bolt", "neko", "sage"]
    assert manager.current.id == "deskpet"
    assert manager.get("deskpet").system_prompt == "You are a helpful AI assistant named deskpet."
    assert manager.get("default").id == "deskpet"  # settings.py's default value
    for pid in ("neko", "bolt", "sage"):
        p = manager.get(pid)
        assert p.theme == pid and p.theme in THEMES and p.name.zh != p.name.en
        train = read_examples(p.train_file())
        valid = read_examples(p.train_file("valid"))
        assert len(train) >= 200 and len(valid) >= 10
        text = json.dumps(train, ensure_ascii=False)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text)  # Chinese as well as English
        seen = {json.dumps(t, ensure_ascii=False) for t in train}
        assert not any(json.dumps(v, ensure_ascii=False) in seen for v in valid)
    prompts = {manager.get(pid).system_prompt for pid in ("deskpet", "neko", "bolt", "sage")}
    assert len(prompts) == 4


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"theme": "dragon"}, "theme", "'dragon' is not a theme"),
        (
            {"sampling": {"temperature": "hot"}},
            "sampling.temperature",
            "must be a number from 0.0 to 2.0",
        ),
        ({"sampling": {"top_k": 3}}, "sampling.top_k", "unknown"),
        ({"name": {"zh": "无名"}}, "name.en", "is required"),
        ({"system_prompt": ""}, "system_prompt", "must be a non-empty string"),
        ({"thinking": "yes"}, "thinking", "must be true or false"),
        ({"id": "other"}, "id", "must match the folder name 'owl2'"),
        ({"adapter": "missing-folder"}, "adapter", "does not exist"),
        ({"format": 2}, "format", "version 2 is not known"),
        ({"marks": "nya"}, "marks", "must be a list of at most 16 words"),
        ({"marks": ["nya", ""]}, "marks", "must be a list of at most 16 words"),
    ],
)
def test_a_broken_persona_is_skipped_with_file_field_and_problem(tmp_path, change, field, problem):
    shipped = tmp_path / "shipped"
    write_persona(shipped, GOOD)
    write_persona(shipped, {**GOOD, "id": "good2"})
    bad = write_persona(shipped, {**GOOD, **change}, folder="owl2")
    manager = PersonaManager(shipped=shipped, owner=tmp_path / "owner")
    assert list(manager.personas) == ["good2"]
    (message,) = manager.problems
    assert message.startswith(f"{bad / 'persona.yaml'}: field '{field}': ")
    assert problem in message


def test_unparseable_and_missing_files_are_reported(tmp_path):
    shipped = tmp_path / "shipped"
    (shipped / "empty").mkdir(parents=True)
    (shipped / "garbled").mkdir()
    (shipped / "garbled" / "persona.yaml").write_text("id: [unclosed\n")
    write_persona(shipped, GOOD)
    manager = PersonaManager(shipped=shipped, owner=tmp_path / "owner")
    assert list(manager.personas) == ["owl2"]
    assert any("empty/persona.yaml: missing" in p for p in manager.problems)
    assert any("garbled/persona.yaml: not valid YAML" in p for p in manager.problems)


def test_a_field_given_twice_is_refused_not_half_read(tmp_path):
    # YAML readers keep the last of two `adapters:` silently; the first list would be lost.
    shipped = tmp_path / "shipped"
    write_persona(shipped, GOOD)
    file = shipped / GOOD["id"] / "persona.yaml"
    file.write_text(file.read_text() + "theme: neko\ntheme: bolt\n")
    manager = PersonaManager(shipped=shipped, owner=tmp_path / "owner")
    assert list(manager.personas) == []
    (message,) = manager.problems
    assert "not valid YAML" in message and "'theme' is given twice" in message


def test_a_huge_or_odd_persona_file_is_a_problem_not_a_long_read(tmp_path):
    shipped = tmp_path / "shipped"
    (shipped / "huge").mkdir(parents=True)
    with open(shipped / "huge" / "persona.yaml", "wb") as f:  # sparse: no real bytes written
        f.truncate(512 * 1024 * 1024)
    (shipped / "folder" / "persona.yaml").mkdir(parents=True)
    write_persona(shipped, GOOD)
    manager = PersonaManager(shipped=shipped, owner=tmp_path / "owner")
    assert list(manager.personas) == ["owl2"]
    assert any("huge/persona.yaml: " in p and "at most" in p for p in manager.problems)
    assert any("folder/persona.yaml: is not a file" in p for p in manager.problems)


def test_owner_persona_overrides_shipped_one(tmp_path):
    write_persona(tmp_path / "shipped", GOOD)
    write_persona(tmp_path / "owner", {**GOOD, "system_prompt": "You are MY owl."})
    manager = PersonaManager(shipped=tmp_path / "shipped", owner=tmp_path / "owner")
    owl = manager.get("owl2")
    assert owl.system_prompt == "You are MY owl." and not owl.shipped


def test_switch_plan_asks_the_worker_to_load_then_switch(tmp_path):
    shipped = tmp_path / "shipped"
    folder = write_persona(shipped, GOOD)
    (folder / "adapter").mkdir()
    (folder / "adapter" / "adapter_config.json").write_text("{}")
    write_persona(shipped, {**GOOD, "id": "plain"})
    write_persona(shipped, {**GOOD, "id": "hub", "adapter": "openbmb/some-persona-lora"})
    manager = PersonaManager(shipped=shipped, owner=tmp_path / "owner", current="plain")
    assert manager.current.id == "plain"
    plan = manager.switch("owl2")
    assert plan.previous == "plain" and plan.conversation == "owl2" and plan.theme == "sage"
    assert plan.greeting("zh") == "咕！" and manager.current.id == "owl2"
    load, switch = plan.requests()
    assert (load.name, load.path) == ("owl2", str((folder / "adapter").resolve()))
    assert switch.name == "owl2"
    (only,) = manager.switch("plain").requests()
    assert only.name is None  # prompt-only personas run on the base model
    hub = manager.switch("hub")  # fetched by the UI first, never by the worker: prompt only now
    assert hub.fetch.repo == "openbmb/some-persona-lora" and hub.adapter_path is None
    assert [r.name for r in hub.requests()] == [None]
    assert manager.get("plain").generation_sampling().temperature == 0.5
    with pytest.raises(KeyError, match="no persona 'nope'"):
        manager.switch("nope")


def test_training_data_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    with pytest.raises(
        TrainingDataError, match=r"bad\.jsonl:1: must end with an assistant message"
    ):
        read_examples(bad)
    bad.write_text(
        '{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}\n'
    )
    with pytest.raises(
        TrainingDataError, match=r"bad\.jsonl:1: messages\[1\]\.role must be 'assistant'"
    ):
        read_examples(bad)
    bad.write_text("\n{not json\n")
    with pytest.raises(TrainingDataError, match=r"bad\.jsonl:2: not valid JSON"):
        read_examples(bad)


def test_cli_list_and_show(home, capsys):
    assert main(["persona", "list"]) == 0
    out = capsys.readouterr().out
    assert "neko" in out and "Neko / 小喵" in out and "theme bolt" in out
    assert main(["persona", "show", "sage", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "智叟" in out and "train.jsonl, valid.jsonl" in out
    assert main(["persona", "show", "nope"]) == 1


def test_cli_import_checks_the_adapter_against_the_base(home, tmp_path, capsys):
    from helpers.lora_files import random_peft
    from helpers.tiny import TINY_MINICPM

    from deskpet.inference.model import ModelArgs

    # The base's config is all the check reads: stand in a tiny one for the configured model.
    args = ModelArgs.from_dict(TINY_MINICPM)
    folder = write_persona(tmp_path / "incoming", GOOD)
    random_peft(folder / "adapter", args)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("deskpet.personas.cli._base_args", lambda _a: (args, "tiny"))
        assert main(["persona", "import", str(folder)]) == 0
        assert "Adapter fits tiny: r=4" in capsys.readouterr().out
        assert (home / "personas" / "owl2" / "adapter" / "adapter_model.safetensors").exists()
        assert main(["persona", "import", str(folder)]) == 1
        assert "--replace" in capsys.readouterr().err
        wrong = ModelArgs.from_dict({**TINY_MINICPM, "hidden_size": 256})
        mp.setattr("deskpet.personas.cli._base_args", lambda _a: (wrong, "wider"))
        assert main(["persona", "import", str(folder), "--replace"]) == 1
        assert "not imported" in capsys.readouterr().err
    shutil.rmtree(home / "personas")


def test_shipped_folder_and_direct_load(tmp_path):
    assert shipped_dir() == Path(__file__).resolve().parents[2] / "personas"
    folder = write_persona(tmp_path, {**GOOD, "description": {"en": "Owl", "fr": "Hibou"}})
    with pytest.raises(PersonaError) as caught:
        load_persona(folder)
    assert caught.value.field == "description.fr" and caught.value.file == folder / "persona.yaml"


def test_cli_train_refuses_unknown_persona_and_bad_data_before_loading_a_model(
    home, tmp_path, capsys
):
    assert main(["persona", "train", "nope"]) == 1
    assert "no persona 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n")
    assert main(["persona", "train", "neko", "--data", str(bad)]) == 1
    assert "bad.jsonl:1: needs a non-empty 'messages' list" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to play `sudo deskpet`")
def test_an_owner_folder_left_by_sudo_deskpet_is_a_problem_not_a_crash():
    # GIVEN the owner's personas folder is root's and 0700 (left by `sudo deskpet`)
    import pwd
    import tempfile

    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no other user to be")
    base = Path(tempfile.mkdtemp(prefix="dpp"))
    try:
        base.chmod(0o755)  # the way there is open, as a home folder's is to its owner
        owner = base / "personas"
        write_persona(owner, GOOD)
        owner.chmod(0o700)
        # WHEN its owner (here: nobody) lists the personas
        code = (
            "import os, sys\n"
            "from pathlib import Path\n"
            "from deskpet.personas import PersonaManager\n"
            f"os.setgid({user.pw_gid}); os.setuid({user.pw_uid})\n"
            "manager = PersonaManager(owner=Path(sys.argv[1]))\n"
            "print(sorted(manager.personas)); print(manager.problems)\n"
        )
        run = subprocess.run(
            [sys.executable, "-c", code, str(owner)], capture_output=True, text=True, timeout=60
        )
    finally:
        shutil.rmtree(base)
    # THEN the shipped personas load and the unreadable folder is one problem line
    assert run.returncode == 0 and "Traceback" not in run.stderr
    names, problems = run.stdout.splitlines()
    assert "owl2" not in names and "deskpet" in names
    assert problems == f"['cannot read the personas in {owner}: Permission denied']"
