"""Google Calendar v3 through aiogoogle: the only module of bookbot that calls the Calendar API.

- The API is built once (per root URL) from the discovery document that google-api-python-client
  ships, with ``rootUrl``/``baseUrl`` rewritten to ``GOOGLE_API_ROOT_URL``: no network at start,
  and the same code reaches Google or a local emulator.
- Token refresh goes through aiogoogle's OAuth2 manager, pointed at ``GOOGLE_OAUTH_TOKEN_URI`` by
  its per-instance ``openid_configs``. The policy is ours, on the bot's clock: refresh when the
  access token expires within 60 s, and once more on a 401, then retry the call once. aiogoogle
  keeps refreshed credentials only on its own objects: ``newest(tokens)`` gives the newest
  tokens of a grant (and every refresh is handed to ``on_refresh`` when one is given), for the
  caller to persist; an ``invalid_grant`` answer is `AuthRevoked`.
- One aiohttp session (created on first use, closed by ``close``) serves API calls and refreshes;
  every request has a timeout (aiogoogle would otherwise send ``timeout=None``: none at all).
- aiogoogle writes Python booleans as "True"/"False": boolean parameters are sent as lowercase
  strings. It has no header argument: ``If-Match`` is set on ``request.headers``.
Errors come out as :mod:`bot.google.errors`; results are plain frozen dataclasses with aware
datetimes.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.resources
import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from aiogoogle import resource as aiogoogle_resource
from aiogoogle.auth import creds as aiogoogle_creds
from aiogoogle.auth import managers as aiogoogle_managers
from aiogoogle.auth.data import WELLKNOWN_OPENID_CONFIGS
from aiogoogle.excs import HTTPError
from aiogoogle.sessions import aiohttp_session

from bot.clock import Clock
from bot.domain.timespan import Interval, merge, require_aware
from bot.google import scopes as scope_names
from bot.google.errors import AuthRevoked, Gone, GoogleError, ResourceNotFound, Transient, from_http
from bot.google.oauth import GrantedTokens, check_transport

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

DISCOVERY_DOCUMENT = "discovery_cache/documents/calendar.v3.json"
REFRESH_MARGIN = timedelta(seconds=60)
FREEBUSY_MAX_CALENDARS = 50  # freebusy.query: calendarExpansionMax "Maximum value is 50"
FREEBUSY_MAX_RANGE = timedelta(days=90)  # longer ranges: 400 timeRangeTooLong
CALENDAR_LIST_PAGE = 250  # calendarList.list maxResults cap
EVENTS_PAGE = 250  # events.list maxResults default (the cap is 2500)
DEFAULT_TIMEOUT = 30.0
_SAFE_PATH = {"calendarId": "", "eventId": ""}  # percent-encode everything, "/" included

# aiogoogle ships py.typed but leaves these unannotated: seen as Any here, on purpose.
GoogleAPI: Any = aiogoogle_resource.GoogleAPI
ClientCreds: Any = aiogoogle_creds.ClientCreds
UserCreds: Any = aiogoogle_creds.UserCreds
Oauth2Manager: Any = aiogoogle_managers.Oauth2Manager
AiohttpSession: Any = aiohttp_session.AiohttpSession

OnRefresh = Callable[[GrantedTokens], Awaitable[None]]
"""Called with new tokens after every refresh, to persist them."""


@functools.lru_cache(maxsize=8)
def calendar_api(api_root_url: str) -> Any:
    """Calendar v3 from the shipped discovery document, its URLs under `api_root_url`."""
    resource = importlib.resources.files("googleapiclient") / DISCOVERY_DOCUMENT
    doc = json.loads(resource.read_text(encoding="utf-8"))
    root = api_root_url.rstrip("/") + "/"
    doc["rootUrl"] = root
    doc["mtlsRootUrl"] = root
    doc["baseUrl"] = root + doc["servicePath"]
    return GoogleAPI(doc)


def flag(value: bool) -> str:
    """A boolean query parameter as Google spells it (aiogoogle would send "True")."""
    return "true" if value else "false"


@dataclass(frozen=True, slots=True)
class CalendarInfo:
    """A calendar the account can reach."""

    id: str
    summary: str
    primary: bool
    access_role: str  # freeBusyReader | reader | writer | owner
    time_zone: str


@dataclass(frozen=True, slots=True)
class EventInfo:
    """An event as Google stores it; `start`/`end` are dates for all-day events."""

    id: str
    etag: str
    status: str  # confirmed | tentative | cancelled
    summary: str
    start: datetime | date | None
    end: datetime | date | None
    updated: datetime | None
    html_link: str | None
    private: Mapping[str, str] = field(default_factory=dict, hash=False)
    hangout_link: str | None = None


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of `events.list`: raw Event resources (parsed by the caller, one by one, so
    one odd event cannot spoil the page), and the token of the next page or, on the last
    page, the token of the next incremental sync."""

    items: list[Mapping[str, Any]]
    next_page_token: str | None
    next_sync_token: str | None


