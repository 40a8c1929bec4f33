"""The real demo model (SmolLM2-135M-Instruct, Q4_1 GGUF) through deskpet and through mlx-lm's
llama on the same un-permuted weights: greedy decoding must pick identical tokens."""

from __future__ import annotations

import mlx.core as mx
import pytest
from mlx_lm.generate import generate_step
from mlx_lm.sample_utils import make_sampler

from deskpet.inference.generate import Sampling, generate
from deskpet.inference.model import make_cache
from deskpet.inference.reference import reference_model

PROMPTS = [
    "Once upon a time, in a small village by the sea,",
    'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n',
    "<|im_start|>user\nName three colours of the rainbow.<|im_end|>\n<|im_start|>assistant\n",
]


@pytest.fixture(scope="module")
def reference(demo_lm):
    return reference_model(demo_lm.model)


@pytest.mark.slow
@pytest.mark.parametrize("prompt", PROMPTS, ids=["story", "code", "chat"])
def test_48_greedy_tokens_identical_to_mlx_lm(demo_lm, reference, prompt):
    tokens = demo_lm.tokenizer.encode(prompt, add_special_tokens=False)
    ours = [
        ev.token
        for ev in generate(
            demo_lm.model,
            demo_lm.tokenizer,
            make_cache(demo_lm.model),
            tokens,
            sampling=Sampling.greedy(),
            max_tokens=48,
        )
        if ev.token is not None and ev.finish_reason is None
    ]
    theirs = [
        int(t)
        for t, _ in generate_step(
            mx.array(tokens), reference, max_tokens=48, sampler=make_sampler(0.0)
        )
    ]
    assert len(ours) == 48
    assert ours == theirs
