"""What other threads send the InferenceWorker and what it answers: plain values only.

A request goes in with `InferenceWorker.submit` and gets a request id. Every event the worker
sends back carries that id, and every request's events end with exactly one `Done`:

    Chat, Narrate       Token* (the last one carries the finish reason), Finished, Done
    LoadModel           ModelLoading*, ModelReady, WarmedUp, Done
                        (a model that does not load: ModelLoading*, Failed, Done)
    CheckModel          ModelChecked, Done
    ResetConversation,
    RestoreConversation ConversationReset, Done
    LoadAdapter         AdapterLoaded, Done
    CheckAdapter        AdapterChecked, Done
    SwitchAdapter       AdapterSwitched, Done

Any request may instead end with `Failed` then `Done`; a request still queued when the worker
stops gets only its `Done` (a load whose warm-up was still queued: no `WarmedUp`). The warm-up
the worker queues after a load runs at the lowest priority (chats go first) and reports under
the load's request id, so the load's `Done` means the model is loaded and warm. Failed
carries a kind (below): the UI words the error by it, never by the message.

Importing this module loads no MLX: Sampling and TokenEvent are only named here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .generate import Sampling, TokenEvent

# Lower runs first; a waiting chat also preempts a running narration.
PRIORITY_SHUTDOWN = 0
PRIORITY_LOAD = 1
PRIORITY_CHAT = 2
PRIORITY_NARRATE = 5
PRIORITY_WARMUP = 8

# Failed.kind: what went wrong, for the words the owner reads (the message is for logs).
NO_MODEL = "no_model"  # no model is loaded yet
CONTEXT_FULL = "context_full"  # the new message alone does not fit the context window
LOAD = "load"  # the model could not be loaded or checked (a missing file, the demo's fetch)
ADAPTER = "adapter"  # a persona adapter could not be loaded or switched to
INTERNAL = "internal"  # anything unexpected
# A model server's failures (deskpet.inference.server_brain; server_http.FRIENDLY words them).
SERVER_UNREACHABLE = "server_unreachable"  # connection refused, no such host
SERVER_TIMEOUT = "server_timeout"  # no answer (or no next chunk) in time
SERVER_AUTH = "server_auth"  # 401 / 403: the API key
SERVER_MODEL = "server_model"  # 404, or the model is not in /v1/models
SERVER_ERROR = "server_error"  # 5xx, another HTTP error, or an error inside the stream
SERVER_STREAM = "server_stream"  # the answer is not the server-sent events it should be
SERVER_CUT = "server_cut"  # the stream ended before the answer did
SERVER_KINDS = (
    SERVER_UNREACHABLE,
    SERVER_TIMEOUT,
    SERVER_AUTH,
    SERVER_MODEL,
    SERVER_ERROR,
    SERVER_STREAM,
    SERVER_CUT,
)
FAILURE_KINDS = (NO_MODEL, CONTEXT_FULL, LOAD, ADAPTER, INTERNAL, *SERVER_KINDS)

# Plain on purpose: the 135M demo model answers facts reliably only with a plain assistant prompt.
DEFAULT_SYSTEM_PROMPT = "You are a helpful AI assistant named deskpet."

# --- requests ------------------------------------------------------------------------------


@dataclass
class LoadModel:
    """Load a model; it replaces the one in use only once it has loaded. Conversations and
    adapters belong to one model, so a new model starts with none."""

    source: str | Path  # a folder, a .gguf, or "demo"
    fp16: bool = False
    priority = PRIORITY_LOAD


@dataclass
class Chat:
    """The owner's message in a conversation (created on first use, with `system_prompt`)."""

    conversation: str
    text: str
    think: bool = False
    sampling: Sampling | None = None
    max_tokens: int = 512
    system_prompt: str | None = None  # used when the conversation is new
    priority = PRIORITY_CHAT


@dataclass
class Narrate:
    """One sentence about what an agent did, on the base model, outside every conversation.
    Gives way to any chat that arrives meanwhile (Finished reason "preempted"). Its Finished
    stats also hold `prefix_tokens` (the system prompt's) and `prefix_prefill_tokens` (how
    many of them were read for this request: 0 when the prefix cache had them)."""

    prompt: str
    system_prompt: str = "You narrate what a coding agent did, in one short sentence."
    max_tokens: int = 60
    sampling: Sampling | None = None
    # Only one sentence is shown: stop once it has ended (the text is cut there too).
    first_sentence: bool = True
    # The system prompt's KV comes from the prefix cache; False reads it afresh (benchmarks).
    reuse_prefix: bool = True
    priority = PRIORITY_NARRATE


@dataclass
class ResetConversation:
    """Forget a conversation; with `system_prompt` it starts again with that prompt."""

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
    """Make an adapter (a local PEFT or mlx-lm folder, or a .gguf LoRA) resident under
    `name`, after checking its weights against `sha256` when given. Loading a name already
    resident from the same path does nothing (cached=True) unless `reload`. Same priority as
    chats, so it runs in order with them. Nothing is downloaded on the worker: a hub adapter
    is fetched by the UI first (inference/adapter_fetch.py)."""

    name: str
    path: str | Path
    reload: bool = False
    sha256: str | None = None
    priority = PRIORITY_CHAT


@dataclass
class SwitchAdapter:
    """Activate a resident adapter, or the base model with None. Chats after it use it.
    A switch that fails leaves the base model active, never the previous persona's voice."""

    name: str | None
    priority = PRIORITY_CHAT


@dataclass
class CheckAdapter:
    """Does this adapter (a folder or a .gguf LoRA file) fit the loaded model? Read on the
    worker thread because MLX arrays belong there; answered with AdapterChecked. Nothing
    becomes resident and the active voice is untouched."""

    path: str
    priority = PRIORITY_CHAT


@dataclass
class CheckModel:
    """Can this folder or .gguf be loaded? Read on the worker thread because MLX arrays belong
    there; answered with ModelChecked. The model in use is untouched."""

    source: str
    priority = PRIORITY_CHAT


@dataclass
class Warmup:
    """Compile kernels and size buffers with a few throwaway tokens. The worker queues one
    after every load, under the load's request id."""

    priority = PRIORITY_WARMUP


# --- events --------------------------------------------------------------------------------


@dataclass
class ModelLoading:
    """Progress while a model loads (or the demo model is fetched): one line."""

    request_id: int
    message: str


@dataclass
class ModelReady:
    """The model loaded and is in use; `info` is `InferenceWorker.model_info()`."""

    request_id: int
    info: dict


@dataclass
class Token:
    """One step of a chat or narration (conversation None for a narration)."""

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
    """The request could not be served. `message` is one line; `kind` is one of
    FAILURE_KINDS and is what the UI words its text by."""

    request_id: int
    message: str
    kind: str


@dataclass
class ModelChecked:
    request_id: int
    source: str
    reason: str  # "" when the model can be loaded, else why not (one line)


@dataclass
class WarmedUp:
    """The model of the load `request_id` is warm (after `seconds` of warm-up)."""

    request_id: int
    seconds: float


@dataclass
class ConversationReset:
    """A conversation was reset or restored."""

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
class AdapterChecked:
    request_id: int
    path: str
    reason: str  # "" when the adapter fits the loaded model, else why not (one line)
    rank: int = 0
    nbytes: int = 0


@dataclass
class AdapterSwitched:
    request_id: int
    name: str | None  # None: the base model
    ms: float


@dataclass
class Done:
    """The last event of every request, sent exactly once, whether it succeeded, failed, was
    cancelled, or was dropped because the worker stopped."""

    request_id: int
