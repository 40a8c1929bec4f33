"""The catalogs cover exactly the texts the code asks to translate, with the same fields, and
the language follows the setting, then the system."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import deskpet
from deskpet import i18n
from deskpet.settings import SETTINGS, Settings, SettingValueError

PACKAGE = Path(deskpet.__file__).parent


def asked_texts() -> dict[str, str]:
    """Every literal passed to tr(), N_() or Said() in deskpet/, with where it was first seen,
    and each visible setting's label and help (the settings window translates them where it
    shows them)."""
    found: dict[str, str] = {}
    for setting in SETTINGS:
        if setting.visible:
            found.setdefault(setting.label, f"settings.py: {setting.key}.label")
            found.setdefault(setting.help, f"settings.py: {setting.key}.help")
    for file in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and _called(node.func) in ("tr", "N_", "Said")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{file.relative_to(PACKAGE)}:{node.lineno}")
    return found


def _called(func: ast.expr) -> str:
    # tr("..."), or i18n.Said("...") through the module
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang != i18n.ENGLISH])
def test_every_catalog_has_exactly_the_texts_the_code_asks_for(language):
    asked = asked_texts()
    catalog = i18n.catalog(language)
    missing = {text: where for text, where in asked.items() if text not in catalog}
    stale = sorted(set(catalog) - set(asked))
    assert not missing, f"{language} lacks translations for: {missing}"
    assert not stale, f"{language} translates texts no code asks for: {stale}"
    wrong = {t: catalog[t] for t in asked if fields(catalog[t]) != fields(t)}
    assert not wrong, f"{language} translations whose fields differ from the English: {wrong}"
    assert all(catalog[t].strip() for t in asked)


def test_the_code_asks_for_some_texts():
    # The scan above must see the UI's calls (a broken scan would pass with empty catalogs).
    asked = asked_texts()
    assert "Allow" in asked and "{speaker} wants to run" in asked
    assert "Quit deskpet" in asked  # the tray's, a module the scan must reach
    assert "Longest answer" in asked and "Start deskpet when you log in." in asked


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["zh-Hans-CN", "en-US"], "zh"),
        (["zh_CN.UTF-8"], "zh"),
        (["zh-Hant-TW", "en-GB"], "en"),
        (["zh-TW", "zh-CN"], "zh"),
        (["fr-FR", "zh-CN"], "zh"),
        (["fr-FR", "de-DE"], "en"),
        ([], "en"),
        (["en-US", "zh-CN"], "en"),
    ],
)
def test_auto_takes_the_first_language_deskpet_has(tags, expected):
    assert i18n.choose("auto", tags) == expected


def test_the_setting_wins_over_the_system(monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.choose("en") == "en"
    assert i18n.choose("auto") == "zh"
    monkeypatch.setenv("LANG", "C")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    assert i18n.choose("auto") == "en"
    assert i18n.choose("zh") == "zh"


def test_tr_translates_fills_fields_and_falls_back(caplog):
    try:
        i18n.set_language("zh")
        assert i18n.tr("Allow") == "允许"
        assert i18n.tr("{n} min", n=3) == "3 分钟"
        assert i18n.tr("a text with no translation yet") == "a text with no translation yet"
        i18n._catalog["{n} s"] = "{seconds} 秒"  # a broken catalog line: English, and a log line
        assert i18n.tr("{n} s", n=5) == "5 s"
        assert "does not fit its fields" in caplog.text
        i18n.set_language("xx")
        assert i18n.language() == "en" and i18n.tr("Allow") == "Allow"
    finally:
        i18n.set_language("en")


def test_said_is_english_text_that_shows_in_the_owners_language():
    # A reason made below the UI: English wherever it is used as text (logs, messages), the
    # owner's language through shown(), a reason inside a reason included.
    why = i18n.Said("no key given")
    said = i18n.Said("{keys}: {why}", keys="Ctrl+", why=ValueError(why))
    assert said == "Ctrl+: no key given" and f"{said}!" == "Ctrl+: no key given!"
    assert str(ValueError(said)) == "Ctrl+: no key given"
    try:
        i18n.set_language("zh")
        assert said.shown() == "Ctrl+：没有指定按键"
        assert i18n.shown(ValueError(said)) == "Ctrl+：没有指定按键"
        # fields keep their type, so a format in the text still applies
        assert i18n.Said("did not finish within {seconds:g} s", seconds=5.0).shown() == (
            "在 5 秒内没有结束"
        )
        assert i18n.shown(KeyError("x")) == "'x'"  # not a Said: as str() gives it
        assert str(said) == "Ctrl+: no key given"  # still English for the log
    finally:
        i18n.set_language("en")
    assert said.shown() == "Ctrl+: no key given"


def test_a_bad_setting_warns_in_english_for_the_log_and_in_chinese_for_the_owner(tmp_path):
    # Read in English, as the app does before it knows the owner's language; said later.
    path = tmp_path / "settings.yaml"
    path.write_text("max_tokens: 0\n")
    default = Settings(tmp_path / "none.yaml").get("max_tokens")
    settings = Settings(path)
    with pytest.raises(SettingValueError) as refused:
        settings.set("temperature", 3)
    assert settings.warnings == [
        f"{path}: max_tokens must be at least 1, not 0; using the default {default}"
    ]
    assert str(refused.value) == "temperature must be at most 2.0, not 3.0"
    i18n.set_language("zh")
    try:
        assert [i18n.shown(w) for w in settings.warnings] == [
            f"{path}：max_tokens 至少为 1，不能是 0；改用默认值 {default}"
        ]
        assert i18n.shown(refused.value) == "temperature 最多为 2.0，不能是 3.0"
    finally:
        i18n.set_language("en")
