"""`deskpet persona train`: a few QLoRA steps on the demo model lower the held-out loss on the
persona's own data, and the result is a PEFT adapter the bank loads."""

from __future__ import annotations

import dataclasses
import json

import mlx.core as mx
import pytest
from mlx.utils import tree_flatten

from deskpet.inference.chat import ChatTemplate
from deskpet.inference.lora import AdapterBank, LoRALinear
from deskpet.personas import PersonaManager
from deskpet.personas.train import encode, read_examples, train


def shortest(examples, n, tokenizer):
    """The n examples with the fewest tokens: this CPU reads about ten tokens a second."""
    return sorted(examples, key=lambda m: len(tokenizer.encode(json.dumps(m, ensure_ascii=False))))[
        :n
    ]


def test_rendering_matches_the_workers_transcript(demo_lm):
    template = ChatTemplate(demo_lm.tokenizer)
    system = "You are Neko."
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Nya~ hi!"}]
    ex = encode(template, system, messages, set(demo_lm.eos_token_ids))
    turn = template.user_turn_tokens(system, "Hi", think=False)
    answer = template.encode("Nya~ hi!")
    assert ex.tokens[: len(turn)] == turn and not any(ex.loss_mask[: len(turn)])
    assert ex.tokens[len(turn) : len(turn) + len(answer)] == answer
    # Learned: the answer and the stop token; not what the transcript appends after it.
    stop_at = len(turn) + len(answer)
    assert ex.tokens[stop_at] in demo_lm.eos_token_ids and ex.loss_mask[stop_at]
    assert sum(ex.loss_mask) == len(answer) + 1


@pytest.mark.slow
def test_a_few_steps_lower_the_held_out_loss(demo_lm, tmp_path):
    # The persona's own data; a one-line system prompt because this CPU reads about ten tokens a
    # second (the full prompt is rendered the same way, see the test above).
    persona = dataclasses.replace(
        PersonaManager().get("neko"), system_prompt="You are Neko, a playful cat."
    )
    data = shortest(read_examples(persona.train_file()), 6, demo_lm.tokenizer)
    valid = shortest(read_examples(persona.train_file("valid")), 2, demo_lm.tokenizer)
    before_params = dict(tree_flatten(demo_lm.model.parameters()))
    lines = []
    result = train(
        demo_lm,
        persona,
        data,
        valid,
        steps=6,
        layers=2,
        learning_rate=1.5e-3,
        batch_size=2,
        out=tmp_path / "adapter",
        progress=lines.append,
    )
    assert result.valid_loss_after < result.valid_loss_before - 0.2, result
    assert any("held-out loss before" in line for line in lines)
    # The model is left as loaded: no wrappers, the same weights.
    assert not any(isinstance(m, LoRALinear) for m in demo_lm.model.modules())
    after_params = dict(tree_flatten(demo_lm.model.parameters()))
    assert before_params.keys() == after_params.keys()
    assert all(before_params[k] is after_params[k] for k in before_params)
    config = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    n = demo_lm.args.num_hidden_layers
    assert config["peft_type"] == "LORA" and config["r"] == 8 and config["lora_alpha"] == 16
    assert config["layers_to_transform"] == [n - 2, n - 1] and config["bias"] == "none"
    weights = mx.load(str(tmp_path / "adapter" / "adapter_model.safetensors"))
    assert f"base_model.model.model.layers.{n - 1}.self_attn.q_proj.lora_A.weight" in weights
    bank = AdapterBank(demo_lm.model)
    try:
        adapter = bank.load("neko", tmp_path / "adapter")
        assert len(adapter.pairs) == 2 * 7
    finally:
        bank.detach()
