"""Linking staff to Telegram (single-use invites) and to Google (the OAuth consent flow and
the calendar choices).

Invite tokens and OAuth states are random, single use and expiring, and only their SHA-256
hashes are stored. Tokens, sessions and revocation belong to `bot.google_accounts`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.google.calendar import CalendarInfo
from bot.google.errors import GoogleError
from bot.google.scopes import missing_features
from bot.google_accounts import GoogleAccounts, GoogleNotConfigured, NotConnected, token_hash
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

INVITE_PREFIX = "connect_"
WRITABLE_ROLES = frozenset({"owner", "writer"})


__all__ = ["GoogleNotConfigured", "NotConnected", "token_hash"]


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
        accounts: GoogleAccounts,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.catalog = catalog
        self.links = links
        self.accounts = accounts

    @property
    def google_enabled(self) -> bool:
        """Whether Google is configured."""
        return self.accounts.enabled

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
        return await self.accounts.consent_url(staff_id)

    async def complete_consent(
        self, *, state: str | None, code: str | None, error: str | None
    ) -> Connected | Refused:
        """Handle Google's redirect back: check state, exchange the code, store tokens."""
        if not self.accounts.enabled:
            return Refused("Google sign-in is not set up on this bot.")
        if not state:
            return Refused("The sign-in response has no state; please start again from Telegram.")
        taken = await self.links.take_state(state_hash=token_hash(state), now=self.clock.now())
        if isinstance(taken, TokenRefused):
            owner = await self.links.state_owner(token_hash(state))
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
            tokens = await self.accounts.exchange(code, taken.code_verifier)
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
        await self.accounts.save(staff.id, tokens)
        return Connected(staff, tokens.email, missing_features(set(tokens.scopes)))

    # --- calendars -----------------------------------------------------------------------

    async def list_calendars(self, staff_id: int) -> list[CalendarInfo]:
        """The staff member's calendars from Google (`NotConnected`, or a `GoogleError`)."""
        session = await self.accounts.session(staff_id)
        return await session.list_calendars()

    async def create_dedicated_calendar(
        self, staff_id: int, business_name: str, tz: str
    ) -> CalendarInfo:
        """A new calendar only for bookings, named after the business."""
        session = await self.accounts.session(staff_id)
        return await session.create_calendar(f"{business_name} bookings", tz)

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
        return await self.accounts.disconnect(staff_id)
