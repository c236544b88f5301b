"""The probe's transport against real servers on 127.0.0.1: bodies, names, addresses, proxies."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest
import zstandard
from click.testing import CliRunner
from localserver import Certificates, LocalServer, Reply, closed_port
from proxyserver import ProxyServer

from generator.cli import main
from generator.config.read import Config, Defaults, Expect, Monitor, Site
from generator.probe import connect, failures, proxies, transport
from generator.probe import run as probe
from generator.probe.verdict import causes
from generator.store.samples import Sample

NOW = datetime(2026, 11, 23, 10, 5, 0, tzinfo=UTC)
TEXT = '{"status": "ok", "note": "' + "all systems go " * 200 + '"}'
WANTED = "all systems go " * 3  # repeats: compressed, it is never there as it is


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def server(shared_server: LocalServer) -> LocalServer:
    shared_server.clear()
    return shared_server


def http(url: str, **fields: Any) -> Monitor:
    fields.setdefault("timeout", 3.0)
    fields.setdefault("retries", 0)
    return Monitor(id=fields.pop("id", "api"), name="API", url=url, **fields)


def probe_all(*monitors: Monitor) -> list[Sample]:
    """Probe through the real run(), as `upwatch probe` does."""
    config = Config(
        path=Path("status.yml"), site=Site("Test"), defaults=Defaults(), monitors=monitors
    )
    return probe.run(config, list(monitors), NOW, "test")


def outcome(sample: Sample) -> tuple[str, int | None, str]:
    return sample.status, sample.code, sample.detail


# --- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("br", brotli.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
        ("gzip", gzip.compress),
    ],
)
def test_compressed_bodies_sent_unasked_are_decoded(
    server: LocalServer, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = compress(TEXT.encode())
    assert WANTED.encode() not in body
    server.route("/packed", Reply(200, body, headers={"Content-Encoding": encoding}))
    monitor = http(server.url("/packed"), expect=Expect(contains=WANTED))
    [sample] = probe_all(monitor)
    assert outcome(sample) == ("up", 200, "")


def test_the_probe_offers_br_and_zstd(server: LocalServer) -> None:
    server.route("/", Reply(200, "ok"))
    probe_all(http(server.url("/")))
    offered = {e.strip() for e in server.requests[-1].headers["accept-encoding"].split(",")}
    assert {"br", "zstd", "gzip"} <= offered


# --- names ----------------------------------------------------------------------------------

SECRET_LABEL = "S3cretHostLabel" + "x" * 60  # one label over 63 characters: not IDNA


def upwatch(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real `upwatch` console script in a process of its own."""
    script = Path(sys.executable).with_name("upwatch")
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_host_name_that_is_not_idna_is_down_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "status.yml").write_text(
        "site: {title: Names}\n"
        "defaults: {timeout: 2, retries: 0}\n"
        "monitors:\n"
        "  - id: idna\n"
        "    url: http://${SECRET_HOST}.example/\n"
    )
    done = upwatch(
        "-v",
        "probe",
        "--now",
        "2026-11-23T10:00:00Z",
        cwd=tmp_path,
        env={"SECRET_HOST": SECRET_LABEL},
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert "s3crethost" not in output.lower()
    assert re.search(r"^idna +down +invalid host name$", output, re.MULTILINE), output
    day = (tmp_path / "data" / "2026-11-23.csv").read_text()
    assert ",down,,,dns,invalid host name" in day
    assert "s3crethost" not in day.lower()


def test_resolver_threads_are_not_named_after_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    names: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    asyncio.run(connect.resolve("localhost", 80))
    assert names == ["upwatch resolve"]


# --- Happy Eyeballs -------------------------------------------------------------------------


class BlackHole:
    """A port on a loopback address where a connect hangs: a listener whose queue is full.

    Nothing accepts, so once the accept queue (backlog 0) holds one connection the kernel
    drops every further SYN and the client waits, as for an address that routes nowhere.
    """

    def __init__(self, address: str, port: int) -> None:
        self.listener = socket.create_server((address, port), backlog=0)
        self.address = (address, port)
        self.fillers: list[socket.socket] = []
        while self.connects_within(0.3):
            assert len(self.fillers) < 8, "the accept queue never filled"

    def connects_within(self, seconds: float) -> bool:
        sock = socket.socket()
        sock.settimeout(seconds)
        try:
            sock.connect(self.address)
        except TimeoutError:
            sock.close()
            return False
        self.fillers.append(sock)
        return True

    def __enter__(self) -> BlackHole:
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in [*self.fillers, self.listener]:
            sock.close()


def addresses(*hosts: str, port: int) -> list[Any]:
    """getaddrinfo-shaped answers for these IP addresses, in this order."""
    return [
        info for host in hosts for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    ]


@pytest.fixture
def black_holed(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """'black-holed.test' resolves to a hanging 127.0.0.2 first, then the live 127.0.0.1."""
    port = server.port

    async def resolve(host: str, port: int) -> list[Any]:
        return addresses("127.0.0.2", "127.0.0.1", port=port)

    monkeypatch.setattr(connect, "resolve", resolve)
    with BlackHole("127.0.0.2", port) as hole:
        assert not hole.connects_within(1.0), "a plain connect to the black hole did not hang"
        yield port


def test_a_black_holed_first_address_costs_no_timeout(
    server: LocalServer, black_holed: int
) -> None:
    port = black_holed
    server.route("/", Reply(200, "ok"))
    monitors = [
        http(f"http://black-holed.test:{port}/", timeout=5.0),
        Monitor(id="db", name="DB", type="tcp", host="black-holed.test", port=port, timeout=5.0),
    ]
    started = time.monotonic()
    samples = probe_all(*monitors)
    elapsed = time.monotonic() - started
    assert [outcome(s) for s in samples] == [("up", 200, ""), ("up", None, "")]
    assert all(s.ms is not None and s.ms < 5000 for s in samples)
    assert elapsed < 5.0, f"took {elapsed:.1f} s: the black hole ate the timeout"
    assert server.hits("/") == 1


def test_every_address_black_holed_ends_at_the_timeout(
    black_holed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = black_holed

    async def resolve(host: str, port: int) -> list[Any]:
        return addresses("127.0.0.2", port=port)

    monkeypatch.setattr(connect, "resolve", resolve)
    started = time.monotonic()
    [sample] = probe_all(http(f"http://black-holed.test:{port}/", timeout=1.0))
    assert outcome(sample) == ("down", None, "timeout after 1 s")
    assert time.monotonic() - started < 1.0 + 1.0  # the spec's bound: timeout + 1 s


def test_a_refused_address_moves_on_at_once_and_refusals_everywhere_say_so(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route("/", Reply(200, "ok"))
    answers = [
        addresses("127.0.0.3", "127.0.0.1", port=server.port),
        addresses("127.0.0.3", port=server.port),
    ]

    async def resolve(host: str, port: int) -> list[Any]:
        return answers.pop(0)

    monkeypatch.setattr(connect, "resolve", resolve)
    [first] = probe_all(http(f"http://refusing.test:{server.port}/"))
    [second] = probe_all(http(f"http://refusing.test:{server.port}/"))
    assert outcome(first) == ("up", 200, "")
    assert outcome(second) == ("down", None, "connection refused")


def test_the_losing_attempts_are_closed(server: LocalServer, black_holed: int) -> None:
    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    async def connect_and_close() -> tuple[int, int]:
        before = open_files()  # the loop's own files are open by now
        _reader, writer = await connect.open_stream("black-holed.test", black_holed, None)
        writer.close()
        await writer.wait_closed()
        for _ in range(100):  # the cancelled attempt closes its socket on its next step
            if open_files() <= before:
                break
            await asyncio.sleep(0.02)
        return before, open_files()

    before, after = asyncio.run(connect_and_close())
    assert after == before


V4 = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (f"127.0.0.{i}", 80)) for i in (1, 2, 3)]
V6 = [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (f"::{i}", 80, 0, 0)) for i in (1, 2)]


@pytest.mark.parametrize(
    ("infos", "order"),
    [
        ([*V6, *V4], ["::1", "127.0.0.1", "::2", "127.0.0.2", "127.0.0.3"]),
        ([*V4, *V6], ["127.0.0.1", "::1", "127.0.0.2", "::2", "127.0.0.3"]),
        ([V4[0], V4[0], V6[0]], ["127.0.0.1", "::1"]),
        (V4, ["127.0.0.1", "127.0.0.2", "127.0.0.3"]),
    ],
)
def test_families_alternate_starting_with_the_resolvers_choice(
    infos: list[Any], order: list[str]
) -> None:
    assert [sockaddr[0] for _family, sockaddr in connect.interleave(infos)] == order


# --- 1xx without a final response -----------------------------------------------------------


class Scripted:
    """A raw server on 127.0.0.1: reads one request head, sends `script`, then `after`.

    after: "close" ends the connection; "interim" sends `102 Processing` every 0.1 s until
    the client goes away; "final" sends a real 200 answer.
    """

    def __init__(self, script: bytes, after: str = "close") -> None:
        self.script = script
        self.after = after
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def __enter__(self) -> Scripted:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)

    def serve(self) -> None:
        while True:
            try:
                conn, _peer = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            conn.sendall(self.script)
            if self.after == "final":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                conn.recv(1)  # until the client closes
            for _ in range(600 if self.after == "interim" else 0):
                conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
                time.sleep(0.1)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


