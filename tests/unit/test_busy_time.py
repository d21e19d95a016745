"""Google busy time (bot/sync/busy.py) through the booking service, the real Google accounts
part and aiogoogle, against the FakeGoogle emulator over HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from bot.booking import BookingService, Contact, SlotUnavailable
from bot.clock import ManualClock
from bot.config import Settings
from bot.crypto import generate_key
from bot.google.oauth import GoogleOAuth
from bot.google_accounts import GoogleAccounts
from bot.notices import NoNotices
from bot.sync.busy import GoogleBusy
from storage.bookings import Booked, BookingRepository, Changed
from storage.catalog import CatalogRepository
from storage.customers import CustomerRepository
from storage.db import Database
from storage.own_events import OwnEventRepository
from storage.settings_store import SettingsRepository
from storage.staff_links import CalendarChoice, StaffLinkRepository
from tests.fakes.google import Account, FakeGoogle
from tests.unit.fake_google_support import browse
from tests.week import HELSINKI, TUESDAY
from tests.week import helsinki as at

REDIRECT_URI = "http://localhost:8080/oauth2/callback"  # the default PUBLIC_BASE_URL
FREEBUSY = "calendar.freebusy.query"


@dataclass
class World:
    google: FakeGoogle
    accounts: GoogleAccounts
    busy: GoogleBusy
    booking: BookingService
    links: StaffLinkRepository
    account: Account
    anna: int
    cut: int
    work: str  # Anna's blocking "Work" calendar
    dest: str  # where bookings go


def _local(slots: list[datetime]) -> list[str]:
    return [s.astimezone(HELSINKI).strftime("%H:%M") for s in slots]


def _contact(user: int) -> Contact:
    return Contact(telegram_user_id=user, name="Ann", phone=None, email=None)


def _freebusy_calls(google: FakeGoogle) -> int:
    return len(google.calls_of(FREEBUSY))


async def _world(
    google: FakeGoogle,
    db: Database,
    clock: ManualClock,
    *,
    cache_seconds: float = 60,
    browse_timeout: float = 5,
    confirm_timeout: float = 2,
) -> World:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        google_client_id=google.client_id,
        google_client_secret=google.client_secret,  # type: ignore[arg-type]
        token_encryption_key=generate_key(),  # type: ignore[arg-type]
        google_oauth_auth_uri=google.auth_uri,
        google_oauth_token_uri=google.token_uri,
        google_oauth_revoke_uri=google.revoke_uri,
        google_api_root_url=google.api_root_url,
    )
    catalog = CatalogRepository(db)
    links = StaffLinkRepository(db)
    accounts = GoogleAccounts(
        settings=settings, clock=clock, catalog=catalog, links=links, notices=NoNotices()
    )
    busy = GoogleBusy(
        accounts=accounts,
        links=links,
        own_events=OwnEventRepository(db),
        clock=clock,
        cache_seconds=cache_seconds,
        push_cache_seconds=600,
        timeout_seconds=browse_timeout,
        confirm_timeout_seconds=confirm_timeout,
    )
    booking = BookingService(
        catalog=catalog,
        customers=CustomerRepository(db),
        bookings=BookingRepository(db),
        settings=SettingsRepository(db),
        clock=clock,
        default_timezone="UTC",
        external_busy=busy,
    )
    (anna,) = await catalog.staff_by_name("Anna")
    cut = (await booking.active_services())[0].id
    # Anna consents (the real OAuth client against the emulator); the bot keeps her tokens.
    account = google.add_account("anna@example.com", time_zone="Europe/Helsinki")
    work = google.add_calendar(account, "Work").id
    dest = google.add_calendar(account, "Salon bookings").id
    google.add_calendar(account, "Birthdays")  # not chosen: never blocks
    google.set_consent(account)
    oauth = GoogleOAuth.from_settings(settings, clock=clock)
    start = oauth.start_consent("state")
    redirect = await browse(start.url)
    await accounts.save(anna.id, await oauth.exchange(redirect.params["code"], start.code_verifier))
    await links.set_calendars(
        anna.id,
        [
            CalendarChoice(
                calendar_id=dest, name="Salon bookings", is_destination=True, blocks_time=False
            ),
            CalendarChoice(calendar_id=work, name="Work", is_destination=False, blocks_time=True),
        ],
    )
    return World(google, accounts, busy, booking, links, account, anna.id, cut, work, dest)


@pytest.fixture
async def google(clock: ManualClock) -> AsyncIterator[FakeGoogle]:
    async with FakeGoogle(clock=clock) as fake:
        fake.register_redirect_uri(REDIRECT_URI)
        yield fake


@pytest.fixture
async def world(
    google: FakeGoogle, salon_db: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator speaks plain http
    built = await _world(google, salon_db, clock)
    yield built
    await built.busy.close()
    await built.accounts.close()


async def _tuesday(w: World) -> list[str]:
    return _local(await w.booking.free_slots(w.cut, w.anna, TUESDAY))


async def test_busy_time_blocks_but_free_events_and_unchosen_calendars_do_not(
    world: World,
) -> None:
    w = world
    w.google.user_add_event(w.work, at(TUESDAY, 13), at(TUESDAY, 14))  # busy
    w.google.user_add_event(w.work, at(TUESDAY, 15), at(TUESDAY, 16), transparency="transparent")
    birthdays = next(c.id for c in w.google.store.calendars.values() if c.summary == "Birthdays")
    w.google.user_add_event(birthdays, at(TUESDAY, 9), at(TUESDAY, 10))
    slots = await _tuesday(w)
    assert "13:00" not in slots and "12:30" not in slots and "13:30" not in slots
    assert "14:00" in slots  # the busy hour ends at 14:00
    assert "15:00" in slots and "15:30" in slots  # "free" (transparent) does not block
    assert "09:00" in slots  # a calendar that was not chosen does not block
    # The destination calendar blocks too (the staff member may add events there).
    w.busy.invalidate(w.anna)
    w.google.user_add_event(w.dest, at(TUESDAY, 9), at(TUESDAY, 10))
    assert "09:00" not in await _tuesday(w)


async def test_browsing_is_cached_on_the_clock_and_invalidate_drops_it(
    world: World, clock: ManualClock
) -> None:
    w = world
    await w.booking.free_days(w.cut, w.anna)
    assert _freebusy_calls(w.google) == 1
    for _ in range(3):  # the days, then slots of several days: all from the one answer
        await w.booking.free_slots(w.cut, w.anna, TUESDAY)
        await w.booking.free_slots(w.cut, w.anna, TUESDAY + timedelta(days=1))
        await w.booking.free_days(w.cut, None)
    assert _freebusy_calls(w.google) == 1
    w.google.user_add_event(w.work, at(TUESDAY, 13), at(TUESDAY, 14))
    assert "13:00" in await _tuesday(w)  # cached: not seen yet
    w.busy.invalidate(w.anna)  # a change notification
    assert "13:00" not in await _tuesday(w)
    assert _freebusy_calls(w.google) == 2
    clock.advance(timedelta(seconds=59))
    await _tuesday(w)
    assert _freebusy_calls(w.google) == 2
    clock.advance(timedelta(seconds=1))  # GOOGLE_BUSY_CACHE_SECONDS = 60 passed
    await _tuesday(w)
    assert _freebusy_calls(w.google) == 3
    # One query per staff member holds every chosen calendar, within the documented range.
    body = w.google.calls_of(FREEBUSY)[-1].body
    assert sorted(i["id"] for i in body["items"]) == sorted([w.work, w.dest])
    span = datetime.fromisoformat(body["timeMax"]) - datetime.fromisoformat(body["timeMin"])
    assert timedelta(days=14) < span <= timedelta(days=90)  # the whole horizon at once


async def test_concurrent_readers_share_one_fetch(world: World) -> None:
    w = world
    w.google.set_latency(0.2, FREEBUSY)
    await asyncio.gather(*(w.booking.free_slots(w.cut, w.anna, TUESDAY) for _ in range(10)))
    assert _freebusy_calls(w.google) == 1


async def test_own_booking_does_not_block_its_own_reschedule(
    world: World, clock: ManualClock
) -> None:
    w = world
    booked = await w.booking.book(
        contact=_contact(1),
        service_id=w.cut,
        staff_id=w.anna,
        start=at(TUESDAY, 10),
        request_key=None,
    )
    assert isinstance(booked, Booked)
    # The outbox worker wrote the booking's event into the destination calendar.
    w.google.user_add_event(w.dest, at(TUESDAY, 10), at(TUESDAY, 11), summary="Haircut")
    await w.booking.bookings.record_event(booked.booking.id, calendar_id=w.dest, etag="e1")
    w.busy.invalidate(w.anna)
    # Another customer still cannot take 10:00 (the booking blocks it, not Google) ...
    assert "10:00" not in await _tuesday(w)
    # ... but moving the booking half an hour later, overlapping its own event, works.
    moved = await w.booking.reschedule(1, booked.booking.id, at(TUESDAY, 10, 30))
    assert isinstance(moved, Changed), moved
    # A foreign event in the destination calendar is not mistaken for ours.
    w.google.user_add_event(w.dest, at(TUESDAY, 14), at(TUESDAY, 15))
    w.busy.invalidate(w.anna)
    refused = await w.booking.reschedule(1, booked.booking.id, at(TUESDAY, 14))
    assert isinstance(refused, SlotUnavailable)


async def test_confirm_rechecks_fresh_busy_time_and_offers_alternatives(world: World) -> None:
    w = world
    await w.booking.free_days(w.cut, w.anna)  # the customer browses days, then times
    assert "13:00" in await _tuesday(w)
    calls = _freebusy_calls(w.google)
    w.google.user_add_event(w.work, at(TUESDAY, 13), at(TUESDAY, 14))  # meanwhile, in Google
    refused = await w.booking.book(
        contact=_contact(2),
        service_id=w.cut,
        staff_id=w.anna,
        start=at(TUESDAY, 13),
        request_key=None,
    )
    assert isinstance(refused, SlotUnavailable)
    assert _freebusy_calls(w.google) == calls + 1  # one re-check for that staff member
    alternatives = _local(refused.alternatives)
    assert alternatives and "13:00" not in alternatives and "12:30" not in alternatives
    ok = await w.booking.book(
        contact=_contact(2),
        service_id=w.cut,
        staff_id=w.anna,
        start=refused.alternatives[0],
        request_key=None,
    )
    assert isinstance(ok, Booked)


async def test_push_fresh_staff_confirm_from_the_cache(world: World) -> None:
    w = world
    await _tuesday(w)
    calls = _freebusy_calls(w.google)
    w.busy.mark_push_fresh(w.anna)
    booked = await w.booking.book(
        contact=_contact(3),
        service_id=w.cut,
        staff_id=w.anna,
        start=at(TUESDAY, 13),
        request_key=None,
    )
    assert isinstance(booked, Booked)
    assert _freebusy_calls(w.google) == calls  # a push channel keeps the cache current
    w.busy.mark_push_fresh(w.anna, fresh=False)
    await w.booking.book(
        contact=_contact(4),
        service_id=w.cut,
        staff_id=w.anna,
        start=at(TUESDAY, 15),
        request_key=None,
    )
    assert _freebusy_calls(w.google) == calls + 1


async def test_push_fresh_staff_keep_their_answer_longer_until_a_change(
    world: World, clock: ManualClock
) -> None:
    w = world
    w.busy.mark_push_fresh(w.anna)
    await _tuesday(w)
    calls = _freebusy_calls(w.google)
    clock.advance(timedelta(seconds=599))  # past GOOGLE_BUSY_CACHE_SECONDS, within the push one
    await _tuesday(w)
    assert _freebusy_calls(w.google) == calls
    w.google.user_add_event(w.work, at(TUESDAY, 13), at(TUESDAY, 14))
    w.busy.invalidate(w.anna)  # the notification of that change
    assert "13:00" not in await _tuesday(w)
    assert _freebusy_calls(w.google) == calls + 1
    clock.advance(timedelta(seconds=600))  # GOOGLE_BUSY_PUSH_CACHE_SECONDS: a lost notification
    await _tuesday(w)
    assert _freebusy_calls(w.google) == calls + 2
    w.busy.mark_push_fresh(w.anna, fresh=False)  # the channels stopped: the short life again
    clock.advance(timedelta(seconds=61))
    await _tuesday(w)
    assert _freebusy_calls(w.google) == calls + 3


async def test_slow_google_at_confirm_lets_the_cached_answer_stand(
    google: FakeGoogle,
    salon_db: Database,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    w = await _world(google, salon_db, clock, confirm_timeout=0.3)
    try:
        w.google.user_add_event(w.work, at(TUESDAY, 9), at(TUESDAY, 10))
        await _tuesday(w)
        w.google.set_latency(1.5, FREEBUSY)
        loop = asyncio.get_running_loop()
        began = loop.time()
        booked = await w.booking.book(
            contact=_contact(5),
            service_id=w.cut,
            staff_id=w.anna,
            start=at(TUESDAY, 13),
            request_key=None,
        )
        waited = loop.time() - began
        assert isinstance(booked, Booked)
        assert waited < 1.5  # did not wait for Google's answer
        assert "took over 0.3 s" in caplog.text
        assert "09:00" not in await _tuesday(w)  # the cached busy time still applies
    finally:
        await w.busy.close()
        await w.accounts.close()


async def test_google_errors_fall_back_to_older_data_or_hours(
    world: World, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    w = world
    caplog.set_level(logging.WARNING)
    w.google.fail_next(FREEBUSY, 503, times=2)
    assert "09:00" in await _tuesday(w)  # no data yet: hours and bookings alone
    assert "free/busy failed for staff" in caplog.text
    w.google.user_add_event(w.work, at(TUESDAY, 9), at(TUESDAY, 10))
    clock.advance(timedelta(seconds=11))  # retried soon after a failure
    assert "09:00" in await _tuesday(w)  # the second 503
    clock.advance(timedelta(seconds=11))
    assert "09:00" not in await _tuesday(w)
    w.busy.invalidate(w.anna)
    w.google.fail_next(FREEBUSY, 500)
    assert "09:00" not in await _tuesday(w)  # the older answer stands


async def test_unreadable_calendar_is_unknown_not_busy_and_recorded_once(
    world: World, clock: ManualClock
) -> None:
    w = world
    await w.links.set_calendars(
        w.anna,
        [
            CalendarChoice(
                calendar_id=w.dest, name="Salon bookings", is_destination=True, blocks_time=False
            ),
            CalendarChoice(calendar_id=w.work, name="Work", is_destination=False, blocks_time=True),
            CalendarChoice(
                calendar_id="gone@group.calendar.google.com",
                name="Old shifts",
                is_destination=False,
                blocks_time=True,
            ),
        ],
    )
    w.google.user_add_event(w.work, at(TUESDAY, 9), at(TUESDAY, 10))
    slots = await _tuesday(w)
    assert "09:00" not in slots and "13:00" in slots  # the readable calendar still blocks
    status = await w.accounts.status(w.anna)
    assert status is not None and status.status == "connected"
    assert status.last_error is not None and "Old shifts (notFound)" in status.last_error
    first_at = status.last_error_at
    clock.advance(timedelta(minutes=5))
    await _tuesday(w)
    again = await w.accounts.status(w.anna)
    assert again is not None and again.last_error_at == first_at  # not re-recorded


async def test_revoked_account_keeps_slots_from_hours_and_bookings(
    world: World, clock: ManualClock
) -> None:
    w = world
    w.google.user_add_event(w.work, at(TUESDAY, 9), at(TUESDAY, 10))
    assert "09:00" not in await _tuesday(w)
    w.google.revoke_account(w.account)
    clock.advance(timedelta(hours=2))  # the access token expired: the refresh is refused
    slots = await _tuesday(w)
    assert "09:00" in slots and "13:00" in slots
    status = await w.accounts.status(w.anna)
    assert status is not None and status.status == "revoked"
    booked = await w.booking.book(
        contact=_contact(6),
        service_id=w.cut,
        staff_id=w.anna,
        start=at(TUESDAY, 9),
        request_key=None,
    )
    assert isinstance(booked, Booked)


async def test_anyone_goes_to_the_next_staff_member_when_google_says_busy(world: World) -> None:
    w = world
    await w.booking.free_days(w.cut, None)
    assert "13:00" in await _tuesday(w)
    w.google.user_add_event(w.work, at(TUESDAY, 13), at(TUESDAY, 14))  # Anna, in Google
    booked = await w.booking.book(
        contact=_contact(7),
        service_id=w.cut,
        staff_id=None,
        start=at(TUESDAY, 13),
        request_key=None,
    )
    assert isinstance(booked, Booked)
    assert booked.booking.staff_name == "Ben"  # Anna (first in line) is busy in Google


async def test_confirm_after_the_cache_expired_costs_one_call(
    world: World, clock: ManualClock
) -> None:
    w = world
    await w.booking.free_days(w.cut, None)  # "anyone": Anna's busy time is read
    await _tuesday(w)
    calls = _freebusy_calls(w.google)
    clock.advance(timedelta(minutes=3))  # the customer took a while: the cache expired
    booked = await w.booking.book(
        contact=_contact(8),
        service_id=w.cut,
        staff_id=w.anna,
        start=at(TUESDAY, 13),
        request_key=None,
    )
    assert isinstance(booked, Booked)
    assert _freebusy_calls(w.google) == calls + 1  # only the re-check, not a refresh first


async def test_an_answer_started_before_a_change_notification_is_not_trusted(
    world: World,
) -> None:
    w = world
    w.google.set_latency(0.3, FREEBUSY)
    browsing = asyncio.create_task(_tuesday(w))
    await asyncio.sleep(0.1)  # the query is on its way ...
    w.busy.invalidate(w.anna)  # ... when Google says the calendar changed
    assert "13:00" in await browsing  # that answer was made before the change ...
    w.google.user_add_event(w.work, at(TUESDAY, 13), at(TUESDAY, 14))  # (which it missed)
    w.google.set_latency(0.0, FREEBUSY)
    assert "13:00" not in await _tuesday(w)  # asked again, not the answer from before


async def test_slow_google_never_holds_up_the_slot_list(
    google: FakeGoogle,
    salon_db: Database,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    w = await _world(google, salon_db, clock, browse_timeout=0.3)
    try:
        w.google.user_add_event(w.work, at(TUESDAY, 9), at(TUESDAY, 10))
        w.google.set_latency(1.0, FREEBUSY)
        loop = asyncio.get_running_loop()
        began = loop.time()
        slots = await _tuesday(w)
        assert loop.time() - began < 1.0  # did not wait for Google
        assert "09:00" in slots  # nothing known yet: hours and bookings alone
        await asyncio.sleep(1.0)  # the query finished in the background ...
        assert "09:00" not in await _tuesday(w)  # ... and its answer is used
        assert _freebusy_calls(w.google) == 1
    finally:
        await w.busy.close()
        await w.accounts.close()
