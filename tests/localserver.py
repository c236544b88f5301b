"""Real servers on 127.0.0.1 that misbehave on demand, for every test that probes.

An HTTP(S) server runs an asyncio loop in a background thread on a random free port; what
each path answers is switched at run time from the test, between `upwatch probe` runs too::

    from localserver import Certificates, LocalServer, Reply, TcpListener, closed_port

    with LocalServer() as server:                       # http://127.0.0.1:<random port>
        server.route("/api", Reply(200, "ok"))           # status, body (str/bytes), headers, delay
        server.url("/api")                               # -> "http://127.0.0.1:PORT/api"
        server.route("/api", Reply(503))                 # switch: now it is down
        server.route("/api", Reply.hang())               # never answers (a timeout)
        server.route("/flaky", Reply(503), Reply(200))   # a sequence: 503 once, then 200 for ever
        server.hits("/flaky")                            # requests seen on that path
        server.requests[-1].headers["authorization"]     # what the client sent (keys lower-case)

Replies (every one takes `delay=` seconds before it starts, and `headers=`):

    Reply(status=200, body="ok", headers={}, delay=0)    a plain answer (Content-Length set)
    Reply.json({"status": "UP"}, status=200)             a JSON body with its content type
    Reply.redirect("/elsewhere", status=302)             a redirect; Reply.redirect("/loop") on
                                                         "/loop" itself is a redirect loop
    Reply.hang()                                         accept, read the request, never answer
    Reply.reset()                                        answer with a TCP reset (RST)
    Reply.close()                                        close without a byte of answer
    Reply.garbage()                                      bytes that are not HTTP, then close
    Reply.huge(size=200 * 2**20, status=200)             a streamed body of `size` bytes, made as
                                                         it is sent, never held in memory
    Reply.trickle(interval=0.2, status=200)              headers, then one body byte per interval
    Reply(..., framing="chunked")                        the body in chunks of 7 bytes
    Reply(..., framing="close")                          no length: the body ends with the connection
    Reply(..., keep_alive=False)                         close the connection after answering,
                                                         without a `Connection: close` header

`server.requests[i].peer` is the client's "address:port", one per connection.

A path with no route answers 404. `server.clear()` forgets routes and recorded requests.

HTTPS: `Certificates()` is a throwaway test CA (trustme). Give the server one of its
server contexts; give the client `certs.client_context()` (or point `SSL_CERT_FILE` at
`certs.ca_file` for a subprocess: httpx reads it)::

    certs = Certificates()
    with LocalServer(tls=certs.valid()) as server: ...          # trusted, 1 year left
    LocalServer(tls=certs.expiring(days=5))                      # trusted, expires in 5 days
    LocalServer(tls=certs.expired())                             # trusted CA, already expired
    LocalServer(tls=certs.self_signed())                         # a self-signed leaf: untrusted

TCP: `TcpListener()` accepts connections and closes them (`.port`, `.accepted`);
`closed_port()` is a port on 127.0.0.1 where nothing listens (connection refused).

Run as a program it serves every path with a 200 after a delay, in its own process (for
benchmarks), printing its port on the first line of stdout::

    python tests/localserver.py --delay 0.2 [--port 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import ipaddress
import json as jsonlib
import os
import shutil
import socket
import ssl
import struct
import sys
import tempfile
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
CHUNK = 64 * 1024
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class Reply:
    """What one request to a path gets: an answer, or a way of misbehaving."""

    status: int = 200
    body: str | bytes = "ok"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    kind: str = "plain"  # plain | hang | reset | close | garbage | huge | trickle
    size: int = 0  # huge: body length
    interval: float = 0.2  # trickle: seconds between body bytes
    framing: str = "length"  # length | chunked | close (the body ends when the connection does)
    keep_alive: bool = True  # False: close the connection after answering, without a word

    @classmethod
    def json(cls, data: Any, status: int = 200, **kw: Any) -> Reply:
        headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
        return cls(status, jsonlib.dumps(data), headers, **kw)

    @classmethod
    def redirect(cls, location: str, status: int = 302, **kw: Any) -> Reply:
        headers = {"Location": location, **kw.pop("headers", {})}
        return cls(status, "", headers, **kw)

    @classmethod
    def hang(cls, **kw: Any) -> Reply:
        return cls(kind="hang", **kw)

    @classmethod
    def reset(cls, **kw: Any) -> Reply:
        return cls(kind="reset", **kw)

    @classmethod
    def close(cls, **kw: Any) -> Reply:
        return cls(kind="close", **kw)

    @classmethod
    def garbage(cls, **kw: Any) -> Reply:
        return cls(kind="garbage", **kw)

    @classmethod
    def huge(cls, size: int = 200 * 2**20, status: int = 200, **kw: Any) -> Reply:
        return cls(status, b"", kind="huge", size=size, **kw)

    @classmethod
    def trickle(cls, interval: float = 0.2, status: int = 200, **kw: Any) -> Reply:
        return cls(status, b"", kind="trickle", interval=interval, **kw)


@dataclass(frozen=True)
class Request:
    """One request the server read."""

    method: str
    target: str  # path and query as sent
    headers: dict[str, str]  # names lower-case
    body: bytes
    peer: str = ""  # the client's address and port: one per connection

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


NOT_FOUND = Reply(404, "not found")


class LocalServer:
    """An HTTP (or, with tls=, HTTPS) server on 127.0.0.1 in a background thread."""

    def __init__(self, tls: ssl.SSLContext | None = None, port: int = 0) -> None:
        self.tls = tls
        self.port = port
        self.requests: list[Request] = []
        self._routes: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- control from the test thread ---

    def start(self) -> LocalServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def route(self, path: str, *replies: Reply) -> None:
        """Answer path with these replies in turn; the last one repeats for ever."""
        with self._lock:
            self._routes[path] = list(replies) or [Reply()]

    def clear(self) -> None:
        """Forget every route and recorded request."""
        with self._lock:
            self._routes.clear()
            self.requests.clear()

    def url(self, path: str = "/") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{HOST}:{self.port}{path}"

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    # --- inside the server's loop ---

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._connection, HOST, self.port, ssl=self.tls, backlog=2048
        )
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
        await asyncio.sleep(0)  # let the transports' close callbacks run before the loop stops

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            replies = self._routes.get(path)
            if not replies:
                return NOT_FOUND
            return replies.pop(0) if len(replies) > 1 else replies[0]

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    break
                peer = writer.get_extra_info("peername")
                request = replace(request, peer=f"{peer[0]}:{peer[1]}")
                with self._lock:
                    self.requests.append(request)
                reply = self._next_reply(request.path)
                if not await send(reply, request, writer):
                    break
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # stop() ends hanging answers; re-raising makes asyncio log a traceback. Abort:
            # a TLS close would wait for the client's close_notify after the loop has stopped.
            writer.transport.abort()
        finally:
            self._tasks.discard(task)
            writer.close()


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one HTTP/1.1 request (Content-Length bodies only); None at a clean end."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


async def send(reply: Reply, request: Request, writer: asyncio.StreamWriter) -> bool:
    """Act out a reply; return whether the connection may serve another request."""
    if reply.delay:
        await asyncio.sleep(reply.delay)
    if reply.kind == "hang":
        await asyncio.Event().wait()
    if reply.kind == "reset":
        _reset(writer)
        return False
    if reply.kind == "close":
        return False
    if reply.kind == "garbage":
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe garbage \x01\x02\r\n\r\n")
        await writer.drain()
        return False
    body = reply.body.encode() if isinstance(reply.body, str) else reply.body
    length = reply.size if reply.kind in ("huge", "trickle") else len(body)
    if reply.kind == "trickle":
        length = reply.size or 10**6
    framing = {
        "length": {"Content-Length": str(length)},
        "chunked": {"Transfer-Encoding": "chunked"},
    }
    headers = {**framing.get(reply.framing, {}), **reply.headers}
    if request.headers.get("connection", "").lower() == "close":
        headers["Connection"] = "close"
    reason = REASONS.get(reply.status, "Status")
    head = f"HTTP/1.1 {reply.status:03d} {reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    writer.write(head.encode("latin-1"))
    if request.method != "HEAD":
        if reply.kind == "huge":
            await _stream(writer, length)
        elif reply.kind == "trickle":
            await _trickle(writer, length, reply.interval)
        elif reply.framing == "chunked":
            for start in range(0, len(body), 7):
                part = body[start : start + 7]
                writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            writer.write(b"0\r\n\r\n")
        else:
            writer.write(body)
    await writer.drain()
    return "Connection" not in headers and reply.framing != "close" and reply.keep_alive


async def _stream(writer: asyncio.StreamWriter, length: int) -> None:
    chunk = b"x" * CHUNK
    sent = 0
    while sent < length:
        part = chunk[: length - sent]
        writer.write(part)
        sent += len(part)
        await writer.drain()


async def _trickle(writer: asyncio.StreamWriter, length: int, interval: float) -> None:
    for _ in range(length):
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(interval)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST instead of FIN: SO_LINGER on, zero seconds."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# --- TLS --------------------------------------------------------------------------------


class Certificates:
    """A throwaway certificate authority and server contexts signed by it (or not)."""

    def __init__(self) -> None:
        import trustme

        self.ca = trustme.CA()
        self.folder = Path(tempfile.mkdtemp(prefix="upwatch-certs-"))
        weakref.finalize(self, shutil.rmtree, self.folder, True)
        self.ca_file = self.folder / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this CA (and nothing else)."""
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self.ca.configure_trust(ctx)
        return ctx

    def valid(self) -> ssl.SSLContext:
        """A server context with a trusted certificate valid for a year."""
        return self._server(not_after=_now() + dt.timedelta(days=365))

    def expiring(self, days: float) -> ssl.SSLContext:
        """A trusted certificate that expires in `days` days."""
        return self._server(not_after=_now() + dt.timedelta(days=days))

    def expired(self) -> ssl.SSLContext:
        """A certificate from the trusted CA that expired a day ago."""
        start = _now() - dt.timedelta(days=30)
        return self._server(not_before=start, not_after=_now() - dt.timedelta(days=1))

    def self_signed(self) -> ssl.SSLContext:
        """A self-signed certificate no CA vouches for."""
        cert_pem, key_pem = _self_signed_pem()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        (self.folder / "self.pem").write_bytes(cert_pem + key_pem)
        ctx.load_cert_chain(str(self.folder / "self.pem"))
        return ctx

    def _server(self, **validity: dt.datetime) -> ssl.SSLContext:
        leaf = self.ca.issue_cert(HOST, "localhost", **validity)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(ctx)
        return ctx


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _self_signed_pem() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "upwatch self-signed test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


# --- TCP --------------------------------------------------------------------------------


class TcpListener:
    """Accepts TCP connections on 127.0.0.1 and closes them at once."""

    def __init__(self) -> None:
        self.accepted = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> TcpListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        # shutdown() wakes the accept() blocked in the thread; close() alone may not.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while True:
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (a connect is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- as a program: a separate process for benchmarks -------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Answer every path with 200 after a delay.")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--hang", action="append", default=[], help="a path that never answers")
    args = parser.parse_args(argv)

    async def serve() -> None:
        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while (request := await read_request(reader)) is not None:
                    hang = request.path in args.hang
                    reply = Reply.hang() if hang else Reply(200, "ok", delay=args.delay)
                    if not await send(reply, request, writer):
                        break
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(connection, HOST, args.port, backlog=4096)
        print(server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
