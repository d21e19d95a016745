"""Rows behind the Telegram conversation persistence: conversation states and per-user data.

Values are JSON, so only plain data (str, int, float, bool, None, lists, dicts) is stored.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from storage.db import Database

DataKind = Literal["user", "chat", "bot"]


class PtbStore:
    """Reads and writes conversation states and user/chat/bot data."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def conversations(self, name: str) -> dict[tuple[int | str, ...], object]:
        """Every stored state of one conversation handler."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
            )
        )
        rows = rows
        return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}

    async def put_conversation(
        self, name: str, key: tuple[int | str, ...], state: object | None
    ) -> None:
        """Store one conversation's state; None removes it (the conversation ended)."""
        key_json = json.dumps(list(key))
        async with self._db.transaction() as tx:
            if state is None:
                await tx.execute(
                    "DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, key_json)
                )
            else:
                await tx.execute(
                    "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?) "
                    "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                    (name, key_json, json.dumps(state)),
                )

    async def data(self, kind: DataKind) -> dict[int, dict[str, Any]]:
        """All stored data of one kind, keyed by user or chat id (0 for bot data)."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT key, data FROM ptb_data WHERE kind = ?", (kind,)
            )
        )
        rows = rows
        return {int(r["key"]): json.loads(r["data"]) for r in rows}

    async def put_data(self, kind: DataKind, key: int, data: dict[str, Any] | None) -> None:
        """Store one user's/chat's data; None (or empty) removes it."""
        async with self._db.transaction() as tx:
            if not data:
                await tx.execute("DELETE FROM ptb_data WHERE kind = ? AND key = ?", (kind, key))
            else:
                await tx.execute(
                    "INSERT INTO ptb_data (kind, key, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                    (kind, key, json.dumps(data, sort_keys=True)),
                )
