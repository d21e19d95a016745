"""The runtime starts parts in order, stops them in reverse, and never leaves one running."""

from __future__ import annotations

import pytest

from bot.runtime import Hooks, Runtime


class Recorder:
    """A part that writes what happened to a shared journal."""

    def __init__(self, name: str, journal: list[str], *, fail: str = "") -> None:
        self.name = name
        self._journal = journal
        self._fail = fail

    async def start(self) -> None:
        if self._fail == "start":
            raise RuntimeError(f"{self.name} cannot start")
        self._journal.append(f"start {self.name}")

    async def stop(self) -> None:
        self._journal.append(f"stop {self.name}")
        if self._fail == "stop":
            raise RuntimeError(f"{self.name} cannot stop")


async def test_parts_start_in_order_and_stop_in_reverse() -> None:
    journal: list[str] = []
    runtime = Runtime([Recorder(n, journal) for n in ("db", "telegram", "web")])
    await runtime.start()
    assert runtime.running == ["db", "telegram", "web"]
    await runtime.stop()
    assert journal == [
        "start db",
        "start telegram",
        "start web",
        "stop web",
        "stop telegram",
        "stop db",
    ]
    assert runtime.running == []
    await runtime.stop()  # a second stop does nothing
    assert len(journal) == 6


async def test_a_failing_start_stops_what_started_and_raises() -> None:
    journal: list[str] = []
    runtime = Runtime(
        [Recorder("a", journal), Recorder("b", journal), Recorder("c", journal, fail="start")]
    )
    with pytest.raises(RuntimeError, match="c cannot start"):
        await runtime.start()
    assert journal == ["start a", "start b", "stop b", "stop a"]
    assert runtime.running == []


async def test_a_failing_stop_does_not_keep_the_others_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    journal: list[str] = []
    runtime = Runtime([Recorder("a", journal), Recorder("b", journal, fail="stop")])
    await runtime.start()
    await runtime.stop()
    assert journal == ["start a", "start b", "stop b", "stop a"]
    assert "stopping b failed" in caplog.text


async def test_hooks_make_a_part_of_two_functions() -> None:
    journal: list[str] = []

    async def stop() -> None:
        journal.append("closed")

    runtime = Runtime([Hooks("sessions", stop=stop)])
    await runtime.start()
    assert runtime.running == ["sessions"] and journal == []
    await runtime.stop()
    assert journal == ["closed"]
