"""SettingsWindow: built from SETTINGS, changes saved at once, refusals shown inline."""

from __future__ import annotations

import json

import pytest
import yaml
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLabel, QLineEdit, QPushButton, QSpinBox

from deskpet.settings import SETTINGS, Settings
from deskpet.ui.settings_window import SettingsWindow


@pytest.fixture
def home(tmp_path, monkeypatch, ui_home):
    """A temporary HOME (agents' config folders) next to the temporary DESKPET_HOME."""
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("CODEX_HOME", raising=False)
    monkeypatch.setenv("PATH", "")  # no agent programs: only their folders count
    return user


@pytest.fixture
def window(qtbot, home):
    window = SettingsWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def editor(window, key, kind=None):
    found = window.findChild(kind or object, f"setting-{key}")
    assert found is not None, f"no control for {key}"
    return found


def test_every_visible_setting_has_a_control(window):
    for setting in SETTINGS:
        found = window.findChild(object, f"setting-{setting.key}")
        assert (found is not None) == setting.visible, setting.key
        if setting.visible:
            assert setting.help in found.toolTip()
    assert isinstance(editor(window, "narration"), QCheckBox)
    assert isinstance(editor(window, "max_tokens"), QSpinBox)
    spin = editor(window, "temperature", QDoubleSpinBox)
    assert (spin.minimum(), spin.maximum()) == (0.0, 2.0)
    assert isinstance(editor(window, "dnd_schedule"), QLineEdit)


def test_a_checkbox_and_a_spinbox_are_saved_at_once(qtbot, window, ui_home):
    # GIVEN the default settings WHEN the owner ticks a box THEN it is on disk and announced
    with qtbot.waitSignal(window.on_setting_changed) as changed:
        editor(window, "thinking_default", QCheckBox).click()
    assert changed.args == ["thinking_default", True]
    assert Settings().get("thinking_default") is True
    # WHEN a spin box moves THEN likewise
    with qtbot.waitSignal(window.on_setting_changed) as changed:
        editor(window, "max_tokens", QSpinBox).setValue(300)
    assert changed.args == ["max_tokens", 300]
    assert Settings().get("max_tokens") == 300
    assert (ui_home / "settings.yaml").read_text().count("max_tokens: 300") == 1


def test_a_value_out_of_pattern_is_refused_inline(qtbot, window, ui_home):
    line = editor(window, "dnd_schedule", QLineEdit)
    with qtbot.assertNotEmitted(window.on_setting_changed):
        line.setText("after dinner")
        line.editingFinished.emit()
    error = window.findChild(QLabel, "setting-error-dnd_schedule")
    assert error.isVisible() and "expected form" in error.text()
    assert line.text() == "after dinner"  # kept, to be corrected
    assert not (ui_home / "settings.yaml").exists()
    # A good value clears the error and is saved.
    line.setText("22:00-08:00")
    line.editingFinished.emit()
    assert not error.isVisible()
    assert Settings().get("dnd_schedule") == "22:00-08:00"


def test_an_unreadable_settings_file_is_reported_and_left_alone(qtbot, home, ui_home):
    path = ui_home / "settings.yaml"
    original = b"narration: [unclosed\n"
    path.write_bytes(original)
    window = SettingsWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.banner.isVisible() and "not valid YAML" in window.banner.text()
    box = editor(window, "narration", QCheckBox)
    assert not box.isEnabled()
    with qtbot.assertNotEmitted(window.on_setting_changed):
        window.apply("narration", False)
    assert path.read_bytes() == original


def test_a_file_broken_while_open_refuses_the_change(qtbot, window, ui_home):
    path = ui_home / "settings.yaml"
    broken = b"persona: {oops\n"
    path.write_bytes(broken)
    box = editor(window, "narration", QCheckBox)
    assert box.isChecked()
    with qtbot.assertNotEmitted(window.on_setting_changed):
        box.click()
    assert path.read_bytes() == broken
    assert box.isChecked()  # unticked, refused, ticked again: the value in effect
    assert window.settings.get("narration") is True
    assert window.banner.isVisible() and str(path) in window.banner.text()
    assert window.findChild(QLabel, "setting-error-narration").isVisible()

    # WHEN the owner mends the file by hand and then changes another setting
    path.write_bytes(b"narration: false\n")
    assert window.apply("bubble_fade_seconds", 4)
    # THEN only that one is written: nothing deskpet failed to save earlier overwrites the
    # owner's own edit
    saved = yaml.safe_load(path.read_text())
    assert saved == {"narration": False, "bubble_fade_seconds": 4}


