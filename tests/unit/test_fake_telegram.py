"""Tests of the Telegram Bot API emulator, driven by the real PTB `Bot` and `Application`."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes.telegram import FakeTelegram

# RetryAfter.retry_after warns about its future timedelta type; that is PTB's business.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def tg(clock: Clock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=clock, webhook_retry_delay=0.01) as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as real_bot:
        yield real_bot


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def test_get_me_describes_the_bot(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "bookbot_test_bot")


async def test_unknown_method_is_404(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert tg.calls("sendTelepathy")[0].error_code == 404


async def test_wrong_token_is_401_and_malformed_token_404(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{tg.base_url}123456:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{tg.base_url}not-a-token/getMe") as response:
            assert response.status == 404
    with pytest.raises(InvalidToken):
        await Bot("123456:WRONG", base_url=tg.base_url).get_me()


async def test_method_names_are_case_insensitive_and_json_bodies_work(tg: FakeTelegram) -> None:
    ann = tg.user(1001)
    await tg.send_text(ann, "hi")
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{tg.base_url}{tg.token}/SENDMESSAGE",
            json={"chat_id": ann.id, "text": "hello", "reply_markup": {"remove_keyboard": True}},
        ) as response,
    ):
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "hello"
    assert tg.calls("sendMessage")[0].params["reply_markup"] == {"remove_keyboard": True}


async def test_injected_429_surfaces_as_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_error("getMe", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.get_me()
    assert seconds(caught.value.retry_after) == 7
    assert tg.calls("getMe")[-1].description == "Too Many Requests: retry after 7"
    assert (await bot.get_me()).username == "bookbot_test_bot"


async def test_flood_limit_answers_429_per_chat(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1001)
    await tg.send_text(ann, "hi")
    tg.flood_limit(per_chat_per_second=2)
    await bot.send_message(ann.id, "one")
    await bot.send_message(ann.id, "two")
    with pytest.raises(RetryAfter):
        await bot.send_message(ann.id, "three")


async def test_flood_limit_answers_429_overall_with_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    users = [tg.user(1100 + i) for i in range(4)]
    for user in users:
        await tg.send_text(user, "hi")
    tg.telegram_limits(global_per_second=3)
    for user in users[:3]:
        await bot.send_message(user.id, "bulk")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(users[3].id, "one too many")
    assert seconds(caught.value.retry_after) == 1
    refused = tg.calls("sendMessage")[-1]
    assert (refused.error_code, refused.chat_id) == (429, users[3].id)


async def test_get_updates_offsets_confirm_and_forget(tg: FakeTelegram, bot: Bot) -> None:
    ann, bob = tg.user(1001), tg.user(1002, first_name="Bob")
    await tg.send_text(ann, "/start svc_3")
    await tg.send_text(bob, "hello")
    first = await bot.get_updates()
    again = await bot.get_updates()
    assert [u.update_id for u in first] == [u.update_id for u in again]
    assert first[0].message is not None
    assert first[0].message.text == "/start svc_3"
    assert first[0].message.entities[0].type == "bot_command"
    assert first[0].message.entities[0].length == len("/start")
    assert first[1].effective_user is not None
    assert first[1].effective_user.first_name == "Bob"
    assert await bot.get_updates(offset=first[-1].update_id + 1) == ()

    await tg.send_text(ann, "a")
    await tg.send_text(ann, "b")
    last = await bot.get_updates(offset=-1)
    assert [u.message.text for u in last if u.message] == ["b"]
    assert [u.update_id for u in await bot.get_updates()] == [last[0].update_id]


async def test_long_poll_wakes_on_update_and_second_poll_conflicts(
    tg: FakeTelegram, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await tg.wait_long_poll()
    await tg.send_text(tg.user(1001), "wake up")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates if u.message] == ["wake up"]

    first = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=20))
    await tg.wait_long_poll()
    async with Bot(tg.token, base_url=tg.base_url) as other_instance:
        second = asyncio.create_task(other_instance.get_updates(timeout=1))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert await second == ()


async def test_get_updates_conflicts_while_webhook_is_set(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_webhook_delivers_with_secret_and_retries(tg: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    got_one = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
        if len(received) == 1:
            return web.Response(status=500)
        got_one.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/telegram", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/telegram", secret_token="s3cr3t")
        await tg.send_text(tg.user(1001), "via webhook")
        await asyncio.wait_for(got_one.wait(), 5)
        info = await bot.get_webhook_info()
    finally:
        await runner.cleanup()
    assert [secret for secret, _ in received] == ["s3cr3t", "s3cr3t"]
    assert received[0][1] == received[1][1]
    assert received[1][1]["message"]["text"] == "via webhook"
    assert info.url == f"http://127.0.0.1:{port}/telegram"
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.pending_update_count == 0


async def test_document_upload_keeps_name_type_and_bytes(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1001)
    await tg.send_text(ann, "/start")
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    sent = await bot.send_document(
        ann.id, ics, filename="booking.ics", caption="<b>Your</b> slot", parse_mode=ParseMode.HTML
    )
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.file_size) == ("booking.ics", len(ics))
    assert sent.caption == "Your slot"
    [stored] = tg.documents(ann.id)
    assert (stored.file_name, stored.mime_type, stored.data) == (
        "booking.ics",
        "text/calendar",
        ics,
    )
    telegram_file = await bot.get_file(sent.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == ics
    again = await bot.send_document(ann.id, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id


async def test_edit_keeps_history_and_rejects_identical_content(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1001)
    await tg.send_text(ann, "/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await bot.send_message(ann.id, "Confirm?", reply_markup=keyboard)
    edited = await bot.edit_message_text("Confirmed", ann.id, sent.message_id)
    assert isinstance(edited, type(sent))
    assert edited.reply_markup is None  # editing text without reply_markup drops the keyboard
    with pytest.raises(BadRequest, match=r"(?i)message is not modified: specified new message"):
        await bot.edit_message_text("Confirmed", ann.id, sent.message_id)
    stored = tg.message(ann.id, sent.message_id)
    assert [v["text"] for v in stored.history] == ["Confirm?"]
    assert tg.last_bot_message(ann.id) == stored.data
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", ann.id, 999)
    assert await bot.delete_message(ann.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ann.id, sent.message_id)


async def test_text_validation_uses_telegrams_errors(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1001)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(ann.id, "too early")
    await tg.send_text(ann, "/start")
    cases = [
        ("<b>open", ParseMode.HTML, "can't find end tag corresponding to start tag b"),
        ("a < b", ParseMode.HTML, 'unsupported start tag "" at byte offset 2'),
        ("<foo>x</foo>", ParseMode.HTML, 'unsupported start tag "foo" at byte offset 0'),
        ("<b><i>x</b></i>", ParseMode.HTML, "unmatched end tag at byte offset 7"),
        ("Version 1.0", ParseMode.MARKDOWN_V2, "character '.' is reserved"),
    ]
    for text, mode, error in cases:
        with pytest.raises(BadRequest) as caught:
            await bot.send_message(ann.id, text, parse_mode=mode)
        assert f"can't parse entities: {error}" in str(caught.value).lower()
    ok = await bot.send_message(ann.id, "<b>1 &lt; 2</b> &amp; ok", parse_mode=ParseMode.HTML)
    assert ok.text == "1 < 2 & ok"
    assert [(e.type, e.offset, e.length) for e in ok.entities] == [("bold", 0, 5)]
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ann.id, "x" * 4097)
    assert (await bot.send_message(ann.id, "<b>x</b>" * 1000, parse_mode="HTML")).text == "x" * 1000
    too_long = InlineKeyboardButton("x", callback_data="d" * 65)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(ann.id, "hi", reply_markup=InlineKeyboardMarkup([[too_long]]))


async def test_limits_count_utf16_after_entities_and_buttons(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1002)
    await tg.send_text(ann, "/start")
    # 4096 UTF-16 units after parsing pass, whatever the markup around them...
    assert (await bot.send_message(ann.id, "&lt;" * 4096, parse_mode="HTML")).text == "<" * 4096
    # ...one more does not; an emoji outside the BMP counts two units.
    for text in ("&lt;" * 4097, "😀" * 2049, "😀" * 2048 + "x"):
        with pytest.raises(BadRequest, match=r"^Message is too long$"):
            await bot.send_message(ann.id, text, parse_mode="HTML")
    assert (await bot.send_message(ann.id, "😀" * 2048)).text == "😀" * 2048

    def keyboard(count: int, per_row: int = 4) -> InlineKeyboardMarkup:
        buttons = [InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(count)]
        return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, count, per_row)])

    sent = await bot.send_message(ann.id, "100 buttons", reply_markup=keyboard(100))
    for markup in (keyboard(101), keyboard(9, per_row=9)):
        with pytest.raises(BadRequest, match=r"^Reply markup is too long$"):
            await bot.send_message(ann.id, "too many", reply_markup=markup)
        with pytest.raises(BadRequest, match=r"^Reply markup is too long$"):
            await bot.edit_message_reply_markup(ann.id, sent.message_id, reply_markup=markup)


async def test_group_chats_carry_the_group_and_the_sender(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1003)
    team = tg.group(-1001, "Team")
    sent = await tg.send_text(ann, "/invite Anna", chat=team)
    assert sent["chat"] == {"id": -1001, "type": "group", "title": "Team"}
    assert sent["from"]["id"] == ann.id
    updates = await bot.get_updates()
    assert updates[-1].effective_chat is not None and updates[-1].effective_chat.type == "group"
    reply = await bot.send_message(team.id, "Write to me privately")
    assert reply.chat.id == team.id and tg.messages(team.id)[-1]["text"] == "Write to me privately"


async def test_reply_keyboard_with_contact_request_and_contact_reply(
    tg: FakeTelegram, bot: Bot
) -> None:
    ann = tg.user(1001, first_name="Ann", last_name="Lee")
    await tg.send_text(ann, "/start")
    ask = ReplyKeyboardMarkup([[KeyboardButton("Share phone", request_contact=True)]])
    await bot.send_message(ann.id, "Your phone?", reply_markup=ask)
    keyboard = tg.keyboard(ann.id)
    assert keyboard is not None
    assert keyboard["keyboard"][0][0] == {"text": "Share phone", "request_contact": True}
    message = await tg.send_contact(ann, phone_number="+358401234567")
    assert message["contact"] == {
        "phone_number": "+358401234567",
        "first_name": "Ann",
        "last_name": "Lee",
        "user_id": ann.id,
    }
    update = (await bot.get_updates())[-1]
    assert update.message is not None
    assert update.message.contact is not None
    assert update.message.contact.user_id == ann.id


async def test_blocked_user_gets_403(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1001)
    await tg.send_text(ann, "/start")
    tg.block(ann)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ann.id, "hello?")
    updates = await bot.get_updates()
    member = updates[-1].my_chat_member
    assert member is not None
    assert member.new_chat_member.status == "kicked"


async def test_commands_are_kept_per_scope_and_language(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1001)
    await tg.send_text(ann, "/start")
    await bot.set_my_commands([BotCommand("start", "Book a slot")])
    await bot.set_my_commands(
        [BotCommand("bookings", "Omat varaukset")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="fi",
    )
    await bot.set_my_commands([BotCommand("agenda", "Today")], scope=BotCommandScopeChat(ann.id))
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    fi = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="fi")
    assert [c.command for c in fi] == ["bookings"]
    assert tg.commands({"type": "chat", "chat_id": ann.id}) == [
        {"command": "agenda", "description": "Today"}
    ]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "bad")])
    assert await bot.delete_my_commands()
    assert tg.commands() == []


async def test_callback_queries_expire_on_the_emulator_clock(
    tg: FakeTelegram, bot: Bot, clock: Clock
) -> None:
    ann = tg.user(1001)
    await tg.send_text(ann, "/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(ann.id, "Ready?", reply_markup=keyboard)
    query = await tg.press(ann, sent.message_id, text="Go")
    clock.now += 16
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(AssertionError, match=r"available: \[\('Go', 'go'\)\]"):
        await tg.press(ann, sent.message_id, text="Stop")


async def test_application_receives_press_and_answers(tg: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Mon 10:00", callback_data="slot:mon10")]]
        )
        await update.effective_message.reply_text("Pick a time", reply_markup=keyboard)

    async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"Booked {query.data}")
        await query.edit_message_text("Booked Monday 10:00")

    app = (
        Application.builder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(picked))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=5))
        try:
            ann = tg.user(1001)
            await tg.send_text(ann, "/start")
            menu = await tg.next_message(ann.id)
            assert menu["text"] == "Pick a time"
            query = await tg.press(ann, menu, text="Mon 10:00")
            answer = await tg.callback_answer(query)
            assert answer.ok
            assert answer.params["text"] == "Booked slot:mon10"
            edited = await tg.next_message(ann.id, predicate=lambda m: "Booked" in m["text"])
            assert edited["message_id"] == menu["message_id"]
            assert tg.callback_query(query.id).answer_text == "Booked slot:mon10"
        finally:
            await app.updater.stop()
            await app.stop()
    assert tg.pending_updates() == []


async def test_wait_for_timeout_shows_recent_calls(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1001)
    await tg.send_text(ann, "/start")
    await bot.send_message(ann.id, "Hello Ann")
    with pytest.raises(AssertionError, match=r"(?s)no sendDocument call for chat 1001.*Hello Ann"):
        await tg.wait_for("sendDocument", chat_id=ann.id, timeout=0.05)


async def test_webhook_reply_can_carry_a_method(tg: FakeTelegram) -> None:
    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        reply = {
            "method": "sendMessage",
            "chat_id": update["message"]["chat"]["id"],
            "text": "pong",
        }
        return web.json_response(reply)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"{tg.base_url}{tg.token}/setWebhook"
            async with http.post(url, data={"url": f"http://127.0.0.1:{port}/hook"}) as response:
                assert json.loads(await response.text())["description"] == "Webhook was set"
        ann = tg.user(1001)
        await tg.send_text(ann, "ping")
        assert (await tg.next_message(ann.id))["text"] == "pong"
    finally:
        await tg.stop()
        await runner.cleanup()
