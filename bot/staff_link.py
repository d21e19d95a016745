"""Linking staff to Telegram (single-use invites) and to Google (the OAuth consent flow and
the calendar choices).

Invite tokens and OAuth states are random, single use and expiring, and only their SHA-256
hashes are stored. Tokens, sessions and revocation belong to `bot.google_accounts`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.clock import Clock
from bot.config import Settings
from bot.google.calendar import CalendarInfo
from bot.google.errors import GoogleError
from bot.google.scopes import missing_features
from bot.google_accounts import GoogleAccounts, token_hash
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


RefusalReason = Literal[
    "no_such_staff",  # /invite: nobody of that name (`staff_names` lists who there is)
    "several_staff",  # /invite: the name matches several staff members
    "invite_unknown",
    "invite_used",
    "invite_expired",
    "invite_taken",  # the Telegram account already belongs to another staff member
    "google_off",  # GOOGLE_CLIENT_ID is not set
    "no_state",
    "state_unknown",
    "state_used",
    "state_expired",
    "staff_gone",
    "declined",  # the staff member said no on Google's consent screen
    "google_problem",  # Google redirected back with another error
    "no_code",
    "exchange_failed",  # Google did not accept the code
    "no_offline_access",  # no refresh token was granted
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """A request refused, and why (handlers/ and the web page say it in words)."""

    reason: RefusalReason
    staff_id: int | None = None
    query: str = ""
    staff_names: tuple[str, ...] = ()


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


_INVITE_REFUSALS: dict[str, RefusalReason] = {
    "unknown": "invite_unknown",
    "used": "invite_used",
    "expired": "invite_expired",
    "taken": "invite_taken",
}
_STATE_REFUSALS: dict[str, RefusalReason] = {
    "unknown": "state_unknown",
    "used": "state_used",
    "expired": "state_expired",
    "taken": "state_unknown",
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
        on_calendars_changed: Callable[[int], None] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.catalog = catalog
        self.links = links
        self.accounts = accounts
        # Told the staff id when their calendars or connection change (the busy-time cache,
        # the calendar sync's channels).
        self.calendars_changed_listeners: list[Callable[[int], None]] = (
            [on_calendars_changed] if on_calendars_changed is not None else []
        )

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
            names = tuple(s.name for s in await self.catalog.all_staff() if s.active)
            return Refused(reason="no_such_staff", query=staff_query, staff_names=names)
        if len(matches) > 1:
            return Refused(reason="several_staff", query=staff_query)
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
            return Refused(reason=_INVITE_REFUSALS[result.reason])
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
            return Refused(reason="google_off")
        if not state:
            return Refused(reason="no_state")
        taken = await self.links.take_state(state_hash=token_hash(state), now=self.clock.now())
        if isinstance(taken, TokenRefused):
            # Only a state's first use may message its staff member (an expired state is
            # used up by that first try): replaying a callback URL must not make the bot talk.
            first_try = taken.reason == "expired"
            owner = await self.links.state_owner(token_hash(state)) if first_try else None
            return Refused(reason=_STATE_REFUSALS[taken.reason], staff_id=owner)
        assert isinstance(taken, StateAccepted)
        staff = await self.catalog.staff_member(taken.staff_id)
        if staff is None:
            return Refused(reason="staff_gone")
        if error:
            declined = error == "access_denied"
            return Refused(reason="declined" if declined else "google_problem", staff_id=staff.id)
        if not code:
            return Refused(reason="no_code", staff_id=staff.id)
        try:
            tokens = await self.accounts.exchange(code, taken.code_verifier)
        except GoogleError as err:
            log.warning("code exchange failed for staff %s: %s", staff.id, type(err).__name__)
            return Refused(reason="exchange_failed", staff_id=staff.id)
        if tokens.refresh_token is None:
            return Refused(reason="no_offline_access", staff_id=staff.id)
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
        self._calendars_changed(staff_id)

    def _calendars_changed(self, staff_id: int) -> None:
        for listener in self.calendars_changed_listeners:
            listener(staff_id)

    async def disconnect(self, staff_id: int) -> bool:
        """Revoke at Google (best effort), forget the tokens, keep every booking."""
        disconnected = await self.accounts.disconnect(staff_id)
        self._calendars_changed(staff_id)
        return disconnected
