"""Admins added in chat (those of ADMIN_IDS live in the environment, not here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.records import from_epoch, to_epoch


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredAdmin:
    """An admin added in chat."""

    telegram_user_id: int
    name: str
    added_by: int | None
    added_at: datetime


class AdminRepository:
    """Reads and writes the `admins` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[StoredAdmin]:
        """Every admin added in chat, oldest first."""
        rows = await self._db.reader.execute_fetchall(
            "SELECT telegram_user_id, name, added_by, added_at FROM admins "
            "ORDER BY added_at, telegram_user_id"
        )
        return [
            StoredAdmin(
                telegram_user_id=r["telegram_user_id"],
                name=r["name"],
                added_by=r["added_by"],
                added_at=from_epoch(r["added_at"]),
            )
            for r in rows
        ]

    async def contains(self, telegram_user_id: int) -> bool:
        """Whether this user was added as an admin in chat."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT 1 FROM admins WHERE telegram_user_id = ?", (telegram_user_id,)
            )
        )
        return bool(rows)

    async def add(self, telegram_user_id: int, *, name: str, added_by: int, now: datetime) -> bool:
        """Add an admin; False if they already were one."""
        async with self._db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO admins (telegram_user_id, name, added_by, added_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (telegram_user_id) DO NOTHING",
                (telegram_user_id, name, added_by, to_epoch(now)),
            )
            added = cur.rowcount > 0
            await cur.close()
        return added

    async def remove(self, telegram_user_id: int) -> bool:
        """Remove an admin added in chat; False if they were not one."""
        async with self._db.transaction() as tx:
            cur = await tx.execute(
                "DELETE FROM admins WHERE telegram_user_id = ?", (telegram_user_id,)
            )
            removed = cur.rowcount > 0
            await cur.close()
        return removed
