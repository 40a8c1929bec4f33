"""Adapter target_modules from untrusted configs: regexes run in bounded work, bad values are
refused with one line."""

from __future__ import annotations

import itertools
import json
import re
import threading

import pytest

from deskpet.inference.lora_config import AdapterError, read_spec
from deskpet.inference.lora_targets import MAX_PROGRAM, PROJECTIONS, SafePattern, TargetError


def write_config(folder, **config):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 4, **config}))
    return folder


def spec_in_thread(folder, timeout: float = 30.0):
    """read_spec in a thread, so a pattern that runs away shows as a join that timed out."""
    outcome: dict = {}

    def run():
        try:
            outcome["spec"] = read_spec(folder)
        except Exception as e:  # noqa: BLE001 - the test inspects whatever came out
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "reading the adapter config did not finish"
    return outcome


@pytest.mark.parametrize(
    "pattern", [r"(.*)*!", r"(a+)+$", r"(.*a){20}", r"(m|mo|mod|.)*(.*)*\d{3}x", r"(.*.*.*)*q"]
)
def test_a_catastrophic_target_regex_ends_in_bounded_work(tmp_path, pattern):
    # GIVEN a hub adapter whose target_modules would backtrack for ages in Python's re
    folder = write_config(tmp_path / "evil", target_modules=pattern)
    # WHEN deskpet reads it THEN it finishes, and says in one line that nothing matched
    outcome = spec_in_thread(folder)
    error = outcome.get("error")
    assert isinstance(error, AdapterError), outcome
    assert "\n" not in str(error) and "matches no module" in str(error)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ("(unclosed", "is not a valid regex"),
        ("*q_proj", "is not a valid regex"),
        (r"(?=.*q_proj).*", "regex syntax deskpet does not run"),
        (r"(q)\1", "regex syntax deskpet does not run"),
        ("x" * 600, "longer than 500"),
        ("(.*){99}" * 15, "too large"),
        ("q{1000}", "is not a valid regex|more than 100 times"),
        (42, "must be a non-empty list or a regex"),
        ({"q_proj": 1}, "must be a non-empty list or a regex"),
        ([], "must be a non-empty list or a regex"),
        (["q_proj", 7], "holds 7, which is not a module name"),
        (["q_proj", None], "holds None"),
        (["q_proj", ["v_proj"]], "which is not a module name"),
    ],
)
def test_a_malformed_target_modules_is_one_line(tmp_path, targets, message):
    folder = write_config(tmp_path / "bad", target_modules=targets)
    error = spec_in_thread(folder).get("error")
    assert isinstance(error, AdapterError)
    assert "\n" not in str(error)
    assert re.search(message, str(error)), str(error)


@pytest.mark.parametrize(
    "params",
    [
        {"rank": 4, "scale": 2.0, "keys": [1, 2]},
        {"rank": 4, "scale": 2.0, "keys": "self_attn.q_proj"},
        {"rank": 4, "scale": 2.0, "keys": [None]},
        [4, 2.0],
    ],
)
def test_mlx_keys_that_are_not_names_are_one_line(tmp_path, params):
    folder = tmp_path / "mlx"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"lora_parameters": params}))
    error = spec_in_thread(folder).get("error")
    assert isinstance(error, AdapterError) and "\n" not in str(error)


@pytest.mark.parametrize("layers", ["0,1", [0, "1"], [-1], True, {"0": 1}])
def test_bad_layers_to_transform_is_one_line(tmp_path, layers):
    folder = write_config(tmp_path / "l", target_modules=["q_proj"], layers_to_transform=layers)
    error = spec_in_thread(folder).get("error")
    assert isinstance(error, AdapterError) and "layers_to_transform" in str(error)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r".*\.(q_proj|v_proj)", ["q_proj", "v_proj"]),
        (r"model\.layers\.\d+\.self_attn\.(q|k)_proj", ["q_proj", "k_proj"]),
        (r"^.*(?:gate|up|down)_proj$", ["gate_proj", "up_proj", "down_proj"]),
        (r".*mlp\.[a-z]+_proj", ["gate_proj", "up_proj", "down_proj"]),
        (r".*layers\.[0-9]{1,2}\.self_attn\.[^kq]_proj", ["v_proj", "o_proj"]),
        (r".*(?P<p>o_proj)", ["o_proj"]),
        (r".*\.\w+?_proj", list(PROJECTIONS)),
    ],
)
def test_a_peft_target_regex_selects_the_same_modules_as_python_re(tmp_path, pattern, expected):
    names = {p: f"model.layers.0.{block}.{p}" for p, block in PROJECTIONS.items()}
    assert [p for p, n in names.items() if re.fullmatch(pattern, n)] == expected
    write_config(tmp_path / "ok", target_modules=pattern)
    with pytest.raises(AdapterError, match="has no adapter_model.safetensors"):
        read_spec(tmp_path / "ok")  # the targets were accepted; only the weights are missing
    safe = SafePattern(pattern)
    assert [p for p, n in names.items() if safe.fullmatch(n)] == expected


@pytest.mark.parametrize(
    "pattern",
    [r"a*b?c+", r"(ab|a)*b", r"[a-c]+\.x{2,3}", r"(a|)*", r"[^.]*\.[^.]*", r"a{2,}b{,2}", "(a*)*"],
)
def test_the_safe_matcher_agrees_with_re_on_small_words(pattern):

    safe = SafePattern(pattern)
    for n in range(6):
        for word in map("".join, itertools.product("abcx.", repeat=n)):
            assert safe.fullmatch(word) == bool(re.fullmatch(pattern, word)), (pattern, word)


def test_the_program_is_capped():
    with pytest.raises(TargetError, match="too large"):
        SafePattern("(.*){99}" * 20)
    assert len(SafePattern("(q|k|v)_proj").program) < MAX_PROGRAM
