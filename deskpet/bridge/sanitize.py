"""Cleaning untrusted text that arrives over the bridge socket or from rollout files.

Anyone who can write to the socket (or a buggy agent) controls these strings, and the pet shows
them in a bubble and feeds them to the model. So: no control characters, no secrets, no e-mail
addresses, no full paths, and a hard length limit.
"""

from __future__ import annotations

import re

from deskpet.bridge import hook

# Cc, the bidi overrides that can make a bubble lie about what it says, and lone surrogates
# ("\ud800" in JSON): they cannot be encoded as UTF-8 for Qt or the model.
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SECRETS = [
    re.compile(r"\b(?:sk|pk|rk)-(?:[A-Za-z0-9_-]+-)?[A-Za-z0-9_-]{16,}"),  # OpenAI, Anthropic
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),  # GitHub
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),  # Slack
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key id
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),  # Google
    re.compile(r"\bhf_[A-Za-z0-9]{20,}"),  # Hugging Face
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # JWT
    re.compile(
        r"(?i)\b(bearer|token|api[_-]?key|secret|password|passwd)(\s*[:=]\s*|\s+)[^\s'\"`]{6,}"
    ),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
]
# A path of two or more components: keep only the last one.
_PATH = re.compile(r"(?:~|\.{1,2})?(?:/[^\s/'\"`<>|()\[\]]+){2,}/?")
_ID = re.compile(r"[^A-Za-z0-9._:-]")
_NAME = re.compile(r"[^\w.:+-]")


def _redact_secret(match: re.Match) -> str:
    if match.lastindex and match.lastindex >= 2:  # keep "token=" so the sentence still reads
        return f"{match.group(1)}{match.group(2)}<redacted>"
    return "<redacted>"


def redact(text: str) -> str:
    """Secrets and e-mail addresses replaced by placeholders."""
    for pattern in _SECRETS:
        text = pattern.sub(_redact_secret, text)
    return _EMAIL.sub("<email>", text)


def basename(text: str) -> str:
    return text.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]


def clean_text(value: object, limit: int = 300) -> str:
    """One line of safe display text: no controls, secrets, e-mails or full paths."""
    if not isinstance(value, str):
        return ""
    text = _CONTROL.sub(" ", value[: limit * 4])
    text = redact(text)
    text = _PATH.sub(lambda m: basename(m.group(0)), text)
    text = " ".join(text.split())
    return text[: limit - 1] + "…" if len(text) > limit else text


def clean_id(value: object, limit: int = 80) -> str:
    """Session, turn and tool ids: a strict character set, so they are safe as dict keys."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _ID.sub("", value)[:limit] if isinstance(value, str) else ""


def clean_name(value: object, limit: int = 64) -> str:
    """Tool and event names ("Bash", "mcp__github__create_issue", "agent-turn-complete")."""
    return _NAME.sub("", value)[:limit] if isinstance(value, str) else ""


def clean_basename(value: object, limit: int = 80) -> str:
    """A file or folder name shown instead of its path."""
    if not isinstance(value, str):
        return ""
    return clean_text(basename(value.strip()), limit)


def clean_host(value: object, limit: int = 60) -> str:
    """A web tool's host and port, without the userinfo (often a token) or the path."""
    return clean_text(hook.url_host(value), limit)
