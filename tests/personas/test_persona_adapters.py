"""`adapters:` in persona.yaml: one adapter per base model, the one for the loaded model used,
prompt only (and said so) with any other; sha256 of local files checked before use."""

from __future__ import annotations

import hashlib
import logging

import pytest
from helpers.lora_files import random_peft
from helpers.tiny import TINY_MINICPM, tiny_model
from test_persona_files import GOOD, write_persona

from deskpet import safefile
from deskpet.cli import main
from deskpet.inference import adapter_fetch
from deskpet.inference.lora import AdapterBank, AdapterError
from deskpet.inference.model import ModelArgs
from deskpet.personas import PersonaError, PersonaManager, load_persona
from deskpet.personas.adapters import HubSource
from deskpet.personas.importer import ImportRefused, import_persona

HUB = {"repo": "someone/owl-lora", "file": "owl.gguf"}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def owl_with_adapters(root, tmp_args=None):
    folder = write_persona(
        root,
        {
            **GOOD,
            "adapters": [
                {"base": "smollm2-135m-instruct", "path": "adapters/smollm2"},
                {"base": "minicpm5-1b", "hub": HUB},
            ],
        },
    )
    random_peft(folder / "adapters" / "smollm2", tmp_args or ModelArgs.from_dict(TINY_MINICPM))
    return folder


def test_the_entry_for_the_loaded_base_is_used_and_any_other_model_is_prompt_only(tmp_path):
    shipped = tmp_path / "shipped"
    folder = owl_with_adapters(shipped)
    manager = PersonaManager(shipped=shipped, owner=tmp_path / "owner")

    demo = manager.plan(manager.get("owl2"), base="smollm2-135m-instruct")
    load, switch = demo.requests()
    assert load.path == str((folder / "adapters" / "smollm2").resolve()) and switch.name == "owl2"

    minicpm = manager.plan(manager.get("owl2"), base="minicpm5-1b")
    assert minicpm.fetch == HubSource("someone/owl-lora", "owl.gguf")  # not downloaded yet
    assert [r.name for r in minicpm.requests()] == [None]  # its prompt meanwhile

    other = manager.plan(manager.get("owl2"), base=None)
    assert other.voice.prompt_only and [r.name for r in other.requests()] == [None]
    assert other.voice.describe() == "voice: prompt only with this model"


def test_a_downloaded_hub_adapter_is_loaded_from_its_pinned_folder(tmp_path, home, monkeypatch):
    monkeypatch.setenv("DESKPET_CACHE", str(tmp_path / "cache"))
    shipped = tmp_path / "shipped"
    owl_with_adapters(shipped)
    source = HubSource("someone/owl-lora", "owl.gguf")
    adapter_fetch.pin(source, "ab" * 20)
    folder = adapter_fetch.owner_dir(source) / "owl-lora@abababab"
    folder.mkdir(parents=True)
    (folder / "owl.gguf").write_bytes(b"GGUF")
    manager = PersonaManager(shipped=shipped, owner=tmp_path / "owner")
    plan = manager.plan(manager.get("owl2"), base="minicpm5-1b")
    assert plan.fetch is None and plan.adapter_path == str(folder / "owl.gguf")


def test_the_older_adapter_field_still_works_for_any_base(tmp_path):
    folder = write_persona(tmp_path, {**GOOD, "adapter": "mine"})
    random_peft(folder / "mine", ModelArgs.from_dict(TINY_MINICPM))
    owl = load_persona(folder)
    for base in ("minicpm5-1b", None):
        assert owl.voice(base).entry.path == str((folder / "mine").resolve())


@pytest.mark.parametrize(
    ("entry", "field", "problem"),
    [
        ({"base": "minicpm5-1b"}, "adapters[0]", "exactly one of path and hub"),
        ({"base": "minicpm5-1b", "path": "x", "hub": HUB}, "adapters[0]", "exactly one"),
        ({"base": "Not A Base", "hub": HUB}, "adapters[0].base", "base model id"),
        ({"base": "minicpm5-1b", "path": "missing"}, "adapters[0].path", "does not exist"),
        ({"base": "minicpm5-1b", "hub": {"repo": "no-slash"}}, "adapters[0].hub.repo", "repo id"),
        ({"base": "minicpm5-1b", "hub": {**HUB, "file": "../x"}}, "adapters[0].hub.file", "file"),
        (
            {"base": "minicpm5-1b", "hub": {**HUB, "revision": "main"}},
            "adapters[0].hub.revision",
            "commit",
        ),
        ({"base": "minicpm5-1b", "hub": HUB, "sha256": "ab" * 32}, "adapters[0].sha256", "local"),
        ({"base": "minicpm5-1b", "path": ".", "sha256": "xyz"}, "adapters[0].sha256", "64 hex"),
        ({"base": "minicpm5-1b", "hub": HUB, "url": "x"}, "adapters[0].url", "unknown"),
    ],
)
def test_a_bad_entry_names_its_field(tmp_path, entry, field, problem):
    folder = write_persona(tmp_path, {**GOOD, "adapters": [entry]})
    with pytest.raises(PersonaError, match=problem) as caught:
        load_persona(folder)
    assert caught.value.field == field


