"""Calendar v3 ``events`` resource of the Google emulator: insert, get, patch, update, delete.

Reference: https://developers.google.com/calendar/api/v3/reference/events. Points kept:
- client ids are base32hex ``[a-v0-9]``, 5..1024 long, else 400 "Invalid resource id value.";
  an id already used in the calendar, even by a deleted event, is 409 ``duplicate``
  (https://developers.google.com/calendar/api/v3/reference/events/insert, ``id``);
- every change gives a new ``etag``; ``If-Match`` with a stale etag is 412 ``conditionNotMet``
  (https://developers.google.com/calendar/api/guides/version-resources);
- delete answers 204; a deleted event stays ``cancelled`` and deleting it again is 410
  ``deleted`` (https://developers.google.com/calendar/api/guides/errors#410_gone);
- ``sendUpdates`` decides who gets invitation e-mails (recorded, not sent);
- ``conferenceDataVersion=1`` with ``conferenceData.createRequest`` creates a Meet link
  (https://developers.google.com/calendar/api/guides/create-events#conferencing);
- dateTime values are answered in the calendar's time zone (or the ``timeZone`` parameter).
Listing and sync live in :mod:`tests.fakes.google_events_list`.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import string
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from tests.fakes.google_api import ApiContext
from tests.fakes.google_http import ApiError, bad_request
from tests.fakes.google_store import (
    JSON,
    Calendar,
    GoogleStore,
    StoredEvent,
    format_in_zone,
    parse_rfc3339,
)

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
# Fields a client may set; everything else in a body is read-only and ignored.
WRITABLE = {
    "summary",
    "description",
    "location",
    "colorId",
    "transparency",
    "visibility",
    "status",
    "extendedProperties",
    "attendees",
    "reminders",
    "source",
    "recurrence",
    "start",
    "end",
    "guestsCanInviteOthers",
    "guestsCanModify",
    "guestsCanSeeOtherGuests",
    "anyoneCanAddSelf",
    "attachments",
    "eventType",
    "sequence",
    "conferenceData",
    "endTimeUnspecified",
}
SEND_UPDATES = {"all", "externalOnly", "none"}


@dataclass
class Invitation:
    """An e-mail Google would have sent to a guest (``sendUpdates``)."""

    calendar_id: str
    event_id: str
    email: str
    kind: str  # "invitation" | "update" | "cancellation"
    send_updates: str


def render(ctx_or_zone: ApiContext | str, calendar: Calendar, resource: JSON) -> JSON:
    """An event as the API answers it: dateTime in the response time zone."""
    if isinstance(ctx_or_zone, str):
        zone: str = ctx_or_zone
    else:
        zone = ctx_or_zone.query.get("timeZone") or calendar.time_zone
    out = copy.deepcopy(resource)
    for key in ("start", "end", "originalStartTime"):
        value = out.get(key)
        if isinstance(value, dict) and "dateTime" in value:
            moment = parse_rfc3339(str(value["dateTime"]))
            if moment is not None:
                value["dateTime"] = format_in_zone(moment, zone)
    return out


def _time(value: Any, which: str) -> JSON:
    """Validate and normalise an EventDateTime (dateTime stored in UTC)."""
    if not isinstance(value, dict) or not ({"dateTime", "date"} & set(value)):
        raise ApiError(400, "required", f"Missing {which} time.")
    zone_name = value.get("timeZone")
    if zone_name is not None:
        try:
            ZoneInfo(str(zone_name))
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise bad_request(f"Invalid time zone definition for {which} time.") from err
    if value.get("dateTime") is not None:
        raw = str(value["dateTime"])
        moment = parse_rfc3339(raw)
        if moment is None:
            try:
                naive = datetime.fromisoformat(raw)
            except ValueError as err:
                raise bad_request(f"Invalid {which} time.") from err
            if zone_name is None:
                raise ApiError(400, "required", f"Missing time zone definition for {which} time.")
            moment = naive.replace(tzinfo=ZoneInfo(str(zone_name)))
        out: JSON = {"dateTime": format_in_zone(moment, "UTC")}
    else:
        try:
            day = date.fromisoformat(str(value["date"]))
        except ValueError as err:
            raise bad_request(f"Invalid {which} time.") from err
        out = {"date": day.isoformat()}
    if zone_name is not None:
        out["timeZone"] = zone_name
    return out


def build_time(value: datetime | date) -> JSON:
    """A stored EventDateTime from an aware datetime or an all-day date."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("aware datetimes only")
        return {"dateTime": format_in_zone(value, "UTC")}
    return {"date": value.isoformat()}


