"""The HTTP client the probe shares between all its checks.

`make_client` gives one `httpx.AsyncClient`; under it `ProbeTransport` speaks HTTP/1.1 with
h11 over asyncio streams and keeps idle connections per origin. httpx's own transport
(httpcore over anyio) spends about 0.7 ms of CPU per request, and its pool rescans every
connection whenever a request starts or ends: `upwatch probe` over 1,000 monitors of a
200 ms server took 22.8 s with one pool of 200 connections, 1.8 s spread over small pools,
and 1.5 s with this transport (0.27 ms of CPU per request). It leaves out HTTP/2 and
connection limits (the probe bounds the requests in flight itself).

    connecting     resolve, then Happy Eyeballs (see connect.py)
    proxies        HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (see proxies.py); a proxied
                   request goes through httpx's own transport; tcp checks never do
    bodies         decoded by httpx: gzip, deflate, br and zstd
    interim 1xx    skipped, but a 1xx with no final response raises `NoFinalResponse`

Failures are raised as httpx's exceptions with the OS or TLS error as their cause, so
callers handle them as with any httpx transport; those a reason depends on have types of
their own (failures.py), so nobody reads their text.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx

from .. import __version__
from .connect import READ_SIZE, open_stream
from .failures import BodyCut, ClosedWithoutResponse, NoFinalResponse
from .proxies import Proxied, ProxySettings

USER_AGENT = f"upwatch/{__version__} (status page probe)"
MAX_INTERIM = 100  # 1xx answers taken before one request counts as unanswered

Origin = tuple[str, str, int]


def make_client(
    concurrency: int = 200,
    verify: bool | ssl.SSLContext = True,
    proxies: ProxySettings | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient for the probe: keep-alive per origin, about `concurrency` idle at most.

    Proxies come from the environment unless given.
    """
    context = httpx.create_ssl_context(verify) if isinstance(verify, bool) else verify
    routes = ProxySettings.from_environment() if proxies is None else proxies
    return httpx.AsyncClient(
        transport=ProbeTransport(context, max_idle=concurrency, proxies=routes),
        timeout=httpx.Timeout(10.0),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


class Connection:
    """One HTTP/1.1 connection: asyncio streams and h11's state for them."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.closed_in_body = False  # the server closed while a body was still coming

    def get_extra_info(self, name: str) -> Any:
        """Like httpcore's network stream: `ssl_object`, `socket`, `server_addr`..."""
        names = {"server_addr": "peername", "client_addr": "sockname"}
        return self.writer.get_extra_info(names.get(name, name))

    @property
    def reusable(self) -> bool:
        return not (self.reader.at_eof() or self.writer.is_closing())

    def close(self) -> None:
        # abort(), not close(): a TLS close would wait for the server's close_notify, and the
        # run may end first, leaving the socket to the garbage collector.
        self.writer.transport.abort()

    async def next_event(self, timeout: float | None) -> Any:
        """The next h11 event from the server, reading as much as it needs."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                if self.closed_in_body:
                    raise BodyCut(str(exc)) from exc
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            data = await _io(
                self.reader.read(READ_SIZE), timeout, httpx.ReadTimeout, httpx.ReadError
            )
            if not data:
                if self.h11.their_state is h11.SEND_RESPONSE:
                    raise ClosedWithoutResponse()
                self.closed_in_body = self.h11.their_state is h11.SEND_BODY
            self.h11.receive_data(data)  # b"" at the end: h11 knows whether the body is whole


class ProbeTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio streams, keeping idle connections per origin."""

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        max_idle: int = 200,
        proxies: ProxySettings | None = None,
    ) -> None:
        self.ssl_context = ssl_context
        self.max_idle = max_idle
        self.idle: dict[Origin, list[Connection]] = {}
        self.idle_count = 0
        self.proxies = proxies or ProxySettings()
        self.proxied: dict[str, Proxied] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self.proxies.proxy_for(request.url)
        if proxy is not None:
            return await self._through(proxy).handle_async_request(request)
        timeouts = request.extensions.get("timeout", {})
        origin = _origin(request.url)
        kept = self._take_idle(origin)
        if kept is not None:
            try:
                return await self._exchange(kept, origin, request, timeouts)
            except NoFinalResponse:
                raise  # it did answer, with 1xx: a new connection would fare no better
            except (httpx.NetworkError, httpx.RemoteProtocolError):
                if kept.h11.their_state is not h11.SEND_RESPONSE:
                    raise
                # The server closed a kept-alive connection as we reused it: not its fault.
        connection = await self._connect(origin, timeouts)
        return await self._exchange(connection, origin, request, timeouts)

    async def _exchange(
        self,
        connection: Connection,
        origin: Origin,
        request: httpx.Request,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        """Send the request and read the response head; the body streams later."""
        try:
            await self._send(connection, request, timeouts.get("write"))
            event = await _final_response(connection, timeouts.get("read"))
        except BaseException:
            connection.close()
            raise
        return httpx.Response(
            event.status_code,
            headers=event.headers.raw_items(),
            stream=Body(self, origin, connection, timeouts.get("read")),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": event.reason,
                "network_stream": connection,
            },
        )

    async def _send(
        self, connection: Connection, request: httpx.Request, timeout: float | None
    ) -> None:
        """Write the request head and body in one go."""
        assert isinstance(request.stream, httpx.AsyncByteStream)
        body = b"".join([chunk async for chunk in request.stream])
        state = connection.h11
        head = h11.Request(
            method=request.method, target=request.url.raw_path, headers=request.headers.raw
        )
        events = (
            [head, h11.Data(data=body), h11.EndOfMessage()] if body else [head, h11.EndOfMessage()]
        )
        try:
            data = b"".join(state.send(event) or b"" for event in events)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        connection.writer.write(data)
        await _io(connection.writer.drain(), timeout, httpx.WriteTimeout, httpx.WriteError)

    async def _connect(self, origin: Origin, timeouts: dict[str, float | None]) -> Connection:
        scheme, host, port = origin
        context = self.ssl_context if scheme == "https" else None
        opening = open_stream(host, port, context)
        reader, writer = await _io(
            opening, timeouts.get("connect"), httpx.ConnectTimeout, httpx.ConnectError
        )
        return Connection(reader, writer)

    def _take_idle(self, origin: Origin) -> Connection | None:
        idle = self.idle.get(origin)
        while idle:
            connection = idle.pop()
            self.idle_count -= 1
            if connection.reusable:
                return connection
            connection.close()
        return None

    def release(self, origin: Origin, connection: Connection) -> None:
        """Keep a connection whose exchange ended cleanly, or close it."""
        state = connection.h11
        _skip_buffered_body(state)
        if not (state.our_state is h11.DONE and state.their_state is h11.DONE):
            connection.close()
            return
        state.start_next_cycle()
        if self.idle_count >= self.max_idle:
            self._close_one_idle()
        self.idle.setdefault(origin, []).append(connection)
        self.idle_count += 1

    def _close_one_idle(self) -> None:
        for origin, idle in self.idle.items():
            if idle:
                idle.pop(0).close()
                self.idle_count -= 1
                if not idle:
                    del self.idle[origin]
                return

    def _through(self, proxy: str) -> Proxied:
        """httpx's own transport to this proxy: CONNECT for https, absolute-form for http."""
        if proxy not in self.proxied:
            https = proxy.startswith("https://")  # the proxy's own TLS, checked as any server's
            self.proxied[proxy] = Proxied(
                httpx.AsyncHTTPTransport(
                    proxy=httpx.Proxy(
                        proxy, ssl_context=httpx.create_ssl_context() if https else None
                    ),
                    verify=self.ssl_context,
                    limits=httpx.Limits(
                        max_connections=None, max_keepalive_connections=self.max_idle
                    ),
                    trust_env=False,
                )
            )
        return self.proxied[proxy]

    async def aclose(self) -> None:
        for idle in self.idle.values():
            for connection in idle:
                connection.close()
        self.idle.clear()
        self.idle_count = 0
        for proxied in self.proxied.values():
            await proxied.aclose()


