"""Google -> bot through the real bot and the Google emulator: an event of a booking moved or
deleted in Google Calendar moves or cancels the booking and tells the customer (with a new
.ics) and the staff member; the bot's own writes never echo; 410 means a full resync; an odd
event is skipped and the rest applied; other people's events are never stored; polling and
push channels (verified tokens, unknown channels ignored)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from icalendar import Calendar

from bot.app import BotRuntime
from bot.clock import ManualClock
from bot.doctor import run_doctor
from bot.sync.pull import ECHO_WINDOW
from storage.outbox import OutboxRepository
from storage.sync_state import SyncStateRepository
from tests.conftest import SALON
from tests.e2e.flows import confirm, reach_step, reach_summary, say, tap
from tests.e2e.google_harness import free_port, google_settings
from tests.e2e.harness import buttons, load_business, running_bot
from tests.e2e.outbox_harness import until
from tests.e2e.pull_harness import ANNA_CAL, book, connect_anna, connect_staff, deliver
from tests.fakes.google import Account, FakeGoogle
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY, helsinki

WAIT = 10.0
DAY = timedelta(days=1)


@pytest.fixture
def anna_google(google: FakeGoogle) -> Account:
    return google.add_account(ANNA_CAL, name="Anna")


async def _start(
    tg: FakeTelegram,
    google: FakeGoogle,
    db_path: Path,
    clock: ManualClock,
    *,
    push: bool,
    interval: float = 60,
) -> AsyncIterator[BotRuntime]:
    await load_business(db_path, SALON)
    port = free_port()
    settings = google_settings(tg, google, db_path, port).model_copy(
        update={"google_push_allow_http_loopback": push, "google_sync_interval_seconds": interval}
    )
    google.register_redirect_uri(settings.oauth_redirect_uri)
    async with running_bot(settings, clock) as runtime:
        yield runtime


@pytest.fixture
async def gbot(
    tg: FakeTelegram, google: FakeGoogle, db_path: Path, clock: ManualClock
) -> AsyncIterator[BotRuntime]:
    """The bot with Google configured and no push (its address is plain http): polling."""
    async for runtime in _start(tg, google, db_path, clock, push=False):
        yield runtime


@pytest.fixture
async def tickbot(
    tg: FakeTelegram, google: FakeGoogle, db_path: Path, clock: ManualClock
) -> AsyncIterator[BotRuntime]:
    """The bot polling Google every second on its own."""
    async for runtime in _start(tg, google, db_path, clock, push=False, interval=1):
        yield runtime


@pytest.fixture
async def pushbot(
    tg: FakeTelegram, google: FakeGoogle, db_path: Path, clock: ManualClock
) -> AsyncIterator[BotRuntime]:
    """The bot with push channels allowed on its loopback http address."""
    async for runtime in _start(tg, google, db_path, clock, push=True):
        yield runtime


def _last_ics(tg: FakeTelegram, chat_id: int) -> Any:
    """The newest .ics file the bot sent to a chat, parsed."""
    return Calendar.from_ical(tg.documents(chat_id)[-1].data)


async def _no_message_after(tg: FakeTelegram, chat_id: int, mark: int) -> None:
    calls = [c for c in tg.calls("sendMessage", chat_id=chat_id) if c.seq > mark]
    assert calls == []


async def _pending(bot: BotRuntime) -> list[tuple[str, str]]:
    assert bot.services is not None
    return [(e.booking_id, e.action) for e in await OutboxRepository(bot.services.db).pending()]


async def test_moved_and_deleted_events_flow_back_and_own_writes_do_not_echo(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    anna = await connect_anna(tg, google, anna_google)
    ann = tg.user(701, first_name="Ann")
    booking = await book(tg, gbot, ann, "13:00")
    await deliver(gbot, google, booking)
    # Anna hears about the new booking (from the notification queue) before the sync runs.
    await tg.wait_for(
        "sendMessage", chat_id=anna.id, predicate=lambda c: "New booking" in str(c.params)
    )
    first_uid = str(_last_ics(tg, ann.id).walk("VEVENT")[0]["UID"])
    pull = gbot.pull
    assert pull is not None and gbot.services is not None

    # The first sync is a full one and sees the bot's own event: nothing happens.
    mark = tg.mark()
    report = await pull.run_once()
    assert report.full_syncs == 1 and report.outcomes == {"unchanged": 1}
    await _no_message_after(tg, ann.id, mark)
    await _no_message_after(tg, anna.id, mark)
    assert await _pending(gbot) == []

    # Anna drags the event to 15:00 in Google Calendar: the booking follows.
    google.user_update_event(
        ANNA_CAL, booking.id, start=helsinki(TUESDAY, 15), end=helsinki(TUESDAY, 16)
    )
    mark = tg.mark()
    report = await pull.run_once()
    assert report.full_syncs == 0 and report.outcomes == {"moved": 1}
    moved = await gbot.services.booking.bookings.get(booking.id)
    assert moved is not None
    assert (moved.start, moved.end) == (helsinki(TUESDAY, 15), helsinki(TUESDAY, 16))
    assert moved.blocked_start - moved.start == booking.blocked_start - booking.start
    told = await tg.wait_for(
        "sendMessage", chat_id=ann.id, since=mark, predicate=lambda c: "moved" in str(c.params)
    )
    assert "15:00" in str(told.params["text"])
    await tg.wait_for("sendDocument", chat_id=ann.id, since=mark)
    event = _last_ics(tg, ann.id).walk("VEVENT")[0]
    assert str(event["UID"]) == first_uid
    assert int(str(event["SEQUENCE"])) == 1
    assert event.decoded("DTSTART") == helsinki(TUESDAY, 15)
    ack = await tg.wait_for(
        "sendMessage", chat_id=anna.id, since=mark, predicate=lambda c: "Google" in str(c.params)
    )
    assert "Moved in Google Calendar" in str(ack.params["text"])
    assert await _pending(gbot) == []  # nothing written back to Google
    history = await gbot.services.booking.bookings.history(booking.id)
    assert [(h.origin, h.action) for h in history][-1] == ("google", "rescheduled")

    # The same state read again (no change in Google) is not a change.
    mark = tg.mark()
    report = await pull.run_once()
    assert report.outcomes == {}
    await _no_message_after(tg, ann.id, mark)

    # Anna deletes the event: the booking is cancelled and Ann is offered to book again.
    google.user_delete_event(ANNA_CAL, booking.id)
    mark = tg.mark()
    report = await pull.run_once()
    assert report.outcomes == {"cancelled": 1}
    cancelled = await gbot.services.booking.bookings.get(booking.id)
    assert cancelled is not None and cancelled.status == "cancelled"
    told = await tg.wait_for(
        "sendMessage", chat_id=ann.id, since=mark, predicate=lambda c: "cancelled" in str(c.params)
    )
    assert "Book again" in str(told.params.get("reply_markup"))
    await tg.wait_for("sendDocument", chat_id=ann.id, since=mark)
    ics = _last_ics(tg, ann.id)
    assert str(ics["METHOD"]) == "CANCEL" and int(str(ics.walk("VEVENT")[0]["SEQUENCE"])) == 2
    await tg.wait_for("sendMessage", chat_id=anna.id, since=mark)
    assert await _pending(gbot) == []
    assert "no upcoming bookings" in (await say(tg, ann, "/mybookings"))["text"]


async def test_expired_sync_token_means_a_full_resync(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    await connect_anna(tg, google, anna_google)
    ann = tg.user(702, first_name="Ann")
    booking = await book(tg, gbot, ann, "13:00")
    await deliver(gbot, google, booking)
    pull = gbot.pull
    assert pull is not None and gbot.services is not None
    await pull.run_once()

    google.invalidate_sync_tokens(ANNA_CAL)
    google.user_update_event(
        ANNA_CAL, booking.id, start=helsinki(TUESDAY, 17), end=helsinki(TUESDAY, 18)
    )
    lists_before = len(google.calls_of("calendar.events.list"))
    report = await pull.run_once()
    assert report.full_syncs == 1 and report.outcomes == {"moved": 1}
    assert len(google.calls_of("calendar.events.list")) == lists_before + 2  # 410, then full
    moved = await gbot.services.booking.bookings.get(booking.id)
    assert moved is not None and moved.start == helsinki(TUESDAY, 17)  # after working hours
    # The new token works: the next cycle is incremental again.
    report = await pull.run_once()
    assert report.full_syncs == 0


async def test_odd_events_are_skipped_the_rest_applied_and_foreign_events_not_stored(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    await connect_anna(tg, google, anna_google)
    ann, bea = tg.user(703, first_name="Ann"), tg.user(704, first_name="Bea")
    first = await book(tg, gbot, ann, "10:00")
    second = await book(tg, gbot, bea, "13:00")
    for booking in (first, second):
        await deliver(gbot, google, booking)
    pull = gbot.pull
    assert pull is not None and gbot.services is not None
    await pull.run_once()

    # Ann's event becomes an all-day event, Bea's is moved, and Anna adds a private event.
    google.user_update_event(ANNA_CAL, first.id, start=TUESDAY, end=TUESDAY + timedelta(days=1))
    google.user_update_event(
        ANNA_CAL, second.id, start=helsinki(TUESDAY, 16), end=helsinki(TUESDAY, 17)
    )
    google.user_add_event(
        ANNA_CAL, helsinki(TUESDAY, 18), helsinki(TUESDAY, 19), summary="Dentist (private)"
    )
    report = await pull.run_once()
    assert report.outcomes == {"skipped": 1, "moved": 1, "not_ours": 1}
    kept = await gbot.services.booking.bookings.get(first.id)
    assert kept is not None and (kept.start, kept.status) == (first.start, "confirmed")
    moved = await gbot.services.booking.bookings.get(second.id)
    assert moved is not None and moved.start == helsinki(TUESDAY, 16)

    # Stretched over three days (more than a booking may block): skipped, nothing breaks.
    google.user_update_event(
        ANNA_CAL,
        second.id,
        start=helsinki(TUESDAY, 16),
        end=helsinki(TUESDAY, 16) + timedelta(days=3),
    )
    report = await pull.run_once()
    assert report.outcomes == {"skipped": 1} and report.failed == 0
    still = await gbot.services.booking.bookings.get(second.id)
    assert still is not None and still.end == helsinki(TUESDAY, 17)

    assert gbot.db is not None
    dump = "\n".join([line async for line in gbot.db.reader.iterdump()])
    assert "Dentist" not in dump


async def test_push_notification_syncs_without_polling_and_unknown_channels_are_ignored(
    tg: FakeTelegram, google: FakeGoogle, pushbot: BotRuntime, anna_google: Account
) -> None:
    anna = await connect_anna(tg, google, anna_google)
    ann = tg.user(705, first_name="Ann")
    booking = await book(tg, pushbot, ann, "13:00")
    await deliver(pushbot, google, booking)
    pull = pushbot.pull
    assert pull is not None and pushbot.services is not None
    report = await pull.run_once()  # opens the channel, first full sync
    assert report.full_syncs == 1
    (channel,) = [c for c in google.channels.values() if c.calendar_id == ANNA_CAL]
    assert channel.address.endswith("/google/push") and channel.token
    await google.drain_push()
    assert [d.status for d in google.push_deliveries] == [200]  # the "sync" message

    # Idle: a cycle makes no events.list call for a calendar its channel keeps current.
    lists_before = len(google.calls_of("calendar.events.list"))
    report = await pull.run_once()
    assert report.pushed == 1 and report.calendars == 0
    assert len(google.calls_of("calendar.events.list")) == lists_before

    # Anna moves the event: Google notifies, the bot syncs on its own (no run_once here).
    mark = tg.mark()
    google.user_update_event(
        ANNA_CAL, booking.id, start=helsinki(TUESDAY, 15), end=helsinki(TUESDAY, 16)
    )
    told = await tg.wait_for(
        "sendMessage",
        chat_id=ann.id,
        since=mark,
        timeout=WAIT,
        predicate=lambda c: "moved" in str(c.params),
    )
    assert "15:00" in str(told.params["text"])

    # A notification for a channel the bot does not know, or with a wrong token: 200, ignored.
    web = pushbot.web
    assert web is not None and web.bound_port is not None
    url = f"http://127.0.0.1:{web.bound_port}/google/push"
    forged = [
        {"X-Goog-Channel-ID": "unknown", "X-Goog-Resource-State": "exists"},
        {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Token": "wrong",
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-State": "exists",
        },
    ]
    lists_before = len(google.calls_of("calendar.events.list"))
    async with aiohttp.ClientSession() as client:
        for headers in forged:
            async with client.post(url, headers=headers) as response:
                assert response.status == 200
    report = await pull.run_once()
    assert report.pushed == 1
    assert len(google.calls_of("calendar.events.list")) == lists_before

    # In case a notification was lost, the calendar is still read every few hours.
    clock = pushbot.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=7))
    report = await pull.run_once()
    assert report.calendars == 1 and report.pushed == 0
    assert (await pull.run_once()).pushed == 1

    # The channel is renewed before it expires, and the old one stopped.
    clock.set(channel.expiration - timedelta(hours=12))
    await pull.run_once()
    assert channel.stopped
    live = [c for c in google.channels.values() if not c.stopped]
    assert len(live) == 1 and live[0].id != channel.id

    # Signing out stops the channel at Google while the tokens still work.
    bye = await say(tg, anna, "/disconnect")
    assert "Signed out from Google" in bye["text"]
    assert all(c.stopped for c in google.channels.values())
    assert await SyncStateRepository(pushbot.services.db).all() == []


async def test_choosing_other_calendars_moves_the_push_channels(
    tg: FakeTelegram, google: FakeGoogle, pushbot: BotRuntime, anna_google: Account
) -> None:
    anna = await connect_anna(tg, google, anna_google)
    pull = pushbot.pull
    assert pull is not None and pushbot.services is not None
    await pull.run_once()
    (first,) = google.channels.values()
    assert first.calendar_id == ANNA_CAL

    # Anna makes a new bookings calendar her destination and keeps her primary as blocking.
    picker = await say(tg, anna, "/calendars")
    blocking = await tap(tg, anna, picker, "➕ New calendar “Test Salon bookings”")
    await tap(tg, anna, blocking, "💾 Save the calendars")
    state = SyncStateRepository(pushbot.services.db)

    def live() -> set[str]:
        return {c.calendar_id for c in google.channels.values() if not c.stopped}

    async def new_destination_read() -> bool:  # at once: no cycle is run by the test
        read = [s for s in await state.all() if s.calendar_id != ANNA_CAL and s.sync_token]
        return len(live()) == 2 and len(read) == 1

    await until(new_destination_read, within=WAIT, what="the new calendar synced and watched")
    assert ANNA_CAL in live()  # the primary blocks time: still watched

    # Now only the new calendar: the primary's channel is stopped and its state forgotten.
    picker = await say(tg, anna, "/calendars")
    screen = await tap(tg, anna, picker, "📅 Test Salon bookings")
    screen = await tap(tg, anna, screen, f"✅ {ANNA_CAL}: blocks my time")
    await tap(tg, anna, screen, "💾 Save the calendars")

    async def primary_dropped() -> bool:
        return first.stopped and ANNA_CAL not in {s.calendar_id for s in await state.all()}

    await until(primary_dropped, within=WAIT, what="the primary's channel stopped")


async def test_pages_are_followed_and_a_failed_page_keeps_the_old_token(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    await connect_anna(tg, google, anna_google)
    ann = tg.user(706, first_name="Ann")
    booking = await book(tg, gbot, ann, "13:00")
    await deliver(gbot, google, booking)
    for hour in range(300):  # Anna's own busy calendar: more than one page of events
        start = helsinki(TUESDAY, 0) + timedelta(hours=hour)
        google.user_add_event(ANNA_CAL, start, start + timedelta(minutes=30))
    pull = gbot.pull
    assert pull is not None and gbot.services is not None
    report = await pull.run_once()
    assert report.outcomes == {"not_ours": 300, "unchanged": 1}
    assert len(google.calls_of("calendar.events.list")) == 2
    state = SyncStateRepository(gbot.services.db)
    token = (await state.get(booking.staff_id, ANNA_CAL)).sync_token  # type: ignore[union-attr]
    assert token is not None

    # 300 changes and the booking's event moved; the listing fails: the token stays, and the
    # next cycle reads the same changes again.
    for event in google.events(ANNA_CAL)[:300]:
        if event["id"] != booking.id:
            google.user_update_event(ANNA_CAL, event["id"], summary="Busy too")
    google.user_update_event(
        ANNA_CAL, booking.id, start=helsinki(TUESDAY, 15), end=helsinki(TUESDAY, 16)
    )
    google.fail_next("calendar.events.list", 503)
    report = await pull.run_once()
    assert report.failed == 1
    assert (await state.get(booking.staff_id, ANNA_CAL)).sync_token == token  # type: ignore[union-attr]
    report = await pull.run_once()
    assert report.failed == 0 and report.outcomes.get("moved") == 1
    moved = await gbot.services.booking.bookings.get(booking.id)
    assert moved is not None and moved.start == helsinki(TUESDAY, 15)


async def test_one_staff_members_broken_account_does_not_stop_the_others(
    tg: FakeTelegram,
    google: FakeGoogle,
    gbot: BotRuntime,
    anna_google: Account,
    clock: ManualClock,
) -> None:
    ben_google = google.add_account("ben@example.com", name="Ben")
    await connect_anna(tg, google, anna_google)
    await connect_staff(tg, google, ben_google, name="Ben", user_id=802)
    ann, bea = tg.user(707, first_name="Ann"), tg.user(708, first_name="Bea")
    annas = await book(tg, gbot, ann, "13:00")
    bens = await book(tg, gbot, bea, "13:00", staff="Ben")
    for booking in (annas, bens):
        await deliver(gbot, google, booking)
    pull = gbot.pull
    assert pull is not None and gbot.services is not None
    await pull.run_once()

    google.revoke_account(anna_google)
    clock.advance(timedelta(hours=2))  # Anna's access token needs a refresh: invalid_grant
    google.user_update_event(
        "ben@example.com", bens.id, start=helsinki(TUESDAY, 16), end=helsinki(TUESDAY, 17)
    )
    report = await pull.run_once()
    assert report.failed == 1 and report.outcomes == {"moved": 1}
    moved = await gbot.services.booking.bookings.get(bens.id)
    assert moved is not None and moved.start == helsinki(TUESDAY, 16)
    status = await gbot.services.google_accounts.status(annas.staff_id)
    assert status is not None and status.status == "revoked"
    report = await pull.run_once()  # Anna is no longer synced at all, Ben still is
    assert report.failed == 0 and report.calendars == 1


async def test_the_sync_ticker_polls_on_its_own(
    tg: FakeTelegram, google: FakeGoogle, tickbot: BotRuntime, anna_google: Account
) -> None:
    await connect_anna(tg, google, anna_google)
    ann = tg.user(709, first_name="Ann")
    booking = await book(tg, tickbot, ann, "13:00")
    await deliver(tickbot, google, booking)
    lists = len(google.calls_of("calendar.events.list"))
    for _ in range(100):  # the ticker's first sync of Anna's calendar (within ~1 s)
        if len(google.calls_of("calendar.events.list")) > lists:
            break
        await asyncio.sleep(0.05)
    mark = tg.mark()
    google.user_update_event(
        ANNA_CAL, booking.id, start=helsinki(TUESDAY, 15), end=helsinki(TUESDAY, 16)
    )
    told = await tg.wait_for(
        "sendMessage",
        chat_id=ann.id,
        since=mark,
        timeout=WAIT,
        predicate=lambda c: "moved" in str(c.params),
    )
    assert "15:00" in str(told.params["text"])


async def test_push_channels_keep_the_busy_cache_current(
    tg: FakeTelegram,
    google: FakeGoogle,
    pushbot: BotRuntime,
    anna_google: Account,
    clock: ManualClock,
) -> None:
    await connect_anna(tg, google, anna_google)
    pull = pushbot.pull
    assert pull is not None
    await pull.run_once()  # channels on all of Anna's calendars: her busy time is push-fresh
    await google.drain_push()

    def asked() -> int:
        return len(google.calls_of("calendar.freebusy.query"))

    # Browsing asks Google once; Confirm then trusts the push-fresh cache (no second call).
    ann = tg.user(710, first_name="Ann")
    await confirm(tg, ann, await reach_summary(tg, ann, time="13:00"))
    browsed = asked()
    assert browsed >= 1
    # The bot writes Ann's booking into Anna's calendar and Google notifies: that echo of the
    # bot's own write changes no busy time, so the next customer still books from the cache.
    assert pushbot.services is not None
    (anns,) = await pushbot.services.booking.upcoming(ann.id)
    notified = len(google.push_deliveries)
    await deliver(pushbot, google, anns)
    await google.drain_push()
    assert len(google.push_deliveries) > notified, "Google notified the bot of its own write"
    await pull.run_once()  # waits for the sync the notification started, and judges it
    bea = tg.user(711, first_name="Bea")
    await confirm(tg, bea, await reach_summary(tg, bea, time="11:00"))
    assert asked() == browsed
    (beas,) = await pushbot.services.booking.upcoming(bea.id)
    await deliver(pushbot, google, beas)
    await google.drain_push()
    await pull.run_once()
    assert asked() == browsed

    # Anna blocks 15:00 in Google long after the bot's last write: the notification drops the
    # cache at once, the next browse asks Google again and 15:00 is no longer offered.
    clock.advance(ECHO_WINDOW)
    google.user_add_event(ANNA_CAL, helsinki(TUESDAY, 15), helsinki(TUESDAY, 16), summary="Gym")
    await google.drain_push()
    cid = tg.user(712, first_name="Cid")
    times = await reach_step(tg, cid, "time")
    assert asked() == browsed + 1
    assert "15:00" not in buttons(times) and "16:00" in buttons(times)


async def test_a_change_right_after_the_bots_own_write_drops_the_cache_once_the_sync_reads_it(
    tg: FakeTelegram, google: FakeGoogle, pushbot: BotRuntime, anna_google: Account
) -> None:
    await connect_anna(tg, google, anna_google)
    pull = pushbot.pull
    assert pull is not None
    await pull.run_once()
    await google.drain_push()
    ann = tg.user(720, first_name="Ann")
    booking = await book(tg, pushbot, ann, "13:00")
    await deliver(pushbot, google, booking)
    # Within the echo window Anna adds her own event: the notification cannot tell it from the
    # echo, so the sync decides; it lists a change that is not the bot's and drops the cache.
    google.user_add_event(ANNA_CAL, helsinki(TUESDAY, 15), helsinki(TUESDAY, 16), summary="Gym")
    await google.drain_push()
    await pull.run_once()  # waits for the sync the notification started
    before = len(google.calls_of("calendar.freebusy.query"))
    times = await reach_step(tg, tg.user(721, first_name="Bea"), "time")
    assert len(google.calls_of("calendar.freebusy.query")) == before + 1
    assert "15:00" not in buttons(times) and "16:00" in buttons(times)


async def test_a_move_onto_another_bookings_time_is_refused_and_put_back_in_google(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    anna = await connect_anna(tg, google, anna_google)
    ann, bea = tg.user(721, first_name="Ann"), tg.user(722, first_name="Bea")
    first = await book(tg, gbot, ann, "10:00")
    second = await book(tg, gbot, bea, "13:00")
    for booking in (first, second):
        await deliver(gbot, google, booking)
    pull = gbot.pull
    assert pull is not None and gbot.services is not None
    await pull.run_once()

    # Anna drags Ann's event onto Bea's time: no double booking, whoever asks.
    google.user_update_event(
        ANNA_CAL, first.id, start=helsinki(TUESDAY, 13), end=helsinki(TUESDAY, 14)
    )
    mark = tg.mark()
    report = await pull.run_once()
    assert report.outcomes == {"refused": 1}
    kept = await gbot.services.booking.bookings.get(first.id)
    assert kept is not None and (kept.start, kept.status) == (first.start, "confirmed")
    told = await tg.wait_for(
        "sendMessage", chat_id=anna.id, since=mark, predicate=lambda c: "not moved" in str(c.params)
    )
    text = str(told.params["text"])
    assert "not moved to" in text and "13:00" in text and "stays at" in text and "10:00" in text
    await _no_message_after(tg, ann.id, mark)
    await _no_message_after(tg, bea.id, mark)

    # The bot writes its version back: Google shows Ann's booking at 10:00 again, and reading
    # that back changes nothing.
    await deliver(gbot, google, first)
    (event,) = [e for e in google.events(ANNA_CAL) if e["id"] == first.id]
    assert datetime.fromisoformat(event["start"]["dateTime"].replace("Z", "+00:00")) == first.start
    report = await pull.run_once()
    assert "moved" not in report.outcomes and "refused" not in report.outcomes
    again = await gbot.services.booking.bookings.get(first.id)
    assert again is not None and again.start == first.start


async def test_doctor_shows_waiting_changes_sync_state_and_push_channels(
    tg: FakeTelegram, google: FakeGoogle, pushbot: BotRuntime, anna_google: Account
) -> None:
    ann = tg.user(730, first_name="Ann")
    await book(tg, pushbot, ann, "13:00")  # Anna has no Google account yet: the write waits
    lines = [c.line() for c in await run_doctor(pushbot.settings)]
    assert any("Anna: 1 booking change(s) waiting to be written" in line for line in lines)

    await connect_anna(tg, google, anna_google)
    pull = pushbot.pull
    assert pull is not None
    await pull.run_once()
    lines = [c.line() for c in await run_doctor(pushbot.settings)]
    (synced,) = [line for line in lines if f"Anna: calendar {ANNA_CAL}:" in line]
    assert "synced (state updated" in synced and "push channel until" in synced


async def test_a_notification_whose_sync_fails_drops_the_cache(
    tg: FakeTelegram, google: FakeGoogle, pushbot: BotRuntime, anna_google: Account
) -> None:
    await connect_anna(tg, google, anna_google)
    pull = pushbot.pull
    assert pull is not None
    await pull.run_once()
    await google.drain_push()
    booking = await book(tg, pushbot, tg.user(740, first_name="Ann"), "13:00")
    await deliver(pushbot, google, booking)  # the bot wrote: a notification now is judged
    await google.drain_push()
    await pull.run_once()
    # Anna blocks 15:00 within the echo window, and Google fails the listing that would have
    # told a foreign change from the echo: unsure, the bot drops the cache.
    google.fail_next("calendar.events.list", 503, times=3)
    google.user_add_event(ANNA_CAL, helsinki(TUESDAY, 15), helsinki(TUESDAY, 16), summary="Gym")
    await google.drain_push()
    await pull.run_once()
    before = len(google.calls_of("calendar.freebusy.query"))
    times = await reach_step(tg, tg.user(741, first_name="Bea"), "time")
    assert len(google.calls_of("calendar.freebusy.query")) == before + 1
    assert "15:00" not in buttons(times) and "16:00" in buttons(times)
