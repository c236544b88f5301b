"""The probe engine: check every selected monitor at once, each within a hard deadline.

    select(config, only, shard) -> the monitors this run checks
    run(config, monitors, now, location) -> one Sample per monitor, stamped `now`
    check(monitor, client, masker) -> Result      (check_http / check_tcp make one attempt)
    summary_lines(samples, changes) -> the table printed at the end of a run

A failing check is data: a `down` Result with a short reason (see verdict.py), never an
exception; `check` turns even an error nobody expected into one. Every attempt runs under
`asyncio.timeout(monitor.timeout)`, which covers DNS, connect, TLS, headers and the capped
body read together, so a hanging or trickling endpoint costs at most `timeout x (retries + 1)`
plus back-off.

Requests take turns (`Slots`): at most `defaults.per_host` in flight to one host:port, like a
browser, and `defaults.concurrency` in all. Waiting for a turn stops the attempt's clock, so
it counts neither in `ms` nor against the timeout.

All checks share one `httpx.AsyncClient` (see transport.py) and so its connection pool, but
not cookies: those live in a jar of one attempt's redirect chain. The client is passed in so
tests can hand in their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import ssl
import time
import traceback
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import cast

import click
import httpx

from ..config.checks import did_you_mean
from ..config.read import Config, Defaults, Masker, Monitor, resolve_secrets
from ..incidents.files import Change
from ..store.days import Sample
from .transport import make_client, masked_library_logs, open_stream
from .verdict import Result, after_redirect, down, explain, judge, timed, timed_out

log = logging.getLogger(__name__)

BODY_CAP = 1 << 20  # bytes read at most; expectations are judged on what was read
BACKOFF = 0.2  # seconds before the first retry, doubled for each next one
PROGRESS_EVERY = 2.0  # seconds between progress lines on long runs
SUMMARY_ROWS = 50  # above this many monitors the table lists only those not up
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie"}
DEFAULT_PORTS = {"http": 80, "https": 443}

__all__ = ["Result", "check", "check_http", "check_tcp", "run", "select", "summary_lines"]


# --- choosing monitors -----------------------------------------------------------------


def select(config: Config, only: Sequence[str], shard: str | None) -> list[Monitor]:
    """The monitors named by --only (all when empty), then the K-th of N stable shards."""
    monitors = list(config.monitors)
    wanted = [i.strip() for item in only for i in item.split(",") if i.strip()]
    if only and not wanted:
        raise click.BadParameter("names no monitor id", param_hint="'--only'")
    if wanted:
        known = [m.id for m in monitors]
        unknown = [_unknown(i, known) for i in wanted if i not in known]
        if unknown:
            raise click.BadParameter("; ".join(unknown), param_hint="'--only'")
        monitors = [m for m in monitors if m.id in wanted]
    if shard is not None:
        k, n = parse_shard(shard)
        monitors = [m for m in monitors if shard_of(m.id, n) == k]
    return monitors


def _unknown(monitor_id: str, known: list[str]) -> str:
    return f"no monitor {monitor_id!r} in the config{did_you_mean(monitor_id, known)}"


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' with 1 <= K <= N; anything else is bad usage."""
    k_text, _, n_text = text.partition("/")
    if not (k_text.isdigit() and n_text.isdigit()) or not 1 <= int(k_text) <= int(n_text):
        raise click.BadParameter(
            f"{text!r} is not K/N with 1 <= K <= N (for example 2/4)", param_hint="'--shard'"
        )
    return int(k_text), int(n_text)


