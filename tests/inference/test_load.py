"""Loading every supported format into the one Model class, and refusing bad input clearly."""

from __future__ import annotations

import json
import shutil

import gguf
import mlx.core as mx
import mlx.nn as nn
import numpy as np
import pytest
from helpers.tiny import TINY_MINICPM, tiny_model
from mlx.utils import tree_flatten
from mlx_lm.utils import quantize_model, save_config, save_model

from deskpet.inference.generate import Sampling, generate
from deskpet.inference.gguf import unpermute_rows
from deskpet.inference.load import ModelLoadError, load, read_checkpoint, save_mlx
from deskpet.inference.model import make_cache
from deskpet.inference.reference import reference_model

PROMPT = [1, 9690, 198, 2683, 359, 253, 5356, 11173, 30, 2, 198]


def greedy(lm, tokens, n=12):
    events = generate(
        lm.model,
        lm.tokenizer,
        make_cache(lm.model),
        tokens,
        sampling=Sampling.greedy(),
        max_tokens=n,
    )
    return [ev.token for ev in events if ev.finish_reason is None and ev.token is not None]


@pytest.fixture(scope="module")
def tokenizer_files(demo_lm, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tok")
    demo_lm.tokenizer._tokenizer.save_pretrained(folder)
    return folder


def write_hf_dir(folder, model, tokenizer_files, config=TINY_MINICPM, dtype=mx.bfloat16):
    folder.mkdir(parents=True, exist_ok=True)
    weights = {k: v.astype(dtype) for k, v in tree_flatten(model.parameters())}
    mx.save_safetensors(str(folder / "model.safetensors"), weights)
    (folder / "config.json").write_text(json.dumps(config))
    for f in tokenizer_files.iterdir():
        shutil.copy(f, folder / f.name)
    return folder


def test_gguf_and_its_converted_mlx_dir_give_identical_tokens(demo_gguf, demo_lm, tmp_path):
    converted = save_mlx(read_checkpoint(demo_gguf), tmp_path / "smol-mlx")
    config = json.loads((converted / "config.json").read_text())
    assert config["quantization"]["group_size"] == 32  # GGUF blocks are 32 wide
    again = load(converted)
    assert again.format == "mlx" and again.quantization == demo_lm.quantization
    assert greedy(again, PROMPT) == greedy(demo_lm, PROMPT)
    assert again.tokenizer.encode("Hello, Pip!") == demo_lm.tokenizer.encode("Hello, Pip!")


def test_mlx_lm_quantized_dir_loads_and_matches_mlx_lm(tmp_path, tokenizer_files):
    # GIVEN a 4-bit g64 folder written by mlx-lm itself (the official MiniCPM5 MLX format)
    float_model = tiny_model()
    ref = reference_model(float_model)
    config = dict(TINY_MINICPM)
    ref, config = quantize_model(ref, config, group_size=64, bits=4)
    folder = tmp_path / "mlx-4bit"
    folder.mkdir()
    save_model(folder, ref)
    save_config(config, folder / "config.json")
    for f in tokenizer_files.iterdir():
        shutil.copy(f, folder / f.name)
    # WHEN deskpet loads it
    lm = load(folder)
    # THEN it is 4-bit g64 everywhere and computes what mlx-lm computes
    assert lm.format == "mlx" and lm.quantization == "4-bit g64"
    tokens = mx.array([[3, 14, 15, 92, 65]])
    ref.set_dtype(mx.float32)
    assert mx.abs(lm.model(tokens, last_only=False) - ref(tokens)).max().item() < 1e-4


def test_hf_safetensors_dir_is_quantized_on_load(tmp_path, tokenizer_files):
    model = tiny_model()
    folder = write_hf_dir(tmp_path / "hf", model, tokenizer_files)
    lm = load(folder)
    assert lm.format == "safetensors" and lm.quantization == "4-bit g64"
    # Same as quantizing the bf16 weights ourselves.
    expected = tiny_model()
    expected.load_weights(
        [
            (k, v.astype(mx.bfloat16).astype(mx.float32))
            for k, v in tree_flatten(expected.parameters())
        ]
    )
    nn.quantize(expected, group_size=64, bits=4)
    tokens = mx.array([[3, 14, 15, 92, 65]])
    assert mx.abs(lm.model(tokens) - expected(tokens)).max().item() < 1e-4


def test_unpermute_rows_inverts_llama_cpp_permutation():
    heads, head_dim, cols = 2, 8, 3
    w = mx.arange(heads * head_dim * cols).reshape(heads * head_dim, cols)
    # llama.cpp's converter: rows (heads, 2, head_dim/2) -> (heads, head_dim/2, 2)
    permuted = w.reshape(heads, 2, head_dim // 2, cols).swapaxes(1, 2).reshape(w.shape)
    assert mx.array_equal(unpermute_rows(permuted, heads), w)


# --- bad input: one clear line each ------------------------------------------------------


def write_gguf(path, arch="llama", tensor_type=gguf.GGMLQuantizationType.IQ4_NL):
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_block_count(1)
    writer.add_file_type(25)  # MOSTLY_IQ4_NL
    block_values, block_bytes = gguf.GGML_QUANT_SIZES[tensor_type]
    raw = np.zeros((4, 64 // block_values * block_bytes), dtype=np.uint8)
    writer.add_tensor("blk.0.attn_q.weight", raw, raw_dtype=tensor_type)  # raw is (4, 64) values
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_unsupported_gguf_tensor_type_is_named(tmp_path):
    path = write_gguf(tmp_path / "iq4.gguf")
    with pytest.raises(ModelLoadError, match=r"blk\.0\.attn_q\.weight is stored as IQ4_NL"):
        load(path)


def test_non_llama_gguf_is_refused(tmp_path):
    path = write_gguf(
        tmp_path / "qwen.gguf", arch="qwen2", tensor_type=gguf.GGMLQuantizationType.Q8_0
    )
    with pytest.raises(ModelLoadError, match="qwen2 model; deskpet runs Llama"):
        load(path)


def test_non_llama_config_is_refused(tmp_path, tokenizer_files):
    config = {**TINY_MINICPM, "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"}
    folder = write_hf_dir(tmp_path / "qwen", tiny_model(), tokenizer_files, config=config)
    with pytest.raises(ModelLoadError, match="Qwen2ForCausalLM model; deskpet runs Llama"):
        load(folder)


def test_missing_tokenizer_is_reported(tmp_path, tokenizer_files):
    folder = write_hf_dir(tmp_path / "notok", tiny_model(), tokenizer_files)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(ModelLoadError, match="has no tokenizer"):
        load(folder)


def test_truncated_safetensors_is_reported(tmp_path, tokenizer_files):
    folder = write_hf_dir(tmp_path / "cut", tiny_model(), tokenizer_files)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        ModelLoadError, match=r"model\.safetensors is truncated: [\d,]+ of [\d,]+ bytes"
    ):
        load(folder)


def test_shape_mismatch_names_the_tensor(tmp_path, tokenizer_files):
    config = {**TINY_MINICPM, "intermediate_size": 256}
    folder = write_hf_dir(tmp_path / "shape", tiny_model(), tokenizer_files, config=config)
    with pytest.raises(
        ModelLoadError, match=r"tensor model\.layers\.0\.mlp\.\w+_proj\.weight has shape"
    ):
        load(folder)


@pytest.mark.parametrize("name", ["missing", "notes.txt"])
def test_not_a_model_path(tmp_path, name):
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("hello")
    with pytest.raises(ModelLoadError) as info:
        load(path)
    assert "\n" not in str(info.value)


def test_reading_a_gguf_leaves_no_temporary_folder(demo_gguf, tmp_path, monkeypatch):
    import tempfile

    from deskpet.inference.load import read_checkpoint

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # only this test's temp folders
    ckpt = read_checkpoint(demo_gguf)
    assert list(tmp_path.iterdir()) == []
    ids = ckpt.tokenizer.encode("Paris is lovely.", add_special_tokens=False)
    assert ckpt.tokenizer.decode(ids) == "Paris is lovely."
