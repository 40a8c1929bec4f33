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
