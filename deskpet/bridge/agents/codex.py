"""Codex: command hooks in ~/.codex/hooks.json, `notify` in ~/.codex/config.toml, rollouts.

~/.codex is $CODEX_HOME when that is set. hooks.json has Claude Code's shape and event names
(no matcher: Codex's matcher is a regex, and none matches every tool). `notify` is one program
Codex runs at the end of a turn with the event as JSON in its last argument; deskpet sets it
only when the owner has none. The session rollouts (codex_rollout.py) need no setup at all.

Codex runs new or changed hooks only once its owner trusts them; deskpet never writes Codex's
trust hashes itself. The hook prints nothing, except the owner's decision on a PermissionRequest
(behavior and message only: Codex refuses the fields it reserves).
"""

from __future__ import annotations

import os
from pathlib import Path

from deskpet.bridge import kinds
from deskpet.bridge.agents import claude
from deskpet.bridge.agents.spec import Agent, HooksFile, NotifyProgram
from deskpet.i18n import Said

EVENTS = {
    **claude.EVENTS,
    # The `notify` program's payload type, and newer approval notifications.
    "agent-turn-complete": kinds.TURN_COMPLETE,
    "approval-requested": kinds.PERMISSION_REQUEST,
}
# Only the events every Codex with hooks knows; the rollout tailer covers the rest.
REGISTER = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "Stop",
)


def config_dir() -> Path:
    return Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")


AGENT = Agent(
    id="codex",
    name="Codex",
    long_name="Codex",
    events=EVENTS,
    notifications=claude.NOTIFICATIONS,  # the same hook names as Claude's, notifications too
    register=REGISTER,
    files=(
        HooksFile(path=lambda: config_dir() / "hooks.json", entry=claude.hook_entry),
        NotifyProgram(path=lambda: config_dir() / "config.toml"),
    ),
    config_dir=config_dir,
    programs=("codex",),
    # Codex runs the hook before it shows its own approval prompt: a short wait.
    approval_wait=20.0,
    notes=(Said("deskpet also follows Codex's session files, no setup needed"),),
    installed_notes=(
        Said(
            "Codex runs new or changed hooks only after you trust them: "
            "open Codex and type /hooks to review and trust deskpet's hooks"
        ),
    ),
)
