"""The bot's HTTP transport to the Bot API: PTB's `BaseRequest` on an aiohttp client.

PTB ships `HTTPXRequest` and documents `telegram.request.BaseRequest` as the interface for
other HTTP libraries. bookbot uses aiohttp (already its web server and Google client) because
httpcore re-scans every pooled connection for every queued request
(https://github.com/encode/httpcore/pull/1035): under load that scan alone was a quarter of
the bot's CPU in `bench/booking_throughput.py`, while aiohttp keeps free connections in a queue.

Like PTB's httpx client it verifies TLS against certifi's CA bundle, or `SSL_CERT_FILE` /
`SSL_CERT_DIR` when set, and honours `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`.

Timeouts keep PTB's meaning: `read_timeout` per socket read, `connect_timeout` per
connection, `pool_timeout` waiting for a free pooled connection. aiohttp has no per-write
timeout, so the write timeout only counts toward a ceiling on the whole request.
"""

from __future__ import annotations

import os
import ssl
import urllib.parse
import urllib.request
from typing import IO

import aiohttp
import certifi
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

POOL_TIMEOUT_MESSAGE = (
    "Timed out waiting for a connection: every pooled connection to the Bot API was busy or "
    "the server did not accept one. The request was not sent."
)


def _resolve(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _ceiling(*parts: float | None) -> float | None:
    """The sum of the phase timeouts, or None when any phase may wait forever."""
    if any(part is None for part in parts):
        return None
    return sum(part for part in parts if part is not None)


class AiohttpRequest(BaseRequest):
    """Sends PTB's Bot API requests through one pooled `aiohttp.ClientSession`."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxy_by_origin",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        *,
        pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxy_by_origin: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default socket read timeout; PTB adds the long-poll time to it for getUpdates."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._pool_size, limit_per_host=0, ssl=tls_context()
                ),
                headers={"User-Agent": self.USER_AGENT},
            )
            self._proxy_by_origin.clear()

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; answer (status, body) or raise PTB's TimedOut / NetworkError."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        has_files = request_data is not None and request_data.contains_files
        read = _resolve(read_timeout, self._read_timeout)
        connect = _resolve(connect_timeout, self._connect_timeout)
        pool = _resolve(pool_timeout, self._pool_timeout)
        write = _resolve(
            write_timeout, self._media_write_timeout if has_files else self._write_timeout
        )
        timeout = aiohttp.ClientTimeout(
            total=_ceiling(pool, connect, write, read),
            connect=_ceiling(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with session.request(
                method, url, data=_body(request_data), timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        # aiohttp's errors may quote the URL, whose path holds the bot token, and a logged
        # traceback prints every chained cause: none is chained, or the message is cleaned.
        except aiohttp.ConnectionTimeoutError:
            raise TimedOut(POOL_TIMEOUT_MESSAGE) from None
        except TimeoutError:
            raise TimedOut from None
        except aiohttp.ClientError as err:
            detail = str(err).replace(url, _origin(url) + "/…")
            raise NetworkError(f"aiohttp.{type(err).__name__}: {detail}") from None

    def _proxy(self, url: str) -> str | None:
        """The HTTP(S)_PROXY / NO_PROXY choice for this URL's origin, as httpx makes it.

        Looked up once per origin: aiohttp's own `trust_env` re-reads the environment and
        ~/.netrc in a worker thread for every request.
        """
        origin = _origin(url)
        if origin not in self._proxy_by_origin:
            parts = urllib.parse.urlsplit(origin)
            proxy = urllib.request.getproxies().get(parts.scheme)
            if proxy and urllib.request.proxy_bypass(parts.hostname or ""):
                proxy = None
            self._proxy_by_origin[origin] = proxy
        return self._proxy_by_origin[origin]


def tls_context() -> ssl.SSLContext:
    """Certificate verification as httpx does it: SSL_CERT_FILE, SSL_CERT_DIR, or certifi."""
    if cafile := os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=cafile)
    if capath := os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=capath)
    return ssl.create_default_context(cafile=certifi.where())


def _origin(url: str) -> str:
    """scheme://host:port of an absolute URL."""
    end = url.find("/", url.find("//") + 2)
    return url if end < 0 else url[:end]


def _body(request_data: RequestData | None) -> dict[str, str] | aiohttp.FormData | None:
    """Form fields, url-encoded, or multipart when the request uploads files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData(fields)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        payload: bytes | IO[bytes] = content
        form.add_field(name, payload, filename=filename, content_type=mimetype)
    return form
