"""``FakeGoogle``: an emulator of Google OAuth 2.0 and Calendar API v3 on 127.0.0.1.

The bot reaches it with its real clients — google-auth-oauthlib's ``Flow`` and aiogoogle built
from the Calendar v3 discovery document with ``rootUrl`` rewritten — through the settings
``GOOGLE_OAUTH_AUTH_URI = google.auth_uri``, ``GOOGLE_OAUTH_TOKEN_URI = google.token_uri``,
``GOOGLE_OAUTH_REVOKE_URI = google.revoke_uri`` and ``GOOGLE_API_ROOT_URL =
google.api_root_url``. Tests drive the other side: who signs in and what they consent to,
what a staff member does in Google Calendar, which calls fail, and what Google would have sent.

    async with FakeGoogle(client_id="cid", client_secret="secret", clock=clock) as google:
        google.register_redirect_uri("http://127.0.0.1:8080/oauth2/callback")
        alice = google.add_account("alice@example.com", name="Alice")
        google.set_consent(alice)

The pieces: :mod:`~tests.fakes.google_store` (state), :mod:`~tests.fakes.google_oauth`
(authorization server), :mod:`~tests.fakes.google_api` (Calendar dispatch, auth, scopes,
quotas), :mod:`~tests.fakes.google_events`, :mod:`~tests.fakes.google_events_list`,
:mod:`~tests.fakes.google_calendar`, :mod:`~tests.fakes.google_push`,
:mod:`~tests.fakes.google_http` (error shapes, fault injection),
:mod:`~tests.fakes.google_idtoken` (id_token signing keys). Each module's docstring cites
the Google documentation it follows and says where the emulator knowingly differs.

OAuth over plain http: oauthlib refuses non-https endpoints unless the environment has
``OAUTHLIB_INSECURE_TRANSPORT=1``; tests that run ``Flow`` against the emulator must set it.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.clock import Clock
from tests.fakes.google_api import CalendarApi, rewritten_discovery
from tests.fakes.google_calendar import CalendarHandlers
from tests.fakes.google_events import EventHandlers, Invitation, build_time
from tests.fakes.google_events_list import EventListHandler
from tests.fakes.google_http import Call, Fault, FaultPlan
from tests.fakes.google_oauth import OAuthServer
from tests.fakes.google_push import Channel, Delivery, PushHub
from tests.fakes.google_store import JSON, Account, Calendar, GoogleStore, StoredEvent

__all__ = [
    "Account",
    "Calendar",
    "Call",
    "Channel",
    "Delivery",
    "FakeGoogle",
    "Fault",
    "Invitation",
]


class FakeGoogle:
    """Google OAuth 2.0 + Calendar v3 emulator served by aiohttp (start with ``async with``)."""

    def __init__(
        self,
        *,
        client_id: str = "emulator-client.apps.googleusercontent.com",
        client_secret: str = "emulator-secret",  # noqa: S107 - a test double's secret
        clock: Clock,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.store = GoogleStore(clock)
        self.calls: list[Call] = []
        self.invitations: list[Invitation] = []
        self._faults = FaultPlan()
        self._host, self._port = host, port
        self._base_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._calendar = CalendarHandlers(self.store)
        self.oauth = OAuthServer(
            self.store, client_id, client_secret, set(), faults=self._faults, calls=self.calls
        )
        self.api = CalendarApi(self.store, self.oauth, faults=self._faults, calls=self.calls)
        self.oauth.known_scopes |= set(self.api.doc["auth"]["oauth2"]["scopes"])
        self.push = PushHub(self.store, lambda: self.api_root_url)
        self.api.register(EventHandlers(self.store, self.invitations).handlers())
        self.api.register(EventListHandler(self.store).handlers())
        self.api.register(self._calendar.handlers())
        self.api.register(self.push.handlers())

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1 (a free port unless one was given)."""
        app = web.Application()
        self.oauth.add_routes(app)
        self.api.add_routes(app)
        app.router.add_get("/.well-known/openid-configuration", self._openid_configuration)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = self._port
        for sock in self._runner.addresses:
            port = int(sock[1])
        self._base_url = f"http://{self._host}:{port}/"

    async def close(self) -> None:
        """Stop deliveries and the server."""
        await self.push.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGoogle:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- settings ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        if self._base_url is None:
            raise RuntimeError("FakeGoogle is not started")
        return self._base_url

    @property
    def auth_uri(self) -> str:
        """Authorization endpoint (GOOGLE_OAUTH_AUTH_URI)."""
        return self.base_url + "o/oauth2/auth"

    @property
    def token_uri(self) -> str:
        """Token endpoint (GOOGLE_OAUTH_TOKEN_URI)."""
        return self.base_url + "token"

    @property
    def revoke_uri(self) -> str:
        """Revocation endpoint (GOOGLE_OAUTH_REVOKE_URI)."""
        return self.base_url + "revoke"

    @property
    def userinfo_uri(self) -> str:
        """OpenID Connect userinfo endpoint."""
        return self.base_url + "oauth2/v3/userinfo"

    @property
    def certs_uri(self) -> str:
        """The id_token signing key as PEM certificates (google-auth's default format)."""
        return self.base_url + "oauth2/v1/certs"

    @property
    def jwks_uri(self) -> str:
        """Keys that verify the emulator's id_tokens."""
        return self.base_url + "oauth2/v3/certs"

    @property
    def api_root_url(self) -> str:
        """Discovery ``rootUrl`` replacement (GOOGLE_API_ROOT_URL)."""
        return self.base_url

    def openid_configuration(self) -> dict[str, Any]:
        """Google's OpenID configuration with the emulator's endpoints (aiogoogle's configs)."""
        return {
            "issuer": "https://accounts.google.com",
            "authorization_endpoint": self.auth_uri,
            "token_endpoint": self.token_uri,
            "userinfo_endpoint": self.userinfo_uri,
            "revocation_endpoint": self.revoke_uri,
            "jwks_uri": self.jwks_uri,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
        }

    async def _openid_configuration(self, request: web.Request) -> web.Response:
        return web.json_response(self.openid_configuration())

    def discovery_document(self) -> dict[str, Any]:
        """The Calendar v3 discovery document with rootUrl/baseUrl pointing here."""
        return rewritten_discovery(self.api.doc, self.api_root_url)

    def client_config(self, redirect_uris: list[str] | None = None) -> dict[str, Any]:
        """A ``{"web": ...}`` client config for ``Flow.from_client_config``."""
        uris = redirect_uris if redirect_uris is not None else sorted(self.oauth.redirect_uris)
        return {
            "web": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "redirect_uris": uris,
            }
        }

    # -- OAuth controls ----------------------------------------------------------------------

    def register_redirect_uri(self, uri: str) -> None:
        """Authorize a redirect URI for the client (Cloud Console "Authorized redirect URIs")."""
        self.oauth.redirect_uris.add(uri)

    def set_consent(self, account: Account, *, grant: Any = None, deny: bool = False) -> None:
        """Sign ``account`` in; on the consent screen grant all, a subset (``grant``), or deny."""
        self.oauth.set_consent(account, grant=grant, deny=deny)

    @property
    def testing_mode(self) -> bool:
        """Publishing status "Testing": refresh tokens issued meanwhile live 7 days."""
        return self.oauth.testing_mode

    @testing_mode.setter
    def testing_mode(self, value: bool) -> None:
        self.oauth.testing_mode = value

    def revoke_account(self, account: Account) -> None:
        """The user removes the app's access from their Google Account."""
        self.oauth.revoke_account(account)

    def expire_access_tokens(self) -> None:
        """Expire every access token issued so far (refresh tokens stay valid)."""
        self.oauth.expire_access_tokens()

    # -- accounts, calendars, events ---------------------------------------------------------

    def add_account(
        self, email: str, *, name: str | None = None, time_zone: str = "UTC"
    ) -> Account:
        """An account with a primary calendar whose id is the e-mail address."""
        return self.store.add_account(email, name or email.split("@")[0].title(), time_zone)

    def add_calendar(
        self,
        account: Account,
        summary: str,
        access_role: str = "owner",
        *,
        time_zone: str | None = None,
        hidden: bool = False,
    ) -> Calendar:
        """A secondary calendar ``account`` reaches with ``access_role``."""
        return self.store.add_calendar(
            account, summary, access_role, time_zone=time_zone, hidden=hidden
        )

    def share_calendar(self, calendar_id: str, account: Account, access_role: str) -> None:
        """Give another account access to a calendar."""
        self.store.calendar(calendar_id).acl[account.email] = access_role

    def events(self, calendar_id: str, include_deleted: bool = False) -> list[JSON]:
        """The calendar's events as stored (dateTime in UTC), oldest first."""
        return self.store.events_of(calendar_id, include_deleted=include_deleted)

    def user_add_event(
        self,
        calendar_id: str,
        start: datetime | date,
        end: datetime | date,
        *,
        transparency: str = "opaque",
        summary: str = "Busy",
        status: str = "confirmed",
    ) -> JSON:
        """The calendar's owner adds an event in Google Calendar (datetime or all-day dates)."""
        calendar = self.store.calendar(calendar_id)
        event_id = self.store.new_event_id()
        resource: JSON = {
            "kind": "calendar#event",
            "id": event_id,
            "status": status,
            "summary": summary,
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "creator": {"email": calendar_id},
            "organizer": {"email": calendar_id, "self": True},
            "start": build_time(start),
            "end": build_time(end),
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        if transparency != "opaque":
            resource["transparency"] = transparency
        stored = StoredEvent(resource, 0, created_by_user=True)
        calendar.events[event_id] = stored
        self.store.touch(calendar, stored, created=True)
        return copy.deepcopy(resource)

    def user_update_event(
        self,
        calendar_id: str,
        event_id: str,
        *,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
        summary: str | None = None,
        transparency: str | None = None,
    ) -> JSON:
        """The owner edits an event in Google Calendar (bumps etag, updated, sequence)."""
        calendar = self.store.calendar(calendar_id)
        stored = calendar.events[event_id]
        resource = stored.resource
        if start is not None:
            resource["start"] = build_time(start)
        if end is not None:
            resource["end"] = build_time(end)
        if summary is not None:
            resource["summary"] = summary
        if transparency is not None:
            resource.pop("transparency", None)
            if transparency != "opaque":
                resource["transparency"] = transparency
        resource["sequence"] = int(resource.get("sequence", 0)) + 1
        self.store.touch(calendar, stored)
        return copy.deepcopy(resource)

    def user_delete_event(self, calendar_id: str, event_id: str) -> None:
        """The owner deletes an event in Google Calendar."""
        calendar = self.store.calendar(calendar_id)
        stored = calendar.events[event_id]
        stored.resource["status"] = "cancelled"
        stored.resource["sequence"] = int(stored.resource.get("sequence", 0)) + 1
        self.store.touch(calendar, stored)

    def invalidate_sync_tokens(self, calendar_id: str) -> None:
        """Every sync token of the calendar answers 410 ``fullSyncRequired`` from now on."""
        self.store.invalidate_sync_tokens(calendar_id)

    # -- faults, quotas, push ----------------------------------------------------------------

    def fail_next(
        self,
        method_id: str,
        status: int,
        *,
        reason: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
        applied: bool = False,
        hang: float = 0.0,
    ) -> None:
        """Fail the next ``times`` calls of a method (discovery id, ``oauth.token``/``revoke``);
        ``applied``: the call takes effect, then fails; ``hang``: seconds before answering."""
        if not method_id.startswith("oauth.") and method_id not in self.api.specs:
            raise KeyError(f"unknown method id {method_id!r}")
        self._faults.add(
            method_id, Fault(status, reason, retry_after, times, applied=applied, hang=hang)
        )

    def fail_randomly(
        self, rate: float, mix: list[Fault], *, prefix: str = "calendar.", seed: int = 0
    ) -> None:
        """Fail a `rate` share of Calendar calls with faults picked from `mix` (seeded)."""
        self._faults.randomly(rate, mix, prefix=prefix, seed=seed)

    def set_latency(self, seconds: float, method_id: str | None = None) -> None:
        """Delay answers of one method, or of all when ``method_id`` is None."""
        self._faults.set_latency(seconds, method_id)

    def set_user_rate_limit(self, per_second: int | None) -> None:
        """Answer 403 ``userRateLimitExceeded`` past N calls per user per emulator-clock second."""
        self.api.user_rate_limit = per_second

    @property
    def freebusy_max_range(self) -> timedelta:
        """Longest freebusy.query range accepted (90 days by default)."""
        return self._calendar.freebusy_max_range

    @freebusy_max_range.setter
    def freebusy_max_range(self, value: timedelta) -> None:
        self._calendar.freebusy_max_range = value

    @property
    def channels(self) -> dict[str, Channel]:
        """Push channels by id."""
        return self.push.channels

    @property
    def push_deliveries(self) -> list[Delivery]:
        """Every push notification attempted, in order."""
        return self.push.deliveries

    async def drain_push(self) -> None:
        """Wait until every push notification scheduled so far was attempted."""
        await self.push.drain()

    def calls_of(self, method_id: str) -> list[Call]:
        """The logged calls of one method."""
        return [c for c in self.calls if c.method_id == method_id]