def _html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def _meet(create_request: Any) -> JSON:
    if not isinstance(create_request, dict):
        raise bad_request("Invalid conference create request.")
    key = create_request.get("conferenceSolutionKey") or {}
    if key.get("type") != "hangoutsMeet":
        raise ApiError(400, "invalid", "Invalid conference type value.")
    if not create_request.get("requestId"):
        raise ApiError(400, "required", "Missing conference request id.")
    letters = string.ascii_lowercase
    code = "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))
    return {
        "createRequest": {
            "requestId": create_request["requestId"],
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        },
        "entryPoints": [
            {
                "entryPointType": "video",
                "uri": f"https://meet.google.com/{code}",
                "label": f"meet.google.com/{code}",
            },
        ],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet"},
            "name": "Google Meet",
            "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png",
        },
        "conferenceId": code,
    }


def build_event(
    ctx: ApiContext, calendar: Calendar, body: JSON, existing: JSON | None, event_id: str
) -> JSON:
    """Validate a client body into a stored resource (keeping read-only fields of ``existing``)."""
    fields = {k: v for k, v in body.items() if k in WRITABLE and v is not None}
    start = _time(fields.get("start"), "start")
    end = _time(fields.get("end"), "end")
    if ("date" in start) != ("date" in end):
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    if "date" in start:
        empty = end["date"] <= start["date"]
    else:
        start_dt = parse_rfc3339(start["dateTime"])
        end_dt = parse_rfc3339(end["dateTime"])
        empty = start_dt is None or end_dt is None or end_dt < start_dt
    if empty:
        raise ApiError(
            400,
            "timeRangeEmpty",
            "The specified time range is empty.",
            domain="calendar",
            location="end.dateTime",
        )
    if fields.get("transparency", "opaque") not in ("opaque", "transparent"):
        raise ApiError(400, "invalid", "Invalid transparency value.")
    if fields.get("status", "confirmed") not in ("confirmed", "tentative", "cancelled"):
        raise ApiError(400, "invalid", "Invalid status value.")
    resource: JSON = {
        "kind": "calendar#event",
        "etag": existing["etag"] if existing else "",
        "id": event_id,
        "status": fields.pop("status", "confirmed"),
        "htmlLink": _html_link(event_id, calendar.id),
        "created": existing["created"] if existing else "",
        "updated": existing["updated"] if existing else "",
        "creator": existing["creator"] if existing else {"email": ctx.account.email},
        "organizer": existing["organizer"]
        if existing
        else {"email": calendar.id, "displayName": calendar.summary, "self": True},
        "iCalUID": existing["iCalUID"] if existing else f"{event_id}@google.com",
        "sequence": existing["sequence"] if existing else 0,
        "reminders": {"useDefault": True},
        "eventType": "default",
    }
    if ctx.account.email == resource["creator"].get("email"):
        resource["creator"]["self"] = True
    conference = fields.pop("conferenceData", None)
    for key, value in fields.items():
        resource[key] = copy.deepcopy(value)
    resource["start"], resource["end"] = start, end
    if resource.get("transparency") == "opaque":
        del resource["transparency"]
    if "attendees" in resource:
        resource["attendees"] = _attendees(ctx, calendar, resource["attendees"])
    _apply_conference(ctx, resource, conference, existing)
    _apply_sequence(resource, body, existing)
    return resource


def _attendees(ctx: ApiContext, calendar: Calendar, attendees: Any) -> list[JSON]:
    if not isinstance(attendees, list):
        raise bad_request("Invalid attendees.")
    out = []
    for item in attendees:
        if not isinstance(item, dict) or not item.get("email"):
            raise ApiError(400, "required", "Missing attendee email.")
        entry = dict(item)
        entry.setdefault("responseStatus", "needsAction")
        if entry["email"] == calendar.id:
            entry["organizer"] = True
        if entry["email"] == ctx.account.email:
            entry["self"] = True
        out.append(entry)
    return out


