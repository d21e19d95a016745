"""Bookings: the overlap-checked insert, reschedule and cancel, each with history and outbox.

Every change runs in one write transaction (`BEGIN IMMEDIATE`) that checks the staff
member's blocked windows, writes the booking, a history row and an outbox row together:
either all of it is stored or none of it, and two writers can never book the same time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database
from storage.records import (
    BlockedTimes,
    BookingRecord,
    NewBooking,
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
class NotFound:
    """No such booking for this customer."""


@dataclass(frozen=True, slots=True)
class NotActive:
    """The booking was already cancelled."""

    booking: BookingRecord


@dataclass(frozen=True, slots=True)
class Changed:
    """The booking was rescheduled or cancelled."""

    booking: BookingRecord
    previous: BookingRecord


BookResult = Booked | AlreadyBooked | SlotTaken
ChangeResult = Changed | SlotTaken | NotFound | NotActive


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
    actor: str,
    action: str,
    old_start: datetime | None,
    new_start: datetime | None,
    note: str = "",
) -> None:
    await tx.execute(
        "INSERT INTO booking_history (booking_id, at_utc, actor, action, old_start_utc, "
        "new_start_utc, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            booking_id,
            to_epoch(now),
            actor,
            action,
            to_epoch(old_start) if old_start else None,
            to_epoch(new_start) if new_start else None,
            note,
        ),
    )


async def _outbox(tx: aiosqlite.Connection, booking_id: str, action: str, now: datetime) -> None:
    stamp = to_epoch(now)
    await tx.execute(
        "INSERT INTO outbox (booking_id, action, created_at, next_attempt_at) VALUES (?, ?, ?, ?)",
        (booking_id, action, stamp, stamp),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    """One recorded change of a booking."""

    at: datetime
    actor: str
    action: str
    old_start: datetime | None
    new_start: datetime | None
    note: str


class BookingRepository:
    """Stores bookings; never lets two confirmed bookings of one staff member overlap."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def try_book(self, new: NewBooking, *, now: datetime, actor: str) -> BookResult:
        """Insert a booking unless its blocked window overlaps another confirmed booking."""
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
            if await _overlaps(tx, new.staff_id, new.blocked_start, new.blocked_end, None):
                return SlotTaken()
            stamp = to_epoch(now)
            await tx.execute(
                "INSERT INTO bookings (id, customer_id, staff_id, service_id, start_utc, end_utc, "
                "blocked_start_utc, blocked_end_utc, status, customer_name, customer_phone, "
                "customer_email, price_minor, currency, sequence, request_key, created_at, "
                "updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                (
                    new.id,
                    new.customer_id,
                    new.staff_id,
                    new.service_id,
                    to_epoch(new.start),
                    to_epoch(new.end),
                    to_epoch(new.blocked_start),
                    to_epoch(new.blocked_end),
                    new.customer_name,
                    new.customer_phone,
                    new.customer_email,
                    new.price_minor,
                    new.currency,
                    new.request_key,
                    stamp,
                    stamp,
                ),
            )
            await _history(tx, new.id, now, actor, "created", None, new.start)
            await _outbox(tx, new.id, "upsert", now)
            booking = await _fetch(tx, new.id)
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
        actor: str,
    ) -> ChangeResult:
        """Move a confirmed booking (optionally only if it belongs to `customer_id`)."""
        async with self._db.transaction() as tx:
            previous = await _fetch(tx, booking_id)
            if previous is None or (
                customer_id is not None and previous.customer_id != customer_id
            ):
                return NotFound()
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
            await _history(tx, booking_id, now, actor, "rescheduled", previous.start, start)
            await _outbox(tx, booking_id, "upsert", now)
            booking = await _fetch(tx, booking_id)
        assert booking is not None
        return Changed(booking, previous)

    async def cancel(
        self, booking_id: str, *, customer_id: int | None, now: datetime, actor: str, note: str = ""
    ) -> ChangeResult:
        """Cancel a confirmed booking (optionally only if it belongs to `customer_id`)."""
        async with self._db.transaction() as tx:
            previous = await _fetch(tx, booking_id)
            if previous is None or (
                customer_id is not None and previous.customer_id != customer_id
            ):
                return NotFound()
            if not previous.is_active:
                return NotActive(previous)
            await tx.execute(
                "UPDATE bookings SET status = 'cancelled', sequence = sequence + 1, "
                "updated_at = ? WHERE id = ?",
                (to_epoch(now), booking_id),
            )
            await _history(tx, booking_id, now, actor, "cancelled", previous.start, None, note)
            await _outbox(tx, booking_id, "delete", now)
            booking = await _fetch(tx, booking_id)
        assert booking is not None
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

    async def history(self, booking_id: str) -> list[HistoryEntry]:
        """The booking's recorded changes, oldest first."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT at_utc, actor, action, old_start_utc, new_start_utc, note "
                "FROM booking_history WHERE booking_id = ? ORDER BY id",
                (booking_id,),
            )
        )
        return [
            HistoryEntry(
                at=from_epoch(r["at_utc"]),
                actor=r["actor"],
                action=r["action"],
                old_start=from_epoch(r["old_start_utc"]) if r["old_start_utc"] else None,
                new_start=from_epoch(r["new_start_utc"]) if r["new_start_utc"] else None,
                note=r["note"],
            )
            for r in rows
        ]

    async def pending_outbox(self) -> list[tuple[str, str]]:
        """Undelivered outbox rows as (booking id, action), oldest first."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT booking_id, action FROM outbox WHERE delivered_at IS NULL ORDER BY id"
            )
        )
        return [(r["booking_id"], r["action"]) for r in rows]
