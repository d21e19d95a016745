"""bookbot's aiohttp transport for PTB, driven by the real PTB `Bot` against the emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.telegram_http import POOL_TIMEOUT_MESSAGE, AiohttpRequest
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _bot(tg: FakeTelegram) -> Bot:
    return Bot(
        tg.token,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        request=AiohttpRequest(pool_size=4),
        get_updates_request=AiohttpRequest(),
    )


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def test_form_fields_and_markup_arrive(tg: FakeTelegram) -> None:
    user = tg.user(501, first_name="Ada")
    await tg.send_text(user, "/start")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Pick", callback_data="p:1")]])
    async with _bot(tg) as bot:
        me = await bot.get_me()
        sent = await bot.send_message(
            user.id, "Hello <b>Ada</b>", parse_mode="HTML", reply_markup=markup
        )
    assert me.username == tg.bot_user["username"]
    assert sent.text == "Hello Ada"
    stored = tg.last_bot_message(user.id)
    assert stored is not None
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "p:1"


async def test_files_go_multipart_with_name_and_type(tg: FakeTelegram) -> None:
    user = tg.user(502)
    await tg.send_text(user, "/start")
    content = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    async with _bot(tg) as bot:
        await bot.send_document(user.id, content, filename="booking.ics", caption="Your booking")
    [document] = tg.documents(user.id)
    assert (document.file_name, document.data) == ("booking.ics", content)
    assert document.mime_type == "text/calendar"


async def test_api_errors_reach_ptb_as_its_exceptions(tg: FakeTelegram) -> None:
    user = tg.user(503)
    await tg.send_text(user, "/start")
    async with _bot(tg) as bot:
        tg.inject_error("sendMessage", 400, "Bad Request: message text is empty")
        tg.inject_error("getMe", 429, retry_after=7)
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(user.id, "x")
        with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
            await bot.get_me()


async def test_slow_answer_times_out(tg: FakeTelegram) -> None:
    async with _bot(tg) as bot:
        tg.set_latency(1.0, "getMe")
        with pytest.raises(TimedOut) as timed_out:
            await bot.get_me(read_timeout=0.2)
    assert timed_out.value.message != POOL_TIMEOUT_MESSAGE


async def test_full_pool_times_out_without_sending(tg: FakeTelegram) -> None:
    async with Bot(
        tg.token,
        base_url=tg.base_url,
        request=AiohttpRequest(pool_size=1, pool_timeout=0.1, connect_timeout=0.1),
    ) as bot:
        tg.set_latency(1.0, "getMe")
        mark = tg.mark()
        slow = asyncio.create_task(bot.get_me())
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut, match="every pooled connection"):
            await bot.get_me()
        await slow
    assert [call.method for call in tg.calls()[mark:]] == ["getMe"]


async def test_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError"):
            await request.post(f"http://127.0.0.1:{port}/botTOKEN/getMe")
    finally:
        await request.shutdown()


async def test_used_only_between_initialize_and_shutdown(tg: FakeTelegram) -> None:
    request = AiohttpRequest()
    url = f"{tg.base_url}{tg.token}/getMe"
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(url)
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(url)
    await request.initialize()
    try:
        assert (await request.post(url))["username"] == tg.bot_user["username"]  # type: ignore[index,call-overload]
    finally:
        await request.shutdown()


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A forward proxy stand-in: records the absolute URL asked for and answers getMe."""
    seen: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "id": 1,
                    "is_bot": True,
                    "first_name": "Via proxy",
                    "username": "via_proxy_bot",
                },
            }
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def test_proxy_from_environment_like_httpx(
    tg: FakeTelegram, proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy_url, seen = proxy
    telegram_host = "telegram.invalid"
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with Bot(
        "123:abc", base_url=f"http://{telegram_host}/bot", request=AiohttpRequest()
    ) as bot:
        assert bot.username == "via_proxy_bot"
    assert seen and all(url.startswith(f"http://{telegram_host}/bot123:abc/") for url in seen)

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    seen.clear()
    async with _bot(tg) as bot:
        assert bot.username == tg.bot_user["username"]
    assert seen == []


async def test_errors_never_quote_the_token() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        for url in ("http:///bot123:SECRET/getMe", "ftp://api.example/bot123:SECRET/getMe"):
            with pytest.raises(NetworkError) as failure:
                await request.post(url)
            assert "Url" in failure.value.message
            assert "SECRET" not in failure.value.message
            assert failure.value.__cause__ is None
    finally:
        await request.shutdown()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no public CA signed, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bookbot test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_tls_is_verified_against_certifi_or_ssl_cert_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_path, key_path = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)

    async def get_me(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot1:x/getMe", get_me)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls).start()
    url = f"https://127.0.0.1:{runner.addresses[0][1]}/bot1:x/getMe"
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    try:
        untrusting = AiohttpRequest()
        await untrusting.initialize()
        try:
            with pytest.raises(NetworkError, match="certificate verify failed"):
                await untrusting.post(url)
        finally:
            await untrusting.shutdown()

        monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
        trusting = AiohttpRequest()
        await trusting.initialize()
        try:
            assert await trusting.post(url) is True
        finally:
            await trusting.shutdown()
    finally:
        await runner.cleanup()
