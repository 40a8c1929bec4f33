"""`deskpet persona eval`: held-out loss and style score with and without an adapter, on a tiny
random Llama that reads the demo model's tokenizer (real MLX, tiny sizes), and the command's
refusals before any model loads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import mlx.core as mx
import pytest
from helpers.tiny import tiny_model

from deskpet.cli import main
from deskpet.inference.load import LoadedModel
from deskpet.inference.lora import LoRALinear
from deskpet.inference.model import ModelArgs
from deskpet.personas import PersonaManager
from deskpet.personas.adapters import AdapterEntry, HubSource
from deskpet.personas.eval import adapter_for, evaluate, has_mark, held_out_prompts
from deskpet.personas.persona import shipped_dir
from deskpet.personas.train import train


def tiny_lm(tokenizer, eos_ids) -> LoadedModel:
    """Two 4-bit layers, 64 wide, with the demo tokenizer's whole vocabulary."""
    config = {
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 49152,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False,
        "max_position_embeddings": 2048,
    }
    model = tiny_model(config, bits=4, seed=3)
    args = ModelArgs.from_dict(config)
    return LoadedModel(
        model, tokenizer, args, "mlx", Path("tiny"), "4-bit g64", mx.float32, eos_ids
    )


def test_marks_match_without_case_and_prompts_are_bounded():
    assert has_mark("Sure, NYA~ here it is", ["nya"]) and has_mark("好的喵", ["nya", "喵"])
    assert not has_mark("Sure, here it is", ["nya", "喵"])
    # A Latin mark counts at a word's start (Sage's "hoo" is no owl in "choose" or "school");
    # a Chinese one anywhere, even right after a Latin word.
    assert has_mark("Hoo... let us see", ["hoo"]) and has_mark("Nyaaa~ yes", ["nya"])
    assert has_mark("(hoo-hoo) fine", ["hoo"]) and has_mark("Claude喵", ["喵"])
    assert not has_mark("Choose a school, or a shoot", ["hoo"])
    data = [
        [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]
        for i in range(9)
    ]
    assert held_out_prompts(data, 3) == ["q0", "q1", "q2"]


def test_the_shipped_personas_declare_marks_their_data_carries():
    manager = PersonaManager(owner=Path("/nonexistent"))
    from deskpet.personas.train import read_examples

    # Nearly every answer carries the voice (Neko's "nya"/"喵", Bolt's "Beep!"/"哔！", Sage's
    # "Hoo."/"咕。"), held-out ones too, so a short run can learn it and the eval can see it.
    for pid in ("neko", "bolt", "sage"):
        persona = manager.get(pid)
        for split in ("train", "valid"):
            answers = [m[-1]["content"] for m in read_examples(persona.train_file(split))]
            share = sum(has_mark(a, list(persona.marks)) for a in answers) / len(answers)
            assert persona.marks and share >= 0.9, (pid, split, share)
    # Bolt's and Sage's tic is not in their prompts: it is the adapter that carries it.
    for pid in ("bolt", "sage"):
        persona = manager.get(pid)
        assert not has_mark(persona.system_prompt, list(persona.marks)), pid


def test_the_shipped_training_sets_are_what_make_data_writes():
    # personas/make_data.py is the source of the sets: edited and re-run, never hand-edited.
    import importlib.util

    script = shipped_dir() / "make_data.py"
    spec = importlib.util.spec_from_file_location("make_data", script)
    make_data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_data)
    for i, voice in enumerate((make_data.Neko(), make_data.Bolt(), make_data.Sage())):
        train, valid = make_data.build(voice, seed=i)
        for split, rows in (("train", train), ("valid", valid)):
            written = (script.parent / voice.id / f"{split}.jsonl").read_text(encoding="utf-8")
            assert [json.loads(line) for line in written.splitlines()] == rows, (voice.id, split)


@pytest.mark.slow
def test_an_adapter_trained_on_the_voice_lowers_loss_and_raises_the_style_score(demo_lm, tmp_path):
    lm = tiny_lm(demo_lm.tokenizer, demo_lm.eos_token_ids)
    persona = dataclasses.replace(
        PersonaManager().get("neko"), system_prompt="You are Neko.", marks=("cat cat",)
    )
    # The voice to learn: every answer repeats one token (" cat"), which a random model with a
    # 49k vocabulary does not say twice in a row.
    data = [
        [{"role": "user", "content": q}, {"role": "assistant", "content": "cat cat cat cat cat"}]
        for q in ("Hi", "How are you?", "Fix my bug", "What time is it?")
    ]
    train(
        lm,
        persona,
        data,
        data,
        steps=30,
        rank=8,
        alpha=16,
        learning_rate=5e-2,
        batch_size=4,
        base_dtype="float32",
        save_dtype="float16",
        out=tmp_path / "adapter",
    )
    before = lm.model(mx.array([[1, 2, 3]]))
    result = evaluate(lm, persona, tmp_path / "adapter", data, ["cat cat"], prompts=4, max_tokens=6)
    assert result.prompts == 4 and len(result.adapter.answers) == 4
    assert result.adapter.loss < result.without.loss - 1.0, result
    assert result.without.style == 0.0 and result.adapter.style >= 0.75, result
    # The model is left as loaded.
    assert not any(isinstance(m, LoRALinear) for m in lm.model.modules())
    assert mx.array_equal(lm.model(mx.array([[1, 2, 3]])), before)


def test_adapters_entry_for_the_base_wins_over_adapter(tmp_path):
    ours = str(tmp_path / "adapters" / "s")
    persona = dataclasses.replace(
        PersonaManager().get("neko"),
        adapter="/elsewhere",
        adapters=(
            AdapterEntry("other", path="/a"),
            AdapterEntry("smollm2-135m-instruct", path=ours),
            AdapterEntry("minicpm5-1b", hub=HubSource("owner/name")),
        ),
    )
    assert adapter_for(persona, "smollm2-135m-instruct") == ours
    assert adapter_for(persona, "minicpm5-1b") is None  # still on the hub: nothing local
    assert adapter_for(persona, "unknown-base") == "/elsewhere"
    assert adapter_for(persona, None) == "/elsewhere"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["persona", "eval", "nope"], "no persona 'nope'"),
        (["persona", "eval", "deskpet", "--valid", "VALID"], "has no adapter for this model"),
    ],
)
def test_cli_eval_refuses_before_loading_a_model(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "home"))
    valid = tmp_path / "valid.jsonl"
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    valid.write_text(json.dumps({"messages": turns}) + "\n")
    argv = [str(valid) if a == "VALID" else a for a in argv]
    assert main([*argv, "--model", str(tmp_path / "no-model")]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
