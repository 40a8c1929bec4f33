"""Do-not-disturb: the switch, and quiet hours that may cross midnight."""

from __future__ import annotations

from datetime import datetime

import pytest

from deskpet.settings import Settings, in_quiet_hours


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2025, 5, 1, hh, mm)


@pytest.mark.parametrize(
    "schedule, now, quiet",
    [
        ("22:00-08:00", at(23), True),
        ("22:00-08:00", at(3), True),
        ("22:00-08:00", at(8), False),  # the end is not included
        ("22:00-08:00", at(21, 59), False),
        ("12:30-13:30", at(12, 30), True),
        ("12:30-13:30", at(13, 30), False),
        ("", at(3), False),
        ("10pm-8am", at(23), False),  # malformed: no quiet hours rather than an error
    ],
)
def test_quiet_hours(schedule, now, quiet):
    assert in_quiet_hours(schedule, now) is quiet


def test_settings_say_when_not_to_disturb(tmp_path):
    settings = Settings(tmp_path / "settings.yaml")
    assert not settings.do_not_disturb(at(23))
    settings.set("dnd_schedule", "22:00-08:00")
    assert settings.do_not_disturb(at(23)) and not settings.do_not_disturb(at(12))
    settings.set("do_not_disturb", True)
    assert settings.do_not_disturb(at(12))
