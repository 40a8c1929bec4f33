"""OnboardingWindow: what it says about the machine, and local models checked before use."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from deskpet.inference.worker import InferenceWorker, check_model
from deskpet.ui.onboarding import (
    MachineFacts,
    OnboardingWindow,
    describe,
    gather_facts,
    progress_line,
)
from deskpet.ui.relay import Relay

GB = 1024**3
MAC = MachineFacts("darwin", "arm64", "14.5", 16 * GB, 200 * 1000**3)
LINUX = MachineFacts("linux", "x86_64", "", 4 * GB, 300 * 1000**2)


def test_an_apple_silicon_mac_is_described_plainly():
    text = "\n".join(line for _good, line in describe(MAC))
    assert "Apple Silicon Mac with macOS 14.5" in text
    assert "16 GB of memory" in text
    assert "200.0 GB free" in text and "608 MB download" in text
    assert all(good for good, _line in describe(MAC))


def test_a_small_linux_box_is_told_what_will_not_go_well():
    lines = describe(LINUX)
    text = "\n".join(line for _good, line in lines)
    assert "Not an Apple Silicon Mac (linux on x86_64)" in text
    assert "Only 4 GB of memory" in text
    assert "Only 300 MB free" in text
    assert not any(good for good, _line in lines)


def test_the_facts_of_this_machine_are_gathered():
    facts = gather_facts()
    assert facts.machine and facts.memory and facts.free_disk is not None


def test_the_window_shows_the_checks_and_the_three_choices(qtbot):
    window = OnboardingWindow(MAC, checker=lambda _path: None)
    qtbot.addWidget(window)
    assert "Apple Silicon Mac" in window.checks.text()
    button = window.findChild(QPushButton, "download-model")
    assert "MiniCPM5-1B" in button.text() and "608 MB" in button.text()
    with qtbot.waitSignal(window.on_download_chosen):
        button.click()
    with qtbot.waitSignal(window.on_demo_chosen):
        window.findChild(QPushButton, "use-demo").click()


def test_a_folder_that_is_not_a_model_is_refused_with_the_loaders_reason(qtbot, tmp_path):
    # The loader runs right here, on the test's thread: no worker is needed to read a folder.
    window = OnboardingWindow(
        LINUX, checker=lambda path: window.model_checked(path, check_model(path))
    )
    qtbot.addWidget(window)
    window.show()
    with qtbot.assertNotEmitted(window.on_model_chosen):
        with qtbot.waitSignal(window.on_model_checked) as checked:
            window.choose_local_model(tmp_path)
        assert "has no config.json" in checked.args[1]
        assert window.error.isVisible()
        assert "has no config.json" in window.error.text()
        (tmp_path / "notes.txt").write_text("hi")
        with qtbot.waitSignal(window.on_model_checked):
            window.choose_local_model(tmp_path / "notes.txt")
    assert "not a model" in window.error.text()
    assert window.download_button.isEnabled()  # the choices are back after each check


def test_the_inference_worker_checks_a_gguf_while_the_window_waits(qtbot, demo_gguf):
    # GIVEN the window asking the real inference worker, as the app does
    relay = Relay()
    worker = InferenceWorker(relay.post).start()
    window = OnboardingWindow(MAC, checker=worker.check)
    relay.on_model_checked.connect(lambda _id, path, reason: window.model_checked(path, reason))
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(window.on_model_chosen, timeout=30_000) as chosen:
            window.choose_local_model(demo_gguf)
            # THEN while the worker reads it, the window says so and the choices wait
            assert "Checking SmolLM2" in window.error.text()
            assert not window.download_button.isEnabled()
        assert chosen.args == [str(demo_gguf)]
        assert window.error.isHidden() and window.download_button.isEnabled()
    finally:
        assert worker.shutdown(5)


def test_the_download_page_reports_bytes_speed_and_time_left(qtbot, monkeypatch):
    window = OnboardingWindow(MAC, checker=lambda _path: None)
    qtbot.addWidget(window)
    clock = iter([100.0, 102.0])
    monkeypatch.setattr("deskpet.ui.onboarding.time.monotonic", lambda: next(clock))
    window.show_download()
    assert window.page == "download"
    window.set_progress(100 * 1000**2, 600 * 1000**2)  # 100 MB from an earlier try
    window.set_progress(110 * 1000**2, 600 * 1000**2)  # 10 MB in 2 s: 5 MB/s
    assert window.progress.value() == 183
    assert window.progress_text.text() == "110 MB of 600 MB · 5.0 MB/s · about 2 min left"
    with qtbot.waitSignal(window.on_download_stopped):
        window.findChild(QPushButton, "stop-download").click()


def test_the_offer_says_what_is_already_on_disk(qtbot):
    window = OnboardingWindow(MAC, checker=lambda _path: None)
    qtbot.addWidget(window)
    window.set_download_offer(have=312 * 1000**2)
    assert (
        "Resume the download of MiniCPM5-1B (312 MB already here)" in window.download_button.text()
    )
    window.set_download_offer(downloaded=True)
    assert "already downloaded" in window.download_button.text()


def test_progress_lines():
    assert progress_line(5 * 1000**2, 608 * 1000**2, None) == "5 MB of 608 MB"
    assert progress_line(5 * 1000**2, 608 * 1000**2, 20 * 1000**2).endswith("about 30 s left")
    assert progress_line(608 * 1000**2, 608 * 1000**2, 1e6) == "608 MB of 608 MB"
