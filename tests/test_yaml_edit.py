"""yaml_edit: one value changes, every other byte of the owner's YAML stays."""

from __future__ import annotations

import pytest
import yaml

from deskpet import yaml_edit


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("# mine\n---\npersona: a  # x\n", "# mine\n---\npersona: b  # x\n"),
        ("%YAML 1.1\n---\npersona: a\n", "%YAML 1.1\n---\npersona: b\n"),
        ("persona: a\r\n# c\r\nmodel: m\r\n", "persona: b\r\n# c\r\nmodel: m\r\n"),
        ("\ufeffpersona: a\n", "\ufeffpersona: b\n"),
        (
            "persona: a\nlist:\n  - 1\n  - 2\nsub:\n    k: v\n",
            "persona: b\nlist:\n  - 1\n  - 2\nsub:\n    k: v\n",
        ),
        ("x: 017\nt: 2001-12-14\ns: 1:30\nn: .nan\npersona: a\n", None),
        ("m:\n  <<: {a: 1}\n  b: 2\npersona: a\n", None),
        ("persona: 'a'   # quoted\n", "persona: 'b'   # quoted\n"),
        ("# only comments\n", "# only comments\npersona: b\n"),
        ("", "persona: b\n"),
    ],
)
def test_only_the_value_changes(before, after):
    expected = after if after is not None else before.replace("persona: a", "persona: b")
    assert yaml_edit.edit(before, {"persona": "b"}) == expected


def test_values_are_written_so_pyyaml_reads_them_back():
    changes = {"a": "yes", "b": "1:30", "c": 1e-05, "d": {"on": [1, 2.5]}, "e": "", "f": None}
    text = yaml_edit.edit("# mine\nz: 1\n", changes)
    assert yaml.safe_load(text) == {"z": 1, **changes}
    assert text.startswith("# mine\nz: 1\n")


def test_an_edit_that_cannot_read_back_is_refused():
    with pytest.raises(yaml_edit.CannotEdit):
        yaml_edit.edit("loop: &a [1, *a]\npersona: a\n", {"persona": "b"})


def test_a_list_at_the_top_is_refused():
    with pytest.raises(yaml_edit.CannotEdit):
        yaml_edit.edit("- a\n- b\n", {"persona": "b"})
