"""Switching to Neko with a MiniCPM5-1B-family model loaded fetches its hub adapter once, in
the UI's download thread (never the worker's): size first, progress in the bubble and the
menu, a stop that keeps the bytes, a resume, then the worker loads the local file. Meanwhile
Neko chats with its prompt.

The model is a tiny random Llama of MiniCPM5-1B's shape family, downloaded-folder named as
the official build; "minicpm5-1b" is registered with the tiny shapes for the test (the real
shapes need a 1B model). The adapter is a GGUF LoRA of the tiny shape, served by the loopback
hub under the seed app's NekoQA repo name, which the shipped Neko persona names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.fake_hub import SHA, FakeHub
from helpers.lora_files import peft_tensors, write_gguf_lora
from helpers.tiny import TINY_MINICPM
from PySide6.QtGui import QAction

from deskpet.app import DeskpetApp
from deskpet.inference import adapter_fetch, bases
from deskpet.inference.download import format_bytes
from deskpet.inference.generate import Sampling
from deskpet.inference.model import ModelArgs
from deskpet.inference.protocol import AdapterLoaded, AdapterSwitched, Finished

NEKO_REPO = "DennisHuang648/MiniCPM5-1B-NekoQA-v2-LoRA-GGUF"
GGUF = "nekoqa.f16.gguf"
LOAD_TIMEOUT = 60_000


@pytest.fixture
def tiny_minicpm(tiny_repo, tmp_path, monkeypatch):
    """The tiny model in a folder named as deskpet names a download of the official build,
    and "minicpm5-1b" known by the tiny shapes."""
    folder = tmp_path / "models" / "MiniCPM5-1B-MLX@01234567"
    folder.mkdir(parents=True)
    for name, data in tiny_repo.items():
        (folder / name).write_bytes(data)
    args = ModelArgs.from_dict(TINY_MINICPM)
    test_base = bases.Base("minicpm5-1b", bases.shape_of(args), ("minicpm5-1b",))
    monkeypatch.setitem(bases.BASES, "minicpm5-1b", test_base)
    return folder


@pytest.fixture
def neko_hub(tmp_path):
    args = ModelArgs.from_dict(TINY_MINICPM)
    path = write_gguf_lora(tmp_path / GGUF, peft_tensors(args, 4, b_scale=0.2), 8.0, args)
    hub = FakeHub({GGUF: path.read_bytes()}, (NEKO_REPO,), lfs={GGUF})
    yield hub
    hub.close()


@pytest.fixture
def pet(qtbot, qapp, tmp_path, monkeypatch, tiny_minicpm, neko_hub):
    home = tmp_path / "data"
    home.mkdir()
    (tmp_path / "h").mkdir()
    monkeypatch.setenv("DESKPET_HOME", str(home))
    monkeypatch.setenv("DESKPET_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    (home / "settings.yaml").write_text(
        f"max_tokens: 6\nbubble_fade_seconds: 0\nhub_endpoint: {neko_hub.url}\n"
    )
    app = DeskpetApp(str(tiny_minicpm), sampling=Sampling.greedy())
    app.events = []
    app.relay.on_event.connect(app.events.append)
    app.start()
    try:
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=LOAD_TIMEOUT)
        yield app
    finally:
        neko_hub.release.set()
        app.shutdown()
        app.chat.voices.wait(10)


def entry(app, name) -> QAction:
    app.tray.rebuild_personas()
    found = app.tray.findChild(QAction, name)
    assert found is not None, name
    return found


def test_neko_fetches_its_voice_off_the_worker_and_speaks_with_its_prompt_meanwhile(
    qtbot, pet, neko_hub
):
    app = pet
    size = len(neko_hub.files[GGUF])
    assert app.model.info["base"] == "minicpm5-1b"
    # The menu says which personas have a voice for this model.
    assert entry(app, "persona-bolt").text() == "Bolt — voice: prompt only with this model"
    assert entry(app, "persona-neko").text() == f"Neko — voice: adapter from {NEKO_REPO}"

    # WHEN the owner chooses Neko (the hub's connection stalls halfway)
    neko_hub.stall = {GGUF}
    voices = app.chat.voices
    with qtbot.waitSignal(voices.on_planned, timeout=20_000) as planned:
        entry(app, "persona-neko").trigger()
    # THEN the size comes first, before any byte, and the bubble says it
    assert planned.args == ["neko", size, 0]
    assert f"Neko's voice ({format_bytes(size)}) is downloading" in app.bubble.answer_text
    qtbot.waitUntil(lambda: voices.done > 0, timeout=20_000)
    stop = entry(app, "stop-voice-download")
    assert stop.isVisible() and stop.text().startswith("Stop downloading Neko's voice (")
    assert entry(app, "persona-neko").text().startswith("Neko — voice: downloading")

    # AND a chat is answered meanwhile, by the prompt alone (the worker never waits on bytes)
    switched = [e for e in app.events if isinstance(e, AdapterSwitched)]
    assert switched and switched[-1].name is None
    app.chat.send("Hi!")
    qtbot.waitUntil(lambda: app.chat.request is None, timeout=30_000)
    assert any(isinstance(e, Finished) and e.conversation == "neko" for e in app.events)
    assert voices.running and app.worker.model_info()["active_adapter"] is None

    # WHEN the owner stops it (the stalled connection then delivers its next bytes)
    with qtbot.waitSignal(voices.on_cancelled, timeout=20_000):
        stop.trigger()
        neko_hub.release.set()
    assert not entry(app, "stop-voice-download").isVisible()
    kept = list((adapter_fetch.adapters_dir()).rglob(GGUF + ".incomplete"))
    assert len(kept) == 1 and 0 < kept[0].stat().st_size < size

    # WHEN Neko is chosen again, THEN the download resumes from the kept bytes
    neko_hub.stall = set()
    neko_hub.requests.clear()
    entry(app, "persona-bolt").trigger()
    with qtbot.waitSignal(voices.on_ready, timeout=20_000) as ready:
        entry(app, "persona-neko").trigger()
    ranges = [r for m, p, r in neko_hub.requests if m == "GET" and p.endswith(GGUF)]
    assert len(ranges) == 1 and ranges[0].startswith("bytes=") and ranges[0] != "bytes=0-"
    local = ready.args[1]
    assert Path(local).read_bytes() == neko_hub.files[GGUF]  # verified against the hub's sha256

    # AND the worker loads the local file and Neko speaks with it
    qtbot.waitUntil(
        lambda: any(isinstance(e, AdapterLoaded) and e.name == "neko" for e in app.events),
        timeout=20_000,
    )
    loaded = [e for e in app.events if isinstance(e, AdapterLoaded)][-1]
    assert loaded.source == local and loaded.rank == 4
    qtbot.waitUntil(lambda: app.worker.model_info()["active_adapter"] == "neko", timeout=20_000)
    assert entry(app, "persona-neko").text() == f"Neko — voice: adapter {GGUF}"
    # The revision that resolved is pinned in deskpet's state, not in the shipped persona.
    assert json.loads(adapter_fetch.pins_file().read_text()) == {f"{NEKO_REPO}:*": SHA}
    assert SHA not in app.personas.get("neko").file.read_text()


def test_a_local_adapter_with_another_sha256_is_refused_and_the_menu_says_so(
    qtbot, pet, tmp_path, caplog
):
    import yaml
    from helpers.lora_files import random_peft

    app = pet
    folder = Path(app.personas.owner_root) / "owl"
    random_peft(folder / "mini", ModelArgs.from_dict(TINY_MINICPM))
    owl = yaml.safe_load(app.personas.get("sage").file.read_text())
    owl.update(id="owl", adapters=[{"base": "minicpm5-1b", "path": "mini", "sha256": "0" * 64}])
    (folder / "persona.yaml").write_text(yaml.safe_dump(owl, allow_unicode=True))
    assert entry(app, "persona-owl").text().endswith("— voice: adapter mini")

    entry(app, "persona-owl").trigger()
    qtbot.waitUntil(lambda: "refused" in entry(app, "persona-owl").text(), timeout=20_000)
    assert (
        entry(app, "persona-owl")
        .text()
        .endswith("— voice: prompt only (its adapter was refused; see the log)")
    )
    assert app.worker.model_info()["active_adapter"] is None  # the prompt alone speaks
    assert "does not match the sha256 its persona gives" in caplog.text


def test_a_download_that_does_not_match_the_hubs_sha256_is_refused_and_neko_keeps_its_prompt(
    qtbot, pet, neko_hub
):
    app = pet
    neko_hub.corrupt = {GGUF}
    with qtbot.waitSignal(app.chat.voices.on_failed, timeout=20_000) as failed:
        entry(app, "persona-neko").trigger()
    assert failed.args[0] == "neko" and "does not match the hub's checksum" in failed.args[1]
    assert "Neko's voice did not download (" in app.bubble.status.text()
    assert not entry(app, "stop-voice-download").isVisible()
    assert entry(app, "persona-neko").text() == f"Neko — voice: adapter from {NEKO_REPO}"
    assert not list(adapter_fetch.adapters_dir().rglob(GGUF + "*"))  # nothing corrupt kept
    assert app.worker.model_info()["active_adapter"] is None
