"""`deskpet bench --bridge`: real hook processes against a real socket in a throwaway folder."""

from __future__ import annotations

import json
import math

from deskpet import cli
from deskpet.bridge import bench_bridge, server


def test_every_run_arrives_and_the_numbers_are_ordered(home):
    result = bench_bridge.hook_round_trip(runs=4)
    assert (result.runs, result.arrived) == (4, 4)
    for timing in (result.arrival, result.exit):
        assert 0 < timing.min <= timing.median <= timing.p95 <= timing.max
    assert "median" in result.table() and "4 arrived" in result.table()


def test_the_bench_never_talks_to_the_owners_pet(home):
    # GIVEN the owner's pet listening WHEN the bench runs THEN none of its events reach it
    got = []
    with server.BridgeServer(got.append):
        assert bench_bridge.hook_round_trip(runs=2).arrived == 2
    assert got == []


def test_a_hook_that_never_delivers_is_counted(home):
    # A hook that exits at once sends nothing: a short wait for its event is enough.
    result = bench_bridge.hook_round_trip(runs=2, argv=["/bin/true"], arrival_timeout=0.5)
    assert result.arrived == 0 and math.isnan(result.arrival.median)


def test_percentiles():
    timing = bench_bridge.Timing.of([float(i) for i in range(1, 101)])
    assert (timing.median, timing.p95, timing.min, timing.max) == (50.5, 95.0, 1.0, 100.0)


def test_cli_json(home, capsys):
    assert cli.main(["bench", "--bridge", "--runs", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ordinary"]["arrived"] == 2
    assert data["permission"]["rounds"] == 2 and data["permission"]["failures"] == 0
