"""The dispatcher's handling of each Telegram outcome, with a scripted sender over a real
queue: delivered rows are marked sent once; 400 drops; network trouble retries with backoff
and gives up after MAX_ATTEMPTS; 403 marks the chat blocked; a 429 gives the row back."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from bot.clock import ManualClock
from bot.notify.blocked import BlockedChats
from bot.notify.budget import Budget
from bot.notify.dispatcher import MAX_ATTEMPTS, Dispatcher, Drop, TickCallback
from bot.notify.planner import Planner
from bot.notify.sending import (
    BlockedByUser,
    Delivered,
    FloodWait,
    Refused,
    SendResult,
    Unreachable,
)
from bot.outbound import Attachment, OutboundMessage
from storage.db import Database
from storage.notifications import NewNotification, Notification, NotificationRepository
from tests.unit.test_booking_service import make_service


class Script:
    """A sender answering each chat from a list of outcomes (then Delivered)."""

    def __init__(self, outcomes: dict[int, list[SendResult]]) -> None:
        self.outcomes = outcomes
        self.sent: list[int] = []

    async def send_text(self, message: OutboundMessage) -> SendResult:
        queued = self.outcomes.get(message.chat_id)
        result = queued.pop(0) if queued else Delivered()
        if isinstance(result, Delivered):
            self.sent.append(message.chat_id)
        return result

    async def send_file(self, chat_id: int, attachment: Attachment) -> SendResult:
        return Delivered()


class Plain:
    """Renders every row as one short message to its chat."""

    async def render(self, item: Notification) -> Sequence[OutboundMessage] | Drop:
        assert item.chat_id is not None
        return [OutboundMessage(chat_id=item.chat_id, html=item.dedupe_key)]


class NoTicks:
    def every(self, interval: float, callback: TickCallback) -> None:
        return None

    def cancel(self) -> None:
        return None


async def _dispatcher(
    db: Database, clock: ManualClock, sender: Script
) -> tuple[Dispatcher, NotificationRepository, BlockedChats]:
    queue = NotificationRepository(db)
    blocked = BlockedChats(queue, clock)
    loop = asyncio.get_running_loop()
    dispatcher = Dispatcher(
        queue=queue,
        planner=Planner(queue=queue, booking=make_service(db, clock), clock=clock),
        renderer=Plain(),
        sender=sender,
        blocked=blocked,
        clock=clock,
        budget=Budget(per_second=1000, chat_interval=0.0, now=loop.time),
        scheduler=NoTicks(),
        poll_seconds=3600,
        batch=50,
    )
    return dispatcher, queue, blocked


async def _run(dispatcher: Dispatcher) -> None:
    """One tick, and the sends it started."""
    await dispatcher.tick()
    for _ in range(200):
        if not dispatcher._sending:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("sends did not finish")


async def test_each_outcome(salon_db: Database, clock: ManualClock) -> None:
    sender = Script(
        {
            2: [Refused("Bad Request: chat not found")],
            3: [Unreachable("Bad Gateway")],
            4: [BlockedByUser()],
            5: [FloodWait(1.0)],
        }
    )
    dispatcher, queue, blocked = await _dispatcher(salon_db, clock, sender)
    now = clock.now()
    await queue.add(
        [
            NewNotification(dedupe_key=f"k{chat}", kind="notice", chat_id=chat, priority=0, due=now)
            for chat in range(1, 6)
        ],
        now=now,
    )
    await _run(dispatcher)
    assert [await queue.state(f"k{c}") for c in range(1, 6)] == [
        "sent",
        "dropped:refused",
        "open",  # retried later
        "dropped:blocked",
        "open",  # given back after the 429
    ]
    assert 4 in blocked
    assert sorted(sender.sent) == [1]
    # Sent rows never go again; the 429'd one goes once its wait is over; the retry waits
    # for its backoff on the bot's clock.
    await asyncio.sleep(1.1)
    await _run(dispatcher)
    assert sorted(sender.sent) == [1, 5]
    clock.advance(timedelta(seconds=5))
    await _run(dispatcher)
    assert sorted(sender.sent) == [1, 3, 5]
    assert await queue.state("k3") == "sent"


async def test_network_trouble_gives_up_after_max_attempts(
    salon_db: Database, clock: ManualClock
) -> None:
    sender = Script({7: [Unreachable("timeout")] * MAX_ATTEMPTS})
    dispatcher, queue, _ = await _dispatcher(salon_db, clock, sender)
    await queue.add(
        [NewNotification(dedupe_key="k", kind="notice", chat_id=7, priority=0, due=clock.now())],
        now=clock.now(),
    )
    for _ in range(MAX_ATTEMPTS):
        await _run(dispatcher)
        clock.advance(timedelta(minutes=11))  # past the longest backoff
    assert await queue.state("k") == "dropped:failed"
    assert sender.sent == []


async def test_a_blocked_chat_writing_again_gets_its_later_messages(
    salon_db: Database, clock: ManualClock
) -> None:
    sender = Script({8: [BlockedByUser()]})
    dispatcher, queue, blocked = await _dispatcher(salon_db, clock, sender)
    now = clock.now()
    later = now + timedelta(hours=1)
    await queue.add(
        [
            NewNotification(dedupe_key="now", kind="notice", chat_id=8, priority=0, due=now),
            NewNotification(dedupe_key="later", kind="notice", chat_id=8, priority=0, due=later),
        ],
        now=now,
    )
    await _run(dispatcher)
    assert await queue.state("now") == "dropped:blocked"
    assert await queue.state("later") == "open"  # not due yet: it waits
    assert await blocked.wrote(8)
    clock.set(later)
    await _run(dispatcher)
    assert await queue.state("later") == "sent"


async def test_many_messages_for_one_chat_never_hold_back_the_others(
    salon_db: Database, clock: ManualClock
) -> None:
    sender = Script({})
    dispatcher, queue, _ = await _dispatcher(salon_db, clock, sender)
    now = clock.now()
    alerts = [
        NewNotification(dedupe_key=f"a{i}", kind="notice", chat_id=9, priority=0, due=now)
        for i in range(60)
    ]
    others = [
        NewNotification(dedupe_key=f"o{c}", kind="notice", chat_id=c, priority=0, due=now)
        for c in (10, 11, 12)
    ]
    await queue.add([*alerts, *others], now=now)
    # One row per chat per claim: the 60 for chat 9 do not fill the batch of 50.
    claimed = await queue.claim(changes=False, now=now, lease_seconds=30, limit=50)
    assert sorted(r.chat_id or 0 for r in claimed) == [9, 10, 11, 12]
    for row in claimed:
        await queue.release(row)
    await _run(dispatcher)
    assert sorted(sender.sent) == [9, 10, 11, 12]  # the others went at once
    for _ in range(59):
        await _run(dispatcher)
    assert sender.sent.count(9) == 60
    assert (await queue.counts()).sent == 63
