"""Push notifications of the Google emulator: events.watch, channels.stop, deliveries.

Follows https://developers.google.com/calendar/api/guides/push:
- a watch request names a channel ``id`` (unique, at most 64 characters), ``type`` ``web_hook``,
  an ``address`` and optionally ``token`` and ``expiration`` (Unix ms); the answer carries an
  opaque ``resourceId`` (stable for the watched collection), a ``resourceUri`` and
  ``expiration``;
- Google only delivers to HTTPS addresses ("This is an HTTPS server"); the emulator also
  accepts ``http://127.0.0.1``/``localhost`` so tests need no TLS (``allow_http`` turns that
  off);
- each notification is a POST without body with ``X-Goog-Channel-ID``,
  ``X-Goog-Channel-Token`` (when set), ``X-Goog-Channel-Expiration`` (human-readable),
  ``X-Goog-Resource-ID``, ``X-Goog-Resource-URI``, ``X-Goog-Resource-State`` (``sync`` once
  when the channel starts, then ``exists``) and ``X-Goog-Message-Number`` (1 for ``sync``,
  then increasing);
- channels.stop (https://developers.google.com/calendar/api/v3/reference/channels/stop) takes
  ``id`` and ``resourceId``, answers 204, and 404 for a channel it does not know.
The reference gives no default lifetime for Calendar channels; the emulator uses 7 days when the
request has no ``expiration`` and never delivers after a channel expired (emulator clock).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from tests.fakes.google_api import ApiContext
from tests.fakes.google_http import ApiError
from tests.fakes.google_store import GoogleStore, default_channel_ttl


@dataclass
class Channel:
    """A notification channel on one calendar's events."""

    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    address: str
    token: str | None
    expiration: datetime
    account: str
    client_id: str
    messages: int = 0
    stopped: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Delivery:
    """One notification attempt (for tests to inspect)."""

    channel_id: str
    state: str
    number: int
    status: int | None
    error: str | None = None


class PushHub:
    """Watch channels and the deliveries they cause."""

    def __init__(self, store: GoogleStore, api_root: Any) -> None:
        self.store = store
        self._api_root = api_root
        self.channels: dict[str, Channel] = {}
        self.deliveries: list[Delivery] = []
        self.allow_http = True
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        store.on_change.append(self.changed)

    def handlers(self) -> dict[str, Any]:
        """Handlers by discovery method id."""
        return {"calendar.events.watch": self.watch, "calendar.channels.stop": self.stop}

    async def watch(self, ctx: ApiContext) -> web.Response:
        """events.watch: open a channel and send its ``sync`` message."""
        calendar = ctx.calendar(ctx.path("calendarId"), "freeBusyReader")
        body = ctx.object_body()
        channel_id = body.get("id")
        if not isinstance(channel_id, str) or not channel_id:
            raise ApiError(400, "required", "Required", location="id")
        if len(channel_id) > 64:
            raise ApiError(400, "invalid", "Invalid channel id.", location="id")
        if channel_id in self.channels:
            raise ApiError(
                400, "channelIdNotUnique", f"Channel id {channel_id} not unique", domain="push"
            )
        if body.get("type") not in ("web_hook", "webhook"):
            raise ApiError(
                400, "invalid", f"Unknown channel type: {body.get('type')}", domain="push"
            )
        address = str(body.get("address") or "")
        url = URL(address)
        local = url.scheme == "http" and url.host in ("127.0.0.1", "localhost")
        if url.scheme != "https" and not (self.allow_http and local):
            raise ApiError(
                400,
                "push.webhookUrlNotHttps",
                f"WebHook callback must be HTTPS: {address}",
                domain="push",
            )
        now = self.store.now()
        expiration = now + default_channel_ttl()
        if body.get("expiration") is not None:
            asked = datetime.fromtimestamp(int(body["expiration"]) / 1000, UTC)
            if asked <= now:
                raise ApiError(400, "invalid", "Invalid expiration.", location="expiration")
            expiration = min(asked, expiration)
        resource_uri = f"{self._api_root()}calendar/v3/calendars/{calendar.id}/events?alt=json"
        channel = Channel(
            channel_id,
            calendar.resource_id,
            resource_uri,
            calendar.id,
            address,
            body.get("token"),
            expiration,
            ctx.account.email,
            ctx.token.client_id,
        )
        self.channels[channel_id] = channel
        self._schedule(channel, "sync")
        answer: dict[str, Any] = {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": channel.resource_uri,
            "expiration": str(int(expiration.timestamp() * 1000)),
        }
        if channel.token is not None:
            answer["token"] = channel.token
        return web.json_response(answer)

    async def stop(self, ctx: ApiContext) -> web.Response:
        """channels.stop."""
        body = ctx.object_body()
        channel = self.channels.get(str(body.get("id")))
        if (
            channel is None
            or channel.stopped
            or channel.resource_id != body.get("resourceId")
            or channel.client_id != ctx.token.client_id
        ):
            raise ApiError(
                404, "notFound", f"Channel '{body.get('id')}' not found for project 'emulator'"
            )
        channel.stopped = True
        return web.Response(status=204)

    def changed(self, calendar_id: str) -> None:
        """A calendar's events changed: notify every live channel on it."""
        for channel in self.channels.values():
            if channel.calendar_id == calendar_id and not channel.stopped:
                self._schedule(channel, "exists")

    def _schedule(self, channel: Channel, state: str) -> None:
        channel.messages += 1
        task = asyncio.get_running_loop().create_task(
            self._deliver(channel, state, channel.messages)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, channel: Channel, state: str, number: int) -> None:
        async with channel.lock:
            if channel.stopped or self.store.now() >= channel.expiration:
                return
            headers = {
                "X-Goog-Channel-ID": channel.id,
                "X-Goog-Channel-Expiration": format_datetime(channel.expiration, usegmt=True),
                "X-Goog-Resource-ID": channel.resource_id,
                "X-Goog-Resource-URI": channel.resource_uri,
                "X-Goog-Resource-State": state,
                "X-Goog-Message-Number": str(number),
            }
            if channel.token is not None:
                headers["X-Goog-Channel-Token"] = channel.token
            if self._session is None:
                self._session = aiohttp.ClientSession()
            try:
                async with self._session.post(channel.address, headers=headers) as response:
                    await response.read()
                    self.deliveries.append(Delivery(channel.id, state, number, response.status))
            except aiohttp.ClientError as err:
                self.deliveries.append(Delivery(channel.id, state, number, None, repr(err)))

    async def drain(self) -> None:
        """Wait until every notification scheduled so far was attempted."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel pending deliveries and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None