async def fetch(url: str, timeout: float = 3.0) -> httpx.Response:
    async with transport.make_client() as client:
        return await client.get(url, timeout=timeout)


@pytest.mark.parametrize(
    "script",
    [CONTINUE, CONTINUE * 3 + b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"],
)
def test_1xx_then_a_close_is_no_final_response(script: bytes) -> None:
    with Scripted(script, after="close") as server:
        with pytest.raises(failures.NoFinalResponse, match="1xx answer without a final"):
            asyncio.run(fetch(server.url()))
        [sample] = probe_all(http(server.url()))
    assert outcome(sample) == ("down", None, "1xx answer without a final response")


def test_more_1xx_than_the_limit_is_no_final_response_at_once() -> None:
    endless = Scripted(CONTINUE * (transport.MAX_INTERIM + 1), after="interim")
    with endless as server, pytest.raises(failures.NoFinalResponse):
        asyncio.run(fetch(server.url(), timeout=30.0))


def test_1xx_until_the_deadline_says_why_on_the_timeout() -> None:
    async def fetch_within(url: str, seconds: float) -> None:
        async with asyncio.timeout(seconds):
            await fetch(url, timeout=30.0)

    with Scripted(CONTINUE, after="interim") as server:
        with pytest.raises(TimeoutError) as caught:
            asyncio.run(fetch_within(server.url(), 0.5))
        [sample] = probe_all(http(server.url(), timeout=0.5))
    assert any(isinstance(c, failures.NoFinalResponse) for c in causes(caught.value))
    assert outcome(sample) == ("down", None, "1xx answer, then no final response within 0.5 s")


def test_1xx_then_a_final_response_is_that_response() -> None:
    with Scripted(CONTINUE + b"HTTP/1.1 103 Early Hints\r\n\r\n", after="final") as server:
        [sample] = probe_all(http(server.url(), expect=Expect(contains="ok")))
    assert outcome(sample) == ("up", 200, "")


# --- failures by type ------------------------------------------------------------------------


async def read_body(url: str) -> bytes:
    async with (
        transport.make_client() as client,
        client.stream("GET", url, timeout=3.0) as response,
    ):
        return await response.aread()


@pytest.mark.parametrize(
    ("reply", "failure"),
    [
        (Reply.close(), failures.ClosedWithoutResponse),
        (Reply(200, "half", headers={"Content-Length": "100"}, keep_alive=False), failures.BodyCut),
    ],
)
def test_a_closed_connection_is_raised_as_its_type(
    server: LocalServer, reply: Reply, failure: type[Exception]
) -> None:
    server.route("/closed", reply)
    with pytest.raises(failure):
        asyncio.run(read_body(server.url("/closed")))


def test_a_location_httpx_cannot_parse_is_an_invalid_location(server: LocalServer) -> None:
    from generator.probe.http import send

    async def first_hop(url: str) -> None:
        async with transport.make_client() as client:
            await send(client, client.build_request("GET", url))

    server.route("/r", Reply(302, "", headers={"Location": "http://[::1/"}))
    with pytest.raises(failures.InvalidLocation):
        asyncio.run(first_hop(server.url("/r")))


# --- proxies --------------------------------------------------------------------------------

PROXY_VARIABLES = [f"{n}_proxy" for n in ("http", "https", "all", "no")]


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without proxy variables (the tests then set their own)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


@pytest.fixture
def proxy() -> Iterator[ProxyServer]:
    with ProxyServer() as running:
        yield running


@pytest.fixture(scope="module")
def certs() -> Certificates:
    return Certificates()


def test_http_and_https_monitors_go_through_the_proxies_the_environment_names(
    server: LocalServer, proxy: ProxyServer, certs: Certificates, no_proxies: pytest.MonkeyPatch
) -> None:
    no_proxies.setenv("HTTP_PROXY", proxy.url)
    no_proxies.setenv("HTTPS_PROXY", proxy.url)
    no_proxies.setenv("SSL_CERT_FILE", str(certs.ca_file))
    server.route("/plain", Reply(200, "plain ok"))
    with LocalServer(tls=certs.valid()) as tls_server:
        tls_server.route("/secure", Reply(200, "secure ok"))
        samples = probe_all(
            # Names only the proxy can reach: it connects to 127.0.0.1 whatever the name.
            http(f"http://only-via-proxy.test:{server.port}/plain?q=1", id="plain"),
            http(f"https://localhost:{tls_server.port}/secure", id="secure"),
        )
        assert tls_server.hits("/secure") == 1
    assert [outcome(s) for s in samples] == [("up", 200, ""), ("up", 200, "")]
    assert sorted(proxy.targets()) == [
        f"http://only-via-proxy.test:{server.port}/plain?q=1",
        f"localhost:{tls_server.port}",
    ]
    assert [p.method for p in proxy.seen if p.method == "CONNECT"] == ["CONNECT"]
    assert server.requests[-1].headers["host"] == f"only-via-proxy.test:{server.port}"


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (Reply.close(), "connection closed without a response"),
        (
            Reply(200, "half", headers={"Content-Length": "100"}, keep_alive=False),
            "connection closed before the body ended",
        ),
        (Reply(302, "", headers={"Location": "http://[::1/"}), "redirect to an invalid URL"),
    ],
)
def test_a_proxied_failure_has_the_reason_of_a_direct_one(
    server: LocalServer,
    proxy: ProxyServer,
    no_proxies: pytest.MonkeyPatch,
    reply: Reply,
    detail: str,
) -> None:
    server.route("/broken", reply)
    [direct] = probe_all(http(server.url("/broken")))
    no_proxies.setenv("HTTP_PROXY", proxy.url)
    [proxied] = probe_all(http(f"http://via-proxy.test:{server.port}/broken"))
    assert proxy.targets() == [f"http://via-proxy.test:{server.port}/broken"]
    assert (direct.status, direct.detail) == (proxied.status, proxied.detail) == ("down", detail)


