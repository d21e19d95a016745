"""Google busy time through the real bot and the Google emulator: busy events block slots,
"free" events do not, Confirm re-checks against fresh busy time, a revoked account keeps the
slots working, and nothing about other people's events is ever stored."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from tests.e2e.flows import confirm, reach_step, reach_summary, say, tap
from tests.e2e.harness import ADMIN_ID, buttons
from tests.e2e.test_staff_google import connect, link_staff
from tests.fakes.google import Account, FakeGoogle
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.week import TUESDAY, day_and_time
from tests.week import helsinki as at

JSON = dict[str, object]


@pytest.fixture
def anna_google(google: FakeGoogle) -> Account:
    return google.add_account("anna@example.com", name="Anna", time_zone="Europe/Helsinki")


async def connect_anna(
    tg: FakeTelegram, google: FakeGoogle, account: Account, user_id: int
) -> FakeUser:
    """Anna links Telegram and Google; bookings go to a new calendar, her primary blocks."""
    admin = tg.user(ADMIN_ID, first_name="Boss")
    staff = tg.user(user_id, first_name="Anna")
    welcome = await link_staff(tg, admin, staff)
    told = (await connect(tg, google, staff, account, welcome))["told"]
    picker = await tap(tg, staff, told, "📅 Choose calendars")  # type: ignore[arg-type]
    blocking = await tap(tg, staff, picker, "➕ New calendar “Test Salon bookings”")
    assert "✅ anna@example.com: blocks my time" in buttons(blocking)
    saved = await tap(tg, staff, blocking, "💾 Save the calendars")
    assert "Saved" in saved["text"]
    return staff


async def test_busy_time_blocks_the_slot_and_free_time_does_not(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    await connect_anna(tg, google, anna_google, 901)
    google.user_add_event(anna_google.email, at(TUESDAY, 13), at(TUESDAY, 14))
    google.user_add_event(
        anna_google.email, at(TUESDAY, 15), at(TUESDAY, 16), transparency="transparent"
    )
    customer = tg.user(902, first_name="Cat")
    times = buttons(await reach_step(tg, customer, "time"))
    assert "13:00" not in times and "12:30" not in times and "13:30" not in times
    assert "14:00" in times
    assert "15:00" in times and "15:30" in times  # shown as "free" in Google: not blocking


async def test_slot_busy_in_google_before_confirm_is_refused_with_alternatives(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    await connect_anna(tg, google, anna_google, 903)
    customer = tg.user(904, first_name="Dan")
    summary = await reach_summary(tg, customer, email=None)  # 13:00 looked free
    google.user_add_event(anna_google.email, at(TUESDAY, 12, 30), at(TUESDAY, 13, 30))
    mark = tg.mark()
    await tg.press(customer, summary, text="✅ Confirm booking")
    taken = await tg.next_message(
        customer.id, since=mark, predicate=lambda m: "just taken" in m["text"]
    )
    offered = [b for b in buttons(taken) if ":" in b]
    assert offered and not any(b.endswith(("12:30", "13:00")) for b in offered), offered
    assert gbot.db is not None
    async with gbot.db.reader.execute("SELECT count(*) FROM bookings") as cur:
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]
    # One of the alternatives books.
    summary = await tap(tg, customer, taken, offered[0])
    assert "check your booking" in summary["text"]
    done = await confirm(tg, customer, summary)
    assert "booked" in done["text"].lower()


async def test_revoked_account_keeps_slots_from_hours_and_bookings(
    tg: FakeTelegram,
    google: FakeGoogle,
    gbot: BotRuntime,
    anna_google: Account,
    clock: ManualClock,
) -> None:
    staff = await connect_anna(tg, google, anna_google, 905)
    google.user_add_event(anna_google.email, at(TUESDAY, 9), at(TUESDAY, 10))
    first = tg.user(906, first_name="Eve")
    assert "09:00" not in buttons(await reach_step(tg, first, "time"))
    google.revoke_account(anna_google)
    clock.advance(timedelta(hours=2))  # cache expired; the token must be refreshed: refused
    mark = tg.mark()
    second = tg.user(907, first_name="Fay")
    times = buttons(await reach_step(tg, second, "time"))
    assert "09:00" in times and "13:00" in times
    await tg.wait_for(
        "sendMessage",
        chat_id=staff.id,
        since=mark,
        predicate=lambda c: "stopped working" in str(c.params.get("text", "")),
    )
    summary = await reach_summary(tg, second, time="09:00", email=None)
    assert "booked" in (await confirm(tg, second, summary))["text"].lower()


async def test_database_holds_nothing_of_events_the_bot_did_not_create(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    await connect_anna(tg, google, anna_google, 908)
    personal = google.add_calendar(anna_google, "Private life")
    secrets = {
        "summary": "Dentist appointment ZQXJ",
        "description": "Root canal, bring the X-rays ZQXJ",
        "attendee": "dr.molar.zqxj@example.org",
        "attendee name": "Doctor Molar Zqxj",
        "location": "Pain street 13 ZQXJ",
    }
    for calendar_id, hour in ((anna_google.email, 9), (personal.id, 15)):
        event = google.user_add_event(
            calendar_id, at(TUESDAY, hour), at(TUESDAY, hour + 1), summary=secrets["summary"]
        )
        stored = google.store.calendar(calendar_id).events[str(event["id"])].resource
        stored["description"] = secrets["description"]
        stored["location"] = secrets["location"]
        stored["attendees"] = [
            {"email": secrets["attendee"], "displayName": secrets["attendee name"]}
        ]
    # Customers browse and book; one Confirm meets the busy hour, one goes through.
    ann = tg.user(909, first_name="Ann")
    times = buttons(await reach_step(tg, ann, "time"))
    assert "09:00" not in times and "15:00" in times  # the private calendar was not chosen
    summary = await reach_summary(tg, ann, time="13:00", email="ann@example.com")
    assert day_and_time(TUESDAY, "13:00") in str(summary["text"])
    await confirm(tg, ann, summary)
    assert gbot.db is not None
    lines = [line async for line in gbot.db.reader.iterdump()]
    dump = "\n".join(lines).lower()
    assert "insert into" in dump and "ann@example.com" in dump  # the dump does hold data
    for what, text in secrets.items():
        assert text.lower() not in dump, what
    assert "zqxj" not in dump


async def test_newly_chosen_blocking_calendar_applies_at_once(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    personal = google.add_calendar(anna_google, "Personal")
    staff = await connect_anna(tg, google, anna_google, 910)
    google.user_add_event(personal.id, at(TUESDAY, 13), at(TUESDAY, 14))
    first = tg.user(911, first_name="Gil")
    assert "13:00" in buttons(await reach_step(tg, first, "time"))  # not a blocking calendar
    picker = await say(tg, staff, "/calendars")
    blocking = await tap(tg, staff, picker, "📅 Test Salon bookings")
    blocking = await tap(tg, staff, blocking, "▫️ Personal: does not block")
    assert "Saved" in (await tap(tg, staff, blocking, "💾 Save the calendars"))["text"]
    second = tg.user(912, first_name="Hal")  # the bot's clock has not moved: no cache expiry
    assert "13:00" not in buttons(await reach_step(tg, second, "time"))
