"""Linking staff to Telegram (single-use invites) and to Google (OAuth consent, tokens).

Invite tokens and OAuth states are random, single use and expiring, and only their SHA-256
hashes are stored. Google tokens and PKCE verifiers are stored only encrypted. A refresh
that Google refuses (`invalid_grant`) marks the account revoked and tells the staff member
(with a fresh sign-in link) and the admins, once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.crypto import TokenCipher
from bot.google.calendar import CalendarInfo, GoogleCalendar
from bot.google.errors import (
    AuthRevoked,
    GoogleError,
    InsufficientScope,
    RateLimited,
    Transient,
)
from bot.google.oauth import GoogleOAuth, GrantedTokens
from bot.google.scopes import missing_features
from bot.ids import new_token
from storage.catalog import CatalogRepository
from storage.records import StaffRecord
from storage.staff_links import (
    CalendarChoice,
    InviteAccepted,
    StaffLinkRepository,
    StateAccepted,
    TokenRefused,
)

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
INVITE_PREFIX = "connect_"
WRITABLE_ROLES = frozenset({"owner", "writer"})


class Messenger(Protocol):
    """Sends a Telegram message (implemented by the composition root)."""

    async def send(
        self, chat_id: int, html: str, *, url_button: tuple[str, str] | None = None
    ) -> None: ...


def token_hash(token: str) -> str:
    """The stored form of an invite token or OAuth state."""
    return hashlib.sha256(token.encode()).hexdigest()


class GoogleNotConfigured(Exception):
    """The admin has not set GOOGLE_CLIENT_ID; calendar features are off."""


class NeedsReconnect(Exception):
    """The staff member's Google account is not (or no longer) connected."""


class GoogleUnavailable(Exception):
    """Google refused or failed a call; the message is safe to show the staff member."""


@dataclass(frozen=True, slots=True)
class Refused:
    """A request refused with a message for the user."""

    message: str
    staff_id: int | None = None


@dataclass(frozen=True, slots=True)
class InviteCreated:
    """A fresh invite link for a staff member."""

    staff: StaffRecord
    link: str
    expires_in: timedelta


@dataclass(frozen=True, slots=True)
class Linked:
    """The Telegram account is now the staff member's."""

    staff: StaffRecord


@dataclass(frozen=True, slots=True)
class Connected:
    """Google is connected for the staff member."""

    staff: StaffRecord
    email: str
    missing: list[str]


_REFUSALS = {
    "unknown": "This invite link is not valid. Please ask the admin for a new one.",
    "used": "This invite link was already used. Please ask the admin for a new one.",
    "expired": "This invite link has expired. Please ask the admin for a new one.",
    "taken": "Your Telegram account is already linked to another staff member.",
}
_STATE_REFUSALS = {
    "unknown": "This sign-in link is not valid.",
    "used": "This sign-in link was already used.",
    "expired": "This sign-in link has expired (they last 10 minutes).",
    "taken": "This sign-in link is not valid.",
}


