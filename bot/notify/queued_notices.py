"""`bot.notices.Notices` through the queue: each notice becomes one row per recipient, sent
(and rendered, in the recipient's language) by the dispatcher like every other message that
is not a reply."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from bot.clock import Clock
from bot.notices import Notice
from bot.notify.notice_codec import encode
from storage.notifications import PROMPT, NewNotification, NotificationRepository


def _nothing() -> None:
    return None


class QueuedNotices:
    """Queues notices; `recipients` names the chats a notice is for (from its rendering)."""

    def __init__(
        self,
        *,
        queue: NotificationRepository,
        clock: Clock,
        recipients: Callable[[Notice], list[int]],
    ) -> None:
        self._queue = queue
        self._clock = clock
        self._recipients = recipients
        self.queued: Callable[[], None] = _nothing  # the dispatcher's wake, once it runs

    async def notify(self, notice: Notice) -> None:
        now = self._clock.now()
        key = uuid.uuid4().hex
        payload = encode(notice)
        rows = [
            NewNotification(
                dedupe_key=f"notice:{key}:{chat}",
                kind="notice",
                chat_id=chat,
                priority=PROMPT,
                due=now,
                payload=payload,
            )
            for chat in dict.fromkeys(self._recipients(notice))
        ]
        if rows:
            await self._queue.add(rows, now=now)
            self.queued()
