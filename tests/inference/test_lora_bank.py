"""The adapter bank on tiny 4-bit models: the LoRA math, switching, and clear refusals."""

from __future__ import annotations

import json

import mlx.core as mx
import mlx.nn as nn
import pytest
from helpers.lora_files import ALL, peft_tensors, random_peft, write_peft
from helpers.tiny import TINY_MINICPM, tiny_model
from mlx.utils import tree_flatten

from deskpet.inference.lora import (
    AdapterBank,
    AdapterError,
    LoRALinear,
    check_adapter,
    save_peft,
)
from deskpet.inference.model import Model, ModelArgs

TOKENS = mx.array([[3, 17, 42, 99, 5, 250, 8, 1]])


def logits(model):
    out = model(TOKENS, last_only=False)
    mx.eval(out)
    return out


def base_weights(model) -> dict:
    # Names without the wrapper's ".linear" so before/after compare one to one.
    return {
        k.replace(".linear.", "."): v
        for k, v in tree_flatten(model.parameters())
        if ".lora." not in k
    }


@pytest.fixture
def model():
    return tiny_model(bits=4)


def test_adapter_output_is_base_plus_scaled_BA_by_hand(model, tmp_path):
    args = model.args
    folder = random_peft(tmp_path / "a", args, r=4, alpha=8)
    tensors = mx.load(str(folder / "adapter_model.safetensors"))
    # The hand reference: an unquantized model whose targeted weights are W + (alpha/r) B A.
    ref = Model(args)
    weights = {}
    for path, module in model.named_modules():
        if isinstance(module, nn.QuantizedLinear | nn.QuantizedEmbedding):
            w = mx.dequantize(
                module.weight, module.scales, module.biases, module.group_size, module.bits
            )
            stem = f"base_model.model.{path}"
            if f"{stem}.lora_A.weight" in tensors:
                w = w + 2.0 * tensors[f"{stem}.lora_B.weight"] @ tensors[f"{stem}.lora_A.weight"]
            weights[f"{path}.weight"] = w
    weights.update({k: v for k, v in tree_flatten(model.parameters()) if "norm" in k})
    ref.load_weights(list(weights.items()))
    bank = AdapterBank(model)
    adapter = bank.load("a", folder)
    assert adapter.scale == 2.0 and adapter.rank == 4
    bank.switch("a")
    assert mx.allclose(logits(model), logits(ref), atol=2e-4, rtol=1e-4).item()


def test_one_projection_by_hand(model, tmp_path):
    bank = AdapterBank(model)
    bank.load("a", random_peft(tmp_path / "a", model.args, r=4, alpha=8))
    bank.switch("a")
    wrapper = model.layers[1].mlp.down_proj
    assert isinstance(wrapper, LoRALinear)
    x = mx.random.normal((2, 5, model.args.intermediate_size))
    pair = wrapper.lora
    expected = wrapper.linear(x) + 2.0 * (x @ pair.lora_A.T) @ pair.lora_B.T
    assert mx.allclose(wrapper(x), expected, atol=1e-5).item()


def test_switching_and_back_is_exact_and_none_is_the_base(model, tmp_path):
    before = base_weights(model)
    base = logits(model)
    bank = AdapterBank(model)
    bank.load("a", random_peft(tmp_path / "a", model.args, seed=1))
    bank.load("b", random_peft(tmp_path / "b", model.args, r=8, alpha=16, seed=2))
    bank.switch("a")
    with_a = logits(model)
    assert bank.switch("b") >= 0  # milliseconds; how few is `deskpet bench --adapters`'s job
    with_b = logits(model)
    assert not mx.allclose(with_a, with_b).item()
    assert not mx.allclose(with_a, base).item()
    bank.switch("a")
    assert mx.array_equal(logits(model), with_a).item()
    bank.switch(None)
    assert mx.array_equal(logits(model), base).item()
    after = base_weights(model)
    assert before.keys() == after.keys()
    assert all(mx.array_equal(before[k], after[k]).item() for k in before)
    memory = bank.memory()
    args = model.args
    per_layer_a = 4 * (4 * args.hidden_size + 4 * args.hidden_size + 4 * args.intermediate_size)
    assert memory["a"] > per_layer_a and memory["b"] > memory["a"]


