"""Fidelity of FakeGoogle's Calendar v3 events, calendars and errors, via two real clients.

Every behaviour is checked with google-api-python-client (httplib2 + google-auth) and with
aiogoogle, which must see the same answers.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from aiogoogle.excs import HTTPError as AiogoogleHTTPError

from bot.clock import ManualClock
from tests.fakes.google import Account, FakeGoogle
from tests.unit.fake_google_support import (
    EMAIL,
    READONLY,
    aiogoogle_api,
    aiogoogle_client,
    aiogoogle_error,
    as_user,
    connect,
    credentials,
    discovery_service,
    execute,
    http_error,
    moment,
    rfc,
)


@pytest.fixture
def alice(google: FakeGoogle) -> Account:
    account = google.add_account("alice@example.com", name="Alice", time_zone="Europe/Berlin")
    google.set_consent(account)
    return account


@pytest.fixture
async def token(google: FakeGoogle, alice: Account) -> Any:
    return await connect(google)


def booking(event_id: str | None = None, hours: float = 0) -> dict[str, Any]:
    body: dict[str, Any] = {
        "summary": "Haircut",
        "start": {"dateTime": rfc(moment(hours))},
        "end": {"dateTime": rfc(moment(hours + 1))},
        "extendedProperties": {"private": {"bookbot": "b1"}},
    }
    if event_id is not None:
        body["id"] = event_id
    return body


async def test_insert_get_patch_with_both_clients_agree(google: FakeGoogle, token: Any) -> None:
    service = discovery_service(google, credentials(google, token))
    api = aiogoogle_api(google)
    created = await execute(service.events().insert(calendarId="primary", body=booking("abc12")))
    async with aiogoogle_client(google, token) as aiogoogle:
        other = await as_user(
            aiogoogle, api.events.insert(calendarId="primary", json=booking("abc34", hours=2))
        )
        fetched = await as_user(aiogoogle, api.events.get(calendarId="primary", eventId="abc12"))
    assert fetched == created
    assert set(created) == set(other)
    assert created["id"] == "abc12"
    assert created["status"] == "confirmed"
    assert created["iCalUID"] == "abc12@google.com"
    assert created["sequence"] == 0
    assert created["start"]["dateTime"] == "2030-03-04T10:00:00+01:00"  # calendar's zone
    assert created["organizer"] == {
        "email": "alice@example.com",
        "displayName": "alice@example.com",
        "self": True,
    }
    patched = await execute(
        service.events().patch(
            calendarId="primary",
            eventId="abc12",
            body={"start": {"dateTime": rfc(moment(0.5))}, "end": {"dateTime": rfc(moment(1.5))}},
        )
    )
    assert patched["etag"] != created["etag"]
    assert patched["sequence"] == 1
    assert patched["extendedProperties"] == {"private": {"bookbot": "b1"}}
    assert patched["summary"] == "Haircut"
    replaced = await execute(
        service.events().update(
            calendarId="primary", eventId="abc12", body={**booking(), "summary": "Shave"}
        )
    )
    assert replaced["summary"] == "Shave"
    assert replaced["created"] == created["created"]
    assert replaced["sequence"] == 2  # moved back to the original hour


async def test_aiogoogle_refreshes_an_expired_token_at_the_emulator(
    google: FakeGoogle, token: Any
) -> None:
    api = aiogoogle_api(google)
    stale = {**token, "expires_in": -60}
    google.expire_access_tokens()
    async with aiogoogle_client(google, stale) as aiogoogle:
        listing = await as_user(aiogoogle, api.calendarList.list())
        refreshed = aiogoogle.user_creds
        assert refreshed is not None
        assert refreshed["access_token"] != token["access_token"]
    assert listing["items"][0]["id"] == "alice@example.com"
    assert [c.method_id for c in google.calls[-2:]] == ["oauth.token", "calendar.calendarList.list"]


async def test_event_id_rules_and_duplicates(google: FakeGoogle, token: Any) -> None:
    service = discovery_service(google, credentials(google, token))
    api = aiogoogle_api(google)
    for bad in ("abc", "ABCDE12", "wxyz0", "a" * 1025):
        status, body, _ = await http_error(
            service.events().insert(calendarId="primary", body=booking(bad))
        )
        assert status == 400
        assert body["error"]["errors"][0]["message"] == "Invalid resource id value."
    await execute(service.events().insert(calendarId="primary", body=booking("vvvvv")))
    await execute(service.events().delete(calendarId="primary", eventId="vvvvv"))
    async with aiogoogle_client(google, token) as aiogoogle:
        status, body = await aiogoogle_error(
            aiogoogle, api.events.insert(calendarId="primary", json=booking("vvvvv"))
        )
    assert status == 409
    assert body["error"]["errors"][0]["reason"] == "duplicate"
    assert body["error"]["message"] == "The requested identifier already exists."


async def test_if_match_delete_and_deleted_events(google: FakeGoogle, token: Any) -> None:
    service = discovery_service(google, credentials(google, token))
    api = aiogoogle_api(google)
    created = await execute(service.events().insert(calendarId="primary", body=booking("evt01")))
    google.user_update_event("alice@example.com", "evt01", summary="Moved by staff")
    async with aiogoogle_client(google, token) as aiogoogle:
        stale = api.events.patch(calendarId="primary", eventId="evt01", json={"summary": "x"})
        stale.headers["If-Match"] = created["etag"]
        status, body = await aiogoogle_error(aiogoogle, stale)
        assert (status, body["error"]["errors"][0]["reason"]) == (412, "conditionNotMet")
        current = await as_user(aiogoogle, api.events.get(calendarId="primary", eventId="evt01"))
        fresh = api.events.patch(calendarId="primary", eventId="evt01", json={"summary": "y"})
        fresh.headers["If-Match"] = current["etag"]
        assert (await as_user(aiogoogle, fresh))["summary"] == "y"
        deleted = await as_user(
            aiogoogle, api.events.delete(calendarId="primary", eventId="evt01"), full_res=True
        )
        assert deleted.status_code == 204
    status, body, _ = await http_error(
        service.events().delete(calendarId="primary", eventId="evt01")
    )
    assert (status, body["error"]["message"]) == (410, "Resource has been deleted")
    status, _, _ = await http_error(service.events().delete(calendarId="primary", eventId="nope1"))
    assert status == 404
    gone = await execute(service.events().get(calendarId="primary", eventId="evt01"))
    assert gone["status"] == "cancelled"
    assert google.events("alice@example.com") == []
    assert [e["id"] for e in google.events("alice@example.com", include_deleted=True)] == ["evt01"]


async def test_time_validation(google: FakeGoogle, token: Any) -> None:
    service = discovery_service(google, credentials(google, token))
    backwards = booking()
    backwards["end"] = {"dateTime": rfc(moment(-1))}
    status, body, _ = await http_error(
        service.events().insert(calendarId="primary", body=backwards)
    )
    assert (status, body["error"]["errors"][0]["reason"]) == (400, "timeRangeEmpty")
    naive = booking()
    naive["start"] = {"dateTime": "2030-03-04T10:00:00"}
    status, body, _ = await http_error(service.events().insert(calendarId="primary", body=naive))
    assert status == 400
    naive["start"]["timeZone"] = "Europe/Berlin"
    made = await execute(service.events().insert(calendarId="primary", body=naive))
    assert made["start"] == {"dateTime": "2030-03-04T10:00:00+01:00", "timeZone": "Europe/Berlin"}


async def test_meet_link_and_invitations(google: FakeGoogle, token: Any) -> None:
    google.add_account("bob@example.com")
    service = discovery_service(google, credentials(google, token))
    body = booking("meet1")
    body["attendees"] = [{"email": "carol@outside.test"}, {"email": "bob@example.com"}]
    body["conferenceData"] = {
        "createRequest": {"requestId": "r-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
    }
    without = await execute(
        service.events().insert(calendarId="primary", body={**body, "id": "meet0"})
    )
    assert "conferenceData" not in without
    made = await execute(
        service.events().insert(
            calendarId="primary", body=body, conferenceDataVersion=1, sendUpdates="externalOnly"
        )
    )
    conference = made["conferenceData"]
    assert conference["createRequest"]["status"]["statusCode"] == "success"
    video = [e for e in conference["entryPoints"] if e["entryPointType"] == "video"]
    assert video[0]["uri"].startswith("https://meet.google.com/")
    assert made["hangoutLink"] == video[0]["uri"]
    assert {a["responseStatus"] for a in made["attendees"]} == {"needsAction"}
    sent = [(i.event_id, i.email, i.kind) for i in google.invitations]
    assert sent == [("meet1", "carol@outside.test", "invitation")]
    await execute(service.events().delete(calendarId="primary", eventId="meet1", sendUpdates="all"))
    assert [(i.email, i.kind) for i in google.invitations[1:]] == [
        ("bob@example.com", "cancellation"),
        ("carol@outside.test", "cancellation"),
    ]


async def test_auth_scope_and_access_errors(google: FakeGoogle, alice: Account) -> None:
    readonly = await connect(google, ["openid", EMAIL, READONLY])
    service = discovery_service(google, credentials(google, readonly))
    status, body, _ = await http_error(
        service.events().insert(calendarId="primary", body=booking())
    )
    assert status == 403
    assert body["error"]["status"] == "PERMISSION_DENIED"
    assert body["error"]["errors"][0]["reason"] == "insufficientPermissions"
    assert body["error"]["message"] == "Request had insufficient authentication scopes."
    api = aiogoogle_api(google)
    bogus = {**readonly, "access_token": "ya29.bogus", "refresh_token": None}
    async with aiogoogle_client(google, bogus) as aiogoogle:
        status, body = await aiogoogle_error(aiogoogle, api.calendarList.list())
    assert status == 401
    assert body["error"]["errors"][0]["reason"] == "authError"
    assert body["error"]["status"] == "UNAUTHENTICATED"


async def test_expired_access_token_is_refreshed_by_google_auth(
    google: FakeGoogle, token: Any
) -> None:
    creds = credentials(google, token)
    service = discovery_service(google, creds)
    google.expire_access_tokens()
    listing = await execute(service.calendarList().list())
    assert listing["items"][0]["id"] == "alice@example.com"
    assert creds.token != token["access_token"]
    statuses = [(c.method_id, c.status) for c in google.calls[-3:]]
    assert statuses == [
        ("calendar.calendarList.list", 401),
        ("oauth.token", 200),
        ("calendar.calendarList.list", 200),
    ]


async def test_calendar_list_roles_hidden_paging_and_new_calendars(
    google: FakeGoogle, alice: Account, token: Any
) -> None:
    google.add_calendar(alice, "Team", "writer")
    shared = google.add_calendar(alice, "Holidays", "reader")
    google.add_calendar(alice, "Boss", "freeBusyReader")
    google.add_calendar(alice, "Old", "owner", hidden=True)
    service = discovery_service(google, credentials(google, token))
    first = await execute(service.calendarList().list(maxResults=2))
    second = await execute(
        service.calendarList().list(maxResults=2, pageToken=first["nextPageToken"])
    )
    assert "nextPageToken" not in second
    roles = {e["summary"]: e["accessRole"] for e in first["items"] + second["items"]}
    assert roles == {
        "alice@example.com": "owner",
        "Team": "writer",
        "Holidays": "reader",
        "Boss": "freeBusyReader",
    }
    assert first["items"][0]["primary"] is True
    writable = await execute(service.calendarList().list(minAccessRole="writer", showHidden=True))
    assert [e["summary"] for e in writable["items"]] == ["alice@example.com", "Team", "Old"]
    status, body, _ = await http_error(
        service.events().insert(calendarId=shared.id, body=booking())
    )
    assert (status, body["error"]["errors"][0]["reason"]) == (403, "requiredAccessLevel")
    made = await execute(service.calendars().insert(body={"summary": "Bookings"}))
    assert made["id"].endswith("@group.calendar.google.com")
    assert (await execute(service.calendars().get(calendarId=made["id"])))["summary"] == "Bookings"


async def test_app_created_scope_reaches_only_app_calendars(
    google: FakeGoogle, alice: Account
) -> None:
    app_created = "https://www.googleapis.com/auth/calendar.app.created"
    token = await connect(google, ["openid", EMAIL, app_created])
    service = discovery_service(google, credentials(google, token))
    made = await execute(service.calendars().insert(body={"summary": "Bookings"}))
    await execute(service.events().insert(calendarId=made["id"], body=booking()))
    status, _, _ = await http_error(service.events().insert(calendarId="primary", body=booking()))
    assert status == 403
    status, _, _ = await http_error(service.calendarList().list())
    assert status == 403


async def test_injected_faults_reach_both_clients(google: FakeGoogle, token: Any) -> None:
    service = discovery_service(google, credentials(google, token))
    api = aiogoogle_api(google)
    google.fail_next("calendar.events.insert", 429, retry_after=7)
    async with aiogoogle_client(google, token) as aiogoogle:
        with pytest.raises(AiogoogleHTTPError) as caught:
            await as_user(aiogoogle, api.events.insert(calendarId="primary", json=booking()))
    res = caught.value.res
    assert res is not None
    assert res.status_code == 429
    assert res.headers["Retry-After"] == "7"
    assert res.json["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    google.fail_next("calendar.events.list", 503, times=2)
    for _ in range(2):
        status, body, _ = await http_error(service.events().list(calendarId="primary"))
        assert (status, body["error"]["errors"][0]["reason"]) == (503, "backendError")
    await execute(service.events().list(calendarId="primary"))
    google.fail_next("calendar.events.get", 403, reason="userRateLimitExceeded")
    status, body, _ = await http_error(service.events().get(calendarId="primary", eventId="x0000"))
    assert body["error"]["errors"][0] == {
        "domain": "usageLimits",
        "reason": "userRateLimitExceeded",
        "message": "User Rate Limit Exceeded",
    }


async def test_per_user_rate_limit_counts_in_emulator_seconds(
    google: FakeGoogle, token: Any, wall_clock: ManualClock
) -> None:
    google.set_user_rate_limit(2)
    service = discovery_service(google, credentials(google, token))
    for _ in range(2):
        await execute(service.calendarList().list())
    status, body, _ = await http_error(service.calendarList().list())
    assert (status, body["error"]["errors"][0]["reason"]) == (403, "userRateLimitExceeded")
    wall_clock.advance(timedelta(seconds=1))
    await execute(service.calendarList().list())


async def test_latency_delays_but_answers(google: FakeGoogle, token: Any) -> None:
    google.set_latency(0.05, "calendar.calendarList.list")
    service = discovery_service(google, credentials(google, token))
    listing = await asyncio.wait_for(execute(service.calendarList().list()), timeout=30)
    assert listing["kind"] == "calendar#calendarList"


async def test_move_keeps_the_id_and_leaves_a_deleted_copy(
    google: FakeGoogle, alice: Account, token: Any
) -> None:
    # https://developers.google.com/calendar/api/v3/reference/events/move
    other = google.add_calendar(alice, "Bookings", "owner")
    service = discovery_service(google, credentials(google, token))
    created = await execute(service.events().insert(calendarId="primary", body=booking("mv001")))
    moved = await execute(
        service.events().move(calendarId="primary", eventId="mv001", destination=other.id)
    )
    assert moved["id"] == "mv001" and moved["summary"] == "Haircut"
    assert moved["etag"] != created["etag"]
    assert moved["extendedProperties"] == created["extendedProperties"]
    left = await execute(service.events().get(calendarId="primary", eventId="mv001"))
    assert left["status"] == "cancelled"
    there = await execute(service.events().get(calendarId=other.id, eventId="mv001"))
    assert there["status"] == "confirmed"
    status, _, _ = await http_error(
        service.events().move(calendarId="primary", eventId="mv001", destination=other.id)
    )
    assert status == 404  # nothing left to move
