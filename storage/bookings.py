"""Bookings: the overlap-checked insert, reschedule and cancel, each with history and outbox.

Every use case runs in one write transaction (`BEGIN IMMEDIATE`): booking remembers the
customer, checks their active-bookings cap and the staff member's blocked windows, and
writes the booking, a history row and the outbox row (through `storage.outbox.enqueue`)
together. Either all of it is stored or none of it, and two writers can never book the same
time nor push a customer past the cap. Each change records its origin; a change that came
from Google queues no write back to Google.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.customers import remember_customer
from storage.db import Database
from storage.notifications import enqueue_change
from storage.outbox import OutboxRepository, enqueue
from storage.records import (
    BlockedTimes,
    BookingRecord,
    NewBooking,
    Origin,
    from_epoch,
    to_epoch,
)

_SELECT = (
    "SELECT b.*, c.telegram_user_id AS customer_telegram_id, s.name AS staff_name, "
    "v.name AS service_name FROM bookings b "
    "JOIN customers c ON c.id = b.customer_id JOIN staff s ON s.id = b.staff_id "
    "JOIN services v ON v.id = b.service_id "
)


# No booking blocks longer than this (services last at most a day, buffers 4 hours each
# side; `_overlaps` refuses longer windows). So a window that ends after `start` begins after
# `start - MAX_BLOCKED_SECONDS`, which bounds the index range on (staff_id,
# blocked_start_utc) on both sides: a query walks the bookings near its span, never the
# staff member's whole history.
MAX_BLOCKED_SECONDS = 2 * 24 * 3600
_MEETS = "blocked_start_utc > ? AND blocked_start_utc < ? AND blocked_end_utc > ?"


def _meets(start: int, end: int) -> tuple[int, int, int]:
    """Parameters of `_MEETS`: blocked windows that share time with [start, end)."""
    return start - MAX_BLOCKED_SECONDS, end, start


def _booking(row: aiosqlite.Row) -> BookingRecord:
    return BookingRecord(
        id=row["id"],
        customer_id=row["customer_id"],
        customer_telegram_id=row["customer_telegram_id"],
        staff_id=row["staff_id"],
        staff_name=row["staff_name"],
        service_id=row["service_id"],
        service_name=row["service_name"],
        start=from_epoch(row["start_utc"]),
        end=from_epoch(row["end_utc"]),
        blocked_start=from_epoch(row["blocked_start_utc"]),
        blocked_end=from_epoch(row["blocked_end_utc"]),
        status=row["status"],
        customer_name=row["customer_name"],
        customer_phone=row["customer_phone"],
        customer_email=row["customer_email"],
        price_minor=row["price_minor"],
        currency=row["currency"],
        sequence=row["sequence"],
        created_at=from_epoch(row["created_at"]),
        updated_at=from_epoch(row["updated_at"]),
        event_calendar_id=row["event_calendar_id"],
        event_etag=row["event_etag"],
    )


@dataclass(frozen=True, slots=True)
class Booked:
    """The booking was stored."""

    booking: BookingRecord


@dataclass(frozen=True, slots=True)
class AlreadyBooked:
    """The same request was stored before (a repeated confirm); nothing new was written."""

    booking: BookingRecord


@dataclass(frozen=True, slots=True)
class SlotTaken:
    """Another booking holds part of the requested time."""


@dataclass(frozen=True, slots=True)
class TooManyBookings:
    """The customer already holds the most active bookings one customer may hold."""

    limit: int


@dataclass(frozen=True, slots=True)
class NoSuchBooking:
    """No such booking (or not this customer's)."""


@dataclass(frozen=True, slots=True)
class NotActive:
    """The booking was already cancelled."""

    booking: BookingRecord


@dataclass(frozen=True, slots=True)
class Changed:
    """The booking was rescheduled or cancelled."""

    booking: BookingRecord
    previous: BookingRecord


BookResult = Booked | AlreadyBooked | SlotTaken | TooManyBookings
ChangeResult = Changed | SlotTaken | NoSuchBooking | NotActive


async def _fetch(conn: aiosqlite.Connection, booking_id: str) -> BookingRecord | None:
    rows = list(await conn.execute_fetchall(_SELECT + "WHERE b.id = ?", (booking_id,)))
    row = rows[0] if rows else None
    return _booking(row) if row else None


async def _overlaps(
    tx: aiosqlite.Connection,
    staff_id: int,
    blocked_start: datetime,
    blocked_end: datetime,
    ignore_id: str | None,
) -> bool:
    """True if another confirmed booking of the staff member blocks part of the window.

    Every insert and move checks its window here before writing it, which is what makes
    MAX_BLOCKED_SECONDS a bound on every stored window."""
    start, end = to_epoch(blocked_start), to_epoch(blocked_end)
    if end - start > MAX_BLOCKED_SECONDS:
        raise ValueError(f"a booking may block at most {MAX_BLOCKED_SECONDS // 3600} hours")
    rows = list(
        await tx.execute_fetchall(
            "SELECT 1 FROM bookings WHERE staff_id = ? AND status = 'confirmed' "
            f"AND {_MEETS} AND id IS NOT ? LIMIT 1",
            (staff_id, *_meets(start, end), ignore_id),
        )
    )
    return (rows[0] if rows else None) is not None


async def _history(
    tx: aiosqlite.Connection,
    booking_id: str,
    now: datetime,
    origin: Origin,
    action: str,
    old_start: datetime | None,
    new_start: datetime | None,
    note: str = "",
) -> None:
    await tx.execute(
        "INSERT INTO booking_history (booking_id, at_utc, origin, action, old_start_utc, "
        "new_start_utc, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            booking_id,
            to_epoch(now),
            origin,
            action,
            to_epoch(old_start) if old_start else None,
            to_epoch(new_start) if new_start else None,
            note,
        ),
    )


