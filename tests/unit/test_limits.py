"""Shortening and paging that keep replies within Telegram's limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from handlers.common import fit_reply
from handlers.limits import ELLIPSIS, MAX_MESSAGE, paginate, shorten, utf16_len, visible_len


@given(st.text(max_size=300), st.integers(1, 200))
def test_shorten_fits_and_keeps_a_prefix(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert utf16_len(short) <= limit
    if short == text:
        assert utf16_len(text) <= limit
    else:
        assert short.endswith(ELLIPSIS) and text.startswith(short[: -len(ELLIPSIS)])


def test_shorten_never_splits_an_emoji_and_counts_it_twice() -> None:
    assert shorten("😀😀😀", 4) == "😀…"
    assert shorten("😀😀", 4) == "😀😀"
    assert visible_len("<b>1 &lt; 2</b> 😀") == 8


@given(st.lists(st.integers(1, 500), max_size=60), st.integers(1, 12), st.integers(-3, 70))
def test_pages_cover_everything_within_budget(sizes: list[int], per_page: int, number: int) -> None:
    items = list(range(len(sizes)))
    pages = []
    for n in range(len(items) + 1):
        page = paginate(items, sizes, budget=1000, max_items=per_page, number=n)
        if page.number == n:
            pages.append(page)
    assert [i for p in pages for i in p.items] == items
    for page in pages:
        assert len(page.items) <= per_page
        assert len(page.items) == 1 or sum(sizes[i] for i in page.items) <= 1000
    clamped = paginate(items, sizes, budget=1000, max_items=per_page, number=number)
    assert 0 <= clamped.number < clamped.count


def test_the_last_guard_shortens_text_and_cuts_keyboards() -> None:
    text, mode, _ = fit_reply("<b>ok</b>", None)
    assert (text, mode) == ("<b>ok</b>", ParseMode.HTML)
    text, mode, _ = fit_reply("<i>" + "a &amp; b " * 1000 + "</i>", None)
    assert mode is None and utf16_len(text) <= MAX_MESSAGE and text.startswith("a & b")
    rows = [
        [InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(r, r + 7)]
        for r in range(0, 140, 7)
    ]
    _, _, markup = fit_reply("x", InlineKeyboardMarkup(rows))
    assert isinstance(markup, InlineKeyboardMarkup)
    assert sum(len(row) for row in markup.inline_keyboard) == 100
