"""Calendar v3 ``events.list`` of the Google emulator: filters, paging, incremental sync.

References: https://developers.google.com/calendar/api/v3/reference/events/list and the sync
guide https://developers.google.com/calendar/api/guides/sync. Points kept:
- ``timeMin`` bounds the event's end and ``timeMax`` its start (both exclusive); both need an
  offset; ``orderBy=startTime`` is only allowed with ``singleEvents=true``;
- ``maxResults`` defaults to 250 and is capped at 2500; ``nextPageToken`` until the last page,
  which alone carries ``nextSyncToken``;
- ``syncToken`` returns every change since the token, deleted (``cancelled``) events included,
  and cannot be combined with ``iCalUID``, ``orderBy``, ``privateExtendedProperty``, ``q``,
  ``sharedExtendedProperty``, ``timeMin``, ``timeMax`` or ``updatedMin`` (400);
  an invalid or invalidated token answers 410 ``fullSyncRequired``
  (https://developers.google.com/calendar/api/guides/errors#410_gone);
- ``updatedMin`` always includes events deleted since then; deleted events in lists carry only
  ``kind``/``etag``/``id``/``status``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.google_api import ApiContext
from tests.fakes.google_events import freebusy_only, render
from tests.fakes.google_http import ApiError
from tests.fakes.google_store import (
    JSON,
    Calendar,
    GoogleStore,
    StoredEvent,
    event_bounds,
    now_rfc3339,
    parse_rfc3339,
)

NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)


@dataclass
class PageState:
    """A listing in progress: the snapshot of ids, where the next page starts, the sync stamp."""

    calendar_id: str
    account: str
    fingerprint: tuple[tuple[str, str], ...]
    ids: list[str]
    offset: int
    stamp: int
    generation: int


class EventListHandler:
    """``calendar.events.list``."""

    def __init__(self, store: GoogleStore) -> None:
        self.store = store
        self.pages: dict[str, PageState] = {}

    def handlers(self) -> dict[str, Any]:
        """Handlers by discovery method id."""
        return {"calendar.events.list": self.list_events}

    async def list_events(self, ctx: ApiContext) -> web.Response:
        """events.list: a full listing, a page of one, or an incremental sync."""
        calendar = ctx.calendar(ctx.path("calendarId"), "freeBusyReader")
        max_results = ctx.integer("maxResults", 250, maximum=2500)
        fingerprint = tuple(
            sorted((k, v) for k, v in ctx.query.items() if k not in ("pageToken", "maxResults"))
        )
        page_token = ctx.query.get("pageToken")
        if page_token is not None:
            state = self.pages.get(page_token)
            if (
                state is None
                or state.calendar_id != calendar.id
                or state.account != ctx.account.email
                or state.fingerprint != fingerprint
            ):
                raise ApiError(400, "invalid", "Invalid Value", location="pageToken")
            if state.generation != calendar.sync_generation and ctx.query.get("syncToken"):
                raise _full_sync_required()
        else:
            ids, stamp = self._select(ctx, calendar)
            state = PageState(
                calendar.id, ctx.account.email, fingerprint, ids, 0, stamp, calendar.sync_generation
            )
        chunk = state.ids[state.offset : state.offset + max_results]
        incremental = ctx.query.get("syncToken") is not None
        show_deleted = incremental or ctx.flag("showDeleted") or "updatedMin" in ctx.query
        items = []
        for event_id in chunk:
            stored = calendar.events[event_id]
            if stored.cancelled and not show_deleted:
                continue
            items.append(self._item(ctx, calendar, stored))
        body: JSON = {
            "kind": "calendar#events",
            "etag": self.store.new_etag(),
            "summary": calendar.summary,
            "updated": self._updated(calendar),
            "timeZone": ctx.query.get("timeZone") or calendar.time_zone,
            "accessRole": calendar.role_of(ctx.account.email),
            "defaultReminders": [],
            "items": items,
        }
        if calendar.description:
            body["description"] = calendar.description
        next_offset = state.offset + len(chunk)
        if next_offset < len(state.ids):
            token = secrets.token_urlsafe(24)
            self.pages[token] = PageState(
                state.calendar_id,
                state.account,
                state.fingerprint,
                state.ids,
                next_offset,
                state.stamp,
                state.generation,
            )
            body["nextPageToken"] = token
        else:
            body["nextSyncToken"] = self.store.issue_sync_token(calendar, state.stamp)
        return web.json_response(body)

    def _item(self, ctx: ApiContext, calendar: Calendar, stored: StoredEvent) -> JSON:
        resource = stored.resource
        if stored.cancelled:
            return {k: resource[k] for k in ("kind", "etag", "id", "status")}
        if ctx.freebusy_view(calendar):
            resource = freebusy_only(resource)
        return render(ctx, calendar, resource)

    def _updated(self, calendar: Calendar) -> str:
        stamps = [str(e.resource.get("updated", "")) for e in calendar.events.values()]
        return max(stamps) if stamps else now_rfc3339(self.store.now())

    def _select(self, ctx: ApiContext, calendar: Calendar) -> tuple[list[str], int]:
        sync_token = ctx.query.get("syncToken")
        single = ctx.flag("singleEvents")
        order_by = ctx.query.get("orderBy")
        if sync_token is not None:
            for name in NOT_WITH_SYNC_TOKEN:
                if name in ctx.query:
                    raise ApiError(
                        400,
                        "invalid",
                        f"The parameter {name} cannot be used together with syncToken.",
                        location=name,
                    )
            point = self.store.resolve_sync_token(calendar, sync_token)
            if point is None:
                raise _full_sync_required()
            changed = [e for e in calendar.events.values() if e.stamp > point.stamp]
            changed.sort(key=lambda e: e.stamp)
            return [e.id for e in changed], calendar.stamp
        if order_by is not None and order_by not in ("startTime", "updated"):
            raise ApiError(
                400, "invalid", f"Invalid value '{order_by}' for orderBy.", location="orderBy"
            )
        if order_by == "startTime" and not single:
            raise ApiError(
                400,
                "badRequest",
                "The requested ordering is not available for the particular query.",
            )
        time_min, time_max = ctx.moment("timeMin"), ctx.moment("timeMax")
        if time_min is not None and time_max is not None and time_max < time_min:
            raise ApiError(
                400,
                "timeRangeEmpty",
                "The specified time range is empty.",
                domain="calendar",
                location="timeMax",
            )
        updated_min = ctx.moment("updatedMin")
        private = _properties(ctx, "privateExtendedProperty")
        shared = _properties(ctx, "sharedExtendedProperty")
        text = (ctx.query.get("q") or "").lower()
        show_deleted = ctx.flag("showDeleted") or updated_min is not None
        ical = ctx.query.get("iCalUID")
        selected: list[StoredEvent] = []
        for stored in calendar.events.values():
            resource = stored.resource
            if stored.cancelled and not show_deleted:
                continue
            if updated_min is not None:
                updated = parse_rfc3339(str(resource.get("updated")))
                if updated is None or updated < updated_min:
                    continue
            bounds = event_bounds(resource, calendar.time_zone)
            if bounds is not None and not _overlaps(bounds, time_min, time_max):
                continue
            if not _matches(resource, "private", private) or not _matches(
                resource, "shared", shared
            ):
                continue
            if text and text not in _searchable(resource):
                continue
            if ical is not None and resource.get("iCalUID") != ical:
                continue
            selected.append(stored)
        if order_by == "startTime":
            selected.sort(key=lambda e: _start_key(e, calendar))
        elif order_by == "updated":
            selected.sort(key=lambda e: str(e.resource.get("updated")))
        return [e.id for e in selected], calendar.stamp


def _full_sync_required() -> ApiError:
    return ApiError(
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        location="syncToken",
    )


def _properties(ctx: ApiContext, name: str) -> list[tuple[str, str]]:
    out = []
    for raw in ctx.query.getall(name, []):
        key, sep, value = raw.partition("=")
        if not sep or not key:
            raise ApiError(400, "invalid", f"Invalid value '{raw}' for {name}.", location=name)
        out.append((key, value))
    return out


def _matches(resource: JSON, kind: str, wanted: list[tuple[str, str]]) -> bool:
    props = (resource.get("extendedProperties") or {}).get(kind) or {}
    return all(props.get(k) == v for k, v in wanted)


def _overlaps(
    bounds: tuple[datetime, datetime], time_min: datetime | None, time_max: datetime | None
) -> bool:
    start, end = bounds
    if time_min is not None and not end > time_min:
        return False
    return not (time_max is not None and not start < time_max)


def _searchable(resource: JSON) -> str:
    parts = [str(resource.get(k, "")) for k in ("summary", "description", "location")]
    for attendee in resource.get("attendees", []):
        parts += [str(attendee.get("email", "")), str(attendee.get("displayName", ""))]
    return " ".join(parts).lower()


def _start_key(stored: StoredEvent, calendar: Calendar) -> datetime:
    bounds = event_bounds(stored.resource, calendar.time_zone)
    return bounds[0] if bounds else datetime.max.replace(tzinfo=UTC)
