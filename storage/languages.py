"""The language each Telegram user reads the bot in (reported by Telegram, or chosen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.records import to_epoch

CODE_LIMIT = 35  # BCP 47 tags are short; anything longer is not a language code


@dataclass(frozen=True, slots=True)
class StoredLanguage:
    """What is known about one user's language."""

    telegram_code: str | None
    chosen: str | None


class LanguageRepository:
    """Reads and writes `user_languages`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, telegram_user_id: int) -> StoredLanguage | None:
        """The user's stored language data, if they ever wrote to the bot."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT telegram_code, chosen FROM user_languages WHERE telegram_user_id = ?",
                (telegram_user_id,),
            )
        )
        return StoredLanguage(rows[0]["telegram_code"], rows[0]["chosen"]) if rows else None

    async def remember_telegram_code(
        self, telegram_user_id: int, code: str | None, *, now: datetime
    ) -> None:
        """Keep the code Telegram reported for the user (a no-op when it did not change)."""
        code = code[:CODE_LIMIT] if code else None
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO user_languages (telegram_user_id, telegram_code, updated_at) "
                "VALUES (?, ?, ?) ON CONFLICT (telegram_user_id) DO UPDATE SET "
                "telegram_code = excluded.telegram_code, updated_at = excluded.updated_at "
                "WHERE telegram_code IS NOT excluded.telegram_code",
                (telegram_user_id, code, to_epoch(now)),
            )

    async def choose(self, telegram_user_id: int, code: str | None, *, now: datetime) -> None:
        """Store the user's own choice (None: follow Telegram's language again)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO user_languages (telegram_user_id, chosen, updated_at) "
                "VALUES (?, ?, ?) ON CONFLICT (telegram_user_id) DO UPDATE SET "
                "chosen = excluded.chosen, updated_at = excluded.updated_at",
                (telegram_user_id, code, to_epoch(now)),
            )
