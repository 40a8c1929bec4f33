"""RequestThread: the thread both brains share (the MLX worker and the server brain).

It numbers requests, queues them by priority (a shutdown first, the owner's chats before
narration, ties in arrival order), keeps cancels, hands each request to `_serve` on its own
thread, and ends every request with Done, even those still queued at shutdown. What a request
does is the subclass's: `_serve` (and the hooks below) are all that differ between answering
with MLX here and asking a model server.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from .protocol import PRIORITY_SHUTDOWN, Chat, Done, Narrate
from .streams import EventStreams, RequestEvents

log = logging.getLogger(__name__)


class _Shutdown:
    priority = PRIORITY_SHUTDOWN


class RequestThread:
    """Requests in, events out, one thread. Every event goes to `on_event` when given (called
    on this thread: hand it on, do not block; an exception there is logged and the thread goes
    on). A request submitted with `stream=True` also gets its own stream (`events_for`).

    Subclasses implement `_serve(request_id, request)` (True when they send its Done later
    themselves) and may override the hooks `_begin`, `_end`, `_after`, `_interrupt` and
    `_chat_queued`.
    """

    thread_name = "deskpet-brain"
    stop_seconds = 10.0

    def __init__(self, on_event: Callable[[object], None] | None = None) -> None:
        self._on_event = on_event
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._streams = EventStreams()
        self._lock = threading.Lock()  # guards everything below up to _stopping
        self._last_id = 0
        self._order = 0  # queue order among equal priorities
        self._cancelled: set[int] = set()
        self._cancel_all_before = 0  # cancel() without an id cancels every request up to here
        self._waiting_chats = 0
        self._running: int | None = None
        self._running_narration = False
        self._closed = False  # the thread has ended: requests are no longer queued
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    # --- any thread ---------------------------------------------------------------------

    def start(self):
        self._thread.start()
        return self

    def submit(self, request, *, stream: bool = False) -> int:
        """Queue a request; returns its id. With `stream`, its events are also kept for
        `events_for` from this moment on (read them: they stay until read)."""
        with self._lock:
            self._last_id += 1
            request_id = self._last_id
            if stream:
                self._streams.open(request_id)
            closed = self._closed
            if not closed:
                if isinstance(request, Chat):
                    self._waiting_chats += 1
                self._put(request, request_id)
            narrating = self._running_narration
        if closed:  # nobody will serve it; its stream still ends
            self._emit(Done(request_id))
        elif isinstance(request, Chat) and narrating:
            self._chat_queued()
        return request_id

    def events_for(self, request_id: int, timeout: float | None = None) -> RequestEvents:
        """The events of a request submitted with `stream=True`, as an iterator that ends
        after its Done (yielded last). Read once; `timeout` bounds the wait (RequestEvents)."""
        return self._streams.reader(request_id, timeout)

    def chat(self, conversation: str, text: str, *, stream: bool = False, **kwargs) -> int:
        return self.submit(Chat(conversation, text, **kwargs), stream=stream)

    def narrate(self, prompt: str, *, stream: bool = False, **kwargs) -> int:
        return self.submit(Narrate(prompt, **kwargs), stream=stream)

    def cancel(self, request_id: int | None = None) -> None:
        """Cancel one request (queued or running), or with no id every request so far."""
        with self._lock:
            if request_id is None:
                self._cancel_all_before = self._last_id + 1
            else:
                self._cancelled.add(request_id)
            running = self._running is not None and self._is_cancelled_locked(self._running)
        if running:
            self._interrupt()

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop the running request, end queued requests unserved (each still gets its Done),
        end the thread. True if it ended."""
        self._stopping.set()
        self._interrupt()
        with self._lock:
            self._put(_Shutdown(), 0)
        if self._thread.is_alive():
            self._thread.join(self.stop_seconds if timeout is None else timeout)
        elif self._thread.ident is None:  # never started: no thread will end the queue
            self._close_queue()
        return not self._thread.is_alive()

    def number_after(self, other: RequestThread) -> None:
        """Number requests after `other`'s last one (a brain replacing `other`, before any
        request is submitted to it): the events of both never share a request id."""
        with other._lock:
            last = other._last_id
        with self._lock:
            self._last_id = max(self._last_id, last)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # --- hooks --------------------------------------------------------------------------

    def _serve(self, request_id: int, request) -> bool:
        raise NotImplementedError

    def _begin(self) -> None:
        """On the thread, before the first request."""

    def _end(self) -> None:
        """On the thread, after the last request."""

    def _after(self, request_id: int) -> None:
        """On the thread, after each request."""

    def _interrupt(self) -> None:
        """The running request was cancelled, or the thread is stopping (any thread)."""

    def _chat_queued(self) -> None:
        """The owner's chat was queued while a narration runs (any thread)."""

    # --- bookkeeping --------------------------------------------------------------------

    def _put(self, request, request_id: int) -> None:
        # Called with the lock held: the order number breaks ties between equal priorities.
        self._order += 1
        self._queue.put((request.priority, self._order, request_id, request))

    def _is_cancelled_locked(self, request_id: int) -> bool:
        return (
            self._stopping.is_set()
            or request_id in self._cancelled
            or request_id < self._cancel_all_before
        )

    def _is_cancelled(self, request_id: int) -> bool:
        with self._lock:
            return self._is_cancelled_locked(request_id)

    def _chat_waiting(self) -> bool:
        with self._lock:
            return self._waiting_chats > 0

    def _emit(self, event) -> None:
        if self._on_event is not None:
            # A listener that raises (a relay already deleted at quit) must not end the
            # thread: every later request would wait forever.
            try:
                self._on_event(event)
            except Exception:
                log.exception("a %s listener failed on %s", self.thread_name, type(event).__name__)
        self._streams.put(event)

    def _close_queue(self) -> None:
        """No more requests will be served: end every one still queued with its Done."""
        with self._lock:
            self._closed = True
            left = []
            while True:
                try:
                    left.append(self._queue.get_nowait())
                except queue.Empty:
                    break
        for _, _, request_id, request in left:
            if not isinstance(request, _Shutdown):
                self._emit(Done(request_id))

    # --- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        self._begin()
        while True:
            _, _, request_id, request = self._queue.get()
            if isinstance(request, _Shutdown):
                break
            with self._lock:
                if isinstance(request, Chat):
                    self._waiting_chats -= 1
                self._running = request_id
                self._running_narration = isinstance(request, Narrate)
            later = False
            try:
                if not self._stopping.is_set():
                    later = self._serve(request_id, request)
            finally:
                with self._lock:
                    self._running = None
                    self._running_narration = False
                    self._cancelled.discard(request_id)
                self._after(request_id)
            if not later:  # else the subclass sends its Done (a load's comes after warm-up)
                self._emit(Done(request_id))
        self._close_queue()
        self._end()
