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
class Ask:
    """What an agent asks the owner, for a card beside the pet.

    Shown on the owner's screen only: never logged, stored, narrated or given to the model
    (AgentEvent leaves it out of its repr).

    Attributes:
        kind: "shell", "edit", "web", "mcp", "question" or "other".
        text: what is asked: the command line, the files and size of an edit, the host, the
            MCP server and tool, or the question.
        note: the agent's own short description of the call.
        options: a question's choices (a question card only shows them).
        suggestions: (the agent's index, plain words) for each "always allow" choice.
        request: the bridge's handle of a request the hook waits on ("" when nothing waits:
            the card cannot decide).
        wait: seconds the hook waits for a click.
    """

    kind: str
    text: str = ""
    note: str = ""
    options: tuple[str, ...] = ()
    suggestions: tuple[tuple[int, str], ...] = ()
    request: str = ""
    wait: float = 0.0


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
        ask: what a permission request or a question asks the owner, for a card.
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
    ask: Ask | None = field(default=None, repr=False, compare=False)


_ASK_KINDS = ("shell", "edit", "web", "mcp", "question", "other")
# Where an "always allow" choice is kept, in the owner's words.
_PLACES = {
    "session": "for this session",
    "localSettings": "in this project",
    "projectSettings": "in this project, for everyone",
    "userSettings": "everywhere",
}


def _rule_words(rule: object) -> str:
    if not isinstance(rule, list) or len(rule) != 2:
        return ""
    tool = sanitize.clean_name(rule[0])
    content = sanitize.clean_line(rule[1], 200).replace("`", "'")
    if not content:
        return f"every {tool} call" if tool else ""
    return f"`{content}`" if tool in ("Bash", "Shell", "PowerShell") else f"{tool} `{content}`"


def suggestion_words(item: object) -> str:
    """Claude Code's "always allow" choice in plain words, or "" for one not offered."""
    if not isinstance(item, dict):
        return ""
    place = _PLACES.get(str(item.get("destination")), "")
    kind = item.get("type")
    if kind == "addRules" and item.get("behavior") == "allow":
        rules = [w for w in map(_rule_words, item.get("rules") or []) if w]
        return f"Always allow {' and '.join(rules)} {place}".strip() if rules else ""
    if kind == "setMode" and item.get("mode") == "acceptEdits":
        return f"Accept every edit {place}".strip()
    if kind == "addDirectories":
        dirs = [sanitize.clean_basename(d, 60) for d in item.get("dirs") or []]
        dirs = [d for d in dirs if d]
        return f"Always allow files in {', '.join(dirs)} {place}".strip() if dirs else ""
    return ""


def _ask_text(ask: dict) -> str:
    kind = ask.get("kind")
    if kind == "mcp":
        server = sanitize.clean_line(ask.get("server"), 80)
        name = sanitize.clean_line(ask.get("name"), 80)
        return f"{name} on the {server} MCP server" if server else name
    if kind == "edit":
        files = [sanitize.clean_basename(f, 80) for f in ask.get("files") or [] if f]
        size = sanitize.clean_line(ask.get("size"), 40)
        return ", ".join(f for f in files if f) + (f" ({size})" if size else "")
    if kind == "web" and ask.get("host"):
        return sanitize.clean_host(ask.get("host"), 80)
    return sanitize.clean_line(ask.get("text"))


def read_ask(wire: dict, kind: str) -> Ask | None:
    """The Ask a hook line carries, cleaned; None when it carries none."""
    ask = wire.get("ask")
    if not isinstance(ask, dict) or kind not in (PERMISSION_REQUEST, TOOL_START):
        return None
    ask_kind = ask.get("kind") if ask.get("kind") in _ASK_KINDS else "other"
    options = ask.get("options") if isinstance(ask.get("options"), list) else []
    found = wire.get("suggestions") if isinstance(wire.get("suggestions"), list) else []
    suggestions = []
    for item in found[:4]:
        index = item.get("i") if isinstance(item, dict) else None
        words = suggestion_words(item)
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < 4 and words:
            suggestions.append((index, words))
    return Ask(
        kind=ask_kind,
        text=_ask_text(ask),
        note=sanitize.clean_line(ask.get("note"), 200),
        options=tuple(sanitize.clean_line(o, 80) for o in options[:6] if isinstance(o, str)),
        suggestions=tuple(suggestions),
    )


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
        ask=read_ask(wire, kind),
    )


def from_payload(agent: str, payload: dict, channel: str = "hook") -> AgentEvent | None:
    """A raw agent payload straight to an AgentEvent (what shim + listener do together)."""
    from deskpet.bridge import hook

    return normalize(hook.summarize(agent, payload, channel))
