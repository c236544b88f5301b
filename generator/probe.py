"""The probe engine: check every selected monitor at once, each within a hard deadline.

    select(config, only, shard) -> the monitors this run checks
    run(config, monitors, now, location) -> one Sample per monitor, stamped `now`
    check(monitor, client, masker) -> Result      (check_http / check_tcp make one attempt)
    summary_lines(samples, changes) -> the table printed at the end of a run

A failing check is data: a `down` Result with a short reason (see verdict.py), never an
exception. Every attempt runs under `asyncio.timeout(monitor.timeout)`, which covers DNS,
connect, TLS, headers and the capped body read together, so a hanging or trickling endpoint
costs at most `timeout x (retries + 1)` plus back-off. All checks share one
`httpx.AsyncClient` (see transport.py), passed in so tests can hand in their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

import click
import httpx

from .checks import did_you_mean
from .config import Config, Masker, Monitor, resolve_secrets
from .incidents import Change
from .store import Sample
from .transport import make_client, masked_library_logs, open_stream
from .verdict import Result, down, explain, judge, timed

log = logging.getLogger(__name__)

BODY_CAP = 1 << 20  # bytes read at most; expectations are judged on what was read
BACKOFF = 0.2  # seconds before the first retry, doubled for each next one
PROGRESS_EVERY = 2.0  # seconds between progress lines on long runs
SUMMARY_ROWS = 50  # above this many monitors the table lists only those not up
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie"}

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
    started = time.perf_counter()
    with masked_library_logs(masker):
        results = asyncio.run(probe_all(resolved, config.defaults.concurrency, masker, monitors))
    log.debug("probed %d monitors in %.2f s", len(results), time.perf_counter() - started)
    when = now.astimezone(UTC).replace(microsecond=0)
    return [r.sample(m.id, when, location) for m, r in zip(monitors, results, strict=True)]


async def probe_all(
    monitors: Sequence[Monitor],
    concurrency: int,
    masker: Masker,
    shown: Sequence[Monitor] | None = None,
) -> list[Result]:
    """Check every monitor, at most `concurrency` at once; results in the monitors' order."""
    gate = asyncio.Semaphore(concurrency)
    progress = Progress(len(monitors))
    shown = shown or monitors  # as configured: their target shows *** for a secret

    async with clients(monitors, concurrency) as (client, insecure):

        async def one(monitor: Monitor, display: Monitor) -> Result:
            async with gate:
                result = await check(monitor, client, masker, insecure)
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
        yield client, insecure


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


async def check(
    monitor: Monitor,
    client: httpx.AsyncClient,
    masker: Masker | None = None,
    insecure: httpx.AsyncClient | None = None,
) -> Result:
    """Check a monitor, retrying a failed attempt `retries` times after a short back-off."""
    masker = masker or Masker()
    if monitor.type == "http" and not monitor.verify_tls and insecure is not None:
        client = insecure
    result = await attempt(monitor, client, masker)
    for retry in range(monitor.retries):
        if result.status != "down":
            break
        await asyncio.sleep(BACKOFF * 2**retry)
        result = await attempt(monitor, client, masker)
    return replace(result, detail=masker(result.detail))


async def attempt(monitor: Monitor, client: httpx.AsyncClient, masker: Masker) -> Result:
    """One attempt under a hard deadline; every failure becomes a down Result."""
    try:
        async with asyncio.timeout(monitor.timeout):
            if monitor.type == "tcp":
                return await check_tcp(monitor)
            return await check_http(monitor, client, masker)
    except (TimeoutError, httpx.TimeoutException):
        return down(f"timeout after {monitor.timeout:g} s", round(monitor.timeout * 1000))
    except (httpx.HTTPError, httpx.InvalidURL, OSError, UnicodeError) as exc:
        return down(explain(exc, _host(monitor)))


def _host(monitor: Monitor) -> str:
    if monitor.type == "tcp":
        return monitor.host
    try:
        return httpx.URL(monitor.url).host
    except httpx.InvalidURL:
        return "the host"


async def check_tcp(monitor: Monitor) -> Result:
    """Connect to host:port (one attempt, no deadline of its own)."""
    started = time.perf_counter()
    _reader, writer = await open_stream(monitor.host, monitor.port, None)
    ms = _since(started)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return timed(monitor, ms)


async def check_http(
    monitor: Monitor, client: httpx.AsyncClient, masker: Masker | None = None
) -> Result:
    """Request the URL, follow redirects, read the body up to the cap and judge it."""
    started = time.perf_counter()
    request = client.build_request(
        monitor.method,
        monitor.url,
        headers=dict(monitor.headers),
        content=monitor.body,
        timeout=monitor.timeout,
    )
    for _hop in range(monitor.max_redirects + 1):
        response = await client.send(request, stream=True)
        try:
            # A redirect status without a Location header is judged like any other answer.
            redirect = response.is_redirect and "location" in response.headers
            if not (redirect and monitor.max_redirects):
                body = b"" if request.method == "HEAD" else await read_capped(response)
                expires = peer_cert_expiry(response)
                return judge(monitor, response, body, _since(started), expires, masker)
        finally:
            await response.aclose()
        request = follow(request, response, masker or Masker())
    return down(f"too many redirects ({monitor.max_redirects})", _since(started))


def follow(request: httpx.Request, response: httpx.Response, masker: Masker) -> httpx.Request:
    """The request a redirect asks for, as browsers make it."""
    url = response.url.join(response.headers["location"])
    method, content = request.method, request.content
    if (response.status_code == 303 and method != "HEAD") or (
        response.status_code in (301, 302) and method == "POST"
    ):
        method, content = "GET", b""
    headers = httpx.Headers(request.headers)
    headers.pop("host", None)
    if not content:
        headers.pop("content-length", None)
    if (url.scheme, url.host, url.port) != (request.url.scheme, request.url.host, request.url.port):
        # Credentials stay with the origin they were written for.
        for name, value in list(headers.items()):
            if name.lower() in CREDENTIAL_HEADERS or masker(value) != value:
                del headers[name]
    return httpx.Request(
        method, url, headers=headers, content=content or None, extensions=request.extensions
    )


async def read_capped(response: httpx.Response, cap: int = BODY_CAP) -> bytes:
    """The body up to `cap` bytes (decoded), reading no further."""
    chunks: list[bytes] = []
    size = 0
    chunks_of = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
    async with contextlib.aclosing(chunks_of) as stream:
        async for chunk in stream:
            chunks.append(chunk)
            size += len(chunk)
            if size >= cap:
                break
    return b"".join(chunks)[:cap]


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


def _since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


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
