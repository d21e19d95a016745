"""The notification queue: every message that is not a direct reply, as a database row.

A row has a recipient, a due time, an optional expiry, a unique dedupe key and a sent (or
dropped) state. `enqueue_change` is written inside a booking change's own transaction (a
"change" row: expanded later into the staff message, the reminders and, after a crash, the
customer's confirmation), so a stored booking is never left without its messages. The
dispatcher claims due rows for a short lease, sends them and marks them sent; a claim that
outlives a crashed process comes back when its lease ends. Payloads are cleared once a row
is done: the queue does not keep what it said.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from storage.db import Database
from storage.records import Origin, from_epoch, to_epoch

Kind = Literal["change", "confirmation", "staff_change", "reminder", "agenda", "notice"]
AgendaMode = Literal["daily", "busy", "off"]
PROMPT = 0  # notices, staff messages, confirmations: ahead of any batch
BULK = 1  # reminders and agendas

_COLUMNS = (
    "id, dedupe_key, kind, chat_id, priority, booking_id, payload, due_at, expires_at, "
    "attempts, created_at"
)
_OPEN = "sent_at IS NULL AND dropped_at IS NULL"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewNotification:
    """A row to queue (ignored if a row with the same dedupe key exists, sent or not)."""

    dedupe_key: str
    kind: Kind
    chat_id: int | None
    priority: int
    due: datetime
    expires: datetime | None = None
    booking_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """A claimed row, leased to one dispatcher until `lease_until`."""

    id: int
    dedupe_key: str
    kind: Kind
    chat_id: int | None
    priority: int
    booking_id: str | None
    payload: dict[str, Any]
    due: datetime
    expires: datetime | None
    attempts: int
    created_at: datetime
    lease_until: datetime


@dataclass(frozen=True, slots=True)
class AgendaPreference:
    """When a staff member gets the daily agenda (local minutes after midnight) and how, and
    the IANA zone their agenda and booking messages use (None: the business's zone)."""

    minute: int = 8 * 60
    mode: AgendaMode = "daily"
    timezone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCounts:
    """How many rows are open, sent and dropped (by reason)."""

    open: int
    sent: int
    dropped: dict[str, int]


async def enqueue_change(
    tx: aiosqlite.Connection,
    *,
    booking_id: str,
    sequence: int,
    action: Literal["created", "rescheduled", "cancelled"],
    origin: Origin,
    previous_start: datetime | None,
    now: datetime,
) -> None:
    """Queue the messages of a booking change, inside the change's own transaction."""
    payload = {
        "action": action,
        "origin": origin,
        "previous_start": to_epoch(previous_start) if previous_start else None,
        "sequence": sequence,
    }
    stamp = to_epoch(now)
    await tx.execute(
        "INSERT OR IGNORE INTO notifications (dedupe_key, kind, chat_id, priority, booking_id, "
        "payload, due_at, created_at) VALUES (?, 'change', NULL, ?, ?, ?, ?, ?)",
        (f"change:{booking_id}:{sequence}", PROMPT, booking_id, json.dumps(payload), stamp, stamp),
    )


def _row(row: aiosqlite.Row, lease_until: int) -> Notification:
    return Notification(
        id=row["id"],
        dedupe_key=row["dedupe_key"],
        kind=row["kind"],
        chat_id=row["chat_id"],
        priority=row["priority"],
        booking_id=row["booking_id"],
        payload=json.loads(row["payload"]) if row["payload"] else {},
        due=from_epoch(row["due_at"]),
        expires=from_epoch(row["expires_at"]) if row["expires_at"] is not None else None,
        attempts=row["attempts"],
        created_at=from_epoch(row["created_at"]),
        lease_until=from_epoch(lease_until),
    )


async def _insert(tx: aiosqlite.Connection, items: Sequence[NewNotification], now: int) -> int:
    added = 0
    for item in items:
        cursor = await tx.execute(
            "INSERT OR IGNORE INTO notifications (dedupe_key, kind, chat_id, priority, "
            "booking_id, payload, due_at, expires_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.dedupe_key,
                item.kind,
                item.chat_id,
                item.priority,
                item.booking_id,
                json.dumps(item.payload),
                to_epoch(item.due),
                to_epoch(item.expires) if item.expires else None,
                now,
            ),
        )
        added += max(cursor.rowcount, 0)
        await cursor.close()
    return added


