"""Golden table: every real agent payload -> the AgentEvent deskpet makes of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskpet.bridge import events, hook
from deskpet.bridge.events import AgentEvent, normalize

FIXTURES = Path(__file__).parent / "fixtures"

# fixture -> (kind, tool category, tool summary, detail, start of message)
GOLDEN = {
    "claude_sessionstart.json": ("session_start", None, None, "startup", ""),
    "claude_userpromptsubmit.json": ("prompt", None, None, "", ""),
    "claude_pretooluse_bash.json": ("tool_start", "shell", "echo", "", ""),
    "claude_pretooluse_edit_legacy.json": ("tool_start", "edit", "requirements.txt", "", ""),
    "claude_posttooluse_bash.json": ("tool_end", "shell", "mkdir", "", ""),
    "claude_posttooluse_edit.json": ("tool_end", "edit", "netlify.toml", "", ""),
    "claude_posttoolusefailure_bash.json": ("tool_failed", "shell", "git log", "Exit code 128", ""),
    "claude_permissionrequest_bash.json": ("permission_request", "shell", "ls", "", ""),
    "claude_notification_permission.json": (
        "permission_request",
        None,
        None,
        "permission_prompt",
        "Claude needs your permission",
    ),
    "claude_notification_idle.json": (
        "waiting_for_owner",
        None,
        None,
        "idle_prompt",
        "Claude is waiting for your input",
    ),
    "claude_stop.json": ("turn_complete", None, None, "", "Created `netlify.toml`. Pins publish"),
    "claude_stopfailure.json": ("turn_failed", None, None, "rate_limit", "API Error: Rate limit"),
    "claude_subagentstart.json": ("subagent_start", "delegate", "builder", "", ""),
    "claude_subagentstop.json": ("subagent_stop", "delegate", "general-purpose", "", "OK"),
    "claude_precompact.json": ("compacting", None, None, "manual", ""),
    "claude_sessionend.json": ("session_end", None, None, "other", ""),
    "codex_hook_sessionstart.json": ("session_start", None, None, "startup", ""),
    "codex_hook_userpromptsubmit.json": ("prompt", None, None, "", ""),
    "codex_hook_pretooluse_bash.json": ("tool_start", "shell", "echo", "", ""),
    "codex_hook_posttooluse_bash.json": ("tool_end", "shell", "echo", "", ""),
    "codex_hook_permissionrequest_bash.json": ("permission_request", "shell", "touch", "", ""),
    "codex_hook_stop.json": ("turn_complete", None, None, "", "hello-from-tma"),
    "codex_hook_sessionend.json": ("session_end", None, None, "other", ""),
    "codex_notify_agent_turn_complete.json": ("turn_complete", None, None, "", "All tests pass."),
    "codex_notify_official_wire_shape.json": (
        "turn_complete",
        None,
        None,
        "",
        "Rename complete and verified `cargo build` succeeds.",
    ),
    "cursor_sessionStart.json": ("session_start", None, None, "", ""),
    "cursor_beforeSubmitPrompt.json": ("prompt", None, None, "", ""),
    "cursor_beforeSubmitPrompt_v3.json": ("prompt", None, None, "", ""),
    "cursor_preToolUse_shell.json": ("tool_start", "shell", "echo", "", ""),
    "cursor_postToolUse_shell.json": ("tool_end", "shell", "", "", ""),
    "cursor_postToolUseFailure_shell.json": ("tool_failed", "shell", "cat", "error", ""),
    "cursor_beforeShellExecution.json": ("tool_start", "shell", "make run", "", ""),
    "cursor_afterFileEdit.json": ("tool_end", "edit", "index.html", "", ""),
    "cursor_stop.json": ("turn_complete", None, None, "completed", ""),
    "cursor_sessionEnd.json": ("session_end", None, None, "completed", ""),
    "cursor_sessionEnd_userclose.json": ("session_end", None, None, "user_close", ""),
    "gemini_beforetool_shell.json": ("tool_start", "shell", "echo", "", ""),
    "gemini_notification_toolpermission.json": (
        "permission_request",
        "shell",
        "rm",
        "ToolPermission",
        "Tool Confirm Shell Command",
    ),
    "gemini_afteragent.json": ("turn_complete", None, None, "", "hello-from-tma"),
}
PROJECTS = {
    "claude_posttooluse_bash.json": "ai test web site",
    "claude_userpromptsubmit.json": "claude_code_observability",
    "claude_pretooluse_edit_legacy.json": "vk-2b7f-please-fix",
    "cursor_afterFileEdit.json": "grafanaDemoPersonal",
    "codex_notify_official_wire_shape.json": "project",
}


def test_golden_table_covers_every_fixture():
    assert set(GOLDEN) == {p.name for p in FIXTURES.glob("*.json")}


def _event(name: str) -> AgentEvent:
    agent = name.split("_")[0]
    channel = "notify" if name.startswith("codex_notify") else "hook"
    event = events.from_payload(agent, json.loads((FIXTURES / name).read_text()), channel)
    assert event is not None, name
    return event


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_fixture_maps_to_golden_event(name):
    kind, category, summary, detail, message = GOLDEN[name]
    event = _event(name)
    assert event.agent == name.split("_")[0]
    assert event.kind == kind
    if category is None:
        assert event.tool is None
    else:
        assert event.tool is not None
        assert (event.tool.category, event.tool.summary) == (category, summary)
    assert event.detail == detail
    assert event.message.startswith(message)
    assert event.session  # every fixture names its session
    if name in PROJECTS:
        assert event.project == PROJECTS[name]


def test_codex_notify_is_marked_as_notify_channel():
    assert _event("codex_notify_agent_turn_complete.json").source == "notify"
    assert _event("codex_hook_stop.json").source == "hook"


def test_ids_that_de_duplication_relies_on():
    pre = _event("codex_hook_pretooluse_bash.json")
    post = _event("codex_hook_posttooluse_bash.json")
    assert pre.tool.id == post.tool.id == "exec-4db29871-277d-4e22-a534-937704bd3bf6"
    stop, notify = _event("codex_hook_stop.json"), _event("codex_notify_agent_turn_complete.json")
    assert (stop.session, stop.turn) == (notify.session, notify.turn)
    # Cursor's CLI repeats the conversation id as generation id; that is not a turn.
    assert _event("cursor_preToolUse_shell.json").turn == ""
    assert _event("cursor_stop.json").turn == "bd69fa74-23c8-41e5-9e37-b3c131c4b59c"


def test_prompts_outputs_and_emails_never_leave_the_shim():
    for path in FIXTURES.glob("*.json"):
        payload = json.loads(path.read_text())
        line = json.dumps(hook.summarize(path.name.split("_")[0], payload))
        for secret in (
            "create a README",
            "Reply with exactly",
            "uname -a",
            "grafana app",
            "user@example.com",
            "claude-reflect.svg",
            "publish = ",
            "No such file",
            "fatal:",
            "transcript",
            "hello-from-tma\\n",
            "figma",
        ):
            assert secret not in line, (path.name, secret)


def test_cursor_replay_of_claude_hooks_is_cursor():
    payload = json.loads((FIXTURES / "cursor_preToolUse_shell.json").read_text())
    payload["hook_event_name"] = "PreToolUse"  # as Cursor replays ~/.claude/settings.json
    event = events.from_payload("claude", payload)
    assert (event.agent, event.kind, event.tool.id) == (
        "cursor",
        "tool_start",
        "fc8581b3-2f76-44e8-a8de-51f4d1d2929d",
    )


def test_cursor_stop_with_error_status_is_a_failed_turn():
    payload = json.loads((FIXTURES / "cursor_stop.json").read_text())
    payload["status"] = "error"
    assert events.from_payload("cursor", payload).kind == "turn_failed"


@pytest.mark.parametrize(
    "wire",
    [
        None,
        [],
        "text",
        {},
        {"agent": "claude"},
        {"agent": "claude", "event": "Nope"},
        {"agent": "nobody", "event": "Stop"},
        {"agent": "claude", "event": "Notification"},
        {"agent": "claude", "event": "Notification", "ntype": "auth_success"},
        {"agent": "cursor", "event": "afterAgentThought"},
    ],
)
def test_unknown_or_malformed_events_are_dropped(wire):
    assert normalize(wire) is None


def test_missing_fields_are_tolerated():
    event = normalize({"agent": "claude", "event": "PreToolUse"})
    assert event is not None and event.kind == "tool_start"
    assert (event.session, event.project, event.tool) == ("", "", None)


def test_every_field_is_cleaned_as_untrusted_text():
    event = normalize(
        {
            "agent": "claude",
            "event": "Stop",
            "session": "abc\x1b[31m;rm -rf /",
            "cwd": "/Users/me/secret project/\x07app",
            "message": "done \x1b[2J with key sk-ant-api03-abcdefghijklmnopqrstuvwxyz and "
            "ghp_abcdefghijklmnopqrstuvwxyz0123 mail me@corp.com see /Users/me/x/notes.md\u202e",
            "ts": "not a number",
        }
    )
    assert event.session == "abc31mrm-rf"
    assert event.project == "app"
    assert "sk-ant" not in event.message and "ghp_" not in event.message
    assert "me@corp.com" not in event.message and "<email>" in event.message
    assert "/Users/me" not in event.message and "notes.md" in event.message
    assert not any(ord(c) < 32 or c == "\u202e" for c in event.message)
    assert event.ts == event.received


def test_long_message_is_truncated():
    event = normalize({"agent": "codex", "event": "Stop", "message": "word " * 500})
    assert len(event.message) <= 300


@pytest.mark.parametrize(
    ("detail", "host"),
    [
        ("ghp_abcdefghijklmnopqrstuvwx@github.com", "github.com"),
        ("user:hunter2pass@example.com:8443", "example.com:8443"),
        ("https://tok3nvalue@host/path", "host"),
        ("[::1]:8000", "[::1]:8000"),
        ("docs.python.org", "docs.python.org"),
        ("\x1b[31mnot a host", ""),
    ],
)
def test_a_web_tool_summary_is_only_a_host_whatever_the_sender_put_there(detail, host):
    # A socket writer (or an older shim) may send a URL or its userinfo as the tool detail.
    event = normalize(
        {"agent": "claude", "event": "PreToolUse", "tool": "WebFetch", "detail": detail}
    )
    assert (event.tool.category, event.tool.summary) == ("web", host)
