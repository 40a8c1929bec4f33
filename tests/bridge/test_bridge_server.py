"""The listener on a real Unix socket: permissions, stale sockets, one pet, hostile input."""

from __future__ import annotations

import json
import os
import queue
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.unchangeable import unchangeable

from deskpet.bridge import hook
from deskpet.bridge.server import (
    BridgeError,
    BridgeServer,
    PetAlreadyRunning,
    lock_path,
    socket_path,
)


def send_raw(path: Path, data: bytes) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        s.connect(str(path))
        s.sendall(data)


def line(**fields) -> bytes:
    return (json.dumps({"v": 1, "agent": "claude", **fields}) + "\n").encode()


def test_socket_and_folder_permissions(home):
    with BridgeServer(lambda e: None) as server:
        assert server.path == socket_path()
        assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(server.path.parent).st_mode) == 0o700
        assert stat.S_ISSOCK(os.stat(server.path).st_mode)
    assert not server.path.exists()  # clean stop removes it


def test_binding_never_touches_the_process_umask(home):
    # Other threads create files meanwhile; the socket gets its 0600 from a chmod instead.
    calls = []

    def watch(frame, event, arg):
        if event == "c_call" and arg is os.umask:
            calls.append(frame.f_code.co_name)

    old = os.umask(0)  # the most permissive: only the chmod can make the socket 0600
    sys.setprofile(watch)
    try:
        server = BridgeServer(lambda e: None)
        server.start()
    finally:
        sys.setprofile(None)
        os.umask(old)
    try:
        assert calls == []
        assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(server.path.parent).st_mode) == 0o700
    finally:
        server.stop()


def test_events_arrive_through_the_shim_send_function(home):
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put):
        assert hook.send({"agent": "codex", "event": "Stop", "session": "s1", "message": "ok"})
        event = got.get(timeout=2)
    assert (event.agent, event.kind, event.session, event.message) == (
        "codex",
        "turn_complete",
        "s1",
        "ok",
    )
    assert not hook.send({"agent": "codex", "event": "Stop"})  # pet gone: dropped, no error


def test_stale_socket_from_a_crash_is_replaced(home):
    path = socket_path()
    path.parent.mkdir(parents=True)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(str(path))
    crashed.close()  # a crash leaves the file, nobody listens
    assert path.exists()
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put):
        send_raw(path, line(event="Stop", session="x"))
        assert got.get(timeout=2).kind == "turn_complete"


def test_second_pet_is_refused_and_first_keeps_working(home):
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put) as first:
        second = BridgeServer(lambda e: None)
        with pytest.raises(PetAlreadyRunning, match="already running"):
            second.start()
        send_raw(first.path, line(event="Stop", session="still-me"))
        assert got.get(timeout=2).session == "still-me"


