"""Staff invites, OAuth states, Google accounts and calendar choices.

Secrets arrive here already hashed (invite tokens, OAuth states) or encrypted (Google
tokens, PKCE verifiers); this module never sees them in clear text. Single use is enforced
inside one write transaction, so a token can never be consumed twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import aiosqlite

from storage.db import Database
from storage.records import from_epoch, to_epoch


@dataclass(frozen=True, slots=True)
class TokenRefused:
    """Why an invite or OAuth state cannot be used."""

    reason: Literal["unknown", "used", "expired", "taken"]


@dataclass(frozen=True, slots=True)
class InviteAccepted:
    """The invite bound this Telegram account to the staff member."""

    staff_id: int


@dataclass(frozen=True, slots=True)
class StateAccepted:
    """A valid OAuth state: who started the consent and the encrypted PKCE verifier."""

    staff_id: int
    code_verifier: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class GoogleAccountRecord:
    """A staff member's Google connection (tokens still encrypted)."""

    staff_id: int
    email: str
    tokens: bytes | None
    scopes: frozenset[str]
    status: str
    connected_at: datetime
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarChoice:
    """One calendar of a staff member and what it is used for."""

    calendar_id: str
    name: str
    is_destination: bool
    blocks_time: bool


def _account(row: aiosqlite.Row) -> GoogleAccountRecord:
    return GoogleAccountRecord(
        staff_id=row["staff_id"],
        email=row["email"],
        tokens=row["tokens"],
        scopes=frozenset(row["scopes"].split()),
        status=row["status"],
        connected_at=from_epoch(row["connected_at"]),
        last_error=row["last_error"],
        last_error_at=from_epoch(row["last_error_at"]) if row["last_error_at"] else None,
    )


