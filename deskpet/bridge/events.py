"""One AgentEvent schema, and the normalizer that makes one from any agent's event.

Input is the summary line `deskpet-hook` sends (see hook.summarize), or a dict built by the
Codex rollout tailer in the same shape. Every field is treated as untrusted text and cleaned
here. Events we do not know map to None and are dropped quietly.

What each agent's event names mean is declared with the agent (bridge/agents/); those tables
ARE the behaviour, and docs/agents.md shows the same mapping for people.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from deskpet.bridge import agents, sanitize
from deskpet.bridge.kinds import (  # noqa: F401 - the kinds are also this module's vocabulary
    AGENT_MESSAGE,
    COMPACTING,
    KINDS,
    PERMISSION_REQUEST,
    PROMPT,
    SESSION_END,
    SESSION_START,
    SUBAGENT_START,
    SUBAGENT_STOP,
    TOOL_END,
    TOOL_FAILED,
    TOOL_START,
    TURN_COMPLETE,
    TURN_FAILED,
    WAITING_FOR_OWNER,
)
from deskpet.bridge.terminal import Terminal

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
        terminal: where the agent runs (from the hook's own environment), or None.
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
    terminal: Terminal | None = None


def _kind(agent_id: str, event: str, wire: dict) -> str | None:
    agent = agents.find(agent_id)
    if agent is None:
        return None
    return agent.kind(event, str(wire.get("ntype", "")), str(wire.get("status", "")))


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
    tool_name = sanitize.clean_name(wire.get("tool")) or agents.get(agent).implied_tool(event)
    if kind in _TOOL_KINDS and (tool_name or wire.get("detail")):
        category = tool_category(tool_name)
        hint = wire.get("detail")
        tool = Tool(
            name=tool_name,
            category=category,
            summary=sanitize.clean_host(hint) if category == WEB else sanitize.clean_text(hint, 60),
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
        terminal=Terminal.from_wire(wire.get("term")),
        ts=_number(wire.get("ts"), received),
        received=received,
    )


def from_payload(agent: str, payload: dict, channel: str = "hook") -> AgentEvent | None:
    """A raw agent payload straight to an AgentEvent (what shim + listener do together)."""
    from deskpet.bridge import hook

    return normalize(hook.summarize(agent, payload, channel))
