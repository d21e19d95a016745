"""Handing a booking to another staff member, in one write transaction.

The booking's Google event lives in the first staff member's calendar, written with their
account, so the booking is not edited in place: it is cancelled (its event deleted from their
calendar) and a copy with a new id is made for the other staff member (a new event in theirs),
each with its history and outbox row, both or neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.bookings import NoSuchBooking, NotActive, SlotTaken, _fetch, _history, _overlaps
from storage.db import Database
from storage.outbox import enqueue
from storage.records import BookingRecord, to_epoch


@dataclass(frozen=True, slots=True)
class Reassigned:
    """The old booking (now cancelled) and its copy with the other staff member."""

    cancelled: BookingRecord
    booking: BookingRecord


async def reassign(
    db: Database, booking_id: str, *, staff_id: int, new_id: str, now: datetime
) -> Reassigned | SlotTaken | NotActive | NoSuchBooking:
    """Give a confirmed booking to `staff_id` as the new booking `new_id` (origin admin),
    unless another of their bookings blocks part of its time."""
    async with db.transaction() as tx:
        old = await _fetch(tx, booking_id)
        if old is None:
            return NoSuchBooking()
        if not old.is_active:
            return NotActive(old)
        if await _overlaps(tx, staff_id, old.blocked_start, old.blocked_end, None):
            return SlotTaken()
        stamp = to_epoch(now)
        await tx.execute(
            "INSERT INTO bookings (id, customer_id, staff_id, service_id, start_utc, end_utc, "
            "blocked_start_utc, blocked_end_utc, status, customer_name, customer_phone, "
            "customer_email, price_minor, currency, sequence, request_key, created_at, "
            "updated_at) "
            "SELECT ?, customer_id, ?, service_id, start_utc, end_utc, blocked_start_utc, "
            "blocked_end_utc, 'confirmed', customer_name, customer_phone, customer_email, "
            "price_minor, currency, 0, NULL, ?, ? FROM bookings WHERE id = ?",
            (new_id, staff_id, stamp, stamp, booking_id),
        )
        note = f"reassigned from booking {booking_id}"
        await _history(tx, new_id, now, "admin", "created", None, old.start, note)
        await enqueue(tx, booking_id=new_id, action="upsert", origin="admin", now=now)
        await tx.execute(
            "UPDATE bookings SET status = 'cancelled', sequence = sequence + 1, updated_at = ? "
            "WHERE id = ?",
            (stamp, booking_id),
        )
        note = f"reassigned as booking {new_id}"
        await _history(tx, booking_id, now, "admin", "cancelled", old.start, None, note)
        await enqueue(tx, booking_id=booking_id, action="delete", origin="admin", now=now)
        cancelled = await _fetch(tx, booking_id)
        booking = await _fetch(tx, new_id)
    assert cancelled is not None
    assert booking is not None
    return Reassigned(cancelled, booking)
