"""The portable keychain (a 0600 file) on real files in a temporary data folder. The macOS one
goes through /usr/bin/security and is checked on a Mac (docs/release.md)."""

from __future__ import annotations

import stat

import pytest

from deskpet.platform import keychain
from deskpet.platform.keychain import SERVER_KEY, FileKeychain, KeychainError


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "data"))
    return tmp_path / "data"


def test_a_key_is_kept_in_a_file_only_the_owner_reads(data):
    chain = keychain.get_keychain("linux")
    assert isinstance(chain, FileKeychain)
    assert chain.get(SERVER_KEY) is None
    chain.set(SERVER_KEY, "sk-abc")
    path = data / "secrets" / SERVER_KEY
    assert path.read_text() == "sk-abc"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert keychain.server_key() == "sk-abc"
    chain.set(SERVER_KEY, "sk-new")  # replaced in one step, still private
    assert chain.get(SERVER_KEY) == "sk-new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [SERVER_KEY]  # no temp left behind
    chain.set(SERVER_KEY, "")  # an empty key forgets it
    assert not path.exists() and keychain.server_key() is None


def test_a_key_that_is_not_one_line_is_refused_and_nothing_is_written(data):
    chain = FileKeychain()
    for bad in ("two\nlines", "x" * 5000, "nul\0"):
        with pytest.raises(KeychainError) as e:
            chain.set(SERVER_KEY, bad)
        assert bad not in str(e.value)
    assert not (data / "secrets" / SERVER_KEY).exists()
    with pytest.raises(KeychainError):
        chain.get("../settings")


def test_an_unreadable_key_file_is_logged_not_raised(data, caplog):
    (data / "secrets" / SERVER_KEY).mkdir(parents=True)  # a folder where the file should be
    assert keychain.server_key() is None
    assert "could not be read" in caplog.text
