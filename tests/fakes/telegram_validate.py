"""Validation of message text and keyboards, with the Bot API's own error texts.

`format_text` applies `parse_mode` or explicit `entities`
(https://core.telegram.org/bots/api#formatting-options), trims like Telegram and enforces the
limits of https://core.telegram.org/bots/api#sendmessage ("Text of the message to be sent,
1-4096 characters after entities parsing") and of captions ("0-1024 characters after
entities parsing", https://core.telegram.org/bots/api#senddocument). Like the server, it
counts the text left after parsing (tags and `&lt;` escapes do not count, the characters
they stand for do) in UTF-16 code units, the unit of MessageEntity offsets
(https://core.telegram.org/bots/api#messageentity): an emoji outside the BMP counts 2.
Too long answers 400 "Bad Request: message is too long" / "message caption is too long".

`validate_reply_markup` checks https://core.telegram.org/bots/api#inlinekeyboardmarkup,
https://core.telegram.org/bots/api#replykeyboardmarkup, ReplyKeyboardRemove and ForceReply.
An inline keyboard of more than 100 buttons answers 400 "Bad Request: reply markup is too
long", the text the server gives (the limit is not in the Bot API page; it is what the
server enforces, see https://github.com/eternnoir/pyTelegramBotAPI/issues/511 and
https://github.com/tginfo/Telegram-Limits/issues/228: at most 100 inline buttons, 8 a row).
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram_markup import (
    SPACES,
    ParseError,
    checked_link,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
)
from tests.fakes.telegram_model import JSON, bad_request, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_INLINE_BUTTONS = 100
MAX_INLINE_ROW = 8
MARKUP_TOO_LONG = "reply markup is too long"
_ENTITY_TYPES = frozenset(
    [
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    ]
)
_BOT_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")


def format_text(
    text: str, parse_mode: str | None, entities: Any, *, caption: bool = False
) -> tuple[str, list[JSON]]:
    """Apply parse_mode or explicit entities; strip like Telegram; raise the API's errors."""
    if entities not in (None, "", []):
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise bad_request("can't parse entities JSON object")
        for entity in entities:
            if entity.get("type") not in _ENTITY_TYPES:
                raise bad_request("can't parse MessageEntity: Unsupported type specified")
        plain, parsed = text, [dict(e) for e in entities]
    elif parse_mode:
        parser = {
            "html": parse_html,
            "markdownv2": parse_markdown_v2,
            "markdown": parse_markdown,
        }.get(parse_mode.lower())
        if parser is None:
            raise bad_request("unsupported parse_mode")
        try:
            plain, parsed = parser(text)
        except ParseError as err:
            raise bad_request(f"can't parse entities: {err}") from None
    else:
        plain, parsed = text, []
    stripped = plain.lstrip(SPACES)
    shift = utf16_len(plain) - utf16_len(stripped)
    stripped = stripped.rstrip(SPACES)
    if shift or len(stripped) != len(plain):
        size = utf16_len(stripped)
        moved = []
        for e in parsed:
            start = max(e["offset"] - shift, 0)
            end = min(e["offset"] + e["length"] - shift, size)
            if end > start:
                moved.append({**e, "offset": start, "length": end - start})
        parsed = moved
    if not stripped and not caption:
        raise bad_request("text must be non-empty")
    limit = MAX_CAPTION if caption else MAX_TEXT
    if utf16_len(stripped) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    return stripped, parsed


def bot_commands(text: str) -> list[JSON]:
    """The bot_command entities Telegram detects in a user's text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        }
        for m in _BOT_COMMAND.finditer(text)
    ]


_INLINE_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _rows(markup: JSON, name: str, kind: str) -> list[list[Any]]:
    rows = markup.get(name)
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(f'field "{name}" of the {kind} should be an Array of Arrays')
    return rows


def validate_reply_markup(raw: Any, *, inline_only: bool = False) -> JSON | None:
    """Validate reply_markup; return it normalised, or raise the API's error."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in raw:
        rows = _rows(raw, "inline_keyboard", "InlineKeyboardMarkup")
        if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS or any(
            len(row) > MAX_INLINE_ROW for row in rows
        ):
            raise bad_request(MARKUP_TOO_LONG)
        clean: list[list[JSON]] = []
        for row in rows:
            clean.append([_inline_button(button) for button in row])
        return {"inline_keyboard": clean}
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in raw:
        rows = _rows(raw, "keyboard", "ReplyKeyboardMarkup")
        keyboard = [[_keyboard_button(b) for b in row] for row in rows]
        return {**raw, "keyboard": keyboard}
    if "remove_keyboard" in raw or "force_reply" in raw:
        return dict(raw)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_button(button: Any) -> JSON:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    kinds = [k for k in _INLINE_KINDS if k in button]
    if not kinds:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(kinds) > 1:
        raise bad_request(prefix + f"exactly one of the optional fields must be used, got {kinds}")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or checked_link(url) is None:
            raise bad_request("BUTTON_URL_INVALID")
    return dict(button)


def _keyboard_button(button: Any) -> JSON:
    if isinstance(button, str):
        return {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
    return dict(button)
