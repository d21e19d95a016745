"""The bulk-send budget: when each queued message may go out.

Telegram's bot FAQ (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about one message a second in one chat, and about 30 messages a second overall for bulk
notifications; beyond that the API answers 429 with `retry_after`
(https://core.telegram.org/bots/api#responseparameters). Sends are placed on a grid of
`1 / per_second` seconds (so any one-second window holds at most `per_second + 1` of them),
each chat at least `chat_interval` after its previous one. A message for a chat that must
wait takes a later grid slot without holding back the other chats. A 429 holds back its chat
for `retry_after`, and everything when 429s come in a row. Replies never pass through here:
they go out at once on the bot's own connection.
"""

from __future__ import annotations

import math
from collections.abc import Callable


class Budget:
    """Reserves send times (on a monotonic clock, in seconds) within the limits."""

    def __init__(
        self, *, per_second: float, chat_interval: float, now: Callable[[], float]
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._step = 1.0 / per_second
        self._chat_interval = chat_interval
        self._now = now
        self._origin = now()
        self._taken: set[int] = set()
        self._lowest = 0  # no slot below this index is free any more
        self._chat_next: dict[int, float] = {}  # each chat's next allowed send
        self._chat_ready: dict[int, float] = {}  # ... as it was before its last reservation
        self.paused_until = 0.0
        self._last_refusal = -math.inf

    def _index(self, moment: float) -> int:
        return max(0, math.ceil((moment - self._origin) / self._step - 1e-9))

    def reserve(self, chat_id: int, *, again: bool = False) -> float:
        """The earliest free slot for this chat, taken; returns its time. `again`: instead of
        the chat's last slot, which passed unused (its send woke too late)."""
        now = self._now()
        if not again:
            self._chat_ready[chat_id] = self._chat_next.get(chat_id, 0.0)
        ready = self._chat_ready.get(chat_id, 0.0)
        earliest = max(now, self.paused_until, ready)
        current = self._index(now)
        if current > self._lowest:
            self._taken = {i for i in self._taken if i >= current}
            self._lowest = current
            for chat in [c for c, t in self._chat_next.items() if t < now]:
                del self._chat_next[chat]
                self._chat_ready.pop(chat, None)
        index = self._index(earliest)
        while index in self._taken:
            index += 1
        self._taken.add(index)
        moment = self._origin + index * self._step
        self._chat_next[chat_id] = moment + self._chat_interval
        return moment

    @property
    def step(self) -> float:
        """Seconds between two slots."""
        return self._step

    def horizon(self) -> float:
        """The time of the latest slot taken (now if none is ahead)."""
        latest = max(self._taken, default=-1)
        return max(self._now(), self._origin + latest * self._step)

    def pause(self, seconds: float, chat_id: int | None = None) -> None:
        """Telegram asked to wait (429). The chat waits `seconds`; so does everything else if
        another 429 came within the last `seconds` (a storm, or the overall limit), while a
        lone 429 (one chat's limit, or a send that arrived in a crowded second) only holds
        back its own chat."""
        now = self._now()
        until = now + seconds
        if chat_id is None or now - self._last_refusal < seconds:
            self.paused_until = max(self.paused_until, until)
        self._last_refusal = now
        if chat_id is not None:
            self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)
            self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), until)

    def paused(self) -> bool:
        """Whether a 429's wait is still running."""
        return self._now() < self.paused_until
