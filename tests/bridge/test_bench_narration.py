"""`deskpet bench --narration`'s measuring loop, shortened: one agent turn, a small cap, the
real hook process, bridge server, tracker, narrator and demo model."""

from __future__ import annotations

import pytest

from deskpet.bridge.bench_narration import TURNS, format_narration, narration_bench
from deskpet.inference.worker import InferenceWorker


@pytest.fixture
def worker(demo_gguf):
    worker = InferenceWorker().start()
    list(worker.events_for(worker.load(demo_gguf, stream=True), timeout=300))
    yield worker
    assert worker.shutdown()


@pytest.mark.slow
def test_each_mode_narrates_the_same_turn_through_the_bridge(worker):
    results = narration_bench(worker, turns=TURNS[:1], cap=8)

    by_mode = {r.mode: r for r in results}
    assert list(by_mode) == ["before", "no cache", "after"]
    for r in results:
        assert len(r.seconds) == 1 and r.seconds[0] > 0
        assert r.lines[0].startswith("Claude · shop: ")
    # The old way decodes at least as far as the new; only "no cache" reads the prefix again.
    assert by_mode["before"].tokens[0] >= by_mode["after"].tokens[0]
    assert by_mode["before"].prefix_read == by_mode["after"].prefix_read == [0]
    assert by_mode["no cache"].prefix_read[0] > 10
    # Greedy: the new line is the old line's first sentence.
    assert by_mode["before"].lines[0].startswith(by_mode["after"].lines[0].rstrip("…"))
    assert "of before's time" in format_narration(results, "demo")