def test_no_proxy_hosts_connect_directly(
    server: LocalServer, proxy: ProxyServer, no_proxies: pytest.MonkeyPatch
) -> None:
    no_proxies.setenv("HTTP_PROXY", proxy.url)
    no_proxies.setenv("NO_PROXY", "example.com, 127.0.0.0/8")
    server.route("/direct", Reply(200, "ok"))
    samples = probe_all(
        http(server.url("/direct"), id="direct"),
        http(f"http://api.example.com:{server.port}/direct", id="by-name", timeout=1.0),
        http(f"http://elsewhere.test:{server.port}/direct", id="proxied"),
    )
    assert [s.status for s in samples] == ["up", "down", "up"]  # api.example.com: not proxied
    assert proxy.targets() == [f"http://elsewhere.test:{server.port}/direct"]


def test_lower_case_variables_win_and_all_proxy_is_the_fallback(
    server: LocalServer, proxy: ProxyServer, no_proxies: pytest.MonkeyPatch
) -> None:
    no_proxies.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    no_proxies.setenv("http_proxy", proxy.url.removeprefix("http://"))  # no scheme: http
    server.route("/", Reply(200, "ok"))
    [first] = probe_all(http(f"http://lower.test:{server.port}/"))
    no_proxies.delenv("HTTP_PROXY")
    no_proxies.delenv("http_proxy")
    no_proxies.setenv("ALL_PROXY", proxy.url)
    [second] = probe_all(http(f"http://every.test:{server.port}/"))
    assert (first.status, second.status) == ("up", "up")
    assert proxy.targets() == [
        f"http://lower.test:{server.port}/",
        f"http://every.test:{server.port}/",
    ]


