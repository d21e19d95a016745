"""Which button presses are answered in the webhook reply."""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, Chat, Message, Update, User

from handlers import callbacks as cb
from handlers.webhook import REMEMBERED, early_answer, was_answered

USER = User(1, "Ann", is_bot=False)


def press(data: str, query_id: str = "q1") -> Update:
    return Update(1, callback_query=CallbackQuery(query_id, USER, "ci", data=data))


def test_real_buttons_are_answered_in_the_reply() -> None:
    bot_data: dict[Any, Any] = {}
    update = press(cb.PickService(3).pack())
    assert early_answer(update, bot_data) == {
        "method": "answerCallbackQuery",
        "callback_query_id": "q1",
    }
    assert was_answered(update, bot_data)


def test_stale_forged_and_noop_buttons_are_left_to_their_handlers() -> None:
    bot_data: dict[Any, Any] = {}
    for data in ("zz:1", "svc:notanumber", cb.Noop().pack(), ""):
        update = press(data)
        assert early_answer(update, bot_data) is None
        assert not was_answered(update, bot_data)


def test_messages_get_no_reply_and_memory_is_bounded() -> None:
    bot_data: dict[Any, Any] = {}
    message = Message(1, None, Chat(1, "private"), text="hi")  # type: ignore[arg-type]
    assert early_answer(Update(2, message=message), bot_data) is None
    for i in range(REMEMBERED + 5):
        early_answer(press(cb.ShowServices().pack(), f"q{i}"), bot_data)
    assert len(bot_data["preanswered"]) == REMEMBERED
    assert not was_answered(press("sv", "q0"), bot_data)
    assert was_answered(press("sv", f"q{REMEMBERED + 4}"), bot_data)
