"""The update queue of the emulated bot: long polling and webhook delivery.

Semantics follow https://core.telegram.org/bots/api#getting-updates:

- Updates get increasing `update_id`s and stay queued until confirmed: a getUpdates call with
  `offset` forgets every update with a smaller id; a negative offset keeps only the last
  `-offset` updates (https://core.telegram.org/bots/api#getupdates).
- One long poll at a time: a new getUpdates terminates the waiting one with 409
  "Conflict: terminated by other getUpdates request; ...".
- `allowed_updates` is one setting shared by getUpdates and setWebhook; it filters updates when
  they are created, and the default leaves out chat_member, message_reaction and
  message_reaction_count.
- While a webhook is set (https://core.telegram.org/bots/api#setwebhook) getUpdates answers 409
  and updates are POSTed to the URL with `X-Telegram-Bot-Api-Secret-Token`, at most
  `max_connections` at once, in order within a chat; a non-2xx answer is recorded as
  `last_error_message` (https://core.telegram.org/bots/api#webhookinfo) and retried later.
  A JSON answer carrying `method` is executed as a Bot API call, as Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from tests.fakes.telegram_model import JSON, ApiError

_LOG = logging.getLogger(__name__)

ALL_UPDATE_TYPES = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
]
DEFAULT_UPDATE_TYPES = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
LONG_POLL_MAX_TIMEOUT = 50


@dataclass
class Webhook:
    """Current webhook settings."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40


@dataclass
class _Pending:
    update: JSON
    key: int | None
    attempts: int = 0
    not_before: float = 0.0
    in_flight: bool = False


