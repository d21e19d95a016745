"""The one exception tree of the Google boundary, and the one function that maps HTTP to it.

Everything in :mod:`bot.google` raises only these (chained with ``raise ... from err`` to the
library error underneath)::

    GoogleError                 base: something went wrong talking to Google
    ├── AuthRevoked             the grant is gone (refresh answered ``invalid_grant``: revoked
    │                           by the user, or the 7-day expiry of apps in "Testing" mode; or an
    │                           access token refused with nothing to refresh): reconnect
    ├── InsufficientScope       403 ``insufficientPermissions``: the user did not grant a scope
    ├── ResourceNotFound        404: no such calendar or event (or no access to it)
    ├── Gone                    410 ``deleted``: the resource was deleted
    ├── SyncTokenExpired        410 ``fullSyncRequired``: drop the sync token, sync fully
    ├── Conflict                409 ``duplicate``: the id is taken (even by a deleted event)
    ├── PreconditionFailed      412 ``conditionNotMet``: the ``If-Match`` etag is stale
    ├── Retryable               ``retry_after`` seconds from ``Retry-After`` when sent
    │   ├── RateLimited         403 ``rateLimitExceeded``/``userRateLimitExceeded``/quota, 429
    │   └── Transient           408, 5xx, network errors and timeouts: retry with backoff
    └── BadRequest              any other 4xx
        └── InvalidClient       ``invalid_client``: GOOGLE_CLIENT_ID/SECRET are wrong

Two error shapes are understood: the Calendar API's
``{"error": {"code", "message", "errors": [{"reason"}], "details"}}``
(https://developers.google.com/calendar/api/guides/errors) and the OAuth endpoints'
``{"error": "invalid_grant", "error_description": "..."}`` (RFC 6749 §5.2).

Messages never carry tokens: they are built from the status, Google's reason and message, and
anything that looks like a token or a bearer header is redacted as a second line of defence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

_TOKENISH = re.compile(
    r"(?i)bearer\s+\S+"  # an Authorization header value
    r"|ya29\.[\w.\-]+"  # Google access tokens
    r"|1//[\w.\-]+"  # Google refresh tokens
    r"|4/0[\w.\-]+"  # authorization codes
    r"|eyJ[\w\-]+\.[\w\-]+\.[\w\-]*"  # JWTs (id_token)
)
_MAX_MESSAGE = 300
_RATE_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}
)
_SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
_CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})


def redact(text: str) -> str:
    """`text` with anything token-like replaced, cut to a readable length."""
    cleaned = _TOKENISH.sub("[redacted]", text)
    return cleaned if len(cleaned) <= _MAX_MESSAGE else cleaned[:_MAX_MESSAGE] + "…"


class GoogleError(Exception):
    """Base of every error raised by :mod:`bot.google`."""

    def __init__(
        self, message: str, *, status: int | None = None, reason: str | None = None
    ) -> None:
        super().__init__(redact(message))
        self.status = status
        self.reason = reason


class AuthRevoked(GoogleError):
    """The account's grant is revoked or expired: the staff member must reconnect."""


class InsufficientScope(GoogleError):
    """The token lacks a scope this call needs (granular consent)."""


class ResourceNotFound(GoogleError):
    """404: no such calendar or event (or no access to it)."""


class Gone(GoogleError):
    """410 ``deleted``: the resource was deleted."""


class SyncTokenExpired(GoogleError):
    """410 ``fullSyncRequired``: the sync token is invalid; do a full sync."""


class Conflict(GoogleError):
    """409 ``duplicate``: the identifier already exists."""


class PreconditionFailed(GoogleError):
    """412: the ``If-Match`` etag no longer matches."""


class Retryable(GoogleError):
    """Worth trying again later; ``retry_after`` is in seconds when Google said how long."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, reason=reason)
        self.retry_after = retry_after


class RateLimited(Retryable):
    """Google asks to slow down."""


class Transient(Retryable):
    """A server or network failure worth retrying."""


class BadRequest(GoogleError):
    """Any other 4xx: the request itself is wrong."""


class InvalidClient(BadRequest):
    """The OAuth client id or secret is not accepted (a configuration error)."""


def from_http(
    status: int,
    body: object,
    *,
    headers: Mapping[str, str] | None = None,
    now: datetime,
) -> GoogleError:
    """The `GoogleError` for an HTTP status and Google's error body; raise it ``from``.

    `now` (from the caller's clock) turns an HTTP-date ``Retry-After`` into seconds.
    """
    reasons, message = _parse_body(body)
    reason = reasons[0] if reasons else None
    text = f"Google answered {status}" + (f" {reason}" if reason else "")
    text += f": {message}" if message else ""
    retry_after = _retry_after(headers, now)
    if set(reasons) & _CLIENT_ERRORS:
        return InvalidClient(text, status=status, reason=reason)
    if "invalid_grant" in reasons or status == 401:
        return AuthRevoked(text, status=status, reason=reason)
    if status == 403 and set(reasons) & _SCOPE_REASONS:
        return InsufficientScope(text, status=status, reason=reason)
    if status == 429 or (status == 403 and set(reasons) & _RATE_REASONS):
        return RateLimited(text, status=status, reason=reason, retry_after=retry_after)
    if status == 404:
        return ResourceNotFound(text, status=status, reason=reason)
    if status == 409:
        return Conflict(text, status=status, reason=reason)
    if status == 410:
        kind = SyncTokenExpired if "fullSyncRequired" in reasons else Gone
        return kind(text, status=status, reason=reason)
    if status == 412:
        return PreconditionFailed(text, status=status, reason=reason)
    if status == 408 or status >= 500:
        return Transient(text, status=status, reason=reason, retry_after=retry_after)
    if 400 <= status < 500:
        return BadRequest(text, status=status, reason=reason)
    return GoogleError(text, status=status, reason=reason)


def _parse_body(body: object) -> tuple[list[str], str]:
    """(reasons, message) from either Google error shape; ([], "") for anything else."""
    if not isinstance(body, Mapping):
        return [], ""
    error: Any = body.get("error")
    if isinstance(error, str):  # OAuth 2.0 endpoint shape
        return [error], str(body.get("error_description") or "")
    if not isinstance(error, Mapping):
        return [], ""
    reasons: list[str] = []
    for item in error.get("errors") or []:
        if isinstance(item, Mapping) and item.get("reason"):
            reasons.append(str(item["reason"]))
    for detail in error.get("details") or []:
        if isinstance(detail, Mapping) and detail.get("reason"):
            reasons.append(str(detail["reason"]))
    return reasons, str(error.get("message") or "")


def _retry_after(headers: Mapping[str, str] | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), if any."""
    if not headers:
        return None
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
