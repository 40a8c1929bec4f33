"""InferenceWorker: the one thread that creates and owns every MLX array.

Other threads (the GUI, the terminal chat, the agent bridge) only submit requests and receive
events, both plain Python values. MLX streams are per thread, so loading, generating and cache
housekeeping all happen here. Requests wait in a priority queue: the owner's chat before
narration before warm-up; a waiting chat preempts a running narration; cancel is checked
between tokens and between prefill chunks; a failing request becomes an error event and the
worker serves the next one.

Persona adapters (LoRA) stay resident in an AdapterBank beside the loaded model; LoadAdapter and
SwitchAdapter run between generations. An adapter changes every KV value, so cached
system-prompt prefixes are keyed by the active adapter too, and a conversation whose cache was
built under another adapter is re-read once. Narration always runs on the base model.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mlx.core as mx

from .chat import ChatTemplate, ContextFullError, Conversation
from .generate import Sampling, TokenEvent, generate, prefill
from .load import LoadedModel, ModelLoadError, load, read_checkpoint
from .lora import AdapterBank, AdapterError
from .model import KVCache, make_cache
from .source import DEMO, local_path

log = logging.getLogger(__name__)

# Lower runs first.
PRIORITY_SHUTDOWN = 0
PRIORITY_LOAD = 1
PRIORITY_CHAT = 2
PRIORITY_NARRATE = 5
PRIORITY_WARMUP = 8

# --- requests ---------------------------------------------------------------------------


@dataclass
class LoadModel:
    source: str | Path  # a folder, a .gguf, or "demo"
    fp16: bool = False
    priority = PRIORITY_LOAD


@dataclass
class Chat:
    conversation: str
    text: str
    think: bool = False
    sampling: Sampling | None = None
    max_tokens: int = 512
    system_prompt: str | None = None  # used when the conversation is new
    priority = PRIORITY_CHAT


@dataclass
class Narrate:
    prompt: str
    system_prompt: str = "You narrate what a coding agent did, in one short sentence."
    max_tokens: int = 60
    sampling: Sampling | None = None
    priority = PRIORITY_NARRATE


@dataclass
class ResetConversation:
    conversation: str
    system_prompt: str | None = None
    priority = PRIORITY_CHAT


@dataclass
class RestoreConversation:
    """Rebuild a saved conversation (after a restart) from its (user, answer) text pairs.
    Its history is read again once, by the next chat in it."""

    conversation: str
    system_prompt: str | None
    turns: list[tuple[str, str]] = field(default_factory=list)
    priority = PRIORITY_CHAT


@dataclass
class LoadAdapter:
    """Make an adapter (a PEFT or mlx-lm folder, or a Hugging Face repo id) resident under
    `name`. Loading a name already resident from the same path does nothing (cached=True)
    unless `reload`. Same priority as chats, so it runs in order with them."""

    name: str
    path: str | Path
    reload: bool = False
    priority = PRIORITY_CHAT


@dataclass
class SwitchAdapter:
    """Activate a resident adapter, or the base model with None. Chats after it use it."""

    name: str | None
    priority = PRIORITY_CHAT


@dataclass
class CheckModel:
    """Can this folder or .gguf be loaded? Read here because MLX arrays belong on this thread;
    answered with ModelChecked. The model in use is untouched."""

    source: str
    priority = PRIORITY_CHAT


@dataclass
class Warmup:
    after_load: int = 0  # the LoadModel request it follows
    priority = PRIORITY_WARMUP


@dataclass
class _Shutdown:
    priority = PRIORITY_SHUTDOWN


# --- events -------------------------------------------------------------------------------


@dataclass
class ModelLoading:
    request_id: int
    message: str


@dataclass
class ModelReady:
    request_id: int
    info: dict


@dataclass
class Token:
    request_id: int
    conversation: str | None
    event: TokenEvent


@dataclass
class Finished:
    """The end of a chat or narration. reason: stop, length, cancelled or preempted."""

    request_id: int
    conversation: str | None
    reason: str
    text: str = ""
    reasoning: str = ""
    stats: dict = field(default_factory=dict)


@dataclass
class Failed:
    request_id: int
    message: str


@dataclass
class ModelChecked:
    request_id: int
    source: str
    reason: str  # "" when the model can be loaded, else why not (one line)


@dataclass
class WarmedUp:
    request_id: int
    seconds: float
    load_request: int = 0  # the LoadModel request whose model is now warm


@dataclass
class ConversationReset:
    request_id: int
    conversation: str


@dataclass
class AdapterLoaded:
    request_id: int
    name: str
    source: str
    nbytes: int  # memory the resident adapter holds
    ms: float
    rank: int = 0
    scale: float = 0.0
    cached: bool = False  # already resident: nothing was read


@dataclass
class AdapterSwitched:
    request_id: int
    name: str | None  # None: the base model
    ms: float


# Plain on purpose: the 135M demo model answers facts reliably only with a plain assistant prompt.
DEFAULT_SYSTEM_PROMPT = "You are a helpful AI assistant named deskpet."


class InferenceWorker:
    """Owns the model on its own thread.

    Events go to `on_event` (called on the worker thread: hand them on, do not block), or,
    without a callback, into `self.events` (a queue.Queue).
    """

    def __init__(
        self,
        on_event: Callable[[object], None] | None = None,
        *,
        context_window: int = 4096,
        prefill_chunk: int | None = None,
        cache_limit_bytes: int = 256 * 1024**2,
        prefix_cache_entries: int = 8,
    ):
        self.events: queue.Queue = queue.Queue()
        self._on_event = on_event or self.events.put
        self.context_window = context_window
        # Cancel waits for the running prefill chunk. MLX's CPU backend prefills barely faster
        # than it decodes (~10 tok/s for the demo here), so big chunks buy nothing there and a
        # 512-token chunk would hold a cancel for a minute; on a GPU big chunks are the speed.
        self.prefill_chunk = prefill_chunk  # None: chosen on the worker thread, by device
        self.cache_limit_bytes = cache_limit_bytes
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._last_id = 0
        self._lock = threading.Lock()
        self._cancelled: set[int] = set()
        self._cancel_all_before = 0  # cancel() without an id cancels every request up to here
        self._waiting_chats = 0
        self._current: int | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="deskpet-inference", daemon=True)
        # Owned by the worker thread only.
        self._lm: LoadedModel | None = None
        self._template: ChatTemplate | None = None
        self._conversations: dict[str, tuple[Conversation, list[KVCache]]] = {}
        self._conv_adapter: dict[str, str | None] = {}  # adapter key each conversation's KV used
        self._prefixes: OrderedDict[tuple, list[KVCache]] = OrderedDict()
        self._bank: AdapterBank | None = None
        self._prefix_entries = prefix_cache_entries

    # --- any thread ---------------------------------------------------------------------

    def start(self) -> InferenceWorker:
        self._thread.start()
        return self

    def submit(self, request) -> int:
        with self._lock:
            self._last_id += 1
            request_id = self._last_id
            if isinstance(request, Chat):
                self._waiting_chats += 1
        self._queue.put((request.priority, request_id, request))
        return request_id

    def load(self, source: str | Path, fp16: bool = False) -> int:
        return self.submit(LoadModel(source, fp16))

    def check(self, source: str | Path) -> int:
        return self.submit(CheckModel(str(source)))

    def chat(self, conversation: str, text: str, **kwargs) -> int:
        return self.submit(Chat(conversation, text, **kwargs))

    def narrate(self, prompt: str, **kwargs) -> int:
        return self.submit(Narrate(prompt, **kwargs))

    def cancel(self, request_id: int | None = None) -> None:
        """Cancel one request (queued or running), or with no id every request so far."""
        with self._lock:
            if request_id is None:
                self._cancel_all_before = self._last_id + 1
            else:
                self._cancelled.add(request_id)

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Stop the running generation, drop queued work, end the thread. True if it ended."""
        self._stopping.set()
        self._queue.put((PRIORITY_SHUTDOWN, 0, _Shutdown()))
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _is_cancelled(self, request_id: int) -> bool:
        with self._lock:
            return (
                self._stopping.is_set()
                or request_id in self._cancelled
                or request_id < self._cancel_all_before
            )

    def _emit(self, event) -> None:
        # A listener that raises (a relay already deleted at quit) must not end the thread:
        # every later request would wait forever.
        try:
            self._on_event(event)
        except Exception:
            log.exception("a worker event listener failed on %s", type(event).__name__)

    def _chat_waiting(self) -> bool:
        with self._lock:
            return self._waiting_chats > 0

    # --- the worker thread --------------------------------------------------------------

    def _run(self) -> None:
        mx.set_cache_limit(self.cache_limit_bytes)
        if self.prefill_chunk is None:  # asked here: MLX is only touched on this thread
            self.prefill_chunk = 64 if mx.default_device() == mx.cpu else 512
        while True:
            _, request_id, request = self._queue.get()
            if isinstance(request, _Shutdown):
                break
            if isinstance(request, Chat):
                with self._lock:
                    self._waiting_chats -= 1
            if self._stopping.is_set():
                continue
            self._current = request_id
            try:
                self._handle(request_id, request)
            except Exception as e:  # one bad request must not end the worker
                self._emit(Failed(request_id, _one_line(e)))
                traceback.print_exc()
            finally:
                self._current = None
                with self._lock:
                    self._cancelled.discard(request_id)
                mx.clear_cache()
        self._conversations.clear()
        self._prefixes.clear()
        self._bank = None
        self._lm = None
        mx.clear_cache()
        # Without this, MLX's per-thread stream outlives the thread and aborts the process at exit.
        mx.clear_streams()

    def _handle(self, request_id: int, request) -> None:
        if isinstance(request, LoadModel):
            self._load(request_id, request)
        elif isinstance(request, Chat):
            self._chat(request_id, request)
        elif isinstance(request, Narrate):
            self._narrate(request_id, request)
        elif isinstance(request, ResetConversation):
            self._conversations.pop(request.conversation, None)
            if request.system_prompt is not None and self._lm is not None:
                self._conversation(request.conversation, request.system_prompt)
            self._emit(ConversationReset(request_id, request.conversation))
        elif isinstance(request, RestoreConversation):
            self._restore(request_id, request)
        elif isinstance(request, Warmup):
            self._warmup(request_id, request)
        elif isinstance(request, CheckModel):
            self._emit(ModelChecked(request_id, request.source, check_model(request.source)))
        elif isinstance(request, LoadAdapter):
            self._load_adapter(request_id, request)
        elif isinstance(request, SwitchAdapter):
            self._switch_adapter(request_id, request)
        else:
            raise TypeError(f"unknown request {type(request).__name__}")

    def _load(self, request_id: int, request: LoadModel) -> None:
        source = request.source
        if str(source) == DEMO:
            source = local_path(source, lambda msg: self._emit(ModelLoading(request_id, msg)))
        self._emit(ModelLoading(request_id, f"Loading {Path(source).name}"))
        started = time.perf_counter()
        try:
            lm = load(source, fp16=request.fp16)
            template = ChatTemplate(lm.tokenizer)
        except ModelLoadError as e:
            self._emit(Failed(request_id, str(e)))
            return
        # Swap only after a successful load: a bad file leaves the old model working.
        # Adapters belong to one base: a new model starts with none resident.
        self._lm, self._template = lm, template
        self._bank = AdapterBank(lm.model, dtype=lm.dtype)
        self._conversations.clear()
        self._conv_adapter.clear()
        self._prefixes.clear()
        mx.clear_cache()
        self._emit(ModelReady(request_id, self.model_info(time.perf_counter() - started)))
        self.submit(Warmup(after_load=request_id))

    def model_info(self, load_seconds: float = 0.0) -> dict:
        lm = self._lm
        return {
            "source": str(lm.source),
            "name": lm.source.name,
            "format": lm.format,
            "quantization": lm.quantization,
            "dtype": str(lm.dtype).split(".")[-1],
            "layers": lm.args.num_hidden_layers,
            "context_window": min(self.context_window, lm.args.max_position_embeddings),
            "thinking": self._template.think_start_id is not None,
            "load_seconds": round(load_seconds, 3),
            "adapters": self._bank.memory() if self._bank else {},
            "active_adapter": self._bank.active if self._bank else None,
        }

    def _load_adapter(self, request_id: int, req: LoadAdapter) -> None:
        self._require_model()
        bank = self._bank
        resident = bank.adapters.get(req.name)
        if resident is not None and not req.reload and resident.source == str(req.path):
            self._emit(
                AdapterLoaded(
                    request_id,
                    req.name,
                    resident.source,
                    resident.nbytes,
                    0.0,
                    resident.rank,
                    resident.scale,
                    cached=True,
                )
            )
            return
        started = time.perf_counter()
        try:
            adapter = bank.load(req.name, req.path)
        except AdapterError as e:
            self._emit(Failed(request_id, str(e)))
            return
        adapter.source = str(req.path)
        # A reloaded adapter has a new key; drop caches of its old version.
        self._prefixes = OrderedDict(
            (k, v) for k, v in self._prefixes.items() if not _same_adapter(k[0], req.name)
        )
        ms = (time.perf_counter() - started) * 1000
        self._emit(
            AdapterLoaded(
                request_id,
                req.name,
                adapter.source,
                adapter.nbytes,
                ms,
                adapter.rank,
                adapter.scale,
            )
        )

    def _switch_adapter(self, request_id: int, req: SwitchAdapter) -> None:
        self._require_model()
        try:
            ms = self._bank.switch(req.name)
        except AdapterError as e:
            self._bank.switch(None)  # the base model, never the previous persona's voice
            self._emit(Failed(request_id, str(e)))
            return
        self._emit(AdapterSwitched(request_id, req.name, ms))

    def _adapter_key(self) -> str | None:
        return self._bank.active_key if self._bank else None

    def _require_model(self) -> tuple[LoadedModel, ChatTemplate]:
        if self._lm is None:
            raise ModelLoadError("no model is loaded yet")
        return self._lm, self._template

    def _window(self) -> int:
        return min(self.context_window, self._lm.args.max_position_embeddings)

    def _prefix_cache(self, conv: Conversation) -> list[KVCache]:
        """A fresh cache holding the conversation's system prompt, prefilled once per prompt
        and adapter (the adapter changes the KV values)."""
        key = (self._adapter_key(), tuple(conv.system_tokens))
        if key in self._prefixes:
            self._prefixes.move_to_end(key)
        else:
            cache = make_cache(self._lm.model)
            prefill(self._lm.model, cache, conv.system_tokens, self.prefill_chunk)
            self._prefixes[key] = cache
            while len(self._prefixes) > self._prefix_entries:
                self._prefixes.popitem(last=False)
        return [c.copy() for c in self._prefixes[key]]

    def _conversation(self, conv_id: str, system_prompt: str | None):
        if conv_id not in self._conversations:
            conv = Conversation.start(self._template, system_prompt or DEFAULT_SYSTEM_PROMPT)
            self._conversations[conv_id] = (conv, self._prefix_cache(conv))
            self._conv_adapter[conv_id] = self._adapter_key()
        elif self._conv_adapter.get(conv_id) != self._adapter_key():
            # Its KV was computed under another adapter: restart from this adapter's cached
            # system prompt; the next chat re-reads the transcript once.
            conv, _ = self._conversations[conv_id]
            self._conversations[conv_id] = (conv, self._prefix_cache(conv))
            self._conv_adapter[conv_id] = self._adapter_key()
        return self._conversations[conv_id]

    def _restore(self, request_id: int, req: RestoreConversation) -> None:
        _, template = self._require_model()
        self._conversations.pop(req.conversation, None)
        conv, cache = self._conversation(req.conversation, req.system_prompt)
        for user, answer in req.turns:
            conv.begin_turn(template.user_turn_tokens(conv.system_prompt, user, think=False))
            conv.tokens.extend(template.encode(answer))
            conv.end_turn(template.closing_tokens(None))
        self._emit(ConversationReset(request_id, req.conversation))

    def _chat(self, request_id: int, req: Chat) -> None:
        lm, template = self._require_model()
        if self._is_cancelled(request_id):
            self._emit(Finished(request_id, req.conversation, "cancelled"))
            return
        conv, cache = self._conversation(req.conversation, req.system_prompt)
        turn = template.user_turn_tokens(conv.system_prompt, req.text, req.think)
        try:
            dropped = conv.make_room(len(turn) + req.max_tokens, self._window())
        except ContextFullError as e:
            self._emit(Failed(request_id, str(e)))
            return
        if dropped:
            # Oldest turns left the window: restart from the cached system prompt, re-prefill once.
            cache = self._prefix_cache(conv)
            self._conversations[req.conversation] = (conv, cache)
        conv.begin_turn(turn)
        offset = cache[0].offset
        try:
            result = self._stream(
                request_id,
                req.conversation,
                cache,
                conv.tokens[:offset],
                conv.tokens[offset:],
                sampling=req.sampling,
                max_tokens=req.max_tokens,
                start_in_reasoning=template.starts_in_reasoning(turn),
                cancelled=lambda: self._is_cancelled(request_id),
            )
        except Exception:
            # The cache may hold part of a turn the transcript drops: restart the cache from
            # the system prompt, so the next message re-reads the transcript once.
            conv.abandon_turn()
            self._conversations[req.conversation] = (conv, self._prefix_cache(conv))
            raise
        tokens, reason, last, text, reasoning, stats = result
        if reason == "cancelled" and not tokens:
            length = conv.abandon_turn()
            for c in cache:
                c.trim(c.offset - min(c.offset, length))
        else:
            # A stop token was fed to the cache like any other: it belongs to the transcript.
            conv.tokens.extend(tokens + ([last] if last is not None else []))
            conv.end_turn(template.closing_tokens(last if reason == "stop" else None))
        self._emit(Finished(request_id, req.conversation, reason, text, reasoning, stats))

    def _narrate(self, request_id: int, req: Narrate) -> None:
        self._require_model()
        # Narration speaks with the base model: switch the adapter off and back (pointer flips).
        active = self._bank.active
        self._bank.switch(None)
        try:
            self._narrate_base(request_id, req)
        finally:
            self._bank.switch(active)

    def _narrate_base(self, request_id: int, req: Narrate) -> None:
        template = self._template
        conv = Conversation.start(template, req.system_prompt)
        cache = self._prefix_cache(conv)
        turn = template.user_turn_tokens(req.system_prompt, req.prompt, think=False)
        preempted = False

        def stop() -> bool:
            nonlocal preempted
            if self._chat_waiting():
                preempted = True
            return preempted or self._is_cancelled(request_id)

        result = self._stream(
            request_id,
            None,
            cache,
            conv.tokens,
            turn,
            sampling=req.sampling or Sampling(temperature=0.6, top_p=0.95, repetition_penalty=1.05),
            max_tokens=req.max_tokens,
            start_in_reasoning=False,
            cancelled=stop,
        )
        _, reason, _, text, reasoning, stats = result
        if preempted and reason == "cancelled":
            reason = "preempted"
        self._emit(Finished(request_id, None, reason, text.strip(), reasoning, stats))

    def _stream(
        self,
        request_id,
        conv_id,
        cache,
        history,
        prompt,
        *,
        sampling,
        max_tokens,
        start_in_reasoning,
        cancelled,
    ):
        lm, template = self._lm, self._template
        tokens: list[int] = []
        parts = {"answer": [], "reasoning": []}
        reason, last, stats = "length", None, {}
        for ev in generate(
            lm.model,
            lm.tokenizer,
            cache,
            prompt,
            sampling=sampling or Sampling(),
            max_tokens=max_tokens,
            stop_ids=lm.eos_token_ids,
            history=history,
            think_ids=(template.think_start_id, template.think_end_id),
            start_in_reasoning=start_in_reasoning,
            prefill_chunk=self.prefill_chunk,
            should_cancel=cancelled,
        ):
            if ev.finish_reason is None and ev.token is not None:
                tokens.append(ev.token)
            parts[ev.channel].append(ev.text)
            if ev.finish_reason is not None:
                reason, last = ev.finish_reason, ev.token
                stats = {
                    "prompt_tokens": ev.prompt_tokens,
                    "generation_tokens": ev.generation_tokens,
                    "prompt_tps": ev.prompt_tps,
                    "generation_tps": ev.generation_tps,
                    "time_to_first_token": ev.time_to_first_token,
                }
            self._emit(Token(request_id, conv_id, ev))
        return tokens, reason, last, "".join(parts["answer"]), "".join(parts["reasoning"]), stats

    def _warmup(self, request_id: int, request: Warmup) -> None:
        if self._lm is None:
            return
        started = time.perf_counter()
        try:
            cache = make_cache(self._lm.model)
            # A short prefill and a few decode steps compile kernels and size the buffers.
            for _ in generate(
                self._lm.model,
                self._lm.tokenizer,
                cache,
                [0] * 8,
                sampling=Sampling.greedy(),
                max_tokens=3,
                should_cancel=lambda: self._chat_waiting() or self._is_cancelled(request_id),
            ):
                pass
        except Exception:  # only an optimisation: the first answer pays instead
            traceback.print_exc()
        self._emit(WarmedUp(request_id, time.perf_counter() - started, request.after_load))


def check_model(source: str | Path) -> str:
    """ "" when deskpet can read the model at `source`, else the loader's reason."""
    try:
        read_checkpoint(source)
    except ModelLoadError as exc:
        return str(exc)
    except Exception as exc:  # anything else the loader trips on is still a refusal
        return f"{Path(source).name}: {_one_line(exc)}"
    return ""


def _same_adapter(key: str | None, name: str) -> bool:
    return key is not None and key.rsplit("#", 1)[0] == name


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
