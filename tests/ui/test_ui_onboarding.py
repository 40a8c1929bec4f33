"""OnboardingWindow: what it says about the machine, and local models checked before use."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from deskpet.ui.onboarding import MachineFacts, OnboardingWindow, describe, gather_facts

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
    window = OnboardingWindow(MAC)
    qtbot.addWidget(window)
    assert "Apple Silicon Mac" in window.checks.text()
    button = window.findChild(QPushButton, "download-model")
    assert "MiniCPM5-1B" in button.text() and "608 MB" in button.text()
    with qtbot.waitSignal(window.on_download_chosen):
        button.click()
    with qtbot.waitSignal(window.on_demo_chosen):
        window.findChild(QPushButton, "use-demo").click()


def test_a_folder_that_is_not_a_model_is_refused_with_the_loaders_reason(qtbot, tmp_path):
    window = OnboardingWindow(LINUX)
    qtbot.addWidget(window)
    window.show()
    with qtbot.assertNotEmitted(window.on_model_chosen):
        assert not window.choose_local_model(tmp_path)
    assert window.error.isVisible()
    assert "has no config.json" in window.error.text()
    (tmp_path / "notes.txt").write_text("hi")
    assert not window.choose_local_model(tmp_path / "notes.txt")
    assert "not a model" in window.error.text()


def test_a_readable_gguf_is_accepted(qtbot, demo_gguf):
    window = OnboardingWindow(MAC)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.on_model_chosen) as chosen:
        assert window.choose_local_model(demo_gguf)
    assert chosen.args == [str(demo_gguf)]
    assert window.error.isHidden()
