"""Calendar v3 dispatch of the Google emulator: routes, bearer auth, scopes, quotas, call log.

Routes, HTTP methods and per-method scopes come from the Calendar v3 discovery document that
google-api-python-client ships (the same document aiogoogle is built from), so paths are exactly
``{rootUrl}calendar/v3/<method path>``. Before a handler runs, every request goes through what
Google does first (https://developers.google.com/calendar/api/guides/errors):
- 401 ``authError`` "Invalid Credentials" for a missing, unknown, expired or revoked token;
- 403 ``insufficientPermissions`` "Request had insufficient authentication scopes." when the
  token holds none of the method's scopes (https://developers.google.com/calendar/api/auth);
- 403 ``usageLimits``/``userRateLimitExceeded`` past an optional per-user rate
  (https://developers.google.com/calendar/api/guides/quota), and any injected fault.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.resources
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from tests.fakes.google_http import ApiError, Call, FaultPlan, invalid_param, json_body
from tests.fakes.google_oauth import AccessToken, OAuthServer
from tests.fakes.google_store import (
    ROLE_ORDER,
    SCOPE_PREFIX,
    Account,
    Calendar,
    GoogleStore,
    parse_rfc3339,
)

_DOC_PATH = "discovery_cache/documents/calendar.v3.json"
# Scopes that only reach some calendars: with nothing broader, access is narrowed.
_APP_CREATED = SCOPE_PREFIX + "calendar.app.created"
_OWNED = {SCOPE_PREFIX + "calendar.events.owned", SCOPE_PREFIX + "calendar.events.owned.readonly"}
_FREEBUSY_ONLY = {SCOPE_PREFIX + "calendar.events.freebusy", SCOPE_PREFIX + "calendar.freebusy"}
_PUBLIC = SCOPE_PREFIX + "calendar.events.public.readonly"


def load_discovery() -> dict[str, Any]:
    """The Calendar v3 discovery document shipped with google-api-python-client."""
    files = importlib.resources.files("googleapiclient")
    loaded: dict[str, Any] = json.loads((files / _DOC_PATH).read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class MethodSpec:
    """One discovery method: id, HTTP verb, path template and accepted scopes."""

    id: str
    http_method: str
    path: str
    scopes: frozenset[str]


def method_specs(doc: dict[str, Any]) -> dict[str, MethodSpec]:
    """Every method of the discovery document, by id."""
    specs: dict[str, MethodSpec] = {}

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                specs[method["id"]] = MethodSpec(
                    method["id"],
                    method["httpMethod"],
                    method["path"],
                    frozenset(method.get("scopes", [])),
                )
            walk(resource.get("resources", {}))

    walk(doc["resources"])
    return specs


def rewritten_discovery(doc: dict[str, Any], root_url: str) -> dict[str, Any]:
    """A copy of the discovery document whose URLs point at ``root_url``."""
    out = copy.deepcopy(doc)
    out["rootUrl"] = root_url
    out["baseUrl"] = root_url + out["servicePath"]
    out["mtlsRootUrl"] = root_url
    return out


@dataclass
class ApiContext:
    """What a Calendar handler gets: the caller, its token, parameters and body."""

    request: web.Request
    spec: MethodSpec
    store: GoogleStore
    account: Account
    token: AccessToken
    query: MultiMapping[str]
    body: Any

    def path(self, name: str) -> str:
        """A path parameter (already percent-decoded)."""
        return self.request.match_info[name]

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean query parameter; Google accepts any letter case ("True" from aiogoogle)."""
        raw = self.query.get(name)
        if raw is None:
            return default
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise invalid_param(name, raw)

    def integer(self, name: str, default: int, *, minimum: int = 1, maximum: int) -> int:
        """An integer query parameter, clamped to ``maximum`` like Google does."""
        raw = self.query.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError as err:
            raise invalid_param(name, raw) from err
        if value < minimum:
            raise invalid_param(name, raw)
        return min(value, maximum)

    def moment(self, name: str) -> datetime | None:
        """An RFC 3339 query parameter with its mandatory offset."""
        raw = self.query.get(name)
        if raw is None:
            return None
        parsed = parse_rfc3339(raw)
        if parsed is None:
            raise ApiError(400, "badRequest", "Bad Request", location=name)
        return parsed

    def object_body(self) -> dict[str, Any]:
        """The JSON body, which must be an object."""
        if not isinstance(self.body, dict):
            raise ApiError(400, "required", "Required", location="resource")
        return self.body

    @property
    def effective_scopes(self) -> frozenset[str]:
        """The token's scopes that this method accepts."""
        return self.token.scopes & self.spec.scopes

    def calendar(self, calendar_id: str, min_role: str = "reader") -> Calendar:
        """Resolve a calendar the caller may use with ``min_role``, else Google's error."""
        calendar = self.store.calendar_for(calendar_id, self.account)
        if calendar is None:
            raise ApiError(404, "notFound", "Not Found")
        scopes = self.effective_scopes
        role = calendar.role_of(self.account.email) or ""
        broad = scopes - {_APP_CREATED, _PUBLIC} - _OWNED - _FREEBUSY_ONLY
        if not broad:
            allowed = (
                (_APP_CREATED in scopes and calendar.created_by_client == self.token.client_id)
                or (bool(scopes & _OWNED) and role == "owner")
                or bool(scopes & _FREEBUSY_ONLY)
            )
            if not allowed:
                raise insufficient_scopes()
        if ROLE_ORDER[role] < ROLE_ORDER[min_role]:
            need = "writer" if min_role in ("writer", "owner") else "reader"
            raise ApiError(
                403,
                "requiredAccessLevel",
                f"You need to have {need} access to this calendar.",
                domain="calendar",
            )
        return calendar

    def freebusy_view(self, calendar: Calendar) -> bool:
        """Whether the caller sees only free/busy data of the calendar's events."""
        role = calendar.role_of(self.account.email)
        scopes = self.effective_scopes
        return role == "freeBusyReader" or (bool(scopes) and scopes <= _FREEBUSY_ONLY)


