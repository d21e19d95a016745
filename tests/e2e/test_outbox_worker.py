"""The outbox worker through the running bot and the Google emulator: bookings reach the staff
member's calendar exactly once with the business's content, reschedules patch the same event,
cancels delete it, coalescing, 409 adoption, revoked access, dead letters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotRuntime
from bot.booking import Contact
from bot.clock import ManualClock
from bot.doctor import run_doctor
from bot.sync.event_content import OWNER_KEY
from storage.bookings import Booked
from storage.outbox import OutboxQueue, OutboxRepository
from storage.records import BookingRecord
from storage.staff_links import CalendarChoice, StaffLinkRepository
from tests.e2e.flows import confirm, reach_summary, say, tap
from tests.e2e.google_harness import consent_url_of, open_consent, visit
from tests.e2e.harness import ADMIN_ID
from tests.e2e.notify_harness import queue_drained
from tests.e2e.outbox_harness import (
    connect_staff,
    drained,
    outbox_bot,
    prepare_business,
    until,
)
from tests.fakes.google import Account, FakeGoogle
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.week import TUESDAY, short_day_and_time

ANNA_CAL = "anna@example.com"
TEMPLATES = {
    "event_title": "{service} for {customer_name} ({booking_ref})",
    "event_description": "Phone: {customer_phone}\nMail: {customer_email}\nPrice: {price}\n"
    "Notes: {notes}",
    "event_meet": True,
    "event_invite_customer": True,
    "event_send_updates": "all",
}


@pytest.fixture
def anna_google(google: FakeGoogle) -> Account:
    return google.add_account("anna@example.com", name="Anna")


@pytest.fixture
def admin(tg: FakeTelegram) -> FakeUser:
    return tg.user(ADMIN_ID, first_name="Boss")


def ours(google: FakeGoogle, calendar_id: str = ANNA_CAL) -> list[dict[str, Any]]:
    """Live events in the calendar."""
    return [e for e in google.events(calendar_id) if e.get("status") != "cancelled"]


def utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


async def only_booking(bot: BotRuntime, user: FakeUser) -> BookingRecord:
    assert bot.services is not None
    (booking,) = await bot.services.booking.upcoming(user.id)
    return booking


async def test_booking_reaches_calendar_once_then_moves_and_is_deleted(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path, TEMPLATES)
    async with outbox_bot(tg, google, db_path, clock) as bot:
        anna = tg.user(871, first_name="Anna")
        await connect_staff(tg, google, admin, "Anna", anna, anna_google)
        ann = tg.user(872, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        booking = await only_booking(bot, ann)
        await until(lambda: drained(bot), what="the create to be delivered")

        (event,) = ours(google)
        assert event["id"] == booking.id
        assert event["extendedProperties"]["private"] == {OWNER_KEY: booking.id}
        assert utc(event["start"]["dateTime"]) == booking.start
        assert utc(event["end"]["dateTime"]) == booking.end
        assert event["location"] == "Main street 1"
        assert event["summary"] == f"Haircut for Ann ({booking.id})"
        assert event["description"].startswith("Phone: +358401234567\nMail: ann@example.com")
        assert "Notes" not in event["description"]  # empty placeholder: line dropped
        assert [a["email"] for a in event["attendees"]] == ["ann@example.com"]
        meet = event["hangoutLink"]
        assert meet.startswith("https://meet.google.com/")
        (insert,) = google.calls_of("calendar.events.insert")
        assert insert.params["sendUpdates"] == "all"
        assert insert.params["conferenceDataVersion"] == "1"
        stored = await bot.services.booking.bookings.get(booking.id) if bot.services else None
        assert stored is not None and stored.event_calendar_id == ANNA_CAL
        assert stored.event_etag == event["etag"]
        assert bot.services is not None
        assert await OutboxQueue(bot.services.db).meet_url(booking.id) == meet
        # The customer gets the link once Google made it, with a button that opens it.
        video = await tg.wait_for(
            "sendMessage",
            chat_id=ann.id,
            predicate=lambda c: "video call link" in str(c.params.get("text", "")),
        )
        assert meet in str(video.params["text"])
        assert meet in str(video.params.get("reply_markup"))

        # The customer moves it by an hour: the same event is patched with If-Match.
        moved = await bot.services.booking.reschedule(
            ann.id, booking.id, booking.start + timedelta(hours=1)
        )
        assert type(moved).__name__ == "Changed"
        await until(lambda: drained(bot), what="the reschedule to be delivered")
        (event,) = ours(google)
        assert event["id"] == booking.id
        assert utc(event["start"]["dateTime"]) == booking.start + timedelta(hours=1)
        assert event["hangoutLink"] == meet  # Meet kept
        links_sent = [
            c
            for c in tg.calls("sendMessage", chat_id=ann.id)
            if "video call link" in str(c.params.get("text", ""))
        ]
        assert len(links_sent) == 1  # the same link is not sent again
        (patch,) = google.calls_of("calendar.events.patch")
        assert patch.status == 200 and patch.headers.get("If-Match") == stored.event_etag
        assert len(google.calls_of("calendar.events.insert")) == 1

        # Then cancels in Telegram: the event is deleted.
        listing = await say(tg, ann, "/mybookings")
        details = await tap(tg, ann, listing, f"{short_day_and_time(TUESDAY, '10:00')} · Haircut")
        ask = await tap(tg, ann, details, "✖ Cancel booking")
        await tap(tg, ann, ask, "Yes, cancel it")
        await until(lambda: drained(bot), what="the cancel to be delivered")
        assert ours(google) == []
        (delete,) = google.calls_of("calendar.events.delete")
        assert delete.status == 204


async def test_created_then_cancelled_before_delivery_sends_nothing(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path)
    # Anna is not connected yet: her rows wait (parked, not failed).
    async with outbox_bot(tg, google, db_path, clock) as bot:
        ann = tg.user(873, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        kept = await only_booking(bot, ann)
        bob = tg.user(874, first_name="Bob")
        await confirm(tg, bob, await reach_summary(tg, bob, time="11:00", email=None))
        gone = await only_booking(bot, bob)
        assert bot.services is not None
        await bot.services.booking.cancel(bob.id, gone.id)
        assert len(await bot.services.booking.bookings.pending_outbox()) == 3

        # A booking that is over by the time Anna connects is not written.
        past = await _book_directly(bot, tg.user(884, first_name="Cy"), clock.now())
        clock.advance(timedelta(days=1))
        anna = tg.user(875, first_name="Anna")
        await connect_staff(tg, google, admin, "Anna", anna, anna_google)
        await until(lambda: drained(bot), what="the parked rows to flush")
        assert [e["id"] for e in ours(google)] == [kept.id]
        assert len(google.calls_of("calendar.events.insert")) == 1
        assert google.calls_of("calendar.events.delete") == []
        assert all(c.params.get("eventId") != gone.id for c in google.calls)
        assert past.id not in {e["id"] for e in google.events(ANNA_CAL, include_deleted=True)}


async def test_insert_applied_then_503_is_adopted_not_duplicated(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path)
    async with outbox_bot(tg, google, db_path, clock) as bot:
        anna = tg.user(876, first_name="Anna")
        await connect_staff(tg, google, admin, "Anna", anna, anna_google)
        google.fail_next("calendar.events.insert", 503, applied=True)
        ann = tg.user(877, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        booking = await only_booking(bot, ann)
        await until(lambda: _retry_recorded(bot, booking.id), what="the first insert to fail")
        assert [e["id"] for e in ours(google)] == [booking.id]  # it landed, answer was 503
        clock.advance(timedelta(minutes=5))  # past the backoff
        await until(lambda: drained(bot), what="the retry")
        inserts = google.calls_of("calendar.events.insert")
        assert [c.status for c in inserts] == [503, 409]
        assert len(google.calls_of("calendar.events.get")) == 1
        assert [e["id"] for e in ours(google)] == [booking.id]
        assert bot.services is not None
        stored = await bot.services.booking.bookings.get(booking.id)
        assert stored is not None and stored.event_etag == ours(google)[0]["etag"]


async def _retry_recorded(bot: BotRuntime, booking_id: str) -> bool:
    """Whether the worker has recorded a failed attempt of the booking (and its next try)."""
    assert bot.services is not None
    pending = await OutboxRepository(bot.services.db).pending()
    return any(e.booking_id == booking_id and e.attempts >= 1 for e in pending)


def _texts(tg: FakeTelegram, chat_id: int, needle: str) -> list[str]:
    return [
        str(c.params["text"])
        for c in tg.calls("sendMessage", chat_id=chat_id)
        if needle in str(c.params.get("text", ""))
    ]


async def test_revoked_grant_parks_rows_until_reconnect_then_flushes_in_order(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path)
    async with outbox_bot(tg, google, db_path, clock) as bot:
        assert bot.services is not None
        anna = tg.user(878, first_name="Anna")
        await connect_staff(tg, google, admin, "Anna", anna, anna_google)
        ann, bob = tg.user(879, first_name="Ann"), tg.user(880, first_name="Bob")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        first = await only_booking(bot, ann)
        await until(lambda: drained(bot), what="the first booking")

        google.revoke_account(anna_google)  # Anna removes the bot's access in her account
        mark = tg.mark()
        await confirm(tg, bob, await reach_summary(tg, bob, time="11:00"))
        second = await only_booking(bot, bob)
        warning = await tg.wait_for(
            "sendMessage",
            chat_id=anna.id,
            since=mark,
            predicate=lambda c: "stopped working" in str(c.params.get("text", "")),
        )
        moved = await bot.services.booking.reschedule(
            ann.id, first.id, first.start + timedelta(hours=4)
        )
        assert type(moved).__name__ == "Changed"
        clock.advance(timedelta(minutes=5))  # past any backoff (and within the link's 10 min)
        await asyncio.sleep(0.3)
        assert [(b, a) for b, a in await bot.services.booking.bookings.pending_outbox()] == [
            (second.id, "upsert"),
            (first.id, "upsert"),
        ]
        assert await OutboxQueue(bot.services.db).dead_letters() == []  # waiting, not failed
        assert [e["id"] for e in ours(google)] == [first.id]
        assert utc(ours(google)[0]["start"]["dateTime"]) == first.start

        # Anna signs in again from the warning: her rows flush, in order.
        calls_before = len(google.calls)
        google.set_consent(anna_google)
        callback = await open_consent(consent_url_of(warning.result))
        assert (await visit(callback)).status == 200
        await until(lambda: drained(bot), what="the parked rows after reconnecting")
        events = {e["id"]: e for e in ours(google)}
        assert set(events) == {first.id, second.id}
        assert utc(events[first.id]["start"]["dateTime"]) == first.start + timedelta(hours=4)
        writes = [
            c
            for c in google.calls[calls_before:]
            if c.method_id in ("calendar.events.insert", "calendar.events.patch")
        ]
        assert [(c.method_id, c.status) for c in writes] == [
            ("calendar.events.insert", 200),  # Bob's booking was queued first
            ("calendar.events.patch", 200),
        ]
        assert len(_texts(tg, anna.id, "stopped working")) == 1  # told once
        assert len(_texts(tg, ADMIN_ID, "stopped working")) == 1


async def test_permanent_error_is_a_dead_letter_told_once_and_listed_by_doctor(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path)
    async with outbox_bot(tg, google, db_path, clock, outbox_max_attempts=2) as bot:
        assert bot.services is not None
        anna = tg.user(881, first_name="Anna")
        await connect_staff(tg, google, admin, "Anna", anna, anna_google)
        google.fail_next("calendar.events.insert", 400, reason="invalid")
        ann = tg.user(882, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        refused = await only_booking(bot, ann)
        told = await tg.wait_for(
            "sendMessage",
            chat_id=ADMIN_ID,
            predicate=lambda c: "could not be written" in str(c.params.get("text", "")),
        )
        assert refused.id in str(told.params["text"]) and "Anna" in str(told.params["text"])

        # Too many temporary failures end the same way (OUTBOX_MAX_ATTEMPTS=2).
        google.fail_next("calendar.events.insert", 503, times=2)
        bob = tg.user(883, first_name="Bob")
        await confirm(tg, bob, await reach_summary(tg, bob, time="11:00"))
        tired = await only_booking(bot, bob)
        await until(lambda: _retry_recorded(bot, tired.id), what="the first try to fail")
        clock.advance(timedelta(minutes=5))
        queue = OutboxQueue(bot.services.db)
        await until(lambda: _dead(queue, 2), what="the second dead letter")

        assert ours(google) == []
        dead = await queue.dead_letters()
        assert {d.booking_id for d in dead} == {refused.id, tired.id}
        clock.advance(timedelta(hours=1))
        await asyncio.sleep(0.3)  # nothing retried, nobody told twice
        await queue_drained(bot)  # the admins' messages go out of the notification queue
        assert len(google.calls_of("calendar.events.insert")) == 3
        assert len(_texts(tg, ADMIN_ID, "could not be written")) == 2
        lines = [c.line() for c in await run_doctor(bot.settings)]
        assert any("2 booking change(s) could not be written" in line for line in lines)
        assert any(refused.id in line and "BadRequest" in line for line in lines)
        assert any(tired.id in line and "Transient" in line for line in lines)


async def _dead(queue: OutboxQueue, count: int) -> bool:
    return len(await queue.dead_letters()) == count


async def _book_directly(bot: BotRuntime, user: FakeUser, now: datetime) -> BookingRecord:
    """A booking in Anna's first free slot from `now` (through the booking service)."""
    assert bot.services is not None
    service = bot.services.booking
    haircut = next(s for s in await service.active_services() if s.name == "Haircut")
    anna = (await service.catalog.staff_by_name("Anna"))[0]
    day = (await service.free_days(haircut.id, anna.id))[0]
    start = (await service.free_slots(haircut.id, anna.id, day))[0]
    assert start - now < timedelta(days=1)
    outcome = await service.book(
        contact=Contact(telegram_user_id=user.id, name=user.first_name, phone=None, email=None),
        service_id=haircut.id,
        staff_id=anna.id,
        start=start,
        request_key=None,
    )
    assert isinstance(outcome, Booked)
    return outcome.booking


