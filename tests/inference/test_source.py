"""Which model: `--model X` > `--demo` > the `model` setting > the demo model, the same answer
for every command, and a line saying which when the command line named none."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from deskpet.inference.source import DEMO, add_model_options, choose, from_args, named


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path))
    return tmp_path


def configure(home: Path, text: str) -> None:
    (home / "settings.yaml").write_text(text)


def test_the_command_line_comes_first_and_says_nothing(home):
    configure(home, "model: /models/configured\n")
    said: list[str] = []
    assert choose("/models/given", True, say=said.append) == "/models/given"
    assert choose(None, True, say=said.append) == DEMO
    assert said == []


def test_the_configured_model_next_and_it_says_so(home):
    configure(home, "model: /models/configured\n")
    said: list[str] = []
    assert choose(say=said.append) == "/models/configured"
    assert len(said) == 1 and "configured model /models/configured" in said[0]


def test_the_demo_model_last_and_it_says_so(home):
    said: list[str] = []
    assert choose(say=said.append) == DEMO
    assert len(said) == 1 and "demo model" in said[0] and "no model configured" in said[0]


def test_an_unreadable_settings_file_means_the_demo_model_and_is_left_alone(home):
    configure(home, "model: [unclosed\n")
    said: list[str] = []
    assert choose(say=said.append) == DEMO
    assert len(said) == 1 and "settings.yaml" in said[0] and "demo model" in said[0]
    assert (home / "settings.yaml").read_text() == "model: [unclosed\n"


def test_named_is_the_command_line_alone(home):
    configure(home, "model: /models/configured\n")
    assert named("/models/given", True) == "/models/given"
    assert named(None, True) == DEMO
    assert named(None, False) is None


@pytest.mark.parametrize(
    ("argv", "model", "demo"),
    [
        (["--demo", "cmd"], None, True),
        (["cmd", "--demo"], None, True),
        (["--model", "/m/a", "cmd"], "/m/a", False),
        (["cmd", "--model", "/m/b"], "/m/b", False),
        (["--model", "/m/a", "cmd", "--model", "/m/b"], "/m/b", False),
        (["cmd"], None, False),
    ],
)
def test_model_options_work_before_and_after_the_command(home, argv, model, demo):
    parser = argparse.ArgumentParser()
    add_model_options(parser, top_level=True)
    add_model_options(parser.add_subparsers(dest="command").add_parser("cmd"))
    args = parser.parse_args(argv)
    assert (args.model, args.demo) == (model, demo)
    said: list[str] = []
    expected = named(model, demo) or DEMO  # no model configured in this home
    assert from_args(args, say=said.append) == expected
    assert bool(said) == (named(model, demo) is None)
