"""The dispatcher: a runtime part that sends what the queue holds when it is due.

A PTB JobQueue job (APScheduler) ticks every `NOTIFY_POLL_SECONDS`; a booking change wakes
it at once too. Each tick, reading "now" through the clock seam, drops rows that went stale
(the appointment started, the agenda's day ended, the chat blocked the bot), expands booking
changes, queues the agendas (`bot.notify.planner`), then claims due rows a batch at a time,
prompt rows (staff messages, notices) ahead of bulk ones (reminders, agendas). Each row is
rendered just before it is sent, in the recipient's language (the `Renderer` port,
implemented in `handlers/`), and sent at the time the `Budget` gives it. Outcomes:

- sent: marked sent, never sent again;
- 429: the chat (and, for 429s in a row, everything) waits `retry_after`; the row goes back
  to the queue unchanged;
- 403: the chat is marked blocked and its rows are dropped (until the user writes again);
- 400: dropped with Telegram's reason; network trouble or 5xx: retried with backoff, dropped
  after `MAX_ATTEMPTS`.

A row is marked sent right after Telegram's answer; only a crash inside that instant can
send it twice (once the lease ends), a graceful stop waits for the sends under way and gives
the rest back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.notify.blocked import BlockedChats
from bot.notify.budget import Budget
from bot.notify.planner import Planner
from bot.notify.sending import (
    BlockedByUser,
    Delivered,
    FloodWait,
    Refused,
    Sender,
    SendResult,
    Unreachable,
)
from bot.outbound import Attachment, OutboundMessage
from storage.notifications import Notification, NotificationRepository

log = logging.getLogger(__name__)

LEASE_SECONDS = 120
MAX_ATTEMPTS = 8
AGENDA_PLAN_EVERY = 60.0  # seconds between agenda planning runs
LOOKAHEAD = 1.0  # claim the next batch this long before the current one's last slot
MAX_LATE = 5  # a send woken late takes a later slot at most this many times


@dataclass(frozen=True, slots=True)
class Drop:
    """Nothing to send for this row (booking cancelled or moved, agenda empty...)."""

    reason: str


class Renderer(Protocol):
    """Turns a due row into the messages for its chat, as things stand now."""

    async def render(self, item: Notification) -> Sequence[OutboundMessage] | Drop: ...


class TickCallback(Protocol):
    def __call__(self) -> None: ...


class SendCall(Protocol):
    async def __call__(self, message: OutboundMessage, /) -> SendResult: ...


class Scheduler(Protocol):
    """Runs a callback every `interval` seconds (PTB's JobQueue in the bot)."""

    def every(self, interval: float, callback: TickCallback) -> None: ...

    def cancel(self) -> None: ...


def backoff(attempts: int) -> timedelta:
    """Wait before retry `attempts + 1` after a temporary failure: 5 s doubling, at most 10 min."""
    return timedelta(seconds=min(600, 5 * 2**attempts))


class Dispatcher:
    """Sends due notifications within the bulk budget."""

    name = "notifications"

    def __init__(
        self,
        *,
        queue: NotificationRepository,
        planner: Planner,
        renderer: Renderer,
        sender: Sender,
        blocked: BlockedChats,
        clock: Clock,
        budget: Budget,
        scheduler: Scheduler,
        poll_seconds: float,
        batch: int,
    ) -> None:
        self._queue = queue
        self._planner = planner
        self._renderer = renderer
        self._sender = sender
        self._blocked = blocked
        self._clock = clock
        self._budget = budget
        self._scheduler = scheduler
        self._poll = poll_seconds
        self._batch = max(1, batch)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending: dict[int, asyncio.Task[None]] = {}  # row id -> its send
        self._chats_sending: dict[int, int] = {}  # chat -> rows under way
        self._stopping = False
        self._last_agenda_plan: float | None = None
        self._agenda_plan_key: tuple[datetime, int] | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._stopping = False
        await self._blocked.load()
        self._task = asyncio.create_task(self._run(), name="notification dispatcher")
        self._scheduler.every(self._poll, self.wake)

    async def stop(self) -> None:
        self._stopping = True
        self._scheduler.cancel()
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sending:  # a send under way finishes and is recorded; the others go back
            await asyncio.gather(*self._sending.values(), return_exceptions=True)

    def wake(self) -> None:
        """Look for due rows now (the JobQueue tick, or a booking change)."""
        self._wake.set()

    # ----------------------------------------------------------------- main loop

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.tick()
            except Exception:
                log.exception("notification dispatch failed; trying again at the next tick")
            await self._wake.wait()

    async def tick(self) -> None:
        """One pass: send what is due, a batch at a time, preparing the queue before each."""
        loop = asyncio.get_running_loop()
        while not self._stopping:
            if self._budget.paused():
                await asyncio.sleep(self._budget.paused_until - loop.time())
                continue
            await self._prepare()
            rows = await self._queue.claim(
                changes=False,
                now=self._clock.now(),
                lease_seconds=LEASE_SECONDS,
                limit=self._batch,
                busy=list(self._sending),
                busy_chats=list(self._chats_sending),
            )
            if not rows:
                return
            for row in rows:
                self._start(row)
            # Claim the next batch shortly before this one's slots run out.
            await self._until(self._budget.horizon() - LOOKAHEAD)

    def _start(self, row: Notification) -> None:
        chat = row.chat_id or 0
        self._chats_sending[chat] = self._chats_sending.get(chat, 0) + 1

        def done(_task: object) -> None:
            self._sending.pop(row.id, None)
            left = self._chats_sending.get(chat, 1) - 1
            if left > 0:
                self._chats_sending[chat] = left
            else:
                self._chats_sending.pop(chat, None)

        task = asyncio.create_task(self._deliver(row))
        self._sending[row.id] = task
        task.add_done_callback(done)

    async def _prepare(self) -> None:
        """Drop stale rows, expand booking changes, and plan agendas when it is time (so a
        change made during a long batch still reaches its staff member at once)."""
        now = self._clock.now()
        await self._queue.drop_stale(now=now)
        await self._planner.expand_changes()
        loop = asyncio.get_running_loop()
        # Agendas are planned every minute, and at once when the clock moved to another hour
        # or a staff member changed their choice.
        plan_key = (now.replace(minute=0, second=0, microsecond=0), self._queue.agenda_generation)
        if (
            self._last_agenda_plan is None
            or loop.time() - self._last_agenda_plan >= AGENDA_PLAN_EVERY
            or plan_key != self._agenda_plan_key
        ):
            self._last_agenda_plan = loop.time()
            self._agenda_plan_key = plan_key
            await self._planner.plan_agendas()

    async def _until(self, moment: float) -> None:
        delay = moment - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    # ------------------------------------------------------------------ delivery

    async def _deliver(self, row: Notification) -> None:
        try:
            await self._deliver_row(row)
        except Exception:
            log.exception("notification %s failed", row.id)
            with contextlib.suppress(Exception):
                await self._queue.retry(row, at=self._clock.now() + backoff(row.attempts))

    async def _deliver_row(self, row: Notification) -> None:
        if row.chat_id is None or row.chat_id in self._blocked:
            await self._queue.dropped(row, now=self._clock.now(), reason="blocked")
            return
        rendered = await self._renderer.render(row)
        if isinstance(rendered, Drop):
            await self._queue.dropped(row, now=self._clock.now(), reason=rendered.reason)
            return
        first = True
        for message in rendered:
            result = await self._paced(row.chat_id, first, self._sender.send_text, message)
            if result is None and first:  # a 429 before anything went out: back to the queue
                await self._queue.release(row)
                return
            if result is None:  # stopping after part of it went out: not sent twice
                break
            first = False
            if not isinstance(result, Delivered):
                await self._failed(row, result)
                return
            if message.attachment is not None:
                attached = message.attachment
                sent = await self._paced(row.chat_id, False, self._file_sender(attached), message)
                if not isinstance(sent, Delivered) and sent is not None:
                    log.warning("attachment of notification %s not sent: %s", row.id, sent)
        await self._queue.sent(row, now=self._clock.now())

    def _file_sender(self, attached: Attachment) -> SendCall:
        async def send(message: OutboundMessage, /) -> SendResult:
            return await self._sender.send_file(message.chat_id, attached)

        return send

    async def _paced(
        self, chat_id: int, first: bool, call: SendCall, message: OutboundMessage
    ) -> SendResult | None:
        """Send at the budget's time; a 429 pauses the budget and (for the first call of a row)
        gives up with None, otherwise the call waits and is tried again."""
        loop = asyncio.get_running_loop()
        late = 0
        while True:
            moment = self._budget.reserve(chat_id, again=late > 0)
            await self._until(moment)
            if self._stopping and first:
                return None
            if loop.time() - moment > self._budget.step and late < MAX_LATE:
                # Woken late (the event loop was busy): sending now would bunch up with the
                # sends after it, so it takes the next free slot instead.
                late += 1
                continue
            if self._budget.paused():
                if first or self._stopping:
                    return None
                await asyncio.sleep(max(0.0, self._budget.paused_until - loop.time()))
                continue
            result = await call(message)
            if isinstance(result, FloodWait):
                self._budget.pause(result.seconds, chat_id)
                log.info("Telegram asked to wait %.0f s (429)", result.seconds)
                if first or self._stopping:
                    return None
                continue
            return result

    async def _failed(self, row: Notification, result: SendResult) -> None:
        now = self._clock.now()
        assert row.chat_id is not None
        if isinstance(result, BlockedByUser):
            await self._blocked.mark(row.chat_id)
            await self._queue.dropped(row, now=now, reason="blocked")
        elif isinstance(result, Refused):
            log.warning("Telegram refused notification %s: %s", row.id, result.reason)
            await self._queue.dropped(row, now=now, reason="refused")
        elif isinstance(result, Unreachable):
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await self._queue.dropped(row, now=now, reason="failed")
            else:
                await self._queue.retry(row, at=now + backoff(row.attempts))
