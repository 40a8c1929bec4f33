"""Gemini CLI: command hooks in ~/.gemini/settings.json.

Facts from google-gemini/gemini-cli at 5411f113 (0.56 nightly): docs/hooks/index.md and
docs/hooks/reference.md, packages/core/src/hooks/{types,hookRegistry,hookPlanner,hookRunner}.ts,
packages/core/src/utils/paths.ts, packages/cli/src/config/{settings,settingsSchema}.ts and
packages/cli/package.json.

- The user's settings are `<home>/.gemini/settings.json`, where home is $GEMINI_CLI_HOME when
  set. The program is `gemini`.
- Shape: {"hooks": {"BeforeTool": [{"matcher": ..., "hooks": [{"type": "command",
  "command": ..., "name": ..., "timeout": ...}]}]}}, as Claude Code's, except that `timeout` is
  in milliseconds (default 60000). No matcher matches every tool and every trigger. `name`
  shows in Gemini's /hooks panel and is what `hooksConfig.disabled` lists.
- `hooks` may also hold the older "enabled", "disabled" and "notifications" keys, which are
  not events (HOOKS_CONFIG_FIELDS); the installer keeps them. Hooks are on by default
  (`hooksConfig.enabled` defaults to true).
- Events: SessionStart, SessionEnd, BeforeAgent, AfterAgent, BeforeModel, AfterModel,
  BeforeToolSelection, BeforeTool, AfterTool, PreCompress, Notification (notification_type
  "ToolPermission"). Never registered: BeforeModel, AfterModel and BeforeToolSelection run
  before or after every model request (AfterModel for every streamed chunk) and say nothing
  the others do not.
- Stdout after exit 0 is parsed as JSON; text that is not JSON becomes a message shown to the
  user. "{}" asks for nothing.
- Gemini reads settings.json with comments stripped; deskpet refuses such a file rather than
  write it back without them.
"""

from __future__ import annotations

import os
from pathlib import Path

from deskpet.bridge import kinds
from deskpet.bridge.agents.spec import HOOK_TIMEOUT_SECONDS, Agent, HooksFile

EVENTS = {
    "SessionStart": kinds.SESSION_START,
    "SessionEnd": kinds.SESSION_END,
    "BeforeAgent": kinds.PROMPT,
    "AfterAgent": kinds.TURN_COMPLETE,
    "BeforeTool": kinds.TOOL_START,
    "AfterTool": kinds.TOOL_END,
    "PreCompress": kinds.COMPACTING,
}
NOTIFICATIONS = {"ToolPermission": kinds.PERMISSION_REQUEST}
REGISTER = (
    "SessionStart",
    "BeforeAgent",
    "BeforeTool",
    "AfterTool",
    "Notification",
    "AfterAgent",
    "PreCompress",
    "SessionEnd",
)


def config_dir() -> Path:
    return Path(os.environ.get("GEMINI_CLI_HOME") or Path.home()) / ".gemini"


def hook_entry(command: str) -> dict:
    handler = {
        "name": "deskpet",
        "type": "command",
        "command": command,
        "timeout": HOOK_TIMEOUT_SECONDS * 1000,
    }
    return {"hooks": [handler]}


AGENT = Agent(
    id="gemini",
    name="Gemini",
    long_name="Gemini CLI",
    events=EVENTS,
    notifications=NOTIFICATIONS,
    register=REGISTER,
    never_register=("BeforeModel", "AfterModel", "BeforeToolSelection"),
    files=(HooksFile(path=lambda: config_dir() / "settings.json", entry=hook_entry),),
    config_dir=config_dir,
    programs=("gemini",),
    reply="{}",
)
