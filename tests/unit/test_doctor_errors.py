"""doctor's advice on a staff member's last Google error depends on what kind it was."""

from __future__ import annotations

import pytest

from bot.doctor import last_error_check


@pytest.mark.parametrize(
    ("error", "ok", "fix"),
    [
        ("RateLimited: Google answered 429 rateLimitExceeded", True, None),
        ("Transient: cannot reach the Calendar API (TimeoutError)", True, None),
        ("InsufficientScope: Google answered 403", False, "/connect again and tick every box"),
        ("ResourceNotFound: Google answered 404 notFound", False, "/calendars"),
        ("BadRequest: Google answered 400 invalid", False, "/connect again"),
    ],
)
def test_temporary_errors_pass_and_others_name_their_fix(
    error: str, ok: bool, fix: str | None
) -> None:
    check = last_error_check("Anna", error)
    assert check.ok is ok
    assert error in check.line()
    if fix is not None:
        assert fix in check.line()
