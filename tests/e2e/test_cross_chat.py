"""Chats do not wait for each other, but one chat's updates are handled one at a time.

The emulator answers editMessageText slowly, which holds Ann's handler in the middle of her
button press (it has answered the query and is editing the message). Bob's message, sent
while she is held, is answered before her edit finishes; Ann's own next message waits for it.
"""

from __future__ import annotations

from bot.app import BotRuntime
from tests.e2e.flows import WAIT, say
from tests.fakes.telegram import FakeTelegram

HOLD = 2.0  # seconds each editMessageText takes; Bob's whole round trip must fit inside


async def test_other_chats_are_answered_while_one_chat_is_busy(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(801, first_name="Ann")
    bob = tg.user(802, first_name="Bob")
    menu = await say(tg, ann, "/help")
    tg.set_latency(HOLD, "editMessageText")

    mark = tg.mark()
    held = await tg.press(ann, menu, text="📋 My bookings")  # answered, then edits the menu
    await tg.callback_answer(held, timeout=WAIT)  # Ann's handler is running now
    await tg.send_text(ann, "/help")  # same chat: must wait for the press to finish
    await tg.send_text(bob, "/help")  # other chat: must not wait

    bobs_reply = await tg.wait_for("sendMessage", chat_id=bob.id, since=mark, timeout=WAIT)
    assert "/mybookings" in str(bobs_reply.params["text"])
    # Ann's press is still unfinished, and her next message has not overtaken it.
    assert [c.method for c in tg.calls(chat_id=ann.id) if c.seq > mark] == ["answerCallbackQuery"]

    anns_edit = await tg.wait_for("editMessageText", chat_id=ann.id, since=mark, timeout=WAIT)
    assert "no upcoming bookings" in str(anns_edit.params["text"])
    anns_reply = await tg.wait_for("sendMessage", chat_id=ann.id, since=mark, timeout=WAIT)
    assert "/mybookings" in str(anns_reply.params["text"])
    assert bobs_reply.seq < anns_edit.seq < anns_reply.seq
