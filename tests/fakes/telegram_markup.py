"""Formatted text and keyboards as the Bot API parses and validates them.

Ported from the behaviour of TDLib's `parse_html`, `parse_markdown_v2` and `parse_markdown`
(td/telegram/MessageEntity.cpp), which the Bot API server runs for `parse_mode`
(https://core.telegram.org/bots/api#formatting-options), including their error texts, and the
keyboard checks of https://core.telegram.org/bots/api#inlinekeyboardmarkup and
https://core.telegram.org/bots/api#replykeyboardmarkup.

Offsets in entities are UTF-16 code units; offsets in error texts are UTF-8 byte offsets.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.fakes.telegram_model import JSON, utf16_len

_HTML_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    ]
)
_HTML_ENTITY_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
SPACES = " \t\r\n\0\v\f"


class ParseError(Exception):
    """A parse_mode error; the API reports it as "can't parse entities: <message>"."""


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def checked_link(url: str) -> str | None:
    """Normalise a link like TDLib's LinkManager::getchecked_link; None if unusable."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url and not url.lower().startswith(("tg:", "mailto:")):
        url = "http://" + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("tg", "ton", "mailto"):
        return url
    if scheme not in ("http", "https", "ftp") or not parts.hostname or " " in url:
        return None
    if "." not in parts.hostname and parts.hostname != "localhost":
        return None
    if not parts.path and not parts.query and not parts.fragment:
        url += "/"
    return url


def _link_entity(offset: int, length: int, url: str) -> JSON | None:
    match = re.fullmatch(r"tg://user\?id=(\d+)", url.strip())
    if match:
        user = {"id": int(match.group(1)), "is_bot": False, "first_name": ""}
        return {"type": "text_mention", "offset": offset, "length": length, "user": user}
    checked = checked_link(url)
    if checked is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


