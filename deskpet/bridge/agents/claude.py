"""Claude Code: command hooks in ~/.claude/settings.json (or $CLAUDE_CONFIG_DIR).

Shape: {"hooks": {"Event": [{"hooks": [{"type": "command", "command": ..., "timeout": s}]}]}},
with no matcher, so an entry covers every tool. The hook prints nothing: Claude reads an empty
stdout with exit 0 as "carry on".

PermissionRequest waits for the owner's click on a card and prints Claude's decision
({"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": {...}}}); its entry
gets a timeout above that wait.

Never registered: WorktreeCreate (a hook there replaces git's own worktree creation), and no
http hook types.
"""

from __future__ import annotations

import os
from pathlib import Path

from deskpet.bridge import kinds
from deskpet.bridge.agents.spec import HOOK_TIMEOUT_SECONDS, Agent, HooksFile

EVENTS = {
    "SessionStart": kinds.SESSION_START,
    "UserPromptSubmit": kinds.PROMPT,
    "PreToolUse": kinds.TOOL_START,
    "PostToolUse": kinds.TOOL_END,
    "PostToolUseFailure": kinds.TOOL_FAILED,
    "PermissionRequest": kinds.PERMISSION_REQUEST,
    "Stop": kinds.TURN_COMPLETE,
    "StopFailure": kinds.TURN_FAILED,
    "SubagentStart": kinds.SUBAGENT_START,
    "SubagentStop": kinds.SUBAGENT_STOP,
    "PreCompact": kinds.COMPACTING,
    "SessionEnd": kinds.SESSION_END,
}
NOTIFICATIONS = {
    "permission_prompt": kinds.PERMISSION_REQUEST,
    "idle_prompt": kinds.WAITING_FOR_OWNER,
    "elicitation_dialog": kinds.WAITING_FOR_OWNER,
}
REGISTER = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "Notification",
    "Stop",
    "StopFailure",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "SessionEnd",
)


def config_dir() -> Path:
    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude")


def hook_entry(command: str, timeout: int = HOOK_TIMEOUT_SECONDS) -> dict:
    return {"hooks": [{"type": "command", "command": command, "timeout": timeout}]}


AGENT = Agent(
    id="claude",
    name="Claude",
    long_name="Claude Code",
    events=EVENTS,
    notifications=NOTIFICATIONS,
    register=REGISTER,
    never_register=("WorktreeCreate",),
    files=(HooksFile(path=lambda: config_dir() / "settings.json", entry=hook_entry),),
    config_dir=config_dir,
    programs=("claude",),
    # Claude Code shows its own prompt while the hook waits: either answer wins.
    approval_wait=120.0,
)