async def _active_count(tx: aiosqlite.Connection, telegram_user_id: int, now: datetime) -> int:
    """Confirmed bookings of the customer that have not ended yet."""
    rows = list(
        await tx.execute_fetchall(
            "SELECT count(*) FROM bookings b JOIN customers c ON c.id = b.customer_id "
            "WHERE c.telegram_user_id = ? AND b.status = 'confirmed' AND b.end_utc > ?",
            (telegram_user_id, to_epoch(now)),
        )
    )
    return int(rows[0][0])


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    """One recorded change of a booking."""

    at: datetime
    origin: Origin
    action: str
    old_start: datetime | None
    new_start: datetime | None
    note: str


class BookingRepository:
    """Stores bookings; never lets two confirmed bookings of one staff member overlap."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def try_book(
        self, new: NewBooking, *, now: datetime, origin: Origin, max_active: int | None = None
    ) -> BookResult:
        """In one transaction: remember the customer and store the booking for the first of
        `new.staff_ids` whose blocked window overlaps no confirmed booking, unless the same
        request was stored before or the customer already holds `max_active` active
        bookings. Nothing is written unless the booking is."""
        async with self._db.transaction() as tx:
            if new.request_key is not None:
                rows = list(
                    await tx.execute_fetchall(
                        "SELECT id FROM bookings WHERE request_key = ?", (new.request_key,)
                    )
                )
                row = rows[0] if rows else None
                if row is not None:
                    existing = await _fetch(tx, row[0])
                    assert existing is not None
                    return AlreadyBooked(existing)
            if (
                max_active is not None
                and await _active_count(tx, new.customer.telegram_user_id, now) >= max_active
            ):
                return TooManyBookings(max_active)
            staff_id = None
            for candidate in new.staff_ids:
                if not await _overlaps(tx, candidate, new.blocked_start, new.blocked_end, None):
                    staff_id = candidate
                    break
            if staff_id is None:
                return SlotTaken()
            customer = await remember_customer(tx, new.customer, now=now)
            stamp = to_epoch(now)
            await tx.execute(
                "INSERT INTO bookings (id, customer_id, staff_id, service_id, start_utc, end_utc, "
                "blocked_start_utc, blocked_end_utc, status, customer_name, customer_phone, "
                "customer_email, price_minor, currency, sequence, request_key, created_at, "
                "updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                (
                    new.id,
                    customer.id,
                    staff_id,
                    new.service_id,
                    to_epoch(new.start),
                    to_epoch(new.end),
                    to_epoch(new.blocked_start),
                    to_epoch(new.blocked_end),
                    customer.name,
                    customer.phone,
                    customer.email,
                    new.price_minor,
                    new.currency,
                    new.request_key,
                    stamp,
                    stamp,
                ),
            )
            await _history(tx, new.id, now, origin, "created", None, new.start)
            await enqueue(tx, booking_id=new.id, action="upsert", origin=origin, now=now)
            booking = await _fetch(tx, new.id)
            assert booking is not None
            await enqueue_change(
                tx,
                booking_id=new.id,
                sequence=booking.sequence,
                action="created",
                origin=origin,
                previous_start=None,
                now=now,
            )
        assert booking is not None
        return Booked(booking)

    async def reschedule(
        self,
        booking_id: str,
        *,
        customer_id: int | None,
        start: datetime,
        end: datetime,
        blocked_start: datetime,
        blocked_end: datetime,
        now: datetime,
        origin: Origin,
    ) -> ChangeResult:
        """Move a confirmed booking (optionally only if it belongs to `customer_id`)."""
        async with self._db.transaction() as tx:
            previous = await _fetch(tx, booking_id)
            if previous is None or (
                customer_id is not None and previous.customer_id != customer_id
            ):
                return NoSuchBooking()
            if not previous.is_active:
                return NotActive(previous)
            if await _overlaps(tx, previous.staff_id, blocked_start, blocked_end, booking_id):
                return SlotTaken()
            await tx.execute(
                "UPDATE bookings SET start_utc = ?, end_utc = ?, blocked_start_utc = ?, "
                "blocked_end_utc = ?, sequence = sequence + 1, updated_at = ? WHERE id = ?",
                (
                    to_epoch(start),
                    to_epoch(end),
                    to_epoch(blocked_start),
                    to_epoch(blocked_end),
                    to_epoch(now),
                    booking_id,
                ),
            )
            await _history(tx, booking_id, now, origin, "rescheduled", previous.start, start)
            await enqueue(tx, booking_id=booking_id, action="upsert", origin=origin, now=now)
            booking = await _fetch(tx, booking_id)
            assert booking is not None
            await enqueue_change(
                tx,
                booking_id=booking_id,
                sequence=booking.sequence,
                action="rescheduled",
                origin=origin,
                previous_start=previous.start,
                now=now,
            )
        return Changed(booking, previous)

    async def cancel(
        self,
        booking_id: str,
        *,
        customer_id: int | None,
        now: datetime,
        origin: Origin,
        note: str = "",
    ) -> ChangeResult:
        """Cancel a confirmed booking (optionally only if it belongs to `customer_id`)."""
        async with self._db.transaction() as tx:
            previous = await _fetch(tx, booking_id)
            if previous is None or (
                customer_id is not None and previous.customer_id != customer_id
            ):
                return NoSuchBooking()
            if not previous.is_active:
                return NotActive(previous)
            await tx.execute(
                "UPDATE bookings SET status = 'cancelled', sequence = sequence + 1, "
                "updated_at = ? WHERE id = ?",
                (to_epoch(now), booking_id),
            )
            await _history(tx, booking_id, now, origin, "cancelled", previous.start, None, note)
            await enqueue(tx, booking_id=booking_id, action="delete", origin=origin, now=now)
            booking = await _fetch(tx, booking_id)
            assert booking is not None
            await enqueue_change(
                tx,
                booking_id=booking_id,
                sequence=booking.sequence,
                action="cancelled",
                origin=origin,
                previous_start=previous.start,
                now=now,
            )
        return Changed(booking, previous)

    async def by_request_key(self, request_key: str) -> BookingRecord | None:
        """The booking a confirm request created before, if any."""
        rows = list(
            await self._db.reader.execute_fetchall(
                _SELECT + "WHERE b.request_key = ?", (request_key,)
            )
        )
        row = rows[0] if rows else None
        return _booking(row) if row else None

    async def get(self, booking_id: str) -> BookingRecord | None:
        """One booking by id."""
        return await _fetch(self._db.reader, booking_id)

    async def upcoming_for_customer(self, customer_id: int, now: datetime) -> list[BookingRecord]:
        """The customer's confirmed bookings that have not ended yet, soonest first."""
        rows = list(
            await self._db.reader.execute_fetchall(
                _SELECT + "WHERE b.customer_id = ? AND b.start_utc > ? "
                "AND b.status = 'confirmed' AND b.end_utc > ? ORDER BY b.start_utc",
                (customer_id, to_epoch(now) - MAX_BLOCKED_SECONDS, to_epoch(now)),
            )
        )
        return [_booking(r) for r in rows]

    async def blocked_times(
        self,
        staff_ids: Sequence[int],
        start: datetime,
        end: datetime,
        *,
        ignore_booking: str | None = None,
    ) -> BlockedTimes:
        """What confirmed bookings of these staff block within [start, end) (all but
        `ignore_booking`, the one being moved)."""
        spans: dict[int, list[tuple[int, int]]] = {i: [] for i in staff_ids}
        starts: dict[int, list[int]] = {i: [] for i in staff_ids}
        if staff_ids:
            marks = ",".join("?" * len(staff_ids))
            rows = await self._db.reader.execute_fetchall(
                "SELECT staff_id, start_utc, blocked_start_utc, blocked_end_utc FROM bookings "
                f"WHERE staff_id IN ({marks}) AND status = 'confirmed' AND {_MEETS} "
                "AND id IS NOT ?",
                (*staff_ids, *_meets(to_epoch(start), to_epoch(end)), ignore_booking),
            )
            for staff_id, booking_start, blocked_start, blocked_end in rows:
                spans[staff_id].append((blocked_start, blocked_end))
                starts[staff_id].append(booking_start)
        return BlockedTimes(spans=spans, starts=starts)

    async def of_staff(self, staff_id: int, start: datetime, end: datetime) -> list[BookingRecord]:
        """The staff member's confirmed bookings starting in [start, end), in time order."""
        rows = await self._db.reader.execute_fetchall(
            _SELECT + "WHERE b.staff_id = ? AND b.status = 'confirmed' AND b.start_utc >= ? "
            "AND b.start_utc < ? ORDER BY b.start_utc",
            (staff_id, to_epoch(start), to_epoch(end)),
        )
        return [_booking(r) for r in rows]

    async def history(self, booking_id: str) -> list[HistoryEntry]:
        """The booking's recorded changes, oldest first."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT at_utc, origin, action, old_start_utc, new_start_utc, note "
                "FROM booking_history WHERE booking_id = ? ORDER BY id",
                (booking_id,),
            )
        )
        return [
            HistoryEntry(
                at=from_epoch(r["at_utc"]),
                origin=r["origin"],
                action=r["action"],
                old_start=from_epoch(r["old_start_utc"]) if r["old_start_utc"] else None,
                new_start=from_epoch(r["new_start_utc"]) if r["new_start_utc"] else None,
                note=r["note"],
            )
            for r in rows
        ]

    async def record_event(self, booking_id: str, *, calendar_id: str, etag: str | None) -> None:
        """Remember the calendar and etag the booking's Google event was written with."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE bookings SET event_calendar_id = ?, event_etag = ? WHERE id = ?",
                (calendar_id, etag, booking_id),
            )

    async def write_again(self, booking_id: str, *, now: datetime) -> None:
        """Queue the booking, as stored, to be written to Google again (a change made in
        Google could not be applied, so Google is put back to what the bot holds)."""
        async with self._db.transaction() as tx:
            await enqueue(tx, booking_id=booking_id, action="upsert", origin="system", now=now)

    async def pending_outbox(self) -> list[tuple[str, str]]:
        """Undelivered outbox rows as (booking id, action), oldest first."""
        return [(e.booking_id, e.action) for e in await OutboxRepository(self._db).pending()]
