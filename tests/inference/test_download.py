"""Model download against a real HTTP server on loopback that speaks the part of the hub's API
huggingface-hub calls (tests/fake_hub.py), serving a tiny model the loader reads for real."""

from __future__ import annotations

import hashlib
import re
import socket
import threading

import pytest
from helpers.fake_hub import REPO, SHA, git_sha1

from deskpet.inference import download as dl
from deskpet.inference.download_cli import for_terminal


def test_full_download_is_verified_renamed_and_loads(hub, tiny_repo, tmp_path):
    # GIVEN two spellings of the repo, of which only the second exists
    plan = dl.resolve(("openbmb/does-not-exist", REPO), endpoint=hub.url)
    assert plan.repo == REPO and plan.revision == SHA
    assert "README.md" not in {f.name for f in plan.files}
    assert plan.total_bytes == sum(len(v) for k, v in tiny_repo.items() if k != "README.md")
    calls = []

    # WHEN it downloads
    folder = dl.download(plan, models_dir=tmp_path, progress=lambda d, t: calls.append((d, t)))

    # THEN every needed file is there byte for byte, in <repo name>@<short sha>, no .partial left
    assert folder == tmp_path / f"MiniCPM5-1B-MLX@{SHA[:8]}"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.name for f in plan.files)
    for f in plan.files:
        assert (folder / f.name).read_bytes() == tiny_repo[f.name]
    assert not (tmp_path / f"{folder.name}.partial").exists()
    assert calls[-1] == (plan.total_bytes, plan.total_bytes)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:], strict=False))
    # the pinned commit is what was fetched
    assert all(f"/resolve/{SHA}/" in p for m, p, _ in hub.requests if m == "GET" and "resolve" in p)


def test_cut_download_resumes_with_range(hub, tiny_repo, tmp_path):
    plan = dl.resolve(REPO, endpoint=hub.url)
    name = "model.safetensors"
    hub.drop_once.add(name)

    # WHEN the connection drops halfway and no retry is allowed
    with pytest.raises(dl.DownloadError) as e:
        dl.download(plan, models_dir=tmp_path, retries=0, validate=False)
    assert e.value.kind == dl.RESUME
    assert for_terminal(str(e.value), e.value.kind).endswith("; run again to resume")
    partial = tmp_path / f"{plan.folder_name}.partial"
    half = (partial / f"{name}.incomplete").stat().st_size
    assert 0 < half < len(tiny_repo[name])
    assert not plan.destination(tmp_path).exists()

    # THEN the next run asks only for the rest and the bytes are identical
    folder = dl.download(plan, models_dir=tmp_path, validate=False)
    assert (folder / name).read_bytes() == tiny_repo[name]
    assert ("GET", f"/{REPO}/resolve/{SHA}/{name}", f"bytes={half}-") in hub.requests


def test_cut_download_is_retried_in_place(hub, tiny_repo, tmp_path):
    plan = dl.resolve(REPO, endpoint=hub.url)
    hub.drop_once.add("tokenizer.json")
    folder = dl.download(plan, models_dir=tmp_path, validate=False)
    assert (folder / "tokenizer.json").read_bytes() == tiny_repo["tokenizer.json"]
    assert any(
        r == ("GET", f"/{REPO}/resolve/{SHA}/tokenizer.json", r[2]) and r[2] for r in hub.requests
    )


@pytest.mark.parametrize("name", ["model.safetensors", "config.json"])
def test_corrupt_file_is_rejected(hub, tmp_path, name):
    plan = dl.resolve(REPO, endpoint=hub.url)
    hub.corrupt.add(name)
    with pytest.raises(dl.DownloadError, match=f"{re.escape(name)} does not match") as e:
        dl.download(plan, models_dir=tmp_path, validate=False)
    assert "\n" not in str(e.value) and e.value.kind == dl.FETCH_ANEW
    assert not plan.destination(tmp_path).exists()
    partial = tmp_path / f"{plan.folder_name}.partial"
    assert not (partial / name).exists() and not (partial / f"{name}.incomplete").exists()


def test_cancel_keeps_bytes_for_later(hub, tiny_repo, tmp_path):
    plan = dl.resolve(REPO, endpoint=hub.url)
    stop = threading.Event()

    def progress(done, total):
        if done > 0:
            stop.set()

    with pytest.raises(dl.DownloadCancelled):
        dl.download(plan, models_dir=tmp_path, progress=progress, cancel=stop, validate=False)
    assert not plan.destination(tmp_path).exists()
    assert plan.bytes_on_disk(tmp_path) > 0
    folder = dl.download(plan, models_dir=tmp_path, validate=False)
    assert all((folder / f.name).read_bytes() == tiny_repo[f.name] for f in plan.files)