def _apply_conference(
    ctx: ApiContext, resource: JSON, conference: Any, existing: JSON | None
) -> None:
    version = ctx.integer("conferenceDataVersion", 0, minimum=0, maximum=1)
    kept = existing.get("conferenceData") if existing else None
    if version == 0 or conference is None:
        if kept is not None and existing is not None:
            resource["conferenceData"] = kept
            if "hangoutLink" in existing:
                resource["hangoutLink"] = existing["hangoutLink"]
        return
    if not isinstance(conference, dict):
        raise bad_request("Invalid conference data.")
    if "createRequest" in conference and (
        kept is None
        or kept["createRequest"]["requestId"] != conference["createRequest"].get("requestId")
    ):
        data = _meet(conference["createRequest"])
    else:
        data = copy.deepcopy(conference if kept is None else kept)
    resource["conferenceData"] = data
    for entry in data.get("entryPoints", []):
        if entry.get("entryPointType") == "video":
            resource["hangoutLink"] = entry["uri"]


def _apply_sequence(resource: JSON, body: JSON, existing: JSON | None) -> None:
    current = int(existing["sequence"]) if existing else 0
    asked = body.get("sequence")
    if asked is not None and int(asked) < current:
        raise ApiError(
            400,
            "invalid",
            "Invalid sequence value. The specified sequence number is below the current "
            "sequence number of the resource.",
        )
    moved = existing is not None and (
        existing["start"] != resource["start"] or existing["end"] != resource["end"]
    )
    resource["sequence"] = max(
        int(asked) if asked is not None else current, current + (1 if moved else 0)
    )


def _send_updates(ctx: ApiContext) -> str:
    mode = ctx.query.get("sendUpdates")
    if mode is None:
        return "all" if ctx.flag("sendNotifications") else "none"
    if mode not in SEND_UPDATES:
        raise ApiError(
            400, "invalid", f"Invalid value '{mode}' for sendUpdates.", location="sendUpdates"
        )
    return mode


def record_invitations(
    store: GoogleStore,
    invitations: list[Invitation],
    mode: str,
    calendar: Calendar,
    before: JSON | None,
    after: JSON | None,
) -> None:
    """Record the guest e-mails ``sendUpdates=mode`` makes Google send."""
    if mode == "none":
        return

    def guests(resource: JSON | None) -> set[str]:
        if resource is None or resource.get("status") == "cancelled":
            return set()
        return {a["email"] for a in resource.get("attendees", []) if not a.get("organizer")}

    old, new = guests(before), guests(after)
    event_id = str((after or before or {}).get("id"))
    changes = [(e, "invitation") for e in sorted(new - old)]
    changes += [(e, "update") for e in sorted(new & old)]
    changes += [(e, "cancellation") for e in sorted(old - new)]
    for email, kind in changes:
        if mode == "externalOnly" and email in store.accounts:
            continue
        invitations.append(Invitation(calendar.id, event_id, email, kind, mode))


def check_if_match(ctx: ApiContext, resource: JSON) -> None:
    """412 ``conditionNotMet`` when ``If-Match`` names another etag."""
    wanted = ctx.request.headers.get("If-Match")
    if wanted is not None and wanted.strip() not in ("*", resource["etag"]):
        raise ApiError(
            412,
            "conditionNotMet",
            "Precondition Failed",
            location="If-Match",
            location_type="header",
        )


def merge_patch(target: JSON, patch: JSON, *, top: bool = True) -> JSON:
    """Patch semantics: objects merge recursively, arrays and scalars replace, null clears.

    ``start``/``end`` are replaced whole, so that a patch can switch between date and dateTime.
    """
    out = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif top and key in ("start", "end"):
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value, top=False)
        else:
            out[key] = copy.deepcopy(value)
    return out


