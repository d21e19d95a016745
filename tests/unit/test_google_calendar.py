"""GoogleCalendar (aiogoogle) against the FakeGoogle emulator over HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from aiogoogle.auth.data import WELLKNOWN_OPENID_CONFIGS

from bot.clock import ManualClock
from bot.domain.timespan import Interval
from bot.google import scopes
from bot.google.calendar import FREEBUSY_MAX_RANGE, GoogleCalendar, calendar_api
from bot.google.errors import (
    AuthRevoked,
    Conflict,
    InsufficientScope,
    PreconditionFailed,
    RateLimited,
    ResourceNotFound,
    Transient,
)
from bot.google.oauth import GoogleOAuth, GrantedTokens
from tests.fakes.google import Account, FakeGoogle
from tests.unit.fake_google_support import browse
from tests.week import MONDAY

CLIENT_ID = "1234-bookbot.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-emulated"
REDIRECT_URI = "http://127.0.0.1:8080/oauth2/callback"
LIFETIME = timedelta(seconds=3599)


@pytest.fixture
async def google(clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeGoogle]:
    for name in ("OAUTHLIB_INSECURE_TRANSPORT", "OAUTHLIB_RELAX_TOKEN_SCOPE"):
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    async with FakeGoogle(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, clock=clock) as fake:
        fake.register_redirect_uri(REDIRECT_URI)
        yield fake


@pytest.fixture
def persisted() -> list[GrantedTokens]:
    """What on_refresh was handed, in order."""
    return []


@pytest.fixture
async def calendar(
    google: FakeGoogle, clock: ManualClock, persisted: list[GrantedTokens]
) -> AsyncIterator[GoogleCalendar]:
    async def on_refresh(tokens: GrantedTokens) -> None:
        persisted.append(tokens)

    client = GoogleCalendar(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_uri=google.token_uri,
        api_root_url=google.api_root_url,
        clock=clock,
        on_refresh=on_refresh,
    )
    yield client
    await client.close()


async def connect(
    google: FakeGoogle, clock: ManualClock, email: str = "alice@example.com", grant: Any = None
) -> tuple[Account, GrantedTokens]:
    """A staff member goes through consent; the bot exchanges the code."""
    account = google.add_account(email, time_zone="Europe/Helsinki")
    google.set_consent(account, grant=grant)
    oauth = GoogleOAuth(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        auth_uri=google.auth_uri,
        token_uri=google.token_uri,
        revoke_uri=google.revoke_uri,
        redirect_uri=REDIRECT_URI,
        clock=clock,
    )
    start = oauth.start_consent("state")
    redirect = await browse(start.url)
    tokens = await oauth.exchange(redirect.params["code"], start.code_verifier)
    return account, tokens


def refreshes(google: FakeGoogle) -> int:
    """How many refresh-token grants the emulator answered."""
    return sum(
        1 for c in google.calls_of("oauth.token") if c.params.get("grant_type") == "refresh_token"
    )


def at(hours: float) -> datetime:
    """A moment relative to 10:00 UTC on the test week's Monday (the `clock` fixture's day)."""
    return datetime.combine(MONDAY, time(10), tzinfo=UTC) + timedelta(hours=hours)


# -- building the API ------------------------------------------------------------------------


def test_api_is_built_offline_from_the_shipped_document_with_the_root_rewritten() -> None:
    api = calendar_api("http://127.0.0.1:1")
    request = api.calendarList.list(maxResults=5)
    assert request.url.startswith("http://127.0.0.1:1/calendar/v3/users/me/calendarList")
    assert calendar_api("http://127.0.0.1:1") is api


def test_plain_http_api_root_only_on_loopback() -> None:
    async def ignore(tokens: GrantedTokens) -> None:
        return None

    with pytest.raises(ValueError, match="https"):
        GoogleCalendar(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_uri="https://oauth2.googleapis.com/token",
            api_root_url="http://calendar.example.com/",
            clock=ManualClock(at(0)),
            on_refresh=ignore,
        )


# -- calendars -------------------------------------------------------------------------------


async def test_list_calendars_follows_pages_and_sends_lowercase_booleans(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    alice, tokens = await connect(google, clock)
    for number in range(300):
        google.add_calendar(alice, f"Room {number}", "writer" if number % 2 else "owner")
    google.add_calendar(alice, "Secret", hidden=True)
    found = await calendar.list_calendars(tokens)
    assert len(found) == 301
    assert len({c.id for c in found}) == 301
    primary = [c for c in found if c.primary]
    assert [c.id for c in primary] == ["alice@example.com"]
    assert primary[0].access_role == "owner"
    assert primary[0].time_zone == "Europe/Helsinki"
    assert {c.access_role for c in found} == {"owner", "writer"}
    calls = google.calls_of("calendar.calendarList.list")
    assert len(calls) == 2
    assert calls[0].params["showHidden"] == "false"
    assert "pageToken" in calls[1].params
    with_hidden = await calendar.list_calendars(tokens, show_hidden=True)
    assert "Secret" in {c.summary for c in with_hidden}
    assert google.calls_of("calendar.calendarList.list")[-1].params["showHidden"] == "true"


async def test_create_calendar_makes_a_dedicated_owned_calendar(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _alice, tokens = await connect(google, clock)
    created = await calendar.create_calendar(tokens, "Salon bookings", "Europe/Helsinki")
    assert created.summary == "Salon bookings"
    assert created.time_zone == "Europe/Helsinki"
    assert created.access_role == "owner"
    assert not created.primary
    listed = {c.id: c for c in await calendar.list_calendars(tokens)}
    assert listed[created.id].summary == "Salon bookings"


async def test_missing_scope_is_insufficient_scope(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _bob, tokens = await connect(google, clock, "bob@example.com", grant=[scopes.EVENTS])
    with pytest.raises(InsufficientScope):
        await calendar.list_calendars(tokens)


# -- token refresh ---------------------------------------------------------------------------


async def test_no_refresh_while_the_token_is_fresh(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar, persisted: list[GrantedTokens]
) -> None:
    _alice, tokens = await connect(google, clock)
    clock.advance(LIFETIME - timedelta(seconds=61))
    await calendar.list_calendars(tokens)
    assert refreshes(google) == 0
    assert persisted == []


async def test_proactive_refresh_within_60_seconds_is_persisted_and_reused(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar, persisted: list[GrantedTokens]
) -> None:
    _alice, tokens = await connect(google, clock)
    clock.advance(LIFETIME - timedelta(seconds=59))
    await calendar.list_calendars(tokens)
    assert refreshes(google) == 1
    [fresh] = persisted
    assert fresh.access_token != tokens.access_token
    assert fresh.refresh_token == tokens.refresh_token
    assert fresh.email == "alice@example.com"
    assert fresh.scopes == tokens.scopes
    assert fresh.expiry == clock.now() + LIFETIME
    assert [c.status for c in google.calls_of("calendar.calendarList.list")] == [200]
    # The caller still holds the old tokens: the refreshed ones are reused, not refreshed again.
    await calendar.list_calendars(tokens)
    assert refreshes(google) == 1
    assert len(persisted) == 1
    # The emulator's token URI was set on this client only, never on aiogoogle's globals.
    assert WELLKNOWN_OPENID_CONFIGS["token_endpoint"] == "https://oauth2.googleapis.com/token"


async def test_concurrent_calls_refresh_once(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar, persisted: list[GrantedTokens]
) -> None:
    _alice, tokens = await connect(google, clock)
    clock.advance(LIFETIME)
    await asyncio.gather(*(calendar.list_calendars(tokens) for _ in range(5)))
    assert refreshes(google) == 1
    assert len(persisted) == 1


async def test_a_401_refreshes_once_and_retries(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar, persisted: list[GrantedTokens]
) -> None:
    _alice, tokens = await connect(google, clock)
    google.expire_access_tokens()  # Google disagrees with our clock
    found = await calendar.list_calendars(tokens)
    assert [c.id for c in found] == ["alice@example.com"]
    assert [c.status for c in google.calls_of("calendar.calendarList.list")] == [401, 200]
    assert refreshes(google) == 1
    assert len(persisted) == 1


async def test_revoked_account_raises_auth_revoked(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar, persisted: list[GrantedTokens]
) -> None:
    alice, tokens = await connect(google, clock)
    google.revoke_account(alice)
    with pytest.raises(AuthRevoked) as caught:
        await calendar.list_calendars(tokens)
    assert caught.value.reason == "invalid_grant"
    assert persisted == []


async def test_testing_mode_refresh_tokens_die_after_seven_days(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    google.testing_mode = True
    _alice, tokens = await connect(google, clock)
    clock.advance(timedelta(days=6))
    await calendar.list_calendars(tokens)  # still refreshable
    clock.advance(timedelta(days=1, minutes=1))
    with pytest.raises(AuthRevoked) as caught:
        await calendar.list_calendars(tokens)
    assert caught.value.reason == "invalid_grant"


async def test_refresh_endpoint_outage_is_transient(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _alice, tokens = await connect(google, clock)
    clock.advance(LIFETIME)
    google.fail_next("oauth.token", 503)
    with pytest.raises(Transient):
        await calendar.list_calendars(tokens)
    assert await calendar.list_calendars(tokens)


# -- errors ----------------------------------------------------------------------------------


async def test_429_with_retry_after_is_rate_limited(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _alice, tokens = await connect(google, clock)
    google.fail_next("calendar.calendarList.list", 429, retry_after=7)
    with pytest.raises(RateLimited) as caught:
        await calendar.list_calendars(tokens)
    assert caught.value.retry_after == 7.0
    google.fail_next("calendar.calendarList.list", 403, reason="userRateLimitExceeded")
    with pytest.raises(RateLimited) as user_limited:
        await calendar.list_calendars(tokens)
    assert user_limited.value.retry_after is None


async def test_503_is_transient(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _alice, tokens = await connect(google, clock)
    google.fail_next("calendar.calendarList.list", 503)
    with pytest.raises(Transient):
        await calendar.list_calendars(tokens)


async def test_unreachable_api_is_transient(google: FakeGoogle, clock: ManualClock) -> None:
    _alice, tokens = await connect(google, clock)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])

    async def ignore(new: GrantedTokens) -> None:
        return None

    client = GoogleCalendar(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_uri=google.token_uri,
        api_root_url=f"http://127.0.0.1:{port}/",
        clock=clock,
        on_refresh=ignore,
    )
    try:
        with pytest.raises(Transient):
            await client.list_calendars(tokens)
    finally:
        await client.close()


# -- free/busy -------------------------------------------------------------------------------


async def test_free_busy_chunks_more_than_50_calendars_and_reports_errors(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    alice, tokens = await connect(google, clock)
    rooms = [google.add_calendar(alice, f"Room {n}").id for n in range(120)]
    google.user_add_event(rooms[0], at(1), at(2))
    google.user_add_event(rooms[0], at(2), at(3))  # touching: one busy block
    google.user_add_event(rooms[75], at(4), at(5))
    google.user_add_event(rooms[119], at(6), at(7), transparency="transparent")  # free
    google.user_add_event("alice@example.com", at(8), at(9))
    unknown = "nobody@group.calendar.google.com"
    ids = ["alice@example.com", *rooms, unknown]
    result = await calendar.free_busy(tokens, ids, at(0), at(24))
    queries = google.calls_of("calendar.freebusy.query")
    assert len(queries) == 3
    assert all(len(q.body["items"]) <= 50 for q in queries)
    assert sum(len(q.body["items"]) for q in queries) == len(ids)
    assert result.errors == {unknown: "notFound"}
    assert unknown not in result.busy
    assert set(result.busy) == set(ids) - {unknown}
    assert result.busy[rooms[0]] == [Interval(at(1), at(3))]
    assert result.busy[rooms[75]] == [Interval(at(4), at(5))]
    assert result.busy[rooms[119]] == []
    assert result.busy["alice@example.com"] == [Interval(at(8), at(9))]
    assert result.all_busy() == [
        Interval(at(1), at(3)),
        Interval(at(4), at(5)),
        Interval(at(8), at(9)),
    ]
    assert all(i.start.tzinfo is not None for i in result.all_busy())


async def test_free_busy_splits_long_ranges_and_merges_across_the_seams(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _alice, tokens = await connect(google, clock)
    start = at(0)
    seam = start + FREEBUSY_MAX_RANGE
    google.user_add_event("alice@example.com", seam - timedelta(hours=1), seam + timedelta(hours=1))
    all_day = MONDAY + timedelta(weeks=23)  # inside the second 90-day query
    google.user_add_event("alice@example.com", all_day, all_day + timedelta(days=1))
    result = await calendar.free_busy(
        tokens, ["alice@example.com"], start, start + timedelta(days=200)
    )
    queries = google.calls_of("calendar.freebusy.query")
    assert len(queries) == 3
    for query in queries:
        span = datetime.fromisoformat(query.body["timeMax"]) - datetime.fromisoformat(
            query.body["timeMin"]
        )
        assert span <= FREEBUSY_MAX_RANGE
    busy = result.busy["alice@example.com"]
    assert busy[0] == Interval(seam - timedelta(hours=1), seam + timedelta(hours=1))
    assert len(busy) == 2
    assert busy[1].duration == timedelta(days=1)


async def test_free_busy_refuses_naive_or_empty_ranges(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _alice, tokens = await connect(google, clock)
    with pytest.raises(ValueError, match="aware"):
        await calendar.free_busy(tokens, ["a"], datetime(2026, 1, 1), at(1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="start < end"):
        await calendar.free_busy(tokens, ["a"], at(1), at(1))


# -- events ----------------------------------------------------------------------------------


def booking_event(event_id: str) -> dict[str, Any]:
    """An event body like the outbox will send."""
    return {
        "id": event_id,
        "summary": "Haircut — Ann",
        "start": {"dateTime": at(2).isoformat()},
        "end": {"dateTime": at(3).isoformat()},
        "extendedProperties": {"private": {"bookbot_booking": "42"}},
    }


async def test_insert_get_and_duplicate_insert(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _alice, tokens = await connect(google, clock)
    inserted = await calendar.insert_event(tokens, "alice@example.com", booking_event("bkb00042"))
    assert inserted.id == "bkb00042"
    assert inserted.etag
    assert inserted.start == at(2)
    assert inserted.end == at(3)
    assert inserted.private == {"bookbot_booking": "42"}
    assert inserted.status == "confirmed"
    assert google.calls_of("calendar.events.insert")[0].params["sendUpdates"] == "none"
    fetched = await calendar.get_event(tokens, "alice@example.com", "bkb00042")
    assert fetched.etag == inserted.etag
    with pytest.raises(Conflict):
        await calendar.insert_event(tokens, "alice@example.com", booking_event("bkb00042"))
    with pytest.raises(ResourceNotFound):
        await calendar.get_event(tokens, "alice@example.com", "nosuchevent")


async def test_patch_with_a_stale_etag_is_precondition_failed(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _alice, tokens = await connect(google, clock)
    inserted = await calendar.insert_event(tokens, "alice@example.com", booking_event("bkb00043"))
    google.user_update_event("alice@example.com", "bkb00043", summary="Moved by the owner")
    with pytest.raises(PreconditionFailed):
        await calendar.patch_event(
            tokens, "alice@example.com", "bkb00043", {"summary": "x"}, if_match=inserted.etag
        )
    current = await calendar.get_event(tokens, "alice@example.com", "bkb00043")
    patched = await calendar.patch_event(
        tokens,
        "alice@example.com",
        "bkb00043",
        {"end": {"dateTime": at(4).isoformat()}},
        if_match=current.etag,
    )
    assert patched.end == at(4)
    assert patched.summary == "Moved by the owner"
    assert patched.etag != current.etag
    headers = [c.headers for c in google.calls_of("calendar.events.patch")]
    assert headers == [{"If-Match": inserted.etag}, {"If-Match": current.etag}]


async def test_delete_is_done_even_when_already_gone(
    google: FakeGoogle, clock: ManualClock, calendar: GoogleCalendar
) -> None:
    _alice, tokens = await connect(google, clock)
    created = await calendar.create_calendar(tokens, "Bookings", "UTC")
    await calendar.insert_event(tokens, created.id, booking_event("bkb00044"))
    assert await calendar.delete_event(tokens, created.id, "bkb00044") is True
    assert await calendar.delete_event(tokens, created.id, "bkb00044") is False  # 410
    assert await calendar.delete_event(tokens, created.id, "neverexisted") is False  # 404
    statuses = [c.status for c in google.calls_of("calendar.events.delete")]
    assert statuses == [204, 410, 404]
    gone = await calendar.get_event(tokens, created.id, "bkb00044")
    assert gone.status == "cancelled"
