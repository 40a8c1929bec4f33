"""A persona's voice with the loaded model: its adapter, or its prompt only, as the worker finds.

Whether an adapter fits is the lora code's answer (`inference.lora.check_adapter`), asked of the
model actually loaded through a CheckAdapter request: the worker owns MLX, so the check runs on
its thread and this module only waits for the answer. Waiting blocks: call it off the GUI
thread (the settings page does, on a thread of its own). No Qt here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from deskpet.i18n import N_, Said
from deskpet.inference.protocol import NO_MODEL, AdapterChecked, CheckAdapter, Failed

from .importer import ImportRefused
from .persona import Persona

log = logging.getLogger(__name__)

CHECK_SECONDS = 120.0  # the worker may be writing an answer first

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
    """Asks the worker whether adapters fit the model it has loaded (blocking)."""

    def __init__(self, worker: Worker, timeout: float = CHECK_SECONDS) -> None:
        self._worker = worker
        self._timeout = timeout

    def check(self, path: str) -> AdapterChecked | None:
        """The worker's verdict on the adapter at `path`; None when no model is loaded."""
        request = self._worker.submit(CheckAdapter(str(path)), stream=True)
        verdict: AdapterChecked | None = None
        try:
            for event in self._worker.events_for(request, timeout=self._timeout):
                if isinstance(event, AdapterChecked):
                    verdict = event
                elif isinstance(event, Failed):
                    if event.kind == NO_MODEL:
                        return None
                    verdict = AdapterChecked(request, str(path), event.message)
        except TimeoutError:
            self._worker.cancel(request)
            return AdapterChecked(request, str(path), Said("the model was too busy to check it"))
        return verdict

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
