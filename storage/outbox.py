"""The outbox: Google writes waiting for the sync worker, one row per booking change.

`enqueue` is the only code that writes outbox rows. It runs inside the transaction of the
booking change it carries, so a change and its Google write are stored together or not at
all. A change that came from Google (origin "google") is not queued: writing it back would
echo Google's own change to Google.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import aiosqlite

from storage.db import Database
from storage.records import Origin, from_epoch, to_epoch

OutboxAction = Literal["upsert", "delete"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEntry:
    """One undelivered Google write."""

    id: int
    booking_id: str
    action: OutboxAction
    origin: Origin
    created_at: datetime
    attempts: int


async def enqueue(
    tx: aiosqlite.Connection,
    *,
    booking_id: str,
    action: OutboxAction,
    origin: Origin,
    now: datetime,
) -> bool:
    """Queue the Google write of a booking change in the change's own transaction; False
    (nothing queued) for a change that came from Google."""
    if origin == "google":
        return False
    stamp = to_epoch(now)
    await tx.execute(
        "INSERT INTO outbox (booking_id, action, origin, created_at, next_attempt_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (booking_id, action, origin, stamp, stamp),
    )
    return True


class OutboxRepository:
    """Reads the outbox (the sync worker adds its claim and delivery methods here)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def pending(self) -> list[OutboxEntry]:
        """Undelivered rows, oldest first."""
        rows = await self._db.reader.execute_fetchall(
            "SELECT id, booking_id, action, origin, created_at, attempts FROM outbox "
            "WHERE delivered_at IS NULL ORDER BY id"
        )
        return [
            OutboxEntry(
                id=r["id"],
                booking_id=r["booking_id"],
                action=r["action"],
                origin=r["origin"],
                created_at=from_epoch(r["created_at"]),
                attempts=r["attempts"],
            )
            for r in rows
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """Every undelivered row of one booking, leased to one worker until `lease_until`.

    The rows are triggers: the worker writes the booking as it stands now, so the rows of one
    booking coalesce (created then cancelled before delivery sends nothing)."""

    booking_id: str
    staff_id: int
    row_ids: tuple[int, ...]
    attempts: int  # the most attempts any of the rows has had
    lease_until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """A booking change that could not be written to Google and will not be retried."""

    booking_id: str
    staff_name: str
    action: OutboxAction
    attempts: int
    error: str
    dead_at: datetime


class OutboxQueue:
    """The sync worker's side of the outbox: lease, deliver, retry, park, dead-letter.

    `claim` leases, in one write transaction, all undelivered rows of the bookings whose
    oldest row is first in line: due, not leased by anyone (a lease ends at `claimed_until`,
    so a crashed worker's rows come back after it), and of a staff member whose Google account
    is connected (the rows of the others wait, parked, until they reconnect). A booking
    with a leased row is never claimed twice, so the rows of one booking apply in order."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, *, now: datetime, lease: int, limit: int) -> list[Claim]:
        """Lease up to `limit` bookings' rows for `lease` seconds, oldest booking change first."""
        stamp = to_epoch(now)
        until = stamp + lease
        async with self._db.transaction() as tx:
            rows = await tx.execute_fetchall(
                "SELECT o.booking_id, b.staff_id, group_concat(o.id) AS ids, "
                "MAX(o.attempts) AS attempts, MIN(o.id) AS first "
                "FROM outbox o JOIN bookings b ON b.id = o.booking_id "
                "JOIN google_accounts a ON a.staff_id = b.staff_id AND a.status = 'connected' "
                "WHERE o.delivered_at IS NULL AND o.dead_at IS NULL "
                "GROUP BY o.booking_id "
                "HAVING MAX(COALESCE(o.claimed_until, 0)) <= ? AND MAX(o.next_attempt_at) <= ? "
                "ORDER BY first LIMIT ?",
                (stamp, stamp, limit),
            )
            claims = []
            for r in rows:
                ids = tuple(sorted(int(i) for i in str(r["ids"]).split(",")))
                await tx.executemany(
                    "UPDATE outbox SET claimed_until = ? WHERE id = ?", [(until, i) for i in ids]
                )
                claims.append(
                    Claim(
                        booking_id=r["booking_id"],
                        staff_id=r["staff_id"],
                        row_ids=ids,
                        attempts=r["attempts"],
                        lease_until=from_epoch(until),
                    )
                )
        return claims

    async def delivered(self, claim: Claim, *, now: datetime) -> None:
        """The booking as it stands was written: its claimed rows are done."""
        await self._finish(
            claim, "delivered_at = ?, claimed_until = NULL, last_error = NULL", (to_epoch(now),)
        )

    async def retry(self, claim: Claim, *, at: datetime, error: str) -> None:
        """A temporary failure: try again at `at` (one more attempt counted)."""
        await self._finish(
            claim,
            "attempts = attempts + 1, next_attempt_at = ?, claimed_until = NULL, last_error = ?",
            (to_epoch(at), error),
        )

    async def park(self, claim: Claim, *, error: str) -> None:
        """The staff member's account is not connected: the rows wait, no attempt counted (the
        claim skips them until the account is connected again)."""
        await self._finish(claim, "claimed_until = NULL, last_error = ?", (error,))

    async def dead(self, claim: Claim, *, now: datetime, error: str) -> None:
        """A permanent failure: the rows become dead letters and are not retried."""
        await self._finish(
            claim,
            "attempts = attempts + 1, dead_at = ?, claimed_until = NULL, last_error = ?",
            (to_epoch(now), error),
        )

    async def _finish(self, claim: Claim, assignments: str, values: tuple[object, ...]) -> None:
        # Only while the lease is ours: a worker that outlived its lease changes nothing.
        lease = to_epoch(claim.lease_until)
        async with self._db.transaction() as tx:
            await tx.executemany(
                f"UPDATE outbox SET {assignments} WHERE id = ? AND claimed_until = ?",
                [(*values, row_id, lease) for row_id in claim.row_ids],
            )

    async def dead_letters(self) -> list[DeadLetter]:
        """Every dead row, newest first."""
        rows = await self._db.reader.execute_fetchall(
            "SELECT o.booking_id, s.name AS staff_name, o.action, o.attempts, o.last_error, "
            "o.dead_at FROM outbox o JOIN bookings b ON b.id = o.booking_id "
            "JOIN staff s ON s.id = b.staff_id WHERE o.dead_at IS NOT NULL "
            "ORDER BY o.dead_at DESC, o.id DESC"
        )
        return [
            DeadLetter(
                booking_id=r["booking_id"],
                staff_name=r["staff_name"],
                action=r["action"],
                attempts=r["attempts"],
                error=r["last_error"] or "",
                dead_at=from_epoch(r["dead_at"]),
            )
            for r in rows
        ]

    async def waiting_by_staff(self) -> dict[int, int]:
        """Undelivered, live rows per staff member (parked ones included)."""
        rows = await self._db.reader.execute_fetchall(
            "SELECT b.staff_id, COUNT(*) AS n FROM outbox o JOIN bookings b "
            "ON b.id = o.booking_id WHERE o.delivered_at IS NULL AND o.dead_at IS NULL "
            "GROUP BY b.staff_id"
        )
        return {r["staff_id"]: r["n"] for r in rows}

    async def next_due(self) -> datetime | None:
        """When the earliest waiting row is due (parked rows included), if any."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT MIN(next_attempt_at) AS due FROM outbox "
                "WHERE delivered_at IS NULL AND dead_at IS NULL"
            )
        )
        due = rows[0]["due"] if rows else None
        return None if due is None else from_epoch(due)

    async def queue_moves(self, *, now: datetime) -> int:
        """Queue a write for each upcoming booking whose event is in a calendar other than its
        staff member's destination (they chose another one), unless one is queued already; the
        number queued."""
        stamp = to_epoch(now)
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO outbox (booking_id, action, origin, created_at, next_attempt_at) "
                "SELECT b.id, 'upsert', 'system', ?, ? FROM bookings b "
                "JOIN staff_calendars c ON c.staff_id = b.staff_id AND c.is_destination = 1 "
                "WHERE b.status = 'confirmed' AND b.end_utc > ? AND b.event_etag IS NOT NULL "
                "AND b.event_calendar_id <> c.calendar_id AND NOT EXISTS (SELECT 1 FROM outbox o "
                "WHERE o.booking_id = b.id AND o.delivered_at IS NULL AND o.dead_at IS NULL)",
                (stamp, stamp, stamp),
            )
            return cursor.rowcount

    async def record_meet_url(self, booking_id: str, url: str | None) -> None:
        """Keep the Meet link of the booking's Google event."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE bookings SET event_meet_url = ? WHERE id = ?", (url, booking_id)
            )

    async def meet_url(self, booking_id: str) -> str | None:
        """The Meet link of the booking's Google event, once it was written."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT event_meet_url FROM bookings WHERE id = ?", (booking_id,)
            )
        )
        return rows[0]["event_meet_url"] if rows else None
