"""`deskpet --self-test` as the packaging scripts run it: a subprocess, the real demo model."""

from __future__ import annotations

import os
import subprocess
import sys


def self_test(*args, home):
    env = dict(os.environ, DESKPET_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "deskpet.cli", "--self-test", *args],
        text=True,
        capture_output=True,
        timeout=600,
        env=env,
    )


def test_self_test_passes_with_one_line_per_check(demo_gguf, tmp_path):
    done = self_test(home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for check in ("mlx", "personas", "demo model", "generate", "render", "windows"):
        assert f"ok    {check}: " in done.stdout, done.stdout
    assert done.stdout.rstrip().endswith("self-test passed")


def test_self_test_names_the_failing_check(demo_gguf, tmp_path):
    done = self_test("--model", str(tmp_path / "missing.gguf"), home=tmp_path)
    assert done.returncode == 1
    assert "FAIL  demo model: " in done.stdout
    assert "skip  generate: needs demo model" in done.stdout
    assert "self-test FAILED: demo model" in done.stdout


def test_with_a_server_brain_the_self_test_asks_the_server(tmp_path, monkeypatch):
    # The check the self-test adds for `brain: server`, run in-process against a stdlib
    # server on loopback (a whole self-test run is the slow test above).
    import pytest
    from helpers.fake_model_server import FakeModelServer, free_port

    from deskpet import self_test as st

    monkeypatch.setenv("DESKPET_HOME", str(tmp_path))
    server = FakeModelServer(models=("llama3",))
    try:
        (tmp_path / "settings.yaml").write_text(f"brain: server\nserver_url: {server.url}\n")
        assert st._brain_is_server()
        assert st._check_server() == f"{server.url} answers and serves llama3 (no API key saved)"
        nowhere = f"http://127.0.0.1:{free_port()}"
        (tmp_path / "settings.yaml").write_text(f"brain: server\nserver_url: {nowhere}\n")
        with pytest.raises(st.CheckFailed, match="nothing answers at"):
            st._check_server()
        (tmp_path / "settings.yaml").write_text("brain: local\n")
        assert not st._brain_is_server()
    finally:
        server.close()
