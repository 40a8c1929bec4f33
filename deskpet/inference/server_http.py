"""Talking to an OpenAI-compatible model server with the standard library only.

`ServerConnection` makes one request at a time over http.client, so another thread can close
its socket (`abort`) and a blocked read returns at once: that is how a cancel stops an answer
within a token's time. `read_sse` turns a streamed chat completion into its JSON chunks, and
`ThinkSplitter` moves `<think>...</think>` text in the content to the reasoning channel.

Everything the server sends is untrusted: lines and bodies are bounded, and every way a server
can fail becomes a `ServerError` with one of the kinds below (the words the owner reads come
from `FRIENDLY`, never from the server's text). Messages never hold the API key or what the
owner wrote, because they go to the log.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

from deskpet.i18n import N_, Said

from .protocol import SERVER_AUTH as AUTH
from .protocol import SERVER_CUT as STREAM_CUT
from .protocol import SERVER_ERROR
from .protocol import SERVER_MODEL as MODEL_MISSING
from .protocol import SERVER_STREAM as BAD_STREAM
from .protocol import SERVER_TIMEOUT as TIMEOUT
from .protocol import SERVER_UNREACHABLE as UNREACHABLE

FRIENDLY = {
    UNREACHABLE: N_("I can't reach my model server. Is it running?"),
    TIMEOUT: N_("My model server took too long to answer. Try again in a moment."),
    AUTH: N_("My model server turned down the API key. Check it in Settings."),
    MODEL_MISSING: N_("My model server has no model by that name. Check it in Settings."),
    SERVER_ERROR: N_("My model server ran into a problem. Try again in a moment."),
    BAD_STREAM: N_("My model server's answer came out garbled. Try again?"),
    STREAM_CUT: N_("My model server stopped in the middle of the answer. Try again?"),
}

MAX_LINE = 1024 * 1024  # one SSE line (a chunk is a few hundred bytes)
MAX_BODY = 4 * 1024 * 1024  # a non-streamed JSON answer (/v1/models of a big server)


class ServerError(Exception):
    """A request to the server failed; `kind` is one of SERVER_KINDS, the message one line
    for the log (the status and what deskpet asked for, never the server's echo of a prompt)."""

    def __init__(self, kind: str, message: str, status: int = 0):
        super().__init__(message)
        self.kind = kind
        self.status = status


def base_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path prefix) of a server address such as http://host:8080 or
    http://host:8080/v1 (the /v1 is dropped: deskpet adds it to each path)."""
    parts = urlsplit(url.strip() if "://" in url else f"http://{url.strip()}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(Said("not a server address: {url} (use http://host:port)", url=repr(url)))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    prefix = parts.path.rstrip("/")
    if prefix.endswith("/v1"):
        prefix = prefix[:-3]
    return parts.scheme, parts.hostname, port, prefix


class ServerConnection:
    """One HTTP exchange at a time with the server at `url`.

    connect_timeout bounds the connection; read_timeout bounds every wait for bytes after it
    (a slow prefill on a big model waits up to that long for its first chunk)."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
    ):
        self.url = url
        self.scheme, self.host, self.port, self.prefix = base_url(url)
        self._key = api_key or None
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._conn: http.client.HTTPConnection | None = None

    def __repr__(self) -> str:  # never the key
        return f"ServerConnection({self.url!r})"

    def use_key(self, api_key: str | None) -> None:
        """Send `api_key` from the next request on (None: no key)."""
        self._key = api_key or None

    def _headers(self, streaming: bool) -> dict:
        headers = {"Content-Type": "application/json", "User-Agent": "deskpet"}
        headers["Accept"] = "text/event-stream" if streaming else "application/json"
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    def open(self, method: str, path: str, body: dict | None = None, *, streaming: bool = False):
        """Send a request and return its response once the status is in (2xx only): a
        ServerError otherwise. The caller reads it, then calls `close`."""
        self.close()
        if self.scheme == "https":
            conn = http.client.HTTPSConnection(
                self.host,
                self.port,
                timeout=self.connect_timeout,
                context=ssl.create_default_context(),
            )
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)
        self._conn = conn
        where = f"{self.host}:{self.port}"
        try:
            conn.connect()
            conn.sock.settimeout(self.read_timeout)
        except TimeoutError:
            self.close()
            raise ServerError(TIMEOUT, f"{where} did not take the connection in time") from None
        except OSError as e:  # refused, no such host, no route
            self.close()
            raise ServerError(UNREACHABLE, f"cannot reach {where}: {type(e).__name__}") from None
        try:
            data = None if body is None else json.dumps(body).encode()
            conn.request(method, self.prefix + path, body=data, headers=self._headers(streaming))
            response = conn.getresponse()
        except TimeoutError:
            self.close()
            raise ServerError(TIMEOUT, f"{where} did not answer {path} in time") from None
        except (OSError, http.client.HTTPException) as e:  # it hung up (or a cancel did)
            self.close()
            raise ServerError(STREAM_CUT, f"{where} {path}: {type(e).__name__}") from None
        if response.status >= 300:
            detail = _error_detail(response)
            self.close()
            raise _status_error(response.status, f"{path}: HTTP {response.status}{detail}")
        return response

    def get_json(self, path: str):
        """GET `path` and return its JSON (bounded); ServerError when it is not JSON."""
        response = self.open("GET", path)
        try:
            data = response.read(MAX_BODY + 1)
        except TimeoutError:
            raise ServerError(TIMEOUT, f"{path}: the body did not arrive in time") from None
        except (OSError, http.client.HTTPException) as e:
            raise ServerError(STREAM_CUT, f"{path}: {type(e).__name__}") from None
        finally:
            self.close()
        if len(data) > MAX_BODY:
            raise ServerError(BAD_STREAM, f"{path}: the answer is over {MAX_BODY} bytes")
        try:
            return json.loads(data)
        except ValueError:
            raise ServerError(BAD_STREAM, f"{path}: the answer is not JSON") from None

    def abort(self) -> None:
        """From any thread: end the exchange now; a read blocked on it returns at once."""
        conn = self._conn
        sock = conn.sock if conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def model_ids(http: ServerConnection) -> list[str]:
    """The model names a server lists at /v1/models (at most 1000), as text safe to show:
    control characters dropped, each at most 200 characters. ServerError when it lists none."""
    body = http.get_json("/v1/models")
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise ServerError(BAD_STREAM, "/v1/models: no model list in the answer")
    ids = (str(m["id"]) for m in data[:1000] if isinstance(m, dict) and "id" in m)
    return ["".join(ch for ch in name[:200] if ch.isprintable()) for name in ids]


def _status_error(status: int, message: str) -> ServerError:
    if status in (401, 403):
        return ServerError(AUTH, message, status)
    if status == 404:
        return ServerError(MODEL_MISSING, message, status)
    return ServerError(SERVER_ERROR, message, status)


def _error_detail(response) -> str:
    """The error's type or code from an OpenAI-style error body: short words made by the
    server, not its message (which may quote the prompt)."""
    try:
        body = json.loads(response.read(64 * 1024))
    except (ValueError, OSError, http.client.HTTPException):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        label = error.get("type") or error.get("code")
        # Only a plain word: this line reaches the log, and a label is the server's to make.
        if isinstance(label, str | int) and re.fullmatch(r"[\w.-]{1,60}", str(label)):
            return f" ({label})"
    return ""


def read_sse(response, path: str = "/v1/chat/completions") -> Iterator[dict]:
    """The JSON chunks of a streamed answer, up to `data: [DONE]` or the end of the stream.

    ServerError(BAD_STREAM) for a line that is not an SSE field or data that is not a JSON
    object, ServerError(SERVER_ERROR) for an error sent inside the stream. Running out of
    bytes ends the iteration; whether the answer was whole is the caller's to judge."""
    while True:
        try:
            raw = response.readline(MAX_LINE + 1)
        except TimeoutError:
            raise ServerError(TIMEOUT, f"{path}: no chunk in time") from None
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise ServerError(
                STREAM_CUT, f"{path}: the stream broke ({type(e).__name__})"
            ) from None
        if not raw:
            return
        if len(raw) > MAX_LINE:
            raise ServerError(BAD_STREAM, f"{path}: a stream line over {MAX_LINE} bytes")
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line or line.startswith(":"):
            continue  # an event's end, or a comment (keep-alive)
        field, sep, value = line.partition(":")
        if not sep or field not in ("data", "event", "id", "retry"):
            raise ServerError(BAD_STREAM, f"{path}: a stream line that is not server-sent events")
        if field != "data":
            continue
        value = value[1:] if value.startswith(" ") else value
        if value.strip() == "[DONE]":
            return
        try:
            chunk = json.loads(value)
        except ValueError:
            raise ServerError(BAD_STREAM, f"{path}: a stream chunk that is not JSON") from None
        if not isinstance(chunk, dict):
            raise ServerError(BAD_STREAM, f"{path}: a stream chunk that is not an object")
        if "error" in chunk:
            raise ServerError(SERVER_ERROR, f"{path}: the server sent an error mid-stream")
        yield chunk


THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


class ThinkSplitter:
    """Splits streamed content at <think> and </think> into (channel, text) pieces, holding
    back the start of a tag split across chunks until the next chunk says what it was."""

    def __init__(self, in_reasoning: bool = False):
        self.reasoning = in_reasoning
        self._held = ""

    def feed(self, text: str) -> list[tuple[str, str]]:
        text = self._held + text
        self._held = ""
        pieces: list[tuple[str, str]] = []
        while text:
            tag = THINK_CLOSE if self.reasoning else THINK_OPEN
            at = text.find(tag)
            if at >= 0:
                if at:
                    pieces.append((self.channel, text[:at]))
                text = text[at + len(tag) :]
                self.reasoning = not self.reasoning
                continue
            keep = _partial_tag(text, tag)
            if len(text) > keep:
                pieces.append((self.channel, text[: len(text) - keep]))
            self._held = text[len(text) - keep :] if keep else ""
            break
        return pieces

    def flush(self) -> list[tuple[str, str]]:
        held, self._held = self._held, ""
        return [(self.channel, held)] if held else []

    @property
    def channel(self) -> str:
        return "reasoning" if self.reasoning else "answer"


def _partial_tag(text: str, tag: str) -> int:
    """How many characters at the end of `text` could begin `tag`."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0
