"""read_config: a model's config from its config.json or GGUF header alone, never its weights,
kept per file and modification time. What `deskpet persona list` and `persona import` use to
learn which base model is configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gguf
import numpy as np
import pytest

from deskpet.inference import gguf as gguf_reader
from deskpet.inference import load as loader
from deskpet.inference.load import ModelLoadError, read_checkpoint, read_config

# The demo model's shape (inference/bases.py), so its name makes it the known base.
SMOLLM2 = {
    "embedding_length": 576,
    "block_count": 30,
    "feed_forward_length": 1536,
    "attention.head_count": 9,
    "attention.head_count_kv": 3,
    "attention.key_length": 64,
    "vocab_size": 49152,
}
ROOT = Path(__file__).resolve().parents[2]
BIG = 4 << 30  # bytes of tensor data the header announces


def sparse_gguf(path: Path) -> Path:
    """A GGUF whose header is real and whose 4 GiB of tensor data is a hole in the file (a
    sparse file: nothing on disk, but a reader of the weights would go through every byte)."""
    writer = gguf.GGUFWriter(str(path), "llama")
    for key, value in SMOLLM2.items():
        writer.add_uint32(f"llama.{key}", value)
    writer.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    writer.add_tensor_info("token_embd.weight", (49152, 576), np.dtype(np.float32), 49152 * 2304)
    writer.add_tensor_info("output.weight", (BIG // 8192, 2048), np.dtype(np.float32), BIG)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    with open(path, "r+b") as f:  # the data after the header (aligned), as a hole
        f.truncate(-(-path.stat().st_size // 32) * 32 + 49152 * 2304 + BIG)
    return path


# The process's own peak memory in KiB. Linux keeps the larger of ru_maxrss and the parent's
# at exec (pytest's, with models loaded), so it reads VmHWM there; macOS's ru_maxrss is bytes.
PEAK = """
def peak_kib():
    try:
        with open('/proc/self/status') as f:
            return int(next(l for l in f if l.startswith('VmHWM:')).split()[1])
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
"""


def test_a_big_gguf_tells_its_base_model_without_its_weights_being_read(tmp_path):
    model = sparse_gguf(tmp_path / "SmolLM2-135M-Instruct-F32.gguf")
    assert model.stat().st_size > BIG and model.stat().st_blocks * 512 < (1 << 20)
    # WHEN `deskpet persona list` names the base of a 4 GiB model, in a process of its own
    script = (
        "import sys\n"
        f"{PEAK}\n"
        "import deskpet\n"
        "from deskpet.cli import main\n"
        "code = main(['persona', 'list', '--model', sys.argv[1]])\n"
        "print('peak', peak_kib(), file=sys.stderr)\n"
        "print('from', deskpet.__file__, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(model)],
        capture_output=True,
        text=True,
        timeout=120,
        # This checkout's deskpet first on the path, in a data folder of its own
        env={**os.environ, "DESKPET_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)},
    )
    # THEN it knows the base, and the process never held the weights (peak memory in KiB)
    assert done.returncode == 0, done.stderr
    assert f"from {ROOT}" in done.stderr  # this checkout's code, not another copy's
    assert f"Voices with {model.name} (smollm2-135m-instruct)" in done.stderr
    peak_kib = int(done.stderr.split("peak ")[1].split()[0])
    assert peak_kib < 1 << 20, done.stderr  # under 1 GiB, a quarter of the data


def test_the_config_is_the_checkpoints_own(demo_gguf):
    # The header's config is the one the loader builds from the whole file.
    assert read_config(demo_gguf) == read_checkpoint(demo_gguf).config


def test_a_file_asked_again_is_read_again_only_once_it_changed(tmp_path, monkeypatch):
    model = sparse_gguf(tmp_path / "SmolLM2-135M-Instruct-F32.gguf")
    reads: list[Path] = []
    real = gguf_reader.read_gguf_config

    def counting(path):
        reads.append(path)
        return real(path)

    monkeypatch.setattr(gguf_reader, "read_gguf_config", counting)
    monkeypatch.setattr(loader, "_CONFIGS", {})
    first = read_config(model)
    assert first["hidden_size"] == 576 and read_config(model) == first
    assert len(reads) == 1
    # The owner replaced the file (a newer mtime): read again
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert read_config(model) == first
    assert len(reads) == 2
    # A caller changing its copy changes nothing kept
    read_config(model)["hidden_size"] = 1
    assert read_config(model)["hidden_size"] == 576 and len(reads) == 2


def test_what_is_not_a_model_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelLoadError, match="is not a model"):
        read_config(tmp_path / "notes.txt")
    (tmp_path / "cut.gguf").write_bytes(b"GGUF\x03\x00\x00\x00")
    with pytest.raises(ModelLoadError, match="not a valid GGUF"):
        read_config(tmp_path / "cut.gguf")
    with pytest.raises(ModelLoadError, match="has no config.json"):
        read_config(tmp_path)
