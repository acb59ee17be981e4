"""One small cache type for every service: values loaded on demand, kept for a while.

The rule, the same everywhere: an entry is reused while it is younger than ``ttl`` seconds and,
when the caller passes a ``version`` (a cheap fingerprint of the source, e.g. a row count and a
sum of revisions), while that version is unchanged; ``invalidate`` drops entries at once. At most
``max_entries`` are kept (the oldest go first), so memory never grows with the data.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()
_ALL = object()


class Cache(Generic[K, V]):
    """A bounded cache with a time-to-live, optional version checks and explicit invalidation."""

    def __init__(self, ttl: float, *, max_entries: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[K, tuple[float, Any, V]] = OrderedDict()

    async def get(self, key: K, load: Callable[[], Awaitable[V]], *, version: Any = _MISSING) -> V:
        """The cached value of ``key``, or ``await load()`` when missing, stale or of another version."""
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None:
            loaded_at, cached_version, value = entry
            if now - loaded_at < self.ttl and (version is _MISSING or version == cached_version):
                return value
        value = await load()
        self._entries[key] = (now, version, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value

    def invalidate(self, key: Any = _ALL) -> None:
        """Drop one entry, or every entry."""
        if key is _ALL:
            self._entries.clear()
        else:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
