"""Business settings keep every number within bounds, whoever sets them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.business import BusinessSettings


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": 3650}, "horizon_days"),
        ({"min_notice": timedelta(minutes=900_000_000_000)}, "longer than the booking horizon"),
        ({"horizon_days": 7, "min_notice": timedelta(days=8)}, "nothing could ever be booked"),
        ({"cancellation_cutoff": timedelta(days=367)}, "cancellation cutoff"),
        ({"slot_step": timedelta(days=2)}, "slot_step"),
        ({"slot_step": timedelta(minutes=1)}, "slot_step"),
        ({"min_notice": timedelta(minutes=-1)}, "negative"),
    ],
)
def test_out_of_bounds_settings_are_refused(values: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        BusinessSettings(**values)  # type: ignore[arg-type]


def test_limits_round_trip_through_the_store() -> None:
    limits = BusinessSettings(
        horizon_days=366,
        min_notice=timedelta(days=366),
        cancellation_cutoff=timedelta(days=366),
        slot_step=timedelta(hours=24),
    )
    stored = limits.to_store()
    assert BusinessSettings.from_store(stored, default_timezone="UTC") == limits