def test_a_socks5_proxy_in_all_proxy(
    server: LocalServer, proxy: ProxyServer, no_proxies: pytest.MonkeyPatch
) -> None:
    no_proxies.setenv("all_proxy", f"socks5://127.0.0.1:{proxy.port}")
    server.route("/", Reply(200, "ok"))
    [sample] = probe_all(http(f"http://via-socks.test:{server.port}/"))
    assert outcome(sample) == ("up", 200, "")
    assert [(p.method, p.target) for p in proxy.seen] == [
        ("SOCKS5", f"via-socks.test:{server.port}")
    ]


def test_proxy_credentials_go_to_the_proxy_only(
    server: LocalServer, proxy: ProxyServer, no_proxies: pytest.MonkeyPatch
) -> None:
    no_proxies.setenv("HTTP_PROXY", f"http://probe:pr0xy-pass@127.0.0.1:{proxy.port}")
    server.route("/", Reply(200, "ok"))
    [sample] = probe_all(http(f"http://creds.test:{server.port}/"))
    assert sample.status == "up"
    sent = base64.b64encode(b"probe:pr0xy-pass").decode()
    assert proxy.seen[0].headers["proxy-authorization"] == f"Basic {sent}"
    assert not [k for k in server.requests[-1].headers if k.startswith("proxy-")]


