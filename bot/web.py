"""The bot's small aiohttp server: `/oauth2/callback` (Google sign-in), `/healthz`, and in
webhook mode `/telegram` (updates from Telegram, checked against the secret token).

The access log is off: the callback's query string carries the one-time code and state,
which must never reach a log. Pages are short, escaped HTML with a link back to Telegram.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from aiohttp import web

from bot.staff_link import Connected, Refused, StaffLinkService

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
OnConnected = Callable[[Connected], Awaitable[None]]
OnRefused = Callable[[Refused], Awaitable[None]]

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
    ) -> None:
        self._host = host
        self._port = port
        self._staff_link = staff_link
        self._bot_link = bot_link
        self._on_connected = on_connected
        self._on_refused = on_refused
        self._explain_refusal = explain_refusal
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None
        self.app = web.Application()
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/oauth2/callback", self._oauth_callback)
        self._telegram = telegram
        if telegram is not None:
            self.app.router.add_post("/telegram", self._telegram_update)

    async def start(self) -> None:
        """Bind and serve."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self._port
        log.info("web server listening on %s:%s", self._host, self.bound_port)

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _telegram_update(self, request: web.Request) -> web.Response:
        assert self._telegram is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._telegram.secret.encode()):
            log.warning("webhook request with a wrong or missing secret token refused")
            return web.json_response({"ok": False}, status=403)
        try:
            data = await request.json()
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