class StaffLinkService:
    """Everything about connecting staff, independent of Telegram and HTTP."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        catalog: CatalogRepository,
        links: StaffLinkRepository,
        messenger: Messenger,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.catalog = catalog
        self.links = links
        self.messenger = messenger
        self._cipher: TokenCipher | None = None
        self._oauth: GoogleOAuth | None = None
        self.calendar: GoogleCalendar | None = None
        if settings.google_enabled:
            assert settings.token_encryption_key is not None
            assert settings.google_client_secret is not None
            self._cipher = TokenCipher(settings.token_encryption_key.get_secret_value())
            self._oauth = GoogleOAuth.from_settings(settings, clock=clock)
            self.calendar = GoogleCalendar(
                client_id=settings.google_client_id or "",
                client_secret=settings.google_client_secret.get_secret_value(),
                token_uri=settings.google_oauth_token_uri,
                api_root_url=settings.api_root_url,
                clock=clock,
                on_refresh=self._persist_refresh,
            )

    @property
    def google_enabled(self) -> bool:
        """Whether Google is configured."""
        return self._oauth is not None

    async def close(self) -> None:
        """Release HTTP sessions."""
        if self.calendar is not None:
            await self.calendar.close()

    # --- invites -------------------------------------------------------------------------

    async def invite(
        self, *, staff_query: str, admin_id: int, bot_username: str
    ) -> InviteCreated | Refused:
        """A single-use deep link binding a Telegram account to the named staff member."""
        matches = await self.catalog.staff_by_name(staff_query)
        if not matches:
            names = ", ".join(s.name for s in await self.catalog.all_staff() if s.active)
            return Refused(f"No staff member called “{staff_query}”. Staff: {names or 'none yet'}.")
        if len(matches) > 1:
            return Refused(f"Several staff members match “{staff_query}”; use their id instead.")
        staff = matches[0]
        token = new_token(24)
        now = self.clock.now()
        ttl = timedelta(days=self.settings.invite_ttl_days)
        await self.links.add_invite(
            token_hash=token_hash(token),
            staff_id=staff.id,
            created_by=admin_id,
            now=now,
            expires=now + ttl,
        )
        link = f"https://t.me/{bot_username}?start={INVITE_PREFIX}{token}"
        return InviteCreated(staff, link, ttl)

    async def accept_invite(self, token: str, telegram_user_id: int) -> Linked | Refused:
        """Use an invite: the opener becomes that staff member in Telegram."""
        result = await self.links.accept_invite(
            token_hash=token_hash(token), telegram_user_id=telegram_user_id, now=self.clock.now()
        )
        if isinstance(result, TokenRefused):
            return Refused(_REFUSALS[result.reason])
        assert isinstance(result, InviteAccepted)
        staff = await self.catalog.staff_member(result.staff_id)
        assert staff is not None
        return Linked(staff)

    async def staff_of(self, telegram_user_id: int) -> StaffRecord | None:
        """The staff member bound to a Telegram account."""
        return await self.catalog.staff_by_telegram_id(telegram_user_id)

    # --- OAuth ---------------------------------------------------------------------------

    async def consent_url(self, staff_id: int) -> str:
        """A fresh Google consent URL for the staff member (state + PKCE, 10 minutes)."""
        if self._oauth is None or self._cipher is None:
            raise GoogleNotConfigured
        state = new_token(32)
        start = self._oauth.start_consent(state)
        now = self.clock.now()
        await self.links.add_state(
            state_hash=token_hash(state),
            staff_id=staff_id,
            code_verifier=self._cipher.encrypt(start.code_verifier),
            now=now,
            expires=now + STATE_TTL,
        )
        return start.url

    async def complete_consent(
        self, *, state: str | None, code: str | None, error: str | None
    ) -> Connected | Refused:
        """Handle Google's redirect back: check state, exchange the code, store tokens."""
        if self._oauth is None or self._cipher is None:
            return Refused("Google sign-in is not set up on this bot.")
        if not state:
            return Refused("The sign-in response has no state; please start again from Telegram.")
        taken = await self.links.take_state(state_hash=token_hash(state), now=self.clock.now())
        if isinstance(taken, TokenRefused):
            # Only a state's first use may message its staff member (an expired state is
            # used up by that first try): replaying a callback URL must not make the bot talk.
            first_try = taken.reason == "expired"
            owner = await self.links.state_owner(token_hash(state)) if first_try else None
            return Refused(
                _STATE_REFUSALS[taken.reason] + " Please start again with /connect.", owner
            )
        assert isinstance(taken, StateAccepted)
        staff = await self.catalog.staff_member(taken.staff_id)
        if staff is None:
            return Refused("This staff member no longer exists.")
        if error:
            reason = (
                "You declined access to Google Calendar."
                if error == "access_denied"
                else "Google reported a problem with the sign-in."
            )
            return Refused(f"{reason} Nothing was stored. Use /connect to try again.", staff.id)
        if not code:
            return Refused("The sign-in response has no code. Use /connect to try again.", staff.id)
        try:
            tokens = await self._oauth.exchange(code, self._cipher.decrypt(taken.code_verifier))
        except GoogleError as err:
            log.warning("code exchange failed for staff %s: %s", staff.id, type(err).__name__)
            return Refused(
                "Google did not accept the sign-in (the code may have expired). Nothing was "
                "stored. Use /connect to try again.",
                staff.id,
            )
        if tokens.refresh_token is None:
            return Refused(
                "Google did not grant offline access, so bookings could not sync later. "
                "Use /connect to try again.",
                staff.id,
            )
        await self.links.save_account(
            staff_id=staff.id,
            email=tokens.email,
            tokens=self._cipher.encrypt(tokens.to_json()),
            scopes=tokens.scopes,
            now=self.clock.now(),
        )
        return Connected(staff, tokens.email, missing_features(set(tokens.scopes)))

    # --- tokens --------------------------------------------------------------------------

    async def tokens(self, staff_id: int) -> GrantedTokens:
        """The staff member's decrypted tokens, or NeedsReconnect."""
        account = await self.links.account(staff_id)
        if account is None or account.tokens is None or self._cipher is None:
            raise NeedsReconnect
        return GrantedTokens.from_json(self._cipher.decrypt(account.tokens))

    async def _persist_refresh(self, tokens: GrantedTokens) -> None:
        assert self._cipher is not None
        for account in await self.links.accounts():
            if account.email == tokens.email and account.status == "connected":
                await self.links.update_tokens(
                    staff_id=account.staff_id,
                    tokens=self._cipher.encrypt(tokens.to_json()),
                    now=self.clock.now(),
                )

    async def handle_revoked(self, staff_id: int, err: AuthRevoked) -> None:
        """Mark the account revoked and tell the staff member and admins, once."""
        first = await self.links.mark_revoked(
            staff_id=staff_id,
            error="Google refused the refresh token (invalid_grant)",
            now=self.clock.now(),
        )
        if not first:
            return
        staff = await self.catalog.staff_member(staff_id)
        if staff is None:
            return
        log.warning("Google access of staff %s was revoked or expired", staff_id)
        if staff.telegram_user_id is not None:
            url = await self.consent_url(staff_id)
            await self.messenger.send(
                staff.telegram_user_id,
                "⚠️ Your Google Calendar connection stopped working (access was revoked or "
                "expired). New bookings will not reach your calendar until you sign in again.",
                url_button=("Sign in with Google again", url),
            )
        for admin in self.settings.admin_ids:
            await self.messenger.send(
                admin,
                f"⚠️ {staff.name}'s Google Calendar connection stopped working; they were sent "
                "a new sign-in link.",
            )

    async def _call(self, staff_id: int) -> tuple[GoogleCalendar, GrantedTokens]:
        if self.calendar is None:
            raise GoogleNotConfigured
        return self.calendar, await self.tokens(staff_id)

    async def list_calendars(self, staff_id: int) -> list[CalendarInfo]:
        """The staff member's calendars from Google."""
        calendar, tokens = await self._call(staff_id)
        try:
            return await calendar.list_calendars(tokens)
        except GoogleError as err:
            raise await self._failed(staff_id, err) from err

    async def create_dedicated_calendar(
        self, staff_id: int, business_name: str, tz: str
    ) -> CalendarInfo:
        """A new calendar only for bookings, named after the business."""
        calendar, tokens = await self._call(staff_id)
        try:
            return await calendar.create_calendar(tokens, f"{business_name} bookings", tz)
        except GoogleError as err:
            raise await self._failed(staff_id, err) from err

    async def _failed(self, staff_id: int, err: GoogleError) -> Exception:
        """Record a failed Google call; the exception to raise to the handler."""
        if isinstance(err, AuthRevoked):
            await self.handle_revoked(staff_id, err)
            return NeedsReconnect()
        if isinstance(err, InsufficientScope):
            message = (
                "Google did not grant the permission this needs. Send /connect and allow "
                "every Google Calendar permission on the consent screen."
            )
        elif isinstance(err, RateLimited | Transient):
            message = "Google Calendar is busy or unavailable right now. Please try again soon."
        else:
            message = "Google Calendar refused the request. Please try again, or /connect again."
        log.warning("Google call failed for staff %s: %s", staff_id, type(err).__name__)
        await self.links.record_error(
            staff_id=staff_id, error=f"{type(err).__name__}: {message}", now=self.clock.now()
        )
        return GoogleUnavailable(message)

    async def save_calendars(
        self, staff_id: int, destination: CalendarInfo, blocking: list[CalendarInfo]
    ) -> None:
        """Store where bookings go and which calendars block time (ids and names only)."""
        chosen = {c.id: c for c in blocking}
        chosen.setdefault(destination.id, destination)
        await self.links.set_calendars(
            staff_id,
            [
                CalendarChoice(
                    calendar_id=c.id,
                    name=c.summary,
                    is_destination=c.id == destination.id,
                    blocks_time=any(b.id == c.id for b in blocking),
                )
                for c in chosen.values()
            ],
        )

    async def disconnect(self, staff_id: int) -> bool:
        """Revoke at Google (best effort), forget the tokens, keep every booking."""
        account = await self.links.account(staff_id)
        if account is None or account.status == "disconnected":
            return False
        if account.tokens is not None and self._oauth is not None and self._cipher is not None:
            tokens = GrantedTokens.from_json(self._cipher.decrypt(account.tokens))
            try:
                await self._oauth.revoke(tokens.refresh_token or tokens.access_token)
            except GoogleError as err:
                log.warning(
                    "revoking at Google failed for staff %s: %s", staff_id, type(err).__name__
                )
        return await self.links.disconnect(staff_id=staff_id, now=self.clock.now())