def test_a_local_adapter_whose_sha256_differs_is_refused_in_one_line(tmp_path, caplog):
    model = tiny_model()
    folder = random_peft(tmp_path / "owl", model.args)
    weights = (folder / "adapter_model.safetensors").read_bytes()
    bank = AdapterBank(model)
    with caplog.at_level(logging.WARNING), pytest.raises(AdapterError) as refused:
        bank.load("owl", folder, sha256="0" * 64)
    assert str(refused.value) == (
        "adapter_model.safetensors does not match the sha256 its persona gives; "
        "not used (prompt only)"
    )
    assert "sha256 mismatch" in caplog.text and bank.adapters == {}
    loaded = bank.load("owl", folder, sha256=hashlib.sha256(weights).hexdigest())
    assert loaded.rank == 4 and bank.switch("owl") >= 0


def test_the_plan_carries_the_sha256_to_the_worker(tmp_path):
    folder = write_persona(
        tmp_path / "shipped",
        {**GOOD, "adapters": [{"base": "minicpm5-1b", "path": "a", "sha256": "AB" * 32}]},
    )
    random_peft(folder / "a", ModelArgs.from_dict(TINY_MINICPM))
    manager = PersonaManager(shipped=tmp_path / "shipped", owner=tmp_path / "owner")
    load, _switch = manager.plan(manager.get("owl2"), base="minicpm5-1b").requests()
    assert load.sha256 == "ab" * 32


def test_import_refuses_an_adapter_entry_outside_the_folder(tmp_path):
    outside = random_peft(tmp_path / "elsewhere", ModelArgs.from_dict(TINY_MINICPM))
    folder = write_persona(
        tmp_path / "incoming",
        {**GOOD, "adapters": [{"base": "minicpm5-1b", "path": str(outside)}]},
    )
    with pytest.raises(ImportRefused, match="is outside the folder"):
        import_persona(folder, tmp_path / "owner")


def test_persona_list_shows_each_voice_for_the_configured_model(home, capsys, demo_gguf):
    # An owner persona with an adapter for the demo model, the shipped ones with theirs (Pip has
    # none).
    owl_with_adapters(home / "personas")
    assert main(["persona", "list", "--demo"]) == 0
    captured = capsys.readouterr()
    assert "Voices with the demo model (smollm2-135m-instruct)" in captured.err
    lines = {line.split()[0]: line for line in captured.out.splitlines()}
    assert "voice: adapter smollm2" in lines["owl2"]
    assert "voice: adapter smollm2-135m-instruct" in lines["bolt"]
    assert "voice: prompt only with this model" in lines["deskpet"]
    # (a model no known base is: every persona prompt only; test_bases covers the naming)


def test_import_checks_the_entry_for_the_configured_base_and_its_sha256(
    home, tmp_path, capsys, monkeypatch
):
    from deskpet.inference import bases

    # The configured model: a tiny one registered as "minicpm5-1b" (only its config is read).
    tiny = ModelArgs.from_dict(TINY_MINICPM)
    monkeypatch.setitem(
        bases.BASES,
        "minicpm5-1b",
        bases.Base("minicpm5-1b", bases.shape_of(tiny), ("minicpm5-1b",)),
    )
    monkeypatch.setattr(
        "deskpet.personas.cli._base_args", lambda _a: (tiny, "MiniCPM5-1B-MLX@0123abcd")
    )
    folder = tmp_path / "incoming" / "owl2"
    random_peft(folder / "mini", tiny)
    digest = hashlib.sha256((folder / "mini" / "adapter_model.safetensors").read_bytes())

    def persona(sha):
        mini = {"base": "minicpm5-1b", "path": "mini", "sha256": sha}
        write_persona(folder.parent, {**GOOD, "adapters": [mini, {"base": "other-1b", "hub": HUB}]})

    persona("0" * 64)
    assert main(["persona", "import", str(folder)]) == 1
    assert "does not match the sha256 its persona gives" in capsys.readouterr().err
    persona(digest.hexdigest())
    assert main(["persona", "import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Adapter fits MiniCPM5-1B-MLX@0123abcd: r=4" in out
    assert "Adapter for other-1b: checked when that model is loaded" in out


def test_a_pins_file_deskpet_cannot_read_is_left_alone_and_a_good_one_backed_up(home):
    source = HubSource("someone/owl-lora", "owl.gguf")
    file = adapter_fetch.pins_file()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text("{ not json")
    adapter_fetch.pin(source, "ab" * 20)
    assert file.read_text() == "{ not json"  # refused, not overwritten
    assert adapter_fetch.revision(source) is None
    file.write_text('{"other/repo:x.gguf": "' + "cd" * 20 + '"}\n')
    adapter_fetch.pin(source, "ab" * 20)
    assert adapter_fetch.revision(source) == "ab" * 20
    assert adapter_fetch.read_pins()["other/repo:x.gguf"] == "cd" * 20
    backup = safefile.backup_path(file)
    assert backup.read_text() == '{"other/repo:x.gguf": "' + "cd" * 20 + '"}\n'
