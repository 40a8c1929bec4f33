"""Which known base a model is: its shapes AND the name it came by, never one alone."""

from __future__ import annotations

import pytest
from helpers.tiny import MINICPM5_1B, TINY_MINICPM

from deskpet.inference.bases import BASES, identify, source_names
from deskpet.inference.model import ModelArgs


@pytest.mark.parametrize(
    "source",
    [
        "/cache/deskpet/models/MiniCPM5-1B-MLX@0123abcd",
        "/cache/deskpet/models/MiniCPM5-1B-MLX-4bit@0123abcd",
        "/hf/hub/models--openbmb--MiniCPM5-1B-MLX/snapshots/0123456789abcdef",
        "/Downloads/MiniCPM5-1B-Q8_0.gguf",
    ],
)
def test_minicpm5_1b_is_known_by_its_shapes_and_its_names(source):
    assert identify(ModelArgs.from_dict(MINICPM5_1B), source) == "minicpm5-1b"


def test_the_demo_model_is_known_by_its_own_config_and_file_name(demo_lm):
    assert identify(demo_lm.args, demo_lm.source) == "smollm2-135m-instruct"
    assert demo_lm.source.name == "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.mark.parametrize(
    "source",
    [
        "/models/my-finetune@0123abcd",  # the right shapes under another name
        "/models/minicpm5-1bx.gguf",  # a name that only starts like it
        "/hf/hub/models--someone--Llama-1B/snapshots/0123",
    ],
)
def test_the_right_shapes_under_another_name_are_no_known_base(source):
    assert identify(ModelArgs.from_dict(MINICPM5_1B), source) is None


def test_the_right_name_on_other_shapes_is_no_known_base():
    # A persona's (or a file's) word alone is never enough: MiniCPM's name on a tiny model.
    tiny = ModelArgs.from_dict(TINY_MINICPM)
    assert identify(tiny, "/cache/deskpet/models/MiniCPM5-1B-MLX@0123abcd") is None
    one_more_layer = ModelArgs.from_dict({**MINICPM5_1B, "num_hidden_layers": 25})
    assert identify(one_more_layer, "/x/MiniCPM5-1B-MLX@0123abcd") is None


def test_source_names_strip_the_download_tail_and_the_extension():
    assert source_names("/m/MiniCPM5-1B-MLX@89abcdef") == ["minicpm5-1b-mlx"]
    assert source_names("/d/SmolLM2-135M-Instruct.Q4_1.gguf") == ["smollm2-135m-instruct.q4_1"]
    assert "minicpm5-1b-mlx" in source_names("/h/models--openbmb--MiniCPM5-1B-MLX/snapshots/abc")


def test_every_known_base_matches_its_own_shape_table():
    for base in BASES.values():
        args = ModelArgs.from_dict({"architectures": ["LlamaForCausalLM"], **base.shape})
        assert identify(args, f"/m/{base.names[0]}.gguf") == base.id