class StaffLinkRepository:
    """Persistence of everything that links a staff member to Telegram and Google."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_invite(
        self, *, token_hash: str, staff_id: int, created_by: int, now: datetime, expires: datetime
    ) -> None:
        """Store a new invite (by the hash of its token)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO staff_invites (token_hash, staff_id, created_by, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                (token_hash, staff_id, created_by, to_epoch(now), to_epoch(expires)),
            )

    async def accept_invite(
        self, *, token_hash: str, telegram_user_id: int, now: datetime
    ) -> InviteAccepted | TokenRefused:
        """Use an invite once: bind the Telegram account to its staff member."""
        async with self._db.transaction() as tx:
            rows = list(
                await tx.execute_fetchall(
                    "SELECT staff_id, expires_at, used_at FROM staff_invites WHERE token_hash = ?",
                    (token_hash,),
                )
            )
            row = rows[0] if rows else None
            if row is None:
                return TokenRefused("unknown")
            if row["used_at"] is not None:
                return TokenRefused("used")
            if row["expires_at"] <= to_epoch(now):
                return TokenRefused("expired")
            staff_id = int(row["staff_id"])
            rows = list(
                await tx.execute_fetchall(
                    "SELECT id FROM staff WHERE telegram_user_id = ? AND id != ?",
                    (telegram_user_id, staff_id),
                )
            )
            if (rows[0] if rows else None) is not None:
                return TokenRefused("taken")
            await tx.execute(
                "UPDATE staff_invites SET used_at = ?, used_by = ? WHERE token_hash = ?",
                (to_epoch(now), telegram_user_id, token_hash),
            )
            await tx.execute(
                "UPDATE staff SET telegram_user_id = ? WHERE id = ?", (telegram_user_id, staff_id)
            )
        return InviteAccepted(staff_id)

    async def add_state(
        self,
        *,
        state_hash: str,
        staff_id: int,
        code_verifier: bytes,
        now: datetime,
        expires: datetime,
    ) -> None:
        """Remember an OAuth consent in progress."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM oauth_states WHERE expires_at < ?", (to_epoch(now),))
            await tx.execute(
                "INSERT INTO oauth_states (state_hash, staff_id, code_verifier, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                (state_hash, staff_id, code_verifier, to_epoch(now), to_epoch(expires)),
            )

    async def take_state(self, *, state_hash: str, now: datetime) -> StateAccepted | TokenRefused:
        """Use an OAuth state once."""
        async with self._db.transaction() as tx:
            rows = list(
                await tx.execute_fetchall(
                    "SELECT staff_id, code_verifier, expires_at, used_at FROM oauth_states "
                    "WHERE state_hash = ?",
                    (state_hash,),
                )
            )
            row = rows[0] if rows else None
            if row is None:
                return TokenRefused("unknown")
            if row["used_at"] is not None:
                return TokenRefused("used")
            await tx.execute(
                "UPDATE oauth_states SET used_at = ? WHERE state_hash = ?",
                (to_epoch(now), state_hash),
            )
            if row["expires_at"] <= to_epoch(now):
                return TokenRefused("expired")
        return StateAccepted(int(row["staff_id"]), bytes(row["code_verifier"]))

    async def state_owner(self, state_hash: str) -> int | None:
        """The staff member who started a consent, whatever its state (for error messages)."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT staff_id FROM oauth_states WHERE state_hash = ?", (state_hash,)
            )
        )
        row = rows[0] if rows else None
        return int(row[0]) if row else None

    async def save_account(
        self, *, staff_id: int, email: str, tokens: bytes, scopes: frozenset[str], now: datetime
    ) -> None:
        """Store a fresh connection (replacing an earlier one)."""
        stamp = to_epoch(now)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO google_accounts (staff_id, email, tokens, scopes, status, "
                "connected_at, updated_at) VALUES (?, ?, ?, ?, 'connected', ?, ?) "
                "ON CONFLICT (staff_id) DO UPDATE SET email = excluded.email, "
                "tokens = excluded.tokens, scopes = excluded.scopes, status = 'connected', "
                "connected_at = excluded.connected_at, updated_at = excluded.updated_at, "
                "last_error = NULL, last_error_at = NULL",
                (staff_id, email, tokens, " ".join(sorted(scopes)), stamp, stamp),
            )

    async def account(self, staff_id: int) -> GoogleAccountRecord | None:
        """The staff member's Google connection, if any."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT * FROM google_accounts WHERE staff_id = ?", (staff_id,)
            )
        )
        row = rows[0] if rows else None
        return _account(row) if row else None

    async def accounts(self) -> list[GoogleAccountRecord]:
        """Every Google connection."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT * FROM google_accounts ORDER BY staff_id"
            )
        )
        return [_account(r) for r in rows]

    async def update_tokens(self, *, staff_id: int, tokens: bytes, now: datetime) -> None:
        """Persist refreshed tokens of a connected account."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE google_accounts SET tokens = ?, updated_at = ? "
                "WHERE staff_id = ? AND status = 'connected'",
                (tokens, to_epoch(now), staff_id),
            )

    async def mark_revoked(self, *, staff_id: int, error: str, now: datetime) -> bool:
        """Mark a connection dead; True only the first time (so people are told once)."""
        async with self._db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE google_accounts SET status = 'revoked', tokens = NULL, last_error = ?, "
                "last_error_at = ?, updated_at = ? WHERE staff_id = ? AND status = 'connected'",
                (error, to_epoch(now), to_epoch(now), staff_id),
            )
            changed = cur.rowcount > 0
            await cur.close()
        return changed

    async def record_error(self, *, staff_id: int, error: str, now: datetime) -> None:
        """Remember the last Google error of an account (shown by `bookbot doctor`)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE google_accounts SET last_error = ?, last_error_at = ? WHERE staff_id = ?",
                (error, to_epoch(now), staff_id),
            )

    async def disconnect(self, *, staff_id: int, now: datetime) -> bool:
        """Forget the tokens (bookings stay); True if there was a connection."""
        async with self._db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE google_accounts SET status = 'disconnected', tokens = NULL, "
                "updated_at = ? WHERE staff_id = ? AND status != 'disconnected'",
                (to_epoch(now), staff_id),
            )
            changed = cur.rowcount > 0
            await cur.close()
        return changed

    async def set_calendars(self, staff_id: int, choices: Sequence[CalendarChoice]) -> None:
        """Replace the staff member's calendar choices."""
        if sum(c.is_destination for c in choices) > 1:
            raise ValueError("only one destination calendar")
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM staff_calendars WHERE staff_id = ?", (staff_id,))
            await tx.executemany(
                "INSERT INTO staff_calendars (staff_id, calendar_id, name, is_destination, "
                "blocks_time) VALUES (?, ?, ?, ?, ?)",
                [
                    (staff_id, c.calendar_id, c.name, int(c.is_destination), int(c.blocks_time))
                    for c in choices
                ],
            )

    async def calendars(self, staff_id: int) -> list[CalendarChoice]:
        """The staff member's chosen calendars."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT calendar_id, name, is_destination, blocks_time FROM staff_calendars "
                "WHERE staff_id = ? ORDER BY is_destination DESC, name",
                (staff_id,),
            )
        )
        return [
            CalendarChoice(
                calendar_id=r["calendar_id"],
                name=r["name"],
                is_destination=bool(r["is_destination"]),
                blocks_time=bool(r["blocks_time"]),
            )
            for r in rows
        ]
