"""Changing some top-level values of a YAML file its owner wrote, and nothing else.

deskpet reads settings with PyYAML (YAML 1.1); ruamel.yaml edits the text, keeping comments,
key order, quoting, the owner's indentation, a `---` line with what stands above it, CRLF line
ends and a byte-order mark. New values are first written by PyYAML, then handed to ruamel.yaml,
so "yes" stays a string and 1.0e-05 a number for the reader. The result is read back with
PyYAML: when any value would mean something else than before, the edit is refused (CannotEdit)
rather than written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError


class CannotEdit(ValueError):
    """The text cannot be edited without changing more than asked; the reason is one line."""


def new_text(header: str, values: Mapping[str, Any]) -> str:
    """A new file: `header` (comment lines), then `values` in block style."""
    rt = _round_trip("")
    return header + _dump(rt, _as_written(rt, values))


def edit(text: str, changes: Mapping[str, Any]) -> str:
    """`text` (a YAML mapping, or only comments) with the top-level `changes` written in;
    keys new to the file go last. Raises CannotEdit."""
    bom = text.startswith("\ufeff")
    crlf = "\r\n" in text
    plain = text.removeprefix("\ufeff").replace("\r\n", "\n")
    preamble, body = _split_preamble(plain)
    rt = _round_trip(body)
    fresh = _as_written(rt, changes)
    try:
        tree = rt.load(body)
    except RuamelError as exc:
        raise CannotEdit(
            f"cannot be edited without losing its comments ({type(exc).__name__})"
        ) from None
    if tree is None:  # empty, or only comments: they stay above the new keys
        out = plain if not plain or plain.endswith("\n") else plain + "\n"
        out += _dump(rt, fresh)
    elif isinstance(tree, CommentedMap):
        for key, value in fresh.items():
            _merge_into(tree, key, value)
        out = preamble + _dump(rt, tree)
    else:
        raise CannotEdit("expected 'setting: value' lines at the top")
    _check_meaning(plain, out, changes)
    if crlf:
        out = out.replace("\n", "\r\n")
    return "\ufeff" + out if bom else out


def _split_preamble(text: str) -> tuple[str, str]:
    """Comments and directives up to a `---` line, kept verbatim (ruamel.yaml drops them)."""
    position = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        position += len(line)
        if stripped == "---":
            return text[:position], text[position:]
        if stripped and not stripped.startswith(("#", "%")):
            break
    return "", text


def _round_trip(body: str) -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.allow_duplicate_keys = True  # PyYAML takes the last one too
    rt.width = 4096  # never re-wrap the owner's long lines
    mapping, offset = _indents(body)
    rt.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return rt


def _indents(body: str) -> tuple[int, int]:
    """The owner's indentation: of a mapping inside a mapping, and of a list's dash."""
    mapping = offset = None
    previous = None  # (indent, ends with ":") of the last line holding YAML
    for line in body.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if previous is not None and previous[1] and indent >= previous[0]:
            if stripped.startswith("- ") and offset is None:
                offset = indent - previous[0]
            elif not stripped.startswith("-") and indent > previous[0] and mapping is None:
                mapping = indent - previous[0]
        previous = (indent, re.sub(r"\s+#.*$", "", stripped).endswith(":"))
    return mapping or 2, offset or 0


def _as_written(rt: YAML, values: Mapping[str, Any]) -> CommentedMap:
    text = yaml.safe_dump(dict(values), sort_keys=False, allow_unicode=True, width=4096)
    nodes = rt.load(text)
    _flow_lists(nodes)
    return nodes


def _flow_lists(node: Any) -> None:
    # A position reads best on one line: [x, y].
    if isinstance(node, CommentedMap):
        for value in node.values():
            _flow_lists(value)
    elif isinstance(node, CommentedSeq):
        node.fa.set_flow_style()


def _dump(rt: YAML, tree: CommentedMap) -> str:
    out = io.StringIO()
    rt.dump(tree, out)
    return out.getvalue()


def _merge_into(parent: CommentedMap, key: Any, new: Any) -> None:
    """Put `new` at `key`, editing a mapping in place so the comments inside it stay."""
    old = parent.get(key)
    if not (isinstance(old, CommentedMap) and isinstance(new, CommentedMap)):
        parent[key] = new  # the comments around the key belong to `parent` and stay
        return
    for k in [k for k in old if k not in new]:
        del old[k]
    for k, v in new.items():
        _merge_into(old, k, v)
    if list(old) != list(new):  # order carries meaning (the newest position is last)
        for k in new:
            old.move_to_end(k)


def _check_meaning(before: str, after: str, changes: Mapping[str, Any]) -> None:
    try:
        old = yaml.safe_load(before) or {}
        new = yaml.safe_load(after) or {}
        same = _tagged(new) == _tagged({**old, **changes})
    except (yaml.YAMLError, RecursionError) as exc:
        raise CannotEdit(f"the edited file would not read back ({type(exc).__name__})") from None
    if not same:
        raise CannotEdit("cannot be edited without changing what other lines mean")


def _tagged(value: Any) -> Any:
    """`value` compared strictly: True is not 1, and a NaN equals itself."""
    if isinstance(value, dict):
        return ("map", tuple((_tagged(k), _tagged(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("seq", tuple(_tagged(v) for v in value))
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)
