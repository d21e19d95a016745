"""The HTTP -> GoogleError mapping, for both Google error shapes, and token redaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.google import errors
from bot.google.errors import (
    AuthRevoked,
    BadRequest,
    Conflict,
    Gone,
    GoogleError,
    InsufficientScope,
    InvalidClient,
    PreconditionFailed,
    RateLimited,
    ResourceNotFound,
    SyncTokenExpired,
    Transient,
    from_http,
)

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


def api_error(code: int, reason: str, message: str = "msg") -> dict[str, object]:
    """A Calendar API error body."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
        }
    }


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, {"error": "invalid_grant", "error_description": "Bad Request"}, AuthRevoked),
        (
            400,
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
            AuthRevoked,
        ),
        (401, {"error": "invalid_client", "error_description": "Unauthorized"}, InvalidClient),
        (401, api_error(401, "authError", "Invalid Credentials"), AuthRevoked),
        (403, api_error(403, "insufficientPermissions"), InsufficientScope),
        (403, api_error(403, "rateLimitExceeded"), RateLimited),
        (403, api_error(403, "userRateLimitExceeded"), RateLimited),
        (403, api_error(403, "quotaExceeded"), RateLimited),
        (403, api_error(403, "requiredAccessLevel"), BadRequest),
        (429, api_error(429, "rateLimitExceeded"), RateLimited),
        (404, api_error(404, "notFound"), ResourceNotFound),
        (409, api_error(409, "duplicate"), Conflict),
        (410, api_error(410, "deleted"), Gone),
        (410, api_error(410, "fullSyncRequired"), SyncTokenExpired),
        (412, api_error(412, "conditionNotMet"), PreconditionFailed),
        (400, api_error(400, "timeRangeTooLong"), BadRequest),
        (400, {"error": "redirect_uri_mismatch"}, BadRequest),
        (408, None, Transient),
        (500, api_error(500, "backendError"), Transient),
        (502, "<html>Bad Gateway</html>", Transient),
        (503, {"error": "temporarily_unavailable"}, Transient),
        (504, None, Transient),
    ],
)
def test_status_and_reason_map_to_one_class(status: int, body: object, kind: type) -> None:
    err = from_http(status, body, now=NOW)
    assert type(err) is kind
    assert isinstance(err, GoogleError)
    assert err.status == status


def test_scope_insufficient_is_recognised_from_error_info_details() -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "status": "PERMISSION_DENIED",
            "details": [{"reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}],
        }
    }
    assert isinstance(from_http(403, body, now=NOW), InsufficientScope)


def test_message_names_status_reason_and_google_message() -> None:
    err = from_http(404, api_error(404, "notFound", "Not Found"), now=NOW)
    assert str(err) == "Google answered 404 notFound: Not Found"
    assert err.reason == "notFound"


def test_retry_after_seconds_and_http_date() -> None:
    limited = from_http(
        429, api_error(429, "rateLimitExceeded"), headers={"Retry-After": "7"}, now=NOW
    )
    assert isinstance(limited, RateLimited)
    assert limited.retry_after == 7.0
    dated = from_http(503, None, headers={"retry-after": "Tue, 01 Jan 2030 12:00:30 GMT"}, now=NOW)
    assert isinstance(dated, Transient)
    assert dated.retry_after == 30.0
    assert isinstance(limited_none := from_http(429, None, now=NOW), RateLimited)
    assert limited_none.retry_after is None
    garbage = from_http(429, None, headers={"Retry-After": "soon"}, now=NOW)
    assert isinstance(garbage, RateLimited)
    assert garbage.retry_after is None


def test_token_like_text_never_reaches_a_message() -> None:
    leaky = api_error(
        400,
        "badRequest",
        "echo: Bearer ya29.a0SECRETSECRET refresh 1//0gSECRETREFRESH code 4/0ASECRETCODE "
        "jwt eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl",
    )
    text = str(from_http(400, leaky, now=NOW))
    for secret in ("SECRETSECRET", "SECRETREFRESH", "SECRETCODE", "eyJzdWIiOi"):
        assert secret not in text
    assert "[redacted]" in text
    assert "ya29" not in str(GoogleError("token ya29.abcdef leaked"))


def test_long_messages_are_cut() -> None:
    assert len(errors.redact("x" * 5000)) < 400
