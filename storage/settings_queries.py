"""Reads the settings screens need beyond the catalogue: every slug ever used, and a staff
member's bookings within a window (what a day off would clash with)."""

from __future__ import annotations

from datetime import datetime

from storage.bookings import _SELECT, _booking
from storage.db import Database
from storage.records import BookingRecord, to_epoch


async def all_slugs(db: Database, table: str) -> set[str]:
    """Setup-file ids of every service or staff member, archived ones included."""
    if table not in ("services", "staff"):
        raise ValueError(table)
    rows = await db.reader.execute_fetchall(f"SELECT slug FROM {table}")
    return {r["slug"] for r in rows}


async def staff_bookings(
    db: Database, staff_id: int, start: datetime, end: datetime
) -> list[BookingRecord]:
    """The staff member's confirmed bookings starting within [start, end), soonest first."""
    rows = await db.reader.execute_fetchall(
        _SELECT + "WHERE b.staff_id = ? AND b.status = 'confirmed' "
        "AND b.start_utc >= ? AND b.start_utc < ? ORDER BY b.start_utc",
        (staff_id, to_epoch(start), to_epoch(end)),
    )
    return [_booking(r) for r in rows]
