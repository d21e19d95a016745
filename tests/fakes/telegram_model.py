"""Data model of the Telegram Bot API emulator: errors, parameters, users, messages, files.

Everything here is plain data: the emulator (`tests.fakes.telegram`) owns the behaviour.
Objects are serialised exactly as the Bot API returns them
(https://core.telegram.org/bots/api#available-types): optional fields are omitted, never null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


class ApiError(Exception):
    """An error answer of the Bot API (https://core.telegram.org/bots/api#making-requests)."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        """The JSON body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    """A 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {text}")


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 flood-control error (https://core.telegram.org/bots/api#responseparameters)."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of MessageEntity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class Params:
    """Typed access to request parameters, whatever the encoding.

    PTB sends form fields (multipart when uploading) where strings are raw and every other value
    is JSON-encoded; other clients send a JSON body
    (https://core.telegram.org/bots/api#making-requests). Both arrive here as `raw`.
    """

    def __init__(self, raw: dict[str, Any], files: dict[str, UploadedFile] | None = None) -> None:
        self.raw = raw
        self.files = files or {}

    def has(self, name: str) -> bool:
        """Whether the parameter was sent with a non-empty value."""
        return self.raw.get(name) not in (None, "")

    def get_str(self, name: str) -> str | None:
        """A string parameter (numbers are accepted and converted, as the API does)."""
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, str):
            return value
        return json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter; garbage reads as absent (the API falls back to defaults)."""
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        try:
            return int(float(str(value).strip()))
        except ValueError:
            return default

    def get_float(self, name: str, default: float | None = None) -> float | None:
        """A number parameter."""
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            return default

    def get_bool(self, name: str) -> bool:
        """A boolean parameter: true, "true", "True" or "1"."""
        value = self.raw.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        return isinstance(value, str) and value.strip().lower() in ("true", "1")

    def get_json(self, name: str, error: str) -> Any:
        """An object/array parameter, JSON-decoded when it came as a form field."""
        value = self.raw.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return value


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class FakeUser:
    """A Telegram user talking to the bot (https://core.telegram.org/bots/api#user)."""

    id: int
    first_name: str = "Ann"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    started: bool = False
    blocked: bool = False

    @property
    def chat_id(self) -> int:
        """Id of the private chat with the bot (equal to the user id)."""
        return self.id

    def as_dict(self) -> JSON:
        """The User object."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_dict(self) -> JSON:
        """The Chat object of the private chat (https://core.telegram.org/bots/api#chat)."""
        data: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class FakeGroup:
    """A group chat the bot was added to (https://core.telegram.org/bots/api#chat, type
    "group"); ids of groups are negative."""

    id: int
    title: str = "Team chat"
    started: bool = True
    blocked: bool = False

    def chat_dict(self) -> JSON:
        """The Chat object of the group."""
        return {"id": self.id, "type": "group", "title": self.title}


@dataclass
class StoredFile:
    """A file known to the emulator (https://core.telegram.org/bots/api#file)."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def document(self) -> JSON:
        """The Document object (https://core.telegram.org/bots/api#document)."""
        doc: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc


@dataclass
class StoredMessage:
    """One message of a chat: its current JSON, older versions, and whether it is gone."""

    chat_id: int
    message_id: int
    from_bot: bool
    data: JSON
    history: list[JSON] = field(default_factory=list)
    deleted: bool = False
    file: StoredFile | None = None

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """Rows of inline buttons currently attached (empty when none)."""
        markup = self.data.get("reply_markup") or {}
        rows: list[list[JSON]] = markup.get("inline_keyboard", [])
        return rows


@dataclass
class CallbackQueryRecord:
    """A button press and how the bot answered it (https://core.telegram.org/bots/api#callbackquery)."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass
class Call:
    """One Bot API request the bot made, with its outcome."""

    seq: int
    method: str
    params: JSON
    chat_id: int | None
    result: Any = None
    error_code: int | None = None
    description: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.error_code is None

    def summary(self) -> str:
        """One line for failure messages."""
        shown = {k: v for k, v in self.params.items() if k not in ("chat_id",)}
        text = json.dumps(shown, ensure_ascii=False, default=str)
        if len(text) > 160:
            text = text[:157] + "..."
        outcome = "ok" if self.ok else f"{self.error_code} {self.description}"
        return f"#{self.seq} {self.method} chat={self.chat_id} {text} -> {outcome}"
