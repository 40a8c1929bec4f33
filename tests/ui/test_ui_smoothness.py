"""The smoothness benchmark: frame timing of the pet while background work runs."""

from __future__ import annotations

import threading
import time

import pytest

from deskpet.ui.smoothness import measure_smoothness, percentile


def test_percentile():
    assert percentile([], 50) == 0.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(v) for v in range(101)], 99) == pytest.approx(99.0)


def test_measures_while_work_runs(qapp, ui_home):
    calls = []

    def start():
        stop = threading.Event()

        def busy():
            while not stop.is_set():
                sum(range(2000))  # Python-side work, like the worker's generation loop
                time.sleep(0.001)  # ... which waits on MLX between tokens, freeing the GIL

        thread = threading.Thread(target=busy, name="bench-busy")
        thread.start()
        calls.append("started")
        return lambda: (stop.set(), thread.join(), calls.append("stopped"))

    # Long enough that a loaded CI machine still sees several frames (14 expected).
    result = measure_smoothness(2.0, start, state="talking")
    assert calls == ["started", "stopped"]
    assert result["state"] == "talking"
    assert result["scheduled_ms"] == 140
    assert result["frames"] >= 3, result
    assert result["interval_p50_ms"] >= 130
    assert 0 <= result["late_p50_ms"] <= result["late_p99_ms"] <= result["late_max_ms"]
    assert result["interval_p99_ms"] < 1000


def test_measures_idle_without_touching_settings(qapp, ui_home):
    result = measure_smoothness(0.5)
    assert result["frames"] >= 2
    assert not (ui_home / "settings.yaml").exists()
