"""/settings end to end: services (add, edit with validation, who offers it, reorder,
archive), staff (add, hours with several ranges, days off with clashing bookings listed
first, deactivate), and staff's own /hours and /dayoff."""

from __future__ import annotations

from datetime import timedelta

from bot.app import BotRuntime
from bot.clock import ManualClock
from tests.e2e.flows import HAIRCUT, WAIT, confirm, reach_summary, say, tap
from tests.e2e.harness import ADMIN_ID, buttons
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.week import MONDAY, TUESDAY, day_button

JSON = dict[str, object]


async def screen_of(tg: FakeTelegram, admin: FakeUser, *path: str) -> JSON:
    """/settings, then the buttons `path`."""
    screen: JSON = await say(tg, admin, "/settings")
    for text in path:
        screen = await tap(tg, admin, screen, text)
    return screen


async def answer(tg: FakeTelegram, admin: FakeUser, screen: JSON, label: str, *texts: str) -> JSON:
    """Tap `label`, then type each text; the reply to the last one."""
    reply = await tap(tg, admin, screen, label)
    for text in texts:
        reply = await say(tg, admin, text)
    return reply


async def test_add_and_edit_a_service_then_customers_see_it(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    services = await screen_of(tg, admin, "💇 Services")
    assert "Haircut" in buttons(services)
    created = await answer(tg, admin, services, "➕ Add a service", "Colour & Style")
    assert "✅ Saved." in str(created["text"])
    assert "💇 Colour & Style\n" in str(created["text"])  # as Telegram shows it
    assert "Offered by: nobody yet" in str(created["text"])
    assert "?start=svc_colour-style" in str(created["text"])
    duration = await tap(tg, admin, created, "Duration")
    assert "Examples: 45m, 1h30, 90" in str(duration["text"])
    refused = await say(tg, admin, "an hour")
    assert "“an hour” is not a duration" in str(refused["text"])
    refused = await say(tg, admin, "2m")
    assert "too short: at least 5 min" in str(refused["text"])
    edited = await say(tg, admin, "1h30")
    assert "Duration: 1 h 30 min" in str(edited["text"])
    refused = await answer(tg, admin, edited, "Price", "25,505")
    assert "could mean thousands or decimals" in str(refused["text"])
    edited = await say(tg, admin, "25,50")
    assert "Price: €25.50" in str(edited["text"])
    refused = await answer(tg, admin, edited, "Buffer after", "5h")
    assert "too long: at most 4 h" in str(refused["text"])
    edited = await say(tg, admin, "15")
    assert "Buffers: 0 min before, 15 min after" in str(edited["text"])
    offer = await tap(tg, admin, edited, "👥 Who offers it")
    assert "⬜ Anna" in buttons(offer)
    offer = await tap(tg, admin, offer, "⬜ Anna")
    assert "✅ Anna" in buttons(offer)
    customer = tg.user(7401, first_name="Cy")
    menu = await say(tg, customer, "/start")
    assert "Colour & Style · 1 h 30 min · €25.50" in buttons(menu)
    # Move it up to the top, then archive it: customers no longer see it.
    service = await tap(tg, admin, offer, "« Back")
    service = await tap(tg, admin, service, "⬆ Up")
    service = await tap(tg, admin, service, "⬆ Up")
    assert "Position: 1 of 3" in str(service["text"])
    assert any("Colour" in b for b in buttons(await say(tg, customer, "/start"))[:1])
    confirm_archive = await tap(tg, admin, service, "🗄 Archive")
    assert "its bookings stay" in str(confirm_archive["text"])
    listed = await tap(tg, admin, confirm_archive, "🗄 Archive it")
    assert "✅ Saved." in str(listed["text"]) and not any("Colour" in b for b in buttons(listed))
    assert not any("Colour" in b for b in buttons(await say(tg, customer, "/start")))


async def test_archiving_the_only_service_of_someone_leaves_them_offering_nothing(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    service = await screen_of(tg, admin, "💇 Services", "Haircut", "🗄 Archive")
    listed = await tap(tg, admin, service, "🗄 Archive it")
    assert "✅ Saved." in str(listed["text"]) and "Haircut" not in buttons(listed)
    ben = await screen_of(tg, admin, "👥 Staff", "Ben")
    assert "Offers: —" in str(ben["text"])


async def test_staff_hours_days_off_and_deactivation(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    member = await screen_of(tg, admin, "👥 Staff", "Anna")
    assert "Monday: 09:00-12:00, 13:00-17:00" in str(member["text"])
    hours = await tap(tg, admin, member, "🕘 Hours")
    question = await tap(tg, admin, hours, "Monday")
    assert "Examples: 09:00-13:00, 14:00-18:00 or 9-17" in str(question["text"])
    for wrong, reason in (
        ("17-9", "ends before it starts"),
        ("9-13, 12-15", "overlap"),
        ("9-25", "is not a time of day"),
        ("mornings", "is not a range of hours"),
    ):
        refused = await say(tg, admin, wrong)
        assert reason in str(refused["text"]), wrong
    saved = await say(tg, admin, "8-11:30, 12:15-16")
    assert "Monday: 08:00-11:30, 12:15-16:00" in str(saved["text"])
    saved = await answer(tg, admin, saved, "Saturday", "9-13")
    assert "Saturday: 09:00-13:00" in str(saved["text"])
    saved = await answer(tg, admin, saved, "Monday", "off")
    assert "Monday: off" in str(saved["text"])
    # A booking on Tuesday, then a day off on it: the booking is listed first.
    customer = tg.user(7402, first_name="Cy")
    summary = await reach_summary(tg, customer)
    await confirm(tg, customer, summary)
    days = await tap(tg, admin, saved, "🏖 Days off")
    await tap(tg, admin, days, "➕ Day off")
    assert "is in the past" in str((await say(tg, admin, "2020-01-01"))["text"])
    clash = await say(tg, admin, TUESDAY.isoformat())
    assert "1 booking falls on those days" in str(clash["text"])
    assert "Haircut" in str(clash["text"]) and "Cy" in str(clash["text"])
    days = await tap(tg, admin, clash, "🏖 Take the days off")
    assert "day off" in str(days["text"])
    menu = await say(tg, customer, "/start")
    staff = await tap(tg, customer, menu, HAIRCUT)
    week = await tap(tg, customer, staff, "Anna")
    assert day_button(TUESDAY) not in buttons(week)
    # Special day, then back to the usual hours.
    special = await answer(tg, admin, days, "➕ Special day", f"{TUESDAY.isoformat()} 10-12")
    assert "10:00-12:00" in str(special["text"])
    # Deactivate: coming bookings listed, kept.
    member = await screen_of(tg, admin, "👥 Staff", "Anna", "🚫 Deactivate")
    assert "They have 1 coming booking:" in str(member["text"])
    staff_list = await tap(tg, admin, member, "🚫 Deactivate, keep the bookings")
    assert "Anna" not in buttons(staff_list)


async def test_staff_manage_their_own_hours_and_days_off(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    anna = tg.user(7403, first_name="Anna")
    ben = tg.user(7404, first_name="Ben")
    # Not staff yet: the commands do not exist for her.
    unknown = await say(tg, anna, "/nosuchcommand")
    assert (await say(tg, anna, "/hours"))["text"] == unknown["text"]
    assert tg.commands({"type": "chat", "chat_id": anna.id}) == []
    invite = await say(tg, admin, "/invite Anna")
    link = next(w for w in str(invite["text"]).split() if "start=connect_" in w)
    mark = tg.mark()
    await tg.send_text(anna, "/start " + link.split("start=")[1])
    await tg.next_message(anna.id, since=mark, timeout=WAIT)
    menu = [c["command"] for c in tg.commands({"type": "chat", "chat_id": anna.id})]
    assert "hours" in menu and "dayoff" in menu and "settings" not in menu
    hours = await say(tg, anna, "/hours")
    assert "Weekly hours of Anna" in str(hours["text"])
    assert "« Back" not in buttons(hours) and "✖ Close" in buttons(hours)
    saved = await answer(tg, anna, hours, "Friday", "9-12")
    assert "Friday: 09:00-12:00" in str(saved["text"])
    days = await say(tg, anna, f"/dayoff {TUESDAY:%d.%m.}")
    assert "Days off" in str(days["text"]) and "day off" in str(days["text"])
    # Ben (not linked) cannot reach Anna's screens with forged buttons.
    assert (await say(tg, ben, "/dayoff"))["text"] == unknown["text"]


async def test_admin_cancels_for_the_customer_who_is_told(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    customer = tg.user(7405, first_name="Cy")
    await confirm(tg, customer, await reach_summary(tg, customer))
    listing = await screen_of(tg, admin, "📋 Bookings", "Anna")
    assert "Haircut · Cy" in str(listing["text"])
    booking_button = next(b for b in buttons(listing) if b.endswith(" Cy"))
    confirm_view = await tap(tg, admin, listing, booking_button)
    assert "The customer gets a message" in str(confirm_view["text"])
    mark = tg.mark()
    done = await tap(tg, admin, confirm_view, "❌ Cancel the booking")
    assert "✅ Cancelled; the customer was told." in str(done["text"])
    told = await tg.next_message(
        customer.id, since=mark, predicate=lambda m: "cancelled" in str(m.get("text")), timeout=WAIT
    )
    assert "Your booking was cancelled</b>" not in str(told["text"])  # HTML was rendered
    assert "Your booking was cancelled by Test Salon" in str(told["text"])
    await tg.wait_for("sendDocument", chat_id=customer.id, since=mark, timeout=WAIT)
    ics = tg.documents(customer.id)[-1].data.decode()
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics
    mine = await say(tg, customer, "/mybookings")
    assert "Haircut" not in str(mine["text"])


async def test_deactivating_staff_can_cancel_their_bookings(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    customer = tg.user(7406, first_name="Cy")
    await confirm(tg, customer, await reach_summary(tg, customer))
    ask = await screen_of(tg, admin, "👥 Staff", "Anna", "🚫 Deactivate")
    mark = tg.mark()
    done = await tap(tg, admin, ask, "🚫 Deactivate, cancel them and tell the customers")
    assert "1 booking cancelled; the customer was told." in str(done["text"])
    assert "Anna" not in buttons(done)
    await tg.wait_for("sendDocument", chat_id=customer.id, since=mark, timeout=WAIT)
    assert "METHOD:CANCEL" in tg.documents(customer.id)[-1].data.decode()


async def test_admin_moves_a_booking_for_the_customer(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    customer = tg.user(7407, first_name="Cy")
    other = tg.user(7408, first_name="Di")
    await confirm(tg, customer, await reach_summary(tg, customer))  # Tuesday 13:00 with Anna
    await confirm(tg, other, await reach_summary(tg, other, time="15:00"))
    listing = await screen_of(tg, admin, "📋 Bookings", "Anna")
    booking = await tap(tg, admin, listing, next(b for b in buttons(listing) if b.endswith(" Cy")))
    question = await tap(tg, admin, booking, "🕘 Move it")
    assert "Europe/Helsinki" in str(question["text"]) and "24.12. 14:30" in str(question["text"])
    assert "Write the day and the time" in str((await say(tg, admin, "tomorrow"))["text"])
    taken = await say(tg, admin, f"{TUESDAY:%d.%m.} 15:00")
    assert "That time is not free. The nearest free times:" in str(taken["text"])
    mark = tg.mark()
    moved = await say(tg, admin, f"{TUESDAY.isoformat()} 9:00")
    assert "✅ Moved; the customer was told." in str(moved["text"])
    told = await tg.next_message(
        customer.id, since=mark, predicate=lambda m: "moved" in str(m.get("text")), timeout=WAIT
    )
    assert "Your booking was moved by Test Salon" in str(told["text"])
    assert "09:00" in str(told["text"])
    await tg.wait_for("sendDocument", chat_id=customer.id, since=mark, timeout=WAIT)
    ics = tg.documents(customer.id)[-1].data.decode()
    assert "METHOD:PUBLISH" in ics and "SEQUENCE:1" in ics


async def test_bookings_screen_shows_today_and_coming(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    early, later = tg.user(7409, first_name="Early"), tg.user(7410, first_name="Later")
    await confirm(tg, early, await reach_summary(tg, early, day=day_button(MONDAY), time="10:00"))
    await confirm(tg, later, await reach_summary(tg, later))
    clock.advance(timedelta(hours=4))  # Monday noon: the 10:00 booking is over
    listing = await screen_of(tg, admin, "📋 Bookings", "Anna")
    text = str(listing["text"])
    assert text.index("Earlier today:") < text.index("Early") < text.index("Coming:")
    assert text.index("Coming:") < text.index("Later")
    assert not any(b.endswith(" Early") for b in buttons(listing))
    assert any(b.endswith(" Later") for b in buttons(listing))


async def test_a_deactivated_staff_member_loses_the_staff_menu(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    anna = tg.user(7411, first_name="Anna")
    invite = await say(tg, admin, "/invite Anna")
    link = next(w for w in str(invite["text"]).split() if "start=connect_" in w)
    await say(tg, anna, "/start " + link.split("start=")[1])
    assert "hours" in [c["command"] for c in tg.commands({"type": "chat", "chat_id": anna.id})]
    ask = await screen_of(tg, admin, "👥 Staff", "Anna", "🚫 Deactivate")
    await tap(tg, admin, ask, "🚫 Deactivate, keep the bookings")
    assert tg.commands({"type": "chat", "chat_id": anna.id}) == []
    unknown = (await say(tg, anna, "/nosuchcommand"))["text"]
    assert (await say(tg, anna, "/hours"))["text"] == unknown


async def test_deactivating_staff_can_hand_their_bookings_to_someone_else(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    cy, di, ed = (tg.user(7412 + i, first_name=n) for i, n in enumerate(("Cy", "Di", "Ed")))
    await confirm(tg, cy, await reach_summary(tg, cy, staff="Anna", time="13:00"))
    await confirm(tg, di, await reach_summary(tg, di, staff="Ben", time="15:00"))
    await confirm(tg, ed, await reach_summary(tg, ed, staff="Anna", time="15:00"))
    ask = await screen_of(tg, admin, "👥 Staff", "Anna", "🚫 Deactivate")
    whom = await tap(tg, admin, ask, "🚫 Deactivate, hand them to someone else")
    assert "Hand the coming bookings of Anna to whom?" in str(whom["text"])
    mark = tg.mark()
    done = await tap(tg, admin, whom, "Ben")
    text = str(done["text"])
    assert "1 booking handed to Ben; the customer was told." in text
    assert "1 booking stays with Anna: Ben is not free then." in text
    told = await tg.next_message(
        cy.id, since=mark, predicate=lambda m: "now with" in str(m.get("text")), timeout=WAIT
    )
    assert "Your booking is now with Ben (same time)." in str(told["text"])
    await tg.wait_for("sendDocument", chat_id=cy.id, since=mark, timeout=WAIT)
    # Told before the admin's screen changed: the old entry removed, the new one added.
    old_ics, new_ics = (d.data.decode() for d in tg.documents(cy.id)[-2:])
    assert "METHOD:CANCEL" in old_ics and "METHOD:PUBLISH" in new_ics
    assert old_ics.split("UID:")[1][:20] != new_ics.split("UID:")[1][:20]
    mine = await say(tg, cy, "/mybookings")
    assert "Ben" in str(mine["text"]) and "Anna" not in str(mine["text"])
    assert "Anna" in str((await say(tg, ed, "/mybookings"))["text"])
    assert bot.services is not None
    (cys,) = await bot.services.booking.upcoming(cy.id)
    assert cys.staff_name == "Ben"
    history = await bot.services.booking.bookings.history(cys.id)
    assert [(h.origin, h.action) for h in history] == [("admin", "created")]
