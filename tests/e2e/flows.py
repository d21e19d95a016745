"""Customer actions through the chat, as a person would tap them."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import buttons
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.week import TUESDAY, day_button

JSON = dict[str, Any]
WAIT = 30.0  # seconds; waits end as soon as the bot answers, this only bounds a failure
HAIRCUT = "Haircut · 1 h · €45.00"


def full_name(user: FakeUser) -> str:
    """The name Telegram shows for a user."""
    return " ".join(n for n in (user.first_name, user.last_name) if n)


async def tap(tg: FakeTelegram, user: FakeUser, message: JSON, text: str) -> JSON:
    """Press a button and return the bot's next message (sent or edited)."""
    mark = tg.mark()
    await tg.press(user, message, text=text)
    return await tg.next_message(user.id, since=mark, timeout=WAIT)


PERIODS = (("Morning", 0), ("Afternoon", 12), ("Evening", 17))


async def tap_time(tg: FakeTelegram, user: FakeUser, screen: JSON, hhmm: str) -> JSON:
    """Press a time on a time screen; when the day's times come in parts (morning,
    afternoon, evening), first open the part that holds it, as a person would."""
    labels = buttons(screen)
    if hhmm not in labels:
        hour = int(hhmm[:2])
        period = [name for name, start in PERIODS if hour >= start][-1]
        part = next(label for label in labels if label.startswith(period))
        screen = await tap(tg, user, screen, part)
    return await tap(tg, user, screen, hhmm)


async def say(tg: FakeTelegram, user: FakeUser, text: str) -> JSON:
    """Send text and return the bot's next message."""
    mark = tg.mark()
    await tg.send_text(user, text)
    return await tg.next_message(user.id, since=mark, timeout=WAIT)


# The screens of a new customer's booking, in order: each is reached by one press on the last
# (the name comes from the Telegram profile, so there is no name step).
STEPS = ("services", "staff", "day", "time", "phone")


async def reach_step(
    tg: FakeTelegram,
    user: FakeUser,
    step: str,
    *,
    staff: str = "Anna",
    day: str = day_button(TUESDAY),
    time: str = "13:00",
) -> JSON:
    """From /start to the screen of `step` (one of STEPS) for a new customer, Haircut; `day` is
    the day button's text (the day of the month), Tuesday of the test week by default."""
    assert step in STEPS, step
    screen = await say(tg, user, "/start")
    presses = (HAIRCUT, staff, day, time)
    for reached, text in zip(STEPS, presses, strict=False):
        if reached == step:
            return screen
        if reached == "time":
            screen = await tap_time(tg, user, screen, text)
        else:
            screen = await tap(tg, user, screen, text)
    return screen


async def reach_summary(
    tg: FakeTelegram,
    user: FakeUser,
    *,
    staff: str = "Anna",
    day: str = day_button(TUESDAY),
    time: str = "13:00",
    email: str | None = "ann@example.com",
) -> JSON:
    """From /start to the summary for a new customer (name from profile, phone shared)."""
    phone_prompt = await reach_step(tg, user, "phone", staff=staff, day=day, time=time)
    assert "phone" in phone_prompt["text"].lower()
    mark = tg.mark()
    await tg.send_contact(user, "+358401234567")
    email_prompt = await tg.next_message(
        user.id, since=mark, predicate=lambda m: "e-mail" in m.get("text", ""), timeout=WAIT
    )
    if email is None:
        return await tap(tg, user, email_prompt, "Skip the e-mail")
    mark = tg.mark()
    await tg.send_text(user, email)
    return await tg.next_message(
        user.id,
        since=mark,
        predicate=lambda m: "check your booking" in m.get("text", ""),
        timeout=WAIT,
    )


async def confirm(tg: FakeTelegram, user: FakeUser, summary: JSON) -> JSON:
    """Press Confirm and return the confirmation message (after its .ics arrived)."""
    mark = tg.mark()
    await tg.press(user, summary, text="✅ Confirm booking")
    await tg.wait_for("sendDocument", chat_id=user.id, since=mark, timeout=WAIT)
    sent = await tg.wait_for(
        ("sendMessage", "editMessageText"),
        chat_id=user.id,
        since=mark,
        timeout=WAIT,
        predicate=lambda c: "booked!" in str(c.params.get("text", "")).lower(),
    )
    result: JSON = sent.result
    return result


async def leave(tg: FakeTelegram, user: FakeUser) -> JSON:
    """Send /cancel; return its first answer once the last one ("Tap /start…") arrived too."""
    mark = tg.mark()
    await tg.send_text(user, "/cancel")
    first = await tg.next_message(user.id, since=mark, timeout=WAIT)
    await tg.next_message(
        user.id,
        since=mark,
        predicate=lambda m: "Tap /start whenever" in m.get("text", ""),
        timeout=WAIT,
    )
    return first
