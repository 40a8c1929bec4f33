"""ModelDownload: `deskpet.inference.download` on a thread of its own, reported as Qt signals.

The download only moves bytes (no MLX), so a plain thread does it while the GUI stays live.
Its callbacks emit private signals that queued connections deliver on the GUI thread, as
the Relay does for the model. Progress is thinned out to a few updates a second: a fast
connection reports every network read, far more often than a progress bar can be redrawn.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from deskpet.i18n import shown, tr
from deskpet.inference import download as dl

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.2  # seconds between progress signals


class ModelDownload(QObject):
    """One download of the recommended model (or `repos`), started with `start()`.

    Attributes:
        endpoint: the hub mirror, or None for huggingface-hub's default.
        repo: the repo that resolved, once known ("" before).
        total: bytes of the whole download, once known (0 before).
        failure: why it failed, in English for the log ("" unless it failed).

    Signals:
        on_planned(str, int, int): the repo that resolved, its total bytes and the bytes
            already on disk from an earlier try; sent before any byte moves.
        on_progress(int, int): bytes done and total.
        on_finished(str): the downloaded, verified model folder.
        on_failed(str, str): one line saying why, in the owner's language (the bytes so far
            are kept), and the DownloadError kind (deskpet.inference.download: RESUME, ...).
        on_cancelled(): `cancel()` took effect (the bytes so far are kept).
    """

    on_planned = Signal(str, int, int)
    on_progress = Signal(int, int)
    on_finished = Signal(str)
    on_failed = Signal(str, str)
    on_cancelled = Signal()

    _planned = Signal(str, int, int)
    _progress = Signal(int, int)
    _finished = Signal(str)
    _failed = Signal(str, str)
    _cancelled = Signal()

    def __init__(
        self, endpoint: str | None = None, repos=dl.DEFAULT_REPOS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("model-download")
        self.endpoint = endpoint
        self.repos = repos
        self.repo = ""
        self.total = 0
        self.failure = ""
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_report = 0.0
        self._step = -1
        queued = Qt.ConnectionType.QueuedConnection
        for private, public in (
            (self._planned, self.on_planned),
            (self._progress, self.on_progress),
            (self._finished, self.on_finished),
            (self._failed, self.on_failed),
            (self._cancelled, self.on_cancelled),
        ):
            private.connect(public, queued)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._cancel.clear()
        self._thread = threading.Thread(target=self._run, name="deskpet-download", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop within one network read; the bytes so far stay for the next start."""
        self._cancel.set()

    def wait(self, timeout: float) -> bool:
        """Wait for the thread to end; whether it did."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _report(self, done: int, total: int) -> None:
        # A few times a second, and whenever the bar moves by a step: the last bytes before a
        # stall must show, or a stuck download would look stuck a little earlier than it is.
        now = time.monotonic()
        step = done * 1000 // total if total else 0
        if done < total and now - self._last_report < PROGRESS_INTERVAL and step == self._step:
            return
        self._last_report, self._step = now, step
        self._send("_progress", done, total)

    def _send(self, name: str, *args) -> None:
        try:
            getattr(self, name).emit(*args)
        except RuntimeError:  # deskpet quit and this object is gone: nobody is listening
            pass

    def _plan(self) -> tuple[dl.DownloadPlan, int]:
        """Ask the hub: the plan and the bytes of it already on disk."""
        plan = dl.resolve(self.repos, endpoint=self.endpoint)
        return plan, plan.bytes_on_disk()

    def _fetch(self, plan: dl.DownloadPlan) -> Path:
        # Not validated by loading here: MLX arrays belong on the inference thread, and the
        # app loads the folder there next (every file already matched the hub's checksum).
        return dl.download(plan, progress=self._report, cancel=self._cancel, validate=False)

    def _run(self) -> None:
        try:
            plan, on_disk = self._plan()
            self.repo, self.total = plan.repo, plan.total_bytes
            self._send("_planned", plan.repo, plan.total_bytes, on_disk)
            if self._cancel.is_set():
                raise dl.DownloadCancelled()
            folder = self._fetch(plan)
        except dl.DownloadCancelled:
            self._send("_cancelled")
        except dl.DownloadError as exc:
            self.failure = str(exc)
            log.warning("download of %s failed: %s", self.repo or self.repos, exc)
            self._send("_failed", shown(exc), exc.kind)
        except Exception as exc:  # a bug or an odd disk: said once, never raised into Qt
            log.exception("model download failed")
            self.failure = f"the download failed: {exc}"
            self._send("_failed", tr("the download failed: {why}", why=exc), dl.OTHER)
        else:
            self._send("_finished", str(folder))
