"""GGUF LoRA adapters (llama.cpp's convert_lora_to_gguf.py format) in the adapter bank.

One set of PEFT tensors is written both as a PEFT folder and as a GGUF LoRA the way the
converter writes it (names, alpha metadata, the q/k row permutation, its dtypes); applied to
the same base, both give the same logits. Bad files end in one AdapterError line.
"""

from __future__ import annotations

import mlx.core as mx
import numpy as np
import pytest
import yaml
from helpers.lora_files import peft_tensors, write_gguf_lora, write_peft
from helpers.tiny import TINY_MINICPM, tiny_model

from deskpet.cli import main
from deskpet.inference.lora import AdapterBank, AdapterError, check_adapter
from deskpet.inference.model import ModelArgs

TOKENS = mx.array([[3, 17, 42, 99, 5, 250, 8, 1]])
TOLERANCE = 1e-4
ARGS = ModelArgs.from_dict(TINY_MINICPM)


def logits(model):
    out = model(TOKENS, last_only=False)
    mx.eval(out)
    return out


def both_formats(tmp_path, args, dtype=np.float32, **tensor_options):
    """The same adapter as a PEFT folder and as a GGUF LoRA file (values exact in `dtype`)."""
    tensors = peft_tensors(args, 4, **tensor_options)
    tensors = {k: v.astype(mx.float16).astype(mx.float32) for k, v in tensors.items()}
    peft = write_peft(tmp_path / "peft", tensors, r=4, alpha=8, **_targets(tensor_options))
    gguf_file = write_gguf_lora(tmp_path / "lora.gguf", tensors, 8.0, args, dtype=dtype)
    return peft, gguf_file, tensors


def _targets(options):
    return {"targets": options["targets"]} if "targets" in options else {}


@pytest.mark.parametrize("dtype", [np.float32, np.float16], ids=["f32", "f16"])
def test_a_gguf_lora_gives_the_peft_logits(tmp_path, dtype):
    model = tiny_model(bits=4)
    base = logits(model)
    peft, gguf_file, _ = both_formats(tmp_path, model.args, dtype)
    bank = AdapterBank(model)
    bank.load("peft", peft)
    adapter = bank.load("gguf", gguf_file)
    assert (adapter.format, adapter.rank, adapter.alpha, adapter.scale) == ("gguf", 4, 8.0, 2.0)
    assert len(adapter.pairs) == 7 * model.args.num_hidden_layers
    bank.switch("peft")
    with_peft = logits(model)
    bank.switch("gguf")
    with_gguf = logits(model)
    assert mx.abs(with_peft - base).max().item() > 0.05  # the adapter does something
    assert mx.abs(with_gguf - with_peft).max().item() < TOLERANCE


def test_without_the_unpermutation_q_and_k_would_be_wrong(tmp_path):
    # The same file written with no permutation reads as a different adapter: the
    # un-permutation in the reader is what makes the logits above agree.
    model = tiny_model(bits=4)
    peft, _, tensors = both_formats(tmp_path, model.args)
    plain = write_gguf_lora(tmp_path / "plain.gguf", tensors, 8.0, model.args, permute=False)
    bank = AdapterBank(model)
    bank.load("peft", peft)
    bank.load("plain", plain)
    bank.switch("peft")
    with_peft = logits(model)
    bank.switch("plain")
    assert mx.abs(logits(model) - with_peft).max().item() > 1e-3


def test_on_the_demo_models_own_gguf_base(demo_lm, tmp_path):
    # A base llama.cpp converted (its q/k un-permuted by deskpet's loader) and a q/k-only
    # GGUF LoRA: the two permutations meet consistently.
    model = demo_lm.model
    peft, gguf_file, _ = both_formats(tmp_path, model.args, targets=["q_proj", "k_proj"])
    bank = AdapterBank(model)
    try:
        bank.load("peft", peft)
        bank.load("gguf", gguf_file)
        bank.switch("peft")
        with_peft = logits(model)
        bank.switch("gguf")
        assert mx.abs(logits(model) - with_peft).max().item() < TOLERANCE
    finally:
        bank.detach()


def test_a_folder_holding_one_gguf_lora_loads(tmp_path):
    _, gguf_file, _ = both_formats(tmp_path, ARGS)
    folder = tmp_path / "adapter"
    folder.mkdir()
    gguf_file.rename(folder / "neko.gguf")
    assert check_adapter(folder, ARGS).format == "gguf"
    (folder / "other.gguf").write_bytes((folder / "neko.gguf").read_bytes())
    with pytest.raises(AdapterError, match="holds 2 .gguf files"):
        check_adapter(folder, ARGS)


