"""How a chat answer reads in the bubble: its inks, Markdown without HTML, links that show
where they go, and which links may open at all.

Only the owner's own chat answers are Markdown; the bubble shows everything else as plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor, QPalette, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QFrame, QTextBrowser, QWidget

INK = QColor(29, 29, 31)
DIM_INK = QColor(128, 128, 134)
ERROR_INK = QColor(176, 40, 32)

# What a link in a chat answer may open; anything else (file:, app schemes) stays inert text.
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Markdown as GitHub writes it, with raw HTML taken as text: markup comes only from Markdown.
_MARKDOWN = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)


def may_open(url: QUrl) -> bool:
    """Whether a clicked link may open: web and mail addresses only."""
    return url.scheme().lower() in LINK_SCHEMES


def set_markdown(doc: QTextDocument, text: str) -> None:
    """`text` as Markdown (no HTML), each link followed by where it goes."""
    doc.setMarkdown(text, _MARKDOWN)
    _show_link_targets(doc)


def set_ink(widget: QWidget, ink: QColor) -> None:
    palette = widget.palette()
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(role, ink)
    widget.setPalette(palette)


def _show_link_targets(doc: QTextDocument) -> None:
    """Write where each link goes after its words, "[docs](https://x.example)" reading
    "docs (https://x.example)", so a link's words cannot hide its address."""
    runs: list[tuple[int, str, str]] = []  # (end position, href, the words shown)
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            href = fragment.charFormat().anchorHref() if fragment.charFormat().isAnchor() else ""
            if href:
                end = fragment.position() + fragment.length()
                if runs and runs[-1][1] == href and runs[-1][0] == fragment.position():
                    runs[-1] = (end, href, runs[-1][2] + fragment.text())
                else:
                    runs.append((end, href, fragment.text()))
            it += 1
        block = block.next()
    plain = QTextCharFormat()
    plain.setForeground(DIM_INK)
    for end, href, words in reversed(runs):
        if words.strip() in (href, href.removeprefix("mailto:")):
            continue
        cursor = QTextCursor(doc)
        cursor.setPosition(end)
        cursor.insertText(f" ({href})", plain)


def text_view(parent: QWidget, name: str, ink: QColor) -> QTextBrowser:
    """A borderless, transparent, selectable rich-text view whose links only emit
    anchorClicked (the bubble decides what may open)."""
    view = QTextBrowser(parent)
    view.setObjectName(name)
    view.setFrameShape(QFrame.Shape.NoFrame)
    view.setOpenLinks(False)
    view.setOpenExternalLinks(False)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
        | Qt.TextInteractionFlag.LinksAccessibleByMouse
    )
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor(0, 0, 0, 0))
    palette.setColor(QPalette.ColorRole.Text, ink)
    view.setPalette(palette)
    view.viewport().setAutoFillBackground(False)
    view.document().setDocumentMargin(2)
    return view
