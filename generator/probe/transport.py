"""The HTTP client the probe shares between all its checks.

`make_client` gives one `httpx.AsyncClient`; under it `ProbeTransport` speaks HTTP/1.1 with
h11 over asyncio streams and keeps idle connections per origin. httpx's own transport
(httpcore over anyio) spends about 0.7 ms of CPU per request, and its pool rescans every
connection whenever a request starts or ends: `upwatch probe` over 1,000 monitors of a
200 ms server took 22.8 s with one pool of 200 connections, 1.8 s spread over small pools,
and 1.5 s with this transport (0.27 ms of CPU per request). It leaves out HTTP/2 and
connection limits (the probe bounds the requests in flight itself).

    connecting     names resolve in daemon threads (a DNS server that never answers cannot
                   hold the run past its deadlines); the addresses then race as RFC 8305's
                   Happy Eyeballs says, so a black-holed first address costs 250 ms
    proxies        HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, read as curl reads
                   them (`ProxySettings`); a proxied request goes through httpx's own
                   transport (CONNECT tunnels for https, socks5 too); tcp checks never do
    bodies         decoded by httpx: gzip, deflate, br and zstd
    interim 1xx    skipped, but a 1xx with no final response raises `NoFinalResponse`

Failures are raised as httpx's exceptions with the OS or TLS error as their cause, so
callers handle them as with any httpx transport; a host name no DNS query can carry is an
`InvalidHostName` (an OSError).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import itertools
import logging
import os
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import h11
import httpx

from .. import __version__
from ..config.read import Masker
from ..errors import ConfigError, Problem

USER_AGENT = f"upwatch/{__version__} (status page probe)"
READ_SIZE = 64 * 1024
LIBRARY_LOGGERS = ("httpx", "httpcore")  # request URLs at INFO; host names at DEBUG

MAX_INTERIM = 100  # 1xx answers taken before one request counts as unanswered
ATTEMPT_DELAY = 0.25  # seconds before the next address is tried (RFC 8305's recommended value)

Origin = tuple[str, str, int]
Address = tuple[int, Any]  # (family, sockaddr) as getaddrinfo gives them


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
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            data = await _io(
                self.reader.read(READ_SIZE), timeout, httpx.ReadTimeout, httpx.ReadError
            )
            if not data and self.h11.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
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
        self.proxied: dict[str, httpx.AsyncHTTPTransport] = {}

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

    def _through(self, proxy: str) -> httpx.AsyncHTTPTransport:
        """httpx's own transport to this proxy: CONNECT for https, absolute-form for http."""
        if proxy not in self.proxied:
            https = proxy.startswith("https://")  # the proxy's own TLS, checked as any server's
            self.proxied[proxy] = httpx.AsyncHTTPTransport(
                proxy=httpx.Proxy(proxy, ssl_context=httpx.create_ssl_context() if https else None),
                verify=self.ssl_context,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=self.max_idle),
                trust_env=False,
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


class NoFinalResponse(httpx.RemoteProtocolError):
    """The server sent interim (1xx) answers, then closed or sent too many, but no response."""

    def __init__(self) -> None:
        super().__init__("1xx answer without a final response")


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


