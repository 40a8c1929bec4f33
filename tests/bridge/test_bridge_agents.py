"""The agent registry: one declaration per agent, and the hook's own copy kept in step with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskpet.bridge import agents, events, hook, installers, narrator
from deskpet.bridge.agents import HooksFile, NotifyProgram
from deskpet.bridge.kinds import KINDS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "agents.md"
FIXTURES = Path(__file__).parent / "fixtures"


def test_the_registry_lists_each_agent_once_in_a_stable_order():
    assert agents.ids() == ("claude", "codex", "cursor", "gemini")
    assert [agent.id for agent in agents.AGENTS] == list(agents.ids())
    for agent_id in agents.ids():
        assert agents.get(agent_id).id == agent_id
        assert agents.find(agent_id) is agents.get(agent_id)
    assert agents.find("vim") is None and agents.find(None) is None
    with pytest.raises(ValueError, match="unknown agent 'vim'; expected one of claude, codex"):
        agents.get("vim")


def test_short_and_long_names():
    names = {a.id: (a.name, a.long_name) for a in agents.AGENTS}
    assert names == {
        "claude": ("Claude", "Claude Code"),
        "codex": ("Codex", "Codex"),
        "cursor": ("Cursor", "Cursor"),
        "gemini": ("Gemini", "Gemini CLI"),
    }
    assert agents.long_name("gemini") == "Gemini CLI" and agents.long_name("vim") == "vim"
    # The narration and the bell use the short name; an id nobody declared still reads well.
    assert narrator.agent_name("claude") == "Claude" and narrator.agent_name("gemini") == "Gemini"
    assert narrator.agent_name("aider") == "Aider" and narrator.agent_name("") == "An agent"


def test_the_hook_knows_the_same_agents_and_replies():
    assert hook.AGENTS == agents.ids()
    assert hook.REPLIES == {a.id: (a.reply, dict(a.replies)) for a in agents.AGENTS}
    for agent in agents.AGENTS:
        for event in (*agent.register, *agent.events, *agent.replies, "", "Unknown"):
            assert hook.reply_for(agent.id, event) == agent.reply_for(event), (agent.id, event)


def test_every_reply_is_what_its_agent_parses():
    for agent in agents.AGENTS:
        for reply in (agent.reply, *agent.replies.values()):
            # Claude Code and Codex take an empty stdout; Cursor and Gemini CLI read JSON.
            assert reply == "" or isinstance(json.loads(reply), dict), (agent.id, reply)
    assert agents.get("cursor").reply_for("beforeSubmitPrompt") == '{"continue": true}'


@pytest.mark.parametrize("agent", agents.AGENTS, ids=agents.ids())
def test_every_registered_event_means_something_to_the_pet(agent):
    assert agent.register and len(set(agent.register)) == len(agent.register)
    assert not set(agent.register) & set(agent.never_register)
    for event in agent.register:
        if event.lower() == "notification":
            assert agent.notifications, f"{agent.id} registers Notification but maps no type"
        else:
            assert agent.kind(event) in KINDS, (agent.id, event)
    kinds = [*agent.events.values(), *agent.notifications.values()]
    kinds += [k for by_status in agent.status_kinds.values() for k in by_status.values()]
    assert set(kinds) <= set(KINDS)


def test_event_names_are_matched_without_regard_to_case():
    cursor = agents.get("cursor")
    assert cursor.kind("preToolUse") == cursor.kind("PreToolUse") == events.TOOL_START
    assert cursor.kind("stop") == events.TURN_COMPLETE
    assert cursor.kind("stop", status="ERROR") == events.TURN_FAILED
    assert cursor.implied_tool("BEFORESHELLEXECUTION") == "Shell"
    gemini = agents.get("gemini")
    assert gemini.kind("Notification", "ToolPermission") == events.PERMISSION_REQUEST
    assert gemini.kind("notification", "auth_success") is None
    assert gemini.kind("AfterModel") is None  # never registered, and means nothing


def test_each_fixture_agent_is_declared():
    prefixes = {path.name.split("_")[0] for path in FIXTURES.glob("*.json")}
    assert prefixes == set(agents.ids())


def test_config_files_are_where_each_agent_reads_them(home, monkeypatch):
    files = {a.id: [spec.path() for spec in a.files] for a in agents.AGENTS}
    assert files == {
        "claude": [home / ".claude" / "settings.json"],
        "codex": [home / ".codex" / "hooks.json", home / ".codex" / "config.toml"],
        "cursor": [home / ".cursor" / "hooks.json"],
        "gemini": [home / ".gemini" / "settings.json"],
    }
    kinds = {a.id: [type(spec) for spec in a.files] for a in agents.AGENTS}
    assert kinds["codex"] == [HooksFile, NotifyProgram]
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(home / "cc"))
    monkeypatch.setenv("CODEX_HOME", str(home / "cx"))
    monkeypatch.setenv("GEMINI_CLI_HOME", str(home / "gh"))
    assert agents.get("claude").files[0].path() == home / "cc" / "settings.json"
    assert agents.get("codex").files[1].path() == home / "cx" / "config.toml"
    assert agents.get("gemini").files[0].path() == home / "gh" / ".gemini" / "settings.json"


def test_detection_is_the_agents_folder_or_its_program(home, monkeypatch):
    assert not any(agent.detected() for agent in agents.AGENTS)
    (home / ".gemini").mkdir()
    assert [a.id for a in agents.AGENTS if a.detected()] == ["gemini"]
    bin_dir = home / "bin"
    bin_dir.mkdir()
    program = bin_dir / "cursor-agent"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert [a.id for a in agents.AGENTS if a.detected()] == ["cursor", "gemini"]
    assert installers.detect("cursor")


def test_the_docs_name_every_agent_and_its_files(home):
    text = DOCS.read_text(encoding="utf-8")
    for agent in agents.AGENTS:
        assert f"| {agent.long_name} |" in text, agent.id
        for spec in agent.files:
            assert f"`~/{spec.path().relative_to(home)}`" in text, (agent.id, spec.path())
        for event in agent.register:
            assert event in text, (agent.id, event)
