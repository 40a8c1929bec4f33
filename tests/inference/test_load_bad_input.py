"""Bad model input, one case per row: each ends in one ModelLoadError line, never a traceback.

Every case starts from a tiny valid model (a Hugging Face folder, or a GGUF file written with
the gguf package) and breaks one thing, as a careless download or a hostile file would."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import gguf
import mlx.core as mx
import numpy as np
import pytest
from helpers.tiny import TINY_MINICPM, tiny_model
from mlx.utils import tree_flatten

from deskpet.inference.load import ModelLoadError, load
from deskpet.inference.worker import check_model

LFS_TEXT = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 98362432\n"
)
LFS_LINE = "is a Git LFS pointer, not the weights: run git lfs pull"


@pytest.fixture(scope="module")
def hf_base(demo_lm, tmp_path_factory) -> Path:
    """A tiny valid Hugging Face folder (config, safetensors, the demo model's tokenizer)."""
    folder = tmp_path_factory.mktemp("hf-base") / "tiny"
    folder.mkdir()
    weights = {k: v.astype(mx.bfloat16) for k, v in tree_flatten(tiny_model().parameters())}
    mx.save_safetensors(str(folder / "model.safetensors"), weights)
    (folder / "config.json").write_text(json.dumps(TINY_MINICPM))
    demo_lm.tokenizer._tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def gguf_base(tmp_path_factory) -> bytes:
    """The bytes of a tiny, well-formed Llama GGUF (one Q8_0 tensor)."""
    path = tmp_path_factory.mktemp("gguf-base") / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_embedding_length(64)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_vocab_size(3)
    writer.add_file_type(7)  # MOSTLY_Q8_0
    writer.add_token_list(["<s>", "a", "b"])
    block_values, block_bytes = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q8_0]
    raw = np.zeros((64, 64 // block_values * block_bytes), dtype=np.uint8)
    writer.add_tensor("blk.0.attn_q.weight", raw, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


# --- Hugging Face folders: change the config or a file ---------------------------------------


def with_config(change):
    def make(folder: Path) -> Path:
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps(change(config)))
        return folder

    return make


def drop(*keys):
    return with_config(lambda c: {k: v for k, v in c.items() if k not in keys})


def setting(**values):
    return with_config(lambda c: {**c, **values})


def raw_config(data: bytes):
    def make(folder: Path) -> Path:
        (folder / "config.json").write_bytes(data)
        return folder

    return make


def config_is_a_folder(folder: Path) -> Path:
    (folder / "config.json").unlink()
    (folder / "config.json").mkdir()
    return folder


def weights(change):
    def make(folder: Path) -> Path:
        file = folder / "model.safetensors"
        file.write_bytes(change(file.read_bytes()))
        return folder

    return make


def header(change):
    """Rewrite the safetensors JSON header (the tensor bytes stay as they are)."""

    def rewrite(data: bytes) -> bytes:
        (length,) = struct.unpack("<Q", data[:8])
        new = change(json.loads(data[8 : 8 + length])).encode()
        return struct.pack("<Q", len(new)) + new + data[8 + length :]

    return weights(rewrite)


def first_tensor(change):
    def edit(h):
        name = next(k for k in sorted(h) if k != "__metadata__")
        h[name] = change(h[name])
        return json.dumps(h)

    return header(edit)


HF_CASES = {
    "config is a list": (with_config(lambda c: [c]), "config must be a JSON object"),
    "config is a number": (with_config(lambda c: 7), "config must be a JSON object"),
    "config misses fields": (drop("hidden_size", "vocab_size"), "has no hidden_size, vocab_size"),
    "zero attention heads": (setting(num_attention_heads=0), "num_attention_heads must be"),
    "negative hidden size": (setting(hidden_size=-128), "hidden_size must be a whole number"),
    "huge vocabulary": (setting(vocab_size=10**12), "vocab_size must be a whole number"),
    "size as a string": (setting(hidden_size="128"), "hidden_size must be a whole number"),
    "zero layers": (setting(num_hidden_layers=0), "num_hidden_layers must be"),
    "heads do not divide": (
        setting(head_dim=None, num_attention_heads=3, num_key_value_heads=1),
        "does not divide into 3 attention heads",
    ),
    "kv heads do not divide": (setting(num_key_value_heads=3), "not a multiple of"),
    "rope_scaling is a string": (setting(rope_scaling="linear"), "rope_scaling must be"),
    "architectures is a string": (setting(architectures=5), "architectures must be a list"),
    "config.json is a folder": (config_is_a_folder, "config.json is not a file"),
    "config is not JSON": (raw_config(b"{not json"), "is not valid JSON"),
    "config is not UTF-8": (raw_config(b'{"hidden_size": "\xff"}'), "is not valid JSON"),
    "safetensors too short": (weights(lambda d: d[:5]), "not a valid safetensors file"),
    "header length beyond the file": (
        weights(lambda d: struct.pack("<Q", 2**62) + d[8:]),
        "not a valid safetensors file",
    ),
    "header is not JSON": (header(lambda h: "{not json" + " " * 20), "not a valid safetensors"),
    "header is a list": (header(lambda h: json.dumps([h])), "header is not a JSON object"),
    "entry is not an object": (first_tensor(lambda t: 5), "has no valid data_offsets"),
    "offsets are strings": (
        first_tensor(lambda t: {**t, "data_offsets": ["0", "9"]}),
        "has no valid data_offsets",
    ),
    "offsets outside the file": (
        first_tensor(lambda t: {**t, "data_offsets": [0, 2**40]}),
        "is truncated",
    ),
    "offsets backwards": (
        first_tensor(lambda t: {**t, "data_offsets": [9, 2]}),
        "has no valid data_offsets",
    ),
    "weights are a Git LFS pointer": (weights(lambda d: LFS_TEXT.encode()), LFS_LINE),
}


@pytest.mark.parametrize("case", HF_CASES)
def test_a_bad_model_folder_is_one_line(hf_base, tmp_path, case):
    make, expected = HF_CASES[case]
    folder = make(Path(shutil.copytree(hf_base, tmp_path / "tiny")))
    with pytest.raises(ModelLoadError) as caught:
        load(folder)
    line = str(caught.value)
    assert "\n" not in line and line
    assert expected in line, line
    assert check_model(folder) == line  # the worker's CheckModel says the same


def test_the_valid_folder_loads(hf_base):
    assert load(hf_base).args.num_hidden_layers == 3


# --- GGUF files: change bytes of the header ----------------------------------------------------


def at_key(key: str, offset: int, fmt: str, value):
    """Overwrite the field `offset` bytes after metadata key `key` (or tensor name)."""

    def make(data: bytes) -> bytes:
        where = data.rindex(key.encode()) + len(key) + offset
        out = bytearray(data)
        struct.pack_into("<" + fmt, out, where, value)
        return bytes(out)

    return make


def at(where: int, fmt: str, value):
    def make(data: bytes) -> bytes:
        out = bytearray(data)
        struct.pack_into("<" + fmt, out, where, value)
        return bytes(out)

    return make


def rename_key(old: str, new: str):
    return lambda data: data.replace(old.encode(), new.encode(), 1)


GGUF_CASES = {
    "bad magic": (lambda d: b"GGUX" + d[4:], "does not start with GGUF"),
    "version 1": (at(4, "I", 1), "version 1 is not supported"),
    "truncated header": (lambda d: d[:40], "not a valid GGUF file"),
    "truncated metadata": (lambda d: d[: d.index(b"tokenizer.ggml.tokens") + 30], "ends inside"),
    "empty file": (lambda d: b"", "not a valid GGUF file"),
    "absurd tensor count": (at(8, "Q", 2**60), "tensor count"),
    "absurd metadata count": (at(16, "Q", 2**60), "metadata count"),
    "absurd key length": (at(24, "Q", 2**62), "string length"),
    "absurd string value": (at_key("general.architecture", 4, "Q", 2**62), "string length"),
    "absurd array count": (at_key("tokenizer.ggml.tokens", 8, "Q", 2**61), "array count"),
    "unknown value type": (at_key("general.architecture", 0, "I", 77), "value type 77"),
    "absurd dimensions": (at_key("blk.0.attn_q.weight", 0, "I", 1000), "1000 dimensions"),
    "absurd tensor size": (at_key("blk.0.attn_q.weight", 4, "Q", 2**62), "larger than the file"),
    "tensor past the end": (at_key("blk.0.attn_q.weight", 24, "Q", 2**50), "past the end"),
    "zero attention heads": (
        at_key("llama.attention.head_count", 4, "I", 0),
        "num_attention_heads must be",
    ),
    "no embedding length": (
        rename_key("llama.embedding_length", "llama.embedding_lengtX"),
        "has no hidden_size",
    ),
    "a Git LFS pointer": (lambda d: LFS_TEXT.encode(), LFS_LINE),
}


@pytest.mark.parametrize("case", GGUF_CASES)
def test_a_bad_gguf_file_is_one_line(gguf_base, tmp_path, case):
    make, expected = GGUF_CASES[case]
    path = tmp_path / "tiny.gguf"
    path.write_bytes(make(gguf_base))
    with pytest.raises(ModelLoadError) as caught:
        load(path)
    line = str(caught.value)
    assert "\n" not in line and expected in line, line
    assert check_model(path) == line


def test_the_valid_gguf_header_passes_the_check(gguf_base, tmp_path):
    from deskpet.inference.gguf import check_gguf

    path = tmp_path / "tiny.gguf"
    path.write_bytes(gguf_base)
    check_gguf(path)  # well formed; the model is incomplete, which load reports in one line
    with pytest.raises(ModelLoadError, match="tokenizer"):
        load(path)


def test_the_demo_gguf_passes_the_header_check(demo_gguf):
    from deskpet.inference.gguf import check_gguf

    check_gguf(demo_gguf)


def test_the_worker_reports_the_same_line_with_kind_load(hf_base, gguf_base, tmp_path):
    from deskpet.inference.protocol import LOAD, Done, Failed
    from deskpet.inference.worker import InferenceWorker

    sources = []
    for case in ("config is a list", "weights are a Git LFS pointer"):
        make, _ = HF_CASES[case]
        sources.append(make(Path(shutil.copytree(hf_base, tmp_path / case.replace(" ", "-")))))
    for case in ("absurd metadata count", "zero attention heads"):
        path = tmp_path / f"{case.replace(' ', '-')}.gguf"
        path.write_bytes(GGUF_CASES[case][0](gguf_base))
        sources.append(path)
    worker = InferenceWorker().start()
    try:
        for source in sources:
            with pytest.raises(ModelLoadError) as caught:
                load(source)
            assert caught.value.kind == LOAD
            events = list(worker.events_for(worker.load(source, stream=True), timeout=120))
            assert isinstance(events[-1], Done)
            failed = events[-2]
            assert isinstance(failed, Failed) and failed.kind == LOAD
            assert failed.message == str(caught.value)
    finally:
        worker.shutdown()
