"""The booking draft survives its JSON round trip, and drafts of earlier versions load."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from handlers.booking.draft import Draft

_text = st.one_of(st.none(), st.text(min_size=1, max_size=20))


@given(
    st.builds(
        Draft,
        service_id=st.one_of(st.none(), st.integers(1, 10**6)),
        staff_id=st.one_of(st.none(), st.integers(1, 10**6)),
        start=st.one_of(
            st.none(),
            st.integers(946_684_800, 7_258_118_400).map(lambda s: datetime.fromtimestamp(s, UTC)),
        ),
        key=_text,
        name=_text,
        phone=_text,
        email=_text,
        returning=st.booleans(),
        suggested_name=_text,
    )
)
def test_round_trip_through_json(draft: Draft) -> None:
    assert Draft.from_json(json.loads(json.dumps(draft.to_json()))) == draft


def test_a_draft_stored_by_the_earlier_version_loads() -> None:
    """The dict draft before the dataclass: same keys, staff 0 meaning "anyone"."""
    old = {"service": 1, "staff": 0, "start": 1795860000, "key": "abc", "name": "Ann"}
    draft = Draft.from_json(old)
    assert draft.service_id == 1 and draft.staff_id is None and draft.has_slot
    assert draft.start == datetime.fromtimestamp(1795860000, UTC) and draft.name == "Ann"


def test_malformed_data_reads_as_unset() -> None:
    assert Draft.from_json({"service": "1", "start": True, "name": 5}) == Draft()
    assert Draft.from_json(None) == Draft() and Draft.from_json([1]) == Draft()
    assert Draft().to_json() == {}
