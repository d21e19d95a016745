"""The bot's lifecycle: an ordered list of parts, each with `start()` and `stop()`.

Parts start in order and stop in reverse order; if one fails to start, the ones already
started are stopped (newest first) and the error is raised. A failing `stop()` is logged and
the remaining parts are still stopped. A new long-running part (the outbox worker, the sync
ticker, the notification dispatcher) is one module with a class that has these two methods,
plus one line in `bot.app.runtime_parts()`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)


class Part(Protocol):
    """Something that runs while the bot runs."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Hooks:
    """A part made of two functions (for parts too small for a class of their own)."""

    def __init__(
        self,
        name: str,
        *,
        start: Callable[[], Awaitable[None]] | None = None,
        stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self._start = start
        self._stop = stop

    def __repr__(self) -> str:
        return f"Hooks({self.name!r})"

    async def start(self) -> None:
        if self._start is not None:
            await self._start()

    async def stop(self) -> None:
        if self._stop is not None:
            await self._stop()


def _name(part: Part) -> str:
    return str(getattr(part, "name", type(part).__name__))


class Runtime:
    """Starts the parts in order and stops them in reverse."""

    def __init__(self, parts: Sequence[Part]) -> None:
        self._parts = list(parts)
        self._started: list[Part] = []

    @property
    def running(self) -> list[str]:
        """Names of the parts started and not yet stopped, in start order."""
        return [_name(p) for p in self._started]

    async def start(self) -> None:
        """Start every part; on a failure stop what started, then raise."""
        for part in self._parts:
            try:
                await part.start()
            except BaseException:
                log.error("starting %s failed; stopping what started", _name(part))
                await self.stop()
                raise
            self._started.append(part)

    async def stop(self) -> None:
        """Stop the started parts, newest first; every part gets its stop even if one fails."""
        while self._started:
            part = self._started.pop()
            try:
                await part.stop()
            except Exception:
                log.exception("stopping %s failed", _name(part))
