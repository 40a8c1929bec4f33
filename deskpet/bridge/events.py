"""One AgentEvent schema, and one mapping table per agent from its event names to our kinds.

Input is the summary line `deskpet-hook` sends (see hook.summarize), or a dict built by the
Codex rollout tailer in the same shape. Every field is treated as untrusted text and cleaned
here. Events we do not know map to None and are dropped quietly.

The tables below ARE the behaviour: docs/agents.md shows the same mapping for people.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from deskpet.bridge import sanitize

# Kinds: what happened, independent of which agent said it.
SESSION_START = "session_start"
PROMPT = "prompt"  # the owner sent a prompt; the agent starts thinking
TOOL_START = "tool_start"
TOOL_END = "tool_end"
TOOL_FAILED = "tool_failed"
PERMISSION_REQUEST = "permission_request"
WAITING_FOR_OWNER = "waiting_for_owner"
AGENT_MESSAGE = "agent_message"  # the agent said something (kept for the next narration)
TURN_COMPLETE = "turn_complete"
TURN_FAILED = "turn_failed"
SUBAGENT_START = "subagent_start"
SUBAGENT_STOP = "subagent_stop"
COMPACTING = "compacting"
SESSION_END = "session_end"

KINDS = (
    SESSION_START,
    PROMPT,
    TOOL_START,
    TOOL_END,
    TOOL_FAILED,
    PERMISSION_REQUEST,
    WAITING_FOR_OWNER,
    AGENT_MESSAGE,
    TURN_COMPLETE,
    TURN_FAILED,
    SUBAGENT_START,
    SUBAGENT_STOP,
    COMPACTING,
    SESSION_END,
)

# Tool categories, which the pet shows as working variants.
SHELL, EDIT, READ, SEARCH, DELEGATE, WEB, OTHER = (
    "shell",
    "edit",
    "read",
    "search",
    "delegate",
    "web",
    "other",
)

_TOOL_CATEGORIES = {
    SHELL: "bash shell run_shell_command exec_command local_shell shell_command terminal "
    "container.exec unified_exec write_stdin",
    EDIT: "edit write multiedit notebookedit apply_patch write_file replace edit_file "
    "search_replace create_file delete_file str_replace_editor",
    READ: "read read_file notebookread view_image read_many_files ls list_dir list_directory",
    SEARCH: "grep glob search codebase_search grep_search file_search search_file_content "
    "glob_file_search toolsearch semantic_search",
    DELEGATE: "task agent spawn_agent subagent",
    WEB: "webfetch websearch web_search web_fetch google_web_search fetch web_search_call",
}
TOOL_CATEGORY = {
    name: category for category, names in _TOOL_CATEGORIES.items() for name in names.split()
}


def tool_category(name: str) -> str:
    return TOOL_CATEGORY.get(name.lower(), OTHER)


# Agent event name (lower-cased) -> kind. Notifications are decided by their type below.
_CLAUDE_STYLE = {
    "sessionstart": SESSION_START,
    "userpromptsubmit": PROMPT,
    "pretooluse": TOOL_START,
    "posttooluse": TOOL_END,
    "posttoolusefailure": TOOL_FAILED,
    "permissionrequest": PERMISSION_REQUEST,
    "stop": TURN_COMPLETE,
    "stopfailure": TURN_FAILED,
    "subagentstart": SUBAGENT_START,
    "subagentstop": SUBAGENT_STOP,
    "precompact": COMPACTING,
    "sessionend": SESSION_END,
}
CLAUDE_EVENTS = dict(_CLAUDE_STYLE)
CODEX_EVENTS = {
    **_CLAUDE_STYLE,
    # `notify` program (argv JSON) and newer approval notifications.
    "agent-turn-complete": TURN_COMPLETE,
    "approval-requested": PERMISSION_REQUEST,
}
CURSOR_EVENTS = {
    # Cursor also replays ~/.claude/settings.json, so Claude's names arrive here too.
    **_CLAUDE_STYLE,
    "beforesubmitprompt": PROMPT,
    "beforeshellexecution": TOOL_START,
    "aftershellexecution": TOOL_END,
    "beforemcpexecution": TOOL_START,
    "aftermcpexecution": TOOL_END,
    "beforereadfile": TOOL_START,
    "afterfileedit": TOOL_END,
    "afteragentresponse": AGENT_MESSAGE,
}
GEMINI_EVENTS = {
    "sessionstart": SESSION_START,
    "sessionend": SESSION_END,
    "beforeagent": PROMPT,
    "afteragent": TURN_COMPLETE,
    "beforetool": TOOL_START,
    "aftertool": TOOL_END,
    "precompress": COMPACTING,
}
EVENT_TABLES = {
    "claude": CLAUDE_EVENTS,
    "codex": CODEX_EVENTS,
    "cursor": CURSOR_EVENTS,
    "gemini": GEMINI_EVENTS,
}
# Notification type -> kind; anything else (auth_success, ...) is not worth a mood.
NOTIFICATIONS = {
    "permission_prompt": PERMISSION_REQUEST,
    "toolpermission": PERMISSION_REQUEST,
    "idle_prompt": WAITING_FOR_OWNER,
    "elicitation_dialog": WAITING_FOR_OWNER,
}
# Cursor's older per-tool events name no tool; the event itself says which.
_IMPLIED_TOOL = {
    "beforeshellexecution": "Shell",
    "aftershellexecution": "Shell",
    "beforereadfile": "Read",
    "afterfileedit": "Edit",
}
_TOOL_KINDS = (TOOL_START, TOOL_END, TOOL_FAILED, PERMISSION_REQUEST)


@dataclass(frozen=True)
class Tool:
    """The tool an event is about. `summary` is a program or file name, never its content."""

    name: str
    category: str = OTHER
    summary: str = ""
    id: str = ""


@dataclass(frozen=True)
class AgentEvent:
    """One normalized agent event.

    Attributes:
        agent: "claude", "codex", "cursor" or "gemini".
        source: "hook", "notify" or "rollout": the channel it came through.
        kind: one of KINDS.
        session: the agent's session (thread, conversation) id.
        turn: the agent's turn id when it has one (used to de-duplicate channels).
        tool: the tool for tool and permission events.
        project: basename of the working directory.
        message: short text for narration (the agent's last reply, a notification).
        detail: a short reason or code (notification type, error, end reason).
        ts: when the agent sent it (epoch seconds); received: when deskpet got it.
    """

    agent: str
    source: str
    kind: str
    session: str = ""
    turn: str = ""
    tool: Tool | None = None
    project: str = ""
    message: str = ""
    detail: str = ""
    ts: float = 0.0
    received: float = field(default_factory=time.time)


def _kind(agent: str, event: str, wire: dict) -> str | None:
    table = EVENT_TABLES.get(agent)
    if table is None:
        return None
    name = event.lower()
    if name == "notification":
        return NOTIFICATIONS.get(str(wire.get("ntype", "")).lower())
    if agent == "cursor" and name == "stop":
        return TURN_FAILED if str(wire.get("status", "")).lower() == "error" else TURN_COMPLETE
    return table.get(name)


def _number(value: object, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return default


def normalize(wire: object, received: float | None = None) -> AgentEvent | None:
    """The AgentEvent for one summary line, or None when it is unknown or malformed."""
    if not isinstance(wire, dict):
        return None
    received = time.time() if received is None else received
    agent = sanitize.clean_name(wire.get("agent"), 16)
    event = sanitize.clean_name(wire.get("event"))
    kind = _kind(agent, event, wire)
    if kind is None:
        return None
    source = wire.get("channel")
    source = source if source in ("hook", "notify", "rollout") else "hook"

    tool = None
    tool_name = sanitize.clean_name(wire.get("tool")) or _IMPLIED_TOOL.get(event.lower(), "")
    if kind in _TOOL_KINDS and (tool_name or wire.get("detail")):
        tool = Tool(
            name=tool_name,
            category=tool_category(tool_name),
            summary=sanitize.clean_text(wire.get("detail"), 60),
            id=sanitize.clean_id(wire.get("tool_id")),
        )
    elif kind == SUBAGENT_START or kind == SUBAGENT_STOP:
        tool = Tool(
            name="subagent",
            category=DELEGATE,
            summary=sanitize.clean_text(wire.get("subagent"), 40),
            id=sanitize.clean_id(wire.get("subagent_id")),
        )

    message = sanitize.clean_text(wire.get("message"), 300)
    if not message and kind in (PERMISSION_REQUEST, WAITING_FOR_OWNER):
        message = sanitize.clean_text(wire.get("note"), 120)
    detail = wire.get("error") or wire.get("ntype") or wire.get("reason") or wire.get("status")
    session = sanitize.clean_id(wire.get("session"))
    turn = sanitize.clean_id(wire.get("turn"))
    if turn == session:
        turn = ""  # Cursor's CLI repeats the conversation id as generation id: not a turn id
    return AgentEvent(
        agent=agent,
        source=source,
        kind=kind,
        session=session,
        turn=turn,
        tool=tool,
        project=sanitize.clean_basename(wire.get("cwd")),
        message=message,
        detail=sanitize.clean_text(detail, 60),
        ts=_number(wire.get("ts"), received),
        received=received,
    )


def from_payload(agent: str, payload: dict, channel: str = "hook") -> AgentEvent | None:
    """A raw agent payload straight to an AgentEvent (what shim + listener do together)."""
    from deskpet.bridge import hook

    return normalize(hook.summarize(agent, payload, channel))
