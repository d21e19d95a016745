"""The bot's small aiohttp server: `/oauth2/callback` (Google sign-in), `/healthz`, in
webhook mode `/telegram` (updates from Telegram, checked against the secret token), and with
Google push on `/google/push` (Calendar change notifications, verified by the receiver).

The access log is off: the callback's query string carries the one-time code and state,
which must never reach a log. Pages are short, escaped HTML with a link back to Telegram.
Connections, request heads and bodies are bounded (`bot.web_limits`); responses name the
server "bookbot", without versions.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from aiohttp import web

from bot.staff_link import Connected, Refused, StaffLinkService
from bot.web_limits import ConnectionLimiter, WebLimits

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
SERVER_NAME = "bookbot"
# After answering a request whose body was not read, read and drop the rest this long.
LINGERING_SECONDS = 2.0
OnConnected = Callable[[Connected], Awaitable[None]]
OnRefused = Callable[[Refused], Awaitable[None]]
GooglePush = Callable[[Mapping[str, str]], Awaitable[None]]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport"
content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;
line-height:1.5}}a.button{{display:inline-block;padding:.6rem 1rem;background:#229ed9;
color:#fff;border-radius:.4rem;text-decoration:none}}</style></head>
<body><h1>{title}</h1><p>{body}</p><p><a class="button" href="{back}">Back to Telegram</a></p>
</body></html>"""


def page(title: str, body: str, back: str, status: int = 200) -> web.Response:
    """A small HTML page; every argument is escaped here."""
    html = _PAGE.format(title=escape(title), body=escape(body), back=escape(back, quote=True))
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@dataclass(frozen=True, slots=True)
class TelegramWebhook:
    """Where webhook updates go: `receive` queues one and may return a method to run as the
    webhook reply (https://core.telegram.org/bots/api#making-requests-when-getting-updates)."""

    secret: str
    receive: Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]


class WebServer:
    """Runs the HTTP endpoints next to the Telegram bot, in the same event loop."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        staff_link: StaffLinkService,
        bot_link: Callable[[], str],
        on_connected: OnConnected,
        on_refused: OnRefused,
        explain_refusal: Callable[[Refused], str],
        telegram: TelegramWebhook | None = None,
        limits: WebLimits | None = None,
        google_push: GooglePush | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._staff_link = staff_link
        self._bot_link = bot_link
        self._on_connected = on_connected
        self._on_refused = on_refused
        self._explain_refusal = explain_refusal
        self._limits = limits or WebLimits()
        self.connections = ConnectionLimiter(self._limits)
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self.bound_port: int | None = None
        self.app = web.Application(
            middlewares=[self.connections.middleware], client_max_size=self._limits.max_body_bytes
        )
        self.app.on_response_prepare.append(_name_the_server)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/oauth2/callback", self._oauth_callback)
        self._telegram = telegram
        if telegram is not None:
            self.app.router.add_post("/telegram", self._telegram_update)
        self._google_push = google_push
        if google_push is not None:
            self.app.router.add_post("/google/push", self._google_push_notification)

    async def start(self) -> None:
        """Bind and serve."""
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            keepalive_timeout=self._limits.keepalive_timeout,
            lingering_time=LINGERING_SECONDS,
        )
        await self._runner.setup()
        aiohttp_server = self._runner.server
        assert aiohttp_server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self.connections.protocol_factory(aiohttp_server), self._host, self._port
        )
        self.bound_port = self._server.sockets[0].getsockname()[1]
        log.info("web server listening on %s:%s", self._host, self.bound_port)

    async def stop(self) -> None:
        """Stop accepting, finish or close every connection, stop serving."""
        if self._server is not None:
            self._server.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _telegram_update(self, request: web.Request) -> web.Response:
        assert self._telegram is not None
        if not _same_secret(request.headers.get(SECRET_HEADER, ""), self._telegram.secret):
            log.warning("webhook request with a wrong or missing secret token refused")
            return web.json_response({"ok": False}, status=403)
        limits = self._limits
        if (request.content_length or 0) > limits.max_body_bytes:
            return web.json_response({"ok": False}, status=413)
        try:
            async with asyncio.timeout(limits.body_timeout):
                body = await request.read()
        except TimeoutError:
            log.warning("webhook request body not received within %ss", limits.body_timeout)
            response = web.json_response({"ok": False}, status=408)
            response.force_close()
            return response
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"ok": False}, status=413)
        try:
            data = json.loads(body)
        except ValueError:
            return web.json_response({"ok": False}, status=400)
        if not isinstance(data, dict) or "update_id" not in data:
            return web.json_response({"ok": False}, status=400)
        try:
            reply = await self._telegram.receive(data)
        except Exception:
            # Acknowledge a malformed update: refusing it would make Telegram resend it forever.
            log.exception("webhook update %s could not be read; dropped", data.get("update_id"))
            return web.Response(status=200)
        return web.json_response(reply) if reply else web.Response(status=200)

    async def _google_push_notification(self, request: web.Request) -> web.Response:
        """A Calendar push notification: always 200 (an unknown or stopped channel, or a wrong
        token, is ignored by the receiver), so Google does not retry it."""
        assert self._google_push is not None
        try:
            await self._google_push(request.headers)
        except Exception:
            log.exception("a Google push notification could not be handled")
        return web.Response(status=200)

    async def _oauth_callback(self, request: web.Request) -> web.Response:
        query = request.query
        back = self._bot_link()
        try:
            outcome = await self._staff_link.complete_consent(
                state=query.get("state"), code=query.get("code"), error=query.get("error")
            )
        except Exception:
            log.exception("OAuth callback failed")
            return page(
                "Something went wrong",
                "Nothing was stored. Please go back to Telegram and try /connect again.",
                back,
                status=500,
            )
        if isinstance(outcome, Refused):
            log.info("OAuth callback refused (staff %s)", outcome.staff_id)
            await self._safely(self._on_refused(outcome))
            return page("Not connected", self._explain_refusal(outcome), back, status=400)
        log.info("Google connected for staff %s", outcome.staff.id)
        await self._safely(self._on_connected(outcome))
        body = f"Connected as {outcome.email}."
        if outcome.missing:
            body += (
                " Some permissions were not granted, so these will not work: "
                + "; ".join(outcome.missing)
                + "."
            )
        return page(f"Connected as {outcome.email}", body + " Go back to Telegram to finish.", back)

    @staticmethod
    async def _safely(action: Awaitable[None]) -> None:
        try:
            await action
        except Exception:
            log.exception("could not message Telegram after the OAuth callback")


async def _name_the_server(request: web.Request, response: web.StreamResponse) -> None:
    """aiohttp would send `Server: Python/3.x aiohttp/3.y`, naming versions to look up."""
    response.headers["Server"] = SERVER_NAME


def _same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison; a header that is not valid UTF-8 (aiohttp keeps its bytes
    as surrogate escapes) is simply not the secret."""
    try:
        given_bytes = given.encode()
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(given_bytes, expected.encode())
