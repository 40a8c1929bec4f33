"""docs/pet-states.md shows the same table as deskpet/pet/states.py, so the two cannot drift."""

from __future__ import annotations

from pathlib import Path

from deskpet.pet import TABLE

DOC = Path(__file__).resolve().parents[2] / "docs" / "pet-states.md"
HEADER = [
    "state",
    "priority",
    "min display (s)",
    "returns after (s)",
    "returns to",
    "moods",
    "set by",
]


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def doc_rows() -> list[list[str]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("|") and cells(line) == HEADER
    )
    rows = []
    for line in lines[start + 2 :]:  # skip the header and its |---| line
        if not line.startswith("|"):
            break
        rows.append(cells(line))
    return rows


def number(value: float | None) -> float | None:
    return None if value is None else float(value)


def parse_number(text: str) -> float | None:
    return None if text == "—" else float(text)


def test_doc_table_matches_code() -> None:
    rows = doc_rows()
    assert [row[0] for row in rows] == [spec.state.value for spec in TABLE]
    for row, spec in zip(rows, TABLE, strict=True):
        state, priority, min_s, after, returns_to, moods, cause = row
        assert int(priority) == spec.priority, state
        assert parse_number(min_s) == spec.min_seconds, state
        assert parse_number(after) == number(spec.return_after), state
        assert returns_to == (spec.returns_to.value if spec.returns_to else "—"), state
        assert moods == (", ".join(spec.moods) or "—"), state
        assert cause == spec.cause, state
