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


# --- the macOS keychain's command lines ---------------------------------------------------------

# A stand-in for /usr/bin/security: there is no Mac here, so this boundary is faked. It records
# every argv and stdin it is given, and keeps items in a JSON file. Its reading of `-i` lines
# (split on white space, as Apple's parser does for unquoted words) is all deskpet relies on.
FAKE_SECURITY = r"""#!{python}
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
store_path = os.path.join(here, "items.json")
items = json.load(open(store_path)) if os.path.exists(store_path) else {{}}
stdin = "" if sys.stdin.isatty() else sys.stdin.read()
with open(os.path.join(here, "calls.jsonl"), "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "stdin": stdin}}) + "\n")

def opts(words):
    return {{words[i]: words[i + 1] for i in range(len(words) - 1) if words[i].startswith("-")}}

def run(words):
    command, o = words[0], opts(words[1:])
    key = o.get("-s", "") + "/" + o.get("-a", "")
    if command == "find-generic-password":
        if key not in items:
            return 44
        print(items[key])
        return 0
    if command == "add-generic-password":
        if "-w" in o:
            items[key] = o["-w"]
        else:
            items[key] = bytes.fromhex(o["-X"]).decode("utf-8")
        return 0
    if command == "delete-generic-password":
        return 0 if items.pop(key, None) is not None else 44
    return 1

args = sys.argv[1:]
if args and args[0] == "-i":
    status = 0
    for line in stdin.splitlines():
        if line.strip():
            status = run(line.split())
else:
    status = run(args)
json.dump(items, open(store_path, "w"))
sys.exit(status)
"""


@pytest.fixture
def security(tmp_path):
    import json
    import sys

    folder = tmp_path / "bin"
    folder.mkdir()
    tool = folder / "security"
    tool.write_text(FAKE_SECURITY.format(python=sys.executable))
    tool.chmod(0o755)

    def calls() -> list[dict]:
        path = folder / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    return str(tool), calls


def test_a_key_kept_in_the_macos_keychain_never_goes_into_a_command_line(security):
    from deskpet.platform.keychain_macos import MacKeychain

    tool, calls = security
    chain = MacKeychain(tool)
    secret = 'sk-live "quoted" \\ spaced ünï'
    chain.set(SERVER_KEY, secret)
    assert chain.get(SERVER_KEY) == secret  # the value went through whole
    calls = calls()
    add = calls[0]
    assert add["argv"] == ["-i", "-q"]  # all `ps` could ever show
    assert add["stdin"].startswith(f"add-generic-password -U -s deskpet -a {SERVER_KEY} -X ")
    assert add["stdin"].count("\n") == 1
    for call in calls:
        assert not any(secret in a or secret.encode().hex() in a for a in call["argv"])
    assert secret not in add["stdin"]  # hex only: no quote or space for -i to act on
    chain.set(SERVER_KEY, "")  # forgets it
    assert chain.get(SERVER_KEY) is None


def test_a_key_too_long_for_the_keychain_tool_is_refused_before_it_runs(security):
    from deskpet.platform.keychain_macos import MacKeychain

    tool, calls = security
    chain = MacKeychain(tool)
    with pytest.raises(KeychainError) as e:
        chain.set(SERVER_KEY, "k" * 2100)
    assert "k" * 20 not in str(e.value)
    assert calls() == []
    with pytest.raises(KeychainError):
        chain.set("bad name", "sk-1")  # a name is never a way into the command line
    assert calls() == []
