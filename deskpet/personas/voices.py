"""A persona's voice with the loaded model: its adapter, or its prompt only, as the worker finds.

Whether an adapter fits is the lora code's answer (`inference.lora.check_adapter`), asked of the
model actually loaded through a CheckAdapter request: the worker owns MLX, so the check runs on
its thread and this module only waits for the answer. Waiting blocks: call it off the GUI
thread (the settings page does, on a thread of its own). No Qt here.

A verdict is kept for as long as the same model is loaded and the adapter's files are
unchanged (their modification times and sizes), so reopening Settings does not queue a check
per persona behind the answer the model is writing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from deskpet.i18n import N_, Said
from deskpet.inference.protocol import ADAPTER, NO_MODEL, AdapterChecked, CheckAdapter, Failed

from .importer import ImportRefused
from .persona import Persona

log = logging.getLogger(__name__)

CHECK_SECONDS = 120.0  # the worker may be writing an answer first
MAX_VERDICTS = 64  # kept verdicts; more adapters than that and the oldest are asked again
MAX_STAMP_FILES = 16  # an adapter folder holds a config and a weights file

PROMPT_ONLY = N_("prompt only")  # the settings window translates it where shown


class Worker(Protocol):
    def submit(self, request, *, stream: bool = False) -> int: ...
    def events_for(self, request_id: int, timeout: float | None = None): ...
    def cancel(self, request_id: int) -> None: ...


@dataclass(frozen=True)
class Voice:
    """adapter: the persona speaks through its adapter with this model. text: one line for
    the owner ("adapter (LoRA r=8)", "prompt only: <why the adapter does not fit>"), a Said
    the page shows in the owner's language."""

    adapter: bool
    text: str


class AdapterChecks:
    """Asks the worker whether adapters fit the model it has loaded (blocking).

    `model` names the model loaded now (any hashable; None while none is): verdicts are kept
    per model and adapter files. Without it every check asks the worker."""

    def __init__(
        self,
        worker: Worker,
        timeout: float = CHECK_SECONDS,
        model: Callable[[], Hashable | None] | None = None,
    ) -> None:
        self._worker = worker
        self._timeout = timeout
        self._model = model
        self._verdicts: dict[tuple, AdapterChecked] = {}
        self._lock = threading.Lock()  # the settings page checks on threads of its own

    def check(self, path: str) -> AdapterChecked | None:
        """The worker's verdict on the adapter at `path`; None when no model is loaded."""
        key = self._key(path)
        if key is not None:
            with self._lock:
                kept = self._verdicts.get(key)
            if kept is not None:
                return kept
        verdict, final = self._ask(path)
        if key is not None and verdict is not None and final:
            with self._lock:
                while len(self._verdicts) >= MAX_VERDICTS:
                    del self._verdicts[next(iter(self._verdicts))]
                self._verdicts[key] = verdict
        return verdict

    def _key(self, path: str) -> tuple | None:
        model = self._model() if self._model is not None else None
        stamp = _stamp(Path(path))
        return None if model is None or stamp is None else (str(path), stamp, model)

    def _ask(self, path: str) -> tuple[AdapterChecked | None, bool]:
        """(the verdict, whether it is the model's answer about this adapter, worth keeping,
        rather than a wait that ran out or a fault of the moment)."""
        request = self._worker.submit(CheckAdapter(str(path)), stream=True)
        verdict: AdapterChecked | None = None
        final = False
        try:
            for event in self._worker.events_for(request, timeout=self._timeout):
                if isinstance(event, AdapterChecked):
                    verdict, final = event, True
                elif isinstance(event, Failed):
                    if event.kind == NO_MODEL:
                        return None, False
                    verdict = AdapterChecked(request, str(path), event.message)
                    final = event.kind == ADAPTER
        except TimeoutError:
            self._worker.cancel(request)
            # Not kept: asked again next time, when the model may be free.
            busy = Said("the model was too busy to check it")
            return AdapterChecked(request, str(path), busy), False
        return verdict, final

    def voice(self, persona: Persona) -> Voice:
        """How `persona` speaks with the loaded model."""
        if persona.adapter is None:
            return Voice(False, PROMPT_ONLY)
        if not persona.adapter_is_local:
            return Voice(
                True, Said("adapter {name} (fetched when first used)", name=persona.adapter)
            )
        verdict = self.check(persona.adapter)
        if verdict is None:
            return Voice(True, Said("adapter (checked when a model is loaded)"))
        if verdict.reason:
            log.info("persona %s: adapter does not fit the model: %s", persona.id, verdict.reason)
            return Voice(False, Said("prompt only: {why}", why=verdict.reason))
        return Voice(True, Said("adapter (LoRA r={rank})", rank=verdict.rank))

    def import_check(self, persona: Persona) -> None:
        """The importer's check: an adapter that does not fit the loaded model is refused
        (ImportRefused); without a model it is checked when one loads."""
        if not persona.adapter_is_local:
            return
        verdict = self.check(persona.adapter)
        if verdict is not None and verdict.reason:
            raise ImportRefused(
                Said("its adapter does not fit the model in use: {why}", why=verdict.reason)
            )


def _stamp(path: Path) -> tuple | None:
    """What changes when an adapter's files do: each file's (name, mtime, size), the folder's
    first few files for a folder; None when it cannot be read (then nothing is kept)."""
    try:
        if path.is_file():
            stat = path.stat()
            return ((path.name, stat.st_mtime_ns, stat.st_size),)
        with os.scandir(path) as entries:
            files = []
            for entry in entries:
                if len(files) == MAX_STAMP_FILES:
                    return None  # not an adapter folder: ask each time
                if entry.is_file():
                    stat = entry.stat()
                    files.append((entry.name, stat.st_mtime_ns, stat.st_size))
        return tuple(sorted(files))
    except OSError:
        return None
