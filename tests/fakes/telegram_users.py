"""The people on the other side: simulated Telegram users who message the bot and press buttons.

Each action stores the user's message in the chat (https://core.telegram.org/bots/api#message)
and queues the update Telegram would send (https://core.telegram.org/bots/api#update):
`message` for text, contacts, photos and stickers; `callback_query` for button presses
(https://core.telegram.org/bots/api#callbackquery); `my_chat_member` when the user blocks or
restarts the bot (https://core.telegram.org/bots/api#chatmemberupdated).
"""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes.telegram_api import BotState
from tests.fakes.telegram_log import CallLog
from tests.fakes.telegram_model import (
    JSON,
    CallbackQueryRecord,
    FakeGroup,
    FakeUser,
    StoredMessage,
)
from tests.fakes.telegram_updates import UpdateQueue
from tests.fakes.telegram_validate import bot_commands

UserRef = FakeUser | int
MessageRef = JSON | StoredMessage | int


class SimulatedUsers:
    """Mixin of `FakeTelegram`: the user-side helpers."""

    state: BotState
    queue: UpdateQueue
    log: CallLog
    clock: Callable[[], float]
    _action_marks: dict[int, int]
    _last_action: int

    def message(self, chat_id: int, message: MessageRef) -> StoredMessage:
        """A stored message with its edit history (`.history`) and `.deleted` flag."""
        if isinstance(message, StoredMessage):
            return message
        message_id = message if isinstance(message, int) else int(message["message_id"])
        stored = self.state.find_message(chat_id, message_id)
        if stored is None:
            raise AssertionError(f"no message {message_id} in chat {chat_id}")
        return stored

    def user(
        self,
        id: int,
        first_name: str = "Ann",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """Get or create a Telegram user (their private chat id equals `id`)."""
        existing = self.state.users.get(id)
        if existing is not None:
            return existing
        created = FakeUser(id, first_name, last_name, username, language_code)
        self.state.users[id] = created
        return created

    def group(self, id: int, title: str = "Team chat") -> FakeGroup:
        """Get or create a group chat the bot is a member of (`id` must be negative)."""
        if id >= 0:
            raise ValueError("group chat ids are negative")
        existing = self.state.groups.get(id)
        if existing is None:
            existing = self.state.groups[id] = FakeGroup(id, title)
        return existing

    def _user(self, ref: UserRef) -> FakeUser:
        return ref if isinstance(ref, FakeUser) else self.user(ref)

    def _note_action(self, chat_id: int) -> None:
        self._last_action = self.log.seq
        self._action_marks[chat_id] = self.log.seq

    def _incoming(self, ref: UserRef, content: JSON, chat: FakeGroup | None = None) -> JSON:
        user = self._user(ref)
        if chat is None:
            if user.blocked:
                self.unblock(user)
            user.started = True
        message = self.state.add_message(user, from_bot=False, content=content, chat=chat)
        where = chat.id if chat is not None else user.id
        self._note_action(where)
        self.queue.push("message", message.data, key=where)
        return message.data

    async def send_text(self, user: UserRef, text: str, *, chat: FakeGroup | None = None) -> JSON:
        """The user sends text (in their private chat, or in the group `chat`); commands get
        `bot_command` entities. Returns the Message."""
        content: JSON = {"text": text}
        entities = bot_commands(text)
        if entities:
            content["entities"] = entities
        return self._incoming(user, content, chat)

    async def send_forwarded(
        self, user: UserRef, original_sender: UserRef | None, text: str = "Hello"
    ) -> JSON:
        """The user forwards a text message written by `original_sender`; None forwards one
        whose sender hides their account (https://core.telegram.org/bots/api#messageorigin:
        `user`, or `hidden_user` with only a name)."""
        origin: JSON
        if original_sender is None:
            origin = {"type": "hidden_user", "date": int(self.clock()), "sender_user_name": "X"}
        else:
            sender = self._user(original_sender)
            origin = {"type": "user", "date": int(self.clock()), "sender_user": sender.as_dict()}
        return self._incoming(user, {"text": text, "forward_origin": origin})

    async def send_contact(
        self,
        user: UserRef,
        phone_number: str = "+358401234567",
        user_id: int | None = None,
        *,
        first_name: str | None = None,
        own: bool = True,
    ) -> JSON:
        """The user shares a contact; by default their own (as a request_contact button does)."""
        sender = self._user(user)
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": first_name or sender.first_name,
        }
        if user_id is not None or own:
            contact["user_id"] = user_id if user_id is not None else sender.id
        if own and sender.last_name and first_name is None:
            contact["last_name"] = sender.last_name
        return self._incoming(sender, {"contact": contact})

    async def send_photo(self, user: UserRef, *, caption: str | None = None) -> JSON:
        """The user sends a photo (three sizes, like Telegram)."""
        stored = self.state.store_file(
            b"\xff\xd8\xff\xe0fakejpeg", kind="photos", file_name=None, mime_type="image/jpeg"
        )
        sizes = [
            {
                "file_id": f"{stored.file_id}{w}",
                "file_unique_id": f"{stored.file_unique_id}{w}",
                "width": w,
                "height": w * 3 // 4,
                "file_size": len(stored.data),
            }
            for w in (90, 320, 800)
        ]
        for size in sizes:
            self.state.files[str(size["file_id"])] = stored
        content: JSON = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return self._incoming(user, content)

    async def send_sticker(self, user: UserRef, emoji: str = "👍") -> JSON:
        """The user sends a sticker."""
        stored = self.state.store_file(
            b"RIFFfakewebp", kind="stickers", file_name=None, mime_type="image/webp"
        )
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.data),
        }
        return self._incoming(user, {"sticker": sticker})

    async def press(
        self,
        user: UserRef,
        message: MessageRef,
        *,
        text: str | None = None,
        data: str | None = None,
    ) -> CallbackQueryRecord:
        """Click an inline button of a bot message, by exact text or callback_data."""
        if text is None and data is None:
            raise ValueError("press() needs text= or data=")
        sender = self._user(user)
        stored = self.message(sender.id, message)
        if stored.deleted:
            raise AssertionError(f"message {stored.message_id} in chat {sender.id} was deleted")
        buttons = [b for row in stored.inline_keyboard for b in row]
        found = [
            b
            for b in buttons
            if (text is None or b.get("text") == text)
            and (data is None or b.get("callback_data") == data)
        ]
        if not found:
            listing = [(b.get("text"), b.get("callback_data") or b.get("url")) for b in buttons]
            raise AssertionError(
                f"no inline button with text={text!r} data={data!r} on message "
                f"{stored.message_id} ({stored.data.get('text', '')!r}); available: {listing}"
            )
        button = found[0]
        if "callback_data" not in button:
            raise AssertionError(
                f"button {button.get('text')!r} is not a callback button: {button}"
            )
        return self._callback(sender, stored.message_id, stored, str(button["callback_data"]))

    async def press_raw(self, user: UserRef, message_id: int, data: str) -> CallbackQueryRecord:
        """Send a callback query with arbitrary (possibly forged) data for a message id."""
        sender = self._user(user)
        stored = self.state.find_message(sender.id, message_id)
        return self._callback(sender, message_id, stored, data)

    def _callback(
        self, user: FakeUser, message_id: int, stored: StoredMessage | None, data: str
    ) -> CallbackQueryRecord:
        query_id = str(4_300_000_000_000_000_000 + self.state.next_number())
        record = CallbackQueryRecord(query_id, user.id, user.id, message_id, data, self.clock())
        self.state.queries[query_id] = record
        if stored is not None and not stored.deleted:
            message: JSON = stored.data
        else:  # https://core.telegram.org/bots/api#inaccessiblemessage
            message = {"chat": user.chat_dict(), "message_id": message_id, "date": 0}
        payload: JSON = {
            "id": query_id,
            "from": user.as_dict(),
            "message": message,
            "chat_instance": str(-(user.id * 7919 + 1_000_003)),
            "data": data,
        }
        self._note_action(user.id)
        self.queue.push("callback_query", payload, key=user.id)
        return record

    def block(self, user: UserRef) -> None:
        """The user blocks the bot: sends get 403 and a my_chat_member update is queued."""
        target = self._user(user)
        if not target.blocked:
            target.blocked = True
            self._member_update(target, "member", "kicked")

    def unblock(self, user: UserRef) -> None:
        """The user restarts the bot after blocking it."""
        target = self._user(user)
        if target.blocked:
            target.blocked = False
            self._member_update(target, "kicked", "member")

    def _member_update(self, user: FakeUser, old: str, new: str) -> None:
        def member(status: str) -> JSON:
            return {
                "user": self.state.bot,
                "status": status,
                **({"until_date": 0} if status == "kicked" else {}),
            }

        payload = {
            "chat": user.chat_dict(),
            "from": user.as_dict(),
            "date": int(self.clock()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        self.queue.push("my_chat_member", payload, key=user.id)