def _decode_html_entity(src: str, pos: int) -> tuple[int, int]:
    """Decode `&...;` at pos: (code point or 0, position after it)."""
    end = pos + 1
    code = 0
    if src[end : end + 1] == "#":
        end += 1
        if src[end : end + 1] == "x":
            end += 1
            while end < len(src) and src[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(src[end], 16)
                end += 1
        else:
            while end < len(src) and src[end].isascii() and src[end].isdigit():
                code = code * 10 + int(src[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < len(src) and src[end].isascii() and src[end].isalpha():
            end += 1
        code = {"lt": 60, "gt": 62, "amp": 38, "quot": 34}.get(src[pos + 1 : end], 0)
        if code == 0:
            return 0, pos
    if src[end : end + 1] == ";":
        end += 1
    return code, end


def parse_html(src: str) -> tuple[str, list[JSON]]:
    """Parse `parse_mode=HTML` text into plain text and entities."""
    out: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, len(out)
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else "\0"

    def fail(message: str) -> ParseError:
        return ParseError(message)

    i = 0
    while i < n:
        c = src[i]
        if c == "&":
            code, after = _decode_html_entity(src, i)
            if code:
                ch = chr(code)
                out.append(ch)
                utf16 += utf16_len(ch)
                i = after
                continue
        if c != "<":
            out.append(c)
            utf16 += utf16_len(c)
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in SPACES and at(i) != ">":
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            tag = src[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise fail(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                )
            argument = ""
            while at(i) != ">":
                while i < n and at(i) in SPACES:
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while at(i) not in SPACES and at(i) != "=":
                    i += 1
                attr = src[attr_begin:i]
                if not attr:
                    raise fail(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(src, begin)}"
                    )
                while i < n and at(i) in SPACES:
                    i += 1
                if at(i) != "=":
                    raise fail(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                i += 1
                while i < n and at(i) in SPACES:
                    i += 1
                if i >= n:
                    raise fail(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                if at(i) not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = src[token_begin:i].lower()
                    if at(i) not in SPACES and at(i) != ">":
                        raise fail(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(src, token_begin)}"
                        )
                else:
                    quote = src[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and src[i] != quote:
                        if src[i] == "&":
                            code, after = _decode_html_entity(src, i)
                            if code:
                                chars.append(chr(code))
                                i = after
                                continue
                        chars.append(src[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise fail(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(src, begin)}"
                )
            stack.append((tag, argument, utf16, len(out)))
        else:
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
            while at(i) not in SPACES and at(i) != ">":
                i += 1
            end_tag = src[begin + 2 : i].lower()
            while i < n and at(i) in SPACES:
                i += 1
            if at(i) != ">":
                raise fail(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
            tag, argument, offset, out_pos = stack.pop()
            if end_tag and end_tag != tag:
                raise fail(
                    f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                    f'expected "</{tag}>", found "</{end_tag}>"'
                )
            length = utf16 - offset
            if length > 0:
                _close_html_entity(entities, tag, argument, offset, length, "".join(out[out_pos:]))
        i += 1
    if stack:
        raise ParseError(f"Can't find end tag corresponding to start tag {stack[-1][0]}")
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), _sorted(entities)


def _close_html_entity(
    entities: list[JSON], tag: str, argument: str, offset: int, length: int, inner: str
) -> None:
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag in _HTML_ENTITY_TYPE:
        entities.append({"type": _HTML_ENTITY_TYPE[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise ParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )
    elif tag == "a":
        entity = _link_entity(offset, length, argument or inner)
        if entity is not None:
            entities.append(entity)
    elif tag == "pre":
        if last is not None and same_span and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        if last is not None and same_span and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            entity = {"type": "code", "offset": offset, "length": length}
            if argument:
                entity["language"] = argument
            entities.append(entity)


_PRIORITY = {"blockquote": 0, "pre": 11, "code": 20, "text_link": 49, "text_mention": 49}


def _sorted(entities: list[JSON]) -> list[JSON]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 90)))


_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(src: str) -> tuple[str, list[JSON]]:
    """Parse `parse_mode=MarkdownV2` text (https://core.telegram.org/bots/api#markdownv2-style)."""
    out: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    stack: list[tuple[str, str, int, int, int]] = []  # type, arg, utf16, byte offset, len(out)
    quote_start: int | None = None
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else "\0"

    def reserved(ch: str) -> ParseError:
        return ParseError(
            f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
        )

    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and 0 < ord(at(i + 1)) <= 126:
            out.append(src[i + 1])
            utf16 += 1
            i += 2
            continue
        top = stack[-1][0] if stack else None
        if top in ("code", "pre") and c != "`":
            out.append(c)
            utf16 += utf16_len(c)
            i += 1
            continue
        if c == "\n" and quote_start is not None and at(i + 1) != ">":
            if utf16 > quote_start:
                entities.append(
                    {"type": "blockquote", "offset": quote_start, "length": utf16 - quote_start}
                )
            quote_start = None
        if c == ">" and (i == 0 or src[i - 1] == "\n") and top is None:
            if quote_start is None:
                quote_start = utf16
            i += 1
            continue
        if c not in _MDV2_RESERVED:
            out.append(c)
            utf16 += utf16_len(c)
            i += 1
            continue
        is_end = False
        if top == "bold":
            is_end = c == "*"
        elif top == "italic":
            is_end = c == "_" and at(i + 1) != "_"
        elif top == "underline":
            is_end = c == "_" and at(i + 1) == "_"
        elif top == "strikethrough":
            is_end = c == "~"
        elif top == "spoiler":
            is_end = c == "|" and at(i + 1) == "|"
        elif top in ("text_link", "custom_emoji"):
            is_end = c == "]"
        elif top == "code":
            is_end = c == "`"
        elif top == "pre":
            is_end = c == "`" and at(i + 1) == "`" and at(i + 2) == "`"
        if not is_end:
            byte_offset = _byte_offset(src, i)
            argument = ""
            if c == "_":
                kind = "italic"
                if at(i + 1) == "_":
                    kind = "underline"
                    i += 1
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|" and at(i + 1) == "|":
                kind = "spoiler"
                i += 1
            elif c == "!" and at(i + 1) == "[":
                kind = "custom_emoji"
                i += 1
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if at(i + 1) == "`" and at(i + 2) == "`":
                    i += 3
                    kind = "pre"
                    lang_end = i
                    while at(lang_end) not in SPACES and at(lang_end) != "`":
                        lang_end += 1
                    if i != lang_end and lang_end < n and at(lang_end) != "`":
                        argument = src[i:lang_end]
                        i = lang_end
                    if at(i) in "\r\n":
                        i += 2 if at(i + 1) in "\r\n" and at(i + 1) != at(i) else 1
                    i -= 1
                else:
                    kind = "code"
            else:
                raise reserved(c)
            stack.append((kind, argument, utf16, byte_offset, len(out)))
            i += 1
            continue
        kind, argument, offset, _, out_pos = stack.pop()
        entity: JSON | None = {"type": kind, "offset": offset, "length": utf16 - offset}
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
            if argument and entity is not None:
                entity["language"] = argument
        elif kind in ("text_link", "custom_emoji"):
            url = ""
            if at(i + 1) != "(":
                if kind == "custom_emoji":
                    raise ParseError("Custom emoji entity must contain a tg://emoji URL")
                url = "".join(out[out_pos:])
            else:
                i += 2
                url_begin = i
                chars: list[str] = []
                while i < n and src[i] != ")":
                    if src[i] == "\\" and 0 < ord(at(i + 1)) <= 126:
                        chars.append(src[i + 1])
                        i += 2
                        continue
                    chars.append(src[i])
                    i += 1
                if at(i) != ")":
                    raise ParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(src, url_begin)}"
                    )
                url = "".join(chars)
            if kind == "custom_emoji":
                match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                if not match:
                    raise ParseError("Custom emoji URL must have an emoji identifier")
                entity = {**(entity or {}), "custom_emoji_id": match.group(1)}
            else:
                entity = _link_entity(offset, utf16 - offset, url)
        if entity is not None and entity["length"] > 0:
            entities.append(entity)
        i += 1
    if stack:
        kind, _, _, byte_offset, _ = stack[-1]
        raise ParseError(
            f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {byte_offset}"
        )
    if quote_start is not None and utf16 > quote_start:
        entities.append(
            {"type": "blockquote", "offset": quote_start, "length": utf16 - quote_start}
        )
    return "".join(out), _sorted(entities)


def parse_markdown(src: str) -> tuple[str, list[JSON]]:
    """Parse legacy `parse_mode=Markdown` text (https://core.telegram.org/bots/api#markdown-style)."""
    out: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else "\0"

    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and at(i + 1) in "_*`[":
            out.append(src[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            utf16 += utf16_len(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        i += 1
        is_pre = False
        language = ""
        if c == "`" and at(i) == "`" and at(i + 1) == "`":
            i += 2
            is_pre = True
            lang_end = i
            while at(lang_end) not in SPACES and at(lang_end) != "`":
                lang_end += 1
            if i != lang_end and lang_end < n and at(lang_end) != "`":
                language = src[i:lang_end]
                i = lang_end
            if at(i) in "\r\n":
                i += 2 if at(i + 1) in "\r\n" and at(i + 1) != at(i) else 1
        offset = utf16
        start_out = len(out)
        while i < n and (src[i] != end_char or (is_pre and not (at(i + 1) == "`" == at(i + 2)))):
            out.append(src[i])
            utf16 += utf16_len(src[i])
            i += 1
        if i >= n:
            raise ParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}"
            )
        length = utf16 - offset
        if length > 0:
            if c == "_":
                entities.append({"type": "italic", "offset": offset, "length": length})
            elif c == "*":
                entities.append({"type": "bold", "offset": offset, "length": length})
            elif c == "[":
                url = "".join(out[start_out:])
                if at(i + 1) == "(":
                    i += 2
                    chars: list[str] = []
                    while i < n and src[i] != ")":
                        chars.append(src[i])
                        i += 1
                    url = "".join(chars)
                link = _link_entity(offset, length, url)
                if link is not None:
                    entities.append(link)
            elif is_pre:
                pre: JSON = {"type": "pre", "offset": offset, "length": length}
                if language:
                    pre["language"] = language
                entities.append(pre)
            else:
                entities.append({"type": "code", "offset": offset, "length": length})
        if is_pre:
            i += 2
        i += 1
    return "".join(out), _sorted(entities)
