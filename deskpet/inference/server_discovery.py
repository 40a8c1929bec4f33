"""Finding the model servers already running on this computer, for onboarding.

Each usual port on 127.0.0.1 is asked for `GET /v1/models` with a short timeout, all at once on
threads of their own (never the GUI's): llama.cpp's server 8080, Ollama 11434, LM Studio 1234,
vLLM 8000, SGLang 30000. A port that answers with a model list is a server; anything else
(nothing listening, another program, garbage) is skipped without a word.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from .server_http import ServerConnection, ServerError

log = logging.getLogger(__name__)

USUAL_PORTS = (
    (8080, "llama.cpp server"),
    (11434, "Ollama"),
    (1234, "LM Studio"),
    (8000, "vLLM"),
    (30000, "SGLang"),
)


@dataclass(frozen=True)
class FoundServer:
    url: str
    kind: str  # the program that usually listens there
    models: tuple[str, ...]


def probe(url: str, timeout: float = 0.5) -> tuple[str, ...] | None:
    """The models the server at `url` lists, or None when it is not one (or says nothing)."""
    conn = ServerConnection(url, connect_timeout=timeout, read_timeout=timeout)
    try:
        body = conn.get_json("/v1/models")
    except ServerError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    return tuple(str(m["id"])[:200] for m in data[:50] if isinstance(m, dict) and "id" in m)


def discover(
    ports: tuple[tuple[int, str], ...] | None = None,
    host: str = "127.0.0.1",
    timeout: float = 0.5,
) -> list[FoundServer]:
    """The servers answering on `ports` (default USUAL_PORTS), in the order given; takes about
    `timeout` at most."""
    ports = USUAL_PORTS if ports is None else ports
    found: dict[int, FoundServer] = {}

    def ask(port: int, kind: str) -> None:
        url = f"http://{host}:{port}"
        models = probe(url, timeout)
        if models is not None:
            found[port] = FoundServer(url, kind, models)

    threads = [
        threading.Thread(target=ask, args=(port, kind), name=f"deskpet-probe-{port}", daemon=True)
        for port, kind in ports
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout * 4 + 1)
    result = [found[port] for port, _ in ports if port in found]
    log.info("model servers found: %s", ", ".join(s.url for s in result) or "none")
    return result
