"""Secret redaction: real-looking (fake) credentials go, everyday prose stays, hostile input is
linear work. Agent text reaches the bubble and the narration prompt only through it."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
from pathlib import Path

import pytest

from deskpet.bridge import events, hook, sanitize
from deskpet.bridge.narrator import Narrator
from deskpet.bridge.server import BridgeServer

FIXTURES = Path(__file__).parent / "fixtures"

# (what it is, the text an agent might write, the secret in it)
SECRETS = [
    ("env assignment", "OPENAI_API_KEY=sk-proj-Qw3rTy7uI9oPaS2dF4gH6jK8lZxCvBnM", "sk-proj-Qw3rTy"),
    ("short env value", "set DATABASE_PASSWORD=hunter22 first", "hunter22"),
    ("export", 'export ANTHROPIC_API_KEY="zq81Tk2-Vb7Xn0Pw"', "zq81Tk2-Vb7Xn0Pw"),
    ("any *_TOKEN", "GITHUB_TOKEN=abc123def456", "abc123def456"),
    ("any *_SECRET", "JWT_SECRET=correct-horse-battery", "correct-horse-battery"),
    ("any *PASSWORD", "PGPASSWORD=Tr0ub4dor&3 psql", "Tr0ub4dor"),
    ("yaml", "client_secret: 9f8e7d6c5b4a39281706", "9f8e7d6c5b4a39281706"),
    ("json", '{"api_key": "a1b2c3d4e5f6g7h8", "n": 1}', "a1b2c3d4e5f6g7h8"),
    ("camelCase json", "{'accessToken': 'Zm9vYmFyYmF6cXV4'}", "Zm9vYmFyYmF6cXV4"),
    ("query string", "GET /v1/items?apikey=8c1e5d2f9a3b&page=2", "8c1e5d2f9a3b"),
    (
        "aws secret",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG",
    ),
    ("aws key id", "key id AKIAIOSFODNN7EXAMPLE in use", "AKIAIOSFODNN7EXAMPLE"),
    ("stripe live", "charged with sk_live_4eC39HqLyjWDarjtT1zdp7dc ok", "4eC39HqLyjWDarjtT1zdp7dc"),
    ("stripe restricted", "rk_live_51H8xYzAbCdEfGhIjKlMnOp", "51H8xYzAbCdEfGhIjKlMnOp"),
    ("basic header", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
    ("bearer header", "-H 'Authorization: Bearer 0a1b2c3d4e5f6a7b8c9d'", "0a1b2c3d4e5f6a7b8c9d"),
    ("url userinfo", "cloned https://deploy:S3cr3tPa55@git.example.com/x.git", "S3cr3tPa55"),
    ("url token", "pushed to https://ghx9Fk2LmQ7@github.com/me/repo", "ghx9Fk2LmQ7"),
    (
        "sendgrid",
        "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",
        "TwL2iGABf9DHoTf",
    ),
    ("gitlab pat", "token glpat-xYz1234567890AbCdEfGh in CI", "xYz1234567890AbCdEfGh"),
    (
        "npm",
        "//registry.npmjs.org/:_authToken=npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "a1B2c3D4",
    ),
    (
        "slack webhook",
        "posted to https://hooks.slack.com/services/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",
        "Xq8rT2vLp9ZkW3nB5mC7dF1g",
    ),
    ("slack bot", "xoxb-2048163492-7702371958-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKlMnOp"),
    ("slack user", "xoxp-2048163492-7702371958-1029384756-0f9e8d7c6b5a", "0f9e8d7c6b5a"),
    (
        "pem",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx3kP9q\nZyW8vT2uR5s\n"
        "-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEAx3kP9q",
    ),
    (
        "pem cut off",
        "here: -----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAA",
        "b3BlbnNzaC1rZXktdjEA",
    ),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
    ),
    ("openai", "use sk-proj-A1b2C3d4E5f6G7h8I9j0 now", "A1b2C3d4E5f6G7h8I9j0"),
    ("github", "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "A1b2C3d4E5f6G7h8"),
]

PROSE = [
    "ran pytest in 3.2s",
    "fixed the KEY_MAP lookup",
    "token count is 512",
    "password field validation",
    "max_tokens=512 and num_keys=3",
    "the monkey: bananas everywhere",
    "if key == 5: return",
    "bearer authentication works now",
    "Authorization header is optional",
    "commit 19f8748648146d82ee1ad92387fc9d93613f022b is on main",
    "id 78139b05-16d8-4190-b888-55f2eec06d47",
    "bumped to version 1.2.3-rc.1 (was 0.9.12)",
    "see deskpet/bridge/sanitize.py",
    "sk-learn is not a token",
    "https://docs.python.org/3/library/re.html",
]


def _no_piece_of(secret: str, text: str) -> bool:
    return all(secret[i : i + 8] not in text for i in range(max(1, len(secret) - 7)))


@pytest.mark.parametrize(("what", "text", "secret"), SECRETS, ids=[s[0] for s in SECRETS])
def test_a_secret_is_fully_redacted(what, text, secret):
    for shown in (sanitize.redact(text), sanitize.clean_text(text)):
        assert "<redacted>" in shown, what
        assert _no_piece_of(secret, shown), (what, shown)


@pytest.mark.parametrize("text", PROSE)
def test_prose_survives_unchanged(text):
    assert sanitize.redact(text) == text


def test_prose_without_paths_survives_the_display_cleaning_too():
    for text in PROSE:
        if "/" not in text:
            assert sanitize.clean_text(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("edited src/app/main.py and tests", "edited main.py and tests"),
        ("read /Users/me/work/project/notes.md", "read notes.md"),
        ("wrote ~/code/app/x.py, ../lib/util.py and ./a/b.txt", "wrote x.py, util.py and b.txt"),
        ("fixed one/two", "fixed one/two"),  # one separator is prose ("and/or"), not a path
    ],
)
def test_paths_are_cut_to_their_last_part_whole(text, shown):
    assert sanitize.clean_text(text) == shown


@pytest.mark.parametrize(("what", "text", "secret"), SECRETS, ids=[s[0] for s in SECRETS])
def test_agent_text_reaches_the_pet_redacted(what, text, secret):
    # The shim's summary, then the pet's normalizer: the path every agent reply takes.
    payload = {"hook_event_name": "Stop", "session_id": "s1", "last_assistant_message": text}
    event = events.from_payload("claude", payload)
    assert _no_piece_of(secret, event.message), (what, event.message)


def test_a_secret_cut_by_the_length_limit_is_dropped_not_half_shown():
    # GIVEN a reply whose token straddles the shim's 300-character cut
    token = "ghp_" + "Zq7Xw2Vb9Nm4Lk6Jh8Gf3Ds5Aa1Ss0Dd2Ff4Gg"
    text = "word " * 57 + token + " and more"
    assert text.index(token) < hook.MESSAGE_CHARS < text.index(token) + len(token)
    payload = {"hook_event_name": "Stop", "session_id": "s1", "last_assistant_message": text}
    # WHEN it is summarized and normalized THEN no piece of the token is left
    wire = hook.summarize("claude", payload)
    assert "ghp_Zq7" not in wire["message"] and wire["message"].endswith("word…")
    assert "Zq7Xw2Vb" not in events.normalize(wire).message


def test_the_narration_prompt_and_the_bubble_get_only_redacted_text(home):
    # GIVEN a running pet WHEN the real shim delivers a reply full of secrets
    # THEN the event and the narration prompt built from it hold none of them
    payload = json.loads((FIXTURES / "claude_stop.json").read_text())
    payload["last_assistant_message"] = (
        "Done. I set OPENAI_API_KEY=sk-proj-Qw3rTy7uI9oPaS2dF4gH6jK8lZxCvBnM and "
        "pushed via https://deploy:S3cr3tPa55@git.example.com/x.git; "
        "-----BEGIN EC PRIVATE KEY----- MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5 "
        "-----END EC PRIVATE KEY----- all tests pass."
    )
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put):
        proc = subprocess.run(
            [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "claude"],
            input=json.dumps(payload).encode(),
            capture_output=True,
            timeout=10,
        )
        event = got.get(timeout=2)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    narrator = Narrator(clock=lambda: 1000.0)
    assert narrator.offer(event)
    prompt = narrator.next_request().prompt
    for secret in ("Qw3rTy7uI9oPaS2d", "S3cr3tPa55", "MHcCAQEEIBkg4LVWM9nu"):
        assert secret not in event.message and secret not in prompt
    assert "all tests pass" in prompt


# Inputs built to make a backtracking matcher scan the same run again from every position.
ADVERSARIAL = [
    "a" * 90_000,
    "a.@" * 30_000,
    "eyJ-" * 22_000,
    "SG." * 30_000,
    "sk-" * 30_000,
    "xkey" * 22_000,
    "x_key:" * 15_000,
    "KEY " * 22_000,
    "a://" * 22_000,
    "bearer " * 13_000,
    "authorization:" * 6_000,
    "-----BEGIN PRIVATE KEY-----" * 3_000,
]


def test_a_megabyte_of_hostile_text_redacts_in_bounded_time():
    # GIVEN 1 MB of text shaped against every pattern WHEN redacted in a child process
    # THEN it finishes (linear: about a second here; quadratic would take hours)
    text = "\n".join(ADVERSARIAL)
    assert len(text) >= 1_000_000
    code = (
        "import sys; from deskpet.bridge import sanitize; "
        "text = sys.stdin.read(); sanitize.redact(text); print(len(sanitize.clean_text(text)))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and int(proc.stdout) <= 300


def test_a_huge_single_word_reply_does_not_stall_the_shim(home):
    # The shim scrubs e-mail addresses from every field it keeps: linear on a 1 MB word.
    payload = json.loads((FIXTURES / "claude_stop.json").read_text())
    payload["last_assistant_message"] = "a" * (hook.MAX_STDIN - 1000)
    proc = subprocess.run(
        [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "claude"],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=10,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
