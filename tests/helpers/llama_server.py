"""llama.cpp's OpenAI-compatible server (llama-cpp-python's, from PyPI) on loopback, for the
tests and for measuring `deskpet bench --server` against it.

    python -m helpers.llama_server --model X.gguf --host 127.0.0.1 --port N --n_ctx 2048

runs `python -m llama_cpp.server` with one change: llama.cpp's extra weight buffers (its AMX
repacking) are turned off, because on this test machine's AMX CPU the wheel built here
segfaults on the first Q4_1 matmul after repacking; every other setting is llama.cpp's own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _no_repack() -> None:
    import llama_cpp

    default = llama_cpp.llama_model_default_params

    def params():
        p = default()
        p.use_extra_bufts = False
        return p

    llama_cpp.llama_model_default_params = params
    llama_cpp.llama.llama_cpp.llama_model_default_params = params


def available() -> bool:
    # Found, not imported: llama.cpp's native libraries (its own threads and OpenMP runtime)
    # stay out of the test process, which runs MLX; the server runs in a process of its own.
    from importlib.util import find_spec

    return find_spec("llama_cpp") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """A llama.cpp server process serving `model`; `url` once `wait()` returned."""

    def __init__(self, model: Path, n_ctx: int = 2048, log: Path | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log or os.devnull, "wb")  # noqa: SIM115 (closed in close())
        helpers = Path(__file__).resolve().parent.parent
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(helpers), *sys.path]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "helpers.llama_server", "--model", str(model)]
            + ["--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.model_id = ""

    def wait(self, timeout: float = 180.0) -> LlamaServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama.cpp's server exited ({self.process.returncode})")
            try:
                with urllib.request.urlopen(f"{self.url}/v1/models", timeout=2) as r:
                    self.model_id = json.load(r)["data"][0]["id"]
                return self
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"llama.cpp's server did not answer in {timeout:g} s")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


if __name__ == "__main__":
    import runpy

    _no_repack()
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
