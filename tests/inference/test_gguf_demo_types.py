"""The real demo model in every common GGUF type agrees with its Q4_1 original.

The files are made once from SmolLM2-135M-Instruct Q4_1 and cached beside it (DESKPET_CACHE,
under a version key, so reruns only load them): F16, BF16 and F32 written by the gguf package
from the dequantized Q4_1, and from that F16 llama.cpp's own quantizer (llama-cpp-python) makes
Q4_K_M, Q5_K_M, Q6_K, Q5_0 and Q5_1. SmolLM2's rows of 576 are not whole K-quant blocks, so
llama.cpp writes most tensors of the K mixes as Q5_0/Q5_1/Q8_0 and only the 1536-wide ones as
K-quants: both paths run.

Each file is loaded as a user would (default 4-bit requantization; floats at bits=0, since
they hold the Q4_1 values exactly) and scored by how many of the original's greedy tokens it
reproduces, fed the original's tokens (the same as greedy decoding up to the first
difference, in one forward pass).
"""

from __future__ import annotations

import os

import mlx.core as mx
import pytest
from helpers.gguf_files import as_float, quantize

from deskpet.inference.demo import demo_model_path
from deskpet.inference.load import load
from deskpet.inference.model import make_cache

STEPS = 24
QUESTION = "What is the capital of France? Answer in one sentence."

# How many of the original's first 24 greedy tokens each file reproduces (measured on this
# CPU in float32; they stay fixed as long as the quantizer and MLX do). The floats hold the
# Q4_1 values exactly. At 4 bits two roundings meet: the reference answer "The capital of
# France is Paris." survives in all of them; Q4_K_M's first difference is at token 6
# (", France." for ".").
AGREE = {
    "F16": 24,
    "BF16": 24,
    "F32": 24,
    "Q4_K_M": 6,
    "Q5_K_M": 20,
    "Q6_K": 18,
    "Q5_0": 18,
    "Q5_1": 13,
}
FLOATS = ("F16", "BF16", "F32")


def _version_key() -> str:
    from importlib.metadata import version

    return f"types-v1-gguf{version('gguf')}-llama.cpp{version('llama-cpp-python')}"


@pytest.fixture(scope="session")
def demo_types(demo_gguf):
    """The demo model in every type, made once into deskpet's cache."""
    folder = demo_model_path().parent / _version_key()
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind in AGREE:
        path = folder / f"SmolLM2-135M-Instruct.{kind}.gguf"
        if not path.exists():
            partial = path.with_suffix(".partial")
            if kind in FLOATS:
                as_float(demo_gguf, partial, kind)
            else:
                quantize(files["F16"], partial, kind)
            os.replace(partial, path)
        files[kind] = path
    return files


@pytest.fixture(scope="module")
def original(demo_gguf):
    """The Q4_1 original's prompt and greedy answer, in float32."""
    lm = load(demo_gguf, dtype=mx.float32)
    prompt = lm.tokenizer.apply_chat_template(
        [{"role": "user", "content": QUESTION}], add_generation_prompt=True
    )
    cache = make_cache(lm.model)
    logits, tokens = lm.model(mx.array([prompt]), cache), []
    for _ in range(STEPS):
        token = mx.argmax(logits[:, -1, :], axis=-1)[:, None]
        tokens.append(token.item())
        logits = lm.model(token, cache)
    assert lm.tokenizer.decode(tokens).startswith("The capital of France is Paris.")
    return prompt, tokens


def agreeing_prefix(model, prompt: list[int], tokens: list[int]) -> int:
    logits = model(mx.array([prompt + tokens[:-1]]), last_only=False)
    picked = mx.argmax(logits[0, len(prompt) - 1 :], axis=-1).tolist()
    return next((i for i, (a, b) in enumerate(zip(picked, tokens, strict=True)) if a != b), STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(AGREE))
def test_each_type_agrees_with_the_q4_1_original(demo_types, original, kind):
    lm = load(demo_types[kind], bits=0 if kind in FLOATS else 4, dtype=mx.float32)
    if kind not in ("F16", "F32"):  # read by gguf_requant, not mx.load
        assert lm.conversion_seconds > 0
    assert agreeing_prefix(lm.model, *original) >= AGREE[kind]
