"""The pet's end of the bridge: a Unix socket that turns hook lines into AgentEvents.

The socket lives in deskpet's data folder (folder 0700, socket 0600), so only its owner can
talk to the pet. One background thread accepts connections and reads bounded NDJSON lines;
each line is normalized (every field cleaned as untrusted text) and handed to `on_event`. No
Qt and no asyncio: the GUI relays events onto its own thread.

One pet per user: an exclusive flock on a file beside the socket (`bridge.lock`) is the truth,
held while the bridge listens. A socket file is only ever removed as a crash's leftover when the
lock is ours and connecting to it is refused; a listener that is merely slow (its accept queue
full) is a live pet.

Besides events, two kinds of line serve `deskpet doctor` (deskpet/bridge/doctor.py):
- a test event, `"event": "deskpet-doctor"` with a nonce in `"session"`, sent through the
  installed hook command: remembered (the last PROBES_KEPT nonces) and never handed on, so it
  never reaches the mood, the bell or the narration;
- a request, `{"v": 1, "request": "doctor"}`: answered on the same connection with one JSON
  line (the pet's pid and start, per-agent counts and last-heard times, the remembered test
  nonces and whatever `about` adds: the model). Only the socket's owner can connect.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import itertools
import json
import logging
import os
import selectors
import socket
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from deskpet import paths
from deskpet.bridge import agents, hook, sanitize
from deskpet.bridge.events import PERMISSION_REQUEST, AgentEvent, normalize

log = logging.getLogger(__name__)

MAX_LINE = 16 * 1024  # the shim sends about 1 KB; anything longer is not from the shim
MAX_LINES_PER_CONNECTION = 64
CLIENT_TIMEOUT = 0.5  # a client that connects and stalls must not stall the bridge
_SUN_PATH_MAX = 104  # macOS limit for a Unix socket path (Linux: 108)
# Permission requests whose hook waits on its connection: beyond this many, the oldest is let go
# (its hook exits with no answer and its agent's own prompt decides).
MAX_WAITING = 8
WAIT_GRACE = 5.0  # seconds past its wait before a request nobody closed is let go
DECISIONS = ("allow", "deny")
PROBE_EVENT = "deskpet-doctor"  # doctor's test event: recognised here, never shown
DOCTOR_REQUEST = "doctor"
PROBES_KEPT = 32


class BridgeError(RuntimeError):
    """The bridge cannot listen (another pet owns the socket, path unusable, ...)."""


class PetAlreadyRunning(BridgeError):
    """Another live deskpet answers on the socket: one pet per user."""


def socket_path() -> Path:
    return paths.data_dir() / hook.SOCKET_NAME


def lock_path(socket: Path) -> Path:
    """The single-instance lock file beside a socket: bridge.sock -> bridge.lock."""
    return socket.with_suffix(".lock")


def not_writable(path: Path, exc: OSError) -> BridgeError:
    """The error for a folder or file deskpet may not change (left by `sudo deskpet`, say)."""
    return BridgeError(
        f"deskpet can't listen for agents: {path} is not writable ({exc.strerror or exc}); "
        f"if `sudo deskpet` made it, give it back with `sudo chown -R $USER {path}`"
    )


class BridgeServer:
    """Listens on the bridge socket on a background thread.

    Attributes:
        path: the socket path.
        lock: the single-instance lock file beside it (flocked while the bridge listens).
        on_event: called with each AgentEvent, on the bridge thread. Pass `queue.put` to hand
            events to another thread. Exceptions it raises are logged, never fatal.
        received / dropped: line counters, for `deskpet doctor` and tests.
        heard: agent id -> {"events", "last", "channels": {channel: count}}: every line from a
            known agent (an event deskpet has no mood for still proves the hook runs).
        probes: doctor's test nonces heard, newest last -> the agent that sent each.
        started: when the bridge started listening (epoch seconds).
        about: adds to the doctor answer (the app: the model in use); called on the bridge
            thread, so it must only read.
    """

    def __init__(
        self,
        on_event: Callable[[AgentEvent], None],
        path: Path | None = None,
        max_line: int = MAX_LINE,
    ) -> None:
        self.path = Path(path) if path is not None else socket_path()
        self.on_event = on_event
        self.max_line = max_line
        # Permission requests: how long the pet wants a hook to wait for a click (0: no card),
        # and who hears that a waiting hook went away. Both run on the bridge thread.
        self.permission_wait: Callable[[AgentEvent], float] = lambda _event: 0.0
        self.on_request_closed: Callable[[str], None] = lambda _request: None
        self._waiting: dict[str, tuple[socket.socket, float]] = {}  # request -> (conn, until)
        self._waiting_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._selector: selectors.BaseSelector | None = None
        self.received = 0
        self.dropped = 0
        self.heard: dict[str, dict] = {}
        self.probes: OrderedDict[str, str] = OrderedDict()
        self.started = 0.0
        self.about: Callable[[], dict] = dict
        self.lock = lock_path(self.path)
        self._lock_fd: int | None = None
        self._sock: socket.socket | None = None
        self._inode: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Take the lock, bind and start listening. Raises PetAlreadyRunning or BridgeError."""
        if self._thread is not None:
            return
        if len(os.fsencode(self.path)) >= _SUN_PATH_MAX:
            raise BridgeError(f"socket path too long for a Unix socket: {self.path}")
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(folder, 0o700)
        except PermissionError as exc:
            raise not_writable(folder, exc) from exc
        except OSError as exc:
            raise BridgeError(f"cannot make the bridge folder {folder}: {exc}") from exc
        self._take_lock()
        try:
            self._clear_stale()
            self._sock = self._bind()
        except BaseException:
            self._release_lock()
            raise
        self._stop.clear()
        self.started = time.time()
        self._thread = threading.Thread(target=self._serve, name="deskpet-bridge", daemon=True)
        self._thread.start()

    def _take_lock(self) -> None:
        """Hold the single-instance lock; another pet holding it is PetAlreadyRunning. The
        kernel drops a flock when its holder dies, so a crash never leaves it taken."""
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.lock, flags, 0o600)
        except PermissionError as exc:
            raise not_writable(self.lock, exc) from exc
        except OSError as exc:
            raise BridgeError(f"cannot open the lock file {self.lock}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise PetAlreadyRunning(
                    f"another deskpet is already running for this user (it holds {self.lock})"
                ) from None
            raise BridgeError(f"cannot lock {self.lock}: {exc}") from exc
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the only descriptor drops the flock
            self._lock_fd = None

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(self.path))
            # No umask around bind(): it is process-wide and other threads create files. The
            # socket is born with the umask's mode, but inside the 0700 folder nobody else can
            # reach it before this chmod.
            os.chmod(self.path, 0o600)
            sock.listen(16)
            sock.setblocking(False)
            self._inode = os.stat(self.path).st_ino
        except PermissionError as exc:
            sock.close()
            raise not_writable(self.path.parent, exc) from exc
        except OSError as exc:
            sock.close()
            raise BridgeError(f"cannot listen on {self.path}: {exc}") from exc
        return sock

    def _clear_stale(self) -> None:
        """Remove a socket left by a crash; refuse if anything still listens on it.

        Called with the lock held, so no other pet of this version runs. Only a refused
        connection proves nobody listens: a timeout or EAGAIN is a listener whose accept
        queue is full (a busy pet, or an older one that took no lock)."""
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        except PermissionError as exc:
            raise not_writable(self.path.parent, exc) from exc
        except OSError as exc:
            raise BridgeError(f"cannot use {self.path}: {exc}") from exc
        if not stat.S_ISSOCK(mode):
            raise BridgeError(f"{self.path} exists and is not a socket; not touching it")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(0.2)
        try:
            probe.connect(str(self.path))
        except ConnectionRefusedError:
            try:
                os.unlink(self.path)  # nobody listens: a crashed pet's leftover
            except FileNotFoundError:
                pass
            except PermissionError as exc:
                raise not_writable(self.path.parent, exc) from exc
            return
        except FileNotFoundError:
            return  # gone meanwhile
        except PermissionError as exc:
            raise not_writable(self.path, exc) from exc
        except (TimeoutError, BlockingIOError):
            pass  # alive, with a full accept queue
        except OSError as exc:
            raise BridgeError(f"cannot tell whether {self.path} is in use: {exc}") from exc
        finally:
            probe.close()
        raise PetAlreadyRunning(
            f"another deskpet is already running for this user (it listens on {self.path})"
        )

    def stop(self) -> None:
        """Stop the thread, close the socket and remove it (if it is still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            with contextlib.suppress(OSError):
                if os.stat(self.path).st_ino == self._inode:
                    os.unlink(self.path)
        self._release_lock()  # after the unlink: the next pet finds no socket of ours

    def __enter__(self) -> BridgeServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- serving ---------------------------------------------------------------------

    def _serve(self) -> None:
        assert self._sock is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            self._selector = selector
            try:
                self._accept_loop(selector)
            finally:
                for request in list(self._waiting):
                    self._let_go(request, report=False)

    def _accept_loop(self, selector: selectors.BaseSelector) -> None:
        while not self._stop.is_set():
            ready = selector.select(timeout=0.1)
            for key, _ in ready:
                if key.data is not None:  # a waiting hook hung up, or its answer went out
                    self._hung_up(key.data)
            self._expire()
            if not any(key.data is None for key, _ in ready):
                continue
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                if self._stop.is_set():
                    break
                log.exception("bridge accept failed")
                time.sleep(0.1)
                continue
            request = None
            try:
                request = self._handle(conn)
            finally:
                if request is None:
                    conn.close()

    # --- permission requests -----------------------------------------------------------

    def decide(self, request: str, decision: str | int) -> bool:
        """Send the owner's click to the hook waiting on `request`: "allow", "deny" or the
        index of one of the agent's "always allow" suggestions. Thread-safe; False when the
        request is gone (answered elsewhere, timed out)."""
        if decision not in DECISIONS and not (
            isinstance(decision, int) and not isinstance(decision, bool) and decision >= 0
        ):
            raise ValueError(f"not a decision: {decision!r}")
        with self._waiting_lock:
            waiting = self._waiting.pop(request, None)
        if waiting is None:
            return False
        conn = waiting[0]
        line = json.dumps({"decision": decision}, separators=(",", ":")) + "\n"
        try:
            conn.settimeout(CLIENT_TIMEOUT)
            conn.sendall(line.encode("ascii"))
        except OSError as exc:
            log.info("a permission decision found its hook gone: %s", exc.strerror or exc)
            return False
        # The hook may have read it and exited already; the bridge thread closes the socket.
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)
        return True

    def waiting(self) -> list[str]:
        """The requests whose hook still waits for a click, oldest first."""
        with self._waiting_lock:
            return list(self._waiting)

    def _park(self, conn: socket.socket, event: AgentEvent) -> AgentEvent:
        """Keep a permission request's connection open for the owner's click, if the pet
        shows a card for it; the event comes back carrying the request's handle."""
        try:
            wait = min(float(self.permission_wait(event)), agents.get(event.agent).approval_wait)
        except Exception:
            log.exception("permission wait callback failed")
            wait = 0.0
        if not wait > 0:
            return event
        request = f"r{next(self._ids)}"
        try:
            conn.settimeout(CLIENT_TIMEOUT)
            conn.sendall(json.dumps({"wait": wait}).encode("ascii") + b"\n")
            conn.setblocking(False)
        except OSError:
            return event  # the hook is already gone
        with self._waiting_lock:
            self._waiting[request] = (conn, time.monotonic() + wait + WAIT_GRACE)
            oldest = list(self._waiting)[:-MAX_WAITING] if len(self._waiting) > MAX_WAITING else []
        for old in oldest:
            self._let_go(old)
        self._selector.register(conn, selectors.EVENT_READ, data=(request, conn))
        return dataclasses.replace(
            event, ask=dataclasses.replace(event.ask, request=request, wait=wait)
        )

    def _hung_up(self, data: tuple[str, socket.socket]) -> None:
        request, conn = data
        try:
            more = conn.recv(1024)
        except (BlockingIOError, TimeoutError):
            return
        except OSError:
            more = b""
        if more:
            return  # a hook says nothing after its request; ignore it until it closes
        with self._waiting_lock:
            undecided = self._waiting.pop(request, None) is not None
        self._selector.unregister(conn)
        conn.close()
        if undecided:
            self._closed(request)

    def _let_go(self, request: str, report: bool = True) -> None:
        """Close a waiting request's connection: its hook exits with no answer."""
        with self._waiting_lock:
            waiting = self._waiting.pop(request, None)
        if waiting is None:
            return
        conn = waiting[0]
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn)
        conn.close()
        if report:
            self._closed(request)

    def _expire(self) -> None:
        now = time.monotonic()
        with self._waiting_lock:
            late = [r for r, (_conn, until) in self._waiting.items() if until < now]
        for request in late:
            self._let_go(request)

    def _closed(self, request: str) -> None:
        try:
            self.on_request_closed(request)
        except Exception:
            log.exception("bridge request-closed callback failed")

    # --- ordinary lines ----------------------------------------------------------------

    def _handle(self, conn: socket.socket) -> str | None:
        """Read one connection's lines; the request handle when it stays open for a click."""
        conn.settimeout(CLIENT_TIMEOUT)
        deadline = time.monotonic() + CLIENT_TIMEOUT
        buffer, lines, skipping = b"", 0, False
        while lines < MAX_LINES_PER_CONNECTION and time.monotonic() < deadline:
            try:
                chunk = conn.recv(65536)
            except OSError:  # timeout or reset: whatever came complete was handled
                break
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer and lines < MAX_LINES_PER_CONNECTION:
                line, buffer = buffer.split(b"\n", 1)
                if skipping:  # the tail of an oversized line
                    skipping = False
                    continue
                lines += 1
                request = self._line(line, conn)
                if request is not None:
                    return request  # a waiting hook sends one line and nothing after it
            if len(buffer) > self.max_line:
                buffer, skipping = b"", True
                self.dropped += 1
        if buffer and not skipping and len(buffer) <= self.max_line:
            return self._line(buffer, conn)  # a last line without its newline still counts
        return None

    def _line(self, raw: bytes, conn: socket.socket | None = None) -> str | None:
        if len(raw) > self.max_line:
            self.dropped += 1
            return None
        try:
            wire = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            wire = None
        if isinstance(wire, dict) and wire.get("request") == DOCTOR_REQUEST:
            if conn is not None:
                self._answer_doctor(conn)
            return None
        if isinstance(wire, dict) and self._count(wire):
            return None  # doctor's test event: heard, and that is all
        try:
            event = normalize(wire)
        except (ValueError, RecursionError):
            event = None
        if event is None:
            self.dropped += 1
            return None
        self.received += 1
        if (
            conn is not None
            and wire.get("await")
            and event.kind == PERMISSION_REQUEST
            and event.ask is not None
            and event.source == "hook"
        ):
            event = self._park(conn, event)
        try:
            self.on_event(event)
        except Exception:
            log.exception("bridge event callback failed")
        return event.ask.request or None if event.ask is not None else None

    # --- doctor ----------------------------------------------------------------------------

    def _count(self, wire: dict) -> bool:
        """Note a line from a known agent; True when it is doctor's test event."""
        agent = wire.get("agent")
        if agents.find(agent) is None:
            return False
        if wire.get("event") == PROBE_EVENT:
            nonce = sanitize.clean_id(wire.get("session"))
            if nonce:
                self.probes[nonce] = agent
                self.probes.move_to_end(nonce)
                while len(self.probes) > PROBES_KEPT:
                    self.probes.popitem(last=False)
            return True
        channel = wire.get("channel") if wire.get("channel") in ("hook", "notify") else "hook"
        heard = self.heard.setdefault(agent, {"events": 0, "last": 0.0, "channels": {}})
        heard["events"] += 1
        heard["last"] = time.time()
        heard["channels"][channel] = heard["channels"].get(channel, 0) + 1
        return False

    def doctor_answer(self) -> dict:
        """What the pet says about itself to `deskpet doctor`."""
        try:
            about = dict(self.about())
        except Exception:
            log.exception("the doctor answer's extra facts failed")
            about = {}
        return {
            **about,
            "v": 1,
            "pet": "deskpet",
            "pid": os.getpid(),
            "started": self.started,
            "received": self.received,
            "dropped": self.dropped,
            "agents": {a: {**h, "channels": dict(h["channels"])} for a, h in self.heard.items()},
            "probes": dict(self.probes),
        }

    def _answer_doctor(self, conn: socket.socket) -> None:
        line = json.dumps(self.doctor_answer(), ensure_ascii=True, separators=(",", ":"))
        try:
            conn.sendall(line.encode("ascii") + b"\n")
        except OSError as exc:  # doctor gave up waiting: nothing to repair
            log.info("could not answer doctor: %s", exc)