async def open_stream(
    host: str, port: int, context: ssl.SSLContext | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to host:port (Happy Eyeballs over its addresses), then TLS when given a context."""
    sock = await connect_first(interleave(await _addresses(host, port)))
    # From here the socket belongs to the asyncio transport, which closes it on failure.
    return await asyncio.open_connection(
        sock=sock, ssl=context, server_hostname=host if context else None, limit=READ_SIZE * 2
    )


async def connect_first(addresses: Sequence[Address]) -> socket.socket:
    """Race TCP connects the way RFC 8305 says; the first to connect wins.

    The next address starts when the one before fails or has not connected within
    ATTEMPT_DELAY, and the earlier attempts keep going: a black-holed first address (IPv6
    that goes nowhere, a dead A record) costs a quarter of a second, not the whole timeout.
    The losers are cancelled and closed. When every address fails, the first error is raised.
    """
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no address to connect to")
    waiting = list(addresses)
    racing: set[asyncio.Task[socket.socket]] = set()
    errors: list[BaseException] = []
    try:
        while waiting or racing:
            if waiting:
                racing.add(asyncio.create_task(_connect(*waiting.pop(0))))
            done, racing = await asyncio.wait(
                racing,
                timeout=ATTEMPT_DELAY if waiting else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            connected = [task.result() for task in done if task.exception() is None]
            errors.extend(error for task in done if (error := task.exception()) is not None)
            if connected:
                for extra in connected[1:]:
                    extra.close()
                return connected[0]
    finally:
        for task in racing:
            task.cancel()
            task.add_done_callback(_close_if_connected)
    raise errors[0]


async def _connect(family: int, sockaddr: Any) -> socket.socket:
    """One TCP connect; the socket is closed unless it connected."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def _close_if_connected(task: asyncio.Task[socket.socket]) -> None:
    """For an attempt cancelled too late: it connected after the race was decided."""
    if not task.cancelled() and task.exception() is None:
        task.result().close()


def interleave(infos: Iterable[Any]) -> list[Address]:
    """getaddrinfo's answers with families alternating, the resolver's first choice first.

    RFC 8305 section 4: with IPv6 first, a host whose IPv6 is broken gets its first IPv4
    try a quarter of a second in, not after every IPv6 address has failed.
    """
    families: dict[int, list[Address]] = {}
    for family, _type, _proto, _name, sockaddr in infos:
        address = (family, sockaddr)
        if address not in families.setdefault(family, []):
            families[family].append(address)
    rounds = itertools.zip_longest(*families.values())
    return [address for turn in rounds for address in turn if address is not None]


async def _addresses(host: str, port: int) -> list[Any]:
    """getaddrinfo's answers for host (an IP literal is used as it is, without a lookup)."""
    try:
        name = host.encode("idna").decode("ascii")  # what getaddrinfo would do in its thread
    except UnicodeError:
        raise InvalidHostName() from None  # the message would quote the host
    try:
        return socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return await resolve(name, port)


class InvalidHostName(OSError):
    """A host name no DNS query can carry (a label over 63 characters, an empty label...)."""

    def __init__(self) -> None:
        super().__init__(errno.EINVAL, "invalid host name")


async def resolve(host: str, port: int) -> list[Any]:
    """getaddrinfo in a daemon thread of its own.

    asyncio's resolver runs in the default executor, which the end of `asyncio.run` (and of
    the interpreter) waits for: a DNS server that never answers would hold the whole run
    past every deadline. A daemon thread is simply left behind when its check gives up. The
    thread is not named after the host, and whatever it raises is handed to the check: an
    uncaught error would print a traceback naming both, past the masking of secrets.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[Any]] = loop.create_future()

    def settle(infos: list[Any], error: BaseException | None) -> None:
        if future.done():
            return  # the check gave up waiting
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(infos)

    def lookup() -> None:
        infos: list[Any] = []
        error: BaseException | None = None
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except Exception as exc:  # handed on to the check, see above
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, infos, error)

    threading.Thread(target=lookup, name="upwatch resolve", daemon=True).start()
    return await future


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


# --- proxies from the environment ----------------------------------------------------------


@dataclass(frozen=True)
class ProxySettings:
    """The proxies the environment names for http(s) monitors, read as curl and httpx read them.

    `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy`/`HTTP_PROXY` for http ones,
    `all_proxy`/`ALL_PROXY` for both when those are unset, the lower-case name first;
    `no_proxy`/`NO_PROXY` lists what goes direct (see `bypassed`). tcp monitors always
    connect directly: they test that the port answers from where the probe runs.
    """

    http: str | None = None
    https: str | None = None
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ProxySettings:
        env = os.environ if environ is None else environ
        every = _proxy_url(env, "all_proxy")
        no_proxy = _variable(env, "no_proxy")[1] or ""
        return cls(
            http=_proxy_url(env, "http_proxy") or every,
            https=_proxy_url(env, "https_proxy") or every,
            no_proxy=tuple(e.strip().lower() for e in no_proxy.split(",") if e.strip()),
        )

    def proxy_for(self, url: httpx.URL) -> str | None:
        """The proxy URL a request to url goes through, or None to connect directly."""
        proxy = self.https if url.scheme == "https" else self.http if url.scheme == "http" else None
        if proxy is None:
            return None
        port = url.port or (443 if url.scheme == "https" else 80)
        return None if bypassed(url.raw_host.decode("ascii"), port, self.no_proxy) else proxy


def _variable(env: Mapping[str, str], name: str) -> tuple[str, str | None]:
    """The lower-case variable when it is set, else the upper-case one: (name, value)."""
    if name in env:
        return name, env[name]
    return name.upper(), env.get(name.upper())


def _proxy_url(env: Mapping[str, str], name: str) -> str | None:
    """A proxy variable's URL (http:// when it names none), checked; None when unset."""
    found, value = _variable(env, name)
    if not value:
        return None
    url = value if "://" in value else f"http://{value}"
    try:
        parsed = httpx.Proxy(url).url
        if not parsed.host or not 0 < (parsed.port or 80) < 65536:
            raise ValueError("no host or no port")
    except (ValueError, httpx.InvalidURL):
        # Never quote the value: a proxy URL may hold a password.
        message = "not a proxy URL such as http://proxy:3128 (http, https, socks5 or socks5h)"
        raise ConfigError([Problem(found, None, message)]) from None
    return url


def bypassed(host: str, port: int, no_proxy: Iterable[str]) -> bool:
    """Whether NO_PROXY sends host:port direct, by curl's rules.

    `*` is every host; `example.com` (or `.example.com`, `*.example.com`) is that domain
    and every name below it; an IP address or a CIDR range matches addresses written as
    such in the URL (names are not resolved for this); any entry may end in `:port`.
    """
    host = host.lower().rstrip(".")
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in no_proxy:
        if entry == "*":
            return True
        name, only_port = _split_port(entry)
        if only_port is not None and only_port != port:
            continue
        if ip is not None:
            with contextlib.suppress(ValueError):
                if ip in ipaddress.ip_network(name, strict=False):
                    return True
            continue
        domain = name.lstrip("*").strip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """'host:80' -> ('host', 80); '[::1]:80' -> ('::1', 80); '::1' and 'host' have no port."""
    if entry.startswith("["):
        name, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
    elif entry.count(":") == 1:
        name, _, port = entry.partition(":")
    else:
        name, port = entry, ""
    return name, int(port) if port.isdigit() else None


# --- secrets in library logs ------------------------------------------------------------


class _MaskFilter(logging.Filter):
    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.masker(record.getMessage()), None
        return True


@contextlib.contextmanager
def masked_library_logs(masker: Masker) -> Iterator[None]:
    """httpx logs request URLs (at INFO): mask secrets there while checks run."""
    if not masker:
        yield
        return
    mask = _MaskFilter(masker)
    loggers = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    for logger in loggers:
        logger.addFilter(mask)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(mask)
