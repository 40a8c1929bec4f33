"""A finished agent turn -> one short request for the model to say what the agent did.

Pure logic with an injectable clock, no Qt and no MLX. The app `offer()`s every event that
SessionTracker.feed returned (so duplicates are already gone); tool events are remembered per
session, and a turn_complete becomes one NarrationRequest in a short queue. The app asks
`next_request()` whenever the model is free. At most one narration per `min_interval`, a full
queue drops its oldest entry, and entries older than `max_age` are news no longer.

What goes into the prompt is only what the bridge already cleaned (the agent's last reply, cut
and stripped of secrets; tool names, programs and file names), cleaned once more: code blocks,
links and paths never reach the model, so they cannot reach the bubble either.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from deskpet import i18n
from deskpet.bridge import agents, sanitize
from deskpet.bridge import events as ev
from deskpet.bridge.events import AgentEvent

MIN_INTERVAL = 10.0  # seconds between two narrations
QUEUE_SIZE = 3
MAX_AGE = 60.0  # a turn that waited longer than this is not worth telling any more
MAX_TOOLS = 6  # tools listed in one prompt (the most recent distinct ones)
MAX_SESSIONS = 64  # sessions whose tools we remember
MESSAGE_CHARS = 240
DEFAULT_STYLE = "a friendly desk pet"

_FENCE = re.compile(r"```.*?(```|$)")  # the bridge joins lines, so a block is on one line
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)?")
_URL = re.compile(r"\b(?:https?|ftp)://\S*|\bwww\.\S+")
_CODE_TICKS = re.compile(r"`+")


def agent_name(agent: str) -> str:
    """The agent's short name for a sentence ("Claude"); made up from the id if unknown."""
    found = agents.find(agent)
    return found.name if found else agent.capitalize() or "An agent"


@dataclass(frozen=True)
class NarrationRequest:
    """What to ask the model, and whom the answer is about.

    Attributes:
        prompt: the user turn (facts about the turn, then the instruction).
        system_prompt: the narrator's voice (the persona's narration style).
        agent, project: shown beside the sentence ("Claude · myproject").
        created: clock time at which the turn finished.
    """

    prompt: str
    system_prompt: str
    agent: str
    project: str
    created: float

    @property
    def speaker(self) -> str:
        name = agent_name(self.agent)
        return f"{name} · {self.project}" if self.project else name

    def line(self, answer: str) -> str:
        """The bubble's line for the model's answer ("Claude · myproject: It ..."), or ""."""
        sentence = first_sentence(answer)
        # Small models like to echo the prompt's field label ("Claude: Created ...").
        for label in (agent_name(self.agent), "Agent", self.speaker):
            if sentence.lower().startswith(label.lower() + ":"):
                sentence = sentence[len(label) + 1 :].strip()
        return f"{self.speaker}: {sentence}" if sentence else ""


# The narrator's instructions stay in English (small models follow English instructions
# best); only the language of the sentence follows the owner's.
_WRITE_IN = {i18n.CHINESE: " Write the sentence in Simplified Chinese."}


def system_prompt(style: str, language: str = i18n.ENGLISH) -> str:
    style = sanitize.clean_text(style, 120) or DEFAULT_STYLE
    return (
        "You narrate what a coding agent just did, in one short sentence, in the voice of "
        f"{style}. Never repeat code, commands, file paths, links, keys or passwords."
        + _WRITE_IN.get(language, "")
    )


def clean_message(text: str) -> str:
    """The agent's reply as plain prose for the prompt: no code blocks, links or paths."""
    text = _FENCE.sub(" ", sanitize.clean_text(text, MESSAGE_CHARS * 2))
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _CODE_TICKS.sub("", text)
    text = " ".join(text.split())
    return text[: MESSAGE_CHARS - 1] + "…" if len(text) > MESSAGE_CHARS else text


def describe_tool(tool: ev.Tool) -> str:
    """One short phrase per tool use: "ran git", "edited netlify.toml"."""
    what = sanitize.clean_text(tool.summary, 40)
    category = tool.category
    if category == ev.SHELL:
        return f"ran {what}" if what else "ran a command"
    if category == ev.EDIT:
        return f"edited {what}" if what else "edited a file"
    if category == ev.READ:
        return f"read {what}" if what else "read a file"
    if category == ev.SEARCH:
        return "searched the code"
    if category == ev.DELEGATE:
        return "asked a helper agent"
    if category == ev.WEB:
        return "looked something up on the web"
    name = sanitize.clean_name(tool.name, 40)
    return f"used {name}" if name else "used a tool"


