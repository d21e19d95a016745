"""No double booking through the real bot: 50 customers race, and a double tap books once."""

from __future__ import annotations

import asyncio

from bot.app import BotRuntime
from tests.e2e.flows import reach_summary
from tests.e2e.harness import buttons
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY, short_day_and_time


async def _confirmed_count(bot: BotRuntime) -> int:
    assert bot.db is not None
    async with bot.db.reader.execute(
        "SELECT count(*) FROM bookings WHERE status = 'confirmed'"
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_fifty_customers_race_for_one_slot(tg: FakeTelegram, bot: BotRuntime) -> None:
    users = [tg.user(1000 + i, first_name=f"C{i}") for i in range(50)]
    summaries = await asyncio.gather(
        *(reach_summary(tg, u, time="13:00", email=None) for u in users)
    )
    mark = tg.mark()
    await asyncio.gather(
        *(tg.press(u, s, text="✅ Confirm booking") for u, s in zip(users, summaries, strict=True))
    )
    outcomes = await asyncio.gather(
        *(
            tg.wait_for(
                ("sendMessage", "editMessageText"),
                chat_id=u.id,
                since=mark,
                predicate=lambda c: (
                    "booked!" in str(c.params.get("text", "")).lower()
                    or "just taken" in str(c.params.get("text", ""))
                ),
                timeout=30,
            )
            for u in users
        )
    )
    winners = [o for o in outcomes if "booked!" in str(o.params["text"]).lower()]
    assert len(winners) == 1
    assert await _confirmed_count(bot) == 1
    losers = [(u, o) for u, o in zip(users, outcomes, strict=True) if o not in winners]
    assert len(losers) == 49
    for user, _ in losers:
        latest = tg.last_bot_message(user.id)
        assert latest is not None and "just taken" in latest["text"]
        alternatives = [b for b in buttons(latest) if b != "🗓 Pick another day"]
        assert alternatives, "the nearest free slots are offered"
        assert short_day_and_time(TUESDAY, "13:00") not in alternatives


async def test_double_tap_on_confirm_books_once(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(600)
    summary = await reach_summary(tg, ann, email=None)
    mark = tg.mark()
    first = await tg.press(ann, summary, text="✅ Confirm booking")
    second = await tg.press(ann, summary, text="✅ Confirm booking")
    await tg.callback_answer(first)
    await tg.callback_answer(second)
    await tg.wait_for("sendDocument", chat_id=ann.id, since=mark)
    await tg.wait_for(
        "sendMessage",
        chat_id=ann.id,
        since=mark,
        predicate=lambda c: "already confirmed" in str(c.params.get("text", "")),
    )
    assert await _confirmed_count(bot) == 1
    assert len(tg.documents(ann.id)) == 1
