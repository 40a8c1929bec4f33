"""config_merge on real files: merge, back up once, refuse, restore byte for byte, merge again
when the owner rewrote the file meanwhile. No agent involved: the part merged is a plain key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskpet import safefile
from deskpet.config_merge import ConfigMerge, FileChanged, JsonFormat, TomlFormat
from deskpet.safefile import ParseRefused

OWNER_JSON = b'{\n\t"theme": "dark",\n\t"plugins": ["a", "b"]\n}'
OWNER_TOML = b"""# my tool, hand-written
theme = "dark"   # the good one

[server]
port = 8080  # keep this
"""


def key_merge(path: Path, fmt, key: str = "pet", value: object = "deskpet") -> ConfigMerge:
    """deskpet's part is one top-level key."""

    def add(data) -> None:
        data[key] = value

    def remove(data) -> None:
        data.pop(key, None)

    return ConfigMerge(
        path=path,
        fmt=fmt(path),
        add=add,
        remove=remove,
        holds_ours=lambda data: key in data,
        empty=lambda data: not fmt(path).plain(data),
    )


@pytest.fixture
def owner_json(tmp_path) -> Path:
    path = tmp_path / "settings.json"
    path.write_bytes(OWNER_JSON)
    return path


def test_json_merge_keeps_the_owners_keys_and_indent_and_restores_bytes(owner_json):
    merge = key_merge(owner_json, JsonFormat)
    assert merge.install() is True
    assert json.loads(owner_json.read_text()) == {
        "theme": "dark",
        "plugins": ["a", "b"],
        "pet": "deskpet",
    }
    assert owner_json.read_text().startswith('{\n\t"theme"')
    assert safefile.backup_path(owner_json).read_bytes() == OWNER_JSON
    written = owner_json.read_bytes()
    assert merge.install() is False and owner_json.read_bytes() == written  # twice = once
    assert merge.uninstall() is True
    assert owner_json.read_bytes() == OWNER_JSON
    assert not safefile.backup_path(owner_json).exists()
    assert merge.uninstall() is False and owner_json.read_bytes() == OWNER_JSON


def test_toml_merge_keeps_comments_and_restores_bytes(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(OWNER_TOML)
    merge = key_merge(path, TomlFormat, "notify", ["deskpet-hook"])
    assert merge.install() is True
    text = path.read_text()
    assert "# my tool, hand-written" in text and "# keep this" in text
    assert text.index("notify") < text.index("[server]")
    merge.uninstall()
    assert path.read_bytes() == OWNER_TOML


def test_an_owner_change_in_between_is_kept_on_uninstall(owner_json):
    merge = key_merge(owner_json, JsonFormat)
    merge.install()
    data = json.loads(owner_json.read_text())
    data["theme"] = "light"
    owner_json.write_text(json.dumps(data, indent="\t"))
    assert merge.uninstall() is True
    assert json.loads(owner_json.read_text()) == {"theme": "light", "plugins": ["a", "b"]}
    # The backup stays: it is the owner's original, and it is not what the file holds now.
    assert safefile.backup_path(owner_json).read_bytes() == OWNER_JSON


def test_a_stale_backup_is_refreshed_by_the_next_install(owner_json):
    merge = key_merge(owner_json, JsonFormat)
    merge.install()
    # GIVEN the owner took deskpet's part out by hand and changed their own settings
    changed = b'{\n\t"theme": "light"\n}'
    owner_json.write_bytes(changed)
    # WHEN deskpet installs again THEN uninstall gives back the new file, not the old one
    merge.install()
    assert safefile.backup_path(owner_json).read_bytes() == changed
    merge.uninstall()
    assert owner_json.read_bytes() == changed


def test_a_file_deskpet_created_is_removed_again(tmp_path):
    path = tmp_path / "new" / "settings.json"
    merge = key_merge(path, JsonFormat)
    assert merge.install() is True and json.loads(path.read_text()) == {"pet": "deskpet"}
    assert not safefile.backup_path(path).exists()
    assert merge.uninstall() is True and not path.exists()


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("settings.json", b'{"theme": "dark", // mine\n}', JsonFormat),
        ("settings.json", b"[1, 2]", JsonFormat),
        ("settings.json", b"\xff\xfe{}", JsonFormat),
        ("config.toml", b"theme = = dark\n", TomlFormat),
    ],
    ids=["json-comment", "json-array", "not-utf8", "toml"],
)
def test_what_cannot_be_parsed_is_refused_untouched(tmp_path, name, content, fmt):
    path = tmp_path / name
    path.write_bytes(content)
    merge = key_merge(path, fmt)
    for step in (merge.install, merge.uninstall, merge.load):
        with pytest.raises(ParseRefused) as refused:
            step()
        assert refused.value.path == path and "left it untouched" in str(refused.value)
    assert path.read_bytes() == content
    assert not safefile.backup_path(path).exists()


def test_a_rewrite_between_read_and_write_is_merged_into(owner_json):
    # GIVEN the owner's program rewriting the file after deskpet read it, once
    merge = key_merge(owner_json, JsonFormat)
    real_add, rewrites = merge.add, []

    def add_while_the_owner_writes(data) -> None:
        if not rewrites:
            owner_json.write_text('{"theme": "solarized"}')
            rewrites.append(1)
        real_add(data)

    merge.add = add_while_the_owner_writes
    # WHEN deskpet writes THEN it merged into the fresh bytes: the owner's change survives
    assert merge.install() is True
    assert json.loads(owner_json.read_text()) == {"theme": "solarized", "pet": "deskpet"}


def test_a_file_that_keeps_changing_is_left_alone(owner_json):
    merge = key_merge(owner_json, JsonFormat)
    real_add, writes = merge.add, []

    def add_while_the_owner_writes(data) -> None:
        writes.append(len(writes))
        owner_json.write_text(json.dumps({"theme": f"theme-{writes[-1]}"}))
        real_add(data)

    merge.add = add_while_the_owner_writes
    with pytest.raises(FileChanged, match="changed while deskpet"):
        merge.install()
    assert len(writes) == 2  # merged again once, then gave up
    assert json.loads(owner_json.read_text()) == {"theme": "theme-1"}
    assert isinstance(FileChanged(owner_json), OSError)
