"""`deskpet chat --server URL` in a real subprocess, against the stdlib fault server (the real
llama.cpp server is in tests/inference/test_server_llama.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers.fake_model_server import FakeModelServer, free_port


@pytest.fixture
def server():
    s = FakeModelServer()
    yield s
    s.close()


def chat(args, stdin: bytes, home) -> subprocess.CompletedProcess:
    env = dict(os.environ, DESKPET_HOME=str(home), DESKPET_SERVER_KEY="sk-cli-secret")
    return subprocess.run(
        [sys.executable, "-m", "deskpet.cli", "chat", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env=env,
    )


def test_the_terminal_chat_answers_through_a_server_and_survives_a_fault(server, tmp_path):
    # GIVEN a server whose second answer fails with a 500
    server.script = ["ok", "500", "ok"]
    done = chat(
        ["--server", server.url, "--server-model", "fake-model", "--system", "You are a cat."],
        b"first\nsecond\nthird\n",
        tmp_path,
    )
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    assert "fake-model on http://127.0.0.1" in stderr and "Traceback" not in stderr
    lines = [line for line in done.stdout.decode().splitlines() if line.strip()]
    # THEN the fault is one line in the pet's words, and the next question is answered
    assert lines == [
        "Hello there, friend.",
        "(deskpet could not answer: My model server ran into a problem. Try again in a moment. "
        "(/v1/chat/completions: HTTP 500 (server_error)))",
        "Hello there, friend.",
    ]
    # AND the conversation went to the server whole, with the key from the environment
    assert [m["content"] for m in server.bodies[-1]["messages"]] == [
        "You are a cat.", "first", "Hello there, friend.", "third",
    ]  # fmt: skip
    assert server.headers[-1]["Authorization"] == "Bearer sk-cli-secret"


def test_no_server_there_is_one_line(tmp_path):
    done = chat(["--server", f"http://127.0.0.1:{free_port()}"], b"hi\n", tmp_path)
    assert done.returncode == 1
    stderr = done.stderr.decode()
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith(
            "deskpet: could not load the model: I can't reach my model server. Is it running?"
        )
    )
    assert "Traceback" not in stderr
