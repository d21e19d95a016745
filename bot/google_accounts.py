"""Staff members' Google accounts: consent, tokens, a working session per staff member.

The one place that holds the OAuth client, the Calendar client and the token cipher (in the
spirit of gcal_sync's ``AbstractAuth``). `session(staff_id)` hands out an `AccountSession`
whose calls run with fresh tokens; a refresh is persisted for that staff member (by staff
id), encrypted. Every failed call is handled here once for every caller (staff linking,
`bookbot doctor`, the sync worker):

- `AuthRevoked` (``invalid_grant``): the account is marked revoked, its tokens dropped, and
  the staff member (with a fresh sign-in link) and the admins are told, once;
  `NotConnected` is raised to the caller.
- any other `GoogleError`: recorded as the account's last error (shown by `bookbot doctor`)
  and re-raised for the caller to explain or retry.

Tokens never reach a log: errors are logged by type only.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bot.clock import Clock
from bot.config import Settings
from bot.crypto import TokenCipher
from bot.google.calendar import CalendarInfo, EventPage, FreeBusy, GoogleCalendar, WatchedChannel
from bot.google.errors import AuthRevoked, GoogleError
from bot.google.oauth import GoogleOAuth, GrantedTokens
from bot.google.scopes import missing_features
from bot.ids import new_token
from bot.notices import GoogleAccessLost, Notices
from storage.catalog import CatalogRepository
from storage.staff_links import StaffLinkRepository

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
T = TypeVar("T")


def token_hash(token: str) -> str:
    """The stored form of an invite token or OAuth state."""
    return hashlib.sha256(token.encode()).hexdigest()


class GoogleNotConfigured(Exception):
    """The admin has not set GOOGLE_CLIENT_ID; calendar features are off."""


class NotConnected(Exception):
    """The staff member's Google account is not (or no longer) connected."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Clients:
    cipher: TokenCipher
    oauth: GoogleOAuth
    calendar: GoogleCalendar


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountStatus:
    """How a staff member's Google connection stands (no tokens)."""

    staff_id: int
    email: str
    status: str
    scopes: frozenset[str]
    missing: tuple[str, ...]
    last_error: str | None
    last_error_at: datetime | None


class AccountSession:
    """Calendar calls on behalf of one staff member, with their current tokens."""

    def __init__(
        self,
        accounts: GoogleAccounts,
        calendar: GoogleCalendar,
        staff_id: int,
        tokens: GrantedTokens,
    ) -> None:
        self.staff_id = staff_id
        self._accounts = accounts
        self._calendar = calendar
        self._tokens = tokens

    def __repr__(self) -> str:
        return f"AccountSession(staff_id={self.staff_id})"

    async def call(self, operation: Callable[[GoogleCalendar, GrantedTokens], Awaitable[T]]) -> T:
        """Run one Calendar operation; refreshed tokens are persisted, failures handled once
        (revoked -> `NotConnected` after telling people; others recorded and re-raised)."""
        try:
            return await operation(self._calendar, self._tokens)
        except AuthRevoked as err:
            await self._accounts.lost(self.staff_id)
            raise NotConnected from err
        except GoogleError as err:
            await self._accounts.record_error(self.staff_id, err)
            raise
        finally:
            await self._keep_refreshed()

    async def _keep_refreshed(self) -> None:
        fresh = self._calendar.newest(self._tokens)
        if fresh is not self._tokens:
            self._tokens = fresh
            await self._accounts.store_refreshed(self.staff_id, fresh)

    async def list_calendars(self) -> list[CalendarInfo]:
        """The account's calendars."""
        return await self.call(lambda calendar, tokens: calendar.list_calendars(tokens))

    async def create_calendar(self, summary: str, time_zone: str) -> CalendarInfo:
        """A new calendar owned by the account."""
        return await self.call(
            lambda calendar, tokens: calendar.create_calendar(tokens, summary, time_zone)
        )

    async def free_busy(
        self, calendar_ids: Iterable[str], start: datetime, end: datetime
    ) -> FreeBusy:
        """Busy time of the account's calendars in ``[start, end)``."""
        ids = list(calendar_ids)
        return await self.call(lambda calendar, tokens: calendar.free_busy(tokens, ids, start, end))

    async def list_events(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        page_token: str | None = None,
        time_min: datetime | None = None,
        time_max: datetime | None = None,
    ) -> EventPage:
        """One page of the calendar's events or of its changes since `sync_token`."""
        return await self.call(
            lambda calendar, tokens: calendar.list_events(
                tokens,
                calendar_id,
                sync_token=sync_token,
                page_token=page_token,
                time_min=time_min,
                time_max=time_max,
            )
        )

    async def watch_events(
        self, calendar_id: str, *, channel_id: str, address: str, token: str
    ) -> WatchedChannel:
        """Open a push channel on the calendar's events."""
        return await self.call(
            lambda calendar, tokens: calendar.watch_events(
                tokens, calendar_id, channel_id=channel_id, address=address, token=token
            )
        )

    async def stop_channel(self, channel_id: str, resource_id: str) -> bool:
        """Stop a push channel (False if Google no longer knew it)."""
        return await self.call(
            lambda calendar, tokens: calendar.stop_channel(tokens, channel_id, resource_id)
        )


