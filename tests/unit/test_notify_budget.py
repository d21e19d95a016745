"""The bulk budget: evenly spaced sends overall, one a second per chat, a busy chat never
holding back the others, and a 429 pausing everything."""

from __future__ import annotations

import itertools

import pytest

from bot.notify.budget import Budget


class Time:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_sends_are_spaced_by_the_overall_rate() -> None:
    time = Time()
    budget = Budget(per_second=10, chat_interval=1.0, now=time)
    slots = [budget.reserve(chat) for chat in range(25)]
    assert slots == sorted(slots)
    assert all(b - a == pytest.approx(0.1) for a, b in itertools.pairwise(slots))
    # Any one-second window holds at most rate + 1 sends.
    for start in slots:
        assert sum(1 for s in slots if start <= s < start + 1.0) <= 11


def test_one_chat_gets_one_send_a_second_without_holding_back_others() -> None:
    time = Time()
    budget = Budget(per_second=10, chat_interval=1.0, now=time)
    first = budget.reserve(7)
    second = budget.reserve(7)  # same chat: a second later
    others = [budget.reserve(chat) for chat in range(20, 29)]
    assert second - first == pytest.approx(1.0)
    assert max(others) < second  # the other chats took the slots in between
    assert len(set([first, second, *others])) == 11


def test_a_lone_429_holds_back_its_chat_and_a_second_one_everything() -> None:
    time = Time()
    budget = Budget(per_second=30, chat_interval=1.0, now=time)
    budget.reserve(1)
    budget.pause(3.0, chat_id=1)
    assert not budget.paused()
    assert budget.reserve(1) >= time.now + 3.0
    assert budget.reserve(2) < time.now + 0.1  # other chats go on
    time.now += 0.5
    budget.pause(3.0, chat_id=2)  # another within 3 s: everything waits
    assert budget.paused()
    assert budget.reserve(2) >= time.now + 3.0
    assert budget.reserve(1) >= time.now + 3.0
    time.now += 3.5
    assert not budget.paused()


def test_slots_in_the_past_are_forgotten() -> None:
    time = Time()
    budget = Budget(per_second=1000, chat_interval=0.0, now=time)
    for chat in range(5000):
        budget.reserve(chat)
    time.now += 60
    assert budget.reserve(1) == pytest.approx(time.now)
    assert len(budget._taken) == 1


def test_a_slot_taken_again_after_waking_late_does_not_cost_the_chat_a_second() -> None:
    time = Time()
    budget = Budget(per_second=10, chat_interval=1.0, now=time)
    first = budget.reserve(7)
    time.now = first + 0.5  # woke far too late to use it
    again = budget.reserve(7, again=True)
    assert again == pytest.approx(time.now)  # not a second after the missed slot
    assert budget.reserve(7) == pytest.approx(again + 1.0)