class EventHandlers:
    """Handlers of ``calendar.events.*`` writes and reads of one event."""

    def __init__(self, store: GoogleStore, invitations: list[Invitation]) -> None:
        self.store = store
        self.invitations = invitations

    def handlers(self) -> dict[str, Any]:
        """Handlers by discovery method id."""
        return {
            "calendar.events.insert": self.insert,
            "calendar.events.get": self.get,
            "calendar.events.patch": self.patch,
            "calendar.events.update": self.update,
            "calendar.events.delete": self.delete,
            "calendar.events.move": self.move,
        }

    def _event(self, ctx: ApiContext, calendar: Calendar) -> StoredEvent:
        stored = calendar.events.get(ctx.path("eventId"))
        if stored is None:
            raise ApiError(404, "notFound", "Not Found")
        return stored

    async def insert(self, ctx: ApiContext) -> web.Response:
        """events.insert."""
        calendar = ctx.calendar(ctx.path("calendarId"), "writer")
        body = ctx.object_body()
        mode = _send_updates(ctx)
        event_id = body.get("id")
        if event_id is None:
            event_id = self.store.new_event_id()
        elif not isinstance(event_id, str) or not EVENT_ID.match(event_id):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        if event_id in calendar.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        resource = build_event(ctx, calendar, body, None, event_id)
        stored = StoredEvent(resource, 0)
        calendar.events[event_id] = stored
        self.store.touch(calendar, stored, created=True)
        record_invitations(self.store, self.invitations, mode, calendar, None, resource)
        return web.json_response(render(ctx, calendar, resource))

    async def get(self, ctx: ApiContext) -> web.Response:
        """events.get (a deleted event is answered with ``status: cancelled``)."""
        calendar = ctx.calendar(ctx.path("calendarId"), "freeBusyReader")
        stored = self._event(ctx, calendar)
        if ctx.request.headers.get("If-None-Match") == stored.resource["etag"]:
            return web.Response(status=304)
        resource = stored.resource
        if ctx.freebusy_view(calendar):
            resource = freebusy_only(resource)
        return web.json_response(render(ctx, calendar, resource))

    async def patch(self, ctx: ApiContext) -> web.Response:
        """events.patch."""
        return await self._modify(ctx, replace=False)

    async def update(self, ctx: ApiContext) -> web.Response:
        """events.update (full replacement of the writable fields)."""
        return await self._modify(ctx, replace=True)

    async def _modify(self, ctx: ApiContext, *, replace: bool) -> web.Response:
        calendar = ctx.calendar(ctx.path("calendarId"), "writer")
        stored = self._event(ctx, calendar)
        body = ctx.object_body()
        mode = _send_updates(ctx)
        check_if_match(ctx, stored.resource)
        before = stored.resource
        merged = body if replace else merge_patch(before, body)
        resource = build_event(ctx, calendar, merged, before, stored.id)
        stored.resource = resource
        self.store.touch(calendar, stored)
        record_invitations(self.store, self.invitations, mode, calendar, before, resource)
        return web.json_response(render(ctx, calendar, resource))

    async def delete(self, ctx: ApiContext) -> web.Response:
        """events.delete: 204, 410 when already deleted."""
        calendar = ctx.calendar(ctx.path("calendarId"), "writer")
        stored = self._event(ctx, calendar)
        mode = _send_updates(ctx)
        if stored.cancelled:
            raise ApiError(410, "deleted", "Resource has been deleted")
        check_if_match(ctx, stored.resource)
        before = copy.deepcopy(stored.resource)
        stored.resource["status"] = "cancelled"
        self.store.touch(calendar, stored)
        record_invitations(self.store, self.invitations, mode, calendar, before, None)
        return web.Response(status=204)

    async def move(self, ctx: ApiContext) -> web.Response:
        """events.move: the event goes to the ``destination`` calendar with its id; the source
        keeps it as deleted (https://developers.google.com/calendar/api/v3/reference/events/move:
        "Moves an event to another calendar, i.e. changes an event's organizer")."""
        source = ctx.calendar(ctx.path("calendarId"), "writer")
        stored = self._event(ctx, source)
        if stored.cancelled:
            raise ApiError(404, "notFound", "Not Found")
        destination_id = ctx.request.query.get("destination")
        if not destination_id:
            raise ApiError(400, "required", "Required parameter: destination")
        destination = ctx.calendar(destination_id, "writer")
        if stored.id in destination.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        moved = StoredEvent(copy.deepcopy(stored.resource), 0)
        destination.events[stored.id] = moved
        self.store.touch(destination, moved, created=True)
        stored.resource["status"] = "cancelled"
        self.store.touch(source, stored)
        return web.json_response(render(ctx, destination, moved.resource))


def freebusy_only(resource: JSON) -> JSON:
    """What a free/busy reader sees of an event."""
    keep = ("kind", "etag", "id", "status", "start", "end", "transparency", "updated")
    return {k: copy.deepcopy(resource[k]) for k in keep if k in resource}
