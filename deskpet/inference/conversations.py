"""The conversations the worker holds, and the cache of system-prompt prefixes they start from.

A conversation is its transcript (chat.Conversation), the KV cache of the tokens read so far
(an exact prefix of the transcript), and the adapter key that cache was computed under: an
adapter changes every KV value, so a conversation whose cache was built under another adapter
starts again from that adapter's cached system prompt and re-reads its transcript once.

Both classes hold MLX arrays: only the worker thread uses them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from .chat import Conversation
from .generate import prefill
from .model import KVCache, Model, make_cache


@dataclass
class ConversationRecord:
    """One conversation: transcript, cache, and the adapter key the cache was computed under."""

    transcript: Conversation
    cache: list[KVCache]
    adapter_key: str | None

    def restart(self, cache: list[KVCache], adapter_key: str | None) -> None:
        """Continue from `cache` (a fresh copy of the system prompt's prefix): the next chat
        re-reads the transcript after it once."""
        self.cache = cache
        self.adapter_key = adapter_key

    def close_turn(self, answer: list[int], closing: list[int]) -> None:
        """The open turn ends with `answer` (already in the cache) and `closing`."""
        self.transcript.tokens.extend(answer)
        self.transcript.end_turn(closing)

    def abandon_turn(self) -> None:
        """Remove the open turn (cancelled before any answer) from transcript and cache, so
        the cache stays an exact prefix of the transcript."""
        length = self.transcript.abandon_turn()
        for c in self.cache:
            c.trim(c.offset - min(c.offset, length))


class ConversationStore:
    """Every conversation by id. Worker thread only."""

    def __init__(self) -> None:
        self._records: dict[str, ConversationRecord] = {}

    def get(self, conversation: str) -> ConversationRecord | None:
        return self._records.get(conversation)

    def add(
        self,
        conversation: str,
        transcript: Conversation,
        cache: list[KVCache],
        adapter_key: str | None,
    ) -> ConversationRecord:
        """Hold a new conversation (replacing one of the same id)."""
        record = ConversationRecord(transcript, cache, adapter_key)
        self._records[conversation] = record
        return record

    def drop(self, conversation: str) -> None:
        self._records.pop(conversation, None)

    def clear(self) -> None:
        self._records.clear()

    def __contains__(self, conversation: str) -> bool:
        return conversation in self._records

    def __len__(self) -> int:
        return len(self._records)


class PrefixCache:
    """System prompts already read, as KV caches keyed by (adapter key, system tokens); the
    least recently used goes first when more than `entries` are held. Worker thread only."""

    def __init__(self, entries: int = 8) -> None:
        self.entries = entries
        self._caches: OrderedDict[tuple, list[KVCache]] = OrderedDict()
        self.prefilled = 0  # system-prompt tokens read so far (misses), for stats

    def fresh(
        self,
        model: Model,
        adapter_key: str | None,
        system_tokens: Sequence[int],
        prefill_chunk: int,
    ) -> list[KVCache]:
        """A cache of its own holding `system_tokens`, prefilled only the first time for this
        adapter key."""
        key = (adapter_key, tuple(system_tokens))
        if key in self._caches:
            self._caches.move_to_end(key)
        else:
            cache = make_cache(model)
            prefill(model, cache, list(system_tokens), prefill_chunk)
            self.prefilled += len(system_tokens)
            self._caches[key] = cache
            while len(self._caches) > self.entries:
                self._caches.popitem(last=False)
        return [c.copy() for c in self._caches[key]]

    def forget_adapter(self, name: str) -> None:
        """Drop the prefixes read under any version of adapter `name` (it was reloaded)."""
        for key in [k for k in self._caches if _same_adapter(k[0], name)]:
            del self._caches[key]

    def clear(self) -> None:
        self._caches.clear()

    def __len__(self) -> int:
        return len(self._caches)


def _same_adapter(key: str | None, name: str) -> bool:
    # An adapter key is "<name>#<version>" (lora.AdapterBank.active_key).
    return key is not None and key.rsplit("#", 1)[0] == name
