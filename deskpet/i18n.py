"""The owner's language: English or Simplified Chinese, for every line deskpet shows.

Code writes its English text as it reads, wrapped in `tr`: `tr("Allow")`, or with fields,
`tr("{agent} needs you", agent=name)`. The English text is the key; each other language has one
catalog (deskpet/locales/<language>.py, a dict from the English text to its translation), and a
test keeps every catalog's keys equal to the texts the code asks for: none missing, none stale.
A text with no translation shows in English, never as an empty line.

Below the UI (inference, personas, bridge, settings), a reason or finding is a `Said`: the
English text and its fields, unjoined. Logs and exceptions' messages carry its English (so the
owner can send us a log we read); the UI and the terminal show `shown(it)` in the owner's
language.

The language is chosen once at start (`choose`): the `language` setting, or with "auto" the
system's preferred languages (Qt's on the desktop, the locale variables in a terminal). No Qt
here: the bridge, the personas and the terminal commands speak the same language as the UI.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable

log = logging.getLogger(__name__)

ENGLISH = "en"
CHINESE = "zh"
LANGUAGES = (ENGLISH, CHINESE)
# What the language setting offers: "auto" follows the system.
CHOICES = ("auto", *LANGUAGES)

_language = ENGLISH
_catalog: dict[str, str] = {}


def from_tags(tags: Iterable[str]) -> str:
    """The first language deskpet has among BCP 47 or POSIX tags, in the owner's order
    ("zh-Hans-CN", "zh_CN.UTF-8", "en-US"); English when none is. Traditional Chinese is not
    Simplified: it falls through to the next tag."""
    for tag in tags:
        parts = tag.replace("_", "-").split(".")[0].split("@")[0].lower().split("-")
        if parts[0] == ENGLISH:
            return ENGLISH
        if parts[0] == CHINESE and not ({"hant", "tw", "hk", "mo"} & set(parts[1:])):
            return CHINESE
    return ENGLISH


def environment_tags() -> list[str]:
    """The locale variables a terminal sets, most specific first (LANGUAGE may list several)."""
    tags: list[str] = []
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        tags.extend(t for t in value.split(":") if t and t not in ("C", "POSIX"))
    return tags


def choose(setting: str, system_tags: Iterable[str] | None = None) -> str:
    """The language for `setting` ("auto", "en" or "zh"); "auto" asks the system's tags
    (the environment's when none are given)."""
    if setting in LANGUAGES:
        return setting
    return from_tags(environment_tags() if system_tags is None else system_tags)


def set_language(language: str) -> None:
    """Use `language` for every `tr` from now on; an unknown one means English."""
    global _language, _catalog
    _language = language if language in LANGUAGES else ENGLISH
    _catalog = catalog(_language)


def language() -> str:
    return _language


def catalog(language: str) -> dict[str, str]:
    """The translations for `language` ({} for English, whose texts are the keys)."""
    if language == ENGLISH or language not in LANGUAGES:
        return {}
    return dict(importlib.import_module(f"deskpet.locales.{language}").MESSAGES)


def tr(text: str, /, **fields: object) -> str:
    """`text` in the owner's language, with `fields` filled in (a field that is a Said, or an
    exception raised with one, in the owner's language too). A translation whose fields do not
    match is a catalog bug: the English line is shown and the bug logged, never a crash."""
    translated = _catalog.get(text, text)
    if not fields:
        return translated
    fields = {k: _shown_field(v) for k, v in fields.items()}
    try:
        return translated.format(**fields)
    except (KeyError, IndexError, ValueError):
        log.error("translation of %r does not fit its fields; showing English", text)
        return text.format(**fields)


def N_(text: str, /) -> str:
    """Marks a text kept for later (a table of titles, say) as one to translate; `tr` it where
    it is shown, once the language is known."""
    return text


class Said(str):
    """A line made below the UI (a reason, a finding) to be shown later: a str holding the
    English, for logs, exceptions' messages and anything that takes text, which also keeps its
    English text and fields apart so `shown()` can say it in the owner's language. A field that
    is itself a Said is shown in the same language, so a reason can sit inside a sentence
    without gluing translated pieces together.

    The English text is the catalog's key, as with `tr`: write it as a literal,
    `Said("{path} is not a folder", path=p)`, so the catalog test finds it.

    Attributes:
        text: the English text with its {fields} unfilled (the catalog's key).
        fields: the values for them.
    """

    text: str
    fields: dict[str, object]

    def __new__(cls, text: str, /, **fields: object) -> Said:
        said = super().__new__(cls, text.format(**fields) if fields else text)
        said.text, said.fields = text, fields
        return said

    def shown(self) -> str:
        return tr(self.text, **self.fields)


def shown(value: object) -> str:
    """`value` as the owner reads it: a Said (or an exception raised with one) in the owner's
    language; anything else as str() gives it (a path, a number, an English-only message)."""
    if isinstance(value, BaseException) and len(value.args) == 1:
        if isinstance(value.args[0], Said):
            value = value.args[0]
    if isinstance(value, Said):
        return value.shown()
    return str(value)


def reason(exc: BaseException) -> str:
    """An exception's message to pass on to where it is shown: its Said when it was raised
    with one (still English as a str), else str(exc)."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Said):
        return exc.args[0]
    return str(exc)


def _shown_field(value: object) -> object:
    # Numbers stay numbers, for fields with a format ("{seconds:g}").
    return shown(value) if isinstance(value, Said | BaseException) else value
