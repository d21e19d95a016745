"""/settings end to end: the remaining menu paths (new staff member from name to invite link,
service name and description, e-mail field, special days undone), forged and stale buttons,
and Telegram's limits with a large catalogue."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from tests.conftest import DATA
from tests.e2e.flows import WAIT, say, tap
from tests.e2e.google_harness import consent_url_of, invite_link, open_consent, visit
from tests.e2e.harness import ADMIN_ID, bot_settings, buttons, load_business, running_bot
from tests.e2e.test_settings_catalog import answer, screen_of
from tests.fakes.google import FakeGoogle
from tests.fakes.telegram import FakeTelegram
from tests.week import THURSDAY, day_button

JSON = dict[str, object]


async def test_new_staff_member_from_name_to_invite(tg: FakeTelegram, bot: object) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    staff = await screen_of(tg, admin, "👥 Staff")
    member = await answer(tg, admin, staff, "➕ Add a staff member", "Chloé")
    assert "They offer every service for now" in str(member["text"])
    assert "Offers: Haircut, Beard & <trim>" in str(member["text"])
    assert "Monday: off" in str(member["text"])
    services = await tap(tg, admin, member, "Services")
    services = await tap(tg, admin, services, "✅ Haircut")
    assert "⬜ Haircut" in buttons(services)
    member = await tap(tg, admin, services, "« Back")
    assert "Offers: Beard & <trim>" in str(member["text"])
    member = await answer(tg, admin, member, "Rename", "Chloe")
    assert "👤 Chloe" in str(member["text"])
    member = await tap(tg, admin, member, "⬆ Up")
    staff = await tap(tg, admin, member, "« Back")
    assert buttons(staff)[:3] == ["Anna", "Chloe", "Ben"]
    member = await tap(tg, admin, staff, "Chloe")
    mark = tg.mark()
    await tg.press(admin, member, text="🔗 Invite link")
    invite = await tg.next_message(admin.id, since=mark, timeout=WAIT)
    assert "Invite link for Chloe (single use, valid 7 days)" in str(invite["text"])
    assert "?start=connect_" in str(invite["text"])


async def test_service_texts_and_email_field(tg: FakeTelegram, bot: object) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    service = await screen_of(tg, admin, "💇 Services", "Haircut")
    too_long = "x" * 101
    await tap(tg, admin, service, "Name")
    assert "at most 100 fit" in str((await say(tg, admin, too_long))["text"])
    service = await say(tg, admin, "Haircut & wash")
    service = await answer(tg, admin, service, "Description", "Wash, cut and style.")
    assert "Description: Wash, cut and style." in str(service["text"])
    service = await answer(tg, admin, service, "Description", "-")
    assert "Description: —" in str(service["text"])
    customer = tg.user(7701)
    assert any(b.startswith("Haircut & wash") for b in buttons(await say(tg, customer, "/start")))
    email = await screen_of(tg, admin, "🏢 Business", "E-mail")
    business = await tap(tg, admin, email, "off")
    assert "E-mail: off" in str(business["text"])


async def test_special_day_undone(tg: FakeTelegram, bot: object) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    days = await screen_of(tg, admin, "👥 Staff", "Anna", "🏖 Days off")
    assert "None coming." in str(days["text"])
    await tap(tg, admin, days, "➕ Special day")
    assert "Write a date and its hours" in str((await say(tg, admin, THURSDAY.isoformat()))["text"])
    days = await say(tg, admin, f"{THURSDAY:%d.%m.} 10-12")
    assert "10:00-12:00" in str(days["text"])
    undo = next(b for b in buttons(days) if b.startswith("↩ Usual hours"))
    days = await tap(tg, admin, days, undo)
    assert "None coming." in str(days["text"])


async def test_forged_and_foreign_buttons_get_the_stale_answer(
    tg: FakeTelegram, bot: object
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    menu = await say(tg, admin, "/settings")
    message_id = int(str(menu["message_id"]))
    customer = tg.user(7702, first_name="Cy")
    await say(tg, customer, "/start")
    for data in ("cfg:svc:999:0", "cfgdo:contact:0:sometimes", "cfgask:nosuchfield:0"):
        mark = tg.mark()
        await tg.press_raw(admin, message_id, data)
        stale = await tg.next_message(admin.id, since=mark, timeout=WAIT)
        assert "That button is no longer active" in str(stale["text"]), data
    # A customer pressing an admin button (copied data) gets the same answer.
    customer_menu = tg.last_bot_message(customer.id)
    assert customer_menu is not None
    for data in ("cfg:biz:0:0", "cfgask:zone:0", "cfgdo:meet:0:switch", "cfg:hours:1:0"):
        mark = tg.mark()
        await tg.press_raw(customer, int(str(customer_menu["message_id"])), data)
        stale = await tg.next_message(customer.id, since=mark, timeout=WAIT)
        assert "That button is no longer active" in str(stale["text"]), data


async def test_large_catalogue_fits_telegram(
    tg: FakeTelegram, db_path: Path, clock: ManualClock, tmp_path: Path
) -> None:
    salon = (
        (DATA / "salon.toml")
        .read_text(encoding="utf-8")
        .replace("TEST_WEEK_WEDNESDAY", THURSDAY.isoformat())
    )
    many = "".join(
        f'\n[[services]]\nid = "s{i}"\nname = "{"Long name " * 9}{i}"\n'
        f'description = "{"d" * 900}"\nduration_minutes = 30\n'
        for i in range(120)
    )
    head, _, staff = salon.partition("[[staff]]")
    path = tmp_path / "big.toml"
    path.write_text(head + many + "\n[[staff]]" + staff, encoding="utf-8")
    await load_business(db_path, path)
    async with running_bot(bot_settings(tg, db_path), clock):
        admin = tg.user(ADMIN_ID, first_name="Ada")
        services = await screen_of(tg, admin, "💇 Services")
        assert "Page 1 of 16" in str(services["text"])
        last = await tap(tg, admin, services, "Next ▶")
        assert "Page 2 of 16" in str(last["text"])
        anna = await screen_of(tg, admin, "👥 Staff", "Anna", "Services")
        assert len(buttons(anna)) <= 100
        member = await tap(tg, admin, anna, "« Back")
        assert len(str(member["text"])) <= 4096
        export = await say(tg, admin, "/settings")
        mark = tg.mark()
        await tg.press(admin, export, text="📤 Export")
        await tg.wait_for("sendDocument", chat_id=admin.id, since=mark, timeout=WAIT)
        assert tg.documents(admin.id)[-1].data.count(b"[[services]]") == 122


async def test_staff_screen_shows_the_google_connection(
    tg: FakeTelegram, google: FakeGoogle, gbot: object
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    member = await screen_of(tg, admin, "👥 Staff", "Anna")
    assert "Telegram: not linked yet" in str(member["text"])
    assert "Google Calendar: not connected" in str(member["text"])
    account = google.add_account("anna@example.com", name="Anna")
    anna = tg.user(7703, first_name="Anna")
    welcome = await say(tg, anna, f"/start {await invite_link(tg, admin, 'Anna')}")
    google.set_consent(account)
    callback_url = await open_consent(consent_url_of(welcome))
    mark = tg.mark()
    await visit(callback_url)
    told = await tg.next_message(anna.id, since=mark, timeout=WAIT)
    picker = await tap(tg, anna, told, "📅 Choose calendars")
    blocking = await tap(tg, anna, picker, "📅 anna@example.com (primary)")
    await tap(tg, anna, blocking, "💾 Save the calendars")
    member = await screen_of(tg, admin, "👥 Staff", "Anna")
    text = str(member["text"])
    assert "Telegram: linked" in text
    assert "Google Calendar: anna@example.com (connected)" in text
    assert "• anna@example.com: bookings go here, blocks time" in text


async def test_a_business_built_from_an_empty_database(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> None:
    async with running_bot(bot_settings(tg, db_path), clock) as runtime:
        admin = tg.user(ADMIN_ID, first_name="Ada")
        customer = tg.user(7704, first_name="Cy")
        assert "not taking bookings" in str((await say(tg, customer, "/start"))["text"])
        services = await screen_of(tg, admin, "💇 Services")
        assert "No services yet." in str(services["text"])
        service = await answer(tg, admin, services, "➕ Add a service", "Massage")
        service = await answer(tg, admin, service, "Duration", "45m")
        service = await answer(tg, admin, service, "Price", "50")
        staff = await screen_of(tg, admin, "👥 Staff")
        member = await answer(tg, admin, staff, "➕ Add a staff member", "Zoe")
        assert "Offers: Massage" in str(member["text"])
        hours = await tap(tg, admin, member, "🕘 Hours")
        weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        hours = await answer(tg, admin, hours, weekday[THURSDAY.weekday()], "9-17")
        assert f"{weekday[THURSDAY.weekday()]}: 09:00-17:00" in str(hours["text"])
        menu = await say(tg, customer, "/start")
        assert "Massage · 45 min · €50.00" in buttons(menu)
        week = await tap(tg, customer, menu, "Massage · 45 min · €50.00")  # Zoe alone
        assert day_button(THURSDAY) in buttons(week)
        assert runtime.services is not None
        exported = await runtime.services.config.export_toml()
        assert 'name = "Massage"' in exported and 'thu = [\n    "09:00-17:00",\n]' in exported
