"""Telegram's size limits, and the tools that keep every reply inside them whatever the data.

Telegram counts a message's text after parsing entities (tags gone, `&lt;` counted as `<`)
in UTF-16 code units, at most 4096 (https://core.telegram.org/bots/api#sendmessage), and
refuses an inline keyboard of more than 100 buttons ("reply markup is too long").
Handlers shorten what must fit (`shorten`) and page what can grow (`paginate`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

MAX_MESSAGE = 4096
MAX_BUTTONS = 100
ELLIPSIS = "…"
_TAG = re.compile(r"<[^>]*>")
T = TypeVar("T")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, Telegram's unit for text limits."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def visible_len(markup: str) -> int:
    """Length of HTML-mode text as Telegram counts it: tags dropped, entities decoded."""
    return utf16_len(html.unescape(_TAG.sub("", markup)))


def shorten(text: str, limit: int) -> str:
    """Plain text cut to at most `limit` UTF-16 units, ending in an ellipsis when cut.

    Cuts between code points (never inside a surrogate pair) and before trailing spaces;
    escape the result afterwards, never before, so no `&amp;` is cut in half.
    """
    if utf16_len(text) <= limit:
        return text
    budget = limit - utf16_len(ELLIPSIS)
    kept: list[str] = []
    used = 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > budget:
            break
        kept.append(ch)
        used += size
    return "".join(kept).rstrip() + ELLIPSIS


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a long list."""

    items: Sequence[T]
    number: int
    count: int

    @property
    def has_previous(self) -> bool:
        """Whether an earlier page exists."""
        return self.number > 0

    @property
    def has_next(self) -> bool:
        """Whether a later page exists."""
        return self.number < self.count - 1


def paginate(
    items: Sequence[T], sizes: Sequence[int], *, budget: int, max_items: int, number: int
) -> Page[T]:
    """Page `number` (clamped to the pages that exist) of `items`, where item i takes
    `sizes[i]` characters: each page holds at most `max_items` items and `budget` characters
    (an item larger than the budget gets a page of its own, so shorten items first)."""
    pages: list[tuple[int, int]] = []
    start = used = 0
    for i, size in enumerate(sizes):
        if i > start and (i - start >= max_items or used + size > budget):
            pages.append((start, i))
            start, used = i, 0
        used += size
    pages.append((start, len(items)))
    number = min(max(number, 0), len(pages) - 1)
    first, last = pages[number]
    return Page(items[first:last], number, len(pages))
