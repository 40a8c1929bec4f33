"""Where narration's first sentence ends, so the worker can stop decoding there.

Kept in step with deskpet.bridge.narrator.first_sentence, which cuts the same sentence for the
bubble (tests/inference/test_narration_savings.py checks the two agree).
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? or … (closing quotes or brackets included) that whitespace follows,
# at Chinese 。！？ (no space follows them), or at the end of its first line: what the
# narrator's first_sentence() keeps.
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*(?=\s)|[。！？][”’」』）\"')\]]*")
_LINE_END = re.compile(r"\S[^\n]*(?=\n)")


def first_sentence_end(text: str) -> int | None:
    """Where the first sentence of `text` ends, or None while it has not ended yet."""
    ends = [m.end() for m in (_SENTENCE_END.search(text), _LINE_END.search(text)) if m]
    return min(ends) if ends else None