async def _final_response(connection: Connection, timeout: float | None) -> Any:
    """The response head, past any 1xx answers (at most MAX_INTERIM of them)."""
    event = await connection.next_event(timeout)
    interim = 0
    while isinstance(event, h11.InformationalResponse):
        interim += 1
        if interim > MAX_INTERIM:
            raise NoFinalResponse()
        try:
            event = await connection.next_event(timeout)
        except (httpx.RemoteProtocolError, httpx.NetworkError) as exc:
            raise NoFinalResponse() from exc
        except (asyncio.CancelledError, httpx.TimeoutException) as exc:
            # The deadline (ours or the caller's) ran out after a 1xx: say why on the way
            # out, leaving the cancellation itself as it is.
            raise exc from NoFinalResponse()
    return event


def _skip_buffered_body(state: h11.Connection) -> None:
    """Pass over the rest of a body already received (HEAD, 204, small unread bodies)."""
    with contextlib.suppress(h11.RemoteProtocolError):
        while state.their_state is h11.SEND_BODY:
            event = state.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return


class Body(httpx.AsyncByteStream):
    """A response body read from its connection; closing it frees the connection."""

    def __init__(
        self,
        transport: ProbeTransport,
        origin: Origin,
        connection: Connection,
        timeout: float | None,
    ) -> None:
        self.transport = transport
        self.origin = origin
        self.connection: Connection | None = connection
        self.timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.connection is not None:
            event = await self.connection.next_event(self.timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            else:
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__} in the body")

    async def aclose(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            self.transport.release(self.origin, connection)


async def _io(
    awaitable: Any,
    timeout: float | None,
    on_timeout: type[httpx.TimeoutException],
    on_error: type[httpx.NetworkError],
) -> Any:
    """Await within a timeout, raising httpx's exceptions with the OS error as their cause."""
    try:
        async with asyncio.timeout(timeout):
            return await awaitable
    except TimeoutError as exc:
        raise on_timeout(f"timed out after {timeout} s") from exc
    except OSError as exc:  # ssl.SSLError too
        raise on_error(str(exc) or type(exc).__name__) from exc


def _origin(url: httpx.URL) -> Origin:
    if url.scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
    port = url.port or (443 if url.scheme == "https" else 80)
    return url.scheme, url.raw_host.decode("ascii"), port  # IDNA (xn--) form for DNS and SNI