def test_a_refused_tunnel_is_raised_with_its_code() -> None:
    async def through(proxy_url: str) -> None:
        settings = proxies.ProxySettings(https=proxy_url)
        async with transport.make_client(proxies=settings) as client:
            await client.get("https://tunnel.test/", timeout=3.0)

    with ProxyServer(refuse=407) as refusing, pytest.raises(failures.TunnelRefused) as caught:
        asyncio.run(through(refusing.url))
    assert caught.value.code == 407


def test_a_proxy_that_refuses_makes_the_monitor_down(
    server: LocalServer, no_proxies: pytest.MonkeyPatch
) -> None:
    with ProxyServer(refuse=407) as refusing:
        no_proxies.setenv("HTTPS_PROXY", refusing.url)
        [sample] = probe_all(http(f"https://refused.test:{server.port}/"))
        assert refusing.targets() == [f"refused.test:{server.port}"]
    assert (sample.status, sample.detail) == ("down", "proxy refused the tunnel (HTTP 407)")


@pytest.mark.parametrize(
    "value",
    ["ftp://proxy.example:21", "http://", "http://proxy:abc", "http://proxy:99999", "gopher://"],
)
def test_a_proxy_variable_that_is_not_a_proxy_url_is_a_clean_error(
    tmp_path: Path, no_proxies: pytest.MonkeyPatch, value: str
) -> None:
    (tmp_path / "status.yml").write_text(
        "site: {title: Proxies}\nmonitors:\n  - id: a\n    url: http://a.example/\n"
    )
    result = CliRunner().invoke(
        main, ["probe", "--config", str(tmp_path / "status.yml")], env={"HTTPS_PROXY": value}
    )
    assert result.exit_code == 1, result.output
    assert result.output == (
        "HTTPS_PROXY: not a proxy URL such as http://proxy:3128 (http, https, socks5 or socks5h)\n"
    )
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "direct"),
    [
        ("example.com", 80, "example.com", True),
        ("api.example.com", 80, "example.com", True),
        ("api.example.com", 80, ".example.com", True),
        ("api.example.com", 80, "*.example.com", True),
        ("notexample.com", 80, "example.com", False),
        ("example.com.", 80, "EXAMPLE.com", False),  # entries are lower-cased when read
        ("example.com.", 80, "example.com", True),
        ("example.com", 8080, "example.com:80", False),
        ("example.com", 80, "example.com:80", True),
        ("anything.test", 443, "*", True),
        ("10.1.2.3", 80, "10.0.0.0/8", True),
        ("11.1.2.3", 80, "10.0.0.0/8", False),
        ("127.0.0.1", 80, "127.0.0.1", True),
        ("::1", 80, "::1", True),
        ("::1", 80, "[::1]:80", True),
        ("::1", 81, "[::1]:80", False),
        ("::1", 80, "127.0.0.0/8", False),
        ("localhost", 80, "127.0.0.1", False),  # names are not resolved for NO_PROXY
        ("example.com", 80, "", False),
    ],
)
def test_no_proxy_rules(host: str, port: int, no_proxy: str, direct: bool) -> None:
    entries = [e.strip() for e in no_proxy.split(",") if e.strip()]
    assert proxies.bypassed(host, port, entries) is direct


def test_proxy_settings_read_from_the_environment() -> None:
    read = proxies.ProxySettings.from_environment
    assert read({}) == proxies.ProxySettings()
    assert read({"HTTPS_PROXY": "proxy:3128", "NO_PROXY": "A.example, ,b"}) == (
        proxies.ProxySettings(https="http://proxy:3128", no_proxy=("a.example", "b"))
    )
    assert read({"https_proxy": "", "HTTPS_PROXY": "http://upper:1"}).https is None
    assert read({"ALL_PROXY": "socks5h://s:1080", "http_proxy": "http://h:1"}) == (
        proxies.ProxySettings(http="http://h:1", https="socks5h://s:1080")
    )


def test_a_certificate_is_still_read_through_a_tunnel(
    proxy: ProxyServer, certs: Certificates, no_proxies: pytest.MonkeyPatch
) -> None:
    no_proxies.setenv("HTTPS_PROXY", proxy.url)
    no_proxies.setenv("SSL_CERT_FILE", str(certs.ca_file))
    with LocalServer(tls=certs.expiring(days=5)) as tls_server:
        tls_server.route("/", Reply(200, "ok"))
        [sample] = probe_all(http(f"https://localhost:{tls_server.port}/"))
    assert outcome(sample) == ("degraded", 200, "certificate expires in 5 days")
    assert proxy.targets() == [f"localhost:{tls_server.port}"]
