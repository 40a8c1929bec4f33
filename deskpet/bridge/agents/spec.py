"""What one coding agent declares: an Agent record and the config files deskpet writes for it.

Plain data plus a few lookups, so the normalizer, the installers, the narrator and the UI all
read the same facts. No agent is named here; each lives in its own module beside this one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

HOOK_TIMEOUT_SECONDS = 10  # what deskpet asks agents to allow the shim; it needs well under one
# A permission request's hook waits for the owner's click: its timeout is the wait plus this.
APPROVAL_TIMEOUT_MARGIN = 30


@dataclass(frozen=True)
class HooksFile:
    """A JSON config file with a "hooks" object: event name -> list of entries.

    Attributes:
        path: where the file is (read at call time: HOME and the agent's own variables).
        entry: the hook command (and a timeout in seconds) -> deskpet's entry under each
            registered event.
        nested: entries are groups holding a "hooks" list of handlers (Claude's shape); else
            each entry is one handler (Cursor's).
        skeleton: top-level keys deskpet adds to the file next to "hooks" ({"version": 1}).
    """

    path: Callable[[], Path]
    entry: Callable[..., dict]
    nested: bool = True
    skeleton: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifyProgram:
    """A TOML config file whose top-level key names one program the agent runs (Codex's
    `notify`). deskpet sets it only while the owner has none of their own."""

    path: Callable[[], Path]
    key: str = "notify"


ConfigFile = HooksFile | NotifyProgram


def _lowered(table: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in table.items()}


@dataclass(frozen=True, eq=False)
class Agent:
    """Everything deskpet knows about one coding agent.

    Attributes:
        id: "claude", "codex", ...: the `--agent` argument of the hook and the event's agent.
        name: short name for sentences ("Claude · myproject needs you", narration).
        long_name: the product's name in the menu and Settings ("Claude Code").
        events: the agent's event name -> AgentEvent kind (deskpet.bridge.kinds); looked up
            without regard to case.
        notifications: notification type -> kind, for the agent's "Notification" event; a type
            not listed is not worth a mood.
        status_kinds: event -> {its "status" value -> kind}, where the status changes the kind.
        implied_tools: events that name no tool but are about one -> that tool's name.
        register: the hook events the installer registers, spelled as the agent spells them.
        never_register: events that must never carry deskpet's hook (and why, in the module).
        files: the config files deskpet writes, in the order it writes them.
        config_dir: the agent's own folder (detection: it exists once the agent has run).
        programs: the agent's commands on PATH (detection).
        reply: what the hook prints on stdout for any event ("" for nothing).
        replies: event -> a different reply for that event.
        approval_wait: the longest the PermissionRequest hook waits for the owner's click on a
            card (0: the agent's hooks cannot take an answer; hook.APPROVAL_WAIT repeats it).
        notes: lines `deskpet agents status` always adds.
        installed_notes: lines it adds once deskpet's hooks are in the agent's files.
    """

    id: str
    name: str
    long_name: str
    events: Mapping[str, str]
    register: tuple[str, ...]
    files: tuple[ConfigFile, ...]
    config_dir: Callable[[], Path]
    programs: tuple[str, ...]
    notifications: Mapping[str, str] = field(default_factory=dict)
    status_kinds: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    implied_tools: Mapping[str, str] = field(default_factory=dict)
    never_register: tuple[str, ...] = ()
    reply: str = ""
    replies: Mapping[str, str] = field(default_factory=dict)
    approval_wait: float = 0.0
    notes: tuple[str, ...] = ()
    installed_notes: tuple[str, ...] = ()
    _kinds: dict[str, str] = field(init=False, repr=False, compare=False)
    _notifications: dict[str, str] = field(init=False, repr=False, compare=False)
    _status_kinds: dict[str, dict[str, str]] = field(init=False, repr=False, compare=False)
    _tools: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Agents are not consistent about case (Cursor replays Claude's "PreToolUse" as well as
        # its own "preToolUse"), so every lookup is by the lower-cased name.
        lowered = {
            "_kinds": _lowered(self.events),
            "_notifications": _lowered(self.notifications),
            "_status_kinds": {e.lower(): _lowered(s) for e, s in self.status_kinds.items()},
            "_tools": _lowered(self.implied_tools),
        }
        for name, value in lowered.items():
            object.__setattr__(self, name, value)

    def kind(self, event: str, notification: str = "", status: str = "") -> str | None:
        """The AgentEvent kind of one of this agent's events, or None when it means nothing."""
        name = event.lower()
        if name == "notification":
            return self._notifications.get(notification.lower())
        by_status = self._status_kinds.get(name, {})
        return by_status.get(status.lower()) or self._kinds.get(name)

    def implied_tool(self, event: str) -> str:
        """The tool an event is about when the payload names none ("" when it names its own)."""
        return self._tools.get(event.lower(), "")

    def reply_for(self, event: str) -> str:
        """Exactly what the agent expects the hook to print for `event`."""
        return self.replies.get(event, self.reply)

    def hook_timeout(self, event: str) -> int:
        """Seconds the agent should allow deskpet's hook on `event`."""
        if event == "PermissionRequest" and self.approval_wait:
            return int(self.approval_wait) + APPROVAL_TIMEOUT_MARGIN
        return HOOK_TIMEOUT_SECONDS

    def detected(self) -> bool:
        """Whether the agent looks installed: its folder exists or its program is on PATH."""
        return self.config_dir().is_dir() or any(shutil.which(p) for p in self.programs)
