"""InferenceWorker: the one thread that creates and owns every MLX array.

Other threads (the GUI, the terminal chat, the agent bridge) only submit requests and receive
events, both plain values (deskpet.inference.protocol). MLX streams are per thread, so loading,
generating and cache housekeeping all happen here. Requests wait in a priority queue: the
owner's chat before narration before warm-up; a waiting chat preempts a running narration;
cancel is checked between tokens and between prefill chunks; a failing request becomes a
Failed event and the worker serves the next one. Every request's events end with one Done,
also when it failed, was cancelled, or was still queued when the worker stopped.

Events reach a listener (`on_event`, called on this thread; the GUI relay hands them on) and,
for a request submitted with `stream=True`, a stream of its own that `events_for(request_id)`
reads (the terminal chat, the self-test, tests). The stream exists from submit time, so no
event is missed, and only requests that ask for one have one, so nothing piles up for events
nobody reads.

Persona adapters (LoRA) stay resident in an AdapterBank beside the loaded model; LoadAdapter and
SwitchAdapter run between generations. An adapter changes every KV value, so cached
system-prompt prefixes are keyed by the active adapter too, and a conversation whose cache was
built under another adapter is re-read once (deskpet.inference.conversations). Narration always
runs on the base model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import mlx.core as mx

from ..i18n import Said, reason
from .bases import identify
from .chat import ChatTemplate, ContextFullError, Conversation
from .conversations import ConversationRecord, ConversationStore, PrefixCache
from .demo import DemoModelError
from .generate import Sampling, generate, prefill
from .load import LoadedModel, ModelLoadError, load, read_checkpoint
from .lora import Adapter, AdapterBank, AdapterError, check_adapter
from .model import KVCache, make_cache
from .protocol import (
    ADAPTER,
    CONTEXT_FULL,
    DEFAULT_SYSTEM_PROMPT,
    INTERNAL,
    LOAD,
    NO_MODEL,
    AdapterChecked,
    AdapterLoaded,
    AdapterSwitched,
    Chat,
    CheckAdapter,
    CheckModel,
    ConversationReset,
    Failed,
    Finished,
    LoadAdapter,
    LoadModel,
    ModelChecked,
    ModelLoading,
    ModelReady,
    Narrate,
    ResetConversation,
    RestoreConversation,
    SwitchAdapter,
    Token,
    WarmedUp,
    Warmup,
)
from .request_thread import RequestThread
from .sentence import first_sentence_end
from .source import DEMO, local_path

log = logging.getLogger(__name__)

# How long shutdown() waits by default. The process must not exit while this thread is inside
# MLX (it aborts: "terminate called without an active exception"); the running step ends
# within one token or prefill chunk, which on a busy CPU can take several seconds.
STOP_SECONDS = 30.0


class _NoModel(Exception):
    """A request that needs a model arrived before one was loaded."""


@dataclass
class Generated:
    """What one generation produced; the worker tells it as Finished."""

    tokens: list[int]  # the answer's token ids, without the token that ended it
    reason: str  # stop, length or cancelled
    last: int | None  # the token that ended it (a stop token), else None
    text: str
    reasoning: str
    stats: dict


class InferenceWorker(RequestThread):
    """Owns the model on its own thread (RequestThread: ids, priorities, cancels, streams).

    Every event goes to `on_event` when given (called on the worker thread: hand it on, do not
    block; an exception there is logged and the worker goes on). A request submitted with
    `stream=True` also gets its own stream, read with `events_for(request_id)`.
    """

    thread_name = "deskpet-inference"
    stop_seconds = STOP_SECONDS

    def __init__(
        self,
        on_event: Callable[[object], None] | None = None,
        *,
        context_window: int = 4096,
        prefill_chunk: int | None = None,
        cache_limit_bytes: int = 256 * 1024**2,
        prefix_cache_entries: int = 8,
    ):
        super().__init__(on_event)
        self.context_window = context_window
        # Cancel waits for the running prefill chunk. MLX's CPU backend prefills barely faster
        # than it decodes (~10 tok/s for the demo here), so big chunks buy nothing there and a
        # 512-token chunk would hold a cancel for a minute; on a GPU big chunks are the speed.
        self.prefill_chunk = prefill_chunk  # None: chosen on the worker thread, by device
        self.cache_limit_bytes = cache_limit_bytes
        # Owned by the worker thread only.
        self._lm: LoadedModel | None = None
        self._template: ChatTemplate | None = None
        self._conversations = ConversationStore()
        self._prefixes = PrefixCache(prefix_cache_entries)
        self._bank: AdapterBank | None = None

    # --- any thread ---------------------------------------------------------------------

    def load(self, source: str | Path, fp16: bool = False, *, stream: bool = False) -> int:
        return self.submit(LoadModel(source, fp16), stream=stream)

    def check(self, source: str | Path, *, stream: bool = False) -> int:
        return self.submit(CheckModel(str(source)), stream=stream)

    # --- the worker thread --------------------------------------------------------------

    def _begin(self) -> None:
        mx.set_cache_limit(self.cache_limit_bytes)
        if self.prefill_chunk is None:  # asked here: MLX is only touched on this thread
            self.prefill_chunk = 64 if mx.default_device() == mx.cpu else 512

    def _end(self) -> None:
        self._conversations.clear()
        self._prefixes.clear()
        self._bank = None
        self._lm = None
        mx.clear_cache()
        # Without this, MLX's per-thread stream outlives the thread and aborts the process at exit.
        mx.clear_streams()

    def _serve(self, request_id: int, request) -> bool:
        """Handle one request, turning an error into Failed. True when a warm-up was queued
        to finish it."""
        try:
            return self._handle(request_id, request)
        except _NoModel as e:
            self._emit(Failed(request_id, str(e), NO_MODEL))
        except Exception as e:  # one bad request must not end the worker
            self._emit(Failed(request_id, _one_line(e), INTERNAL))
            log.exception("request %d (%s) failed", request_id, type(request).__name__)
        finally:
            mx.clear_cache()
        return False

    def _handle(self, request_id: int, request) -> bool:
        match request:
            case LoadModel():
                return self._load(request_id, request)
            case Chat():
                self._chat(request_id, request)
            case Narrate():
                self._narrate(request_id, request)
            case ResetConversation():
                self._reset(request_id, request)
            case RestoreConversation():
                self._restore(request_id, request)
            case Warmup():
                self._warmup(request_id)
            case CheckModel():
                self._emit(ModelChecked(request_id, request.source, check_model(request.source)))
            case LoadAdapter():
                self._load_adapter(request_id, request)
            case CheckAdapter():
                self._check_adapter(request_id, request)
            case SwitchAdapter():
                self._switch_adapter(request_id, request)
            case _:
                raise TypeError(f"unknown request {type(request).__name__}")
        return False

    def _load(self, request_id: int, request: LoadModel) -> bool:
        source = request.source
        try:
            if str(source) == DEMO:
                source = local_path(source, lambda msg: self._emit(ModelLoading(request_id, msg)))
        except DemoModelError as e:
            self._emit(Failed(request_id, _one_line(e), LOAD))
            return False
        self._emit(ModelLoading(request_id, Said("Loading {name}", name=Path(source).name)))
        started = time.perf_counter()
        try:
            lm = load(source, fp16=request.fp16)
            template = ChatTemplate(lm.tokenizer)
        except ModelLoadError as e:
            self._emit(Failed(request_id, reason(e), LOAD))  # a Said: the UI translates it
            return False
        except Exception as e:  # a model from outside (its chat template) is still a refusal
            log.warning("loading %s failed: %s", Path(source).name, _one_line(e))
            self._emit(Failed(request_id, f"{Path(source).name}: {_one_line(e)}", LOAD))
            return False
        # Swap only after a successful load: a bad file leaves the old model working.
        # Adapters belong to one base: a new model starts with none resident.
        self._lm, self._template = lm, template
        self._bank = AdapterBank(lm.model, dtype=lm.dtype)
        self._conversations.clear()
        self._prefixes.clear()
        mx.clear_cache()
        self._emit(ModelReady(request_id, self.model_info(time.perf_counter() - started)))
        # The warm-up reports under this load's id; its Done ends the load's stream.
        with self._lock:
            self._put(Warmup(), request_id)
        return True

    def model_info(self, load_seconds: float = 0.0) -> dict:
        lm = self._lm
        return {
            "source": str(lm.source),
            "name": lm.source.name,
            "format": lm.format,
            "quantization": lm.quantization,
            "dtype": str(lm.dtype).split(".")[-1],
            "layers": lm.args.num_hidden_layers,
            # Which known base model this is (by its shapes and its name), for persona adapters.
            "base": identify(lm.args, lm.source),
            "context_window": min(self.context_window, lm.args.max_position_embeddings),
            "thinking": self._template.think_start_id is not None,
            "load_seconds": round(load_seconds, 3),
            "conversion_seconds": round(lm.conversion_seconds, 3),
            "adapters": self._bank.memory() if self._bank else {},
            "active_adapter": self._bank.active if self._bank else None,
        }

    def _load_adapter(self, request_id: int, req: LoadAdapter) -> None:
        self._require_model()
        resident = self._bank.adapters.get(req.name)
        if resident is not None and not req.reload and resident.source == str(req.path):
            self._emit(_loaded(request_id, resident, 0.0, cached=True))
            return
        started = time.perf_counter()
        try:
            adapter = self._bank.load(req.name, req.path, req.sha256)
        except AdapterError as e:
            log.warning("adapter %s not loaded: %s", req.name, _one_line(e))
            self._emit(Failed(request_id, str(e), ADAPTER))
            return
        adapter.source = str(req.path)
        # A reloaded adapter has a new key; drop caches of its old version.
        self._prefixes.forget_adapter(req.name)
        self._emit(_loaded(request_id, adapter, (time.perf_counter() - started) * 1000))

    def _check_adapter(self, request_id: int, req: CheckAdapter) -> None:
        lm, _template = self._require_model()
        try:
            adapter = check_adapter(req.path, lm.args)
        except AdapterError as e:
            self._emit(AdapterChecked(request_id, req.path, reason(e)))  # a Said, if worded
            return
        self._emit(AdapterChecked(request_id, req.path, "", adapter.rank, adapter.nbytes))

    def _switch_adapter(self, request_id: int, req: SwitchAdapter) -> None:
        self._require_model()
        try:
            ms = self._bank.switch(req.name)
        except AdapterError as e:
            self._bank.switch(None)  # the base model, never the previous persona's voice
            self._emit(Failed(request_id, str(e), ADAPTER))
            return
        self._emit(AdapterSwitched(request_id, req.name, ms))

    def _adapter_key(self) -> str | None:
        return self._bank.active_key if self._bank else None

    def _require_model(self) -> tuple[LoadedModel, ChatTemplate]:
        if self._lm is None:
            raise _NoModel("no model is loaded yet")
        return self._lm, self._template

    def _window(self) -> int:
        return min(self.context_window, self._lm.args.max_position_embeddings)

    def _prefix(self, conv: Conversation) -> list[KVCache]:
        """A fresh cache holding the conversation's system prompt under the active adapter."""
        return self._prefixes.fresh(
            self._lm.model, self._adapter_key(), conv.system_tokens, self.prefill_chunk
        )

    def _open(self, conv_id: str, system_prompt: str | None) -> ConversationRecord:
        """The conversation `conv_id`, started with `system_prompt` if new, its cache valid
        under the active adapter."""
        record = self._conversations.get(conv_id)
        if record is None:
            conv = Conversation.start(self._template, system_prompt or DEFAULT_SYSTEM_PROMPT)
            return self._conversations.add(conv_id, conv, self._prefix(conv), self._adapter_key())
        if record.adapter_key != self._adapter_key():
            # Its KV was computed under another adapter: restart from this adapter's cached
            # system prompt; the next chat re-reads the transcript once.
            record.restart(self._prefix(record.transcript), self._adapter_key())
        return record

    def _reset(self, request_id: int, req: ResetConversation) -> None:
        self._conversations.drop(req.conversation)
        if req.system_prompt is not None and self._lm is not None:
            self._open(req.conversation, req.system_prompt)
        self._emit(ConversationReset(request_id, req.conversation))

    def _restore(self, request_id: int, req: RestoreConversation) -> None:
        _, template = self._require_model()
        self._conversations.drop(req.conversation)
        conv = self._open(req.conversation, req.system_prompt).transcript
        for user, answer in req.turns:
            conv.begin_turn(template.user_turn_tokens(conv.system_prompt, user, think=False))
            conv.tokens.extend(template.encode(answer))
            conv.end_turn(template.closing_tokens(None))
        self._emit(ConversationReset(request_id, req.conversation))

    def _chat(self, request_id: int, req: Chat) -> None:
        _, template = self._require_model()
        if self._is_cancelled(request_id):
            self._emit(Finished(request_id, req.conversation, "cancelled"))
            return
        record = self._open(req.conversation, req.system_prompt)
        conv = record.transcript
        turn = template.user_turn_tokens(conv.system_prompt, req.text, req.think)
        try:
            dropped = conv.make_room(len(turn) + req.max_tokens, self._window())
        except ContextFullError as e:
            self._emit(Failed(request_id, str(e), CONTEXT_FULL))
            return
        if dropped:
            # Oldest turns left the window: restart from the cached system prompt, re-prefill once.
            record.restart(self._prefix(conv), record.adapter_key)
        conv.begin_turn(turn)
        cache = record.cache
        offset = cache[0].offset
        try:
            out = self._generate(
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
            record.restart(self._prefix(conv), record.adapter_key)
            raise
        if out.reason == "cancelled" and not out.tokens:
            record.abandon_turn()
        else:
            # A stop token was fed to the cache like any other: it belongs to the transcript.
            answer = out.tokens + ([out.last] if out.last is not None else [])
            record.close_turn(
                answer, template.closing_tokens(out.last if out.reason == "stop" else None)
            )
        self._emit(
            Finished(request_id, req.conversation, out.reason, out.text, out.reasoning, out.stats)
        )

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
        read_before = self._prefixes.prefilled
        if req.reuse_prefix:
            cache = self._prefix(conv)
            prefix_read = self._prefixes.prefilled - read_before
        else:
            cache = make_cache(self._lm.model)
            prefill(self._lm.model, cache, conv.tokens, self.prefill_chunk)
            prefix_read = len(conv.tokens)
        turn = template.user_turn_tokens(req.system_prompt, req.prompt, think=False)
        preempted = False

        def stop() -> bool:
            nonlocal preempted
            if self._chat_waiting():
                preempted = True
            return preempted or self._is_cancelled(request_id)

        out = self._generate(
            request_id,
            None,
            cache,
            conv.tokens,
            turn,
            sampling=req.sampling or Sampling(temperature=0.6, top_p=0.95, repetition_penalty=1.05),
            max_tokens=req.max_tokens,
            start_in_reasoning=False,
            cancelled=stop,
            stop_when=first_sentence_end if req.first_sentence else None,
        )
        reason = "preempted" if preempted and out.reason == "cancelled" else out.reason
        stats = {
            **out.stats,
            "prefix_tokens": len(conv.tokens),
            "prefix_prefill_tokens": prefix_read,
        }
        self._emit(Finished(request_id, None, reason, out.text.strip(), out.reasoning, stats))

    def _generate(
        self,
        request_id: int,
        conv_id: str | None,
        cache: list[KVCache],
        history: list[int],
        prompt: list[int],
        *,
        sampling: Sampling | None,
        max_tokens: int,
        start_in_reasoning: bool,
        cancelled: Callable[[], bool],
        stop_when: Callable[[str], int | None] | None = None,
    ) -> Generated:
        """Generate after `history` (already in `cache`) and `prompt`, sending each step as a
        Token event. `stop_when(answer_so_far)` may end it early ("stop"): it returns where
        to cut the answer, or None to go on. The cache then holds tokens past the cut, so it
        is only for throwaway caches (narration)."""
        lm, template = self._lm, self._template
        tokens: list[int] = []
        parts = {"answer": [], "reasoning": []}
        reason, last, stats = "length", None, {}
        events = generate(
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
        )
        answer = ""
        with closing(events):
            for ev in events:
                if ev.finish_reason is None and ev.token is not None:
                    tokens.append(ev.token)
                parts[ev.channel].append(ev.text)
                self._emit(Token(request_id, conv_id, ev))
                answer = "".join(parts["answer"])
                cut = stop_when(answer) if stop_when and ev.channel == "answer" else None
                if ev.finish_reason is not None or cut is not None:
                    reason, last = ev.finish_reason or "stop", ev.token
                    stats = _stats_of(ev)
                    answer = answer[:cut] if cut is not None else answer
                    break
        return Generated(tokens, reason, last, answer, "".join(parts["reasoning"]), stats)

    def _warmup(self, request_id: int) -> None:
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
            log.exception("warm-up failed")
        self._emit(WarmedUp(request_id, time.perf_counter() - started))


def _stats_of(ev) -> dict:
    return {
        "prompt_tokens": ev.prompt_tokens,
        "generation_tokens": ev.generation_tokens,
        "prompt_tps": ev.prompt_tps,
        "generation_tps": ev.generation_tps,
        "time_to_first_token": ev.time_to_first_token,
    }


def check_model(source: str | Path) -> str:
    """ "" when deskpet can read the model at `source`, else the loader's reason."""
    try:
        read_checkpoint(source)
    except ModelLoadError as exc:
        return reason(exc)
    except Exception as exc:  # anything else the loader trips on is still a refusal
        return f"{Path(source).name}: {_one_line(exc)}"
    return ""


def _loaded(request_id: int, adapter: Adapter, ms: float, cached: bool = False) -> AdapterLoaded:
    return AdapterLoaded(
        request_id,
        adapter.name,
        adapter.source,
        adapter.nbytes,
        ms,
        adapter.rank,
        adapter.scale,
        cached,
    )


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0:1]
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
