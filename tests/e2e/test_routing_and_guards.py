"""Several conversations at once, idle conversations, group chats and forged callback data."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler

from bot.app import BotRuntime
from bot.clock import ManualClock
from handlers.booking.conversation import TIMEOUT
from handlers.common import send
from handlers.context import BotContext
from handlers.prompt import State, TextStep
from handlers.registry import add_conversation
from handlers.routing import TextFor
from tests.e2e.flows import WAIT, confirm, reach_step, reach_summary, say, tap
from tests.e2e.harness import ADMIN_ID, buttons
from tests.fakes.telegram import FakeTelegram

FEEDBACK = "feedback"


async def _valid_feedback(context: BotContext, text: str) -> str:
    if len(text.strip()) < 3:
        raise ValueError("That is a bit short.")
    return text.strip()


async def _thank(update: Update, context: BotContext, text: str) -> State:
    await send(update, context, f"Thanks for the feedback: {escape(text)}")
    return ConversationHandler.END


FEEDBACK_STEP = TextStep(
    conversation=FEEDBACK,
    state="typing",
    validate=_valid_feedback,
    retry="Please write a bit more.",
    then=_thank,
)


async def _ask_feedback(update: Update, context: BotContext) -> State:
    return await FEEDBACK_STEP.ask(update, context, "What do you think of us? Type it.")


def _feedback_conversation(runtime: BotRuntime) -> ConversationHandler[BotContext]:
    """A second conversation with a text step, as the settings conversation will have."""
    assert runtime.app is not None
    return ConversationHandler(
        entry_points=[CommandHandler("feedback", _ask_feedback)],
        states={"typing": [FEEDBACK_STEP.handler(TextFor(runtime.app.user_data, FEEDBACK))]},
        fallbacks=[],
        name=FEEDBACK,
    )


async def test_text_reaches_the_conversation_that_asked(tg: FakeTelegram, bot: BotRuntime) -> None:
    assert bot.app is not None
    add_conversation(bot.app, _feedback_conversation(bot))
    ann = tg.user(7200, first_name="Ann")
    summary = await reach_summary(tg, ann, email=None)
    name_prompt = await tap(tg, ann, summary, "✏️ Change the name")
    assert "What name" in name_prompt["text"]
    # Mid-booking, another conversation asks for text: the reply goes there, re-asks included.
    assert "What do you think" in (await say(tg, ann, "/feedback"))["text"]
    assert "Please write a bit more" in (await say(tg, ann, "ok"))["text"]
    thanks = await say(tg, ann, "Lovely place")
    assert thanks["text"] == "Thanks for the feedback: Lovely place"
    # The booking still waits for the name, and gets the next text.
    summary = await say(tg, ann, "Ann Smith")
    assert "👤 Ann Smith" in summary["text"] and "Lovely" not in summary["text"]
    # And the other way round: the feedback conversation does not take the booking's text.
    assert "booked!" in (await confirm(tg, ann, summary))["text"].lower()


async def test_an_idle_booking_starts_again(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock
) -> None:
    ann = tg.user(7201, first_name="Ann")
    await reach_step(tg, ann, "phone")
    clock.advance(TIMEOUT + timedelta(minutes=1))
    mark = tg.mark()
    await tg.send_text(ann, "Ann Late")
    expired = await tg.next_message(ann.id, since=mark, timeout=WAIT)
    assert expired["text"] == "That booking step has expired. Let's start again:"
    menu = await tg.next_message(
        ann.id, since=mark, predicate=lambda m: "What would you like" in m["text"], timeout=WAIT
    )
    assert "📋 My bookings" in buttons(menu)
    # Within the timeout a summary still confirms.
    summary = await reach_summary(tg, ann, email=None)
    clock.advance(TIMEOUT - timedelta(minutes=1))
    assert "booked!" in (await confirm(tg, ann, summary))["text"].lower()


async def test_commands_in_a_group_never_reveal_anything(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Boss")
    team = tg.group(-100_200, "Salon team")
    for command in ("/invite Anna", "/links", "/mybookings", "/calendars", "/start"):
        mark = tg.mark()
        await tg.send_text(admin, command, chat=team)
        reply = await tg.next_message(team.id, since=mark, timeout=WAIT)
        assert reply["text"].startswith("Please write to me in a private chat"), command
    # Plain talk in the group is not for the bot; nothing reached the admin's private chat.
    await tg.send_text(admin, "see you all tomorrow", chat=team)
    mark = tg.mark()
    await tg.send_text(admin, "/help", chat=team)
    await tg.next_message(team.id, since=mark, timeout=WAIT)
    bot_texts = [m["text"] for m in tg.messages(team.id) if m["from"].get("is_bot")]
    assert len(bot_texts) == 6
    assert not any("connect_" in t or "start=" in t for t in bot_texts)
    assert tg.messages(admin.id) == []
    # In the private chat the admin gets the link.
    invite = await say(tg, admin, "/invite Anna")
    assert "connect_" in invite["text"]


async def test_forged_extreme_dates_get_the_stale_answer(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(7203)
    await confirm(tg, ann, await reach_summary(tg, ann, email=None))
    assert bot.db is not None
    async with bot.db.reader.execute("SELECT id FROM bookings") as cur:
        row = await cur.fetchone()
    assert row is not None
    menu = await say(tg, ann, "/start")
    for forged in (
        "week:1:any:99991231",
        "day:1:any:00010101",
        "time:1:any:99999999999",
        f"moveweek:{row[0]}:99991231",
        f"moveday:{row[0]}:00010101",
        f"movetime:{row[0]}:99999999999",
        f"move:{row[0]}:253402300799",
        # Old-style buttons from before the readable names.
        "w:1:0:99991231",
        "d:1:0:00010101",
        "z:1:0:1795860000",
    ):
        mark = tg.mark()
        query = await tg.press_raw(ann, menu["message_id"], forged)
        answer = await tg.callback_answer(query)
        assert answer.params.get("text") == "This button has expired.", forged
        reply = await tg.next_message(ann.id, since=mark, timeout=WAIT)
        assert "went wrong" not in reply["text"], forged
    async with bot.db.reader.execute("SELECT status FROM bookings") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["confirmed"]
