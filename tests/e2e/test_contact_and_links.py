"""Service deep links by setup-file id, /links for admins, and contact details that the
current settings require from returning customers."""

from __future__ import annotations

from bot.app import BotRuntime
from storage.settings_store import SettingsRepository
from tests.e2e.flows import HAIRCUT, WAIT, confirm, say, tap, tap_time
from tests.e2e.harness import ADMIN_ID, buttons
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.week import TUESDAY, day_button


async def _require(bot: BotRuntime, **fields: str) -> None:
    """Change contact settings as an admin would, effective at once."""
    assert bot.services is not None
    await SettingsRepository(bot.services.db).put_many(
        {f"business.{key}": value for key, value in fields.items()}
    )
    bot.services.booking.forget_cached()


async def _book_without_phone(tg: FakeTelegram, user: FakeUser) -> None:
    """A first booking that skips the optional phone and gives no e-mail."""
    menu = await say(tg, user, "/start")
    week = await tap(tg, user, await tap(tg, user, menu, HAIRCUT), "Anna")
    await tap_time(tg, user, await tap(tg, user, week, day_button(TUESDAY)), "09:00")
    mark = tg.mark()
    await tg.send_text(user, "Skip")
    email = await tg.next_message(user.id, since=mark, predicate=lambda m: "e-mail" in m["text"])
    await confirm(tg, user, await tap(tg, user, email, "Skip the e-mail"))


async def test_deep_link_names_the_service_by_its_setup_file_id(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(601, first_name="Ann")
    staff_screen = await say(tg, ann, "/start svc_cut")
    assert (
        "Haircut" in staff_screen["text"] and "Who would you like to see?" in staff_screen["text"]
    )
    assert "Anna" in buttons(staff_screen)
    assert "Who would you like to see?" in (await say(tg, ann, "/start svc_CUT"))["text"]

    mark = tg.mark()
    await tg.send_text(ann, "/start svc_colouring")
    refusal = await tg.next_message(ann.id, since=mark, timeout=WAIT)
    assert "not valid any more" in refusal["text"]
    menu = await tg.next_message(
        ann.id, since=mark, timeout=WAIT, predicate=lambda m: HAIRCUT in buttons(m)
    )
    assert "Pick a service" in menu["text"]

    # A service taken off the setup file keeps its id, but its link no longer opens it.
    assert bot.services is not None
    async with bot.services.db.transaction() as tx:
        await tx.execute("UPDATE services SET active = 0 WHERE slug = 'beard'")
    bot.services.booking.forget_cached()
    assert "not valid any more" in (await say(tg, ann, "/start svc_beard"))["text"]


async def test_admin_gets_a_link_per_service(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Boss")
    reply = await say(tg, admin, "/links")
    username = tg.bot_user["username"]
    assert f"https://t.me/{username}?start=svc_cut" in reply["text"]
    assert f"https://t.me/{username}?start=svc_beard" in reply["text"]
    customer = tg.user(602)
    unknown = (await say(tg, customer, "/nosuchcommand"))["text"]
    assert (await say(tg, customer, "/links"))["text"] == unknown


async def test_returning_customer_is_asked_only_for_a_newly_required_phone(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(603, first_name="Ann")
    await _book_without_phone(tg, ann)
    await _require(bot, ask_phone="required")

    menu = await say(tg, ann, "/start")
    week = await tap(tg, ann, await tap(tg, ann, menu, HAIRCUT), "Anna")
    phone_prompt = await tap_time(tg, ann, await tap(tg, ann, week, day_button(TUESDAY)), "14:00")
    assert "phone" in phone_prompt["text"].lower() and "optional" not in phone_prompt["text"]
    mark = tg.mark()
    await tg.send_text(ann, "Skip")
    refusal = await tg.next_message(ann.id, since=mark, timeout=WAIT)
    assert "We need a phone number" in refusal["text"]

    mark = tg.mark()
    await tg.send_contact(ann, "+358401234567")
    summary = await tg.next_message(
        ann.id, since=mark, timeout=WAIT, predicate=lambda m: "check your booking" in m["text"]
    )
    asked_email = [m for m in tg.messages(ann.id)[-3:] if "e-mail" in m.get("text", "")]
    assert asked_email == []  # e-mail is optional and she skipped it before: not asked again
    assert "+358401234567" in summary["text"]
    await confirm(tg, ann, summary)
    assert bot.services is not None
    saved = await bot.services.booking.customer(ann.id)
    assert saved is not None and saved.phone == "+358401234567"


async def test_confirm_asks_for_a_field_that_became_required(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ben = tg.user(604, first_name="Ben")
    await _book_without_phone(tg, ben)
    menu = await say(tg, ben, "/start")
    week = await tap(tg, ben, await tap(tg, ben, menu, HAIRCUT), "Anna")
    summary = await tap_time(tg, ben, await tap(tg, ben, week, day_button(TUESDAY)), "15:00")
    assert "check your booking" in summary["text"]

    await _require(bot, ask_email="required")
    email_prompt = await tap(tg, ben, summary, "✅ Confirm booking")
    assert "e-mail" in email_prompt["text"] and "(optional)" not in email_prompt["text"]
    assert bot.services is not None
    assert len(await bot.services.booking.upcoming(ben.id)) == 1  # not booked yet

    mark = tg.mark()
    await tg.send_text(ben, "ben@example.com")
    summary = await tg.next_message(
        ben.id, since=mark, timeout=WAIT, predicate=lambda m: "check your booking" in m["text"]
    )
    assert "ben@example.com" in summary["text"]
    await confirm(tg, ben, summary)
    assert len(await bot.services.booking.upcoming(ben.id)) == 2