@dataclass(frozen=True, slots=True)
class WatchedChannel:
    """A push channel Google opened (`expires_at` None: Google named no expiry)."""

    channel_id: str
    resource_id: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class FreeBusy:
    """Busy time per calendar, and the calendars Google could not answer for (not free!)."""

    busy: dict[str, list[Interval]]
    errors: dict[str, str]  # calendar id -> Google's reason, e.g. "notFound"

    def all_busy(self) -> list[Interval]:
        """The union of every answered calendar's busy time."""
        return merge(interval for intervals in self.busy.values() for interval in intervals)


class GoogleCalendar:
    """Calendar v3 calls on behalf of connected accounts, with token refresh."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_uri: str,
        api_root_url: str,
        clock: Clock,
        on_refresh: OnRefresh | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        check_transport({"GOOGLE_OAUTH_TOKEN_URI": token_uri, "GOOGLE_API_ROOT_URL": api_root_url})
        self._api_root_url = api_root_url
        self._api: Any = calendar_api(api_root_url)
        self._client_creds = ClientCreds(client_id=client_id, client_secret=client_secret)
        self._oauth2 = Oauth2Manager(AiohttpSession, client_creds=self._client_creds)
        self._oauth2.openid_configs = {**WELLKNOWN_OPENID_CONFIGS, "token_endpoint": token_uri}
        self._clock = clock
        self._on_refresh = on_refresh
        self._timeout = timeout
        self._session: Any = None
        self._latest: dict[str, GrantedTokens] = {}  # refresh token -> newest tokens
        self._locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock, on_refresh: OnRefresh | None = None
    ) -> GoogleCalendar:
        """The client configured by GOOGLE_* settings."""
        if not settings.google_client_id or settings.google_client_secret is None:
            raise ValueError("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are not set")
        return cls(
            client_id=settings.google_client_id,
            client_secret=settings.google_client_secret.get_secret_value(),
            token_uri=settings.google_oauth_token_uri,
            api_root_url=settings.api_root_url,
            clock=clock,
            on_refresh=on_refresh,
            timeout=settings.google_request_timeout_seconds,
        )

    def __repr__(self) -> str:
        return f"GoogleCalendar(api_root_url={self._api_root_url!r})"

    async def close(self) -> None:
        """Close the HTTP session (a later call opens a new one)."""
        session, self._session = self._session, None
        self._oauth2.active_session = None
        if session is not None:
            await session.close()

    # -- calendars ---------------------------------------------------------------------------

    async def list_calendars(
        self, tokens: GrantedTokens, *, show_hidden: bool = False
    ) -> list[CalendarInfo]:
        """Every calendar in the account's calendar list (all pages)."""
        found: list[CalendarInfo] = []
        page: str | None = None
        while True:
            body, tokens = await self._execute(
                tokens,
                self._api.calendarList.list,
                maxResults=CALENDAR_LIST_PAGE,
                showHidden=flag(show_hidden),
                pageToken=page,
            )
            for item in body.get("items") or []:
                found.append(
                    CalendarInfo(
                        id=str(item["id"]),
                        summary=str(item.get("summaryOverride") or item.get("summary") or ""),
                        primary=bool(item.get("primary", False)),
                        access_role=str(item.get("accessRole", "")),
                        time_zone=str(item.get("timeZone") or ""),
                    )
                )
            page = body.get("nextPageToken")
            if not page:
                return found

    async def primary_calendar_id(self, tokens: GrantedTokens) -> str:
        """The primary calendar's id, which is the account's e-mail address."""
        for calendar in await self.list_calendars(tokens):
            if calendar.primary:
                return calendar.id
        raise ResourceNotFound("the account has no primary calendar in its calendar list")

    async def create_calendar(
        self, tokens: GrantedTokens, summary: str, time_zone: str
    ) -> CalendarInfo:
        """A new secondary calendar owned by the account (``calendar.app.created`` suffices)."""
        body, _ = await self._execute(
            tokens, self._api.calendars.insert, json={"summary": summary, "timeZone": time_zone}
        )
        return CalendarInfo(
            id=str(body["id"]),
            summary=str(body.get("summary") or summary),
            primary=False,
            access_role="owner",
            time_zone=str(body.get("timeZone") or time_zone),
        )

    # -- free/busy ---------------------------------------------------------------------------

    async def free_busy(
        self, tokens: GrantedTokens, calendar_ids: Iterable[str], start: datetime, end: datetime
    ) -> FreeBusy:
        """Busy intervals in ``[start, end)`` per calendar, in as many queries as limits need."""
        require_aware(start, "start")
        require_aware(end, "end")
        if not start < end:
            raise ValueError("free_busy needs start < end")
        ids = list(dict.fromkeys(calendar_ids))
        collected: dict[str, list[Interval]] = {cal_id: [] for cal_id in ids}
        errors: dict[str, str] = {}
        for first in range(0, len(ids), FREEBUSY_MAX_CALENDARS):
            chunk = ids[first : first + FREEBUSY_MAX_CALENDARS]
            for window_start, window_end in _windows(start, end):
                body, tokens = await self._execute(
                    tokens,
                    self._api.freebusy.query,
                    json={
                        "timeMin": window_start.astimezone(UTC).isoformat(),
                        "timeMax": window_end.astimezone(UTC).isoformat(),
                        "timeZone": "UTC",
                        "items": [{"id": cal_id} for cal_id in chunk],
                    },
                )
                answered = body.get("calendars") or {}
                for cal_id in chunk:
                    outcome = _busy_or_problem(answered.get(cal_id))
                    if isinstance(outcome, str):
                        errors.setdefault(cal_id, outcome)
                    else:
                        collected[cal_id].extend(outcome)
        busy = {cal_id: merge(found) for cal_id, found in collected.items() if cal_id not in errors}
        return FreeBusy(busy=busy, errors=errors)

    # -- events ------------------------------------------------------------------------------

    async def insert_event(
        self,
        tokens: GrantedTokens,
        calendar_id: str,
        event: Mapping[str, Any],
        *,
        send_updates: str = "none",
        conference_data_version: int = 0,
    ) -> EventInfo:
        """Create an event (a client-chosen ``id`` makes retries safe: a repeat is `Conflict`);
        ``conference_data_version=1`` lets ``conferenceData.createRequest`` make a Meet link."""
        body, _ = await self._execute(
            tokens,
            self._api.events.insert,
            calendarId=calendar_id,
            sendUpdates=send_updates,
            conferenceDataVersion=conference_data_version,
            json=dict(event),
        )
        return parse_event(body)

    async def get_event(self, tokens: GrantedTokens, calendar_id: str, event_id: str) -> EventInfo:
        """One event (a deleted one comes back with status "cancelled")."""
        body, _ = await self._execute(
            tokens, self._api.events.get, calendarId=calendar_id, eventId=event_id
        )
        return parse_event(body)

    async def patch_event(
        self,
        tokens: GrantedTokens,
        calendar_id: str,
        event_id: str,
        changes: Mapping[str, Any],
        *,
        if_match: str | None = None,
        send_updates: str = "none",
        conference_data_version: int = 0,
    ) -> EventInfo:
        """Change some fields; with `if_match`, only if the etag is current (else 412)."""
        body, _ = await self._execute(
            tokens,
            self._api.events.patch,
            headers={"If-Match": if_match} if if_match else None,
            calendarId=calendar_id,
            eventId=event_id,
            sendUpdates=send_updates,
            conferenceDataVersion=conference_data_version,
            json=dict(changes),
        )
        return parse_event(body)

    async def move_event(
        self, tokens: GrantedTokens, calendar_id: str, event_id: str, destination: str
    ) -> EventInfo:
        """Move an event to another calendar, keeping its id (``events.move``)."""
        body, _ = await self._execute(
            tokens,
            self._api.events.move,
            calendarId=calendar_id,
            eventId=event_id,
            destination=destination,
        )
        return parse_event(body)

    async def delete_event(
        self,
        tokens: GrantedTokens,
        calendar_id: str,
        event_id: str,
        *,
        if_match: str | None = None,
        send_updates: str = "none",
    ) -> bool:
        """Delete an event; False if it was already gone (404/410), which counts as done."""
        try:
            await self._execute(
                tokens,
                self._api.events.delete,
                headers={"If-Match": if_match} if if_match else None,
                calendarId=calendar_id,
                eventId=event_id,
                sendUpdates=send_updates,
            )
        except (ResourceNotFound, Gone):
            return False
        return True

    async def list_events(
        self,
        tokens: GrantedTokens,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        page_token: str | None = None,
        time_min: datetime | None = None,
        time_max: datetime | None = None,
        max_results: int = EVENTS_PAGE,
    ) -> EventPage:
        """One page of the calendar's events, deleted ones included. With `sync_token`: the
        changes since that sync (Google refuses time bounds with it; an expired token is
        `SyncTokenExpired`); without: the events that meet ``[time_min, time_max)``."""
        if sync_token is not None and (time_min is not None or time_max is not None):
            raise ValueError("a sync token cannot be combined with time bounds")
        params: dict[str, Any] = {
            "calendarId": calendar_id,
            "maxResults": max_results,
            "showDeleted": flag(True),
        }
        if sync_token is not None:
            params["syncToken"] = sync_token
        if page_token is not None:
            params["pageToken"] = page_token
        for name, bound in (("timeMin", time_min), ("timeMax", time_max)):
            if bound is not None:
                require_aware(bound, name)
                params[name] = bound.astimezone(UTC).isoformat()
        body, _ = await self._execute(tokens, self._api.events.list, **params)
        items = body.get("items") or []
        return EventPage(
            items=[item for item in items if isinstance(item, Mapping)],
            next_page_token=body.get("nextPageToken") or None,
            next_sync_token=body.get("nextSyncToken") or None,
        )

    # -- push channels -----------------------------------------------------------------------

    async def watch_events(
        self, tokens: GrantedTokens, calendar_id: str, *, channel_id: str, address: str, token: str
    ) -> WatchedChannel:
        """Open a push channel on the calendar's events (`events.watch`, type web_hook)."""
        body, _ = await self._execute(
            tokens,
            self._api.events.watch,
            calendarId=calendar_id,
            json={"id": channel_id, "type": "web_hook", "address": address, "token": token},
        )
        expiration = body.get("expiration")
        return WatchedChannel(
            channel_id=str(body.get("id") or channel_id),
            resource_id=str(body["resourceId"]),
            expires_at=datetime.fromtimestamp(int(expiration) / 1000, UTC) if expiration else None,
        )

    async def stop_channel(self, tokens: GrantedTokens, channel_id: str, resource_id: str) -> bool:
        """Stop a push channel (`channels.stop`); False if Google no longer knew it."""
        try:
            await self._execute(
                tokens, self._api.channels.stop, json={"id": channel_id, "resourceId": resource_id}
            )
        except (ResourceNotFound, Gone):
            return False
        return True

    # -- plumbing ----------------------------------------------------------------------------

    def _session_now(self) -> Any:
        if self._session is None:
            self._session = AiohttpSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
            self._oauth2.active_session = self._session
        return self._session

    async def _execute(
        self,
        tokens: GrantedTokens,
        method: Any,
        *,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> tuple[Any, GrantedTokens]:
        """Call with fresh tokens; on a 401 refresh once and retry. (JSON body, tokens used)."""
        tokens = await self._ready(tokens)
        try:
            return await self._send(tokens, method, headers, params), tokens
        except AuthRevoked as err:
            if err.status != 401 or tokens.refresh_token is None:
                raise
            log.info("access token refused (401); refreshing once")
        tokens = await self._refresh(tokens)
        return await self._send(tokens, method, headers, params), tokens

    async def _send(
        self,
        tokens: GrantedTokens,
        method: Any,
        headers: Mapping[str, str] | None,
        params: dict[str, Any],
    ) -> Any:
        # aiogoogle accepts only int timeouts (and without one aiohttp would wait forever).
        timeout = max(1, math.ceil(self._timeout))
        request = method(timeout=timeout, path_params_safe_chars=_SAFE_PATH, **params)
        request.headers.update(headers or {})
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._session_now().send(
                    request, full_res=True, raise_for_status=False
                )
        except (aiohttp.ClientError, TimeoutError) as err:
            raise Transient(f"cannot reach the Calendar API ({type(err).__name__})") from err
        log.debug("%s %s -> %s", request.method, method["id"], response.status_code)
        if response.status_code >= 400:
            body = response.json if response.json is not None else response.data
            raise from_http(
                response.status_code, body, headers=response.headers, now=self._clock.now()
            )
        return response.json if response.json is not None else {}

    def newest(self, tokens: GrantedTokens) -> GrantedTokens:
        """The newest tokens known for the same grant (a refresh may have happened since)."""
        if tokens.refresh_token is None:
            return tokens
        cached = self._latest.get(tokens.refresh_token)
        return cached if cached is not None and cached.expiry > tokens.expiry else tokens

    async def _ready(self, tokens: GrantedTokens) -> GrantedTokens:
        tokens = self.newest(tokens)
        if tokens.expires_within(self._clock.now(), REFRESH_MARGIN):
            tokens = await self._refresh(tokens)
        return tokens

    async def _refresh(self, stale: GrantedTokens) -> GrantedTokens:
        """New tokens from the refresh token (single flight per grant), persisted."""
        refresh_token = stale.refresh_token
        if refresh_token is None:
            raise AuthRevoked("the access token expired and there is no refresh token")
        lock = self._locks.setdefault(refresh_token, asyncio.Lock())
        async with lock:
            newest = self.newest(stale)
            now = self._clock.now()
            if newest.access_token != stale.access_token and not newest.expires_within(
                now, REFRESH_MARGIN
            ):
                return newest  # another task refreshed while this one waited
            try:
                fresh = await self._request_refresh(stale)
            except AuthRevoked:
                self._latest.pop(refresh_token, None)
                raise
            self._latest[refresh_token] = fresh
            if fresh.refresh_token is not None:
                self._latest[fresh.refresh_token] = fresh
            if self._on_refresh is not None:
                await self._on_refresh(fresh)
            return fresh

    async def _request_refresh(self, stale: GrantedTokens) -> GrantedTokens:
        user_creds = UserCreds(
            access_token=stale.access_token, refresh_token=stale.refresh_token, expires_at=None
        )
        self._session_now()
        try:
            async with asyncio.timeout(self._timeout):
                _, creds = await self._oauth2.refresh(user_creds, client_creds=self._client_creds)
        except HTTPError as err:
            res = err.res
            if res is None:
                raise Transient("token refresh failed without a response") from err
            body = res.json if res.json is not None else res.data
            raise from_http(
                res.status_code, body, headers=res.headers, now=self._clock.now()
            ) from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise Transient(f"cannot reach Google's token endpoint ({type(err).__name__})") from err
        except (KeyError, TypeError, AttributeError) as err:
            raise GoogleError("Google's token endpoint sent an unusable answer") from err
        granted = creds.get("scopes")
        return GrantedTokens(
            access_token=str(creds["access_token"]),
            refresh_token=str(creds.get("refresh_token") or stale.refresh_token),
            expiry=self._clock.now() + timedelta(seconds=float(creds.get("expires_in") or 3600)),
            scopes=scope_names.normalize(granted) if granted else stale.scopes,
            email=stale.email,
        )


def _windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut into consecutive pieces no longer than the freebusy limit."""
    pieces = []
    cursor = start
    while cursor < end:
        stop = min(cursor + FREEBUSY_MAX_RANGE, end)
        pieces.append((cursor, stop))
        cursor = stop
    return pieces


def _busy_or_problem(entry: object) -> list[Interval] | str:
    """One calendar's busy intervals from a freebusy answer, or Google's reason it has none."""
    if not isinstance(entry, Mapping):
        return "missing"
    errors = entry.get("errors") or []
    if errors:
        first = errors[0]
        return str(first.get("reason") or "error") if isinstance(first, Mapping) else "error"
    found = []
    for block in entry.get("busy") or []:
        start, end = parse_datetime(block["start"]), parse_datetime(block["end"])
        if start < end:
            found.append(Interval(start, end))
    return found


def parse_datetime(text: str) -> datetime:
    """An RFC 3339 timestamp from Google as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _when(value: object) -> datetime | date | None:
    if not isinstance(value, Mapping):
        return None
    if value.get("dateTime"):
        return parse_datetime(str(value["dateTime"]))
    if value.get("date"):
        return date.fromisoformat(str(value["date"]))
    return None


def parse_event(resource: Mapping[str, Any]) -> EventInfo:
    """An `EventInfo` from an Event resource."""
    extended = resource.get("extendedProperties") or {}
    private = extended.get("private") or {}
    updated = resource.get("updated")
    return EventInfo(
        id=str(resource["id"]),
        etag=str(resource.get("etag") or ""),
        status=str(resource.get("status") or "confirmed"),
        summary=str(resource.get("summary") or ""),
        start=_when(resource.get("start")),
        end=_when(resource.get("end")),
        updated=parse_datetime(str(updated)) if updated else None,
        html_link=str(resource["htmlLink"]) if resource.get("htmlLink") else None,
        private={str(k): str(v) for k, v in private.items()},
        hangout_link=str(resource["hangoutLink"]) if resource.get("hangoutLink") else None,
    )
