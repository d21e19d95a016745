"""The queue and its planner over a real database, the clock moved through the seam:
reminders at the business's offsets (skipped when already past at booking time, replanned on a
move, dropped on a cancel), one row per dedupe key, claims and expiry, agendas at 08:00 local
on both DST days, also in a staff member's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.booking import BookingService, Contact
from bot.clock import ManualClock
from bot.notify.planner import Planner, confirmation_key, staff_zone
from storage.bookings import Booked, Changed
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.notifications import AgendaPreference, NewNotification, NotificationRepository
from storage.staff_links import StaffLinkRepository
from tests.unit.test_booking_service import make_service
from tests.week import HELSINKI, MONDAY, TUESDAY, WEDNESDAY, helsinki

ANN = Contact(telegram_user_id=501, name="Ann", phone=None, email=None)
ANNA_CHAT = 7001


async def _open_rows(db: Database, kind: str) -> list[tuple[str, datetime, int | None]]:
    rows = await db.reader.execute_fetchall(
        "SELECT dedupe_key, due_at, chat_id FROM notifications WHERE kind = ? "
        "AND sent_at IS NULL AND dropped_at IS NULL ORDER BY due_at",
        (kind,),
    )
    return [(r[0], datetime.fromtimestamp(r[1], UTC), r[2]) for r in rows]


async def _book(service: BookingService, start: datetime) -> Booked:
    staff = await CatalogRepository(service.bookings._db).staff_by_name("Anna")
    outcome = await service.book(
        contact=ANN, service_id=1, staff_id=staff[0].id, start=start, request_key=None
    )
    assert isinstance(outcome, Booked), outcome
    return outcome


async def _link_anna(db: Database, clock: ManualClock) -> int:
    links = StaffLinkRepository(db)
    anna = (await CatalogRepository(db).staff_by_name("Anna"))[0]
    now = clock.now()
    await links.add_invite(
        token_hash="h", staff_id=anna.id, created_by=1, now=now, expires=now + timedelta(days=1)
    )
    await links.accept_invite(token_hash="h", telegram_user_id=ANNA_CHAT, now=now)
    return anna.id


async def test_reminders_at_offsets_skipping_those_already_past(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    queue = NotificationRepository(salon_db)
    planner = Planner(queue=queue, booking=service, clock=clock)
    tomorrow = await _book(service, helsinki(TUESDAY, 13))
    soon = await _book(service, clock.now() + timedelta(hours=3))  # Monday 11:00
    assert await planner.expand_changes() == 2
    reminders = await _open_rows(salon_db, "reminder")
    assert [(due, chat) for _, due, chat in reminders] == [
        (helsinki(MONDAY, 9), ANN.telegram_user_id),  # 11:00 minus 2 h; its 24 h one was past
        (helsinki(MONDAY, 13), ANN.telegram_user_id),  # Tuesday 13:00 minus 24 h
        (helsinki(TUESDAY, 11), ANN.telegram_user_id),  # Tuesday 13:00 minus 2 h
    ]
    assert {key.split(":")[1] for key, _, _ in reminders} == {
        tomorrow.booking.id,
        soon.booking.id,
    }
    # Expanding again adds nothing: each change is expanded once, each key queued once.
    assert await planner.expand_changes() == 0
    assert len(await _open_rows(salon_db, "reminder")) == 3
    # The customer made both: each has a fallback confirmation, due a minute later.
    confirmations = await _open_rows(salon_db, "confirmation")
    assert [due for _, due, _ in confirmations] == [clock.now() + timedelta(seconds=60)] * 2


async def test_a_move_replans_reminders_and_a_cancel_drops_them(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    queue = NotificationRepository(salon_db)
    planner = Planner(queue=queue, booking=service, clock=clock)
    booked = await _book(service, helsinki(TUESDAY, 13))
    await planner.expand_changes()
    moved = await service.reschedule(ANN.telegram_user_id, booked.booking.id, helsinki(TUESDAY, 15))
    assert isinstance(moved, Changed)
    await planner.expand_changes()
    assert [due for _, due, _ in await _open_rows(salon_db, "reminder")] == [
        helsinki(MONDAY, 15),
        helsinki(TUESDAY, 13),
    ]
    cancelled = await service.cancel(ANN.telegram_user_id, booked.booking.id)
    assert isinstance(cancelled, Changed)
    await planner.expand_changes()
    assert await _open_rows(salon_db, "reminder") == []
    assert (await queue.counts()).dropped == {"replanned": 4}


async def test_staff_hear_of_changes_only_when_linked(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    queue = NotificationRepository(salon_db)
    planner = Planner(queue=queue, booking=service, clock=clock)
    await _book(service, helsinki(TUESDAY, 9))
    await planner.expand_changes()
    assert await _open_rows(salon_db, "staff_change") == []
    await _link_anna(salon_db, clock)
    booked = await _book(service, helsinki(TUESDAY, 13))
    await planner.expand_changes()
    assert [(k, chat) for k, _, chat in await _open_rows(salon_db, "staff_change")] == [
        (f"staff:{booked.booking.id}:0", ANNA_CHAT)
    ]


async def test_claims_lease_rows_and_expired_or_blocked_rows_are_dropped(
    salon_db: Database, clock: ManualClock
) -> None:
    queue = NotificationRepository(salon_db)
    now = clock.now()
    rows = [
        NewNotification(
            dedupe_key=f"k{i}",
            kind="reminder",
            chat_id=100 + i,
            priority=1,
            due=now,
            expires=now + timedelta(minutes=5),
        )
        for i in range(3)
    ]
    assert await queue.add(rows, now=now) == 3
    assert await queue.add(rows, now=now) == 0  # dedupe keys
    first = await queue.claim(changes=False, now=now, lease_seconds=30, limit=2)
    assert [r.dedupe_key for r in first] == ["k0", "k1"]
    second = await queue.claim(changes=False, now=now, lease_seconds=30, limit=5)
    assert [r.dedupe_key for r in second] == ["k2"]  # leased rows are not claimed twice
    await queue.sent(first[0], now=now)
    await queue.release(first[1])
    await queue.block(102, now=now)
    clock.advance(timedelta(seconds=31))  # k2's lease ran out (a crashed dispatcher)
    await queue.drop_stale(now=clock.now())
    assert await queue.state("k2") == "dropped:blocked"
    again = await queue.claim(changes=False, now=clock.now(), lease_seconds=30, limit=5)
    assert [r.dedupe_key for r in again] == ["k1"]  # k0 was sent: never again
    clock.advance(timedelta(minutes=5))
    await queue.release(again[0])
    await queue.drop_stale(now=clock.now())
    assert await queue.state("k1") == "dropped:expired"
    assert await queue.state("k0") == "sent"


async def test_a_reply_recorded_first_keeps_the_fallback_confirmation_from_going_out(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    queue = NotificationRepository(salon_db)
    booked = await _book(service, helsinki(TUESDAY, 13))
    key = confirmation_key(booked.booking.id)
    await queue.delivered_elsewhere(
        key, kind="confirmation", chat_id=ANN.telegram_user_id, now=clock.now()
    )
    await Planner(queue=queue, booking=service, clock=clock).expand_changes()
    assert await queue.state(key) == "sent"
    assert await _open_rows(salon_db, "confirmation") == []


async def _agenda_dues(db: Database) -> dict[str, datetime]:
    return {k.rsplit(":", 1)[1]: due for k, due, _ in await _open_rows(db, "agenda")}


async def test_agenda_at_eight_local_on_both_dst_days(salon_db: Database) -> None:
    # Helsinki: clocks go forward on the last Sunday of March, back on the last of October.
    spring, autumn = date(2027, 3, 28), date(2027, 10, 31)
    clock = ManualClock(helsinki(spring - timedelta(days=1), 9))
    service = make_service(salon_db, clock)
    queue = NotificationRepository(salon_db)
    planner = Planner(queue=queue, booking=service, clock=clock)
    await _link_anna(salon_db, clock)
    await planner.plan_agendas()
    dues = await _agenda_dues(salon_db)
    # Saturday's 08:00 had passed; Sunday's is queued (and the days after).
    assert next(iter(dues)) == spring.isoformat()
    local = dues[spring.isoformat()].astimezone(HELSINKI)
    assert (local.hour, local.minute, local.utcoffset()) == (8, 0, timedelta(hours=3))
    clock.set(helsinki(autumn - timedelta(days=1), 9))
    await planner.plan_agendas()
    local = (await _agenda_dues(salon_db))[autumn.isoformat()].astimezone(HELSINKI)
    assert (local.hour, local.minute, local.utcoffset()) == (8, 0, timedelta(hours=2))
    # The day before each change, 08:00 is at another UTC hour: the wall clock is kept.
    assert helsinki(spring - timedelta(days=1), 8).hour != helsinki(spring, 8).hour


NEW_YORK = ZoneInfo("America/New_York")


def _new_york(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=NEW_YORK).astimezone(UTC)


async def _agenda_expiries(db: Database) -> dict[str, datetime]:
    rows = await db.reader.execute_fetchall(
        "SELECT dedupe_key, expires_at FROM notifications WHERE kind = 'agenda'"
    )
    return {r[0].rsplit(":", 1)[1]: datetime.fromtimestamp(r[1], UTC) for r in rows}


async def test_agenda_in_the_staff_members_own_zone_on_both_us_dst_days(
    salon_db: Database,
) -> None:
    # The salon is in Helsinki; Anna lives in New York, whose clocks change on other days
    # (second Sunday of March, first Sunday of November) than Helsinki's.
    spring, autumn = date(2027, 3, 14), date(2027, 11, 7)
    clock = ManualClock(_new_york(spring - timedelta(days=1), 9))
    service = make_service(salon_db, clock)
    queue = NotificationRepository(salon_db)
    planner = Planner(queue=queue, booking=service, clock=clock)
    anna = await _link_anna(salon_db, clock)
    await queue.set_agenda_preference(
        anna, AgendaPreference(8 * 60, "daily", "America/New_York"), now=clock.now()
    )
    await planner.plan_agendas()
    dues = await _agenda_dues(salon_db)
    # Saturday's 08:00 in New York had passed; Sunday's is the first, at 08:00 New York time.
    assert next(iter(dues)) == spring.isoformat()
    assert dues[spring.isoformat()] == _new_york(spring, 8)
    local = dues[spring.isoformat()].astimezone(NEW_YORK)
    assert (local.hour, local.minute, local.utcoffset()) == (8, 0, timedelta(hours=-4))
    assert dues[spring.isoformat()] != helsinki(spring, 8)
    # The day ends at midnight in New York (23 hours after it began, on the change day).
    expiries = await _agenda_expiries(salon_db)
    assert expiries[spring.isoformat()] == _new_york(spring + timedelta(days=1), 0)
    clock.set(_new_york(autumn - timedelta(days=1), 9))
    await planner.plan_agendas()
    local = (await _agenda_dues(salon_db))[autumn.isoformat()].astimezone(NEW_YORK)
    assert (local.hour, local.minute, local.utcoffset()) == (8, 0, timedelta(hours=-5))
    # Back to the business's zone: the agendas are planned again at 08:00 in Helsinki.
    await queue.set_agenda_preference(anna, AgendaPreference(8 * 60, "daily"), now=clock.now())
    await planner.plan_agendas()
    later = autumn + timedelta(days=1)
    assert (await _agenda_dues(salon_db))[later.isoformat()] == helsinki(later, 8)


async def test_agenda_choices_replan_and_off_queues_nothing(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    queue = NotificationRepository(salon_db)
    planner = Planner(queue=queue, booking=service, clock=clock)
    anna = await _link_anna(salon_db, clock)
    await planner.plan_agendas()
    # Monday 08:00 is now (not ahead): Tuesday's and Wednesday's are queued.
    assert list(await _agenda_dues(salon_db)) == [TUESDAY.isoformat(), WEDNESDAY.isoformat()]
    await queue.set_agenda_preference(anna, AgendaPreference(9 * 60 + 30, "busy"), now=clock.now())
    assert await _agenda_dues(salon_db) == {}
    await planner.plan_agendas()
    assert await _agenda_dues(salon_db) == {
        MONDAY.isoformat(): helsinki(MONDAY, 9, 30),
        TUESDAY.isoformat(): helsinki(TUESDAY, 9, 30),
        WEDNESDAY.isoformat(): helsinki(WEDNESDAY, 9, 30),
    }
    await queue.set_agenda_preference(anna, AgendaPreference(9 * 60, "off"), now=clock.now())
    await planner.plan_agendas()
    assert await _agenda_dues(salon_db) == {}


def test_staff_zone_falls_back_to_the_business_zone() -> None:
    assert staff_zone(None, HELSINKI) is HELSINKI
    assert staff_zone(AgendaPreference(), HELSINKI) is HELSINKI
    assert staff_zone(AgendaPreference(timezone="Mars/Olympus"), HELSINKI) is HELSINKI
    assert staff_zone(AgendaPreference(timezone="America/New_York"), HELSINKI) == NEW_YORK
