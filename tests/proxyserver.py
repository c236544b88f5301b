"""A forward proxy on 127.0.0.1 that records what it carried, for tests of proxy settings.

    from proxyserver import ProxyServer

    with ProxyServer() as proxy:                  # http://127.0.0.1:<random port>
        proxy.url                                 # -> "http://127.0.0.1:PORT"
        proxy.seen                                # [Proxied("CONNECT", "localhost:8443", {...}), ...]

It speaks HTTP/1.1 `CONNECT host:port` (a tunnel, for https URLs), absolute-form requests
such as `GET http://host:port/path` (for http URLs, one request per connection) and SOCKS5
(no authentication, CONNECT only). Whatever host a client names, the proxy connects to
127.0.0.1 at the port named: tests can use made-up names, which only the proxy could have
carried, and no traffic ever leaves this machine. `ProxyServer(refuse=407)` answers every
HTTP request with that status instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import struct
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Proxied:
    """One request the proxy was asked to carry."""

    method: str  # CONNECT, GET, ... or SOCKS5
    target: str  # host:port for tunnels, the absolute URL otherwise
    headers: dict[str, str] = field(default_factory=dict)  # names lower-case


class ProxyServer:
    """An asyncio proxy in a background thread; see the module docstring."""

    def __init__(self, refuse: int | None = None) -> None:
        self.refuse = refuse
        self.seen: list[Proxied] = []
        self.port = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> ProxyServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def targets(self) -> list[str]:
        with self._lock:
            return [p.target for p in self.seen]

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._connection, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server:
            self._server.close()
        # A connection accepted just now has its handler scheduled but not started: let it
        # start (and register) so that cancelling it closes its socket.
        await asyncio.sleep(0)
        # Every task of this loop: handlers, and accepts still in their TLS handshake.
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        if self._server:
            await self._server.wait_closed()
        await asyncio.sleep(0)  # let the transports' close callbacks run before the loop stops

    def _record(self, proxied: Proxied) -> None:
        with self._lock:
            self.seen.append(proxied)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            first = await reader.readexactly(1)
            if first == b"\x05":
                await self._socks5(reader, writer)
            else:
                await self._http(first, reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            pass  # the proxy is stopping
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _http(
        self, first: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = first + await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        headers = dict(_header(line) for line in lines if ":" in line)
        self._record(Proxied(method, target, headers))
        if self.refuse:
            writer.write(f"HTTP/1.1 {self.refuse} Refused\r\nContent-Length: 0\r\n\r\n".encode())
            await writer.drain()
            return
        if method == "CONNECT":
            port = int(target.rpartition(":")[2])
            upstream = await asyncio.open_connection(HOST, port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await _pipe(reader, writer, *upstream)
            return
        url = urlsplit(target)
        upstream = await asyncio.open_connection(HOST, url.port or 80)
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        kept = [line for line in lines if line and not line.lower().startswith("proxy-")]
        kept = [line for line in kept if not line.lower().startswith("connection:")]
        forwarded = [f"{method} {path} HTTP/1.1", *kept, "Connection: close", "", ""]
        upstream[1].write("\r\n".join(forwarded).encode("latin-1"))
        await _pipe(reader, writer, *upstream)

    async def _socks5(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        methods = await reader.readexactly((await reader.readexactly(1))[0])
        if 0 not in methods:
            writer.write(b"\x05\xff")
            return
        writer.write(b"\x05\x00")
        _version, command, _reserved, kind = await reader.readexactly(4)
        if kind == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif kind == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        else:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        self._record(Proxied("SOCKS5", f"{host}:{port}"))
        if command != 1:
            writer.write(b"\x05\x07\x00\x01" + bytes(6))  # command not supported
            return
        upstream = await asyncio.open_connection(HOST, port)
        writer.write(b"\x05\x00\x00\x01" + bytes(4) + struct.pack("!H", port))
        await _pipe(reader, writer, *upstream)


def _header(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name.strip().lower(), value.strip()


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    """Copy both ways until either side ends."""

    async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()

    try:
        both = [
            asyncio.create_task(copy(reader, up_writer)),
            asyncio.create_task(copy(up_reader, writer)),
        ]
        await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
        for task in both:
            task.cancel()
        await asyncio.gather(*both, return_exceptions=True)
    finally:
        up_writer.close()
        with contextlib.suppress(Exception):
            await up_writer.wait_closed()
