"""Telegram's flood limits with the shipped defaults: replies are not throttled by the bot,
and a 429 from Telegram (its per-chat limit) is waited out and retried, never lost.

Telegram's bot FAQ (core.telegram.org/bots/faq, "My bot is hitting limits"): about one
message a second inside one chat, short bursts allowed, then 429 with `retry_after`; about
30 messages a second for *bulk notifications* to many users; 20 a minute to one group.
"""

from __future__ import annotations

import pytest

from bot.app import BotRuntime
from bot.config import Settings
from tests.e2e.flows import HAIRCUT, confirm, reach_summary, say
from tests.e2e.harness import buttons
from tests.fakes.telegram import FakeTelegram

# PTB's own limiter reads RetryAfter.retry_after, which warns about its future timedelta type.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def test_replies_have_no_overall_throttle_by_default() -> None:
    assert Settings.model_fields["telegram_max_messages_per_second"].default == 0


async def test_a_429_is_waited_out_and_the_reply_still_arrives(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(710, first_name="Ann")
    tg.inject_error("sendMessage", 429, retry_after=1)
    menu = await say(tg, ann, "/start")
    assert HAIRCUT in buttons(menu)
    sends = tg.calls("sendMessage", chat_id=ann.id)
    assert [call.error_code for call in sends] == [429, None]


async def test_the_per_chat_limit_delays_a_burst_but_loses_nothing(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(711, first_name="Ann")
    summary = await reach_summary(tg, ann, email=None)
    mark = tg.mark()
    tg.flood_limit(per_chat_per_second=1)  # Confirm answers with an edit and the .ics file
    confirmation = await confirm(tg, ann, summary)
    assert "booked!" in confirmation["text"].lower()
    after = [call for call in tg.calls(chat_id=ann.id) if call.seq > mark]
    assert any(call.error_code == 429 for call in after)
    assert any(call.method == "sendDocument" and call.ok for call in after)