def first_sentence(text: str, limit: int = 200) -> str:
    """The narration as shown: one line, one sentence, a sane length."""
    lines = [line for line in text.splitlines() if line.strip()]
    text = sanitize.clean_text(lines[0] if lines else "", limit * 2)
    match = re.search(r"[.!?…][\"')\]]*(?=\s|$)|[。！？][”’」』）\"')\]]*", text)
    if match:
        text = text[: match.end()]
    text = text.strip(" \"'")
    return text[: limit - 1] + "…" if len(text) > limit else text


class Narrator:
    """Turns finished agent turns into narration requests, paced and bounded.

    `style` is the persona's narration style (a string, or a callable read at each turn so a
    persona switch takes effect). `enabled` is read at each offer and request: the narration
    setting (and do-not-disturb) turn narration off, and turning it off drops the queue.
    """

    def __init__(
        self,
        style: str | Callable[[], str] = DEFAULT_STYLE,
        enabled: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.monotonic,
        min_interval: float = MIN_INTERVAL,
        queue_size: int = QUEUE_SIZE,
        max_age: float = MAX_AGE,
    ) -> None:
        self._style = style
        self._enabled = enabled
        self.now = clock
        self.min_interval = min_interval
        self.queue_size = queue_size
        self.max_age = max_age
        self._tools: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
        self._queue: OrderedDict[tuple[str, str], NarrationRequest] = OrderedDict()
        self._last_given: float | None = None
        self._voice: tuple[str, str, str] | None = None  # (style, language, system prompt)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def offer(self, event: AgentEvent) -> bool:
        """Take one (de-duplicated) event. Returns True when it queued a narration."""
        key = (event.agent, event.session)
        kind = event.kind
        if kind == ev.PROMPT:
            self._tools.pop(key, None)  # a new turn: its own tools
        elif kind in (ev.TOOL_START, ev.SUBAGENT_START) and event.tool is not None:
            self._remember(key, describe_tool(event.tool))
        elif kind == ev.SESSION_END:
            self._tools.pop(key, None)
        elif kind == ev.TURN_FAILED:
            self._tools.pop(key, None)  # the pet shows the error; nothing to tell
        elif kind == ev.TURN_COMPLETE:
            tools = self._tools.pop(key, [])
            if not self._enabled():
                return False
            request = self._build(event, tools)
            if request is None:
                return False
            self._queue.pop(key, None)  # a newer turn of the same session replaces it
            self._queue[key] = request
            while len(self._queue) > self.queue_size:
                self._queue.popitem(last=False)  # the oldest news goes first
            return True
        return False

    def next_request(self, now: float | None = None) -> NarrationRequest | None:
        """The next narration to ask for, or None (nothing new, too soon, or turned off)."""
        now = self.now() if now is None else now
        if not self._enabled():
            self._queue.clear()
            return None
        for key in [k for k, r in self._queue.items() if now - r.created > self.max_age]:
            del self._queue[key]
        if not self._queue:
            return None
        if self._last_given is not None and now - self._last_given < self.min_interval:
            return None
        self._last_given = now
        return self._queue.popitem(last=False)[1]

    def clear(self) -> None:
        self._queue.clear()

    def _remember(self, key: tuple[str, str], phrase: str) -> None:
        tools = self._tools.setdefault(key, [])
        self._tools.move_to_end(key)
        if phrase in tools:
            tools.remove(phrase)
        tools.append(phrase)
        del tools[:-MAX_TOOLS]
        while len(self._tools) > MAX_SESSIONS:
            self._tools.popitem(last=False)

    def _system_prompt(self) -> str:
        """The narrator's voice, built again only when the persona's style or the owner's
        language changed: the same text each time, so the worker's cached prefix for it
        keeps serving."""
        style = self._style() if callable(self._style) else self._style
        language = i18n.language()
        if self._voice is None or self._voice[:2] != (style, language):
            self._voice = (style, language, system_prompt(style, language))
        return self._voice[2]

    def _build(self, event: AgentEvent, tools: list[str]) -> NarrationRequest | None:
        message = clean_message(event.message)
        if not message and not tools:
            return None  # nothing to say about a turn we know nothing of
        name = agent_name(event.agent)
        project = sanitize.clean_text(event.project, 60)
        lines = [f"Agent: {name}"]
        if project:
            lines.append(f"Project: {project}")
        if tools:
            lines.append("What it did: " + ", ".join(tools))
        if message:
            lines.append(f"Its last message: {message}")
        lines.append(f"\nTell the owner in one short sentence what {name} did.")
        return NarrationRequest(
            prompt="\n".join(lines),
            system_prompt=self._system_prompt(),
            agent=event.agent,
            project=project,
            created=self.now(),
        )
