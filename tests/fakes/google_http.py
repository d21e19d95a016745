"""HTTP plumbing of the Google emulator: error bodies, fault injection, latency, call log.

Error shapes follow Google's documentation:
- Calendar API errors (https://developers.google.com/calendar/api/guides/errors) are
  ``{"error": {"code", "message", "errors": [{"domain", "reason", "message", ...}], "status"}}``;
- OAuth 2.0 endpoint errors (RFC 6749 §5.2, as Google's token endpoint answers them, see
  https://developers.google.com/identity/protocols/oauth2/web-server) are
  ``{"error": "...", "error_description": "..."}``.

Injected faults can be "applied": the request takes effect and then the answer is an error
(or never arrives in time: ``hang``), as when Google commits a write and the response is lost
on the way; the errors guide's advice to retry with exponential backoff
(https://developers.google.com/calendar/api/guides/errors#backend_error) is exactly what makes
such a retry meet its own earlier write (a client-chosen event id then answers 409).
A random plan (`FaultPlan.randomly`) fails a share of calls with a mix of faults.

Rate limiting answers like the errors guide says Google does: 403 ``usageLimits``
``userRateLimitExceeded`` / ``rateLimitExceeded``, or 429 ``rateLimitExceeded``; 500/503
``backendError`` (https://developers.google.com/calendar/api/guides/quota).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# HTTP status -> google.rpc canonical status name, as Google puts it in ``error.status``.
# 410 has no canonical counterpart; Google's own 410 samples carry no ``status``.
CANONICAL_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

# Defaults for injected faults: (domain, reason, message).
FAULT_DEFAULTS: dict[int, tuple[str, str, str]] = {
    400: ("global", "badRequest", "Bad Request"),
    401: ("global", "authError", "Invalid Credentials"),
    403: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("global", "notFound", "Not Found"),
    409: ("global", "duplicate", "The requested identifier already exists."),
    410: ("global", "deleted", "Resource has been deleted"),
    412: ("global", "conditionNotMet", "Precondition Failed"),
    429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("global", "backendError", "Backend Error"),
    503: ("global", "backendError", "The service is currently unavailable."),
}
REASON_DOMAINS = {
    "rateLimitExceeded": "usageLimits",
    "userRateLimitExceeded": "usageLimits",
    "quotaExceeded": "usageLimits",
    "dailyLimitExceeded": "usageLimits",
}


class ApiError(Exception):
    """A Calendar API error a handler raises; the middleware renders Google's JSON."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str | None = None,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict[str, Any]:
        """The JSON body Google sends for this error."""
        item: dict[str, Any] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.message,
        }
        if self.location is not None:
            item["locationType"] = self.location_type or "parameter"
            item["location"] = self.location
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [item]}
        status = CANONICAL_STATUS.get(self.code)
        if status is not None:
            error["status"] = status
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def response(self) -> web.Response:
        """Render as an aiohttp response."""
        return web.json_response(self.body(), status=self.code, headers=self.headers)


def bad_request(
    message: str, *, reason: str = "badRequest", location: str | None = None
) -> ApiError:
    """A 400 in the Calendar API shape."""
    return ApiError(400, reason, message, location=location)


def invalid_param(name: str, value: str) -> ApiError:
    """A 400 for a malformed query parameter."""
    return ApiError(400, "invalid", f"Invalid value '{value}' for {name}.", location=name)


def oauth_error(status: int, error: str, description: str | None = None) -> web.Response:
    """An OAuth 2.0 endpoint error (RFC 6749 §5.2 shape, as Google sends it)."""
    body: dict[str, str] = {"error": error}
    if description is not None:
        body["error_description"] = description
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


def error_page(status: int, error: str, detail: str) -> web.Response:
    """The HTML error page Google's authorization endpoint shows instead of redirecting."""
    text = (
        "<!doctype html><html><head><title>Error</title></head><body>"
        f"<h1>Access blocked: authorization error</h1><p>Error {status}: {error}</p>"
        f"<p>{detail}</p></body></html>"
    )
    return web.Response(status=status, text=text, content_type="text/html")


@dataclass
class Fault:
    """An injected failure for the next ``remaining`` calls of one method."""

    status: int
    reason: str | None
    retry_after: float | None
    remaining: int
    applied: bool = False  # the request takes effect before the fault answers
    hang: float = 0.0  # seconds to hold the answer (longer than the client waits: a timeout)

    def api_error(self) -> ApiError:
        """This fault as a Calendar API error."""
        domain, reason, message = FAULT_DEFAULTS.get(
            self.status, ("global", "backendError", "Backend Error")
        )
        if self.reason is not None:
            reason = self.reason
            domain = REASON_DOMAINS.get(reason, domain)
            if reason == "userRateLimitExceeded":
                message = "User Rate Limit Exceeded"
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = _seconds(self.retry_after)
        return ApiError(self.status, reason, message, domain=domain, headers=headers)

    def oauth_response(self) -> web.Response:
        """This fault as an OAuth endpoint answer."""
        error = self.reason or {
            429: "rate_limit_exceeded",
            500: "internal_failure",
            503: "temporarily_unavailable",
        }.get(self.status, "server_error")
        response = oauth_error(self.status, error, "Injected failure")
        if self.retry_after is not None:
            response.headers["Retry-After"] = _seconds(self.retry_after)
        return response


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass
class Call:
    """One request the emulator answered (for tests to inspect)."""

    method_id: str
    params: dict[str, Any]
    status: int
    account: str | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class FaultPlan:
    """Injected faults and latencies, by method id (discovery id or ``oauth.*``)."""

    def __init__(self) -> None:
        self._faults: dict[str, list[Fault]] = {}
        self._latency: dict[str | None, float] = {}
        self._rate = 0.0
        self._mix: Sequence[Fault] = ()
        self._prefix = ""
        self._rng = random.Random(0)  # noqa: S311 - test faults

    def randomly(self, rate: float, mix: Sequence[Fault], *, prefix: str, seed: int) -> None:
        """Fail a `rate` share of the calls whose method id starts with `prefix`, each with a
        fault picked from `mix` (queued faults still come first)."""
        self._rate, self._mix, self._prefix = rate, tuple(mix), prefix
        self._rng = random.Random(seed)  # noqa: S311 - test faults

    def add(self, method_id: str, fault: Fault) -> None:
        """Queue a fault for a method."""
        self._faults.setdefault(method_id, []).append(fault)

    def take(self, method_id: str) -> Fault | None:
        """The fault that applies to this call, consuming one use of it."""
        queue = self._faults.get(method_id)
        if not queue:
            if self._mix and method_id.startswith(self._prefix) and self._rng.random() < self._rate:
                return copy.copy(self._rng.choice(self._mix))
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    def set_latency(self, seconds: float, method_id: str | None) -> None:
        """Delay answers (one method, or all when ``method_id`` is None)."""
        self._latency[method_id] = seconds

    def latency(self, method_id: str) -> float:
        """The delay that applies to a method."""
        return self._latency.get(method_id, self._latency.get(None, 0.0))


def json_body(raw: bytes) -> Any:
    """Parse a JSON request body; raise the Calendar API 400 on garbage."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as err:
        raise ApiError(400, "parseError", "Parse Error") from err