def shard_of(monitor_id: str, n: int) -> int:
    """The shard (1..n) of a monitor, from a hash of its id: adding monitors moves no other."""
    digest = hashlib.sha256(monitor_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


# --- running -----------------------------------------------------------------------------


def run(config: Config, monitors: Sequence[Monitor], now: datetime, location: str) -> list[Sample]:
    """Check the monitors concurrently; one sample each, stamped with now and location."""
    resolved, masker = resolve_secrets(monitors, config.path)
    defaults = config.defaults
    log.debug(
        "%d monitor%s, at most %d requests at once and %d per host:port: done within %.0f s "
        "at worst",
        len(resolved),
        "" if len(resolved) == 1 else "s",
        defaults.concurrency,
        defaults.per_host,
        worst_case(resolved, defaults.per_host, defaults.concurrency),
    )
    started = time.perf_counter()
    slots = Slots(defaults.per_host, defaults.concurrency)
    allow_open_files(2 * defaults.concurrency + 64)  # in flight, kept idle, and the rest
    with masked_library_logs(masker), masker.guard():
        results = asyncio.run(probe_all(resolved, slots, masker, monitors))
    log.debug("probed %d monitors in %.2f s", len(results), time.perf_counter() - started)
    when = now.astimezone(UTC).replace(microsecond=0)
    return [r.sample(m.id, when, location) for m, r in zip(monitors, results, strict=True)]


def allow_open_files(needed: int) -> None:
    """Raise the soft limit on open files toward `needed`, as far as the hard limit allows.

    macOS starts at 256 and many Linux desktops at 1024; past it every connect fails with
    'too many open files', which would be a false down.
    """
    try:
        import resource
    except ImportError:  # Windows has no such limit
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < needed:
        log.warning(
            "at most %d open files (ulimit -n): lower defaults.concurrency, or false downs "
            "may follow",
            wanted,
        )


def worst_case(monitors: Sequence[Monitor], per_host: int, concurrency: int) -> float:
    """Seconds the checks take at most if every attempt lasts its whole timeout.

    Attempts to one host:port take turns `per_host` at a time and all attempts `concurrency`
    at a time; the longer of the two queues, plus the longest back-off, bounds the run.
    (Redirects to other hosts are not counted: they share those hosts' turns.)
    """
    if not monitors:
        return 0.0
    queues: dict[tuple[str, int], list[Monitor]] = {}
    for monitor in monitors:
        queues.setdefault(_endpoint(monitor), []).append(monitor)

    def queue_time(queue: Sequence[Monitor], width: int) -> float:
        attempts = sum(m.retries + 1 for m in queue)
        return math.ceil(attempts / width) * max(m.timeout for m in queue)

    per_host_time = max(queue_time(q, per_host) for q in queues.values())
    backoff = max(BACKOFF * ((1 << m.retries) - 1) for m in monitors)
    return max(per_host_time, queue_time(monitors, concurrency)) + backoff


async def probe_all(
    monitors: Sequence[Monitor],
    slots: Slots,
    masker: Masker,
    shown: Sequence[Monitor] | None = None,
) -> list[Result]:
    """Check every monitor, sharing the slots; results in the monitors' order."""
    progress = Progress(len(monitors))
    shown = shown or monitors  # as configured: their target shows *** for a secret

    async with clients(monitors, slots.concurrency) as (client, insecure):

        async def one(monitor: Monitor, display: Monitor) -> Result:
            result = await check(monitor, client, masker, insecure, slots)
            log.debug("%s %s: %s", display.id, display.target, result)
            progress.tick()
            return result

        return list(await asyncio.gather(*map(one, monitors, shown)))


@contextlib.asynccontextmanager
async def clients(
    monitors: Sequence[Monitor], concurrency: int
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient | None]]:
    """The shared client, plus one that skips TLS checks when a monitor asks for that."""
    need_insecure = any(m.type == "http" and not m.verify_tls for m in monitors)
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(make_client(concurrency))
        insecure = None
        if need_insecure:
            insecure = await stack.enter_async_context(make_client(concurrency, verify=False))
        for shared in filter(None, (client, insecure)):
            shared.cookies = no_cookies()
        yield client, insecure


def no_cookies() -> httpx.Cookies:
    """A cookie jar that keeps nothing: the shared clients must never carry cookies."""
    # A policy allowing no domain refuses every cookie a response offers.
    return httpx.Cookies(CookieJar(DefaultCookiePolicy(allowed_domains=[])))


