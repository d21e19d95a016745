"""The customer's whole journey through the real bot: book, see, reschedule, cancel."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from icalendar import Calendar

from bot.app import BotRuntime
from bot.booking import Contact
from bot.clock import ManualClock
from storage.bookings import Booked
from storage.db import Database
from storage.settings_store import SettingsRepository
from tests.conftest import SALON
from tests.e2e.flows import HAIRCUT, confirm, reach_summary, say, tap, tap_time
from tests.e2e.harness import bot_settings, button_url, buttons, load_business, running_bot
from tests.fakes.telegram import FakeTelegram
from tests.week import (
    SATURDAY,
    TUESDAY,
    WEDNESDAY,
    day_and_time,
    day_button,
    helsinki,
    short_day_and_time,
)


def _ics(tg: FakeTelegram, chat_id: int, index: int = -1) -> Calendar:
    document = tg.documents(chat_id)[index]
    assert document.file_name is not None
    assert document.file_name.endswith(".ics")
    return Calendar.from_ical(document.data)


async def test_book_reschedule_and_cancel(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(501, first_name="Ann", last_name="Smith")
    summary = await reach_summary(tg, ann)
    text = summary["text"]
    assert "Haircut" in text and "Anna" in text and "Ann Smith" in text
    assert "+358401234567" in text and "ann@example.com" in text
    assert f"{day_and_time(TUESDAY, '13:00')} (Helsinki time)" in text

    confirmation = await confirm(tg, ann, summary)
    assert f"{day_and_time(TUESDAY, '13:00')} (Helsinki time)" in confirmation["text"]
    url = urlsplit(button_url(confirmation, "📅 Add to Google Calendar"))
    assert (url.netloc, url.path) == ("calendar.google.com", "/calendar/render")
    query = parse_qs(url.query)
    assert query["action"] == ["TEMPLATE"]
    start, end = helsinki(TUESDAY, 13), helsinki(TUESDAY, 14)
    assert query["dates"] == [f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"]
    assert query["text"][0].startswith("Haircut")
    assert query["location"] == ["Main street 1"]

    first_ics = _ics(tg, ann.id)
    event = first_ics.walk("VEVENT")[0]
    uid = str(event["UID"])
    assert event.decoded("DTSTART").isoformat() == start.isoformat()  # in UTC: "...+00:00"
    assert int(str(event["SEQUENCE"])) == 0

    listing = await say(tg, ann, "/mybookings")
    assert f"{short_day_and_time(TUESDAY, '13:00')} – Haircut with Anna" in listing["text"]
    details = await tap(tg, ann, listing, f"{short_day_and_time(TUESDAY, '13:00')} · Haircut")
    assert set(buttons(details)) >= {"🔁 Reschedule", "✖ Cancel booking"}

    week = await tap(tg, ann, details, "🔁 Reschedule")
    slots = await tap(tg, ann, week, day_button(WEDNESDAY))
    ask = await tap_time(tg, ann, slots, "15:00")
    assert day_and_time(WEDNESDAY, "15:00") in ask["text"]
    mark = tg.mark()
    await tg.press(ann, ask, text="✅ Yes, move it")
    await tg.wait_for("sendDocument", chat_id=ann.id, since=mark)
    moved = _ics(tg, ann.id)
    moved_event = moved.walk("VEVENT")[0]
    assert str(moved_event["UID"]) == uid
    assert int(str(moved_event["SEQUENCE"])) == 1
    assert moved_event.decoded("DTSTART").isoformat() == helsinki(WEDNESDAY, 15).isoformat()

    listing = await say(tg, ann, "/mybookings")
    details = await tap(tg, ann, listing, f"{short_day_and_time(WEDNESDAY, '15:00')} · Haircut")
    ask_cancel = await tap(tg, ann, details, "✖ Cancel booking")
    mark = tg.mark()
    await tg.press(ann, ask_cancel, text="Yes, cancel it")
    await tg.wait_for("sendDocument", chat_id=ann.id, since=mark)
    cancelled = _ics(tg, ann.id)
    assert str(cancelled["METHOD"]) == "CANCEL"
    cancelled_event = cancelled.walk("VEVENT")[0]
    assert str(cancelled_event["UID"]) == uid and str(cancelled_event["STATUS"]) == "CANCELLED"
    assert int(str(cancelled_event["SEQUENCE"])) == 2

    empty = await say(tg, ann, "/mybookings")
    assert "no upcoming bookings" in empty["text"]


async def test_returning_customer_skips_contact_steps(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(502, first_name="Ann")
    await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
    menu = await say(tg, ann, "/start")
    staff = await tap(tg, ann, menu, HAIRCUT)
    week = await tap(tg, ann, staff, "Anna")
    slots = await tap(tg, ann, week, day_button(TUESDAY))
    assert "09:00" not in buttons(slots)  # taken by her first booking
    summary = await tap_time(tg, ann, slots, "14:00")
    assert "check your booking" in summary["text"] and "ann@example.com" in summary["text"]


async def test_deep_link_opens_service_and_anyone_is_assigned(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    bob = tg.user(503, first_name="Bob")
    services = await bot.services.booking.active_services()  # type: ignore[union-attr]
    staff_screen = await say(tg, bob, f"/start svc_{services[0].id}")
    assert "Who would you like to see?" in staff_screen["text"]
    week = await tap(tg, bob, staff_screen, "✨ Anyone available")
    assert "anyone available" in week["text"]
    slots = await tap(tg, bob, week, day_button(SATURDAY))  # only Ben works on Saturdays
    phone = await tap_time(tg, bob, slots, "10:00")  # his name comes from his profile
    assert "phone" in phone["text"]
    keyboard = tg.keyboard(bob.id)
    assert keyboard is not None
    assert keyboard["keyboard"][0][0]["request_contact"] is True
    mark = tg.mark()
    await tg.send_text(bob, "Skip")
    email = await tg.next_message(bob.id, since=mark, predicate=lambda m: "e-mail" in m["text"])
    summary = await tap(tg, bob, email, "Skip the e-mail")
    assert "anyone available" in summary["text"]
    confirmation = await confirm(tg, bob, summary)
    assert "with Ben" in confirmation["text"]


async def test_service_names_are_escaped(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(504)
    menu = await say(tg, ann, "/start")
    assert "Beard &amp; &lt;trim&gt;" not in menu["text"]  # the emulator stores parsed text
    assert "Beard & <trim>" in menu["text"]
    assert any(b.startswith("Beard & <trim>") for b in buttons(menu))


async def test_single_staff_service_skips_staff_step_and_back_leaves(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(505)
    menu = await say(tg, ann, "/start")
    week = await tap(tg, ann, menu, "Beard & <trim> · 30 min · €20.00")
    assert "with Anna" in week["text"] and "Pick a day" in week["text"]
    back = await tap(tg, ann, week, "« Back to services")
    assert "What would you like to book" in back["text"]


async def test_active_bookings_cap_is_refused_with_a_way_to_my_bookings(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> None:
    await load_business(db_path, SALON)
    db = await Database.open(db_path)
    try:
        await SettingsRepository(db).put_many({"business.max_active_bookings": 1})
    finally:
        await db.close()
    async with running_bot(bot_settings(tg, db_path), clock) as runtime:
        assert runtime.services is not None
        booking = runtime.services.booking
        ann = tg.user(504, first_name="Ann")
        # Ann is at the summary when a booking of hers is made elsewhere (another device):
        # Confirm is refused by the booking transaction, with a way to her bookings.
        summary = await reach_summary(tg, ann, time="14:00")
        haircut = next(s for s in await booking.active_services() if s.name == "Haircut")
        elsewhere = await booking.book(
            contact=Contact(telegram_user_id=504, name="Ann", phone=None, email=None),
            service_id=haircut.id,
            staff_id=None,
            start=helsinki(TUESDAY, 9),
            request_key="another-device",
        )
        assert isinstance(elsewhere, Booked)
        refused = await tap(tg, ann, summary, "✅ Confirm booking")
        assert "You already have 1 upcoming booking," in refused["text"]
        listing = await tap(tg, ann, refused, "📋 My bookings")
        assert short_day_and_time(TUESDAY, "09:00") in listing["text"]
        # From then on she is told at once, before choosing anything.
        menu = await say(tg, ann, "/start")
        assert "You already have 1 upcoming booking," in menu["text"]
        assert "📋 My bookings" in buttons(menu)
        assert runtime.db is not None
        async with runtime.db.reader.execute("SELECT count(*) FROM bookings") as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
