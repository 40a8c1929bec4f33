"""BrainSwitch: which brain answers (the MLX worker here, or a model server), and changing it
while the pet runs.

    settings saved (brain, server_url, server_model, the API key), or onboarding's choice
      ──▶ a new brain is built (nothing slow: a server's key is read on the brain's own thread)
      ──▶ the Brain hands every later request to it, and it starts
      ──▶ the old brain is cancelled (the answer being written ends "cancelled") and stopped
          on a thread of its own: an MLX step may take seconds, never the GUI's
      ──▶ once it has stopped, every event it sent has been handled (the cancelled answer is
          in the history): on_ready_to_load, and ModelController loads the model on the new
          brain, with progress, gives it every saved conversation and the persona its voice.

The new brain numbers its requests after the old one's, so the events of both, on the relay
together for a moment, never reach each other's handlers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from deskpet.i18n import tr
from deskpet.inference.server_brain import ServerBrain
from deskpet.inference.worker import InferenceWorker
from deskpet.platform import keychain
from deskpet.settings import Settings
from deskpet.ui.brain import Brain
from deskpet.ui.relay import Relay

log = logging.getLogger(__name__)

BRAIN_SETTINGS = frozenset({"brain", "server_url", "server_model"})


class BrainSwitch(QObject):
    """Builds the brain, and replaces it when the owner asks for another.

    Attributes:
        brain: the Brain the controllers submit to; its `worker` is the brain answering now.
        local_model: the model named at launch (`--demo`, `--model`): it answers here, whatever
            the brain setting, until the owner changes that setting; else None.
        notices: what the first brain's choice has to tell the owner (title, text), for the
            app to show once it has started.

    Signals:
        on_switching(str): another brain takes over now: the server's address, or "" for
            this computer. Its model is not loaded yet.
        on_ready_to_load(str): the old brain has stopped: load this source (the server's
            address, or the local model; "" for none yet) on the new one.
        on_notice(str, str): something the owner should read (title, text).
    """

    on_switching = Signal(str)
    on_ready_to_load = Signal(str)
    on_notice = Signal(str, str)
    _stopped = Signal(object)  # from the thread that stopped the old brain: what comes next

    def __init__(
        self,
        settings: Settings,
        relay: Relay,
        *,
        local_model: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("brain-switch")
        self.settings = settings
        self.local_model = local_model
        self.notices: list[tuple[str, str]] = []
        self._post = relay.post
        self._started = False
        self._closed = False
        self._stopped.connect(self._on_stopped)
        self.brain = Brain(self._first(), relay)

    @property
    def worker(self) -> InferenceWorker | ServerBrain:
        return self.brain.worker

    def _first(self) -> InferenceWorker | ServerBrain:
        """The brain deskpet starts with: a model named at launch runs here, else the setting."""
        url, model = self.wanted()
        if url is not None and self.local_model is None:
            try:
                return self._build(url, model)
            except ValueError as e:  # no address yet, or not one: the local model answers
                log.warning("brain is server but %s; the local model answers", e)
                notice = tr("{why}; using the local model", why=e)
                self.notices.append((tr("deskpet model server"), notice))
        return self._build(None, "")

    def wanted(self) -> tuple[str | None, str]:
        """What the settings ask for: (the server's address, its model), or (None, "") for
        the model on this computer."""
        if self.settings.get("brain") == "server":
            return self.settings.get("server_url"), self.settings.get("server_model")
        return None, ""

    def current(self) -> tuple[str | None, str]:
        worker = self.brain.worker
        return (worker.url, worker.model) if isinstance(worker, ServerBrain) else (None, "")

    def source(self) -> str:
        """What ModelController loads on the brain answering now."""
        url, _model = self.current()
        return url if url is not None else self.local_model or self.settings.get("model") or ""

    # -- lifetime --------------------------------------------------------------------------------

    def start(self) -> None:
        self._started = True
        self.brain.worker.start()

    def shutdown(self) -> bool:
        """Stop the brain answering now (ending any answer); True if its thread ended."""
        self._closed = True
        return self.brain.worker.shutdown()

    # -- switching -------------------------------------------------------------------------------

    def to(self, url: str | None, model: str) -> None:
        """Onboarding chose a server (`url`) or the local model (None): that brain answers
        from now on, before the load onboarding asks for. ValueError for an address that is
        not one."""
        if url is None and isinstance(self.brain.worker, InferenceWorker):
            return
        self._replace(self._build(url, model))

    def apply_settings(self, key_changed: bool = False) -> bool:
        """The brain settings were saved: when they ask for another brain than the one
        answering (or a server's key changed), switch to it now. Returns whether it did."""
        url, model = self.wanted()
        if (url, model) == self.current() and not (key_changed and url is not None):
            return False
        try:
            new = self._build(url, model)
        except ValueError as e:  # the setting's pattern lets through a few non-addresses
            log.warning("cannot switch to the model server: %s", e)
            self.on_notice.emit(
                tr("deskpet model server"), tr("{why}; the pet keeps its brain.", why=e)
            )
            return False
        source = url if url is not None else self.local_model or self.settings.get("model") or ""
        log.info("switching the brain to %s", url or "the local model")
        self.on_switching.emit(url or "")
        self._replace(new, then=lambda: self.on_ready_to_load.emit(source))
        return True

    def _build(self, url: str | None, model: str) -> InferenceWorker | ServerBrain:
        window = self.settings.get("context_window")
        if url is None:
            return InferenceWorker(self._post, context_window=window)
        # The key source itself, not the key: the server brain reads it on its own thread.
        return ServerBrain(
            self._post, url=url, model=model, api_key=keychain.server_key, context_window=window
        )

    def _replace(self, new, then: Callable[[], None] | None = None) -> None:
        old = self.brain.worker
        new.number_after(old)
        self.brain.worker = new
        if not self._started:  # nothing runs yet: the old one ends at once
            old.shutdown()
            if then is not None:
                then()
            return
        new.start()
        old.cancel()
        threading.Thread(
            target=self._stop, args=(old, then), name="deskpet-brain-stop", daemon=True
        ).start()

    def _stop(self, old, then) -> None:
        if not old.shutdown():
            log.warning("the previous brain did not stop in time")
        # Queued onto the GUI thread behind every event the old brain posted.
        try:
            self._stopped.emit(then)
        except RuntimeError:  # deskpet quit meanwhile and this object is gone: nothing to do
            pass

    def _on_stopped(self, then) -> None:
        if then is not None and not self._closed:
            then()


class CurrentWorker:
    """The brain answering now, for those who hold a worker across a switch (AdapterChecks)."""

    def __init__(self, brain: Brain) -> None:
        self._brain = brain

    def __getattr__(self, name: str):
        return getattr(self._brain.worker, name)
