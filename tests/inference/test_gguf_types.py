"""Every common GGUF tensor type loads (gguf_requant.py), and runs close to its source.

Tiny random models in MiniCPM5-1B's shape family are written as F16 and quantized by llama.cpp
itself (llama-cpp-python's llama_model_quantize) to Q8_0 and Q4_K_M, the three types the
official MiniCPM5-1B-GGUF ships. Widths are multiples of 256 so the K-quant mix really holds
Q4_K and Q6_K tensors (llama.cpp falls back to Q5_0/Q8_0 for narrower rows).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import gguf
import mlx.core as mx
import numpy as np
import pytest
from helpers.gguf_files import quantize, write_f16_model
from helpers.tiny import TINY_MINICPM, tiny_model
from mlx.utils import tree_flatten

from deskpet.cli import main
from deskpet.inference import gguf_requant
from deskpet.inference.load import ModelLoadError, load

# MiniCPM5-1B's family (GQA 8:1, untied head, theta 5e6) at widths K-quants can hold.
TINY_K = {**TINY_MINICPM, "hidden_size": 256, "intermediate_size": 768, "head_dim": 64}
PROMPT = [0, 5, 17, 99, 3, 250, 42, 8, 211, 64, 2, 100, 7, 19, 23, 150, 31, 77, 201, 9]


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory, demo_gguf):
    root = tmp_path_factory.mktemp("gguf-types")
    weights = dict(tree_flatten(tiny_model(TINY_K).parameters()))
    f16 = write_f16_model(root / "tiny-F16.gguf", TINY_K, weights, demo_gguf)
    return {
        "F16": f16,
        "Q8_0": quantize(f16, root / "tiny-Q8_0.gguf", "Q8_0"),
        "Q4_K_M": quantize(f16, root / "tiny-Q4_K_M.gguf", "Q4_K_M"),
    }


def logits(model) -> mx.array:
    return model(mx.array([PROMPT]), last_only=False)


@pytest.fixture(scope="module")
def yardsticks():
    """The float source's logits, and the error MLX's own 4-bit and 8-bit (group 64)
    quantization of the same weights makes: what a given loss of precision costs here."""
    source = logits(tiny_model(TINY_K))
    return source, {bits: error(logits(tiny_model(TINY_K, bits=bits)), source) for bits in (4, 8)}


def error(got: mx.array, source: mx.array) -> float:
    """RMS logit error relative to the logits' spread (scale-free across models)."""
    return (mx.sqrt(mx.mean((got - source) ** 2)) / mx.std(source)).item()


def types_in(path) -> Counter:
    return Counter(t.tensor_type.name for t in gguf.GGUFReader(str(path)).tensors)


def test_the_k_quant_mix_holds_k_quants(tiny_files):
    assert set(types_in(tiny_files["Q4_K_M"])) == {"Q4_K", "Q6_K", "F32"}
    assert set(types_in(tiny_files["Q8_0"])) == {"Q8_0", "F32"}


# Measured here (relative RMS error): F16 0.0003; Q8_0 0.0070 (8-bit yardstick 0.0071);
# Q4_K_M dequantized 0.079 and requantized to 4-bit 0.142 (4-bit yardstick 0.120: two
# roundings add about in quadrature). A q/k permutation left undone costs about 1.0.
@pytest.mark.parametrize(
    ("kind", "bits", "limit"),
    [
        ("F16", 0, lambda y: 1e-3),  # float16 rounding only
        ("Q8_0", 4, lambda y: 1.5 * y[8]),  # kept as stored: 8-bit whatever bits asks
        ("Q4_K_M", 0, lambda y: y[4]),  # 4-bit with 6-bit sub-scales: no worse than MLX 4-bit
        ("Q4_K_M", 4, lambda y: 1.5 * y[4]),  # dequantized, requantized: two 4-bit roundings
        ("Q4_K_M", 8, lambda y: y[4]),  # an 8-bit requantization adds next to nothing
    ],
)
def test_each_official_type_runs_close_to_its_float_source(
    tiny_files, yardsticks, kind, bits, limit
):
    source, measured = yardsticks
    lm = load(tiny_files[kind], bits=bits, dtype=mx.float32)
    got = logits(lm.model)
    assert mx.all(mx.isfinite(got)).item()
    assert error(got, source) < limit(measured)
    if kind == "Q4_K_M":
        assert lm.conversion_seconds > 0
        want = f"{bits}-bit" if bits else "none"
        assert lm.quantization.startswith(want) or want in lm.quantization


