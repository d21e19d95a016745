"""/settings end to end: business values with their validation errors, a change seen by the
next customer at once, the audit log, a question surviving a restart, and settings and a
booking side by side."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.app import BotRuntime
from bot.clock import ManualClock
from handlers.settings.conversation import TIMEOUT
from tests.e2e.flows import WAIT, reach_step, say, tap
from tests.e2e.harness import ADMIN_ID, bot_settings, button_data, buttons, running_bot
from tests.fakes.telegram import FakeTelegram, FakeUser

JSON = dict[str, object]


async def open_business(tg: FakeTelegram, admin: FakeUser) -> dict[str, object]:
    """/settings, then Business."""
    menu = await say(tg, admin, "/settings")
    assert "Settings of Test Salon" in str(menu["text"])
    return await tap(tg, admin, menu, "🏢 Business")


async def answer_business(
    tg: FakeTelegram, admin: FakeUser, screen: dict[str, object], label: str, text: str
) -> dict[str, object]:
    """Tap a business value and type it."""
    await tap(tg, admin, screen, label)
    return await say(tg, admin, text)


async def test_time_zone_near_miss_is_refused_with_a_suggestion(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    business = await open_business(tg, admin)
    assert "Time zone: Europe/Helsinki" in str(business["text"])
    assert "« Back" in buttons(business) and "✖ Close" in buttons(business)
    question = await tap(tg, admin, business, "Time zone")
    assert "Example: Europe/Helsinki" in str(question["text"])
    refused = await say(tg, admin, "Helsinky")
    assert "“Helsinky” is not a time zone I know. Did you mean Europe/Helsinki?" in str(
        refused["text"]
    )
    assert "Please try again" in str(refused["text"])
    saved = await say(tg, admin, "europe/berlin")
    assert "✅ Saved." in str(saved["text"])
    assert "Time zone: Europe/Berlin" in str(saved["text"])
    assert bot.services is not None
    assert (await bot.services.booking.business()).timezone == "Europe/Berlin"


async def test_every_business_value_is_validated_and_kept_on_the_step(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    business = await open_business(tg, admin)
    cases = [
        ("Slot step", ["2m", "soon"], "1h", "Slot step: 1 h"),
        ("Notice", ["3d 7x"], "1h30", "Minimum notice: 1 h 30 min"),
        ("Horizon", ["0", "many"], "60", "Booking horizon: 60 days"),
        ("Cutoff", ["forever"], "90m", "Cancel or move until: 1 h 30 min before"),
        ("Bookings per customer", ["101"], "3", "at most 3"),
        ("Default language", ["klingon-xx"], "es", "Default language: es"),
        ("Address", [""], "Harbour road 2", "Address: Harbour road 2"),
        (
            "Reminders",
            ["2m", "1h, 1h", "1h, 2h, 3h, 4h, 5h, 6h"],
            "3h, 1d",
            "Reminders: 1 d before, 3 h before",
        ),
    ]
    screen: dict[str, object] = business
    for label, wrong, right, shown in cases:
        await tap(tg, admin, screen, label)
        for text in wrong:
            if not text:
                continue
            refused = await say(tg, admin, text)
            assert "Please try again" in str(refused["text"]), (label, text, refused["text"])
        screen = await say(tg, admin, right)
        assert "✅ Saved." in str(screen["text"]), (label, screen["text"])
        assert shown in str(screen["text"]), (label, screen["text"])
    assert bot.services is not None
    reminders = (await bot.services.booking.business()).reminder_offsets
    assert reminders == (timedelta(days=1), timedelta(hours=3))
    screen = await answer_business(tg, admin, screen, "Reminders", "off")
    assert "Reminders: off" in str(screen["text"])
    # A value valid alone but not with the others: notice longer than the horizon.
    await tap(tg, admin, screen, "Notice")
    refused = await say(tg, admin, "61d")
    assert "Not saved" in str(refused["text"]) and "horizon" in str(refused["text"])
    screen = await say(tg, admin, "2h")
    assert "Minimum notice: 2 h" in str(screen["text"])
    # Contact fields: off / optional / required buttons.
    phone = await tap(tg, admin, screen, "Phone")
    assert "✓ optional" in buttons(phone)
    screen = await tap(tg, admin, phone, "required")
    assert "Phone: required" in str(screen["text"])


async def test_a_changed_name_reaches_the_next_customer_at_once(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    customer = tg.user(7301, first_name="Cy")
    assert "Test Salon" in str((await say(tg, customer, "/start"))["text"])
    business = await open_business(tg, admin)
    await tap(tg, admin, business, "Name")
    saved = await say(tg, admin, "Salon Nova")
    assert "Name: Salon Nova" in str(saved["text"])
    assert "Salon Nova" in str((await say(tg, customer, "/start"))["text"])


async def test_changes_are_recorded_and_shown(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    business = await open_business(tg, admin)
    await tap(tg, admin, business, "Slot step")
    await say(tg, admin, "45m")
    menu = await say(tg, admin, "/settings")
    assert "Last changes:" in str(menu["text"])
    assert "business.slot_step_minutes → 45" in str(menu["text"])
    log = await tap(tg, admin, menu, "🕘 Recent changes")
    assert f"{ADMIN_ID}\nbusiness.slot_step_minutes: 30 → 45" in str(log["text"])


async def test_non_admins_get_the_unknown_command_answer(tg: FakeTelegram, bot: BotRuntime) -> None:
    customer = tg.user(7302, first_name="Cy")
    unknown = await say(tg, customer, "/nosuchcommand")
    commands = ("/settings", "/hours", "/dayoff 24.12.", "/invite Anna", "/links", "/agenda")
    for command in commands:
        answer = await say(tg, customer, command)
        assert answer["text"] == unknown["text"], command


async def test_settings_mid_booking_and_back(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    phone_prompt = await reach_step(tg, admin, "phone")
    assert "phone" in str(phone_prompt["text"]).lower()
    business = await open_business(tg, admin)
    await tap(tg, admin, business, "Address")
    saved = await say(tg, admin, "Harbour road 2")
    assert "Address: Harbour road 2" in str(saved["text"])
    # The booking still waits for the phone number and gets the next text.
    mark = tg.mark()
    await tg.send_text(admin, "+358401234567")
    email_prompt = await tg.next_message(
        admin.id, since=mark, predicate=lambda m: "e-mail" in str(m.get("text")), timeout=WAIT
    )
    assert "e-mail" in str(email_prompt["text"])


async def test_a_question_survives_a_restart(
    tg: FakeTelegram, db_path: Path, clock: ManualClock, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    business = await open_business(tg, admin)
    horizon = button_data(business, "Horizon")
    await tap(tg, admin, business, "Slot step")
    await bot.stop()
    async with running_bot(bot_settings(tg, db_path), clock):
        saved = await say(tg, admin, "20m")
        assert "Slot step: 20 min" in str(saved["text"])
        # A button of a screen shown before the restart still works.
        mark = tg.mark()
        await tg.press_raw(admin, int(str(business["message_id"])), horizon)
        again = await tg.next_message(admin.id, since=mark, timeout=WAIT)
        assert "How many days ahead" in str(again["text"])
    await bot.start()


async def test_close_and_back(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    business = await open_business(tg, admin)
    main = await tap(tg, admin, business, "« Back")
    assert "Settings of Test Salon" in str(main["text"])
    closed = await tap(tg, admin, main, "✖ Close")
    assert "Settings closed" in str(closed["text"])
    assert buttons(closed) == []
    mark = tg.mark()
    await tg.send_text(admin, "hello")
    stray = await tg.next_message(admin.id, since=mark, timeout=WAIT)
    assert "didn't catch that" in str(stray["text"])


async def test_booking_mid_settings_and_back(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    business = await open_business(tg, admin)
    await tap(tg, admin, business, "Slot step")
    # While the settings wait for the slot step, the admin books: the phone goes to the booking.
    phone_prompt = await reach_step(tg, admin, "phone")
    assert "phone" in str(phone_prompt["text"]).lower()
    mark = tg.mark()
    await tg.send_contact(admin, "+358401234567")
    email_prompt = await tg.next_message(
        admin.id, since=mark, predicate=lambda m: "e-mail" in str(m.get("text")), timeout=WAIT
    )
    summary = await tap(tg, admin, email_prompt, "Skip the e-mail")
    assert "👤 Ada" in str(summary["text"])
    # Back to the waiting settings question.
    saved = await say(tg, admin, "20m")
    assert "Slot step: 20 min" in str(saved["text"])


async def test_cancel_leaves_a_question(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    business = await open_business(tg, admin)
    question = await tap(tg, admin, business, "Name")
    assert "Or /cancel to leave it as it is." in str(question["text"])
    mark = tg.mark()
    await tg.send_sticker(admin)
    hint = await tg.next_message(admin.id, since=mark, timeout=WAIT)
    assert "Please type the answer, or send /cancel." in str(hint["text"])
    cancelled = await say(tg, admin, "/cancel")
    assert "Nothing changed." in str(cancelled["text"])
    stray = await say(tg, admin, "Salon Nova")
    assert "didn't catch that" in str(stray["text"])
    assert bot.services is not None
    assert (await bot.services.booking.business()).name == "Test Salon"


async def test_a_question_left_an_hour_expires(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    business = await open_business(tg, admin)
    await tap(tg, admin, business, "Name")
    clock.advance(TIMEOUT + timedelta(minutes=1))
    expired = await say(tg, admin, "Salon Nova")
    assert "That settings step has expired. Send /settings to start again." in str(expired["text"])
    assert bot.services is not None
    assert (await bot.services.booking.business()).name == "Test Salon"


async def test_how_customers_reach_the_business_is_set_in_chat_and_shown_to_them(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    screen = await open_business(tg, admin)
    screen = await answer_business(tg, admin, screen, "Our phone", "+358 40 765 4321")
    screen = await answer_business(tg, admin, screen, "Our Telegram", "@salon_nova")
    await tap(tg, admin, screen, "Our e-mail")
    refused = await say(tg, admin, "not an address")
    assert "Not saved" in str(refused["text"]) or "Please try again" in str(refused["text"])
    screen = await say(tg, admin, "hello@nova.example")
    shown = "+358 40 765 4321, @salon_nova, hello@nova.example"
    assert f"How customers reach you: {shown}" in str(screen["text"])
    assert bot.services is not None
    business = await bot.services.booking.business()
    assert (business.contact_phone, business.contact_telegram, business.contact_email) == (
        "+358 40 765 4321",
        "salon_nova",
        "hello@nova.example",
    )
    # Customers are told how to reach the business, at once.
    customer = tg.user(7350, first_name="Cy")
    helped = await say(tg, customer, "/help")
    assert "Contact us: +358 40 765 4321 · @salon_nova · hello@nova.example" in str(helped["text"])
    # "-" removes a value.
    screen = await answer_business(tg, admin, screen, "Our e-mail", "-")
    assert (await bot.services.booking.business()).contact_email == ""
