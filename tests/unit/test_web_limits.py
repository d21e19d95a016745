"""The web server bounds what one client can take: idle connections beyond the cap are closed
(longest idle first) so a real request is still answered, a request head or a keep-alive pause
that drags on is cut off, a slow or oversized webhook body is refused, and responses do not
name aiohttp's version. Everything runs on 127.0.0.1 with a few connections and small limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import aiohttp
import pytest

from bot.staff_link import Refused, StaffLinkService
from bot.web import TelegramWebhook, WebServer
from bot.web_limits import WebLimits

WAIT = 30.0  # seconds; bounds a failure only, the server answers or closes long before
SECRET = "s3cret-token"
IDLE = 20
CAP = 8


class _NoGoogle:
    """The part of StaffLinkService the callback uses, for a bot without Google."""

    async def complete_consent(
        self, *, state: str | None, code: str | None, error: str | None
    ) -> Refused:
        return Refused(reason="google_off")


async def _nothing(outcome: object) -> None:
    return None


@contextlib.asynccontextmanager
async def _serving(
    limits: WebLimits,
    receive: Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]] | None = None,
) -> AsyncIterator[WebServer]:
    async def ignore(update: dict[str, Any]) -> None:
        return None

    server = WebServer(
        host="127.0.0.1",
        port=0,
        staff_link=cast(StaffLinkService, _NoGoogle()),
        bot_link=lambda: "https://t.me/bookbot_test_bot",
        on_connected=_nothing,
        on_refused=_nothing,
        explain_refusal=lambda outcome: f"refused: {outcome.reason}",
        telegram=TelegramWebhook(secret=SECRET, receive=receive or ignore),
        limits=limits,
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _connect(server: WebServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.bound_port)


def _close(connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]) -> None:
    for _, writer in connections:
        writer.close()


async def _until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    async with asyncio.timeout(WAIT):
        try:
            return await reader.read()
        except ConnectionResetError:
            return b""


def _url(server: WebServer, path: str) -> str:
    return f"http://127.0.0.1:{server.bound_port}{path}"


async def test_idle_connections_beyond_the_cap_do_not_starve_a_request() -> None:
    limits = WebLimits(max_connections=CAP, header_timeout=WAIT * 4, keepalive_timeout=WAIT * 4)
    async with _serving(limits) as server:
        idle = [await _connect(server) for _ in range(IDLE)]
        try:
            async with asyncio.timeout(WAIT), aiohttp.ClientSession() as browser:
                async with browser.get(_url(server, "/healthz")) as response:
                    assert response.status == 200
                    assert await response.json() == {"ok": True}
                async with browser.get(_url(server, "/oauth2/callback?state=x&code=y")) as page:
                    assert page.status == 400 and "refused: google_off" in await page.text()
            # Opening connection CAP+1 closed the longest idle, and so did the healthz request.
            evicted = IDLE - CAP + 1
            for reader, _ in idle[:evicted]:
                assert await _until_closed(reader) == b""
            for reader, writer in idle[evicted:]:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert (await _until_closed(reader)).startswith(b"HTTP/1.1 200 OK\r\n")
            assert server.connections.open_connections <= CAP
        finally:
            _close(idle)


async def test_when_every_connection_is_busy_a_new_one_gets_503() -> None:
    started: list[int] = []
    both_started = asyncio.Event()
    release = asyncio.Event()

    async def slow_receive(update: dict[str, Any]) -> None:
        started.append(update["update_id"])
        if len(started) == 2:
            both_started.set()
        await release.wait()

    limits = WebLimits(max_connections=2, header_timeout=WAIT * 4, keepalive_timeout=WAIT * 4)
    async with _serving(limits, receive=slow_receive) as server:
        busy = [await _connect(server) for _ in range(2)]
        try:
            for update_id, (_, writer) in enumerate(busy):
                writer.write(_webhook_post(json.dumps({"update_id": update_id}).encode()))
            async with asyncio.timeout(WAIT):
                await both_started.wait()
            reader, writer = await _connect(server)
            refused = await _until_closed(reader)
            writer.close()
            assert refused.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), refused
            release.set()
            for reader, _ in busy:
                assert (await _until_closed(reader)).startswith(b"HTTP/1.1 200 OK\r\n")
        finally:
            release.set()
            _close(busy)


def _webhook_post(body: bytes, *, length: int | None = None, secret: str = SECRET) -> bytes:
    return (
        b"POST /telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nX-Telegram-Bot-Api-Secret-Token: " + secret.encode() + b"\r\n"
        b"Content-Length: "
        + str(len(body) if length is None else length).encode()
        + b"\r\n\r\n"
        + body
    )


SHORT = WebLimits(header_timeout=0.2, keepalive_timeout=0.2, body_timeout=0.2)


async def test_a_connection_that_sends_nothing_is_closed() -> None:
    async with _serving(SHORT) as server:
        reader, writer = await _connect(server)
        try:
            assert await _until_closed(reader) == b""
        finally:
            writer.close()


async def test_a_request_head_trickled_byte_by_byte_is_cut_off() -> None:
    async with _serving(SHORT) as server:
        reader, writer = await _connect(server)

        async def trickle() -> None:
            writer.write(b"GET /healthz HTTP/1.1\r\n")
            with contextlib.suppress(ConnectionError):
                while True:  # a header that never ends
                    writer.write(b"X-Slow: " + b"a" * 8 + b"\r\n")
                    await writer.drain()
                    await asyncio.sleep(0.02)

        slowloris = asyncio.create_task(trickle())
        try:
            assert await _until_closed(reader) == b""
        finally:
            slowloris.cancel()
            writer.close()


async def test_an_idle_keep_alive_connection_is_closed_after_its_answer() -> None:
    async with _serving(SHORT) as server:
        reader, writer = await _connect(server)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive by default
            answered = await _until_closed(reader)
            assert answered.startswith(b"HTTP/1.1 200 OK\r\n") and answered.endswith(
                b'{"ok": true}'
            )
        finally:
            writer.close()


async def test_a_webhook_body_that_does_not_arrive_in_time_is_refused() -> None:
    async with _serving(SHORT) as server:
        reader, writer = await _connect(server)
        try:
            writer.write(_webhook_post(b'{"update_id": ', length=100))
            assert (await _until_closed(reader)).startswith(b"HTTP/1.1 408 ")
        finally:
            writer.close()


async def test_an_oversized_webhook_body_is_refused() -> None:
    limits = WebLimits(max_body_bytes=1000)
    update = json.dumps({"update_id": 1, "padding": "x" * 2000}).encode()
    async with _serving(limits) as server, aiohttp.ClientSession() as session:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with session.post(_url(server, "/telegram"), data=update, headers=headers) as said:
            assert said.status == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
            for start in range(0, len(update), 100):
                yield update[start : start + 100]

        async with session.post(_url(server, "/telegram"), data=chunks(), headers=headers) as sent:
            assert sent.status == 413
        small = json.dumps({"update_id": 2}).encode()
        async with session.post(_url(server, "/telegram"), data=small, headers=headers) as fine:
            assert fine.status == 200


@pytest.mark.parametrize("path", ["/healthz", "/oauth2/callback", "/no-such-page"])
async def test_responses_do_not_name_the_server_version(path: str) -> None:
    async with (
        _serving(WebLimits()) as server,
        aiohttp.ClientSession() as browser,
        browser.get(_url(server, path)) as response,
    ):
        assert response.headers.getall("Server") == ["bookbot"]


@pytest.mark.parametrize(
    "bad",
    [
        {"max_connections": 0},
        {"max_body_bytes": 0},
        {"header_timeout": 0},
        {"keepalive_timeout": -1},
        {"body_timeout": 0},
    ],
)
def test_limits_that_would_refuse_everything_or_never_expire_are_refused(
    bad: dict[str, float],
) -> None:
    with pytest.raises(ValueError, match=r"at least 1|must be positive"):
        WebLimits(**bad)  # type: ignore[arg-type]
