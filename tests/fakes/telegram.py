"""`FakeTelegram`: an emulator of the Telegram Bot API served over HTTP on 127.0.0.1.

The real PTB `Bot`/`Application` talk to it unchanged::

    async with FakeTelegram() as tg:
        bot = Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
        ann = tg.user(1001, first_name="Ann")
        await tg.send_text(ann, "/start svc_3")
        reply = await tg.next_message(ann.id)
        query = await tg.press(ann, reply, text="Mon 10:00")
        answer = await tg.callback_answer(query)

Requests are `POST|GET {base_url}{token}/{method}` with a JSON, form-encoded or multipart body
(https://core.telegram.org/bots/api#making-requests); method names are case-insensitive; a
malformed token or unknown method answers 404 "Not Found", a wrong token 401 "Unauthorized".
Files are served at `{base_file_url}{token}/{file_path}` (https://core.telegram.org/bots/api#file).

Test-side controls: simulated users (`user`, `send_text`, `send_contact`, `send_photo`,
`send_sticker`, `press`, `press_raw`, `block`), fault injection (`inject_error`, `set_latency`,
`flood_limit`), and a journal of every call with waiting (`mark`, `wait_for`, `next_message`,
`callback_answer`). Method semantics live in `telegram_api`, the update queue in
`telegram_updates`, the user side in `telegram_users`, parse modes in `telegram_markup`,
text/keyboard checks in `telegram_validate`, the call journal in `telegram_log`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import math
import re
import socket
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.telegram_api import BotState, Described, Handler
from tests.fakes.telegram_log import CallLog
from tests.fakes.telegram_model import (
    JSON,
    ApiError,
    Call,
    CallbackQueryRecord,
    FakeUser,
    Params,
    StoredFile,
    UploadedFile,
    too_many_requests,
)
from tests.fakes.telegram_updates import UpdateQueue
from tests.fakes.telegram_users import SimulatedUsers

__all__ = ["ApiError", "Call", "CallbackQueryRecord", "FakeTelegram", "FakeUser"]

_LOG = logging.getLogger(__name__)
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
MESSAGE_METHODS = (
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "sendDocument",
)
_FLOOD_METHODS = frozenset(m.lower() for m in (*MESSAGE_METHODS, "sendPhoto", "copyMessage"))
_JSON_FIELDS = frozenset(
    [
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "allowed_updates",
        "menu_button",
    ]
)
_DEFAULT_ERRORS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class FakeTelegram(SimulatedUsers):
    """The emulated Bot API server plus the simulated users talking to the bot."""

    def __init__(
        self,
        token: str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",  # noqa: S107
        *,
        bot_username: str = "bookbot_test_bot",
        bot_first_name: str = "BookBot",
        clock: Callable[[], float] = time.time,
        callback_query_timeout: float = 15.0,
        first_update_id: int = 735_000_001,
        webhook_retry_delay: float = 0.2,
        webhook_max_attempts: int | None = None,
    ) -> None:
        self.token = token
        self.clock = clock
        bot_id = int(token.split(":", 1)[0])
        bot = {"id": bot_id, "is_bot": True, "first_name": bot_first_name, "username": bot_username}
        self.queue = UpdateQueue(
            clock=clock,
            first_update_id=first_update_id,
            retry_delay=webhook_retry_delay,
            max_attempts=webhook_max_attempts,
            on_webhook_reply=self._webhook_reply,
        )
        self.state = BotState(
            bot=bot, clock=clock, queue=self.queue, callback_timeout=callback_query_timeout
        )
        self.log = CallLog()
        self.internal_errors: list[BaseException] = []
        self._handlers = self.state.handlers()
        self._errors: dict[str, collections.deque[ApiError]] = {}
        self._latency: dict[str | None, float] = {}
        self._flood_chat: float | None = None
        self._flood_global: float | None = None
        self._sent_by_chat: dict[int, collections.deque[float]] = {}
        self._sent_all: collections.deque[float] = collections.deque()
        self._action_marks: dict[int, int] = {}
        self._last_action = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------ lifecycle

    @property
    def bot_user(self) -> JSON:
        """The bot's User object (id = the number before ':' in the token)."""
        return self.state.bot

    @property
    def base_url(self) -> str:
        """Value for `Bot(base_url=...)`; ends with `/bot`."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for `Bot(base_file_url=...)`."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and serve."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._serve_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._serve_file)
        self._runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=1.0,
            handler_cancellation=True,
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Answer waiting long polls, stop webhook delivery and the server."""
        await self.queue.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---------------------------------------------------------- HTTP layer

    async def _serve_method(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if not _TOKEN.fullmatch(token):
            return self._respond(ApiError(404, "Not Found").payload(), 404)
        if token != self.token or self.state.logged_out:
            return self._respond(ApiError(401, "Unauthorized").payload(), 401)
        try:
            params = await _read_params(request)
        except ApiError as err:
            return self._respond(err.payload(), err.code)
        body, status = await self.invoke(method, params)
        return self._respond(body, status)

    @staticmethod
    def _respond(body: JSON, status: int) -> web.Response:
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json",
        )

    async def _serve_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._respond(ApiError(401, "Unauthorized").payload(), 401)
        path = request.match_info["path"]
        for stored in self.state.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return self._respond(ApiError(404, "Not Found").payload(), 404)

    async def invoke(self, method: str, params: Params) -> tuple[JSON, int]:
        """Run one Bot API call as the bot would; returns (body, HTTP status). Logged."""
        entry = self._handlers.get(method.lower())
        name = entry[0] if entry else method
        call = self.log.new_call(name, _logged_params(params), self._chat_of(name, params))
        try:
            if entry is None:
                raise ApiError(404, "Not Found")
            body = await self._run(name, entry[1], params, call)
        except ApiError as err:
            call.error_code, call.description = err.code, err.description
            body = err.payload()
        except Exception as err:
            _LOG.exception("FakeTelegram failed on %s", name)
            self.internal_errors.append(err)
            call.error_code, call.description = 500, "Internal Server Error"
            body = ApiError(500, "Internal Server Error").payload()
        finally:
            self.log.append(call)
        return body, call.error_code or 200

    async def _run(self, name: str, handler: Handler, params: Params, call: Call) -> JSON:
        delay = self._latency.get(name.lower(), self._latency.get(None, 0.0))
        if delay > 0:
            await asyncio.sleep(delay)
        for key in (name.lower(), "*"):
            queued = self._errors.get(key)
            if queued:
                raise queued.popleft()
        flooded = name.lower() in _FLOOD_METHODS and call.chat_id is not None
        if flooded:
            self._check_flood(call.chat_id or 0)
        result = await handler(params)
        body: JSON = {"ok": True}
        if isinstance(result, Described):
            body["result"], body["description"] = result.result, result.description
        else:
            body["result"] = result
        call.result = body["result"]
        if isinstance(call.result, dict) and isinstance(call.result.get("chat"), dict):
            call.chat_id = call.result["chat"]["id"]
        if flooded:
            self._record_flood(call.chat_id or 0)
        return body

    def _chat_of(self, name: str, params: Params) -> int | None:
        if name == "answerCallbackQuery":
            query = self.state.queries.get(params.get_str("callback_query_id") or "")
            return query.chat_id if query else None
        return params.get_int("chat_id")

    async def _webhook_reply(self, reply: JSON) -> None:
        method = str(reply.pop("method"))
        await self.invoke(method, Params(reply))

    # ------------------------------------------------------ fault injection

    def inject_error(
        self,
        method: str,
        code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` ("*" = any) fail with this error."""
        if code == 429:
            retry_after = 1 if retry_after is None else retry_after
            error = too_many_requests(retry_after)
            if description is not None:
                error = ApiError(429, description, retry_after=retry_after)
        else:
            text = description or _DEFAULT_ERRORS.get(code, "Internal Server Error")
            error = ApiError(code, text, retry_after=retry_after)
        queue = self._errors.setdefault(method.lower(), collections.deque())
        queue.extend([error] * times)

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Delay every call (or calls of one method) by `seconds` before answering."""
        self._latency[method.lower() if method else None] = seconds

    def flood_limit(
        self, per_chat_per_second: float | None = None, *, global_per_second: float | None = None
    ) -> None:
        """Answer 429 like Telegram when messages to one chat / overall exceed these rates.

        Counted over the last second of messages and edits Telegram accepted; the refusal is a
        429 whose `parameters.retry_after` says when the window has room again
        (https://core.telegram.org/bots/api#responseparameters)."""
        self._flood_chat = per_chat_per_second
        self._flood_global = global_per_second

    def telegram_limits(
        self, per_chat_per_second: float = 1, *, global_per_second: float = 30
    ) -> None:
        """Telegram's published limits: about one message a second in one chat and about 30 a
        second overall for bulk notifications
        (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
        A user who blocked the bot (`block`) gets 403 "Forbidden: bot was blocked by the user"
        whatever the limits."""
        self.flood_limit(per_chat_per_second, global_per_second=global_per_second)

    def _check_flood(self, chat_id: int) -> None:
        now = time.monotonic()
        windows = [(self._sent_all, self._flood_global)]
        windows.append(
            (self._sent_by_chat.setdefault(chat_id, collections.deque()), self._flood_chat)
        )
        for window, limit in windows:
            while window and now - window[0] >= 1.0:
                window.popleft()
            if limit is not None and len(window) >= max(limit, 1e-9):
                raise too_many_requests(max(1, math.ceil(1.0 - (now - window[0]))))

    def _record_flood(self, chat_id: int) -> None:
        now = time.monotonic()
        self._sent_all.append(now)
        self._sent_by_chat.setdefault(chat_id, collections.deque()).append(now)

    # ------------------------------------------------------------- waiting

    async def wait_long_poll(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a getUpdates long poll is parked on the server."""
        await asyncio.wait_for(self.queue.long_polling.wait(), timeout)

    def mark(self) -> int:
        """The current position in the call journal."""
        return self.log.seq

    def _since(self, since: int | None, chat_id: int | None) -> int:
        if since is not None:
            return since
        if chat_id is not None:
            return self._action_marks.get(chat_id, 0)
        return self._last_action

    async def wait_for(
        self,
        method: str | Iterable[str] | None,
        *,
        chat_id: int | None = None,
        since: int | None = None,
        predicate: Callable[[Call], bool] | None = None,
        ok: bool | None = True,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Call:
        """First matching call after `since` (default: last user action); else AssertionError."""
        start = self._since(since, chat_id)
        call = await self.log.wait(
            method, chat_id=chat_id, since=start, predicate=predicate, ok=ok, timeout=timeout
        )
        if call is None:
            raise AssertionError(self._timeout_report(method, chat_id, start, timeout))
        return call

    async def next_message(
        self,
        chat_id: int | FakeUser,
        *,
        since: int | None = None,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """The next message the bot sent or edited in a chat (the Message object)."""
        cid = chat_id.id if isinstance(chat_id, FakeUser) else chat_id
        check: Callable[[Call], bool] | None = None
        if predicate is not None:
            test = predicate

            def check(call: Call) -> bool:
                return test(call.result)

        call = await self.wait_for(
            MESSAGE_METHODS, chat_id=cid, since=since, predicate=check, timeout=timeout
        )
        result: JSON = call.result
        return result

    async def callback_answer(
        self,
        query: CallbackQueryRecord,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Call:
        """The bot's answerCallbackQuery for this query (text/show_alert in `.params`)."""
        return await self.wait_for(
            "answerCallbackQuery",
            chat_id=query.chat_id,
            since=0,
            predicate=lambda c: c.params.get("callback_query_id") == query.id,
            ok=None,
            timeout=timeout,
        )

    def _timeout_report(
        self, method: str | Iterable[str] | None, chat_id: int | None, since: int, timeout: float
    ) -> str:
        calls = self.log.chat_calls(chat_id) if chat_id is not None else self.log.calls
        recent = "\n".join("  " + c.summary() for c in calls[-8:]) or "  (none)"
        wanted = method if isinstance(method, str | None) else list(method)
        return (
            f"FakeTelegram: no {wanted} call for chat {chat_id} after #{since} within {timeout}s.\n"
            f"Last calls{'' if chat_id is None else f' for chat {chat_id}'}:\n{recent}"
        )

    # --------------------------------------------------------------- state

    def calls(self, method: str | None = None, *, chat_id: int | None = None) -> list[Call]:
        """Logged calls, optionally of one method and/or chat."""
        source = self.log.calls if chat_id is None else self.log.chat_calls(chat_id)
        return [c for c in source if method is None or c.method.lower() == method.lower()]

    def messages(self, chat_id: int) -> list[JSON]:
        """Current state of every message in a chat, the bot's and the user's, oldest first."""
        return [m.data for m in self.state.chats.get(chat_id, []) if not m.deleted]

    def last_bot_message(self, chat_id: int) -> JSON | None:
        """The newest message from the bot still in the chat."""
        for stored in reversed(self.state.chats.get(chat_id, [])):
            if stored.from_bot and not stored.deleted:
                return stored.data
        return None

    def documents(self, chat_id: int) -> list[StoredFile]:
        """Files the bot sent to a chat (name, mime type, bytes), oldest first."""
        return [
            m.file
            for m in self.state.chats.get(chat_id, [])
            if m.from_bot and not m.deleted and m.file is not None
        ]

    def keyboard(self, chat_id: int) -> JSON | None:
        """The reply keyboard the user currently sees, if any."""
        return self.state.reply_keyboards.get(chat_id)

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """Commands set for exactly this scope and language."""
        key: tuple[object, ...] = ("default",)
        if scope is not None:
            kind = scope["type"]
            key = (kind, scope["chat_id"]) if "chat_id" in scope else (kind,)
        return list(self.state.commands.get((key, language_code), []))

    def callback_query(self, query_id: str) -> CallbackQueryRecord:
        """A callback query record by id."""
        return self.state.queries[query_id]

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed or delivered."""
        return self.queue.pending_updates()


async def _read_params(request: web.Request) -> Params:
    """Merge query string and body (JSON, urlencoded or multipart) into Params."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            raw.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                elif isinstance(value, bytes):
                    raw[key] = value.decode("utf-8", "replace")
                else:
                    raw[key] = value
    return Params(raw, files)


def _logged_params(params: Params) -> JSON:
    logged: JSON = {}
    for key, value in params.raw.items():
        if key in _JSON_FIELDS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        logged[key] = value
    for key, upload in params.files.items():
        logged[key] = f"<file {upload.filename} {len(upload.data)} bytes>"
    return logged
