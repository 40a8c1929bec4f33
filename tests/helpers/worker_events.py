"""Waiting for InferenceWorker events in tests (the worker thread delivers them to a queue)."""

from __future__ import annotations

import queue
import time


def next_event(worker, kinds, request=None, timeout=120.0, seen=None):
    """The next event of `kinds` (for `request`, if given); every event read goes to `seen`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = worker.events.get(timeout=0.5)
        except queue.Empty:
            continue
        if seen is not None:
            seen.append(event)
        if isinstance(event, kinds) and (request is None or event.request_id == request):
            return event
    raise AssertionError(f"no {kinds} within {timeout}s")
