"""VoiceDownloads: a persona's hub adapter fetched on a thread of its own, never the worker's.

A persona whose adapter for the loaded model lives on a hub speaks with its prompt while the
adapter downloads here (through the model's own download code, ModelDownload over
inference/adapter_fetch: size first, progress, resume, cancel, the hub's sha256); the chat
controller then asks the worker to load the local file. One download at a time: choosing the
same persona again while it runs changes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from deskpet.inference import adapter_fetch
from deskpet.inference import download as dl
from deskpet.personas.adapters import HubSource
from deskpet.ui.model_download import ModelDownload

log = logging.getLogger(__name__)


class AdapterDownload(ModelDownload):
    """ModelDownload for one persona adapter on a hub (same signals)."""

    def __init__(
        self,
        persona_id: str,
        source: HubSource,
        endpoint: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(endpoint, repos=(source.repo,), parent=parent)
        self.setObjectName("adapter-download")
        self.persona_id = persona_id
        self.source = source

    def _plan(self) -> tuple[dl.DownloadPlan, int]:
        plan = adapter_fetch.plan(self.source, self.endpoint)
        return plan, plan.bytes_on_disk(adapter_fetch.owner_dir(self.source))

    def _fetch(self, plan: dl.DownloadPlan) -> Path:
        return adapter_fetch.fetch(self.source, plan, self._report, self._cancel)


class VoiceDownloads(QObject):
    """At most one persona adapter downloading; what it does, as signals on the GUI thread.

    Attributes:
        persona_id: whose adapter is downloading ("" when none is).
        done, total: bytes so far and in all (0 until the hub answered).

    Signals:
        on_planned(str, int, int): persona id, the adapter's total bytes and the bytes already
            on disk; sent before any byte moves.
        on_progress(str, int, int): persona id, bytes done, total.
        on_ready(str, str): persona id and the downloaded adapter's local path.
        on_failed(str, str): persona id and one line saying why, in the owner's language (the
            bytes so far are kept).
        on_cancelled(str): persona id; `cancel()` took effect (the bytes so far are kept).
    """

    on_planned = Signal(str, int, int)
    on_progress = Signal(str, int, int)
    on_ready = Signal(str, str)
    on_failed = Signal(str, str)
    on_cancelled = Signal(str)

    def __init__(self, endpoint: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("voice-downloads")
        self.endpoint = endpoint
        self.download: AdapterDownload | None = None
        self.persona_id = ""
        self.done = self.total = 0

    @property
    def running(self) -> bool:
        return self.download is not None and self.download.running

    def fetch(self, persona_id: str, source: HubSource) -> bool:
        """Start fetching `source` for `persona_id`; False when that one already runs.
        A download for another persona is stopped first (its bytes stay for later)."""
        if self.running and self.download.source == source:
            return False
        self.cancel()
        download = AdapterDownload(persona_id, source, self.endpoint, parent=self)
        download.on_planned.connect(lambda _repo, total, have: self._planned(total, have))
        download.on_progress.connect(lambda done, total: self._progress(download, done, total))
        download.on_finished.connect(lambda path: self._ended(download, "ready", path))
        download.on_failed.connect(lambda why, _kind: self._ended(download, "failed", why))
        download.on_cancelled.connect(lambda: self._ended(download, "cancelled", ""))
        self.download, self.persona_id = download, persona_id
        self.done = self.total = 0
        download.start()
        return True

    def cancel(self) -> None:
        """Stop within one network read; the bytes so far stay for the next time."""
        if self.download is not None:
            self.download.cancel()

    def wait(self, timeout: float) -> bool:
        return self.download is None or self.download.wait(timeout)

    def _planned(self, total: int, have: int) -> None:
        self.total, self.done = total, have
        self.on_planned.emit(self.persona_id, total, have)

    def _progress(self, download: AdapterDownload, done: int, total: int) -> None:
        if download is self.download:
            self.done, self.total = done, total
            self.on_progress.emit(download.persona_id, done, total)

    def _ended(self, download: AdapterDownload, how: str, detail: str) -> None:
        persona = download.persona_id
        if download is self.download:
            self.download, self.persona_id = None, ""
        download.deleteLater()
        if how == "ready":
            self.on_ready.emit(persona, detail)
        elif how == "failed":
            why = download.failure or detail  # the English, for the log
            log.warning("the adapter of persona %s did not download: %s", persona, why)
            self.on_failed.emit(persona, detail)
        else:
            self.on_cancelled.emit(persona)
