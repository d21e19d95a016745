"""Push channels (`events.watch`) on staff calendars, and the notifications Google sends.

A channel is opened on each connected staff member's destination and blocking calendars when
the bot has a public https address (or, for tests and local setups, an http loopback address
that GOOGLE_PUSH_ALLOW_HTTP_LOOPBACK allows). Its id is random; its token is an HMAC of the
id under the first key of TOKEN_ENCRYPTION_KEY (every key verifies, so a key rotation keeps
the channels), so a notification is verified without storing a secret. Channels are renewed
a day before they expire, and stopped when the calendar is no longer chosen or the account
no longer connected. Notifications follow
https://developers.google.com/calendar/api/guides/push: a POST without body whose
``X-Goog-Channel-ID``, ``X-Goog-Channel-Token``, ``X-Goog-Resource-ID`` and
``X-Goog-Resource-State`` (``sync`` when the channel opens, then ``exists``) headers say
what changed. Every notification is answered 200; one for an unknown or stopped channel, or
with a wrong token, changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.google.errors import GoogleError
from bot.google_accounts import AccountSession, NotConnected
from storage.sync_state import PushChannel, SyncStateRepository

log = logging.getLogger(__name__)

PUSH_PATH = "/google/push"
RENEW_BEFORE = timedelta(days=1)
# Google names no default lifetime for Calendar channels; without one, renew after this.
ASSUMED_LIFETIME = timedelta(days=7)


def push_address(public_base_url: str, *, allow_http_loopback: bool) -> str | None:
    """Where Google should deliver notifications, or None when it cannot (Google delivers
    only to https; plain http is allowed for a loopback host when explicitly switched on)."""
    parts = urlsplit(public_base_url)
    address = public_base_url.rstrip("/") + PUSH_PATH
    if parts.scheme == "https":
        return address
    if parts.scheme == "http" and allow_http_loopback and _loopback(parts.hostname or ""):
        return address
    return None


def encryption_keys(setting: str) -> list[bytes]:
    """The keys of TOKEN_ENCRYPTION_KEY (comma or space separated), first one first."""
    return [key.encode() for key in re.split(r"[,\s]+", setting) if key]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Notification:
    """A verified change notification for one staff calendar."""

    staff_id: int
    calendar_id: str
    state: str


class PushChannels:
    """Opens, renews, stops and verifies the push channels of staff calendars."""

    def __init__(self, *, address: str, keys: Sequence[bytes], state: SyncStateRepository) -> None:
        if not keys:
            raise ValueError("push channels need a key")
        self.address = address
        self._keys = list(keys)
        self._state = state

    def channel_token(self, channel_id: str, key: bytes | None = None) -> str:
        """The token Google echoes with every notification of the channel (made with the
        first key; the others still verify, so rotating TOKEN_ENCRYPTION_KEY keeps channels)."""
        secret = self._keys[0] if key is None else key
        return hmac.new(secret, b"push:" + channel_id.encode(), hashlib.sha256).hexdigest()

    async def ensure(self, session: AccountSession, calendar_id: str, *, now: datetime) -> bool:
        """Keep a live channel on the calendar (open or renew it); True if one is live."""
        current = await self._state.get(session.staff_id, calendar_id)
        if (
            current is not None
            and current.channel_id is not None
            and current.channel_expires_at is not None
            and current.channel_expires_at - RENEW_BEFORE > now
        ):
            return True
        channel_id = uuid.uuid4().hex
        try:
            opened = await session.watch_events(
                calendar_id,
                channel_id=channel_id,
                address=self.address,
                token=self.channel_token(channel_id),
            )
        except (GoogleError, NotConnected) as err:
            log.warning(
                "could not open a push channel for staff %s: %s",
                session.staff_id,
                type(err).__name__,
            )
            return False
        expires = opened.expires_at or now + ASSUMED_LIFETIME
        await self._state.save_channel(
            session.staff_id,
            calendar_id,
            PushChannel(
                channel_id=opened.channel_id, resource_id=opened.resource_id, expires_at=expires
            ),
            now=now,
        )
        if current is not None and current.channel_id and current.resource_id:
            await self._stop_quietly(session, current.channel_id, current.resource_id)
        return True

    async def stop(
        self, session: AccountSession | None, staff_id: int, calendar_id: str, *, now: datetime
    ) -> None:
        """Stop the calendar's channel at Google (when a session is at hand) and forget it."""
        current = await self._state.get(staff_id, calendar_id)
        if current is None or current.channel_id is None:
            return
        await self._state.save_channel(staff_id, calendar_id, None, now=now)
        if session is not None and current.resource_id:
            await self._stop_quietly(session, current.channel_id, current.resource_id)

    async def _stop_quietly(
        self, session: AccountSession, channel_id: str, resource_id: str
    ) -> None:
        try:
            await session.stop_channel(channel_id, resource_id)
        except (GoogleError, NotConnected) as err:
            log.info(
                "stopping a push channel failed (%s); it expires by itself", type(err).__name__
            )

    async def verify(self, headers: Mapping[str, str]) -> Notification | None:
        """The staff calendar a notification is about, or None if it is not one of ours."""
        channel_id = headers.get("X-Goog-Channel-ID", "")
        token = headers.get("X-Goog-Channel-Token", "")
        try:
            given = token.encode()
        except UnicodeEncodeError:
            return None
        if not channel_id or not any(
            hmac.compare_digest(given, self.channel_token(channel_id, key).encode())
            for key in self._keys
        ):
            return None
        current = await self._state.by_channel(channel_id)
        if current is None or current.resource_id != headers.get("X-Goog-Resource-ID"):
            return None
        return Notification(
            current.staff_id, current.calendar_id, headers.get("X-Goog-Resource-State", "")
        )
