"""Calendar v3 ``calendarList``, ``calendars`` and ``freebusy`` of the Google emulator.

References:
- calendarList.list (https://developers.google.com/calendar/api/v3/reference/calendarList/list):
  ``maxResults`` default 100, capped at 250; ``minAccessRole``; hidden entries only with
  ``showHidden``;
- calendars.insert (https://developers.google.com/calendar/api/v3/reference/calendars/insert):
  a secondary calendar ``...@group.calendar.google.com`` owned by the caller; also allowed with
  the ``calendar.app.created`` scope, which then reaches only calendars the app created;
- freebusy.query (https://developers.google.com/calendar/api/v3/reference/freebusy/query):
  at most 50 ``items`` (``calendarExpansionMax`` "Maximum value is 50"), an empty range is 400
  ``timeRangeEmpty`` (https://developers.google.com/calendar/api/guides/errors#400_bad_request),
  unknown or unreadable calendars get a per-calendar ``errors: [{reason: notFound}]``; busy
  blocks merge opaque, non-cancelled events only (``transparency``), all-day events included.
  The reference does not state the longest range; Google answers 400 ``timeRangeTooLong``
  "The requested time range is too long." past about three months (reported by integrators,
  e.g. https://github.com/calcom/cal.com/pull/11962 splits queries at 90 days), so the
  emulator refuses anything longer than ``freebusy_max_range`` (90 days by default).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fakes.google_api import ApiContext
from tests.fakes.google_http import ApiError
from tests.fakes.google_store import (
    JSON,
    ROLE_ORDER,
    Calendar,
    GoogleStore,
    event_bounds,
    format_in_zone,
    merge_intervals,
)

MAX_FREEBUSY_ITEMS = 50


def calendar_resource(calendar: Calendar) -> JSON:
    """A Calendar resource (calendars.get/insert)."""
    body: JSON = {
        "kind": "calendar#calendar",
        "etag": calendar.etag,
        "id": calendar.id,
        "summary": calendar.summary,
        "timeZone": calendar.time_zone,
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if calendar.description:
        body["description"] = calendar.description
    return body


class CalendarHandlers:
    """Handlers of calendarList.list, calendars.insert/get and freebusy.query."""

    def __init__(self, store: GoogleStore) -> None:
        self.store = store
        self.freebusy_max_range = timedelta(days=90)
        self._pages: dict[str, tuple[str, int]] = {}

    def handlers(self) -> dict[str, Any]:
        """Handlers by discovery method id."""
        return {
            "calendar.calendarList.list": self.calendar_list,
            "calendar.calendars.insert": self.insert_calendar,
            "calendar.calendars.get": self.get_calendar,
            "calendar.freebusy.query": self.freebusy,
        }

    async def calendar_list(self, ctx: ApiContext) -> web.Response:
        """calendarList.list."""
        email = ctx.account.email
        min_role = ctx.query.get("minAccessRole")
        if min_role is not None and min_role not in ROLE_ORDER:
            raise ApiError(
                400,
                "invalid",
                f"Invalid value '{min_role}' for minAccessRole.",
                location="minAccessRole",
            )
        show_hidden = ctx.flag("showHidden")
        max_results = ctx.integer("maxResults", 100, maximum=250)
        entries = []
        for calendar in self.store.calendars.values():
            role = calendar.role_of(email)
            if role is None:
                continue
            if min_role is not None and ROLE_ORDER[role] < ROLE_ORDER[min_role]:
                continue
            hidden = email in calendar.hidden_for
            if hidden and not show_hidden:
                continue
            entries.append(self._entry(calendar, role, email, hidden))
        offset = 0
        page_token = ctx.query.get("pageToken")
        if page_token is not None:
            saved = self._pages.get(page_token)
            if saved is None or saved[0] != email:
                raise ApiError(400, "invalid", "Invalid Value", location="pageToken")
            offset = saved[1]
        body: JSON = {
            "kind": "calendar#calendarList",
            "etag": self.store.new_etag(),
            "items": entries[offset : offset + max_results],
        }
        if offset + max_results < len(entries):
            token = secrets.token_urlsafe(18)
            self._pages[token] = (email, offset + max_results)
            body["nextPageToken"] = token
        return web.json_response(body)

    @staticmethod
    def _entry(calendar: Calendar, role: str, email: str, hidden: bool) -> JSON:
        entry: JSON = {
            "kind": "calendar#calendarListEntry",
            "etag": calendar.etag,
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "colorId": "14",
            "backgroundColor": "#9fe1e7",
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": role,
            "defaultReminders": [],
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if calendar.description:
            entry["description"] = calendar.description
        if calendar.id == email:
            entry["primary"] = True
        if hidden:
            entry["hidden"] = True
        return entry

    async def insert_calendar(self, ctx: ApiContext) -> web.Response:
        """calendars.insert: a new secondary calendar owned by the caller."""
        body = ctx.object_body()
        summary = body.get("summary")
        if not summary:
            raise ApiError(400, "required", "Missing title.")
        calendar = self.store.add_calendar(
            ctx.account,
            str(summary),
            "owner",
            time_zone=str(body.get("timeZone") or "UTC"),
            created_by_client=ctx.token.client_id,
        )
        if body.get("description"):
            calendar.description = str(body["description"])
        return web.json_response(calendar_resource(calendar))

    async def get_calendar(self, ctx: ApiContext) -> web.Response:
        """calendars.get."""
        calendar = ctx.calendar(ctx.path("calendarId"), "freeBusyReader")
        return web.json_response(calendar_resource(calendar))

    async def freebusy(self, ctx: ApiContext) -> web.Response:
        """freebusy.query."""
        body = ctx.object_body()
        time_min = _moment(body, "timeMin")
        time_max = _moment(body, "timeMax")
        if time_max <= time_min:
            raise ApiError(
                400,
                "timeRangeEmpty",
                "The specified time range is empty.",
                domain="calendar",
                location="timeMax",
            )
        if time_max - time_min > self.freebusy_max_range:
            raise ApiError(
                400,
                "timeRangeTooLong",
                "The requested time range is too long.",
                domain="calendar",
                location="timeMax",
            )
        items = body.get("items") or []
        if not isinstance(items, list):
            raise ApiError(400, "invalid", "Invalid value for items.", location="items")
        expansion = body.get("calendarExpansionMax")
        if expansion is not None and not 1 <= int(expansion) <= MAX_FREEBUSY_ITEMS:
            raise ApiError(
                400,
                "invalid",
                "Invalid value for calendarExpansionMax.",
                location="calendarExpansionMax",
            )
        if len(items) > MAX_FREEBUSY_ITEMS:
            raise ApiError(
                400,
                "tooManyCalendarsRequested",
                "Too many calendars requested.",
                domain="calendar",
                location="items",
            )
        zone = body.get("timeZone") or "UTC"
        calendars: JSON = {}
        for item in items:
            cal_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            calendars[cal_id] = self._busy(ctx, cal_id, time_min, time_max, str(zone))
        return web.json_response(
            {
                "kind": "calendar#freeBusy",
                "timeMin": format_in_zone(time_min, "UTC"),
                "timeMax": format_in_zone(time_max, "UTC"),
                "calendars": calendars,
            }
        )

    def _busy(
        self, ctx: ApiContext, cal_id: str, time_min: datetime, time_max: datetime, zone: str
    ) -> JSON:
        try:
            calendar = ctx.calendar(cal_id, "freeBusyReader")
        except ApiError:
            return {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
        intervals = []
        for stored in calendar.events.values():
            resource = stored.resource
            if stored.cancelled or resource.get("transparency") == "transparent":
                continue
            bounds = event_bounds(resource, calendar.time_zone)
            if bounds is None:
                continue
            start, end = max(bounds[0], time_min), min(bounds[1], time_max)
            if start < end:
                intervals.append((start, end))
        return {
            "busy": [
                {"start": format_in_zone(s, zone), "end": format_in_zone(e, zone)}
                for s, e in merge_intervals(intervals)
            ]
        }


def _moment(body: JSON, name: str) -> datetime:
    raw = body.get(name)
    if raw is None:
        raise ApiError(400, "required", f"Missing {name} parameter.", location=name)
    try:
        parsed = datetime.fromisoformat(str(raw))
    except ValueError as err:
        raise ApiError(400, "badRequest", "Bad Request", location=name) from err
    if parsed.tzinfo is None:
        raise ApiError(400, "badRequest", "Bad Request", location=name)
    return parsed
