"""Key/value business settings, stored as JSON values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from storage.db import Database


class SettingsRepository:
    """Reads and writes the `settings` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> dict[str, Any]:
        """Every stored setting."""
        rows = list(await self._db.reader.execute_fetchall("SELECT key, value FROM settings"))
        return {row["key"]: json.loads(row["value"]) for row in rows}

    async def put_many(self, values: Mapping[str, Any]) -> int:
        """Store settings; returns how many actually changed."""
        changed = 0
        async with self._db.transaction() as tx:
            for key, value in values.items():
                cur = await tx.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) "
                    "DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value",
                    (key, json.dumps(value, sort_keys=True)),
                )
                changed += max(cur.rowcount, 0)
                await cur.close()
        return changed