Handler = Callable[[ApiContext], Awaitable[web.StreamResponse]]


def insufficient_scopes() -> ApiError:
    """Google's 403 for a token lacking the method's scopes."""
    return ApiError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": {"service": "calendar-json.googleapis.com"},
            }
        ],
    )


class CalendarApi:
    """Routes Calendar v3 requests to handlers after auth, scope, quota and fault checks."""

    def __init__(
        self, store: GoogleStore, oauth: OAuthServer, *, faults: FaultPlan, calls: list[Call]
    ) -> None:
        self.store = store
        self.oauth = oauth
        self.faults = faults
        self.calls = calls
        self.doc = load_discovery()
        self.specs = method_specs(self.doc)
        self.handlers: dict[str, Handler] = {}
        self.user_rate_limit: int | None = None
        self._window: dict[str, tuple[int, int]] = {}

    def register(self, handlers: dict[str, Handler]) -> None:
        """Add handlers by discovery method id."""
        unknown = set(handlers) - set(self.specs)
        if unknown:
            raise KeyError(f"not in the discovery document: {sorted(unknown)}")
        self.handlers.update(handlers)

    def add_routes(self, app: web.Application) -> None:
        """Register one route per implemented method (literal paths before templated ones)."""
        ordered = sorted(self.handlers, key=lambda mid: self.specs[mid].path.count("{"))
        for method_id in ordered:
            spec = self.specs[method_id]
            app.router.add_route(
                spec.http_method, "/" + self.doc["servicePath"] + spec.path, self._endpoint(spec)
            )

    def _endpoint(self, spec: MethodSpec) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            return await self.dispatch(request, spec)

        return endpoint

    async def dispatch(self, request: web.Request, spec: MethodSpec) -> web.StreamResponse:
        """Run the checks Google runs, then the handler; log the call."""
        await asyncio.sleep(self.faults.latency(spec.id))
        raw = await request.read()
        params: dict[str, Any] = {**request.match_info, **_flat(request.query)}
        account: str | None = None
        body: Any = None
        try:
            body = json_body(raw)
            fault = self.faults.take(spec.id)
            if fault is not None and not fault.applied:
                await asyncio.sleep(fault.hang)
                raise fault.api_error()
            token = self._authenticate(request)
            account = token.account.email
            if not token.scopes & spec.scopes:
                raise insufficient_scopes()
            self._check_rate(token.account)
            ctx = ApiContext(request, spec, self.store, token.account, token, request.query, body)
            response = await self.handlers[spec.id](ctx)
            if fault is not None:  # applied: the write stands, the answer is lost
                await asyncio.sleep(fault.hang)
                raise fault.api_error()
        except ApiError as err:
            response = err.response()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("if-")}
        self.calls.append(Call(spec.id, params, response.status, account, body, headers))
        return response

    def _authenticate(self, request: web.Request) -> AccessToken:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token = self.oauth.authenticate(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise ApiError(
                401,
                "authError",
                "Invalid Credentials",
                location="Authorization",
                location_type="header",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        return token

    def _check_rate(self, account: Account) -> None:
        if self.user_rate_limit is None:
            return
        second = int(self.store.now().timestamp())
        start, count = self._window.get(account.email, (second, 0))
        if start != second:
            start, count = second, 0
        count += 1
        self._window[account.email] = (start, count)
        if count > self.user_rate_limit:
            raise ApiError(
                403, "userRateLimitExceeded", "User Rate Limit Exceeded", domain="usageLimits"
            )


def _flat(query: MultiMapping[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in query:
        values = query.getall(key)
        out[key] = values[0] if len(values) == 1 else list(values)
    return out
