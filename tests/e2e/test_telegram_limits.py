"""Replies stay within Telegram's limits whatever the data: 4096 characters, 100 buttons.

The emulator refuses what the real API refuses ("message is too long", "reply markup is too
long"), so each case below failed with the customer stuck before lists were paged and long
texts shortened.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from bot.ids import new_booking_id
from handlers import callbacks as cb
from handlers.limits import MAX_BUTTONS, MAX_MESSAGE, utf16_len
from storage.bookings import BookingRepository
from storage.catalog import CatalogRepository
from storage.records import CustomerDetails, NewBooking
from tests.e2e.flows import JSON, WAIT, say
from tests.e2e.harness import (
    ADMIN_ID,
    bot_settings,
    button_callbacks,
    keyboard_rows,
    load_business,
    running_bot,
)
from tests.fakes.telegram import FakeTelegram, FakeUser

# Valid descriptions at the setup file's maximum (1000), with characters that grow when
# HTML-escaped and emoji that count two UTF-16 units.
DESCRIPTION = ("Relax & <unwind> – a calm 💆 treatment. " * 40)[:1000]


def _long_catalogue(path: Path, services: int) -> Path:
    parts = [
        '[business]\nname = "Long Texts Spa"\ntimezone = "Europe/Helsinki"\nhorizon_days = 14\n'
    ]
    ids = [f"s{i}" for i in range(services)]
    for i, sid in enumerate(ids):
        parts.append(
            f'[[services]]\nid = "{sid}"\nname = "Treatment {i} ' + "✨" * 40 + '"\n'
            f'description = "{DESCRIPTION}"\nduration_minutes = 60\ncurrency = "EUR"\n'
        )
    parts.append(
        '[[staff]]\nid = "anna"\nname = "Anna"\nservices = ['
        + ", ".join(f'"{s}"' for s in ids)
        + ']\n[staff.hours]\nmon = ["09:00-17:00"]\ntue = ["09:00-17:00"]\n'
    )
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _within_limits(message: JSON) -> None:
    assert utf16_len(message["text"]) <= MAX_MESSAGE
    assert sum(len(row) for row in keyboard_rows(message)) <= MAX_BUTTONS


def _refusals(tg: FakeTelegram) -> list[str]:
    return [c.summary() for c in tg.calls() if c.error_code == 400]


async def _pages(tg: FakeTelegram, user: FakeUser, first: JSON) -> list[JSON]:
    """Every page of a paged list, following 'Next ▶' from the first."""
    pages = [first]
    while any(b["text"] == "Next page ▶" for row in keyboard_rows(pages[-1]) for b in row):
        mark = tg.mark()
        await tg.press(user, pages[-1], text="Next page ▶")
        pages.append(await tg.next_message(user.id, since=mark, timeout=WAIT))
    return pages


@pytest.mark.parametrize(("services", "page_count"), [(5, 1), (20, 3)])
async def test_start_with_long_service_descriptions_fits_and_pages(
    tg: FakeTelegram,
    tmp_path: Path,
    db_path: Path,
    clock: ManualClock,
    services: int,
    page_count: int,
) -> None:
    await load_business(db_path, _long_catalogue(tmp_path / "spa.toml", services=services))
    async with running_bot(bot_settings(tg, db_path), clock):
        ann = tg.user(7100, first_name="Ann")
        first = await say(tg, ann, "/start")
        pages = await _pages(tg, ann, first)
        for page in pages:
            _within_limits(page)
        picked = {
            c.service_id
            for p in pages
            for c in button_callbacks(p)
            if isinstance(c, cb.PickService)
        }
        assert len(picked) == services and len(pages) == page_count
        assert ("Page 1 of" in first["text"]) == (page_count > 1)
        assert "…" in first["text"]  # descriptions shortened in the list
        # The service screen shows the description (shortened only beyond 1500 characters).
        mark = tg.mark()
        await tg.press(ann, pages[-1], text=keyboard_rows(pages[-1])[0][0]["text"])
        screen = await tg.next_message(ann.id, since=mark, timeout=WAIT)
        _within_limits(screen)
        assert "Relax &amp;" not in screen["text"] and "Relax & <unwind>" in screen["text"]
        assert _refusals(tg) == []


async def test_my_bookings_with_110_bookings_is_paged(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock
) -> None:
    # Bookings made before the per-customer cap existed (written straight to storage).
    assert bot.db is not None
    ann = tg.user(7101, first_name="Ann")
    customer = CustomerDetails(telegram_user_id=ann.id, name="Ann", phone=None, email=None)
    catalog = CatalogRepository(bot.db)
    service = next(s for s in await catalog.active_services() if s.name == "Haircut")
    staff = (await catalog.staff_for_service(service.id))[0]
    bookings = BookingRepository(bot.db)
    for day in range(1, 111):
        start = clock.now() + timedelta(days=day)
        await bookings.try_book(
            NewBooking(
                id=new_booking_id(),
                customer=customer,
                staff_ids=(staff.id,),
                service_id=service.id,
                start=start,
                end=start + service.duration,
                blocked_start=start,
                blocked_end=start + service.duration,
                price_minor=service.price_minor,
                currency=service.currency,
                request_key=None,
            ),
            now=clock.now(),
            origin="system",
        )
    first = await say(tg, ann, "/mybookings")
    pages = await _pages(tg, ann, first)
    for page in pages:
        _within_limits(page)
    shown = [
        c.booking_id for p in pages for c in button_callbacks(p) if isinstance(c, cb.ShowBooking)
    ]
    assert len(shown) == len(set(shown)) == 110
    assert "(110 in all, page 1 of 11)" in first["text"]
    # Back from the last page to the previous one.
    mark = tg.mark()
    await tg.press(ann, pages[-1], text="◀ Previous page")
    previous = await tg.next_message(ann.id, since=mark, timeout=WAIT)
    assert "page 10 of 11" in previous["text"]
    assert _refusals(tg) == []


async def test_invite_with_a_very_long_name_fits(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Boss")
    reply = await say(tg, admin, "/invite " + "N" * 4090)
    _within_limits(reply)
    assert "…" in reply["text"]
    assert _refusals(tg) == []


async def test_links_for_many_services_come_in_several_messages(
    tg: FakeTelegram, tmp_path: Path, db_path: Path, clock: ManualClock
) -> None:
    await load_business(db_path, _long_catalogue(tmp_path / "spa.toml", services=60))
    async with running_bot(bot_settings(tg, db_path), clock):
        admin = tg.user(ADMIN_ID, first_name="Boss")
        mark = tg.mark()
        await tg.send_text(admin, "/links")
        last = await tg.next_message(
            admin.id, since=mark, predicate=lambda m: "All services:" in m["text"], timeout=WAIT
        )
        sent = [c.result for c in tg.calls("sendMessage", chat_id=admin.id) if c.seq > mark]
        assert len(sent) >= 2 and sent[-1] == last
        for message in sent:
            _within_limits(message)
        text = "\n".join(m["text"] for m in sent)
        assert all(f"?start=svc_s{i}\n" in text + "\n" for i in range(60))
        assert _refusals(tg) == []