def test_a_stop_during_a_stalled_read_is_not_retried(hub, tiny_repo, tmp_path, monkeypatch):
    # GIVEN a connection that goes silent halfway through the weights
    monkeypatch.setattr(dl, "READ_TIMEOUT", 0.5)
    hub.stall.add("model.safetensors")
    plan = dl.resolve(REPO, endpoint=hub.url)
    stop = threading.Event()
    half = len(tiny_repo["model.safetensors"]) // 2
    weights = plan.destination(tmp_path).with_name(plan.folder_name + dl.PARTIAL_SUFFIX) / (
        "model.safetensors" + dl.INCOMPLETE_SUFFIX
    )

    def progress(_done, _total):
        if weights.exists() and weights.stat().st_size == half:
            stop.set()  # the owner presses Stop while nothing more arrives

    # THEN the read that times out ends the download as stopped, instead of trying again
    with pytest.raises(dl.DownloadCancelled):
        dl.download(plan, models_dir=tmp_path, progress=progress, cancel=stop, validate=False)
    gets = [r for r in hub.requests if r[0] == "GET" and r[1].endswith("model.safetensors")]
    assert len(gets) == 1 and weights.stat().st_size == half


def test_mirror_without_file_metadata_uses_etags(hub, tiny_repo, tmp_path):
    hub.bare_info = True
    plan = dl.resolve(REPO, endpoint=hub.url)
    by_name = {f.name: f for f in plan.files}
    assert (
        by_name["model.safetensors"].sha256
        == hashlib.sha256(tiny_repo["model.safetensors"]).hexdigest()
    )
    assert by_name["config.json"].blob_id == git_sha1(tiny_repo["config.json"])
    assert plan.total_bytes == sum(len(v) for k, v in tiny_repo.items() if k != "README.md")
    assert any(m == "HEAD" for m, _, _ in hub.requests)
    folder = dl.download(plan, models_dir=tmp_path, validate=False)
    assert (folder / "model.safetensors").read_bytes() == tiny_repo["model.safetensors"]


def test_short_disk_is_refused(hub, tmp_path, monkeypatch):
    plan = dl.resolve(REPO, endpoint=hub.url)
    monkeypatch.setattr(dl.shutil, "disk_usage", lambda _p: type("U", (), {"free": 10})())
    with pytest.raises(dl.DownloadError, match="only 10 bytes is free") as e:
        dl.check_disk_space(plan, tmp_path)
    assert e.value.kind == dl.DISK_FULL


def test_unknown_repo_is_reported(hub):
    with pytest.raises(dl.DownloadError, match="openbmb/nope not found"):
        dl.resolve("openbmb/nope", endpoint=hub.url)


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_unreachable_endpoint_is_one_line_with_alternatives():
    with pytest.raises(dl.HubUnreachable) as e:
        dl.resolve(endpoint=_refused_url())
    assert e.value.kind == dl.HUB
    line = for_terminal(str(e.value), e.value.kind)
    assert "\n" not in line and "--model" in line and "--demo" in line


def test_cli_download_and_unreachable(hub, tiny_repo, tmp_path, monkeypatch, capsys):
    from deskpet.cli import main

    monkeypatch.setenv("DESKPET_CACHE", str(tmp_path))
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "home"))
    assert main(["model", "download", "--endpoint", hub.url, "--yes"]) == 0
    out, err = capsys.readouterr()
    assert f"MiniCPM5-1B-MLX@{SHA[:8]}" in out and "100.0%" in err
    assert (tmp_path / "models" / f"MiniCPM5-1B-MLX@{SHA[:8]}" / "config.json").exists()

    assert main(["model", "download", "--endpoint", _refused_url(), "--yes"]) == 1
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "--model" in err and "--demo" in err


def test_a_mirror_sending_more_than_the_listed_size_is_stopped(hub, tiny_repo, tmp_path):
    # GIVEN a mirror that streams 64 MB after a 62-byte-ish file it lists at its true size
    plan = dl.resolve(REPO, endpoint=hub.url)
    name = "config.json"
    hub.oversend[name] = 64 << 20
    calls = []

    # WHEN it downloads
    with pytest.raises(dl.DownloadError) as e:
        dl.download(
            plan, models_dir=tmp_path, progress=lambda d, t: calls.append((d, t)), validate=False
        )

    # THEN it stops at the listed size with one line, and keeps no partial file
    assert "sent more than the" in str(e.value) and name in str(e.value)
    assert "\n" not in str(e.value) and e.value.kind == dl.HUB
    partial = tmp_path / f"{plan.folder_name}.partial"
    assert not (partial / name).exists() and not (partial / f"{name}.incomplete").exists()
    assert all(done <= total for done, total in calls)


def test_the_progress_line_never_passes_100_percent_or_grows():
    import io

    from deskpet.inference.download_cli import ProgressBar

    out = io.StringIO()
    bar = ProgressBar(stream=out, interval=0)
    for done in (0, 50, 100, 10_000, 97_000_000):
        bar(done, 100)
    lines = out.getvalue().split("\r")[1:]
    assert len(lines) == 5
    for line in lines:
        bar_part = re.match(r"\[([#.]*)\]\s+([\d.]+)%", line)
        assert len(bar_part[1]) == 30 and float(bar_part[2]) <= 100.0, line
        assert len(line) < 80, line
    assert "100 bytes / 100 bytes" in lines[-1]
