"""The audit log: every configuration change with who made it, the old and new value, when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.records import from_epoch, to_epoch


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One recorded change; `actor` None means `bookbot load-config`."""

    at: datetime
    actor: int | None
    what: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One change to record (what, old value, new value; None = absent)."""

    what: str
    old: str | None
    new: str | None


class AuditRepository:
    """Reads and writes the `audit_log` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, changes: Iterable[Change], *, actor: int | None, now: datetime) -> int:
        """Record changes made at `now` by `actor`; returns how many were recorded."""
        rows = [(to_epoch(now), actor, c.what, c.old, c.new) for c in changes]
        if not rows:
            return 0
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO audit_log (at, actor, what, old_value, new_value) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    async def recent(self, limit: int) -> list[AuditEntry]:
        """The latest `limit` changes, newest first."""
        rows = await self._db.reader.execute_fetchall(
            "SELECT at, actor, what, old_value, new_value FROM audit_log "
            "ORDER BY at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [
            AuditEntry(
                at=from_epoch(r["at"]),
                actor=r["actor"],
                what=r["what"],
                old=r["old_value"],
                new=r["new_value"],
            )
            for r in rows
        ]
