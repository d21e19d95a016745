"""Fidelity of FakeGoogle's listing, incremental sync, freeBusy and push channels."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from aiohttp import web

from bot.clock import ManualClock
from tests.fakes.google import Account, FakeGoogle
from tests.unit.fake_google_support import (
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

CAL = "alice@example.com"


@pytest.fixture
def alice(google: FakeGoogle) -> Account:
    account = google.add_account(CAL, name="Alice")
    google.set_consent(account)
    return account


@pytest.fixture
async def token(google: FakeGoogle, alice: Account) -> Any:
    return await connect(google)


def event(event_id: str, hours: float, tag: str = "b") -> dict[str, Any]:
    return {
        "id": event_id,
        "summary": f"Booking {event_id}",
        "start": {"dateTime": rfc(moment(hours))},
        "end": {"dateTime": rfc(moment(hours + 1))},
        "extendedProperties": {"private": {"bookbot": tag}},
    }


async def test_paging_then_incremental_sync_with_both_clients(
    google: FakeGoogle, token: Any
) -> None:
    service = discovery_service(google, credentials(google, token))
    for n in range(5):
        await execute(service.events().insert(calendarId=CAL, body=event(f"ev00{n}", n)))
    pages, page_token = [], None
    while True:
        page = await execute(
            service.events().list(calendarId=CAL, maxResults=2, pageToken=page_token)
        )
        pages.append(page)
        page_token = page.get("nextPageToken")
        if page_token is None:
            break
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert ["nextSyncToken" in p for p in pages] == [False, False, True]
    sync_token = pages[-1]["nextSyncToken"]

    await execute(service.events().delete(calendarId=CAL, eventId="ev001"))
    google.user_update_event(CAL, "ev002", start=moment(7), end=moment(8))
    staff = google.user_add_event(CAL, moment(20), moment(21), summary="Dentist")
    api = aiogoogle_api(google)
    async with aiogoogle_client(google, token) as aiogoogle:
        changes = await as_user(aiogoogle, api.events.list(calendarId=CAL, syncToken=sync_token))
    by_id = {item["id"]: item for item in changes["items"]}
    assert list(by_id) == ["ev001", "ev002", staff["id"]]
    assert by_id["ev001"]["status"] == "cancelled"
    assert set(by_id["ev001"]) == {"kind", "etag", "id", "status"}
    assert by_id["ev002"]["sequence"] == 1
    assert by_id["ev002"]["start"]["dateTime"] == "2030-03-04T16:00:00Z"
    same = await execute(service.events().list(calendarId=CAL, syncToken=sync_token))
    assert [i["id"] for i in same["items"]] == list(by_id)
    quiet = await execute(service.events().list(calendarId=CAL, syncToken=changes["nextSyncToken"]))
    assert quiet["items"] == []


async def test_sync_token_rules(google: FakeGoogle, token: Any) -> None:
    service = discovery_service(google, credentials(google, token))
    full = await execute(service.events().list(calendarId=CAL))
    status, body, _ = await http_error(
        service.events().list(
            calendarId=CAL, syncToken=full["nextSyncToken"], timeMin=rfc(moment(0))
        )
    )
    assert status == 400
    status, body, _ = await http_error(service.events().list(calendarId=CAL, syncToken="garbage"))
    assert status == 410
    assert body["error"]["errors"][0]["reason"] == "fullSyncRequired"
    assert body["error"]["message"] == "Sync token is no longer valid, a full sync is required."
    google.invalidate_sync_tokens(CAL)
    api = aiogoogle_api(google)
    async with aiogoogle_client(google, token) as aiogoogle:
        status, body = await aiogoogle_error(
            aiogoogle, api.events.list(calendarId=CAL, syncToken=full["nextSyncToken"])
        )
    assert (status, body["error"]["errors"][0]["reason"]) == (410, "fullSyncRequired")


async def test_list_filters(google: FakeGoogle, token: Any) -> None:
    service = discovery_service(google, credentials(google, token))
    await execute(service.events().insert(calendarId=CAL, body=event("aaaaa", 0, tag="x")))
    await execute(service.events().insert(calendarId=CAL, body=event("bbbbb", 5, tag="y")))
    await execute(service.events().insert(calendarId=CAL, body=event("ccccc", 2, tag="x")))
    await execute(service.events().delete(calendarId=CAL, eventId="ccccc"))
    tagged = await execute(
        service.events().list(calendarId=CAL, privateExtendedProperty="bookbot=x")
    )
    assert [i["id"] for i in tagged["items"]] == ["aaaaa"]
    with_deleted = await execute(
        service.events().list(calendarId=CAL, privateExtendedProperty="bookbot=x", showDeleted=True)
    )
    assert [i["status"] for i in with_deleted["items"]] == ["confirmed", "cancelled"]
    window = await execute(
        service.events().list(calendarId=CAL, timeMin=rfc(moment(1)), timeMax=rfc(moment(6)))
    )
    assert [i["id"] for i in window["items"]] == ["bbbbb"]
    ordered = await execute(
        service.events().list(calendarId=CAL, singleEvents=True, orderBy="startTime")
    )
    assert [i["id"] for i in ordered["items"]] == ["aaaaa", "bbbbb"]
    status, body, _ = await http_error(service.events().list(calendarId=CAL, orderBy="startTime"))
    assert status == 400
    assert "ordering is not available" in body["error"]["message"]
    api = aiogoogle_api(google)
    async with aiogoogle_client(google, token) as aiogoogle:
        found = await as_user(aiogoogle, api.events.list(calendarId=CAL, q="booking bbbbb"))
        deleted = await as_user(aiogoogle, api.events.list(calendarId=CAL, showDeleted=True))
    assert [i["id"] for i in found["items"]] == ["bbbbb"]
    assert len(deleted["items"]) == 3


async def test_freebusy(google: FakeGoogle, alice: Account, token: Any) -> None:
    other = google.add_calendar(alice, "Personal", "owner", time_zone="Europe/Berlin")
    google.user_add_event(CAL, moment(0), moment(1))
    google.user_add_event(CAL, moment(0.5), moment(2))
    google.user_add_event(CAL, moment(3), moment(4), transparency="transparent")
    gone = google.user_add_event(CAL, moment(5), moment(6))
    google.user_delete_event(CAL, gone["id"])
    google.user_add_event(other.id, date(2030, 3, 5), date(2030, 3, 6))
    service = discovery_service(google, credentials(google, token))
    body = {
        "timeMin": rfc(moment(-1)),
        "timeMax": rfc(moment(48)),
        "items": [{"id": CAL}, {"id": other.id}, {"id": "stranger@example.com"}],
    }
    answer = await execute(service.freebusy().query(body=body))
    assert answer["calendars"][CAL]["busy"] == [
        {"start": "2030-03-04T09:00:00Z", "end": "2030-03-04T11:00:00Z"}
    ]
    assert answer["calendars"][other.id]["busy"] == [
        {"start": "2030-03-04T23:00:00Z", "end": "2030-03-05T23:00:00Z"}
    ]
    assert answer["calendars"]["stranger@example.com"]["errors"] == [
        {"domain": "global", "reason": "notFound"}
    ]
    too_many = {**body, "items": [{"id": f"c{n}@example.com"} for n in range(51)]}
    status, err, _ = await http_error(service.freebusy().query(body=too_many))
    assert (status, err["error"]["errors"][0]["reason"]) == (400, "tooManyCalendarsRequested")
    too_long = {**body, "timeMax": rfc(moment(-1) + timedelta(days=91))}
    status, err, _ = await http_error(service.freebusy().query(body=too_long))
    assert (status, err["error"]["errors"][0]["reason"]) == (400, "timeRangeTooLong")
    backwards = {**body, "timeMax": rfc(moment(-2))}
    api = aiogoogle_api(google)
    async with aiogoogle_client(google, token) as aiogoogle:
        status, err = await aiogoogle_error(aiogoogle, api.freebusy.query(json=backwards))
    assert (status, err["error"]["errors"][0]["reason"]) == (400, "timeRangeEmpty")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    received: list[dict[str, str]] = []

    async def push(request: web.Request) -> web.Response:
        assert await request.read() == b""
        received.append(dict(request.headers))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/google/push", push)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/google/push", received
    await runner.cleanup()


async def test_watch_delivers_sync_then_exists_until_stopped(
    google: FakeGoogle,
    token: Any,
    wall_clock: ManualClock,
    receiver: tuple[str, list[dict[str, str]]],
) -> None:
    address, received = receiver
    api = aiogoogle_api(google)
    async with aiogoogle_client(google, token) as aiogoogle:
        channel = await as_user(
            aiogoogle,
            api.events.watch(
                calendarId=CAL,
                json={"id": "chan-1", "type": "web_hook", "address": address, "token": "s3cret"},
            ),
        )
        await google.drain_push()
        google.user_add_event(CAL, moment(0), moment(1))
        await as_user(aiogoogle, api.events.insert(calendarId=CAL, json=event("ppppp", 2)))
        await google.drain_push()
        states = [(h["X-Goog-Resource-State"], h["X-Goog-Message-Number"]) for h in received]
        assert states == [("sync", "1"), ("exists", "2"), ("exists", "3")]
        first = received[0]
        assert first["X-Goog-Channel-ID"] == "chan-1"
        assert first["X-Goog-Channel-Token"] == "s3cret"
        assert first["X-Goog-Resource-ID"] == channel["resourceId"]
        assert first["X-Goog-Resource-URI"] == channel["resourceUri"]
        assert first["X-Goog-Channel-Expiration"].endswith("GMT")
        stop = {"id": "chan-1", "resourceId": channel["resourceId"]}
        stopped = await as_user(aiogoogle, api.channels.stop(json=stop), full_res=True)
        assert stopped.status_code == 204
        status, _ = await aiogoogle_error(aiogoogle, api.channels.stop(json=stop))
        assert status == 404
        google.user_add_event(CAL, moment(3), moment(4))
        await google.drain_push()
        assert len(received) == 3
    service = discovery_service(google, credentials(google, token))
    public = {"id": "chan-2", "type": "web_hook", "address": "http://bot.example.com/push"}
    status, err, _ = await http_error(service.events().watch(calendarId=CAL, body=public))
    assert (status, err["error"]["errors"][0]["reason"]) == (400, "push.webhookUrlNotHttps")
    soon = int((wall_clock.now() + timedelta(hours=1)).timestamp() * 1000)
    short = {"id": "chan-3", "type": "web_hook", "address": address, "expiration": soon}
    await execute(service.events().watch(calendarId=CAL, body=short))
    await google.drain_push()
    wall_clock.advance(timedelta(hours=2))
    google.user_add_event(CAL, moment(5), moment(6))
    await google.drain_push()
    assert [h["X-Goog-Channel-ID"] for h in received[3:]] == ["chan-3"]