class GoogleAccounts:
    """Every staff member's Google connection."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        catalog: CatalogRepository,
        links: StaffLinkRepository,
        notices: Notices,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._catalog = catalog
        self._links = links
        self._notices = notices
        self._clients: _Clients | None = None
        # Run with a working session before a staff member's tokens are dropped (e.g. the
        # sync stopping its push channels, which needs the tokens), each failure only logged.
        self.before_disconnect: list[Callable[[AccountSession], Awaitable[None]]] = []

    def __repr__(self) -> str:
        return f"GoogleAccounts(enabled={self.enabled})"

    @property
    def enabled(self) -> bool:
        """Whether Google is configured."""
        return self._settings.google_enabled

    def _google(self) -> _Clients:
        """The OAuth and Calendar clients and the cipher, built on first use (so reading the
        accounts' status works even when the Google settings are broken)."""
        if not self.enabled:
            raise GoogleNotConfigured
        if self._clients is None:
            key = self._settings.token_encryption_key
            assert key is not None
            self._clients = _Clients(
                cipher=TokenCipher(key.get_secret_value()),
                oauth=GoogleOAuth.from_settings(self._settings, clock=self._clock),
                calendar=GoogleCalendar.from_settings(self._settings, clock=self._clock),
            )
        return self._clients

    async def close(self) -> None:
        """Release HTTP sessions."""
        if self._clients is not None:
            await self._clients.calendar.close()

    # --- consent -------------------------------------------------------------------------

    async def consent_url(self, staff_id: int) -> str:
        """A fresh Google consent URL for the staff member (state + PKCE, 10 minutes)."""
        google = self._google()
        state = new_token(32)
        start = google.oauth.start_consent(state)
        now = self._clock.now()
        await self._links.add_state(
            state_hash=token_hash(state),
            staff_id=staff_id,
            code_verifier=google.cipher.encrypt(start.code_verifier),
            now=now,
            expires=now + STATE_TTL,
        )
        return start.url

    async def exchange(self, code: str, encrypted_verifier: bytes) -> GrantedTokens:
        """Trade an authorization code for tokens (GoogleError if Google refuses)."""
        google = self._google()
        return await google.oauth.exchange(code, google.cipher.decrypt(encrypted_verifier))

    async def save(self, staff_id: int, tokens: GrantedTokens) -> None:
        """Store a fresh connection of the staff member (encrypted)."""
        await self._links.save_account(
            staff_id=staff_id,
            email=tokens.email,
            tokens=self._google().cipher.encrypt(tokens.to_json()),
            scopes=tokens.scopes,
            now=self._clock.now(),
        )

    async def disconnect(self, staff_id: int) -> bool:
        """Revoke at Google (best effort), forget the tokens; True if there was a connection."""
        account = await self._links.account(staff_id)
        if account is None or account.status == "disconnected":
            return False
        if account.status == "connected" and self.before_disconnect:
            await self._before_disconnect(staff_id)
        if account.tokens is not None and self.enabled:
            google = self._google()
            tokens = GrantedTokens.from_json(google.cipher.decrypt(account.tokens))
            try:
                await google.oauth.revoke(tokens.refresh_token or tokens.access_token)
            except GoogleError as err:
                log.warning(
                    "revoking at Google failed for staff %s: %s", staff_id, type(err).__name__
                )
        return await self._links.disconnect(staff_id=staff_id, now=self._clock.now())

    async def _before_disconnect(self, staff_id: int) -> None:
        try:
            session = await self.session(staff_id)
        except NotConnected:
            return
        for hook in self.before_disconnect:
            try:
                await hook(session)
            except Exception:
                log.exception("clean-up before disconnecting staff %s failed", staff_id)

    # --- sessions ------------------------------------------------------------------------

    async def session(self, staff_id: int) -> AccountSession:
        """A session with the staff member's current tokens, or `NotConnected`."""
        google = self._google()
        account = await self._links.account(staff_id)
        if account is None or account.tokens is None or account.status != "connected":
            raise NotConnected
        tokens = GrantedTokens.from_json(google.cipher.decrypt(account.tokens))
        return AccountSession(self, google.calendar, staff_id, tokens)

    async def store_refreshed(self, staff_id: int, tokens: GrantedTokens) -> None:
        """Persist refreshed tokens of the staff member's connected account."""
        await self._links.update_tokens(
            staff_id=staff_id,
            tokens=self._google().cipher.encrypt(tokens.to_json()),
            now=self._clock.now(),
        )

    async def lost(self, staff_id: int) -> None:
        """Google refused the grant: mark the account revoked and tell the staff member (with a
        new sign-in link) and the admins, only the first time."""
        first = await self._links.mark_revoked(
            staff_id=staff_id,
            error="Google refused the refresh token (invalid_grant)",
            now=self._clock.now(),
        )
        if not first:
            return
        log.warning("Google access of staff %s was revoked or expired", staff_id)
        staff = await self._catalog.staff_member(staff_id)
        if staff is None:
            return
        reconnect = await self.consent_url(staff_id) if staff.telegram_user_id else None
        await self._notices.notify(
            GoogleAccessLost(
                staff_name=staff.name,
                staff_chat_id=staff.telegram_user_id,
                reconnect_url=reconnect,
                admin_chat_ids=tuple(self._settings.admin_ids),
            )
        )

    async def record_error(self, staff_id: int, err: GoogleError) -> None:
        """Remember a failed call as the account's last error (its type and redacted text)."""
        log.warning("Google call failed for staff %s: %s", staff_id, type(err).__name__)
        await self._links.record_error(
            staff_id=staff_id, error=f"{type(err).__name__}: {err}", now=self._clock.now()
        )

    # --- status --------------------------------------------------------------------------

    async def status(self, staff_id: int) -> AccountStatus | None:
        """The staff member's connection as it stands, if they ever connected."""
        account = await self._links.account(staff_id)
        if account is None:
            return None
        return AccountStatus(
            staff_id=account.staff_id,
            email=account.email,
            status=account.status,
            scopes=account.scopes,
            missing=tuple(missing_features(account.scopes)),
            last_error=account.last_error,
            last_error_at=account.last_error_at,
        )
