"""Qt's own texts in the owner's language: the Yes and No of a question, a text field's Copy
and Paste menu. Qt ships them as qtbase_<locale>.qm in its translations folder; deskpet's own
texts go through deskpet/i18n.py instead."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

from deskpet import i18n

log = logging.getLogger(__name__)

# Qt's catalog for each language deskpet speaks (English is Qt's own).
QT_CATALOGS = {i18n.CHINESE: "qtbase_zh_CN"}


def install(language: str, app: QCoreApplication) -> QTranslator | None:
    """Load Qt's catalog for `language` into `app`. Keep the translator returned: Qt does not
    own it, and a freed one takes the translations with it. None for English, or when Qt's
    catalog is missing (a log line; Qt's few texts then stay English)."""
    name = QT_CATALOGS.get(language)
    if name is None:
        return None
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if not translator.load(name, folder):
        log.warning("no Qt translation %s in %s; Qt's own texts stay English", name, folder)
        return None
    app.installTranslator(translator)
    return translator
