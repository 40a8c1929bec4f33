"""Cursor: command hooks in ~/.cursor/hooks.json.

Shape: {"version": 1, "hooks": {"event": [{"command": ...}]}}: one flat handler per entry.
Cursor also runs the hooks in ~/.claude/settings.json, so Claude Code's event names arrive
with `--agent claude` and a `cursor_version` in the payload (hook.summarize makes them Cursor's).

Cursor reads the hook's stdout as JSON: "{}" for every event, and beforeSubmitPrompt needs
{"continue": true} or the prompt is not sent.
"""

from __future__ import annotations

from pathlib import Path

from deskpet.bridge import kinds
from deskpet.bridge.agents import claude
from deskpet.bridge.agents.spec import Agent, HooksFile

EVENTS = {
    **claude.EVENTS,  # replayed from ~/.claude/settings.json
    "sessionStart": kinds.SESSION_START,
    "beforeSubmitPrompt": kinds.PROMPT,
    "preToolUse": kinds.TOOL_START,
    "postToolUse": kinds.TOOL_END,
    "postToolUseFailure": kinds.TOOL_FAILED,
    "beforeShellExecution": kinds.TOOL_START,
    "afterShellExecution": kinds.TOOL_END,
    "beforeMCPExecution": kinds.TOOL_START,
    "afterMCPExecution": kinds.TOOL_END,
    "beforeReadFile": kinds.TOOL_START,
    "afterFileEdit": kinds.TOOL_END,
    "afterAgentResponse": kinds.AGENT_MESSAGE,
    "stop": kinds.TURN_COMPLETE,
    "subagentStart": kinds.SUBAGENT_START,
    "subagentStop": kinds.SUBAGENT_STOP,
    "preCompact": kinds.COMPACTING,
    "sessionEnd": kinds.SESSION_END,
}
# Cursor's stop says how the turn ended.
STATUS_KINDS = {"stop": {"error": kinds.TURN_FAILED}}
# Cursor's older per-tool events name no tool; the event itself says which.
IMPLIED_TOOLS = {
    "beforeShellExecution": "Shell",
    "afterShellExecution": "Shell",
    "beforeReadFile": "Read",
    "afterFileEdit": "Edit",
}
REGISTER = (
    "sessionStart",
    "sessionEnd",
    "beforeSubmitPrompt",
    "preToolUse",
    "postToolUse",
    "postToolUseFailure",
    "stop",
    "subagentStart",
    "subagentStop",
    "preCompact",
    "afterAgentResponse",
)


def config_dir() -> Path:
    return Path.home() / ".cursor"


def hook_entry(command: str) -> dict:
    return {"command": command}


AGENT = Agent(
    id="cursor",
    name="Cursor",
    long_name="Cursor",
    events=EVENTS,
    notifications=claude.NOTIFICATIONS,  # in the Claude hooks it replays
    status_kinds=STATUS_KINDS,
    implied_tools=IMPLIED_TOOLS,
    register=REGISTER,
    files=(
        HooksFile(
            path=lambda: config_dir() / "hooks.json",
            entry=hook_entry,
            nested=False,
            skeleton={"version": 1},
        ),
    ),
    config_dir=config_dir,
    programs=("cursor", "cursor-agent"),
    reply="{}",
    replies={"beforeSubmitPrompt": '{"continue": true}'},
)
