"""The thinking rule (personas/thinking.py): a persona trained without thinking holds it off;
an answer that thinks gets the token floor. No Qt: the chat and the menu both ask this."""

from __future__ import annotations

import pytest

from deskpet.personas.manager import PersonaManager
from deskpet.personas.persona import shipped_dir
from deskpet.personas.thinking import (
    THINKING_MIN_TOKENS,
    Thinking,
    answer_budget,
    thinking_for,
)


@pytest.fixture
def personas(tmp_path):
    return PersonaManager(shipped=shipped_dir(), owner=tmp_path / "none")


def test_a_persona_trained_without_thinking_holds_it_off_whatever_the_owner_chose(personas):
    neko = personas.get("neko")
    assert neko.thinking is False  # the shipped cat, as the seed app's NekoQA was trained
    assert thinking_for(True, neko) == Thinking(False, "Neko")
    assert thinking_for(False, neko) == Thinking(False, "Neko")


def test_a_persona_that_may_think_follows_the_owner(personas):
    pip = personas.get("deskpet")
    assert pip.thinking is True
    assert thinking_for(True, pip) == Thinking(True, "")
    assert thinking_for(False, pip) == Thinking(False, "")
    assert thinking_for(True, None) == Thinking(True, "")  # no persona could be loaded


def test_an_answer_that_thinks_gets_at_least_the_floor():
    assert THINKING_MIN_TOKENS == 1280
    assert answer_budget(512, think=True) == 1280
    assert answer_budget(4000, think=True) == 4000  # the owner's larger limit stands
    assert answer_budget(512, think=False) == 512
    assert answer_budget(24, think=False) == 24
    # A model whose template cannot think never writes reasoning: no floor for it.
    assert answer_budget(512, think=True, model_thinks=False) == 512
