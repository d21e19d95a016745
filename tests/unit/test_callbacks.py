"""Callback data: every kind round-trips, and anything forged parses to None, never raises."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_type_hints

from hypothesis import given
from hypothesis import strategies as st

from handlers import callbacks as cb

EARLIEST = datetime.combine(cb.EARLIEST_DAY, datetime.min.time(), UTC)
LATEST = datetime.combine(cb.LATEST_DAY, datetime.max.time(), UTC).replace(microsecond=0)


def _field(kind: Any) -> st.SearchStrategy[Any]:
    if kind is int:
        return st.integers(0, cb.MAX_NUMBER)
    if kind is cb.StaffChoice:
        return st.one_of(
            st.just(cb.ANYONE), st.builds(cb.StaffChoice, st.integers(1, cb.MAX_NUMBER))
        )
    if kind is date:
        return st.dates(cb.EARLIEST_DAY, cb.LATEST_DAY)
    if kind is datetime:
        return st.integers(int(EARLIEST.timestamp()), int(LATEST.timestamp())).map(
            lambda s: datetime.fromtimestamp(s, UTC)
        )
    if kind is cb.BookingId:
        return st.from_regex(r"[0-9a-v]{20}", fullmatch=True).map(cb.BookingId)
    if kind is cb.Token:
        return st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True).map(cb.Token)
    raise AssertionError(kind)


def _kind(cls: type[cb.Callback]) -> st.SearchStrategy[cb.Callback]:
    hints = get_type_hints(cls)
    fields = [_field(hints[f.name]) for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return st.tuples(*fields).map(lambda values: cls(*values))


def _callbacks() -> st.SearchStrategy[cb.Callback]:
    return st.one_of([_kind(cls) for cls in cb.kinds().values()])


@given(_callbacks())
def test_every_kind_round_trips_within_64_bytes(data: cb.Callback) -> None:
    packed = data.pack()
    assert len(packed.encode()) <= cb.MAX_BYTES
    assert cb.parse(packed) == data


def _number_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-(10**30), 10**30).map(str),
        st.from_regex(r"[0-9]{1,40}", fullmatch=True),
        st.sampled_from(["", "any", "-0", "1e9", "0x10", "١٢", "99991231", "00010101"]),
    )


@given(
    prefix=st.sampled_from(sorted(cb.kinds())),
    parts=st.lists(st.one_of(_number_text(), st.text(max_size=12)), max_size=4),
)
def test_forged_data_parses_to_none_or_a_bounded_value(prefix: str, parts: list[str]) -> None:
    data = ":".join([prefix, *parts])
    parsed = cb.parse(data)  # never raises
    if parsed is None:
        return
    for field in dataclasses.fields(parsed):  # type: ignore[arg-type]
        value = getattr(parsed, field.name)
        if isinstance(value, datetime):
            assert EARLIEST <= value <= LATEST
            value.astimezone(UTC) + timedelta(days=400)  # room for any calendar arithmetic
        elif isinstance(value, date):
            assert cb.EARLIEST_DAY <= value <= cb.LATEST_DAY
            value - timedelta(days=400), value + timedelta(days=400)
        elif isinstance(value, int):
            assert 0 <= value <= cb.MAX_NUMBER
        elif isinstance(value, cb.StaffChoice):
            assert value.anyone or 1 <= (value.staff_id or 0) <= cb.MAX_NUMBER
    assert cb.parse(parsed.pack()) == parsed


def test_extreme_dates_and_numbers_are_refused() -> None:
    for forged in (
        "week:1:any:99991231",
        "day:1:any:00010101",
        "day:1:any:19991231",
        "day:1:any:22000101",
        "day:1:any:20261331",
        "time:1:any:99999999999",
        "time:1:any:100000000",  # 1973
        "moveweek:abcdefghij0123456789:99991231",
        "moveday:abcdefghij0123456789:00010101",
        "movetime:abcdefghij0123456789:99999999999",
        "move:abcdefghij0123456789:253402300800",
        "svc:1000000000",
        "svc:-1",
        "staff:1:0",  # staff ids are positive; "any" says anyone
        "caldest:nonce:99999999999999999999",
    ):
        assert cb.parse(forged) is None, forged
    assert cb.parse("day:1:any:20261124") == cb.PickDay(1, cb.ANYONE, date(2026, 11, 24))


def test_old_prefixes_are_stale() -> None:
    """Buttons sent before the prefixes got readable names parse to None ("expired")."""
    for old in ("s:1", "t:1:0", "w:1:0:20261123", "z:1:0:1795860000", "mb", "ok:abc", "x", "my:a"):
        assert cb.parse(old) is None, old