def test_repacked_q8_0_is_what_mx_load_reads(tiny_files):
    """In a mixed file Q8_0 tensors are repacked by deskpet; they must be mx.load's bits."""
    reader = gguf.GGUFReader(str(tiny_files["Q8_0"]))
    t = next(t for t in reader.tensors if t.name == "blk.0.ffn_down.weight")
    tensor = gguf_requant.Tensor(t.name, "Q8_0", tuple(reversed(t.shape.tolist())), t.data)
    mine = gguf_requant.convert([tensor], lambda _: None, bits=4, group_size=64)
    theirs = mx.load(str(tiny_files["Q8_0"]))
    for suffix in ("weight", "scales", "biases"):
        name = f"blk.0.ffn_down.{suffix}"
        assert mx.array_equal(mine[name], theirs[name]).item(), name


def test_model_info_says_what_loading_does(tiny_files, capsys):
    assert main(["model", "info", str(tiny_files["Q4_K_M"])]) == 0
    out = capsys.readouterr().out
    assert "F32 kept as stored; Q4_K, Q6_K dequantized and requantized to 4-bit" in out
    assert "MB of weights once loaded" in out and "deskpet model convert" in out
    assert main(["model", "info", str(tiny_files["F16"]), "--bits", "8"]) == 0
    out = capsys.readouterr().out
    assert "F16, F32 kept as stored, matrices quantized to 8-bit on load" in out
    assert "conversion:" not in out  # mx.load reads it: nothing to save


def test_convert_saves_a_folder_the_loader_runs_the_same(tiny_files, tmp_path):
    path = tiny_files["Q4_K_M"]
    done = subprocess.run(
        [sys.executable, "-m", "deskpet", "model", "convert", str(path), str(tmp_path / "mlx")]
        + ["--bits", "8"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Converting tiny-Q4_K_M.gguf") and "to 8-bit" in lines[0]
    assert "Converted 30 of 30 tensors" in done.stdout and lines[-1].startswith("Wrote ")
    folder = load(tmp_path / "mlx", dtype=mx.float32)
    direct = load(path, bits=8, dtype=mx.float32)
    assert folder.format == "mlx" and folder.conversion_seconds == 0
    assert folder.quantization == direct.quantization == "8-bit g64"
    assert mx.array_equal(logits(folder.model), logits(direct.model)).item()


def test_convert_speaks_the_terminals_chinese(tiny_files, tmp_path):
    # The progress lines and the last one in a Chinese terminal; the plan's types stay as named
    done = subprocess.run(
        [sys.executable, "-m", "deskpet", "model", "convert", str(tiny_files["Q4_K_M"])]
        + [str(tmp_path / "mlx")],
        capture_output=True,
        text=True,
        env={**os.environ, "LANG": "zh_CN.UTF-8", "DESKPET_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("正在转换 tiny-Q4_K_M.gguf：") and "Q4_K" in lines[0], lines[0]
    assert "已转换 30/30 个张量（" in done.stdout
    assert lines[-1] == f"已写入 {tmp_path / 'mlx'}"


def test_a_cut_short_tensor_is_one_line(tiny_files, tmp_path):
    data = tiny_files["Q4_K_M"].read_bytes()
    short = tmp_path / "short.gguf"
    short.write_bytes(data[:-4096])
    with pytest.raises(ModelLoadError) as info:
        load(short)
    message = str(info.value)
    assert message.startswith("short.gguf is cut short: GGUF tensor blk.2.ffn_up.weight needs")
    assert "\n" not in message


def test_an_unrunnable_type_is_named(tiny_files, tmp_path):
    writer = gguf.GGUFWriter(str(tmp_path / "iq.gguf"), "llama")
    writer.add_tensor("token_embd.weight", np.zeros((4, 256 // 32 * 18), np.uint8), raw_dtype=20)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ModelLoadError, match="token_embd.weight is stored as IQ4_NL"):
        load(tmp_path / "iq.gguf")
