"""The pet's end of the bridge: a Unix socket that turns hook lines into AgentEvents.

The socket lives in deskpet's data folder (folder 0700, socket 0600), so only its owner can
talk to the pet. One background thread accepts connections and reads bounded NDJSON lines;
each line is normalized (every field cleaned as untrusted text) and handed to `on_event`. No
Qt and no asyncio: the GUI relays events onto its own thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import socket
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from deskpet import paths
from deskpet.bridge import hook
from deskpet.bridge.events import AgentEvent, normalize

log = logging.getLogger(__name__)

MAX_LINE = 16 * 1024  # the shim sends about 1 KB; anything longer is not from the shim
MAX_LINES_PER_CONNECTION = 64
CLIENT_TIMEOUT = 0.5  # a client that connects and stalls must not stall the bridge
_SUN_PATH_MAX = 104  # macOS limit for a Unix socket path (Linux: 108)


class BridgeError(RuntimeError):
    """The bridge cannot listen (another pet owns the socket, path unusable, ...)."""


class PetAlreadyRunning(BridgeError):
    """Another live deskpet answers on the socket: one pet per user."""


def socket_path() -> Path:
    return paths.data_dir() / hook.SOCKET_NAME


class BridgeServer:
    """Listens on the bridge socket on a background thread.

    Attributes:
        path: the socket path.
        on_event: called with each AgentEvent, on the bridge thread. Pass `queue.put` to hand
            events to another thread. Exceptions it raises are logged, never fatal.
        received / dropped: line counters, for `deskpet doctor` and tests.
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
        self.received = 0
        self.dropped = 0
        self._sock: socket.socket | None = None
        self._inode: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Bind and start listening. Raises PetAlreadyRunning or BridgeError."""
        if self._thread is not None:
            return
        if len(os.fsencode(self.path)) >= _SUN_PATH_MAX:
            raise BridgeError(f"socket path too long for a Unix socket: {self.path}")
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
        self._clear_stale()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(self.path))
            # No umask around bind(): it is process-wide and other threads create files. The
            # socket is born with the umask's mode, but inside the 0700 folder nobody else can
            # reach it before this chmod.
            os.chmod(self.path, 0o600)
        except OSError as exc:
            sock.close()
            raise BridgeError(f"cannot listen on {self.path}: {exc}") from exc
        sock.listen(16)
        sock.setblocking(False)
        self._sock = sock
        self._inode = os.stat(self.path).st_ino
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="deskpet-bridge", daemon=True)
        self._thread.start()

    def _clear_stale(self) -> None:
        """Remove a socket left by a crash; refuse if a live pet answers on it."""
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise BridgeError(f"{self.path} exists and is not a socket; not touching it")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(0.2)
        try:
            probe.connect(str(self.path))
        except OSError:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)  # nobody listens: a crashed pet's leftover
            return
        finally:
            probe.close()
        raise PetAlreadyRunning(
            f"another deskpet is already running for this user (it answers on {self.path})"
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
            while not self._stop.is_set():
                if not selector.select(timeout=0.1):
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
                with conn:
                    self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
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
                self._line(line)
            if len(buffer) > self.max_line:
                buffer, skipping = b"", True
                self.dropped += 1
        if buffer and not skipping and len(buffer) <= self.max_line:
            self._line(buffer)  # a last line without its newline still counts

    def _line(self, raw: bytes) -> None:
        if len(raw) > self.max_line:
            self.dropped += 1
            return
        try:
            event = normalize(json.loads(raw.decode("utf-8")))
        except (ValueError, RecursionError):
            event = None
        if event is None:
            self.dropped += 1
            return
        self.received += 1
        try:
            self.on_event(event)
        except Exception:
            log.exception("bridge event callback failed")
