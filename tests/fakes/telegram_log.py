"""The journal of every Bot API call the bot made, and efficient waiting on it.

Each call gets a sequence number; tests take a `mark()` and wait for the first matching call
after it. Waiters are futures resolved by `append` itself (no polling), indexed by chat so
that fifty concurrent customers waiting on their own chats cost little.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tests.fakes.telegram_model import Call

CallPredicate = Callable[[Call], bool]


@dataclass
class _Waiter:
    methods: frozenset[str] | None
    chat_id: int | None
    since: int
    predicate: CallPredicate | None
    ok: bool | None
    future: asyncio.Future[Call] | None = None

    def matches(self, call: Call) -> bool:
        if call.seq <= self.since:
            return False
        if self.methods is not None and call.method.lower() not in self.methods:
            return False
        if self.chat_id is not None and call.chat_id != self.chat_id:
            return False
        if self.ok is not None and call.ok != self.ok:
            return False
        return self.predicate is None or self.predicate(call)


def _method_set(method: str | Iterable[str] | None) -> frozenset[str] | None:
    if method is None:
        return None
    if isinstance(method, str):
        return frozenset({method.lower()})
    return frozenset(m.lower() for m in method)


class CallLog:
    """Append-only list of calls with per-chat indexes and waiters."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._by_chat: dict[int, list[Call]] = {}
        self._waiters_by_chat: dict[int, list[_Waiter]] = {}
        self._waiters_any: list[_Waiter] = []

    @property
    def seq(self) -> int:
        """Sequence number of the last call (0 before any)."""
        return len(self.calls)

    def new_call(self, method: str, params: dict[str, object], chat_id: int | None) -> Call:
        """Allocate the next call record (not yet visible to waiters)."""
        return Call(seq=0, method=method, params=dict(params), chat_id=chat_id)

    def append(self, call: Call) -> None:
        """Publish a finished call and wake the waiters it satisfies."""
        self.calls.append(call)
        call.seq = len(self.calls)
        if call.chat_id is not None:
            self._by_chat.setdefault(call.chat_id, []).append(call)
            self._wake(self._waiters_by_chat.get(call.chat_id), call)
        self._wake(self._waiters_any, call)

    @staticmethod
    def _wake(waiters: list[_Waiter] | None, call: Call) -> None:
        if not waiters:
            return
        for waiter in list(waiters):
            future = waiter.future
            if future is None or future.done():
                waiters.remove(waiter)
            elif waiter.matches(call):
                future.set_result(call)
                waiters.remove(waiter)

    def chat_calls(self, chat_id: int) -> list[Call]:
        """All calls concerning one chat."""
        return self._by_chat.get(chat_id, [])

    def find(
        self,
        method: str | Iterable[str] | None,
        *,
        chat_id: int | None,
        since: int,
        predicate: CallPredicate | None,
        ok: bool | None,
    ) -> Call | None:
        """The first logged call after `since` that matches, if any."""
        waiter = _Waiter(_method_set(method), chat_id, since, predicate, ok)
        source = self.calls if chat_id is None else self.chat_calls(chat_id)
        start = since if chat_id is None else _first_after(source, since)
        for call in source[start:]:
            if waiter.matches(call):
                return call
        return None

    async def wait(
        self,
        method: str | Iterable[str] | None,
        *,
        chat_id: int | None,
        since: int,
        predicate: CallPredicate | None,
        ok: bool | None,
        timeout: float,  # noqa: ASYNC109
    ) -> Call | None:
        """Wait for a matching call; None on timeout."""
        found = self.find(method, chat_id=chat_id, since=since, predicate=predicate, ok=ok)
        if found is not None:
            return found
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(_method_set(method), chat_id, since, predicate, ok, future)
        bucket = (
            self._waiters_any if chat_id is None else self._waiters_by_chat.setdefault(chat_id, [])
        )
        bucket.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            if waiter in bucket:
                bucket.remove(waiter)


def _first_after(calls: list[Call], since: int) -> int:
    lo, hi = 0, len(calls)
    while lo < hi:
        mid = (lo + hi) // 2
        if calls[mid].seq <= since:
            lo = mid + 1
        else:
            hi = mid
    return lo