class Slots:
    """Turns for requests: at most `per_host` in flight to one host:port, `concurrency` in all.

    A check takes its host's turn first, then a general one, and gives both back before it
    follows a redirect or backs off, so it never holds one turn while waiting for another
    host's and the turns cannot deadlock.
    """

    def __init__(self, per_host: int = Defaults.per_host, concurrency: int = 10**6) -> None:
        self.per_host = per_host
        self.concurrency = concurrency
        self.everyone = asyncio.Semaphore(concurrency)
        self.hosts: dict[tuple[str, int], asyncio.Semaphore] = {}

    @contextlib.asynccontextmanager
    async def take(self, endpoint: tuple[str, int], clock: Clock) -> AsyncIterator[None]:
        """Wait for a turn with the attempt's clock stopped, then hold it."""
        host = self.hosts.get(endpoint)
        if host is None:
            host = self.hosts[endpoint] = asyncio.Semaphore(self.per_host)
        waits = host.locked() or self.everyone.locked()
        if waits:
            clock.stop()
        async with host, self.everyone:
            if waits:
                clock.start()
            yield


class Clock:
    """One attempt's stopwatch and deadline, both stopped while it waits for a turn."""

    def __init__(self) -> None:
        self.deadline: asyncio.Timeout | None = None
        self.started = time.perf_counter()
        self.waited = 0.0
        self.stopped_at = 0.0
        self.left: float | None = None
        self.hop: httpx.URL | None = None  # the redirect target being fetched, if any

    def stop(self) -> None:
        self.stopped_at = time.perf_counter()
        when = self.deadline.when() if self.deadline else None
        if self.deadline is not None and when is not None:
            self.left = when - asyncio.get_running_loop().time()
            self.deadline.reschedule(None)

    def start(self) -> None:
        self.waited += time.perf_counter() - self.stopped_at
        if self.deadline is not None and self.left is not None:
            self.deadline.reschedule(asyncio.get_running_loop().time() + self.left)
            self.left = None

    @property
    def ms(self) -> int:
        """Milliseconds since the attempt began, less the time spent waiting for turns."""
        return round((time.perf_counter() - self.started - self.waited) * 1000)


