"""In-memory state of the Google emulator: accounts, calendars, events, their change log.

Owns the data model shared by the OAuth and Calendar halves of :mod:`tests.fakes.google`:
accounts with their primary calendar, calendars with an access list, events stored as
Calendar v3 resources plus a monotonically increasing change stamp per calendar (what
incremental sync and push channels are built on), etags, sync tokens and time formatting.

Fidelity notes (Calendar API v3 reference, https://developers.google.com/calendar/api/v3/reference):
- an event's ``etag`` changes on every modification and looks like Google's (a quoted number);
- a deleted event stays in the store with ``status: "cancelled"`` so that it shows up with
  ``showDeleted`` and in incremental sync, and its id can never be reused
  (https://developers.google.com/calendar/api/v3/reference/events/insert, ``id``);
- sync tokens are opaque, bound to one calendar and invalidated on demand
  (https://developers.google.com/calendar/api/guides/sync).
"""

from __future__ import annotations

import copy
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock

JSON = dict[str, Any]

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
# Calendar access roles, weakest first (CalendarList resource, ``accessRole``).
ROLE_ORDER = {"freeBusyReader": 0, "reader": 1, "writer": 2, "owner": 3}
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


@dataclass
class Account:
    """A Google account that can sign in on the emulated consent screen."""

    email: str
    name: str
    sub: str
    time_zone: str
    primary_calendar_id: str


@dataclass
class StoredEvent:
    """One event: its Calendar v3 JSON resource plus bookkeeping."""

    resource: JSON
    stamp: int
    created_by_user: bool = False

    @property
    def id(self) -> str:
        """The event id."""
        return str(self.resource["id"])

    @property
    def cancelled(self) -> bool:
        """Whether the event is deleted (``status: cancelled``)."""
        return self.resource.get("status") == "cancelled"


@dataclass
class Calendar:
    """A calendar with its access list (email -> role) and events."""

    id: str
    summary: str
    time_zone: str
    acl: dict[str, str]
    description: str | None = None
    created_by_client: str | None = None
    hidden_for: set[str] = field(default_factory=set)
    events: dict[str, StoredEvent] = field(default_factory=dict)
    stamp: int = 0
    sync_generation: int = 0
    resource_id: str = field(default_factory=lambda: secrets.token_urlsafe(20))
    etag: str = '"0"'

    def role_of(self, email: str) -> str | None:
        """The access role an account has on this calendar, if any."""
        return self.acl.get(email)


@dataclass(frozen=True)
class SyncPoint:
    """What a sync token stands for: a calendar's change stamp at one generation."""

    calendar_id: str
    generation: int
    stamp: int


def now_rfc3339(moment: datetime) -> str:
    """Google's ``updated``/``created`` format: UTC with milliseconds and ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def format_in_zone(moment: datetime, zone: str | None) -> str:
    """RFC 3339 with the offset of ``zone`` (``Z`` for UTC), as Google renders dateTime."""
    if zone is None or zone == "UTC":
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def parse_rfc3339(value: str) -> datetime | None:
    """Parse an RFC 3339 timestamp; ``None`` when malformed or lacking an offset."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed


class GoogleStore:
    """The emulator's whole mutable state (single asyncio loop, no locking needed)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.accounts: dict[str, Account] = {}
        self.calendars: dict[str, Calendar] = {}
        self._etags = itertools.count(3_400_000_000_000_000, 2_000)
        self._sync_tokens: dict[str, SyncPoint] = {}
        self._subs = itertools.count(104_857_600_000_000_000_000)
        self.on_change: list[Callable[[str], None]] = []

    # -- time, ids ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The emulator clock's current moment (aware UTC)."""
        return self.clock.now()

    def new_etag(self) -> str:
        """A fresh etag, quoted like Google's."""
        return f'"{next(self._etags)}"'

    @staticmethod
    def new_event_id() -> str:
        """A server-generated event id (base32hex, 26 characters)."""
        return "".join(secrets.choice(BASE32HEX) for _ in range(26))

    # -- accounts and calendars ---------------------------------------------------------------

    def add_account(self, email: str, name: str, time_zone: str) -> Account:
        """Create an account and its primary calendar (id = email)."""
        if email in self.accounts:
            raise ValueError(f"account {email} exists")
        account = Account(email, name, str(next(self._subs)), time_zone, email)
        self.accounts[email] = account
        self.calendars[email] = Calendar(
            id=email, summary=email, time_zone=time_zone, acl={email: "owner"}
        )
        self.calendars[email].etag = self.new_etag()
        return account

    def add_calendar(
        self,
        account: Account,
        summary: str,
        access_role: str,
        *,
        time_zone: str | None = None,
        created_by_client: str | None = None,
        hidden: bool = False,
    ) -> Calendar:
        """Create a secondary calendar that ``account`` can reach with ``access_role``."""
        if access_role not in ROLE_ORDER:
            raise ValueError(f"unknown access role {access_role!r}")
        cal_id = f"{secrets.token_hex(26)}@group.calendar.google.com"
        calendar = Calendar(
            id=cal_id,
            summary=summary,
            time_zone=time_zone or account.time_zone,
            acl={account.email: access_role},
            created_by_client=created_by_client,
        )
        calendar.etag = self.new_etag()
        if hidden:
            calendar.hidden_for.add(account.email)
        self.calendars[cal_id] = calendar
        return calendar

    def calendar_for(self, calendar_id: str, account: Account) -> Calendar | None:
        """Resolve ``primary`` and return the calendar if the account can reach it."""
        if calendar_id == "primary":
            calendar_id = account.primary_calendar_id
        calendar = self.calendars.get(calendar_id)
        if calendar is None or calendar.role_of(account.email) is None:
            return None
        return calendar

    def calendar(self, calendar_id: str) -> Calendar:
        """A calendar by id (test controls; KeyError if unknown)."""
        return self.calendars[calendar_id]

    # -- changes -----------------------------------------------------------------------------

    def touch(self, calendar: Calendar, event: StoredEvent, *, created: bool = False) -> None:
        """Record a modification: new etag, ``updated``, change stamp; notify watchers."""
        calendar.stamp += 1
        event.stamp = calendar.stamp
        stamp = now_rfc3339(self.now())
        event.resource["etag"] = self.new_etag()
        event.resource["updated"] = stamp
        if created:
            event.resource["created"] = stamp
        for callback in self.on_change:
            callback(calendar.id)

    def issue_sync_token(self, calendar: Calendar, stamp: int | None = None) -> str:
        """An opaque sync token for the calendar's state at ``stamp`` (default: now)."""
        token = "CP" + secrets.token_urlsafe(24) + "GAU="
        point = SyncPoint(
            calendar.id, calendar.sync_generation, calendar.stamp if stamp is None else stamp
        )
        self._sync_tokens[token] = point
        return token

    def resolve_sync_token(self, calendar: Calendar, token: str) -> SyncPoint | None:
        """The sync point of a token, or ``None`` if unknown, foreign or invalidated."""
        point = self._sync_tokens.get(token)
        if point is None or point.calendar_id != calendar.id:
            return None
        if point.generation != calendar.sync_generation:
            return None
        return point

    def invalidate_sync_tokens(self, calendar_id: str) -> None:
        """Make every sync token of the calendar answer 410 from now on."""
        self.calendars[calendar_id].sync_generation += 1

    # -- event views -------------------------------------------------------------------------

    def events_of(self, calendar_id: str, *, include_deleted: bool = False) -> list[JSON]:
        """Deep copies of a calendar's event resources, in creation order."""
        calendar = self.calendars[calendar_id]
        return [
            copy.deepcopy(ev.resource)
            for ev in calendar.events.values()
            if include_deleted or not ev.cancelled
        ]


def event_bounds(resource: JSON, calendar_zone: str) -> tuple[datetime, datetime] | None:
    """The event's [start, end) as aware datetimes; all-day dates at midnight in the zone."""
    start = _bound(resource.get("start"), calendar_zone)
    end = _bound(resource.get("end"), calendar_zone)
    if start is None or end is None:
        return None
    return start, end


def _bound(value: Any, calendar_zone: str) -> datetime | None:
    if not isinstance(value, dict):
        return None
    if "dateTime" in value:
        return parse_rfc3339(str(value["dateTime"]))
    if "date" in value:
        day = date.fromisoformat(str(value["date"]))
        zone = ZoneInfo(str(value.get("timeZone") or calendar_zone))
        return datetime.combine(day, time(0), tzinfo=zone)
    return None


def merge_intervals(
    intervals: list[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    """Merge overlapping or touching intervals (sorted result)."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def default_channel_ttl() -> timedelta:
    """Lifetime of a push channel when the watch request gives no expiration."""
    return timedelta(days=7)