def _lora(tmp_path, **options):
    tensors = peft_tensors(ARGS, 4)
    alpha = options.pop("alpha", 8.0)
    return write_gguf_lora(tmp_path / "bad.gguf", tensors, alpha, ARGS, **options)


def _other_base(tmp_path):
    wide = ModelArgs.from_dict({**TINY_MINICPM, "intermediate_size": 256})
    return write_gguf_lora(tmp_path / "bad.gguf", peft_tensors(wide, 4), 8.0, ARGS)


def _deeper(tmp_path):
    deep = ModelArgs.from_dict({**TINY_MINICPM, "num_hidden_layers": 5})
    return write_gguf_lora(tmp_path / "bad.gguf", peft_tensors(deep, 4), 8.0, ARGS)


def _half(name):
    def make(tmp_path):
        tensors = {k: v for k, v in peft_tensors(ARGS, 4).items() if name not in k}
        return write_gguf_lora(tmp_path / "bad.gguf", tensors, 8.0, ARGS)

    return make


def _mixed_ranks(tmp_path):
    tensors = peft_tensors(ARGS, 4)
    tensors.update(peft_tensors(ARGS, 2, targets=["v_proj"]))
    return write_gguf_lora(tmp_path / "bad.gguf", tensors, 8.0, ARGS)


def _bytes(data):
    def make(tmp_path):
        path = tmp_path / "bad.gguf"
        path.write_bytes(data)
        return path

    return make


def _truncated(tmp_path):
    path = _lora(tmp_path)
    path.write_bytes(path.read_bytes()[:300])
    return path


ROW = np.zeros((4, 128), np.float32)
BAD = {
    "a model, not an adapter": (
        lambda p: _lora(p, general_type="model"),
        "general.type is 'model', not 'adapter'",
    ),
    "not a LoRA": (lambda p: _lora(p, adapter_type="control_vector"), "adapter.type is"),
    "no alpha": (lambda p: _lora(p, alpha=None), "has no adapter.lora.alpha"),
    "another architecture": (lambda p: _lora(p, arch="qwen2"), "for a qwen2 model"),
    "an embedding LoRA": (
        lambda p: _lora(p, extra={"token_embd.weight.lora_a": ROW}),
        "token_embd.weight.lora_a is not a LoRA weight of a Llama projection",
    ),
    "a norm": (
        lambda p: _lora(p, extra={"blk.0.attn_norm.weight.lora_a": ROW}),
        "blk.0.attn_norm.weight.lora_a is not a LoRA weight",
    ),
    "another base's widths": (_other_base, "the adapter was made for another base model"),
    "a deeper base": (_deeper, "but the model has 3 layers"),
    "a missing lora_b": (_half("mlp.up_proj.lora_B"), "mlp.up_proj has no lora_B tensor"),
    "mixed ranks": (_mixed_ranks, "different ranks"),
    "not GGUF at all": (_bytes(b"PK\x03\x04 a zip, renamed"), "not a valid GGUF file"),
    "empty": (_bytes(b""), "not a valid GGUF file"),
    "truncated": (_truncated, "not a valid GGUF file"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_gguf_lora_is_one_line(tmp_path, case):
    make, expected = BAD[case]
    path = make(tmp_path)
    with pytest.raises(AdapterError) as caught:
        check_adapter(path, ARGS)
    message = str(caught.value)
    assert "\n" not in message and expected in message, message


@pytest.mark.parametrize("named", [None, "adapter/owl.gguf"], ids=["default folder", "file"])
def test_persona_import_takes_a_gguf_lora(tmp_path, monkeypatch, capsys, named):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("deskpet.personas.cli._base_args", lambda _a: (ARGS, "tiny"))
    folder = tmp_path / "in" / "owl2"
    (folder / "adapter").mkdir(parents=True)
    persona = {
        "id": "owl2",
        "format": 1,
        "name": "Owl Two",
        "description": "Another owl.",
        "system_prompt": "You are an owl.",
        "greeting": "Hoo!",
        "theme": "sage",
        **({"adapter": named} if named else {}),
    }
    (folder / "persona.yaml").write_text(yaml.safe_dump(persona))
    _, gguf_file, _ = both_formats(tmp_path, ARGS)
    gguf_file.rename(folder / "adapter" / "owl.gguf")
    assert main(["persona", "import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Adapter fits tiny: r=4, alpha=8" in out and "21 projections" in out
    assert (tmp_path / "home" / "personas" / "owl2" / "adapter" / "owl.gguf").is_file()

    # The same persona naming a GGUF LoRA made for another base is refused, with one line.
    _deeper(tmp_path).replace(folder / "adapter" / "owl.gguf")
    assert main(["persona", "import", str(folder), "--replace"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not imported" in err and "model has 3 layers" in err, err