class Progress:
    """Logs "probed 600/1000" every few seconds while a long run goes on."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.last = time.monotonic()

    def tick(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY and self.done < self.total:
            self.last = now
            log.info("probed %d/%d", self.done, self.total)


# --- one monitor ---------------------------------------------------------------------------


class NotFollowed(Exception):
    """A redirect the probe will not follow: the check ends with a down Result."""

    def __init__(self, reason: str, code: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


async def check(
    monitor: Monitor,
    client: httpx.AsyncClient,
    masker: Masker | None = None,
    insecure: httpx.AsyncClient | None = None,
    slots: Slots | None = None,
) -> Result:
    """Check a monitor, retrying a failed attempt `retries` times after a short back-off.

    Whatever the endpoint sends, the result is a Result: an error no handler below expects
    (a bug, or a library's edge) becomes `internal error: <type>`, so one endpoint can never
    end the run and cost every other monitor its sample.
    """
    masker = masker or Masker()
    if monitor.type == "http" and not monitor.verify_tls and insecure is not None:
        client = insecure
    try:
        result = await attempts(monitor, client, masker, slots or Slots())
    except Exception as exc:  # the last resort, see above
        trace = "".join(traceback.format_exception(exc))
        log.debug("internal error checking %s:\n%s", monitor.id, masker(trace))
        result = down(f"internal error: {type(exc).__name__}")
    return replace(result, detail=masker(result.detail))


async def attempts(
    monitor: Monitor, client: httpx.AsyncClient, masker: Masker, slots: Slots
) -> Result:
    """The first attempt and the retries a down result calls for."""
    result = await attempt(monitor, client, masker, slots)
    for retry in range(monitor.retries):
        if result.status != "down":
            break
        await asyncio.sleep(BACKOFF * 2**retry)
        result = await attempt(monitor, client, masker, slots)
    return result


async def attempt(
    monitor: Monitor, client: httpx.AsyncClient, masker: Masker, slots: Slots
) -> Result:
    """One attempt under a hard deadline; every failure becomes a down Result."""
    clock = Clock()
    try:
        async with asyncio.timeout(monitor.timeout) as clock.deadline:
            if monitor.type == "tcp":
                return await check_tcp(monitor, slots, clock)
            return await check_http(monitor, client, masker, slots, clock)
    except NotFollowed as refused:
        return down(refused.reason, clock.ms, refused.code)
    except (TimeoutError, httpx.TimeoutException) as exc:
        reason = timed_out(exc, monitor.timeout)
        return down(after_redirect(clock.hop, reason), round(monitor.timeout * 1000))
    except (httpx.HTTPError, httpx.InvalidURL, OSError, UnicodeError) as exc:
        host = clock.hop.host if clock.hop else _endpoint(monitor)[0] or "the host"
        return down(after_redirect(clock.hop, explain(exc, host)))


def _endpoint(monitor: Monitor) -> tuple[str, int]:
    """The host:port a monitor's first request goes to (its turns are counted there)."""
    if monitor.type == "tcp":
        return monitor.host.lower(), monitor.port
    try:
        return endpoint_of(httpx.URL(monitor.url))
    except httpx.InvalidURL:
        return "", 0


def endpoint_of(url: httpx.URL) -> tuple[str, int]:
    return url.host, url.port or DEFAULT_PORTS.get(url.scheme, 0)


async def check_tcp(
    monitor: Monitor, slots: Slots | None = None, clock: Clock | None = None
) -> Result:
    """Connect to host:port (one attempt, no deadline of its own)."""
    clock = clock or Clock()
    async with (slots or Slots()).take(_endpoint(monitor), clock):
        _reader, writer = await open_stream(monitor.host, monitor.port, None)
        ms = clock.ms
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return timed(monitor, ms)


async def check_http(
    monitor: Monitor,
    client: httpx.AsyncClient,
    masker: Masker | None = None,
    slots: Slots | None = None,
    clock: Clock | None = None,
) -> Result:
    """Request the URL, follow redirects, read the body up to the cap and judge it.

    Cookies live in a jar of this attempt alone: a cookie one hop sets goes to the next hop
    when its domain and path allow (as in a browser), and to nothing after the attempt.
    """
    masker = masker or Masker()
    slots, clock = slots or Slots(), clock or Clock()
    request = first_request(client, monitor)
    jar = httpx.Cookies()
    for _hop in range(monitor.max_redirects + 1):
        async with slots.take(endpoint_of(request.url), clock):
            response = await client.send(with_cookies(request, jar), stream=True)
            try:
                if "set-cookie" in response.headers:
                    jar.extract_cookies(response)
                if not (monitor.max_redirects and is_redirect(response)):
                    return await judged(monitor, response, clock, masker)
            finally:
                await response.aclose()
        request = follow(request, response, masker)
        clock.hop = request.url
    return down(f"too many redirects ({monitor.max_redirects})", clock.ms)


async def judged(
    monitor: Monitor, response: httpx.Response, clock: Clock, masker: Masker
) -> Result:
    """Read the body (none for HEAD) and judge the answer."""
    body, cut = (b"", False) if response.request.method == "HEAD" else await read_capped(response)
    expires = peer_cert_expiry(response)
    return judge(monitor, response, body, clock.ms, expires, masker, cut=cut)


def first_request(client: httpx.AsyncClient, monitor: Monitor) -> httpx.Request:
    """The monitor's request with the client's default headers, but never its cookies."""
    headers = httpx.Headers(client.headers)
    # Values go out as UTF-8, as servers decode them (httpx would take ASCII only).
    headers.update({name.encode(): value.encode() for name, value in monitor.headers})
    return httpx.Request(
        monitor.method,
        monitor.url,
        headers=headers,
        content=monitor.body,
        extensions={"timeout": httpx.Timeout(monitor.timeout).as_dict()},
    )


def with_cookies(request: httpx.Request, jar: httpx.Cookies) -> httpx.Request:
    """The request as sent: with the cookies of this redirect chain that apply to it."""
    if not jar:
        return request
    sent = httpx.Request(
        request.method,
        request.url,
        headers=request.headers,
        content=request.content or None,
        extensions=request.extensions,
    )
    jar.set_cookie_header(sent)
    return sent


def is_redirect(response: httpx.Response) -> bool:
    # A redirect status without a Location header is judged like any other answer.
    return response.is_redirect and "location" in response.headers


def follow(request: httpx.Request, response: httpx.Response, masker: Masker) -> httpx.Request:
    """The request a redirect asks for, as browsers make it; NotFollowed when it must not be."""
    url = redirect_target(response)
    method, content = request.method, request.content
    if (response.status_code == 303 and method != "HEAD") or (
        response.status_code in (301, 302) and method == "POST"
    ):
        method, content = "GET", b""
    headers = httpx.Headers(request.headers)
    headers.pop("host", None)
    if not content:
        headers.pop("content-length", None)
    if (url.scheme, *endpoint_of(url)) != (request.url.scheme, *endpoint_of(request.url)):
        # Credentials stay with the origin they were written for, and so does a secret body.
        text = content.decode("utf-8", "replace")
        if masker(text) != text:
            raise NotFollowed(
                "redirect to another origin: not followed with a secret body",
                response.status_code,
            )
        for name, value in list(headers.items()):
            if name.lower() in CREDENTIAL_HEADERS or masker(value) != value:
                del headers[name]
    return httpx.Request(
        method, url, headers=headers, content=content or None, extensions=request.extensions
    )


def redirect_target(response: httpx.Response) -> httpx.URL:
    """Where a redirect points, if it points anywhere a request can go."""
    location = response.headers["location"].strip()
    code = response.status_code
    if not location:
        raise NotFollowed("redirect without a target", code)
    try:
        url = response.url.join(location)
    except httpx.InvalidURL:
        raise NotFollowed("redirect to an invalid URL", code) from None
    if url.scheme in DEFAULT_PORTS and not url.host:
        raise NotFollowed("redirect to an invalid URL", code)
    if url.port is not None and not 0 < url.port < 65536:
        raise NotFollowed(f"redirect to an invalid port ({url.port})", code)
    return url


async def read_capped(response: httpx.Response, cap: int = BODY_CAP) -> tuple[bytes, bool]:
    """The body up to `cap` bytes (decoded), reading no further, and whether it was cut."""
    chunks: list[bytes] = []
    size = 0
    chunks_of = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
    async with contextlib.aclosing(chunks_of) as stream:
        async for chunk in stream:
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:  # at exactly the cap, one more read tells whether the body ends
                break
    return b"".join(chunks)[:cap], size > cap


def peer_cert_expiry(response: httpx.Response) -> datetime | None:
    """When the server's certificate expires (https only), read from the live connection."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    parsed = ssl_object.getpeercert()
    if parsed and "notAfter" in parsed:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(parsed["notAfter"]), UTC)
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    # Without verification the ssl module parses nothing: read the DER ourselves.
    from cryptography import x509

    return x509.load_der_x509_certificate(der).not_valid_after_utc


# --- the summary ----------------------------------------------------------------------------


def summary_lines(samples: Sequence[Sample], changes: Sequence[Change]) -> list[str]:
    """An aligned table (every monitor, or only those not up on big runs) and a totals line."""
    rows = list(samples)
    hidden = 0
    if len(rows) > SUMMARY_ROWS:
        rows = [s for s in rows if s.status != "up"]
        hidden = len(samples) - len(rows)
    lines = _table(rows)
    if hidden:
        lines.append(f"({hidden} monitors up, not listed)")
    lines.append(totals_line(samples, changes))
    return lines


def _table(samples: Sequence[Sample]) -> list[str]:
    cells = [
        (
            s.monitor,
            s.status,
            "" if s.ms is None else f"{s.ms} ms",
            s.detail or str(s.code or ""),
        )
        for s in samples
    ]
    if not cells:
        return []
    widths = [max(len(row[i]) for row in cells) for i in range(3)]
    return [
        f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}".rstrip()
        for a, b, c, d in cells
    ]


def totals_line(samples: Sequence[Sample], changes: Sequence[Change]) -> str:
    """'42 monitors: 40 up, 1 degraded, 1 down; opened 1 incident'."""
    counts = {
        status: sum(1 for s in samples if s.status == status)
        for status in ("up", "degraded", "down")
    }
    noun = "monitor" if len(samples) == 1 else "monitors"
    line = f"{len(samples)} {noun}: " + ", ".join(f"{n} {status}" for status, n in counts.items())
    kinds: dict[str, int] = {}
    for change in changes:
        kinds[change.kind] = kinds.get(change.kind, 0) + 1
    if kinds:
        said = [f"{kind} {n} incident{'s' if n != 1 else ''}" for kind, n in kinds.items()]
        line += "; " + ", ".join(said)
    return line