async def test_choosing_another_destination_moves_upcoming_events_keeping_their_ids(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path)
    work = google.add_calendar(anna_google, "Bookings")
    async with outbox_bot(tg, google, db_path, clock) as bot:
        assert bot.services is not None
        anna = tg.user(885, first_name="Anna")
        await connect_staff(tg, google, admin, "Anna", anna, anna_google)
        ann = tg.user(886, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        booking = await only_booking(bot, ann)
        await until(lambda: drained(bot), what="the first write")
        assert [e["id"] for e in ours(google)] == [booking.id]  # primary: nothing chosen yet

        staff_id = (await bot.services.booking.catalog.staff_by_name("Anna"))[0].id
        await StaffLinkRepository(bot.services.db).set_calendars(
            staff_id,
            [
                CalendarChoice(
                    calendar_id=work.id, name="Bookings", is_destination=True, blocks_time=True
                )
            ],
        )
        google.fail_next("calendar.events.move", 503, applied=True)  # lands, answer lost
        await until(lambda: _has_live(google, work.id, booking.id), what="the move")
        await until(lambda: _retry_recorded(bot, booking.id), what="the lost answer")
        clock.advance(timedelta(minutes=5))
        await until(lambda: drained(bot), what="the move to be recorded")
        assert ours(google) == []  # gone from the primary calendar
        (moved,) = ours(google, work.id)
        assert moved["id"] == booking.id and moved["summary"] == "Haircut: Ann"
        moves = google.calls_of("calendar.events.move")
        assert [c.status for c in moves] == [503, 404]  # the retry found it moved: adopted
        assert moves[0].params["destination"] == work.id
        assert len(google.calls_of("calendar.events.insert")) == 1
        stored = await bot.services.booking.bookings.get(booking.id)
        assert stored is not None and stored.event_calendar_id == work.id

        # A later cancel deletes it where it now is.
        await bot.services.booking.cancel(ann.id, booking.id)
        await until(lambda: drained(bot), what="the cancel")
        assert ours(google, work.id) == []


async def _has_live(google: FakeGoogle, calendar_id: str, event_id: str) -> bool:
    return any(e["id"] == event_id for e in ours(google, calendar_id))


async def test_a_customers_change_wakes_the_worker_without_waiting_for_its_poll(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path)
    # The worker would look again only after an hour: only the booking service's poke moves it.
    async with outbox_bot(tg, google, db_path, clock, outbox_poll_seconds=3600.0) as bot:
        await connect_staff(tg, google, admin, "Anna", tg.user(881, first_name="Anna"), anna_google)
        ann = tg.user(882, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        await until(lambda: drained(bot), what="the new booking to be delivered")
        assert len(ours(google)) == 1
        listing = await say(tg, ann, "/mybookings")
        details = await tap(tg, ann, listing, f"{short_day_and_time(TUESDAY, '09:00')} · Haircut")
        ask = await tap(tg, ann, details, "✖ Cancel booking")
        await tap(tg, ann, ask, "Yes, cancel it")
        await until(lambda: drained(bot), what="the cancel to be delivered")
        assert ours(google) == []