def test_the_agent_toggle_installs_claudes_hooks(qtbot, window, home):
    box = window.findChild(QCheckBox, "agent-claude")
    assert not box.isEnabled()  # no ~/.claude: Claude Code is not on this computer
    (home / ".claude").mkdir()
    window.refresh_agents()
    assert box.isEnabled() and not box.isChecked()
    with qtbot.waitSignal(window.on_agent_changed) as changed:
        box.click()
    assert changed.args == ["claude"]
    hooks = json.loads((home / ".claude" / "settings.json").read_text())["hooks"]
    assert "Stop" in hooks
    assert box.isChecked()
    assert "Connected" in window.findChild(QLabel, "agent-status-claude").text()
    box.click()  # and off again: the file deskpet created is gone
    assert not (home / ".claude" / "settings.json").exists()


def test_an_agent_file_deskpet_cannot_read_is_named_and_left_alone(qtbot, window, home):
    # GIVEN Claude Code's settings.json broken by hand
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text("{ not json")
    # WHEN the window reads the agents' state
    window.refresh_agents()
    # THEN the line says which file and why, in the installer's words, and nothing can be ticked
    line = window.findChild(QLabel, "agent-status-claude").text()
    assert line.startswith("cannot read ~/.claude/settings.json (")
    assert line.endswith("; deskpet will not touch it")
    assert not window.findChild(QCheckBox, "agent-claude").isEnabled()
    assert (home / ".claude" / "settings.json").read_text() == "{ not json"


def test_rerun_onboarding_and_edit_file_buttons_emit(qtbot, window):
    with qtbot.waitSignal(window.on_rerun_onboarding):
        window.findChild(QPushButton, "rerun-onboarding").click()
    with qtbot.waitSignal(window.on_open_settings_file):
        window.findChild(QPushButton, "edit-settings-file").click()
    assert window.findChild(QPushButton, "open-data-folder") is not None


def test_launch_at_login_is_kept_and_says_macos_only(qtbot, window):
    note = window.findChild(QLabel, "setting-note-launch_at_login")
    assert "macOS only" in note.text()
    editor(window, "launch_at_login", QCheckBox).click()
    assert Settings().get("launch_at_login") is True


def test_the_model_server_fields_and_a_key_kept_out_of_the_settings_file(qtbot, window, ui_home):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QComboBox

    brain = editor(window, "brain", QComboBox)
    brain.setCurrentIndex(brain.findData("server") if brain.findData("server") >= 0 else 1)
    url = editor(window, "server_url", QLineEdit)
    qtbot.keyClicks(url, "http://127.0.0.1:11434")
    qtbot.keyClick(url, Qt.Key.Key_Return)
    saved = yaml.safe_load((ui_home / "settings.yaml").read_text())
    assert saved["brain"] == "server" and saved["server_url"] == "http://127.0.0.1:11434"
    # The key: typed, saved to the private file, never in settings.yaml.
    key = window.server_key
    assert "private file" in key.note.text()
    qtbot.keyClicks(key.field, "sk-very-secret")
    with qtbot.waitSignal(key.on_saved) as saved_signal:
        key.save_button.click()
    assert saved_signal.args == [True]
    assert (ui_home / "secrets" / "server_api_key").read_text() == "sk-very-secret"
    assert "sk-very-secret" not in (ui_home / "settings.yaml").read_text()
    assert key.field.text() == "" and key.field.placeholderText().startswith("saved")
    with qtbot.waitSignal(key.on_saved) as forgot:
        key.save_button.click()  # empty: forgotten
    assert forgot.args == [False]
    assert not (ui_home / "secrets" / "server_api_key").exists()


def test_pet_size_buttons_and_slider_save_once_per_choice(qtbot, window, ui_home):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QSlider

    from deskpet.ui.size_editor import SizeEditor

    size = editor(window, "pet_size", SizeEditor)
    slider = size.findChild(QSlider, "pet-size-slider")
    assert (slider.minimum(), slider.maximum(), slider.value()) == (64, 256, 128)
    assert size.buttons["Medium"].isChecked()
    # WHEN the owner clicks "Large" THEN it is saved and announced, and the slider follows
    with qtbot.waitSignal(window.on_setting_changed) as changed:
        size.findChild(QPushButton, "pet-size-large").click()
    assert changed.args == ["pet_size", 176]
    assert Settings().get("pet_size") == 176 and slider.value() == 176
    # WHEN the slider is dragged THEN nothing is written until it is let go
    with qtbot.assertNotEmitted(window.on_setting_changed):
        slider.setSliderDown(True)
        slider.setValue(200)
        slider.setValue(210)
    assert Settings().get("pet_size") == 176 and not size.buttons["Large"].isChecked()
    with qtbot.waitSignal(window.on_setting_changed) as changed:
        slider.setSliderDown(False)  # emits sliderReleased, as letting go of the handle does
    assert changed.args == ["pet_size", 210]
    # AND the arrow keys apply at once
    slider.setFocus()
    with qtbot.waitSignal(window.on_setting_changed) as changed:
        qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert changed.args == ["pet_size", 202]
    assert Settings().get("pet_size") == 202
