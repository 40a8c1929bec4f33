"""WalkPlanner with a fake clock: walks only when allowed, along its own span, and sits again."""

from __future__ import annotations

import random

from deskpet.pet.walk import LEFT, RIGHT, WalkPlanner, WalkTimings

TIMINGS = WalkTimings(every=(10.0, 10.0), distance=(50.0, 50.0), speed=25.0)


def planner(seed: int = 1) -> WalkPlanner:
    return WalkPlanner(random.Random(seed), TIMINGS)


def test_sits_until_its_interval_then_walks_the_distance_and_sits_again():
    walk = planner()
    assert not walk.update(0.0, 400, 0, 1000, blocked=False).walking
    assert not walk.update(9.9, 400, 0, 1000, blocked=False).walking
    start = walk.update(10.0, 400, 0, 1000, blocked=False)
    assert start.walking and start.facing in (LEFT, RIGHT)
    mid = walk.update(11.0, 400, 0, 1000, blocked=False)
    assert abs(mid.x - 400) == 25.0
    end = walk.update(12.5, mid.x, 0, 1000, blocked=False)
    assert not end.walking and abs(end.x - 400) == 50.0
    # And it waits a full interval before the next walk.
    assert not walk.update(20.0, end.x, 0, 1000, blocked=False).walking
    assert walk.update(22.5, end.x, 0, 1000, blocked=False).walking


def test_never_starts_while_blocked_and_the_wait_starts_over_after():
    walk = planner()
    walk.update(0.0, 400, 0, 1000, blocked=False)
    for t in range(10, 60, 5):  # an agent works (or a card, the bubble, a full-screen app)
        assert not walk.update(float(t), 400, 0, 1000, blocked=True).walking
    assert not walk.update(60.0, 400, 0, 1000, blocked=False).walking
    assert walk.update(65.0, 400, 0, 1000, blocked=False).walking


def test_a_walk_stops_where_it_is_the_moment_something_blocks_it():
    walk = planner()
    walk.update(0.0, 400, 0, 1000, blocked=False)
    walk.update(10.0, 400, 0, 1000, blocked=False)
    moving = walk.update(11.0, 400, 0, 1000, blocked=False)
    stopped = walk.update(11.2, moving.x, 0, 1000, blocked=True)
    assert not stopped.walking and stopped.x == moving.x
    assert not walk.walking


def test_stays_within_its_screen_span_and_turns_towards_the_room():
    for seed in range(20):
        walk = planner(seed)
        walk.update(0.0, 990, 0, 1000, blocked=False)
        x, t = 990.0, 10.0
        while t < 14.0:
            step = walk.update(t, x, 0, 1000, blocked=False)
            assert 0 <= step.x <= 1000
            if step.walking:
                assert step.facing == LEFT  # only 10 px of room to the right
            x, t = step.x, t + 0.25
        assert x < 990


def test_no_room_no_walk():
    walk = planner()
    walk.update(0.0, 0, 0, 0, blocked=False)
    assert not walk.update(30.0, 0, 0, 0, blocked=False).walking
