"""A stdlib OpenAI-compatible server on loopback that misbehaves on request.

The real server in the tests is llama.cpp's (tests/inference/test_server_llama.py); this one
exists for the faults a real server will not produce on cue: `mode` says what the next chat
gets ("ok", "401", "404", "500", "malformed", "cut", "hang", "strict"; `script` lists modes
for the next few chats), and `answer` what an
"ok" stream says, one chunk every `delay` seconds. Every request body is kept in `bodies`
and every request's headers in `headers`; `require_key` makes GETs want that bearer key (as
vLLM does); `sent` and `gone` tell how far the last stream got and whether the client hung up
first.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeModelServer:
    def __init__(self, *, models=("fake-model",), loras=None):
        self.models = list(models)
        self.loras = loras  # None: no /lora-adapters (404), else a list of {id, path, scale}
        self.require_key: str | None = None  # set: GET /v1/models wants "Bearer <it>" (vLLM)
        self.mode = "ok"
        self.script: list[str] = []  # modes for the next chats, in order, before `mode`
        self.answer = ["Hello", " there", ",", " friend", "."]
        self.reasoning: list[str] = []  # sent as reasoning_content before the answer
        self.delay = 0.0
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.sent = 0
        self.gone = threading.Event()
        self.stream_ended = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                owner.headers.append(dict(self.headers))
                wanted = owner.require_key
                if wanted and self.headers.get("Authorization") != f"Bearer {wanted}":
                    self._json(401, {"error": {"type": "authentication_error", "message": "no"}})
                elif self.path == "/v1/models":
                    data = [{"id": m, "object": "model"} for m in owner.models]
                    self._json(200, {"object": "list", "data": data})
                elif self.path == "/lora-adapters" and owner.loras is not None:
                    self._json(200, owner.loras)
                else:
                    self._json(404, {"error": {"type": "not_found", "message": "no"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                owner.bodies.append(body)
                owner.headers.append(dict(self.headers))
                owner._serve_chat(self, body)

            def _json(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        self._hang = threading.Event()

    def close(self) -> None:
        self._hang.set()
        self._server.shutdown()
        self._server.server_close()

    def _serve_chat(self, handler, body) -> None:
        mode = self.script.pop(0) if self.script else self.mode
        if mode == "hang":  # accept, never answer
            self._hang.wait(30)
            return
        if mode == "strict" and any(k not in _OPENAI_FIELDS for k in body):
            handler._json(400, {"error": {"type": "invalid_request_error", "message": "x"}})
            return
        status = {"401": 401, "404": 404, "500": 500}.get(mode)
        if status:
            kind = {401: "authentication_error", 404: "model_not_found", 500: "server_error"}
            handler._json(status, {"error": {"type": kind[status], "message": "no"}})
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        self.sent = 0
        self.gone.clear()
        self.stream_ended.clear()
        try:
            self._stream(handler, body, mode)
        except OSError:  # the client closed the stream
            self.gone.set()
        finally:
            self.stream_ended.set()

    def _stream(self, handler, body, mode) -> None:
        write = handler.wfile

        def chunk(delta=None, finish=None, **extra) -> None:
            choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
            payload = {"object": "chat.completion.chunk", "choices": [choice], **extra}
            write.write(f"data: {json.dumps(payload)}\n\n".encode())
            write.flush()

        for piece in self.reasoning:
            chunk({"reasoning_content": piece})
        for i, piece in enumerate(self.answer):
            if mode == "malformed" and i == 2:
                write.write(b"data: {not json at all\n\n")
                write.flush()
                return
            if mode == "cut" and i == 2:
                handler.connection.shutdown(socket.SHUT_RDWR)  # the server dies mid-answer
                return
            chunk({"content": piece})
            self.sent = i + 1
            if self.delay:
                time.sleep(self.delay)
        chunk(finish="stop")
        usage = {"prompt_tokens": 10, "completion_tokens": len(self.answer), "total_tokens": 0}
        write.write(f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n".encode())
        write.write(b"data: [DONE]\n\n")
        write.flush()


_OPENAI_FIELDS = {
    "model", "messages", "stream", "max_tokens", "temperature", "top_p", "seed",
    "stream_options",
}  # fmt: skip


def free_port() -> int:
    """A loopback port nothing listens on (a refused connection)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
