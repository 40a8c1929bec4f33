"""Per-request event streams: the events of one request, in order, for whoever asked for them.

The worker puts every event of a request submitted with `stream=True` into that request's own
queue, from the moment it was submitted (so none is missed) until its Done. Only requests that
ask for a stream get one, so nothing piles up for events nobody reads; a stream that is read
leaves the worker's hands once its Done is in, and goes when its reader drops it. As in mlx-lm's
server, each request has its own queue and a last item that says "no more".
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field

from .protocol import Done


class RequestEvents:
    """The events of one request in order, its Done last; iteration stops after the Done.

    With a timeout, `next()` raises TimeoutError once the request has not ended that many
    seconds after the stream was opened for reading (the request itself goes on: cancel it if
    it should not). An exception while waiting (Ctrl-C in a terminal) leaves the stream usable.
    """

    def __init__(self, request_id: int, events: queue.SimpleQueue, timeout: float | None):
        self.request_id = request_id
        self._events = events
        self._timeout = timeout
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._ended = False

    def __iter__(self) -> RequestEvents:
        return self

    def __next__(self):
        if self._ended:
            raise StopIteration
        if self._deadline is None:
            event = self._events.get()
        else:
            try:
                event = self._events.get(timeout=max(0.0, self._deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(
                    f"request {self.request_id} did not end within {self._timeout:g} s"
                ) from None
        self._ended = isinstance(event, Done)
        return event


@dataclass
class _Stream:
    events: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    read: bool = False  # a reader has it: forget it once Done is in
    ended: bool = False  # Done is in: forget it once a reader has it


class EventStreams:
    """The open streams by request id; safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[int, _Stream] = {}

    def open(self, request_id: int) -> None:
        """Start keeping the events of `request_id` (before it can have any)."""
        with self._lock:
            self._streams[request_id] = _Stream()

    def put(self, event) -> None:
        """Keep `event` if its request has a stream; nothing otherwise."""
        with self._lock:
            stream = self._streams.get(event.request_id)
            if stream is None:
                return
            stream.events.put(event)
            if isinstance(event, Done):
                stream.ended = True
                if stream.read:
                    del self._streams[event.request_id]

    def reader(self, request_id: int, timeout: float | None = None) -> RequestEvents:
        """The stream of `request_id` to iterate; each stream is read once."""
        with self._lock:
            stream = self._streams.get(request_id)
            if stream is None or stream.read:
                raise ValueError(
                    f"request {request_id} has no stream to read: submit it with stream=True "
                    "and read it once"
                )
            stream.read = True
            if stream.ended:
                del self._streams[request_id]
        return RequestEvents(request_id, stream.events, timeout)

    def __len__(self) -> int:
        with self._lock:
            return len(self._streams)
