"""A model hub on 127.0.0.1 for download tests: the part of the hub's API huggingface-hub 2.x
calls, GET /api/models/{repo}[/revision/{rev}] (?blobs=True for sizes and checksums),
GET /api/models/{repo}/tree/{rev} (snapshot_download's file list) and
HEAD/GET /{repo}/resolve/{rev}/{file} with ETag, X-Repo-Commit and Range, over real sockets.

It serves `tiny_repo_files`: a tiny quantized MiniCPM-shaped model in the official MLX build's
layout, which deskpet's loader reads for real.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = "openbmb/MiniCPM5-1B-MLX"
SHA = "0123456789abcdef0123456789abcdef01234567"
LFS = {"model.safetensors"}


def tiny_repo_files(folder: Path, tokenizer) -> dict[str, bytes]:
    """Write the tiny model into `folder` (plus one file a download must skip); return the
    files by name. `tokenizer` is a loaded TokenizerWrapper (the demo model's)."""
    import mlx.core as mx
    from mlx.utils import tree_flatten

    from helpers.tiny import TINY_MINICPM, tiny_model

    model = tiny_model(bits=4)
    mx.save_safetensors(
        str(folder / "model.safetensors"),
        dict(tree_flatten(model.parameters())),
        metadata={"format": "mlx"},
    )
    config = dict(TINY_MINICPM, quantization={"group_size": 64, "bits": 4, "mode": "affine"})
    (folder / "config.json").write_text(json.dumps(config))
    tokenizer._tokenizer.save_pretrained(folder)
    (folder / "README.md").write_text("not needed\n")
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


class FakeHub:
    """The hub on 127.0.0.1.

    Faults: `drop_once` names are cut halfway on their first GET; `corrupt` names are served
    with other bytes than their advertised checksum; `stall` names send half their bytes, then
    wait until `release` is set (a slow connection the owner gives up on); `oversend` maps
    names to extra bytes sent after the file (with a Content-Length that says so), as a
    hostile mirror would; `sent` counts the body bytes written per name. `refuse` answers every
    request 503 (a test that must not download); `headers` keeps each request's headers (names
    in lower case).
    """

    def __init__(self, files: dict[str, bytes], repos=(REPO,), lfs=LFS):
        self.files = files
        self.repos = set(repos)
        self.lfs = set(lfs)  # served as LFS files: the hub lists their sha256
        self.drop_once: set[str] = set()
        self.corrupt: set[str] = set()
        self.stall: set[str] = set()
        self.oversend: dict[str, int] = {}
        self.sent: dict[str, int] = {}
        self.release = threading.Event()
        self.bare_info = False  # list files without sizes/checksums, as some mirrors do
        self.requests: list[tuple[str, str, str | None]] = []
        self.headers: list[dict[str, str]] = []
        self.refuse = False
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                hub.handle(self, head=False)

            def do_HEAD(self):
                hub.handle(self, head=True)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def model_info(self, repo: str) -> dict:
        siblings = []
        for name, data in sorted(self.files.items()):
            if name in self.lfs:
                siblings.append(
                    {
                        "rfilename": name,
                        "size": len(data),
                        "blobId": "f" * 40,
                        "lfs": {
                            "size": len(data),
                            "sha256": hashlib.sha256(data).hexdigest(),
                            "pointerSize": 134,
                        },
                    }
                )
            else:
                siblings.append({"rfilename": name, "size": len(data), "blobId": git_sha1(data)})
        if self.bare_info:
            siblings = [{"rfilename": s["rfilename"]} for s in siblings]
        return {"id": repo, "modelId": repo, "sha": SHA, "private": False, "siblings": siblings}

    def handle(self, h: BaseHTTPRequestHandler, head: bool):
        path = h.path.split("?", 1)[0]
        self.requests.append((h.command, path, h.headers.get("Range")))
        self.headers.append({k.lower(): v for k, v in h.headers.items()})
        if self.refuse:
            return self.send(h, 503, b"refused", {}, head)
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)/tree/([^/]+)", path)
        if m and m[1] in self.repos:
            # snapshot_download lists the files of the commit here
            tree = []
            for s in self.model_info(m[1])["siblings"]:
                item = {"type": "file", "path": s["rfilename"], "size": s["size"]}
                item["oid"] = s["blobId"]
                if "lfs" in s:
                    item["lfs"] = {"oid": s["lfs"]["sha256"], "size": s["size"], "pointerSize": 134}
                tree.append(item)
            return self.send(h, 200, json.dumps(tree).encode(), {}, head)
        if m := re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", path):
            if m[1] not in self.repos:
                return self.send(
                    h,
                    404,
                    b'{"error":"Repository not found"}',
                    {"X-Error-Code": "RepoNotFound"},
                    head,
                )
            body = json.dumps(self.model_info(m[1])).encode()
            return self.send(h, 200, body, {"Content-Type": "application/json"}, head)
        m = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if not m or m[1] not in self.repos or m[3] not in self.files:
            return self.send(h, 404, b"not found", {"X-Error-Code": "EntryNotFound"}, head)
        name, data = m[3], self.files[m[3]]
        etag = hashlib.sha256(data).hexdigest() if name in self.lfs else git_sha1(data)
        headers = {"ETag": f'"{etag}"', "X-Repo-Commit": SHA, "Accept-Ranges": "bytes"}
        if name in self.corrupt:
            data = bytes(b ^ 0xFF for b in data)
        status, start = 200, 0
        if rng := re.fullmatch(r"bytes=(\d+)-", h.headers.get("Range") or ""):
            start = int(rng[1])
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        if head:
            return self.send(h, status, body, headers, head)
        if name in self.drop_once:
            self.drop_once.discard(name)
            self._head(h, status, headers, len(body))
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if name in self.oversend:
            extra = self.oversend[name]
            self._head(h, status, headers, len(body) + extra)
            block = b"\0" * (1 << 16)
            try:
                h.wfile.write(body)
                self.sent[name] = len(body)
                while extra > 0:
                    h.wfile.write(block[:extra])
                    self.sent[name] += min(extra, len(block))
                    extra -= len(block)
            except OSError:  # the client stopped reading
                h.close_connection = True
            return
        if name in self.stall:
            self._head(h, status, headers, len(body))
            try:
                h.wfile.write(body[: len(body) // 2])
                h.wfile.flush()
                self.release.wait(60)
                h.wfile.write(body[len(body) // 2 :])
            except OSError:  # the client gave up first
                h.close_connection = True
            return
        return self.send(h, status, body, headers, head)

    @staticmethod
    def _head(h, status, headers, length):
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(length))
        h.end_headers()

    @classmethod
    def send(cls, h, status, body, headers, head):
        cls._head(h, status, headers, len(body))
        if not head:
            h.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that hangs up (a cancelled or cut download) is part of the tests.
        pass


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
