"""`deskpet doctor` with a model server as the brain: a stdlib OpenAI-style server on loopback
(tests/helpers/fake_model_server.py), real settings and a real 0600 key file in a temp HOME."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers.fake_model_server import FakeModelServer, free_port

from deskpet.bridge import doctor
from deskpet.bridge.doctor import FAIL, OK
from deskpet.bridge.doctor_server import check_server
from deskpet.platform.keychain import SERVER_KEY, FileKeychain
from deskpet.settings import Settings

KEY = "sk-doctor-secret-0042"


@pytest.fixture
def server():
    s = FakeModelServer(models=("qwen3:1.7b", "llama3"))
    yield s
    s.close()


def configure(home, url: str, model: str = "", brain: str = "server") -> None:
    folder = home.parent / "d"
    folder.mkdir(exist_ok=True)
    (folder / "settings.yaml").write_text(
        f"brain: {brain}\nserver_url: {url}\nserver_model: '{model}'\n"
    )


def server_lines(key=lambda: None) -> list[tuple[str, str]]:
    result = doctor.Diagnosis()
    check_server(result, key=key)
    return [(f.level, f.text) for f in result.findings if f.topic == "server"]


def test_a_server_that_answers_and_serves_the_model_is_one_ok_line(home, server):
    configure(home, server.url, "qwen3")  # Ollama's name:latest counts as name
    server.models.append("qwen3:latest")
    assert server_lines(lambda: KEY) == [
        (OK, f"{server.url} answers and serves qwen3 (with the saved API key)")
    ]
    assert server.headers[-1]["Authorization"] == f"Bearer {KEY}"
    configure(home, server.url)  # no model named: the first one the server lists
    assert server_lines() == [
        (OK, f"{server.url} answers and serves qwen3:1.7b (no API key saved)")
    ]


def test_what_can_go_wrong_is_one_fail_line_saying_what_to_do(home, server):
    configure(home, server.url, "mistral")
    [(level, text)] = server_lines()
    assert level == FAIL
    assert text == (
        f"{server.url} does not serve mistral (it lists: qwen3:1.7b, llama3): "
        "fix Server model in Settings"
    )
    server.require_key = KEY
    configure(home, server.url)
    assert server_lines() == [(FAIL, f"{server.url} asks for an API key: save it in Settings")]
    [(level, text)] = server_lines(lambda: "sk-wrong")
    assert level == FAIL and "turned down the saved API key" in text and "sk-wrong" not in text
    nowhere = f"http://127.0.0.1:{free_port()}"
    configure(home, nowhere)
    assert server_lines() == [
        (FAIL, f"nothing answers at {nowhere}: start the server, or fix its address")
    ]
    configure(home, "")
    assert server_lines() == [(FAIL, "the brain is a model server, but no address is set")]


def test_a_key_store_that_fails_leaves_the_check_without_a_key(home, server, caplog):
    configure(home, server.url)

    def broken():
        raise RuntimeError(KEY)

    assert server_lines(broken)[0][0] == OK
    assert "Authorization" not in server.headers[-1]
    assert KEY not in caplog.text


def test_with_the_local_brain_the_server_is_not_asked(home, server):
    configure(home, server.url, brain="local")
    assert server_lines() == []
    assert server.headers == []


def test_deskpet_doctor_prints_the_server_line_and_never_the_key(home, server):
    configure(home, server.url, "llama3")
    server.require_key = KEY
    env = dict(os.environ)
    FileKeychain().set(SERVER_KEY, KEY)  # the real 0600 file the pet keeps it in on Linux
    assert Settings().get("brain") == "server"
    done = subprocess.run(
        [sys.executable, "-m", "deskpet.cli", "doctor"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert f"ok server: {server.url} answers and serves llama3 (with the saved API key)" in (
        done.stdout
    ), done.stdout + done.stderr
    assert KEY not in done.stdout + done.stderr
    assert server.headers[-1]["Authorization"] == f"Bearer {KEY}"


def test_a_server_that_never_answers_is_one_line_within_the_short_timeout(home, monkeypatch):
    import socket
    import time

    from deskpet.bridge import doctor_server

    monkeypatch.setattr(doctor_server, "READ_SECONDS", 0.3)
    with socket.socket() as silent:  # takes the connection (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        configure(home, url)
        started = time.monotonic()
        assert server_lines() == [(FAIL, f"{url} did not answer within 0.3 s")]
        assert time.monotonic() - started < 3


def test_model_names_a_server_lists_are_shown_without_control_characters(home, server):
    # A server's names are its own text: a terminal escape or a newline in one must not reach
    # the owner's terminal or the settings window, and one name cannot fill the screen.
    server.models[:] = ["evil\x1b[2J\nname", "x" * 5000]
    configure(home, server.url, "mistral")
    [(level, text)] = server_lines()
    assert level == FAIL
    assert "\x1b" not in text and "\n" not in text
    assert "evil[2Jname" in text and "x" * 201 not in text and "x" * 200 in text
