"""Models already in the shared Hugging Face cache, the owner's hub token and the mirror for
adapters, against the loopback hub (tests/helpers/fake_hub.py) and a cache written in the layout
huggingface-hub itself writes (models--org--name/{blobs,refs,snapshots})."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from helpers.fake_hub import REPO, SHA, FakeHub
from helpers.local_stores import put_in_hf_cache

from deskpet.inference import download as dl
from deskpet.inference.hf_cache import shared_cache_copy

TOKEN = "hf_deskpetTestToken0123456789"


def put_in_cache(cache: Path, files: dict[str, bytes]) -> Path:
    """The loopback hub's repo at its commit, as huggingface-hub caches it."""
    return put_in_hf_cache(cache, REPO, files, SHA)


@pytest.fixture
def hf_cache(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "hf" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return cache


def test_a_model_in_the_shared_cache_is_used_without_asking_the_hub(
    hub, tiny_repo, hf_cache, tmp_path, monkeypatch, capsys, caplog
):
    from deskpet import cli
    from deskpet.inference.load import read_checkpoint

    # GIVEN the model in the shared cache (as mlx-lm left it) and a hub that refuses everything
    snapshot = put_in_cache(hf_cache, tiny_repo)
    hub.refuse = True
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "data"))
    caplog.set_level(logging.INFO, logger="deskpet.inference.hf_cache")

    # WHEN onboarding looks for a copy and `deskpet download` is run against the hub
    finished, partial = dl.local_copies(tmp_path / "models")
    code = cli.main(["model", "download", "--endpoint", hub.url, "--yes"])

    # THEN the cached snapshot is the model, it loads, and the hub was never asked
    assert finished == snapshot and partial is None
    assert read_checkpoint(finished).config is not None
    assert code == 0
    assert f"Already in the Hugging Face cache: {snapshot}" in capsys.readouterr().out
    assert hub.requests == []
    assert "found in the shared Hugging Face cache" in caplog.text


@pytest.mark.parametrize("lost", ["model.safetensors", "config.json", "tokenizer.json"])
def test_an_incomplete_snapshot_is_not_used(tiny_repo, hf_cache, tmp_path, lost):
    # GIVEN a cached snapshot whose blob for one needed file is gone (an interrupted fetch)
    snapshot = put_in_cache(hf_cache, tiny_repo)
    (snapshot / lost).resolve().unlink()

    # WHEN deskpet looks for a copy / THEN there is none
    assert shared_cache_copy(REPO) is None
    assert dl.local_copies(tmp_path / "models") == (None, None)


def test_a_pinned_revision_uses_only_its_snapshot(tiny_repo, hf_cache):
    snapshot = put_in_cache(hf_cache, tiny_repo)

    assert shared_cache_copy(REPO, revision=SHA[:10]) == snapshot
    assert shared_cache_copy(REPO, revision="main") == snapshot
    assert shared_cache_copy(REPO, revision="f" * 40) is None
    assert shared_cache_copy("openbmb/other-model") is None


def test_the_token_is_sent_on_every_request_and_never_logged(
    hub, tiny_repo, tmp_path, monkeypatch, caplog
):
    # GIVEN the owner's token in HF_TOKEN
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)

    # WHEN a model is resolved and downloaded
    plan = dl.resolve(REPO, endpoint=hub.url)
    dl.download(plan, models_dir=tmp_path)

    # THEN every request carried it as a Bearer header, and no log line holds it
    assert hub.headers and len(hub.headers) == len(hub.requests)
    assert {h.get("authorization") for h in hub.headers} == {f"Bearer {TOKEN}"}
    assert TOKEN not in caplog.text


def test_without_a_token_no_authorization_is_sent(hub, tmp_path, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "no-login"))
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(tmp_path / "no-token"))

    dl.resolve(REPO, endpoint=hub.url)

    assert hub.headers and all("authorization" not in h for h in hub.headers)


def test_the_adapter_download_goes_to_the_mirror_setting(tmp_path, monkeypatch):
    from deskpet.inference import adapter_fetch
    from deskpet.personas.adapters import HubSource
    from deskpet.settings import settings_path

    # GIVEN a mirror serving an adapter repo, named in the owner's settings
    files = {
        "adapter_config.json": b'{"peft_type": "LORA"}',
        "adapter_model.safetensors": b"x" * 64,
    }
    mirror = FakeHub(files, repos=("someone/cat-adapter",))
    try:
        monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "data"))
        monkeypatch.setenv("DESKPET_CACHE", str(tmp_path / "cache"))
        settings_path().parent.mkdir(parents=True, exist_ok=True)
        settings_path().write_text(f"hub_endpoint: {mirror.url}\n")

        # WHEN the adapter is fetched by its repo id
        source = HubSource("someone/cat-adapter")
        folder = adapter_fetch.fetch(source, adapter_fetch.plan(source))
    finally:
        mirror.close()

    # THEN it came from the mirror, byte for byte
    assert (folder / "adapter_config.json").read_bytes() == files["adapter_config.json"]
    assert any("/someone/cat-adapter/resolve/" in p for _, p, _ in mirror.requests)


def test_a_snapshot_huggingface_hub_itself_wrote_is_found(hub, tiny_repo, hf_cache):
    from huggingface_hub import snapshot_download

    # GIVEN the model fetched into the cache by huggingface-hub (as the `hf` CLI does)
    written = Path(snapshot_download(REPO, cache_dir=hf_cache, endpoint=hub.url))
    hub.refuse = True
    before = len(hub.requests)

    # WHEN deskpet looks / THEN it is that snapshot, and the hub was not asked again
    assert shared_cache_copy(REPO) == written
    assert (written / "model.safetensors").read_bytes() == tiny_repo["model.safetensors"]
    assert len(hub.requests) == before
