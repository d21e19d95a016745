"""A tiny time-to-live cache for data that changes rarely but is read on every update.

The catalogue and business settings change only through `bookbot load-config` (possibly
from another process) or an admin; handlers read them several times per update. Entries
live `seconds` of monotonic time, so a change elsewhere is seen within that delay.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class TtlCache:
    """Memoises async loads by key for a few seconds."""

    def __init__(self, seconds: float, *, timer: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._timer = timer
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value for `key`, loading it when missing or expired."""
        now = self._timer()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self._seconds:
            value: T = entry[1]
            return value
        loaded = await load()
        self._entries[key] = (now, loaded)
        return loaded

    def clear(self) -> None:
        """Forget everything (after a change made in this process)."""
        self._entries.clear()
