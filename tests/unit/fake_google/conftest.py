"""The emulator under test, on a wall_clock that starts at the real now (Google's clients check
token expiry against the wall wall_clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from tests.fakes.google import FakeGoogle
from tests.unit.fake_google_support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI


@pytest.fixture
def wall_clock() -> ManualClock:
    """A manual clock starting at the real now (moved only by the test)."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def google(
    wall_clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeGoogle]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator serves plain http
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    async with FakeGoogle(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, clock=wall_clock
    ) as fake:
        fake.register_redirect_uri(REDIRECT_URI)
        yield fake
