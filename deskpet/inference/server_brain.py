"""ServerBrain: the same requests and events as the InferenceWorker, answered by an
OpenAI-compatible server (llama.cpp's server, Ollama, LM Studio, vLLM, SGLang).

The UI cannot tell the two apart: `submit(request, stream=...)`, `events_for`, `cancel`,
`shutdown` and the events of deskpet.inference.protocol are the contract. One thread serves the
requests in the worker's priority order (a waiting chat also preempts a running narration) and
does HTTP with the standard library; `cancel` closes the running request's socket, so the
answer stops within a token's time.

What the server does not keep, deskpet keeps: each conversation's messages live here, per
conversation id, and every chat sends them whole, asking llama.cpp's prompt cache
(`cache_prompt`) to reuse what it already read. A LoadModel only asks the server which models
it serves: the model stays the server's. Persona adapters are selected per request on servers
that list LoRA adapters (llama.cpp's `/lora-adapters`); elsewhere the persona speaks with its
system prompt only, and `prompt_only` names it.

Importing this module loads MLX only because TokenEvent and Sampling live in
deskpet.inference.generate; no MLX array is ever made here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import Said
from .protocol import (
    ADAPTER,
    DEFAULT_SYSTEM_PROMPT,
    INTERNAL,
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
)
from .request_thread import RequestThread
from .sentence import first_sentence_end
from .server_answer import CHAT_PATH, NARRATION_SAMPLING, openai_only, read_answer, request_body
from .server_http import (
    MODEL_MISSING,
    ServerConnection,
    ServerError,
    model_ids,
)

log = logging.getLogger(__name__)

# Characters of history kept per conversation, per token of the context window: a rough
# 3 characters a token, so the oldest turns leave before the server would refuse the prompt.
CHARS_PER_TOKEN = 3
PROMPT_ONLY = Said(
    "the model server cannot select this adapter: the persona speaks with its prompt"
)


@dataclass
class _Conversation:
    system: str
    turns: list[tuple[str, str]] = field(default_factory=list)  # (user, answer)

    def messages(self, text: str, budget: int) -> list[dict]:
        """The system prompt, as many recent turns as fit `budget` characters, and `text`."""
        kept: list[tuple[str, str]] = []
        used = len(self.system) + len(text)
        for user, answer in reversed(self.turns):
            used += len(user) + len(answer)
            if used > budget:
                break
            kept.append((user, answer))
        if len(kept) < len(self.turns):
            self.turns = self.turns[len(self.turns) - len(kept) :]
        messages = [{"role": "system", "content": self.system}]
        for user, answer in reversed(kept):
            messages.append({"role": "user", "content": user})
            messages.append({"role": "assistant", "content": answer})
        messages.append({"role": "user", "content": text})
        return messages


class ServerBrain(RequestThread):
    """Answers deskpet's requests through a model server, on its own thread (RequestThread:
    ids, priorities, cancels, streams, as the MLX worker's).

    Attributes:
        url, model: the server's address and the model asked for ("" lets the server choose:
            the first it lists).
        prompt_only: persona adapters the server cannot select (their personas speak with
            their system prompt only).
        lora: whether the server lists LoRA adapters deskpet can select per request.
    """

    thread_name = "deskpet-server"

    def __init__(
        self,
        on_event: Callable[[object], None] | None = None,
        *,
        url: str,
        model: str = "",
        api_key: str | Callable[[], str | None] | None = None,
        context_window: int = 4096,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
    ):
        super().__init__(on_event)
        self.url = url
        self.model = model
        self.context_window = context_window
        # A callable is the keychain: read on this brain's thread before its first request,
        # because on a Mac that is a `security` run or a keychain prompt, never for the GUI.
        self._key_source = api_key if callable(api_key) else None
        self._http = ServerConnection(
            url,
            None if self._key_source else api_key,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self.prompt_only: set[str] = set()
        self.lora = False
        # Owned by the thread.
        self._conversations: dict[str, _Conversation] = {}
        self._served: list[str] = []
        self._server_loras: dict[str, int] = {}  # adapter file stem -> the server's id
        self._adapters: dict[str, int] = {}  # persona adapter name -> the server's id
        self._active: str | None = None
        self._plain = False  # the server refused deskpet's extra fields once: send none

    def __repr__(self) -> str:
        return f"ServerBrain({self.url!r}, model={self.model!r})"

    def load(self, source: str | Path = "", fp16: bool = False, *, stream: bool = False) -> int:
        return self.submit(LoadModel(source, fp16), stream=stream)

    # --- hooks (RequestThread) ----------------------------------------------------------

    def _begin(self) -> None:
        if self._key_source is None:
            return
        try:
            key = self._key_source()
        except Exception as e:  # a keychain that fails must not end the thread
            # The kind only: whatever the key store says stays out of the log.
            log.warning(
                "the server API key could not be read (%s); asking without one",
                type(e).__name__,
            )
            key = None
        self._http.use_key(key)

    def _interrupt(self) -> None:
        # Closing the running request's socket ends the answer at once, reason "cancelled".
        self._http.abort()

    def _chat_queued(self) -> None:
        self._http.abort()  # the owner's chat goes first: the narration ends "preempted"

    def _after(self, request_id: int) -> None:
        self._http.close()

    # --- the thread ---------------------------------------------------------------------

    def _serve(self, request_id: int, request) -> bool:
        try:
            match request:
                case LoadModel():
                    self._load(request_id)
                case Chat():
                    self._chat(request_id, request)
                case Narrate():
                    self._narrate(request_id, request)
                case ResetConversation():
                    self._conversations.pop(request.conversation, None)
                    if request.system_prompt is not None:
                        self._conversations[request.conversation] = _Conversation(
                            request.system_prompt
                        )
                    self._emit(ConversationReset(request_id, request.conversation))
                case RestoreConversation():
                    system = request.system_prompt or DEFAULT_SYSTEM_PROMPT
                    turns = [(str(u), str(a)) for u, a in request.turns]
                    self._conversations[request.conversation] = _Conversation(system, turns)
                    self._emit(ConversationReset(request_id, request.conversation))
                case CheckModel():
                    self._check(request_id, request.source)
                case LoadAdapter():
                    self._load_adapter(request_id, request)
                case CheckAdapter():
                    found = self._server_lora(Path(request.path), "")
                    reason = "" if found is not None else PROMPT_ONLY
                    self._emit(AdapterChecked(request_id, request.path, reason))
                case SwitchAdapter():
                    self._active = request.name if request.name in self._adapters else None
                    self._emit(AdapterSwitched(request_id, self._active, 0.0))
                case _:
                    self._emit(
                        Failed(request_id, f"unknown request {type(request).__name__}", INTERNAL)
                    )
        except ServerError as e:
            log.warning(
                "server request %d (%s) failed: %s: %s",
                request_id,
                type(request).__name__,
                e.kind,
                e,
            )
            self._emit(Failed(request_id, str(e), e.kind))
        except Exception as e:  # one bad answer must not end the thread
            log.exception("server request %d (%s) failed", request_id, type(request).__name__)
            self._emit(Failed(request_id, type(e).__name__, INTERNAL))
        return False

    def _load(self, request_id: int) -> None:
        self._emit(ModelLoading(request_id, Said("Asking {url} for its models", url=self.url)))
        started = time.perf_counter()
        served = self._list_models()
        name = self.model or (served[0] if served else "")
        if self.model and not _known(self.model, served):
            raise ServerError(MODEL_MISSING, f"the server does not list the model {self.model!r}")
        self._served = served
        self._server_loras = self._list_loras()
        self.lora = bool(self._server_loras)
        self._adapters.clear()
        self._active = None
        self._emit(ModelReady(request_id, self.model_info(name, time.perf_counter() - started)))
        self._emit(WarmedUp(request_id, 0.0))

    def model_info(self, name: str = "", load_seconds: float = 0.0) -> dict:
        return {
            "source": self.url,
            "name": name or self.model or "the server's model",
            "format": "server",
            "quantization": "",
            "dtype": "",
            "layers": 0,
            "base": None,  # not known here: no persona adapter is matched to it
            "context_window": self.context_window,
            "thinking": True,
            "load_seconds": round(load_seconds, 3),
            "adapters": {},
            "active_adapter": self._active,
            "server": self.url,
            "lora": self.lora,
        }

    def _list_models(self) -> list[str]:
        return model_ids(self._http)

    def _list_loras(self) -> dict[str, int]:
        """The adapters a llama.cpp server can select per request, by file stem; {} when the
        server has no such list (Ollama, LM Studio, vLLM without --enable-lora...)."""
        try:
            body = self._http.get_json("/lora-adapters")
        except ServerError:
            return {}
        if not isinstance(body, list):
            return {}
        loras = {}
        for entry in body[:256]:
            if isinstance(entry, dict) and isinstance(entry.get("id"), int):
                loras[Path(str(entry.get("path", ""))).stem] = entry["id"]
        return loras

    def _check(self, request_id: int, source: str) -> None:
        served = self._list_models()
        reason = "" if _known(source, served) else f"the server does not list {source}"
        self._emit(ModelChecked(request_id, source, reason))

    def _server_lora(self, path: Path, name: str) -> int | None:
        """The server's id of the adapter at `path` (matched by file name), else None."""
        for key in (path.stem, path.name, name):
            if key and key in self._server_loras:
                return self._server_loras[key]
        return None

    def _load_adapter(self, request_id: int, req: LoadAdapter) -> None:
        found = self._server_lora(Path(str(req.path)), req.name)
        if found is not None:
            self._adapters[req.name] = found
            self.prompt_only.discard(req.name)
            self._emit(AdapterLoaded(request_id, req.name, str(req.path), 0, 0.0))
            return
        self.prompt_only.add(req.name)
        log.info("the server cannot select the adapter %s: its persona is prompt-only", req.name)
        self._emit(
            Failed(
                request_id,
                f"the model server cannot select the adapter {req.name}; "
                "the persona speaks with its prompt only",
                ADAPTER,
            )
        )

    # --- answers ------------------------------------------------------------------------

    def _chat(self, request_id: int, req: Chat) -> None:
        if self._is_cancelled(request_id):
            self._emit(Finished(request_id, req.conversation, "cancelled"))
            return
        conv = self._conversations.get(req.conversation)
        if conv is None:
            conv = _Conversation(req.system_prompt or DEFAULT_SYSTEM_PROMPT)
            self._conversations[req.conversation] = conv
        messages = conv.messages(req.text, self.context_window * CHARS_PER_TOKEN)
        body = self._body(messages, req.sampling, req.max_tokens, req.think, self._active)
        out = self._stream(
            request_id, req.conversation, body, lambda: self._is_cancelled(request_id)
        )
        if out.text or out.reasoning or out.reason != "cancelled":
            # As the local worker does: whatever was written stays in the conversation.
            conv.turns.append((req.text, out.text))
        self._emit(out)

    def _narrate(self, request_id: int, req: Narrate) -> None:
        messages = [
            {"role": "system", "content": req.system_prompt},
            {"role": "user", "content": req.prompt},
        ]
        sampling = req.sampling or NARRATION_SAMPLING
        body = self._body(messages, sampling, req.max_tokens, False, None)
        preempted = ended = False
        heard: list[str] = []

        def stop() -> bool:
            nonlocal preempted, ended
            if self._chat_waiting():
                preempted = True
            # Only one sentence is shown: the stream closes once it has ended, as locally.
            if req.first_sentence and first_sentence_end("".join(heard)) is not None:
                ended = True
            return preempted or ended or self._is_cancelled(request_id)

        # Ended at its first sentence: "stop" in Finished as the local worker says, and on the
        # last Token too; preempted: the Token "cancelled", Finished "preempted", as locally.
        out = self._stream(
            request_id,
            None,
            body,
            stop,
            heard,
            lambda: "stop" if ended and not preempted else "cancelled",
        )
        if preempted and out.reason == "cancelled":
            out.reason = "preempted"
        elif ended and out.reason == "stop":
            out.text = out.text[: first_sentence_end(out.text)]
        out.text = out.text.strip()
        self._emit(out)

    def _body(self, messages, sampling, max_tokens: int, think: bool, adapter: str | None) -> dict:
        loras = sorted(set(self._server_loras.values()))
        active = self._adapters.get(adapter) if adapter else None
        return request_body(
            messages,
            sampling,
            max_tokens,
            self.model,
            think,
            None if self._plain else loras,
            active,
        )

    def _post(self, body: dict):
        try:
            return self._http.open("POST", CHAT_PATH, body, streaming=True)
        except ServerError as e:
            if e.status not in (400, 422) or self._plain:
                raise
        # A strict server (OpenAI's own) refuses fields it does not know: once, plainly.
        log.info("the server refused deskpet's extra fields; sending OpenAI's only from now on")
        self._plain = True
        return self._http.open("POST", CHAT_PATH, openai_only(body), streaming=True)

    def _stream(
        self,
        request_id: int,
        conv_id: str | None,
        body: dict,
        cancelled: Callable[[], bool],
        heard: list[str] | None = None,
        cancel_reason: Callable[[], str] = lambda: "cancelled",
    ) -> Finished:
        """Post a chat completion and send its deltas as Token events (the answer's text also
        into `heard`); the Finished to tell (read_answer says how `cancel_reason` is used)."""

        def on_token(ev) -> None:
            if heard is not None and ev.channel == "answer":
                heard.append(ev.text)
            self._emit(Token(request_id, conv_id, ev))

        try:
            answer = read_answer(lambda: self._post(body), on_token, cancelled, cancel_reason)
        finally:
            self._http.close()
        return Finished(request_id, conv_id, *answer)


def _known(model: str, served: list[str]) -> bool:
    """Whether the server serves `model` (Ollama lists "name:latest" for "name")."""
    return model in served or f"{model}:latest" in served
