"""A staff member in another time zone than the business, end to end: Anna (New York) sets her
zone in /agenda (a misspelt one is refused with a suggestion), her daily agenda comes at 08:00
New York time and shows New York times, so does the message about a new booking, while the
customer's confirmation stays in Helsinki time; then she goes back to the business's zone.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from tests.conftest import SALON
from tests.e2e.flows import WAIT, confirm, reach_summary, say, tap
from tests.e2e.harness import bot_settings, buttons, load_business, running_bot
from tests.e2e.notify_harness import delivered, link_staff
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY, helsinki

ANNA_CHAT = 7001
NEW_YORK = ZoneInfo("America/New_York")

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _new_york(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=NEW_YORK).astimezone(UTC)


async def test_staff_member_in_new_york_gets_agenda_and_messages_in_her_zone(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> None:
    await load_business(db_path, SALON)
    await link_staff(db_path, "Anna", ANNA_CHAT, clock)
    anna = tg.user(ANNA_CHAT, first_name="Anna")
    ann = tg.user(805, first_name="Ann")
    settings = bot_settings(tg, db_path, notify_poll_seconds=0.2)
    async with running_bot(settings, clock):
        await say(tg, anna, "/help")
        screen = await say(tg, anna, "/agenda")
        choices = await tap(tg, anna, screen, "⚙️ Daily agenda")
        assert "Your time zone: Europe/Helsinki (the business's)." in choices["text"]
        question = await tap(tg, anna, choices, "🌍 Time zone")
        assert "America/New_York" in question["text"]
        assert buttons(question) == ["Same as the business", "✖ Cancel"]

        # A misspelt zone is refused with the zone she meant; the right one is stored.
        refused = await say(tg, anna, "America/New_Yrok")
        assert "not a time zone I know" in refused["text"]
        assert "Did you mean America/New_York?" in refused["text"]
        choices = await say(tg, anna, "America/New_York")
        assert "Your time zone: America/New_York." in choices["text"]
        assert "Pick the time (America/New_York)" in choices["text"]

        # Ann books Tuesday 13:00 in Helsinki: 06:00 in New York (07:00 in the weeks when
        # only one of the two observes summer time).
        ny = helsinki(TUESDAY, 13).astimezone(NEW_YORK).strftime("%H:%M")
        mark = tg.mark()
        confirmation = await confirm(tg, ann, await reach_summary(tg, ann))
        assert "13:00" in confirmation["text"] and "Helsinki time" in confirmation["text"]
        new = await tg.next_message(
            anna, since=mark, predicate=lambda m: "New booking" in m.get("text", ""), timeout=WAIT
        )
        assert f"{ny} (New York time)" in new["text"] and "13:00" not in new["text"]

        # 08:00 in Helsinki on Tuesday is 01:00 in New York: no agenda yet.
        mark = tg.mark()
        clock.set(helsinki(TUESDAY, 8, 5))
        await asyncio.sleep(1.0)  # several ticks of the queue
        assert delivered(tg, "Good morning", since=mark)[anna.id] == 0
        clock.set(_new_york(TUESDAY, 8))
        agenda = await tg.next_message(
            anna, since=mark, predicate=lambda m: "Good morning" in m.get("text", ""), timeout=WAIT
        )
        assert "1 booking today" in agenda["text"]
        assert "All times are New York time." in agenda["text"]
        assert f"{ny}–" in agenda["text"]
        assert "13:00" not in agenda["text"]

        # /agenda shows her day in New York too.
        today = await say(tg, anna, "/agenda")
        assert f"{ny}–" in today["text"] and "All times are New York time." in today["text"]

        # A forged "Same as the business" from someone who is not staff changes nothing.
        mine = await say(tg, ann, "/mybookings")
        mark = tg.mark()
        query = await tg.press_raw(ann, mine["message_id"], "agendatzbiz")
        assert (await tg.callback_answer(query)).ok
        reply = await tg.next_message(ann.id, since=mark, timeout=WAIT)
        assert "I don't know that command." in reply["text"]

        # Back to the business's zone with the button: Helsinki times again.
        choices = await tap(tg, anna, today, "⚙️ Daily agenda")
        question = await tap(tg, anna, choices, "🌍 Time zone")
        choices = await tap(tg, anna, question, "Same as the business")
        assert "Your time zone: Europe/Helsinki (the business's)." in choices["text"]
        today = await say(tg, anna, "/agenda")
        assert "13:00–" in today["text"] and "All times are" not in today["text"]

        # Typing "-" resets too (after choosing a zone again).
        choices = await tap(tg, anna, today, "⚙️ Daily agenda")
        question = await tap(tg, anna, choices, "🌍 Time zone")
        choices = await say(tg, anna, "helsinky")
        assert "Did you mean Europe/Helsinki?" in choices["text"]
        long = await say(tg, anna, "x" * 4000)  # echoed cut, the answer fits one message
        assert "is not a time zone I know" in long["text"] and len(long["text"]) < 300
        choices = await say(tg, anna, "-")
        assert "(the business's)" in choices["text"]
