"""Chats whose user blocked the bot: marked on Telegram's 403, unmarked when they write again.

The set is kept in memory (loaded at start) so checking an incoming update costs nothing;
the database holds it across restarts.
"""

from __future__ import annotations

from bot.clock import Clock
from storage.notifications import NotificationRepository


class BlockedChats:
    """Which chats blocked the bot."""

    def __init__(self, queue: NotificationRepository, clock: Clock) -> None:
        self._queue = queue
        self._clock = clock
        self._chats: set[int] = set()

    async def load(self) -> None:
        """Read the marked chats from the database."""
        self._chats = await self._queue.blocked_chats()

    def __contains__(self, chat_id: object) -> bool:
        return chat_id in self._chats

    async def mark(self, chat_id: int) -> None:
        """Telegram said the user blocked the bot."""
        self._chats.add(chat_id)
        await self._queue.block(chat_id, now=self._clock.now())

    async def wrote(self, chat_id: int) -> bool:
        """The user wrote to the bot: unmark them if they were marked (True then)."""
        if chat_id not in self._chats:
            return False
        self._chats.discard(chat_id)
        return await self._queue.unblock(chat_id)
