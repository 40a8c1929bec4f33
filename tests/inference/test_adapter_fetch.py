"""Neko's MiniCPM5-1B adapter from the loopback hub: a synthetic GGUF LoRA of MiniCPM5-1B's
shape, fetched through the model's download code (size first, progress, cancel, resume, the
hub's sha256, the revision pinned at the first download)."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from helpers.fake_hub import SHA, FakeHub
from helpers.lora_files import peft_tensors, write_gguf_lora
from helpers.tiny import MINICPM5_1B

from deskpet.inference import adapter_fetch
from deskpet.inference import download as dl
from deskpet.inference.lora import check_adapter
from deskpet.inference.model import ModelArgs
from deskpet.personas.adapters import HubSource
from deskpet.personas.manager import PersonaManager

NEKO_REPO = "DennisHuang648/MiniCPM5-1B-NekoQA-v2-LoRA-GGUF"
GGUF = "MiniCPM5-1B-NekoQA-v2-LoRA-F16.gguf"


@pytest.fixture(scope="module")
def minicpm_lora(tmp_path_factory) -> bytes:
    """A rank-2 f16 GGUF LoRA of MiniCPM5-1B's shape, written as llama.cpp's converter does."""
    args = ModelArgs.from_dict(MINICPM5_1B)
    path = tmp_path_factory.mktemp("lora") / GGUF
    write_gguf_lora(path, peft_tensors(args, 2), 4.0, args, dtype=np.float16)
    return path.read_bytes()


@pytest.fixture
def neko_hub(minicpm_lora, tmp_path, monkeypatch):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("DESKPET_CACHE", str(tmp_path / "cache"))
    # The repo also holds a README, as the real one does: only the .gguf is picked.
    hub = FakeHub({GGUF: minicpm_lora, "README.md": b"# NekoQA\n"}, (NEKO_REPO,), lfs={GGUF})
    yield hub
    hub.close()


def test_the_shipped_neko_names_the_seed_apps_repo_for_minicpm5_1b():
    neko = PersonaManager().get("neko")
    (entry,) = [e for e in neko.adapters if e.base == "minicpm5-1b"]
    assert entry.hub == HubSource(NEKO_REPO)
    assert neko.voice("minicpm5-1b").entry is entry
    assert (
        neko.voice("smollm2-135m-instruct").prompt_only
        or neko.voice("smollm2-135m-instruct").entry.base == "smollm2-135m-instruct"
    )


def test_size_first_then_progress_then_a_verified_adapter_of_minicpm_shape(neko_hub, minicpm_lora):
    source = HubSource(NEKO_REPO)
    plan = adapter_fetch.plan(source, neko_hub.url)
    # The size is known before any byte of the file moved.
    assert plan.total_bytes == len(minicpm_lora) and [f.name for f in plan.files] == [GGUF]
    assert not any("/resolve/" in p and m == "GET" for m, p, _ in neko_hub.requests)
    seen = []
    path = adapter_fetch.fetch(source, plan, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(minicpm_lora), len(minicpm_lora))
    assert path.name == GGUF and path.read_bytes() == minicpm_lora
    # It is an adapter MiniCPM5-1B takes (the same shape check the bank runs).
    adapter = check_adapter(path, ModelArgs.from_dict(MINICPM5_1B))
    assert adapter.rank == 2 and len(adapter.pairs) == 24 * 7
    # The revision that resolved is pinned where deskpet keeps its state, not in the persona.
    pins = json.loads(adapter_fetch.pins_file().read_text())
    assert pins == {f"{NEKO_REPO}:*": SHA}
    assert adapter_fetch.local_copy(source) == path


def test_a_later_plan_asks_for_the_pinned_revision(neko_hub):
    source = HubSource(NEKO_REPO)
    adapter_fetch.fetch(source, adapter_fetch.plan(source, neko_hub.url))
    neko_hub.requests.clear()
    adapter_fetch.plan(source, neko_hub.url)
    assert any(p == f"/api/models/{NEKO_REPO}/revision/{SHA}" for _, p, _ in neko_hub.requests)


def test_cancel_keeps_the_bytes_and_the_next_fetch_resumes(neko_hub, minicpm_lora):
    source = HubSource(NEKO_REPO)
    plan = adapter_fetch.plan(source, neko_hub.url)
    neko_hub.stall = {GGUF}
    cancel = threading.Event()

    def progress(done, total):
        if done:
            cancel.set()  # the owner stops it once bytes are flowing

    with pytest.raises(dl.DownloadCancelled):
        adapter_fetch.fetch(source, plan, progress=progress, cancel=cancel)
    kept = plan.bytes_on_disk(adapter_fetch.owner_dir(source))
    assert 0 < kept < len(minicpm_lora)

    neko_hub.stall = set()
    neko_hub.requests.clear()
    path = adapter_fetch.fetch(source, adapter_fetch.plan(source, neko_hub.url))
    assert path.read_bytes() == minicpm_lora
    ranges = [r for m, p, r in neko_hub.requests if m == "GET" and p.endswith(GGUF)]
    assert ranges == [f"bytes={kept}-"]  # only the rest was fetched


def test_a_file_that_does_not_match_the_hubs_sha256_is_refused_and_deleted(neko_hub):
    source = HubSource(NEKO_REPO)
    neko_hub.corrupt = {GGUF}
    plan = adapter_fetch.plan(source, neko_hub.url)
    with pytest.raises(dl.DownloadError, match="does not match the hub's checksum") as refused:
        adapter_fetch.fetch(source, plan)
    assert refused.value.kind == dl.FETCH_ANEW
    assert plan.bytes_on_disk(adapter_fetch.owner_dir(source)) == 0
    assert adapter_fetch.local_copy(source) is None


def test_a_repo_with_two_ggufs_needs_the_persona_to_name_one(neko_hub, minicpm_lora):
    neko_hub.files["other.gguf"] = b"GGUF"
    with pytest.raises(dl.DownloadError, match="2 .gguf files; the persona must name its file"):
        adapter_fetch.plan(HubSource(NEKO_REPO), neko_hub.url)
    named = adapter_fetch.plan(HubSource(NEKO_REPO, GGUF), neko_hub.url)
    assert [f.name for f in named.files] == [GGUF]
    with pytest.raises(dl.DownloadError, match="has no file nope.gguf"):
        adapter_fetch.plan(HubSource(NEKO_REPO, "nope.gguf"), neko_hub.url)


def test_the_worker_side_never_downloads_an_adapter():
    # The bank (on the inference thread) reads local files only: a hub id is refused at once,
    # with no hub running (a download attempt would fail differently, or hang).
    from deskpet.inference.lora import AdapterError, resolve_source

    with pytest.raises(AdapterError, match=f"the adapter {NEKO_REPO} is not downloaded yet"):
        resolve_source(NEKO_REPO)
