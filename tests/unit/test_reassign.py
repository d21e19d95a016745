"""Handing a booking to another staff member: the old one cancelled and a copy made in one
transaction, each with history and outbox; refused (nothing written) when the other staff
member's time is taken."""

from __future__ import annotations

from bot.clock import ManualClock
from storage.bookings import Booked, SlotTaken
from storage.db import Database
from storage.reassign import Reassigned, reassign
from tests.unit.test_booking_service import contact, ids, make_service
from tests.week import TUESDAY
from tests.week import helsinki as at


async def _rows(db: Database, sql: str, *params: object) -> list[tuple[object, ...]]:
    async with db.reader.execute(sql, params) as cur:
        return [tuple(r) for r in await cur.fetchall()]


async def test_reassign_is_one_transaction(salon_db: Database, clock: ManualClock) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, ben = await ids(service)
    first = await service.book(
        contact=contact(1), service_id=cut, staff_id=anna, start=at(TUESDAY, 13), request_key=None
    )
    blocker = await service.book(
        contact=contact(2), service_id=cut, staff_id=ben, start=at(TUESDAY, 15), request_key=None
    )
    late = await service.book(
        contact=contact(3), service_id=cut, staff_id=anna, start=at(TUESDAY, 15), request_key=None
    )
    assert isinstance(first, Booked) and isinstance(blocker, Booked) and isinstance(late, Booked)
    outbox_before = await _rows(salon_db, "SELECT count(*) FROM outbox")
    refused = await reassign(
        salon_db, late.booking.id, staff_id=ben, new_id="newbooking0000000001", now=clock.now()
    )
    assert isinstance(refused, SlotTaken)
    assert await _rows(salon_db, "SELECT count(*) FROM outbox") == outbox_before
    status = await _rows(salon_db, "SELECT status FROM bookings WHERE id = ?", late.booking.id)
    assert status == [("confirmed",)]

    moved = await reassign(
        salon_db, first.booking.id, staff_id=ben, new_id="newbooking0000000002", now=clock.now()
    )
    assert isinstance(moved, Reassigned)
    assert moved.cancelled.status == "cancelled" and moved.booking.staff_id == ben
    assert (moved.booking.start, moved.booking.end) == (first.booking.start, first.booking.end)
    assert moved.booking.customer_name == first.booking.customer_name
    outbox = await _rows(
        salon_db,
        "SELECT booking_id, action, origin FROM outbox WHERE booking_id IN (?, ?) ORDER BY id",
        first.booking.id,
        "newbooking0000000002",
    )
    assert outbox[-2:] == [
        ("newbooking0000000002", "upsert", "admin"),
        (first.booking.id, "delete", "admin"),
    ]
    again = await reassign(
        salon_db, first.booking.id, staff_id=ben, new_id="newbooking0000000003", now=clock.now()
    )
    assert type(again).__name__ == "NotActive"