def test_rslora_and_mlx_lm_format(model, tmp_path):
    args = model.args
    rs = check_adapter(random_peft(tmp_path / "rs", args, r=4, alpha=8, use_rslora=True), args)
    assert rs.scale == pytest.approx(8 / 2)
    # The same weights in mlx-lm's layout ([in, r] / [r, out], scale given directly).
    peft = peft_tensors(args, 4, seed=3)
    mlx_dir = tmp_path / "mlx"
    mlx_dir.mkdir()
    tensors = {
        k.replace("base_model.model.", "")
        .replace(".lora_A.weight", ".lora_a")
        .replace(".lora_B.weight", ".lora_b"): v.T
        for k, v in peft.items()
    }
    mx.save_safetensors(str(mlx_dir / "adapters.safetensors"), tensors)
    (mlx_dir / "adapter_config.json").write_text(
        json.dumps(
            {
                "fine_tune_type": "lora",
                "num_layers": 3,
                "lora_parameters": {"rank": 4, "scale": 2.0, "dropout": 0.0},
            }
        )
    )
    write_peft(tmp_path / "peft", peft, 4, 8)
    bank = AdapterBank(model)
    bank.load("mlx", mlx_dir)
    bank.load("peft", tmp_path / "peft")
    bank.switch("mlx")
    a = logits(model)
    bank.switch("peft")
    assert mx.allclose(a, logits(model), atol=1e-6).item()


def test_saved_peft_round_trips(model, tmp_path):
    bank = AdapterBank(model)
    original = bank.load("a", random_peft(tmp_path / "a", model.args))
    bank.switch("a")
    expected = logits(model)
    save_peft(original, tmp_path / "saved", base_model="tiny")
    config = json.loads((tmp_path / "saved" / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["bias"] == "none"
    assert config["target_modules"] == ALL and config["base_model_name_or_path"] == "tiny"
    bank.load("a", tmp_path / "saved")  # replaces the active one in place
    assert bank.active == "a"
    assert mx.array_equal(logits(model), expected).item()


def test_wrong_layer_count_names_the_tensor(model, tmp_path):
    deeper = ModelArgs.from_dict({**TINY_MINICPM, "num_hidden_layers": 5})
    folder = random_peft(tmp_path / "deep", deeper)
    with pytest.raises(
        AdapterError,
        match=r"layers\.[34]\..*lora_.\.weight is for layer [34], but the model has 3 layers",
    ):
        AdapterBank(model).load("x", folder)
    shallow = ModelArgs.from_dict({**TINY_MINICPM, "num_hidden_layers": 2})
    with pytest.raises(AdapterError, match="covers 2 layers .* model has 3"):
        AdapterBank(model).load("x", random_peft(tmp_path / "shallow", shallow))


def test_wrong_shape_names_the_tensor(model, tmp_path):
    wider = ModelArgs.from_dict({**TINY_MINICPM, "hidden_size": 256})
    folder = write_peft(
        tmp_path / "w", peft_tensors(wider, 4, targets=["q_proj"]), 4, 8, targets=["q_proj"]
    )
    with pytest.raises(
        AdapterError,
        match=r"tensor base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight "
        r"has shape \(4, 256\)",
    ):
        AdapterBank(model).load("x", folder)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"use_dora": True}, "use_dora true"),
        ({"target_modules": ["q_proj", "fc1"]}, "target module 'fc1' does not exist"),
        ({"peft_type": "IA3"}, "peft_type IA3 is not supported"),
        ({"bias": "all"}, "bias 'all' is not supported"),
        ({"modules_to_save": ["lm_head"]}, "modules_to_save"),
    ],
)
def test_unsupported_features_are_refused(model, tmp_path, extra, message):
    folder = random_peft(tmp_path / "x", model.args, **extra)
    with pytest.raises(AdapterError, match=message):
        AdapterBank(model).load("x", folder)


def test_missing_files(model, tmp_path):
    bank = AdapterBank(model)
    with pytest.raises(AdapterError, match="does not exist"):
        bank.load("x", tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AdapterError, match="has no adapter_config.json"):
        bank.load("x", tmp_path / "empty")
    write_peft(tmp_path / "noweights", None, 4, 8)
    with pytest.raises(AdapterError, match="has no adapter_model.safetensors"):
        bank.load("x", tmp_path / "noweights")
    tensors = peft_tensors(model.args, 4)
    tensors.pop("base_model.model.model.layers.2.mlp.up_proj.lora_B.weight")
    write_peft(tmp_path / "half", tensors, 4, 8)
    with pytest.raises(AdapterError, match=r"model\.layers\.2\.mlp\.up_proj has no lora_B"):
        bank.load("x", tmp_path / "half")
    with pytest.raises(AdapterError, match="'ghost' is not loaded"):
        bank.switch("ghost")
