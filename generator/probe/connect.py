"""Opening TCP connections for the probe: resolve a name, then race its addresses.

    open_stream(host, port, context) -> asyncio streams (TLS when given a context)
    connect_first(addresses) -> the first socket to connect (RFC 8305 Happy Eyeballs)
    resolve(host, port) -> getaddrinfo in a daemon thread, so a silent DNS server holds no run

A host name no DNS query can carry is an `InvalidHostName` (an OSError).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import socket
import ssl
import threading
from collections.abc import Iterable, Sequence
from typing import Any

READ_SIZE = 64 * 1024  # bytes asked of the socket at once; the stream buffers twice that
ATTEMPT_DELAY = 0.25  # seconds before the next address is tried (RFC 8305's recommended value)

Address = tuple[int, Any]  # (family, sockaddr) as getaddrinfo gives them


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