class NotificationRepository:
    """Reads and writes the queue, the blocked chats and the agenda preferences."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # Counts agenda choices stored through this object, so the planner of the same process
        # queues the new agendas at once.
        self.agenda_generation = 0

    # ------------------------------------------------------------------ queueing

    async def add(self, items: Sequence[NewNotification], *, now: datetime) -> int:
        """Queue rows in one transaction; the number actually added (duplicates ignored)."""
        async with self._db.transaction() as tx:
            return await _insert(tx, items, to_epoch(now))

    async def delivered_elsewhere(
        self, dedupe_key: str, *, kind: Kind, chat_id: int, now: datetime
    ) -> None:
        """Record that this message went out another way (the reply itself), so the queue
        never sends it: marks an open row sent, or stores a sent row in advance."""
        stamp = to_epoch(now)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO notifications (dedupe_key, kind, chat_id, priority, due_at, "
                "sent_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) "
                "DO UPDATE SET sent_at = excluded.sent_at, payload = NULL, claimed_until = NULL "
                "WHERE sent_at IS NULL AND dropped_at IS NULL",
                (dedupe_key, kind, chat_id, PROMPT, stamp, stamp, stamp),
            )

    async def expand(
        self,
        change: Notification,
        rows: Sequence[NewNotification],
        *,
        replan_reminders: bool,
        now: datetime,
    ) -> None:
        """In one transaction: drop the booking's open reminders (when replanned), queue the
        change's messages and mark the change done."""
        stamp = to_epoch(now)
        async with self._db.transaction() as tx:
            if replan_reminders and change.booking_id is not None:
                await tx.execute(
                    "UPDATE notifications SET dropped_at = ?, drop_reason = 'replanned', "
                    f"payload = NULL WHERE booking_id = ? AND kind = 'reminder' AND {_OPEN}",
                    (stamp, change.booking_id),
                )
            await _insert(tx, rows, stamp)
            await tx.execute(
                "UPDATE notifications SET sent_at = ?, payload = NULL, claimed_until = NULL "
                "WHERE id = ?",
                (stamp, change.id),
            )

    # ------------------------------------------------------------------- sending

    async def drop_stale(self, *, now: datetime) -> int:
        """Drop open rows past their expiry, and due rows for chats that blocked the bot (later
        ones wait: the user may write again before they are due)."""
        stamp = to_epoch(now)
        stale = await self._db.reader.execute_fetchall(
            f"SELECT 1 FROM notifications WHERE {_OPEN} AND ((expires_at IS NOT NULL "
            "AND expires_at <= ?) OR (kind <> 'change' AND due_at <= ? "
            "AND chat_id IN (SELECT chat_id FROM blocked_chats))) LIMIT 1",
            (stamp, stamp),
        )
        if not list(stale):
            return 0
        async with self._db.transaction() as tx:
            expired = await tx.execute(
                "UPDATE notifications SET dropped_at = ?, drop_reason = 'expired', "
                f"payload = NULL WHERE {_OPEN} AND expires_at IS NOT NULL AND expires_at <= ? "
                "AND COALESCE(claimed_until, 0) <= ?",
                (stamp, stamp, stamp),
            )
            blocked = await tx.execute(
                "UPDATE notifications SET dropped_at = ?, drop_reason = 'blocked', "
                f"payload = NULL WHERE {_OPEN} AND kind <> 'change' AND due_at <= ? "
                "AND chat_id IN (SELECT chat_id FROM blocked_chats) "
                "AND COALESCE(claimed_until, 0) <= ?",
                (stamp, stamp, stamp),
            )
            return max(expired.rowcount, 0) + max(blocked.rowcount, 0)

    async def claim(
        self,
        *,
        changes: bool,
        now: datetime,
        lease_seconds: int,
        limit: int,
        busy: Collection[int] = (),
        busy_chats: Collection[int] = (),
    ) -> list[Notification]:
        """Lease up to `limit` due rows (changes to expand, or messages to send), prompt rows
        first, then by due time, at most one per chat; never the `busy` ones (this process is
        still sending them, whatever their lease says) nor rows for the `busy_chats` (a chat
        gets its next message after the one under way)."""
        stamp = to_epoch(now)
        until = stamp + lease_seconds
        kind = "kind = 'change'" if changes else "kind <> 'change'"
        skip = f"AND id NOT IN ({','.join('?' * len(busy))}) " if busy else ""
        if busy_chats:
            skip += f"AND chat_id NOT IN ({','.join('?' * len(busy_chats))}) "
        where = (
            f"WHERE {_OPEN} AND {kind} AND due_at <= ? AND COALESCE(claimed_until, 0) <= ? {skip}"
        )
        values = (stamp, stamp, *busy, *busy_chats)
        # Most ticks find nothing: look on the reader first, without taking the write lock.
        found = await self._db.reader.execute_fetchall(
            f"SELECT 1 FROM notifications {where} LIMIT 1", values
        )
        if not list(found):
            return []
        async with self._db.transaction() as tx:
            # The first due row of each chat (a change row has no chat: each stands alone).
            rows = list(
                await tx.execute_fetchall(
                    f"SELECT {_COLUMNS} FROM (SELECT {_COLUMNS}, row_number() OVER ("
                    "PARTITION BY COALESCE(chat_id, -id) ORDER BY priority, due_at, id) AS nth "
                    f"FROM notifications {where}) WHERE nth = 1 "
                    "ORDER BY priority, due_at, id LIMIT ?",
                    (*values, limit),
                )
            )
            await tx.executemany(
                "UPDATE notifications SET claimed_until = ? WHERE id = ?",
                [(until, r["id"]) for r in rows],
            )
        return [_row(r, until) for r in rows]

    async def sent(self, item: Notification, *, now: datetime) -> None:
        """Delivered: never sent again."""
        await self._finish(item, "sent_at = ?, payload = NULL", (to_epoch(now),))

    async def dropped(self, item: Notification, *, now: datetime, reason: str) -> None:
        """Not to be sent (stale, cancelled booking, blocked chat, refused for good)."""
        await self._finish(
            item, "dropped_at = ?, drop_reason = ?, payload = NULL", (to_epoch(now), reason)
        )

    async def release(self, item: Notification) -> None:
        """Give a claimed row back unchanged (flood wait, shutdown): claimed again when due."""
        await self._finish(item, "due_at = due_at", ())

    async def retry(self, item: Notification, *, at: datetime) -> None:
        """A temporary failure: one more attempt counted, due again at `at`."""
        await self._finish(item, "attempts = attempts + 1, due_at = ?", (to_epoch(at),))

    async def _finish(self, item: Notification, assignments: str, values: tuple[Any, ...]) -> None:
        # Only while the lease is ours: a dispatcher that outlived its lease changes nothing.
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE notifications SET {assignments}, claimed_until = NULL "
                f"WHERE id = ? AND claimed_until = ? AND {_OPEN}",
                (*values, item.id, to_epoch(item.lease_until)),
            )

    async def counts(self) -> QueueCounts:
        """Open, sent and dropped rows (change rows not counted: they are not messages)."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT sent_at IS NOT NULL AS sent, dropped_at IS NOT NULL AS dropped, "
                "drop_reason, count(*) AS n FROM notifications WHERE kind <> 'change' "
                "GROUP BY 1, 2, 3"
            )
        )
        open_, sent, dropped = 0, 0, {}
        for r in rows:
            if r["sent"]:
                sent += r["n"]
            elif r["dropped"]:
                dropped[r["drop_reason"] or ""] = r["n"]
            else:
                open_ += r["n"]
        return QueueCounts(open=open_, sent=sent, dropped=dropped)

    async def due_open(self, *, now: datetime) -> int:
        """Open rows (changes included) due by `now`: what the dispatcher still has to do."""
        rows = list(
            await self._db.reader.execute_fetchall(
                f"SELECT count(*) FROM notifications WHERE {_OPEN} AND due_at <= ?",
                (to_epoch(now),),
            )
        )
        return int(rows[0][0])

    async def state(self, dedupe_key: str) -> str | None:
        """'open', 'sent' or 'dropped:<reason>' for a row, None if there is none."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT sent_at, dropped_at, drop_reason FROM notifications WHERE dedupe_key = ?",
                (dedupe_key,),
            )
        )
        if not rows:
            return None
        if rows[0]["sent_at"] is not None:
            return "sent"
        if rows[0]["dropped_at"] is not None:
            return f"dropped:{rows[0]['drop_reason']}"
        return "open"

    # -------------------------------------------------------------- blocked chats

    async def block(self, chat_id: int, *, now: datetime) -> None:
        """The chat's user blocked the bot: skip it until they write again."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT OR IGNORE INTO blocked_chats (chat_id, blocked_at) VALUES (?, ?)",
                (chat_id, to_epoch(now)),
            )

    async def unblock(self, chat_id: int) -> bool:
        """They wrote again; True if they were marked."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute("DELETE FROM blocked_chats WHERE chat_id = ?", (chat_id,))
            return cursor.rowcount > 0

    async def blocked_chats(self) -> set[int]:
        """Every chat marked blocked."""
        rows = await self._db.reader.execute_fetchall("SELECT chat_id FROM blocked_chats")
        return {int(r[0]) for r in rows}

    # -------------------------------------------------------- agenda preferences

    async def agenda_preferences(self) -> dict[int, AgendaPreference]:
        """Every stored choice by staff id (staff without one get `AgendaPreference()`)."""
        rows = await self._db.reader.execute_fetchall(
            "SELECT staff_id, minute, mode, timezone FROM agenda_preferences"
        )
        return {
            int(r["staff_id"]): AgendaPreference(r["minute"], r["mode"], r["timezone"])
            for r in rows
        }

    async def agenda_preference(self, staff_id: int) -> AgendaPreference:
        """One staff member's choice (the default if none is stored)."""
        return (await self.agenda_preferences()).get(staff_id, AgendaPreference())

    async def set_agenda_preference(
        self, staff_id: int, preference: AgendaPreference, *, now: datetime
    ) -> None:
        """Store the choice and remove the staff member's agendas queued under the old one
        (the planner queues them again)."""
        stamp = to_epoch(now)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO agenda_preferences (staff_id, minute, mode, timezone, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (staff_id) DO UPDATE SET "
                "minute = excluded.minute, mode = excluded.mode, "
                "timezone = excluded.timezone, updated_at = excluded.updated_at",
                (staff_id, preference.minute, preference.mode, preference.timezone, stamp),
            )
            # Deleted, not dropped: the day's key is free for the agenda at the new time (one
            # already sent keeps its row, so a day never gets two).
            await tx.execute(
                "DELETE FROM notifications WHERE kind = 'agenda' AND dedupe_key LIKE ? "
                f"AND {_OPEN} AND COALESCE(claimed_until, 0) <= ?",
                (f"agenda:{staff_id}:%", stamp),
            )
        self.agenda_generation += 1
