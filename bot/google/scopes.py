"""The OAuth scopes bookbot asks for (the least its features need) and what each one enables.

Google's consent screen is granular: a user may untick any Calendar scope, so the scopes in the
token response are the truth, not the ones asked for. Google answers the sign-in scopes with
their long names (``email`` comes back as ``.../auth/userinfo.email``), so scopes are
normalised before comparing. A broader scope granted earlier (``include_granted_scopes``) counts
too: full ``calendar`` access covers every feature.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PREFIX = "https://www.googleapis.com/auth/"

OPENID = "openid"  # sign-in: Google returns an id_token naming the account
EMAIL = PREFIX + "userinfo.email"  # the account's e-mail address in the id_token
EVENTS = PREFIX + "calendar.events"  # create, move and cancel booking events
FREEBUSY = PREFIX + "calendar.freebusy"  # read busy times, never event details
CALENDAR_LIST = PREFIX + "calendar.calendarlist.readonly"  # list calendars to choose from
APP_CREATED = PREFIX + "calendar.app.created"  # create and use a dedicated booking calendar

REQUESTED: tuple[str, ...] = (OPENID, EMAIL, EVENTS, FREEBUSY, CALENDAR_LIST, APP_CREATED)
"""The scopes the consent URL asks for."""

PROFILE = PREFIX + "userinfo.profile"
CALENDAR = PREFIX + "calendar"
CALENDAR_READONLY = PREFIX + "calendar.readonly"
_ALIASES = {"email": EMAIL, "profile": PROFILE}


def normalize(scopes: str | Iterable[str]) -> frozenset[str]:
    """Scopes from a space-separated string or an iterable, with short aliases spelled out."""
    items = scopes.split() if isinstance(scopes, str) else scopes
    return frozenset(_ALIASES.get(item, item) for item in items if item)


@dataclass(frozen=True, slots=True)
class Feature:
    """Something the bot does with Google, and the scopes any one of which enables it."""

    description: str
    enabled_by: frozenset[str]


FEATURES: tuple[Feature, ...] = (
    Feature("recognise which Google account you connected", frozenset({EMAIL})),
    Feature("add your bookings to your Google Calendar", frozenset({EVENTS, CALENDAR})),
    Feature(
        "see when you are busy in Google Calendar",
        frozenset({FREEBUSY, PREFIX + "calendar.events.freebusy", CALENDAR_READONLY, CALENDAR}),
    ),
    Feature(
        "list your calendars so you can choose which ones to use",
        frozenset({CALENDAR_LIST, PREFIX + "calendar.calendarlist", CALENDAR_READONLY, CALENDAR}),
    ),
    Feature(
        "create a separate calendar just for bookings",
        frozenset({APP_CREATED, PREFIX + "calendar.calendars", CALENDAR}),
    ),
)


def missing_features(granted: Iterable[str]) -> list[str]:
    """In plain words, what will not work with only the `granted` scopes (empty: all works)."""
    have = normalize(granted)
    return [feature.description for feature in FEATURES if not feature.enabled_by & have]
