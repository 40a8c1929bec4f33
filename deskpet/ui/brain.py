"""Brain: the model as the GUI's controllers see it.

A controller submits a request with the handler that wants its events; the handler is called on
the GUI thread with each of them, in order, up to the request's Done. Whatever answers the
requests (the MLX worker on its own thread today) stays behind this one small surface, so the
controllers never filter a shared stream of events by request id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from deskpet.inference.protocol import Failed
from deskpet.inference.worker import InferenceWorker
from deskpet.ui.relay import Relay

log = logging.getLogger(__name__)

Handler = Callable[[object], None]


class Brain:
    """Submits requests to the worker and routes each request's events to its handler.

    Attributes:
        worker: the brain answering the requests now: the InferenceWorker, or a ServerBrain
            (ui/brain_switch.py builds it and replaces it while the pet runs).
        relay: the Relay bringing its events onto the GUI thread.
    """

    def __init__(self, worker: InferenceWorker, relay: Relay) -> None:
        self.worker = worker
        self.relay = relay

    def submit(self, request, handler: Handler | None = None) -> int:
        """Queue `request`; its events go to `handler` on the GUI thread. Without a handler
        only a failure is noted, in the log: nobody waits for the answer."""
        request_id = self.worker.submit(request)
        self.relay.watch(request_id, handler or _log_failure(type(request).__name__))
        return request_id

    def cancel(self, request_id: int) -> None:
        """Stop a queued or running request; its Finished (reason "cancelled") or its Done
        still comes."""
        self.worker.cancel(request_id)


def _log_failure(what: str) -> Handler:
    def handler(event: object) -> None:
        if isinstance(event, Failed):
            log.warning("%s %d failed (%s): %s", what, event.request_id, event.kind, event.message)

    return handler
