"""The narrator: finished turns -> paced, bounded, clean narration requests (fake clock)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskpet.bridge import events as ev
from deskpet.bridge import hook
from deskpet.bridge.events import AgentEvent, Tool, normalize
from deskpet.bridge.narrator import (
    NarrationRequest,
    Narrator,
    clean_message,
    first_sentence,
    system_prompt,
)
from deskpet.bridge.sessions import SessionTracker

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_payload(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def tool(session: str, name: str, summary: str = "", agent: str = "claude") -> AgentEvent:
    return AgentEvent(
        agent,
        "hook",
        ev.TOOL_START,
        session=session,
        tool=Tool(name, ev.tool_category(name), summary),
    )


def done(
    session: str,
    message: str = "All tests pass now.",
    project: str = "myproject",
    agent: str = "claude",
) -> AgentEvent:
    return AgentEvent(
        agent, "hook", ev.TURN_COMPLETE, session=session, project=project, message=message
    )


@pytest.fixture
def clock():
    return Clock()


def test_a_finished_turn_becomes_one_request_with_its_tools(clock):
    narrator = Narrator(style="a playful cat", clock=clock)
    narrator.offer(tool("s1", "Bash", "git status"))
    narrator.offer(tool("s1", "Edit", "netlify.toml"))
    narrator.offer(tool("s1", "Bash", "git status"))  # the same use twice: listed once
    narrator.offer(tool("s2", "Read", "other.py"))  # another session's tools stay out
    assert narrator.offer(done("s1"))
    request = narrator.next_request()
    assert isinstance(request, NarrationRequest)
    assert (request.agent, request.project, request.speaker) == (
        "claude",
        "myproject",
        "Claude · myproject",
    )
    assert "What it did: edited netlify.toml, ran git status" in request.prompt
    assert "other.py" not in request.prompt
    assert "All tests pass now." in request.prompt and "one short sentence" in request.prompt
    assert "a playful cat" in request.system_prompt
    assert narrator.next_request() is None  # one turn, one narration


def test_a_new_prompt_starts_a_new_list_of_tools(clock):
    narrator = Narrator(clock=clock)
    narrator.offer(tool("s1", "Bash", "npm test"))
    narrator.offer(AgentEvent("claude", "hook", ev.PROMPT, session="s1"))
    narrator.offer(tool("s1", "Grep"))
    narrator.offer(done("s1"))
    prompt = narrator.next_request().prompt
    assert "searched the code" in prompt and "npm" not in prompt


def test_at_most_one_narration_per_interval(clock):
    narrator = Narrator(clock=clock, min_interval=10)
    narrator.offer(done("s1"))
    narrator.offer(done("s2"))
    assert narrator.next_request().prompt
    clock.t += 9.9
    assert narrator.next_request() is None and narrator.pending == 1
    clock.t += 0.2
    assert narrator.next_request() is not None


def test_the_queue_is_short_and_keeps_the_newest(clock):
    narrator = Narrator(clock=clock, queue_size=3, min_interval=0)
    for i in range(5):
        narrator.offer(done(f"s{i}", project=f"p{i}"))
    assert narrator.pending == 3
    assert [narrator.next_request().project for _ in range(3)] == ["p2", "p3", "p4"]


def test_a_second_turn_of_a_session_replaces_its_first(clock):
    narrator = Narrator(clock=clock, min_interval=0)
    narrator.offer(done("s1", "First thing."))
    narrator.offer(done("s1", "Second thing."))
    assert narrator.pending == 1
    assert "Second thing." in narrator.next_request().prompt


def test_stale_turns_are_dropped(clock):
    narrator = Narrator(clock=clock, max_age=60)
    narrator.offer(done("s1"))
    clock.t += 61
    narrator.offer(done("s2", project="fresh"))
    assert narrator.next_request().project == "fresh"
    assert narrator.pending == 0


def test_the_setting_turns_narration_off_and_drops_the_queue(clock):
    on = [True]
    narrator = Narrator(clock=clock, enabled=lambda: on[0])
    narrator.offer(done("s1"))
    on[0] = False
    assert narrator.next_request() is None and narrator.pending == 0
    assert not narrator.offer(done("s2"))
    on[0] = True
    assert narrator.next_request() is None


def test_failed_and_empty_turns_are_not_narrated(clock):
    narrator = Narrator(clock=clock)
    narrator.offer(AgentEvent("claude", "hook", ev.TURN_FAILED, session="s1", message="boom"))
    assert not narrator.offer(done("s2", message=""))  # no reply, no tools: nothing to say
    assert narrator.next_request() is None


def test_nothing_secret_or_code_reaches_the_prompt():
    message = (
        "Set token=abcdef123456 in /Users/me/secret/app/.env, see "
        "[the docs](https://example.com/x) and run ```bash rm -rf build ``` then "
        "mail bob@example.com with sk-ant-abcdefghijklmnopqrstuvwxyz0123"
    )
    cleaned = clean_message(message)
    for secret in ("abcdef123456", "/Users/me", "https://", "rm -rf", "bob@", "sk-ant", "`"):
        assert secret not in cleaned
    assert ".env" in cleaned and "the docs" in cleaned
    assert "Never repeat" in system_prompt("")


def test_the_real_stop_fixture_through_the_tracker_makes_a_clean_prompt(clock):
    # GIVEN Claude's real Stop payload, summarized by the shim and folded by the tracker
    tracker = SessionTracker(clock=clock)
    narrator = Narrator(clock=clock)
    pre = fixture_payload("claude_pretooluse_bash.json")
    stop = fixture_payload("claude_stop.json")
    pre["session_id"] = stop["session_id"]
    for payload in (pre, stop):
        event = tracker.feed(normalize(hook.summarize("claude", payload, "hook")))
        assert event is not None
        narrator.offer(event)
    # THEN one request names the project and tool, and keeps the reply's prose only
    request = narrator.next_request()
    assert request.speaker == "Claude · ai test web site"
    assert "ran echo" in request.prompt
    assert "Created netlify.toml." in request.prompt
    assert "```" not in request.prompt and "netlify deploy" not in request.prompt


@pytest.mark.parametrize(
    "text, shown",
    [
        ("  Claude fixed the tests. Then it slept.", "Claude fixed the tests."),
        ('"It edited two files!"\nMore text', "It edited two files!"),
        ("No end mark here", "No end mark here"),
        ("v1.2 is out, it said.", "v1.2 is out, it said."),
    ],
)
def test_first_sentence(text, shown):
    assert first_sentence(text) == shown


def test_the_line_names_the_agent_once(clock):
    narrator = Narrator(clock=clock)
    narrator.offer(done("s1"))
    request = narrator.next_request()
    assert request.line("Claude: Created netlify.toml. Then more.") == (
        "Claude · myproject: Created netlify.toml."
    )
    assert request.line("It fixed the build!") == "Claude · myproject: It fixed the build!"
    assert request.line("  \n ") == ""


def test_the_narrators_voice_is_built_once_per_persona_and_language(clock, monkeypatch):
    from deskpet import i18n
    from deskpet.bridge import narrator as narrator_module

    built: list[tuple[str, str]] = []
    real = narrator_module.system_prompt

    def counting(style, language=i18n.ENGLISH):
        built.append((style, language))
        return real(style, language)

    monkeypatch.setattr(narrator_module, "system_prompt", counting)
    persona = {"style": "a playful cat"}
    narrator = Narrator(style=lambda: persona["style"], clock=clock, min_interval=0.0)

    def narrate(session: str) -> str:
        assert narrator.offer(done(session))
        return narrator.next_request().system_prompt

    # GIVEN three narrations in the same voice: built once, the same text every time
    first = narrate("s1")
    assert narrate("s2") is first and narrate("s3") is first
    assert built == [("a playful cat", "en")]
    # WHEN the persona changes THEN the new voice is built once
    persona["style"] = "a sleepy owl"
    assert "sleepy owl" in narrate("s4") and "sleepy owl" in narrate("s5")
    assert built[1:] == [("a sleepy owl", "en")]
    # AND so when the owner's language changes
    try:
        i18n.set_language("zh")
        chinese = narrate("s6")
        assert "Simplified Chinese" in chinese and narrate("s7") is chinese
    finally:
        i18n.set_language("en")
    assert built[2:] == [("a sleepy owl", "zh")]
