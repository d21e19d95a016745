"""Leaving, stray media and changing details at each step of the booking conversation, and a way
back to the menu from any button the bot no longer knows."""

from __future__ import annotations

import pytest

from bot.app import BotRuntime
from tests.e2e.flows import (
    WAIT,
    confirm,
    leave,
    reach_step,
    reach_summary,
    say,
    tap,
)
from tests.e2e.harness import buttons
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY, day_and_time

IDLE_HINT = "I didn't catch that"


async def _bookings(bot: BotRuntime) -> list[tuple[str, str, str | None, str | None]]:
    assert bot.db is not None
    async with bot.db.reader.execute(
        "SELECT status, customer_name, customer_phone, customer_email FROM bookings"
    ) as cur:
        return [(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]


@pytest.mark.parametrize(
    ("step", "prompt"),
    [
        ("staff", "Who would you like to see?"),
        ("day", "Pick a day"),
        ("time", "Free times on"),
        ("phone", "phone number"),
    ],
)
async def test_cancel_leaves_the_conversation_at_each_step(
    tg: FakeTelegram, bot: BotRuntime, step: str, prompt: str
) -> None:
    ann = tg.user(900, first_name="Ann")
    screen = await reach_step(tg, ann, step)
    assert prompt in screen["text"]
    left = await leave(tg, ann)
    assert "nothing was booked" in left["text"].lower()
    assert tg.keyboard(ann.id) is None  # the phone step's contact keyboard is gone too
    # In a step the same text would get that step's answer (a name, a phone, "buttons above").
    after = await say(tg, ann, "Ann Smith")
    assert IDLE_HINT in after["text"], step
    assert await _bookings(bot) == []


async def test_cancel_at_the_summary_leaves_and_its_confirm_books_nothing(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(901)
    summary = await reach_summary(tg, ann)
    left = await leave(tg, ann)
    assert "nothing was booked" in left["text"].lower()
    after = await say(tg, ann, "ann@example.com")
    assert IDLE_HINT in after["text"]
    expired = await tap(tg, ann, summary, "✅ Confirm booking")
    assert "expired" in expired["text"]
    assert await _bookings(bot) == []


async def test_media_at_contact_and_summary_steps_gets_a_hint_and_keeps_the_step(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(902, first_name="Ann")
    await reach_step(tg, ann, "phone")

    mark = tg.mark()
    await tg.send_photo(ann)
    hint = await tg.next_message(ann.id, since=mark, timeout=WAIT)
    assert "share your phone number" in hint["text"]
    keyboard = tg.keyboard(ann.id)
    assert keyboard is not None and keyboard["keyboard"][0][0]["request_contact"] is True
    mark = tg.mark()
    await tg.send_contact(ann, "+358401234567")
    await tg.next_message(
        ann.id, since=mark, predicate=lambda m: "e-mail" in m["text"], timeout=WAIT
    )

    mark = tg.mark()
    await tg.send_sticker(ann)
    hint = await tg.next_message(ann.id, since=mark, timeout=WAIT)
    assert "type your e-mail address" in hint["text"]
    assert "Skip the e-mail" in buttons(hint)  # the hint comes with the step's buttons
    summary = await say(tg, ann, "ann@example.com")
    assert "check your booking" in summary["text"]

    mark = tg.mark()
    await tg.send_photo(ann, caption="my haircut idea")
    hint = await tg.next_message(ann.id, since=mark, timeout=WAIT)
    assert "Tap ✅ Confirm booking below" in hint["text"]
    assert "✅ Confirm booking" in buttons(hint) and "check your booking" in hint["text"]
    mark = tg.mark()
    await tg.send_sticker(ann)
    hint = await tg.next_message(ann.id, since=mark, timeout=WAIT)
    assert "Tap ✅ Confirm booking below" in hint["text"]

    await confirm(tg, ann, summary)
    assert await _bookings(bot) == [("confirmed", "Ann", "+358401234567", "ann@example.com")]


async def test_each_detail_is_changed_from_the_summary(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(903, first_name="Ann", last_name="Smith")
    summary = await reach_summary(tg, ann)
    assert "Ann Smith" in summary["text"] and "+358401234567" in summary["text"]

    name_prompt = await tap(tg, ann, summary, "✏️ Change the name")
    assert "What name" in name_prompt["text"]
    changed = await say(tg, ann, "Annie Jones")
    assert "check your booking" in changed["text"] and "Annie Jones" in changed["text"]

    phone_prompt = await tap(tg, ann, changed, "📱 Change the phone number")
    assert "phone" in phone_prompt["text"].lower()
    mark = tg.mark()
    await tg.send_text(ann, "+44 20 7946 0958")
    changed = await tg.next_message(
        ann.id, since=mark, predicate=lambda m: "check your booking" in m["text"], timeout=WAIT
    )
    assert tg.keyboard(ann.id) is None  # the contact keyboard went with the answer

    email_prompt = await tap(tg, ann, changed, "✉️ Change the e-mail")
    assert "e-mail" in email_prompt["text"]
    changed = await say(tg, ann, "annie@example.org")
    text = changed["text"]
    assert "Annie Jones" in text and "+442079460958" in text and "annie@example.org" in text
    assert "Ann Smith" not in text and "+358401234567" not in text and "ann@" not in text
    assert day_and_time(TUESDAY, "13:00") in text  # the chosen time is kept

    confirmation = await confirm(tg, ann, changed)
    assert "Annie Jones" in confirmation["text"]
    assert await _bookings(bot) == [
        ("confirmed", "Annie Jones", "+442079460958", "annie@example.org")
    ]
