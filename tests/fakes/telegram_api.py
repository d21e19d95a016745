"""The emulated bot's state and its Bot API methods (https://core.telegram.org/bots/api#available-methods).

`BotState` owns users, chats, messages (with edit history), files, callback queries, command
lists and the update queue. Each `api_<methodName>` coroutine implements one method: it takes
the request `Params` and returns the `result` or raises `ApiError` with Telegram's own text.
Checks run in the order the real server runs them: text and markup first, then the chat.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.fakes.telegram_model import (
    JSON,
    ApiError,
    CallbackQueryRecord,
    FakeGroup,
    FakeUser,
    Params,
    StoredFile,
    StoredMessage,
    UploadedFile,
    bad_request,
)
from tests.fakes.telegram_updates import UpdateQueue, Webhook
from tests.fakes.telegram_validate import format_text, validate_reply_markup

Handler = Callable[[Params], Awaitable[Any]]
BLOCKED = "Forbidden: bot was blocked by the user"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
_SCOPES_GLOBAL = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators")
_COMMAND = re.compile(r"[a-z0-9_]+")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
DELETE_WINDOW = 48 * 3600


@dataclass
class Described:
    """A successful result that also carries a `description` (setWebhook, deleteWebhook)."""

    result: Any
    description: str


@dataclass
class BotState:
    """Everything the emulated Telegram knows about one bot."""

    bot: JSON
    clock: Callable[[], float]
    queue: UpdateQueue
    callback_timeout: float = 15.0
    users: dict[int, FakeUser] = field(default_factory=dict)
    groups: dict[int, FakeGroup] = field(default_factory=dict)
    chats: dict[int, list[StoredMessage]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    queries: dict[str, CallbackQueryRecord] = field(default_factory=dict)
    commands: dict[tuple[tuple[object, ...], str], list[JSON]] = field(default_factory=dict)
    descriptions: dict[tuple[str, str], str] = field(default_factory=dict)
    menu_buttons: dict[int | None, JSON] = field(default_factory=dict)
    reply_keyboards: dict[int, JSON | None] = field(default_factory=dict)
    closed: bool = False
    logged_out: bool = False
    _counter: int = 0

    # ----------------------------------------------------------------- helpers

    def next_number(self) -> int:
        """A process-wide increasing number for ids."""
        self._counter += 1
        return self._counter

    def now(self) -> int:
        """Unix time of the emulator clock."""
        return int(self.clock())

    def find_message(self, chat_id: int, message_id: int | None) -> StoredMessage | None:
        """A stored message (deleted ones included) by chat and id."""
        messages = self.chats.get(chat_id, [])
        if message_id is None or not 1 <= message_id <= len(messages):
            return None
        return messages[message_id - 1]

    def add_message(
        self,
        user: FakeUser | FakeGroup,
        *,
        from_bot: bool,
        content: JSON,
        chat: FakeGroup | None = None,
    ) -> StoredMessage:
        """Append a message to a chat (the user's private chat unless `chat` is a group, or
        `user` is the group a bot message goes to); message ids count up per chat."""
        where = chat or user
        messages = self.chats.setdefault(where.id, [])
        sender = self.bot if from_bot or isinstance(user, FakeGroup) else user.as_dict()
        data: JSON = {
            "message_id": len(messages) + 1,
            "from": sender,
            "chat": where.chat_dict(),
            "date": self.now(),
            **content,
        }
        stored = StoredMessage(where.id, data["message_id"], from_bot, data)
        messages.append(stored)
        return stored

    def store_file(
        self, data: bytes, *, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep uploaded bytes under a fresh file_id."""
        n = self.next_number()
        prefix = {"documents": "BQACAgQAAxkDAAI", "photos": "AgACAgQAAxkBAAI"}.get(kind, "CAACAgI")
        ext = mimetypes.guess_extension(mime_type or "") or ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"{prefix}{n:08d}AAE",
            file_unique_id=f"AgAD{n:06d}",
            file_path=f"{kind}/file_{n}{ext}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def _chat(self, p: Params, *, sending: bool) -> FakeUser | FakeGroup:
        """The chat addressed by chat_id (private or group); 400 if unknown, 403 if blocked."""
        if not p.has("chat_id"):
            raise bad_request("chat_id is empty")
        chat_id = p.get_int("chat_id") or 0
        user: FakeUser | FakeGroup | None = self.users.get(chat_id) or self.groups.get(chat_id)
        if user is None or not user.started:
            raise bad_request("chat not found")
        if sending and user.blocked:
            raise ApiError(403, BLOCKED)
        return user

    def _markup(self, p: Params, *, inline_only: bool = False) -> JSON | None:
        raw = p.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
        return validate_reply_markup(raw, inline_only=inline_only)

    def _send(
        self, user: FakeUser | FakeGroup, p: Params, content: JSON, markup: JSON | None
    ) -> JSON:
        reply = p.get_json("reply_parameters", "can't parse reply parameters JSON object") or {}
        reply_id = reply.get("message_id") or p.get_int("reply_to_message_id")
        if reply_id is not None:
            target = self.find_message(user.id, int(reply_id))
            if target is not None and not target.deleted:
                content["reply_to_message"] = target.data
            elif not (
                reply.get("allow_sending_without_reply")
                or p.get_bool("allow_sending_without_reply")
            ):
                raise bad_request("message to be replied not found")
        if markup is not None and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        elif markup is not None:
            keep = "keyboard" in markup
            self.reply_keyboards[user.id] = markup if keep else None
        if p.get_bool("protect_content"):
            content["has_protected_content"] = True
        return self.add_message(user, from_bot=True, content=content).data

    def _editable(self, p: Params) -> StoredMessage:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        user = self._chat(p, sending=False)
        message = self.find_message(user.id, p.get_int("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _replace(self, message: StoredMessage, changes: JSON, *, edited: bool = True) -> JSON:
        old = message.data
        new = {k: v for k, v in old.items() if k not in changes or changes[k] is not None}
        new.update({k: v for k, v in changes.items() if v is not None})
        if edited:
            new["edit_date"] = self.now()
        message.history.append(old)
        message.data = new
        return new

    # ------------------------------------------------------ getting updates

    async def api_getMe(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#getme"""
        return {
            **self.bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def api_getUpdates(self, p: Params) -> list[JSON]:
        """https://core.telegram.org/bots/api#getupdates"""
        allowed = p.get_json("allowed_updates", "can't parse allowed_updates JSON array")
        return await self.queue.get_updates(
            p.get_int("offset", 0) or 0,
            p.get_int("limit", 100) or 100,
            p.get_float("timeout", 0.0) or 0.0,
            list(allowed) if isinstance(allowed, list) else None,
        )

    async def api_setWebhook(self, p: Params) -> Described:
        """https://core.telegram.org/bots/api#setwebhook (plain http is allowed here)."""
        url = (p.get_str("url") or "").strip()
        drop = p.get_bool("drop_pending_updates")
        allowed = p.get_json("allowed_updates", "can't parse allowed_updates JSON array")
        if not url:
            had = await self.queue.delete_webhook(drop_pending=drop)
            return Described(True, "Webhook was deleted" if had else "Webhook is already deleted")
        if not re.match(r"https?://[^/\s]+", url):
            raise bad_request("bad webhook: HTTPS url must be provided for webhook")
        secret = p.get_str("secret_token")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = min(max(p.get_int("max_connections", 40) or 40, 1), 100)
        self.queue.set_allowed(list(allowed) if isinstance(allowed, list) else None)
        changed = await self.queue.set_webhook(
            Webhook(url, secret, max_connections), drop_pending=drop
        )
        return Described(True, "Webhook was set" if changed else "Webhook is already set")

    async def api_deleteWebhook(self, p: Params) -> Described:
        """https://core.telegram.org/bots/api#deletewebhook"""
        had = await self.queue.delete_webhook(drop_pending=p.get_bool("drop_pending_updates"))
        return Described(True, "Webhook was deleted" if had else "Webhook is already deleted")

    async def api_getWebhookInfo(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#getwebhookinfo"""
        return self.queue.webhook_info()

    async def api_logOut(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#logout: later calls get 401."""
        self.logged_out = True
        return True

    async def api_close(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#close"""
        self.closed = True
        return True

    # ------------------------------------------------------------- messages

    async def api_sendMessage(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#sendmessage"""
        raw = p.get_str("text")
        if not raw:
            raise bad_request("message text is empty")
        entities_raw = p.get_json("entities", "can't parse entities JSON object")
        text, entities = format_text(raw, p.get_str("parse_mode"), entities_raw)
        markup = self._markup(p)
        user = self._chat(p, sending=True)
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        link_preview = p.get_json("link_preview_options", "can't parse link preview options")
        if isinstance(link_preview, dict) and link_preview:
            content["link_preview_options"] = link_preview
        return self._send(user, p, content, markup)

    async def api_sendDocument(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#senddocument"""
        caption: str = ""
        entities: list[JSON] = []
        if p.has("caption"):
            caption, entities = format_text(
                p.get_str("caption") or "",
                p.get_str("parse_mode"),
                p.get_json("caption_entities", "can't parse entities JSON object"),
                caption=True,
            )
        markup = self._markup(p)
        user = self._chat(p, sending=True)
        stored = await self._input_file(p, "document")
        content: JSON = {"document": stored.document()}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        data = self._send(user, p, content, markup)
        message = self.find_message(user.id, data["message_id"])
        assert message is not None
        message.file = stored
        return data

    async def _input_file(self, p: Params, name: str) -> StoredFile:
        """The file of an upload, a known file_id, attach://, or an HTTP URL."""
        upload: UploadedFile | None = p.files.get(name)
        ref = None if upload is not None else p.get_str(name)
        if ref is not None and ref.startswith("attach://"):
            upload = p.files.get(ref[len("attach://") :])
            ref = None
        if upload is None and not ref:
            raise bad_request(f"there is no {name} in the request")
        if ref is not None:
            if ref in self.files:
                return self.files[ref]
            if not re.match(r"https?://", ref):
                raise bad_request("wrong file identifier/HTTP URL specified")
            upload = await _download(ref)
        assert upload is not None
        if not upload.data:
            raise bad_request("file must be non-empty")
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename)[0] or mime or "application/octet-stream"
        return self.store_file(
            upload.data, kind="documents", file_name=upload.filename, mime_type=mime
        )

    async def api_getFile(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#getfile"""
        stored = self.files.get(p.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def api_editMessageText(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#editmessagetext (no reply_markup removes it)."""
        raw = p.get_str("text")
        if not raw:
            raise bad_request("message text is empty")
        entities_raw = p.get_json("entities", "can't parse entities JSON object")
        text, entities = format_text(raw, p.get_str("parse_mode"), entities_raw)
        markup = self._markup(p, inline_only=True)
        message = self._editable(p)
        if "text" not in message.data:
            raise bad_request("there is no text in the message to edit")
        old = message.data
        if (old["text"], old.get("entities", []), old.get("reply_markup")) == (
            text,
            entities,
            markup,
        ):
            raise bad_request(NOT_MODIFIED)
        return self._replace(
            message, {"text": text, "entities": entities or None, "reply_markup": markup}
        )

    async def api_editMessageCaption(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#editmessagecaption"""
        caption, entities = format_text(
            p.get_str("caption") or "",
            p.get_str("parse_mode"),
            p.get_json("caption_entities", "can't parse entities JSON object"),
            caption=True,
        )
        markup = self._markup(p, inline_only=True)
        message = self._editable(p)
        if "text" in message.data:
            raise bad_request("there is no caption in the message to edit")
        old = message.data
        current = (old.get("caption", ""), old.get("caption_entities", []), old.get("reply_markup"))
        if current == (caption, entities, markup):
            raise bad_request(NOT_MODIFIED)
        changes = {"caption": caption or None, "caption_entities": entities or None}
        return self._replace(message, {**changes, "reply_markup": markup})

    async def api_editMessageReplyMarkup(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#editmessagereplymarkup"""
        markup = self._markup(p, inline_only=True)
        message = self._editable(p)
        if message.data.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        return self._replace(message, {"reply_markup": markup}, edited=False)

    async def api_deleteMessage(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#deletemessage (48 hours, emulator clock)."""
        user = self._chat(p, sending=False)
        message = self.find_message(user.id, p.get_int("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if self.clock() - message.data["date"] > DELETE_WINDOW:
            raise bad_request("message can't be deleted for everyone")
        message.deleted = True
        return True

    async def api_sendChatAction(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#sendchataction"""
        if (p.get_str("action") or "").lower() not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._chat(p, sending=True)
        return True

    async def api_answerCallbackQuery(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#answercallbackquery (one answer, in time)."""
        query = self.queries.get(p.get_str("callback_query_id") or "")
        if (
            query is None
            or query.answered
            or self.clock() - query.created_at > self.callback_timeout
        ):
            raise bad_request(QUERY_TOO_OLD)
        text = p.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer_text = text
        query.show_alert = p.get_bool("show_alert")
        query.url = p.get_str("url")
        return True

    async def api_getChat(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#getchat"""
        user = self._chat(p, sending=False)
        return {**user.chat_dict(), "accent_color_id": 0, "max_reaction_count": 11}

    # ---------------------------------------------------- commands and menus

    def _scope(self, p: Params) -> tuple[object, ...]:
        scope = p.get_json("scope", "can't parse BotCommandScope JSON object")
        if scope is None:
            return ("default",)
        kind = scope.get("type") if isinstance(scope, dict) else None
        if kind in _SCOPES_GLOBAL:
            return (kind,)
        if kind not in ("chat", "chat_administrators", "chat_member"):
            raise bad_request("can't parse BotCommandScope: Unsupported type specified")
        assert isinstance(scope, dict)
        user = self._chat(Params({"chat_id": scope.get("chat_id")}), sending=False)
        if kind == "chat":
            return ("chat", user.id)
        if kind == "chat_member" and not scope.get("user_id"):
            raise bad_request("can't parse BotCommandScope: Invalid user_id specified")
        raise bad_request("can't use specified scope in private chats")

    @staticmethod
    def _language(p: Params) -> str:
        code = p.get_str("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise bad_request("invalid language code specified")
        return code

    async def api_setMyCommands(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#setmycommands"""
        raw = p.get_json("commands", "can't parse commands JSON object")
        if not isinstance(raw, list):
            raise bad_request("can't parse commands JSON object")
        commands: list[JSON] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("description"), str):
                raise bad_request(
                    'can\'t parse BotCommand: Field "description" must be of type String'
                )
            name = str(item.get("command", "")).removeprefix("/")
            if len(name) > 32:
                raise bad_request("command length must not exceed 32")
            if not _COMMAND.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            description = item["description"].strip()
            if not description:
                raise bad_request("command description must be non-empty")
            if len(description) > 256:
                raise bad_request("command description length must not exceed 256")
            commands.append({"command": name, "description": description})
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        key = (self._scope(p), self._language(p))
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    async def api_getMyCommands(self, p: Params) -> list[JSON]:
        """https://core.telegram.org/bots/api#getmycommands (exact scope, no fallback)."""
        return list(self.commands.get((self._scope(p), self._language(p)), []))

    async def api_deleteMyCommands(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#deletemycommands"""
        self.commands.pop((self._scope(p), self._language(p)), None)
        return True

    async def _set_text(self, p: Params, kind: str, name: str, limit: int) -> bool:
        value = (p.get_str(name) or "").strip()
        if len(value) > limit:
            raise bad_request(f"{name} is too long")
        key = (kind, self._language(p))
        if value:
            self.descriptions[key] = value
        else:
            self.descriptions.pop(key, None)
        return True

    async def api_setMyDescription(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#setmydescription"""
        return await self._set_text(p, "description", "description", 512)

    async def api_getMyDescription(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#getmydescription"""
        return {"description": self.descriptions.get(("description", self._language(p)), "")}

    async def api_setMyShortDescription(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#setmyshortdescription"""
        return await self._set_text(p, "short", "short_description", 120)

    async def api_getMyShortDescription(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#getmyshortdescription"""
        text = self.descriptions.get(("short", self._language(p)), "")
        return {"short_description": text}

    async def api_setChatMenuButton(self, p: Params) -> bool:
        """https://core.telegram.org/bots/api#setchatmenubutton"""
        chat_id = self._chat(p, sending=False).id if p.has("chat_id") else None
        button = p.get_json("menu_button", "can't parse menu button JSON object")
        if button is None:
            self.menu_buttons.pop(chat_id, None)
            return True
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise bad_request("can't parse MenuButton: Unsupported type specified")
        self.menu_buttons[chat_id] = button
        return True

    async def api_getChatMenuButton(self, p: Params) -> JSON:
        """https://core.telegram.org/bots/api#getchatmenubutton"""
        chat_id = self._chat(p, sending=False).id if p.has("chat_id") else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    def handlers(self) -> dict[str, tuple[str, Handler]]:
        """Lower-case method name -> (canonical name, coroutine)."""
        table: dict[str, tuple[str, Handler]] = {}
        for attr in dir(self):
            if attr.startswith("api_"):
                name = attr[4:]
                table[name.lower()] = (name, getattr(self, attr))
        return table


async def _download(url: str) -> UploadedFile:
    """Fetch a file Telegram was asked to take from a URL."""
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            if response.status != 200:
                raise bad_request("wrong file identifier/HTTP URL specified")
            name = url.rstrip("/").rsplit("/", 1)[-1] or "file"
            return UploadedFile(name, response.content_type, await response.read())
    except aiohttp.ClientError:
        raise bad_request("failed to get HTTP URL content") from None
