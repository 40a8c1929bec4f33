"""The state table is complete and self-consistent; mood names resolve."""

from __future__ import annotations

import pytest

from deskpet.pet import MOODS, SPECS, TABLE, State, mood_state


def test_every_state_has_exactly_one_row() -> None:
    assert [spec.state for spec in TABLE].count(State.IDLE) == 1
    assert set(SPECS) == set(State)
    assert len(TABLE) == len(State)


@pytest.mark.parametrize("spec", TABLE, ids=lambda spec: spec.state.value)
def test_row_is_consistent(spec) -> None:
    assert spec.min_seconds >= 0
    # An automatic return needs a destination, and may not cut the minimum time short.
    assert (spec.return_after is None) == (spec.returns_to is None)
    if spec.return_after is not None:
        assert spec.return_after >= spec.min_seconds
        assert spec.returns_to is not spec.state


def test_nothing_outranks_the_owners_hands() -> None:
    top = max(TABLE, key=lambda spec: spec.priority)
    assert top.state is State.DRAGGED
    assert min(TABLE, key=lambda spec: spec.priority).state is State.IDLE


@pytest.mark.parametrize(
    ("mood", "state"),
    [
        ("idle", State.IDLE),
        ("thinking", State.THINKING),
        ("working", State.WORKING),
        ("attention", State.ATTENTION),
        ("permission_request", State.ATTENTION),
        ("Permission request", State.ATTENTION),
        ("waiting-for-owner", State.ATTENTION),
        ("done", State.HAPPY),
        ("happy", State.HAPPY),
        ("error", State.ERROR),
    ],
)
def test_mood_names(mood, state) -> None:
    assert mood_state(mood) is state


def test_each_mood_name_means_one_state() -> None:
    names = [mood for spec in TABLE for mood in spec.moods]
    assert len(names) == len(set(names)) == len(MOODS)


def test_unknown_mood_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="permission_request"):
        mood_state("napping")
