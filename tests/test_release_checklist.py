"""docs/release.md's checklist for the first Mac run and the MAC-CHECK tags in the code agree:
every tag is listed there with its file and what to check, and every line there is a tag."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "docs" / "release.md"
HEADING = "## The checklist for the first Mac run"
# A tag is a comment (`#`, or `<!--` in XML) starting with MAC-CHECK:, up to the line's end.
TAG = re.compile(r"(?:#|<!--)\s*MAC-CHECK:\s*(?P<what>.+?)\s*(?:-->)?\s*$")
LISTED = re.compile(r"^- `(?P<path>[^`]+)`: (?P<what>.+?)\s*$")
# Not code: the docs list the tags, the tests name them, the rest is made by tools.
NOT_CODE = {"docs", "tests", "build", "dist", "__pycache__"}


def code_files():
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in NOT_CODE and not d.startswith("."))
        for name in sorted(files):
            yield Path(folder) / name


def tags_in_code() -> Counter:
    found = Counter()
    for path in code_files():
        data = path.read_bytes()
        if b"MAC-CHECK" not in data or b"\0" in data:
            continue
        for line in data.decode("utf-8", errors="replace").splitlines():
            match = TAG.search(line)
            if match:
                found[(path.relative_to(ROOT).as_posix(), match["what"])] += 1
    return found


def checklist() -> Counter:
    text = RELEASE.read_text()
    assert text.count(HEADING) == 1, f"{RELEASE.name} needs one '{HEADING}' section"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    return Counter(
        (match["path"], match["what"]) for match in map(LISTED.match, section.splitlines()) if match
    )


def test_every_mac_check_tag_is_on_the_release_checklist_and_back():
    tags, listed = tags_in_code(), checklist()
    assert tags, "no MAC-CHECK tag found: the scan is broken"
    unlisted, stale = sorted(tags - listed), sorted(listed - tags)
    assert not unlisted, f"tagged in the code, missing from docs/release.md: {unlisted}"
    assert not stale, f"on docs/release.md's checklist, no such tag in the code: {stale}"


def test_each_spot_carries_one_tag():
    assert [spot for spot, n in tags_in_code().items() if n > 1] == []