def fill_accept_queue(path: Path) -> tuple[socket.socket, list[socket.socket]]:
    """A listener that never accepts, its queue filled: what a busy pet looks like."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(0)
    waiting = []
    while len(waiting) < 64:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.setblocking(False)
        try:
            client.connect(str(path))
        except (BlockingIOError, ConnectionRefusedError):  # Linux / macOS: the queue is full
            client.close()
            break
        waiting.append(client)
    return listener, waiting


def test_a_listener_with_a_full_accept_queue_is_a_live_pet_not_a_stale_socket(home):
    path = socket_path()
    path.parent.mkdir(parents=True)
    listener, waiting = fill_accept_queue(path)
    try:
        inode = os.stat(path).st_ino
        with pytest.raises(PetAlreadyRunning, match="already running"):
            BridgeServer(lambda e: None).start()
        assert os.stat(path).st_ino == inode  # still the first pet's socket
    finally:
        for client in waiting:
            client.close()
        listener.close()


def test_a_pet_in_another_process_holding_the_lock_keeps_its_socket(home):
    # GIVEN another process that holds the lock while its socket refuses (on a Mac a full
    # accept queue refuses connections, so refusal alone proves nothing)
    path = socket_path()
    path.parent.mkdir(parents=True)
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(path))
    leftover.close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
            str(lock_path(path)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        # WHEN a second pet starts THEN it is refused and the socket stays
        with pytest.raises(PetAlreadyRunning, match="already running"):
            BridgeServer(lambda e: None).start()
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()
    # AND once that process is gone (the kernel drops its lock) the leftover is replaced
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put):
        send_raw(path, line(event="Stop", session="after"))
        assert got.get(timeout=2).session == "after"


def test_the_lock_is_held_while_listening_and_released_on_stop(home):
    import fcntl

    def lock_is_free() -> bool:
        fd = os.open(lock_path(socket_path()), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        finally:
            os.close(fd)  # drops the probe's lock, if it got it

    with BridgeServer(lambda e: None) as server:
        assert server.lock == lock_path(server.path)
        assert not lock_is_free()
    assert lock_is_free()


def test_a_regular_file_in_the_way_is_not_deleted(home):
    path = socket_path()
    path.parent.mkdir(parents=True)
    path.write_text("mine")
    with pytest.raises(BridgeError, match="not a socket"):
        BridgeServer(lambda e: None).start()
    assert path.read_text() == "mine"


def test_hostile_input_is_dropped_and_the_server_survives(home):
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put, max_line=4096) as server:
        send_raw(server.path, b"x" * 100_000 + b"\n" + line(event="Stop", session="after-long"))
        send_raw(server.path, b'\xff\xfe garbage\n[1,2]\n{"agent": 5}\n')
        send_raw(server.path, os.urandom(20_000))
        send_raw(server.path, line(event="SessionStart", session="ok", cwd="/Users/me/proj"))
        first, second = got.get(timeout=2), got.get(timeout=2)
        assert (first.session, first.kind) == ("after-long", "turn_complete")
        assert (second.session, second.project) == ("ok", "proj")
        assert server.dropped >= 4
    assert got.empty()


def test_several_lines_on_one_connection_and_a_last_line_without_newline(home):
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put) as server:
        send_raw(
            server.path,
            line(event="UserPromptSubmit", session="a")
            + line(event="Stop", session="a").rstrip(b"\n"),
        )
        assert [got.get(timeout=2).kind for _ in range(2)] == ["prompt", "turn_complete"]


def test_a_failing_callback_does_not_stop_the_bridge(home, caplog):
    calls = []

    def callback(event):
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("boom")

    with BridgeServer(callback) as server:
        send_raw(server.path, line(event="Stop", session="1"))
        send_raw(server.path, line(event="Stop", session="2"))
        for _ in range(200):
            if len(calls) == 2:
                break
            import time

            time.sleep(0.01)
    assert [e.session for e in calls] == ["1", "2"]
    assert "callback failed" in caplog.text


def test_stop_is_idempotent_and_restart_works(home):
    server = BridgeServer(lambda e: None)
    server.start()
    server.stop()
    server.stop()
    server.start()
    assert socket_path().exists()
    server.stop()
    assert not socket_path().exists()


@pytest.mark.parametrize("locked", ["the data folder", "the folder above it"])
def test_a_folder_deskpet_may_not_change_turns_the_bridge_off_in_one_line(home, locked):
    data = socket_path().parent
    if locked == "the data folder":
        data.mkdir(parents=True)
    with unchangeable(data if locked == "the data folder" else data.parent) as how:
        if locked == "the data folder" and how == "mode":
            pytest.skip("its owner may chmod a 0555 folder back: only a flag stops it")
        with pytest.raises(BridgeError) as caught:
            BridgeServer(lambda e: None).start()
    message = str(caught.value)
    assert message.startswith(f"deskpet can't listen for agents: {data} is not writable")
    assert not isinstance(caught.value, PetAlreadyRunning) and "\n" not in message


def nobody() -> tuple[int, int] | None:
    import pwd

    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return user.pw_uid, user.pw_gid


@pytest.mark.skipif(
    os.geteuid() != 0 or nobody() is None, reason="needs root to play `sudo deskpet`"
)
def test_a_data_folder_left_by_sudo_deskpet_turns_the_bridge_off_for_its_owner(home):
    # GIVEN the data folder and a socket left by `sudo deskpet`: root's, 0700
    data = socket_path().parent
    data.mkdir(parents=True, mode=0o700)
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(socket_path()))
    leftover.close()
    os.chmod(data.parent, 0o755)
    # WHEN its owner (here: nobody) starts the bridge THEN one line says why, no traceback
    uid, gid = nobody()
    code = (
        "import os, sys\n"
        "from deskpet.bridge.server import BridgeError, BridgeServer\n"
        f"os.setgid({gid}); os.setuid({uid})\n"
        "try:\n"
        "    BridgeServer(lambda e: None).start()\n"
        "except BridgeError as exc:\n"
        "    print(exc)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith(f"deskpet can't listen for agents: {data} is not writable")
    assert stat.S_ISSOCK(os.lstat(socket_path()).st_mode)  # root's socket left alone
