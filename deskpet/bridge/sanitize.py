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
# Linear on hostile input: every repeat after a lookbehind of its own characters starts only at
# the beginning of a run, so no run is scanned twice; other repeats are bounded.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A path of two or more components, absolute or relative: keep only the last one. It starts
# where a word starts (so "src/app/main.py" is one path, not "src" and a path), which also keeps
# each attempt linear: inside a run of path characters no new attempt begins.
_PATH = re.compile(r"(?<![\w.~/-])(?:~|\.{1,2}|[\w.-]+)?(?:/[^\s/'\"`<>|()\[\]]+){2,}/?")
_ID = re.compile(r"[^A-Za-z0-9._:-]")
_NAME = re.compile(r"[^\w.:+-]")


def _token(body: str, chars: str = "A-Za-z0-9_-") -> re.Pattern:
    """A token with a known shape, matched only where a run of `chars` begins."""
    return re.compile(rf"(?<![{chars}]){body}")


_LABEL = r"\1<redacted>"  # keep "Authorization: Basic " so the sentence still reads
_TOKENS = [
    _token(r"(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}"),  # OpenAI, Anthropic
    _token(r"(?:sk|rk|pk)_(?:live|test|prod)_[A-Za-z0-9]{10,}"),  # Stripe
    _token(r"gh[pousr]_[A-Za-z0-9]{20,}"),  # GitHub
    _token(r"github_pat_[A-Za-z0-9_]{20,}"),
    _token(r"gl(?:pat|ptt|dt|rt|cbt|ft|imt|soat|oas)-[A-Za-z0-9_.-]{20,}", "A-Za-z0-9_.-"),
    _token(r"npm_[A-Za-z0-9]{30,}"),
    _token(r"(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,}"),  # Slack
    _token(r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", "A-Za-z0-9_.-"),  # SendGrid
    _token(r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])"),  # AWS key id
    _token(r"AIza[0-9A-Za-z_-]{30,}"),  # Google
    _token(r"hf_[A-Za-z0-9]{20,}"),  # Hugging Face
    _token(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", "A-Za-z0-9_.-"),  # JWT
]
# Private keys, to their END line or to the end of a text cut off inside one.
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]{0,40}?PRIVATE KEY(?: BLOCK)?-----"
    r".*?(?:-----END [A-Z0-9 ]{0,40}?PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,30}://)[^\s/?#@]+@")
_SLACK_WEBHOOK = re.compile(r"(hooks\.slack\.com/)(?:services|workflows|triggers)/[\w/+-]+")
_AUTHORIZATION = re.compile(
    r"(?i)(?<![\w-])(authorization[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?"
    r"(?:(?:basic|bearer|token|digest|negotiate)[ \t]{1,8})?)[^\s\"',;]+"
)
_BEARER = re.compile(r"(?i)(?<![\w-])(bearer[ \t]{1,8})([A-Za-z0-9._~+/-]{12,}=*)")
# NAME=value, NAME: value, "name": "value", export NAME=value, where NAME ends in a secret word.
_ASSIGNMENT = re.compile(
    r"(?<![\w.-])([\w.-]{0,80}?"
    r"(?i:key|token|secret|password|passwd|pwd|passphrase|credentials?))"
    r"([\"']?[ \t]{0,8}(?:=|:=|:|=>)(?!=)[ \t]{0,8})"
    r"(\"[^\"\n]{0,1024}\"?|'[^'\n]{0,1024}'?|[^\s\"'`,;&<>(){}\[\]]+)"
)
_SECRET_WORD = re.compile(r"(?i)(key|token|secret|password|passwd|pwd|passphrase|credentials?)$")
# Names that end in a secret word without a separator ("apikey", "AUTHTOKEN").
_COMPOUNDS = ("api", "auth", "access", "secret", "private", "client", "session", "bot", "app")


def _names_a_secret(name: str) -> bool:
    """Whether NAME ends in a secret word as a word of its own, not "monkey" or "turkey"."""
    word = _SECRET_WORD.search(name)
    head = name[: word.start()] if word else name
    if not word or not head or head[-1] in "_.-" or name.isupper():
        return bool(word)
    if head[-1].islower() and word.group(0)[0].isupper():  # camelCase: apiKey, accessToken
        return True
    return head.lower().endswith(_COMPOUNDS)


def _redact_assignment(match: re.Match) -> str:
    name, sep, value = match.groups()
    quoted = value[:1] in "\"'"
    if not _names_a_secret(name) or (":" in sep and not quoted and len(value) < 6):
        return match.group(0)  # prose ("the key: it") or a short YAML word
    if quoted:
        return f"{name}{sep}{value[0]}<redacted>{value[0]}"
    return f"{name}{sep}<redacted>"


def _redact_bearer(match: re.Match) -> str:
    label, value = match.groups()
    return match.group(0) if value.isalpha() else f"{label}<redacted>"  # "bearer authentication"


def redact(text: str) -> str:
    """Secrets and e-mail addresses replaced by placeholders. Linear in len(text)."""
    text = _PRIVATE_KEY.sub("<redacted>", text)
    text = _URL_USERINFO.sub(r"\1<redacted>@", text)
    text = _SLACK_WEBHOOK.sub(_LABEL, text)
    text = _AUTHORIZATION.sub(_LABEL, text)
    text = _BEARER.sub(_redact_bearer, text)
    for pattern in _TOKENS:
        text = pattern.sub("<redacted>", text)
    text = _ASSIGNMENT.sub(_redact_assignment, text)
    return _EMAIL.sub("<email>", text)


def basename(text: str) -> str:
    return text.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]


def clean_text(value: object, limit: int = 300) -> str:
    """One line of safe display text: no controls, secrets, e-mails or full paths."""
    if not isinstance(value, str):
        return ""
    text = _CONTROL.sub(" ", hook.clip(value, limit * 4))
    text = redact(text)
    text = _PATH.sub(lambda m: basename(m.group(0)), text)
    text = " ".join(text.split())
    return hook.clip(text, limit - 1) + "…" if len(text) > limit else text


def clean_line(value: object, limit: int = 600) -> str:
    """One line for the owner's own screen (a permission card): no controls or secrets, but
    paths kept, since the owner decides on the exact command."""
    if not isinstance(value, str):
        return ""
    text = " ".join(redact(_CONTROL.sub(" ", hook.clip(value, limit * 4))).split())
    return hook.clip(text, limit - 1) + "…" if len(text) > limit else text


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
