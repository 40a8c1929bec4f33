"""Golden references for adapters: PEFT itself (torch) on a tiny Llama.

A random PEFT LoRA saved by peft gives the same logits through deskpet's adapter bank, and an
adapter trained by deskpet loads with PeftModel.from_pretrained and gives deskpet's logits.
Needs the `train` extra (torch, peft): the test command installs it.
"""

from __future__ import annotations

import dataclasses
import json

import mlx.core as mx
import numpy as np
import peft
import pytest
import torch
import transformers

from deskpet.inference.load import load
from deskpet.inference.lora import PROJECTIONS, AdapterBank
from deskpet.personas import PersonaManager
from deskpet.personas.train import read_examples, train

# peft 0.21 still calls transformers 5's deprecated gradient-checkpointing alias.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"
)

TOKENS = [[1, 17, 300, 4242, 99, 12000, 7, 2]]
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def tiny_llama(demo_lm, tmp_path_factory):
    """A tiny random Llama in MiniCPM5's shape family, saved by transformers, with the demo
    model's tokenizer (so deskpet can train on real persona data)."""
    folder = tmp_path_factory.mktemp("tiny-llama")
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=49152,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,
        max_position_embeddings=512,
        rms_norm_eps=1e-6,
        tie_word_embeddings=False,
        bos_token_id=1,
        eos_token_id=2,
    )
    model = transformers.LlamaForCausalLM(config).eval()
    model.save_pretrained(folder)
    demo_lm.tokenizer._tokenizer.save_pretrained(folder)
    return folder


def torch_base(folder):
    return transformers.LlamaForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()


def torch_logits(model) -> np.ndarray:
    with torch.no_grad():
        return model(torch.tensor(TOKENS)).logits.float().numpy()


def deskpet_logits(lm) -> np.ndarray:
    out = lm.model(mx.array(TOKENS), last_only=False)
    return np.array(out.astype(mx.float32))


@pytest.mark.parametrize(("r", "alpha", "rslora"), [(4, 8, False), (8, 16, True)])
def test_random_peft_adapter_gives_peft_logits(tiny_llama, tmp_path, r, alpha, rslora):
    lm = load(tiny_llama, bits=0)
    base = torch_base(tiny_llama)
    assert np.abs(deskpet_logits(lm) - torch_logits(base)).max() < TOLERANCE
    config = peft.LoraConfig(
        r=r,
        lora_alpha=alpha,
        target_modules=list(PROJECTIONS),
        use_rslora=rslora,
        init_lora_weights=False,
        task_type="CAUSAL_LM",
    )
    torch.manual_seed(1)
    model = peft.get_peft_model(base, config).eval()
    model.save_pretrained(tmp_path / "adapter")
    expected = torch_logits(model)
    bank = AdapterBank(lm.model)
    bank.load("peft", tmp_path / "adapter")
    bank.switch("peft")
    assert np.abs(deskpet_logits(lm) - expected).max() < TOLERANCE
    bank.switch(None)
    assert np.abs(deskpet_logits(lm) - expected).max() > 100 * TOLERANCE  # it did something


@pytest.mark.parametrize("layers", [None, 1])
def test_deskpet_trained_adapter_loads_in_peft(tiny_llama, tmp_path, layers):
    lm = load(tiny_llama, bits=0)
    neko = PersonaManager().get("neko")
    neko = dataclasses.replace(neko, system_prompt="You are Neko.")
    data = read_examples(neko.train_file())[:2]
    result = train(
        lm,
        neko,
        data,
        data,
        steps=3,
        layers=layers,
        learning_rate=1e-2,
        batch_size=2,
        out=tmp_path / "adapter",
        progress=lambda _text: None,
    )
    config = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert config.get("layers_to_transform") == ([1] if layers else None)
    model = peft.PeftModel.from_pretrained(torch_base(tiny_llama), result.adapter_dir).eval()
    expected = torch_logits(model)
    bank = AdapterBank(lm.model)
    bank.load("trained", result.adapter_dir)
    bank.switch("trained")
    assert np.abs(deskpet_logits(lm) - expected).max() < TOLERANCE
    bank.switch(None)
    assert np.abs(deskpet_logits(lm) - expected).max() > 100 * TOLERANCE
