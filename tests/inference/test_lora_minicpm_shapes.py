"""OpenBMB-shaped persona adapters on a synthetic MiniCPM5-1B base (real shape, left lazy)."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn
import pytest
from helpers.lora_files import ALL, peft_tensors, write_peft

from deskpet.inference.lora import AdapterBank, AdapterError, LoRALinear, check_adapter
from deskpet.inference.model import Model, ModelArgs

MINICPM5_1B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 1536,
    "num_hidden_layers": 24,
    "intermediate_size": 4608,
    "num_attention_heads": 16,
    "num_key_value_heads": 2,
    "head_dim": 128,
    "vocab_size": 130560,
    "rope_theta": 5e6,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
    "max_position_embeddings": 131072,
}
ARGS = ModelArgs.from_dict(MINICPM5_1B)


@pytest.fixture(scope="module")
def base():
    # Never evaluated as a whole: weights stay lazy graphs, so only what a test runs is computed.
    model = Model(ARGS)
    nn.quantize(model, group_size=64, bits=4)
    return model


@pytest.fixture(scope="module")
def openbmb_adapters(tmp_path_factory):
    root = tmp_path_factory.mktemp("openbmb")
    return {
        (r, alpha): write_peft(root / f"r{r}", peft_tensors(ARGS, r, seed=r), r, alpha)
        for r, alpha in ((8, 16), (16, 32))
    }


def test_openbmb_shapes_load_switch_and_report_memory(base, openbmb_adapters):
    bank = AdapterBank(base, dtype=mx.float32)
    r8 = bank.load("r8", openbmb_adapters[(8, 16)])
    r16 = bank.load("r16", openbmb_adapters[(16, 32)])
    assert r8.scale == r16.scale == 2.0
    assert r8.target_modules == ALL and len(r8.pairs) == 24 * 7
    # 5,603,328 parameters at r=8 (shared/reference/minicpm5-1b.md), float32 resident.
    assert r8.parameters_count == 5_603_328
    assert bank.memory() == {"r8": 5_603_328 * 4, "r16": 2 * 5_603_328 * 4}
    wrappers = [m for m in base.modules() if isinstance(m, LoRALinear)]
    assert len(wrappers) == 24 * 7
    for name in ("r8", "r16", None, "r8"):
        bank.switch(name)
    # One projection of the real shape, by hand (only layer 0's q_proj gets computed).
    q = base.layers[0].self_attn.q_proj
    x = mx.random.normal((1, 3, 1536))
    pair = r8.pairs["model.layers.0.self_attn.q_proj"]
    expected = q.linear(x) + 2.0 * (x @ pair.lora_A.T) @ pair.lora_B.T
    assert q(x).shape == (1, 3, 2048)
    assert mx.allclose(q(x), expected, atol=1e-4).item()


def test_config_only_check_for_import(openbmb_adapters):
    assert check_adapter(openbmb_adapters[(16, 32)], ARGS).rank == 16
    smaller = ModelArgs.from_dict(
        {
            **MINICPM5_1B,
            "num_hidden_layers": 30,
            "hidden_size": 576,
            "intermediate_size": 1536,
            "num_attention_heads": 9,
            "num_key_value_heads": 3,
            "head_dim": 64,
        }
    )
    # SmolLM2-135M's shape (the demo model): 30 layers, then the width too.
    with pytest.raises(AdapterError, match="covers 24 layers .* the model has 30"):
        check_adapter(openbmb_adapters[(8, 16)], smaller)
    smaller.num_hidden_layers = 24
    with pytest.raises(
        AdapterError,
        match=r"tensor base_model\.model\.model\.layers\.0\.mlp\.down_proj\.lora_A\.weight "
        r"has shape \(8, 4608\) but the model's down_proj takes 1536",
    ):
        check_adapter(openbmb_adapters[(8, 16)], smaller)