@dataclass
class UpdateQueue:
    """Queue of updates waiting for the bot, delivered by getUpdates or a webhook."""

    clock: Callable[[], float]
    first_update_id: int = 1
    retry_delay: float = 0.2
    max_attempts: int | None = None
    delivery_timeout: float = 10.0
    on_webhook_reply: Callable[[JSON], Awaitable[None]] | None = None
    allowed: frozenset[str] | None = None
    webhook: Webhook | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    _pending: list[_Pending] = field(default_factory=list)
    _next_id: int = 0
    _poller: asyncio.Future[None] | None = None
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    long_polling: asyncio.Event = field(default_factory=asyncio.Event)
    _dispatcher: asyncio.Task[None] | None = None
    _in_flight: set[asyncio.Task[None]] = field(default_factory=set)
    _session: aiohttp.ClientSession | None = None

    def __post_init__(self) -> None:
        self._next_id = self.first_update_id

    @property
    def pending_count(self) -> int:
        """Updates not yet confirmed (getUpdates) or delivered (webhook)."""
        return len(self._pending)

    def pending_updates(self) -> list[JSON]:
        """A copy of the queued updates."""
        return [p.update for p in self._pending]

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Change the allowed_updates setting (an empty list restores the default)."""
        if allowed is None:
            return
        self.allowed = frozenset(allowed) if allowed else None

    def accepts(self, kind: str) -> bool:
        """Whether an update of this type would be queued now."""
        return kind in (self.allowed if self.allowed is not None else DEFAULT_UPDATE_TYPES)

    def push(self, kind: str, payload: JSON, key: int | None) -> JSON | None:
        """Queue a new update; None if allowed_updates filters it out."""
        if not self.accepts(kind):
            return None
        update: JSON = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._pending.append(_Pending(update, key))
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(None)
        self._wakeup.set()
        return update

    def drop_pending(self) -> None:
        """Forget every queued update (drop_pending_updates)."""
        self._pending = [p for p in self._pending if p.in_flight]

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            offset = max(self._next_id + offset, 0)
        if offset > 0:
            self._pending = [p for p in self._pending if p.update["update_id"] >= offset]

    async def get_updates(
        self,
        offset: int,
        limit: int,
        timeout: float,  # noqa: ASYNC109
        allowed: list[str] | None,
    ) -> list[JSON]:
        """Serve getUpdates (https://core.telegram.org/bots/api#getupdates)."""
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        self.set_allowed(allowed)
        self._terminate_poller(ApiError(409, TERMINATED))
        self._confirm(offset)
        limit = min(max(limit, 1), 100)
        timeout = min(max(timeout, 0.0), LONG_POLL_MAX_TIMEOUT)
        if self._pending or timeout <= 0:
            return [p.update for p in self._pending[:limit]]
        poller: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._poller = poller
        self.long_polling.set()
        try:
            await asyncio.wait_for(poller, timeout)
        except TimeoutError:
            pass
        finally:
            if self._poller is poller:
                self._poller = None
                self.long_polling.clear()
        return [p.update for p in self._pending[:limit]]

    def _terminate_poller(self, error: ApiError | None) -> None:
        poller, self._poller = self._poller, None
        self.long_polling.clear()
        if poller is not None and not poller.done():
            if error is None:
                poller.set_result(None)
            else:
                poller.set_exception(error)

    async def set_webhook(self, hook: Webhook, *, drop_pending: bool) -> bool:
        """Install a webhook; False if exactly this one was already set."""
        same = self.webhook is not None and self.webhook == hook
        if self.webhook is None or self.webhook.url != hook.url:
            self.last_error_date = self.last_error_message = None
        self.webhook = hook
        if drop_pending:
            self.drop_pending()
        self._terminate_poller(ApiError(409, WEBHOOK_ACTIVE))
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), raise_for_status=False
            )
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch_loop())
        self._wakeup.set()
        return not same

    async def delete_webhook(self, *, drop_pending: bool) -> bool:
        """Remove the webhook; False if there was none."""
        had = self.webhook is not None
        self.webhook = None
        if drop_pending:
            self.drop_pending()
        self._wakeup.set()
        return had

    def webhook_info(self) -> JSON:
        """The WebhookInfo object (https://core.telegram.org/bots/api#webhookinfo)."""
        info: JSON = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None:
            info["ip_address"] = "127.0.0.1"
            info["max_connections"] = self.webhook.max_connections
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        if self.allowed is not None:
            info["allowed_updates"] = sorted(self.allowed)
        return info

    async def close(self) -> None:
        """Stop deliveries and answer a waiting long poll."""
        self.webhook = None
        self._terminate_poller(None)
        self._wakeup.set()
        tasks = [t for t in (self._dispatcher, *self._in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _dispatch_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self.webhook is not None:
            hook = self.webhook
            now = loop.time()
            busy_keys: set[int] = set()
            next_due: float | None = None
            for pending in self._pending:
                if len(self._in_flight) >= hook.max_connections:
                    break
                if pending.key is not None:
                    if pending.key in busy_keys:
                        continue
                    busy_keys.add(pending.key)
                if pending.in_flight:
                    continue
                if pending.not_before > now:
                    due = pending.not_before
                    next_due = due if next_due is None else min(next_due, due)
                    continue
                pending.in_flight = True
                task = asyncio.create_task(self._deliver(pending, hook))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            self._wakeup.clear()
            wait = None if next_due is None else max(next_due - now, 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), wait)

    async def _deliver(self, pending: _Pending, hook: Webhook) -> None:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        pending.attempts += 1
        error: str | None = None
        reply: object = None
        try:
            async with self._session.post(
                hook.url,
                json=pending.update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.delivery_timeout),
            ) as response:
                body = await response.read()
                if 200 <= response.status < 300:
                    if body and response.content_type == "application/json":
                        with contextlib.suppress(ValueError):
                            reply = await response.json()
                else:
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except aiohttp.ClientError as err:
            error = f"Connection error: {err.__class__.__name__}"
        finally:
            pending.in_flight = False
            self._wakeup.set()
        if error is None:
            self.delivered += 1
            if pending in self._pending:
                self._pending.remove(pending)
            if isinstance(reply, dict) and "method" in reply and self.on_webhook_reply:
                try:
                    await self.on_webhook_reply(reply)
                except Exception:
                    _LOG.exception("webhook reply method failed")
            return
        self.last_error_date = int(self.clock())
        self.last_error_message = error
        if self.max_attempts is not None and pending.attempts >= self.max_attempts:
            if pending in self._pending:
                self._pending.remove(pending)
            return
        pending.not_before = asyncio.get_running_loop().time() + self.retry_delay
