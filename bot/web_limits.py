"""Bounds on the bot's web server, so that one slow or idle client never starves the others.

aiohttp reads a request's head without a deadline and accepts connections until the process
runs out of file descriptors; then the bot stops receiving webhook updates and OAuth callbacks.
`ConnectionLimiter` sits between the listening socket and aiohttp and tracks every connection:

- at most `max_connections` are open at once; one more closes the connection that has been idle
  longest (connected or answered, no request under way), or is answered 503 and closed when
  every connection is busy with a request;
- a connection must deliver a complete request head within `header_timeout` of connecting, and
  its next one within `keepalive_timeout` of its last answer, or it is closed;
- request bodies are read within `body_timeout` and `max_body_bytes` by the handlers that read
  them (`bot.web`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

log = logging.getLogger(__name__)

WARNING_INTERVAL = 60.0  # seconds between two "too many connections" warnings
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 29\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\nToo many connections; retry.\n"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebLimits:
    """How much the web server gives one client (sizes in bytes, times in seconds)."""

    max_connections: int = 256
    header_timeout: float = 10.0
    keepalive_timeout: float = 15.0
    body_timeout: float = 10.0
    max_body_bytes: int = 1024 * 1024

    def __post_init__(self) -> None:
        if self.max_connections < 1 or self.max_body_bytes < 1:
            raise ValueError("max_connections and max_body_bytes must be at least 1")
        if min(self.header_timeout, self.keepalive_timeout, self.body_timeout) <= 0:
            raise ValueError("web server timeouts must be positive")


class _Connection(asyncio.Protocol):
    """One client connection: aiohttp's protocol inside, a deadline while it is idle."""

    def __init__(self, limiter: ConnectionLimiter, inner: asyncio.Protocol) -> None:
        self._limiter = limiter
        self._inner = inner
        self._admitted = False
        self._deadline: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._admitted = self._limiter.admit(self)
        if not self._admitted:
            transport.write(_BUSY)
            transport.close()
            return
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._admitted:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._admitted else None

    def pause_writing(self) -> None:
        if self._admitted:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._admitted:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        self._limiter.forget(self)
        if self._admitted:
            self._inner.connection_lost(exc)

    def arm(self, seconds: float) -> None:
        """Close the connection unless a request head completes within `seconds`."""
        self.disarm()
        self._deadline = asyncio.get_running_loop().call_later(seconds, self.close)

    def disarm(self) -> None:
        """A request is under way: no deadline while the handler works."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def close(self) -> None:
        """Close the connection (buffered output is still sent)."""
        self._deadline = None
        if self.transport is not None:
            self.transport.close()


class ConnectionLimiter:
    """Tracks the server's connections; see the module docstring for the rules."""

    def __init__(self, limits: WebLimits) -> None:
        self._limits = limits
        self._idle: dict[_Connection, None] = {}  # insertion order: idle longest first
        self._busy: dict[_Connection, None] = {}
        self._by_transport: dict[asyncio.BaseTransport, _Connection] = {}
        self._warned_at: float | None = None

    @property
    def open_connections(self) -> int:
        """Connections admitted and not yet closed."""
        return len(self._idle) + len(self._busy)

    def protocol_factory(
        self, make_protocol: Callable[[], asyncio.Protocol]
    ) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for `loop.create_server` wrapping aiohttp's."""
        return lambda: _Connection(self, make_protocol())

    def admit(self, connection: _Connection) -> bool:
        """Take a new connection, closing the longest-idle one when full; False if all busy."""
        if self.open_connections >= self._limits.max_connections:
            self._warn()
            if not self._idle:
                return False
            oldest = next(iter(self._idle))
            self.forget(oldest)
            oldest.close()
        assert connection.transport is not None
        self._idle[connection] = None
        self._by_transport[connection.transport] = connection
        connection.arm(self._limits.header_timeout)
        return True

    def forget(self, connection: _Connection) -> None:
        """The connection is closed or closing."""
        self._idle.pop(connection, None)
        self._busy.pop(connection, None)
        if connection.transport is not None:
            self._by_transport.pop(connection.transport, None)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Marks the request's connection busy while its handler runs."""
        connection = self._by_transport.get(request.transport) if request.transport else None
        if connection is None or connection not in self._idle:
            return await handler(request)
        del self._idle[connection]
        self._busy[connection] = None
        connection.disarm()
        try:
            return await handler(request)
        finally:
            if connection in self._busy:  # still open: idle until its next request
                del self._busy[connection]
                self._idle[connection] = None
                connection.arm(self._limits.keepalive_timeout)

    def _warn(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._warned_at is None or now - self._warned_at >= WARNING_INTERVAL:
            self._warned_at = now
            log.warning(
                "web server: %d connections open, the most allowed; closing the longest idle",
                self._limits.max_connections,
            )
