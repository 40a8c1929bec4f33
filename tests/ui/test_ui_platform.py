"""The platform layer: macOS tricks only on macOS, a do-nothing default elsewhere."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from deskpet.platform import DefaultPlatform, get_platform


@pytest.mark.skipif(sys.platform == "darwin", reason="checks the non-Mac choice")
def test_the_default_platform_is_chosen_here():
    platform = get_platform()
    assert type(platform) is DefaultPlatform
    assert platform.name == "default"
    assert platform.click_through is False


def test_other_systems_get_the_default():
    for name in ("linux", "win32", "freebsd14"):
        assert type(get_platform(name)) is DefaultPlatform


def test_macos_is_imported_only_when_asked_for():
    # A fresh interpreter: importing deskpet.platform and the pet window must not load it.
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "import deskpet.platform, deskpet.ui.pet_window\n"
        "deskpet.platform.get_platform('linux')\n"
        "assert 'deskpet.platform.macos' not in sys.modules\n"
        "assert 'objc' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(importlib.util.find_spec("objc") is not None, reason="pyobjc is installed")
def test_asking_for_macos_without_pyobjc_fails_loudly():
    with pytest.raises(ImportError):
        get_platform("darwin")


def test_the_default_does_nothing(qapp, qtbot):
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    widget.setObjectName("plain")
    qtbot.addWidget(widget)
    platform = DefaultPlatform()
    platform.prepare_app(qapp)
    platform.attach_pet_window(widget, lambda _pos: True)
    platform.detach_pet_window(widget)
