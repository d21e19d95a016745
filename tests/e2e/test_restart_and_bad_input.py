"""Restarts, stale and forged buttons, stray text and media: always a clear answer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.app import BotRuntime
from bot.clock import ManualClock
from handlers import callbacks as cb
from tests.e2e.flows import HAIRCUT, JSON, confirm, reach_summary, say, tap, tap_time
from tests.e2e.harness import bot_settings, button_callbacks, buttons, running_bot
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY, day_button, helsinki, short_day_and_time


async def test_customer_continues_after_restart(
    tg: FakeTelegram, bot: BotRuntime, db_path: Path, clock: ManualClock
) -> None:
    ann = tg.user(700, first_name="Ann")
    menu = await say(tg, ann, "/start")
    staff = await tap(tg, ann, menu, HAIRCUT)
    week = await tap(tg, ann, staff, "Anna")
    slots = await tap(tg, ann, week, day_button(TUESDAY))
    phone_prompt = await tap_time(tg, ann, slots, "13:00")
    assert "phone" in phone_prompt["text"].lower()
    await bot.stop()

    async with running_bot(bot_settings(tg, db_path), clock):
        mark = tg.mark()
        await tg.send_text(ann, "Skip")
        email = await tg.next_message(ann.id, since=mark, predicate=lambda m: "e-mail" in m["text"])
        summary = await tap(tg, ann, email, "Skip the e-mail")
        name_prompt = await tap(tg, ann, summary, "✏️ Change the name")
        assert "What name" in name_prompt["text"]
        summary = await say(tg, ann, "Ann Restarted")
        assert "Ann Restarted" in summary["text"] and "13:00" in summary["text"]
        confirmation = await confirm(tg, ann, summary)
        assert "Ann Restarted" in confirmation["text"]
        # A button from before the restart still answers, with its choice re-validated.
        old_data = next(
            b["callback_data"]
            for row in menu["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == HAIRCUT
        )
        mark = tg.mark()
        query = await tg.press_raw(ann, menu["message_id"], old_data)
        assert (await tg.callback_answer(query)).ok
        again = await tg.next_message(ann.id, since=mark)
        assert "Who would you like to see?" in again["text"]


def _has_way_back(message: JSON) -> bool:
    return any(
        isinstance(c, cb.ShowServices | cb.ShowMyBookings) for c in button_callbacks(message)
    )


async def test_forged_and_stale_buttons_get_an_answer(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(701)
    eve = tg.user(702, first_name="Eve")
    await confirm(tg, ann, await reach_summary(tg, ann, email=None))
    assert bot.db is not None
    async with bot.db.reader.execute("SELECT id FROM bookings") as cur:
        row = await cur.fetchone()
    assert row is not None
    anns_booking = row[0]
    menu = await say(tg, eve, "/start")

    for message_id, forged in (
        (menu["message_id"], "zz:1"),  # a kind of button this version does not have
        (menu["message_id"], "unknown:thing"),
        (menu["message_id"], "x" * 64),
        (menu["message_id"], "cancel:../../etc"),
        (menu["message_id"], "time:1:any:notatime"),
        (menu["message_id"], "svc:999999"),  # a service that does not exist (any more)
        (menu["message_id"], "staff:1:999999"),  # nor does this staff member
        (menu["message_id"], f"booking:{anns_booking}"),  # someone else's booking
        (menu["message_id"], f"cancel:{anns_booking}"),  # cancel it
        (menu["message_id"], f"askcancel:{anns_booking}"),
        (menu["message_id"], "confirm:abc"),  # a Confirm from a summary that is gone
        (987_654, "services:x"),  # a message that no longer exists, with nonsense data
        (987_654, "zz:1"),
    ):
        mark = tg.mark()
        query = await tg.press_raw(eve, message_id, forged)
        assert (await tg.callback_answer(query)).ok, forged
        # Always an explanation and a way back: the services list or My bookings.
        reply = await tg.next_message(eve.id, since=mark, predicate=_has_way_back)
        assert reply["text"], forged
        assert "Ann" not in reply["text"], forged

    async with bot.db.reader.execute("SELECT status FROM bookings") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["confirmed"]
    stale = await tg.press_raw(eve, menu["message_id"], "zz:1")
    assert (await tg.callback_answer(stale)).params.get("text") == "This button has expired."


async def test_stray_input_gets_hints(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(703)
    idle = await say(tg, ann, "hello?")
    assert "/start" in idle["text"]
    unknown = await say(tg, ann, "/frobnicate")
    assert "don't know that command" in unknown["text"]
    menu = await say(tg, ann, "/start")
    mark = tg.mark()
    await tg.send_sticker(ann)
    hint = await tg.next_message(ann.id, since=mark)
    assert "choose with the buttons" in hint["text"] and HAIRCUT in buttons(hint)
    staff = await tap(tg, ann, menu, HAIRCUT)
    week = await tap(tg, ann, staff, "Anna")
    slots = await tap(tg, ann, week, day_button(TUESDAY))
    await tap_time(tg, ann, slots, "13:00")
    mark = tg.mark()
    await tg.send_photo(ann)
    assert "share your phone number" in (await tg.next_message(ann.id, since=mark))["text"]
    bad_phone = await say(tg, ann, "call me maybe")
    assert "button below" in bad_phone["text"]
    mark = tg.mark()
    await tg.send_contact(ann, "+15551234567", user_id=999)
    assert "your own number" in (await tg.next_message(ann.id, since=mark))["text"]
    mark = tg.mark()
    await tg.send_text(ann, "+358 40 123 4567")
    await tg.next_message(ann.id, since=mark, predicate=lambda m: "e-mail" in m["text"])
    bad_email = await say(tg, ann, "not-an-email")
    assert "again" in bad_email["text"]
    summary = await say(tg, ann, "ann@example.com")
    await tap(tg, ann, summary, "✏️ Change the name")
    mark = tg.mark()
    await tg.send_photo(ann)
    assert "type your name" in (await tg.next_message(ann.id, since=mark))["text"]
    bad_name = await say(tg, ann, "\u202e" * 3)
    assert "name" in bad_name["text"].lower()
    summary = await say(tg, ann, "Ann")
    assert "check your booking" in summary["text"]
    left = await say(tg, ann, "/cancel")
    assert "nothing was booked" in left["text"].lower()
    after = await say(tg, ann, "just chatting")
    assert "/start" in after["text"]


async def test_help_lists_commands(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(704)
    text = (await say(tg, ann, "/help"))["text"]
    assert "/mybookings" in text and "/invite" not in text
    admin = tg.user(9001, first_name="Boss")
    assert "/invite" in (await say(tg, admin, "/help"))["text"]
    assert [c["command"] for c in tg.commands()] == ["start", "mybookings", "cancel", "help"]


async def test_cancel_refused_past_cutoff(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock
) -> None:
    ann = tg.user(705)
    await confirm(tg, ann, await reach_summary(tg, ann, email=None))
    clock.set(helsinki(TUESDAY, 13) - timedelta(hours=13))
    listing = await say(tg, ann, "/mybookings")
    details = await tap(tg, ann, listing, f"{short_day_and_time(TUESDAY, '13:00')} · Haircut")
    assert "up to 24 h before they start" in details["text"]
    assert "✖ Cancel booking" not in buttons(details)
    # A Cancel button kept from earlier (or forged) is refused by the service too.
    assert bot.db is not None
    async with bot.db.reader.execute("SELECT id FROM bookings") as cur:
        row = await cur.fetchone()
    assert row is not None
    mark = tg.mark()
    await tg.press_raw(ann, details["message_id"], f"cancel:{row[0]}")
    refused = await tg.next_message(ann.id, since=mark)
    assert "up to 24 h before they start" in refused["text"]
    async with bot.db.reader.execute("SELECT status FROM bookings") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["confirmed"]
