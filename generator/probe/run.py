"""Running the probe: check every selected monitor at once, each within a hard deadline.

    select(config, only, shard) -> the monitors this run checks
    run(config, monitors, now, location) -> one Sample per monitor, stamped `now`
    check(monitor, client, masker) -> Result      (http.py / tcp.py make one attempt)
    summary_lines(samples, changes) -> the table printed at the end of a run

A failing check is data: a `down` Result with a short reason (see verdict.py), never an
exception; `check` turns even an error nobody expected into one. Every attempt runs under
`asyncio.timeout(monitor.timeout)`, which covers DNS, connect, TLS, headers and the capped
body read together, so a hanging or trickling endpoint costs at most `timeout x (retries + 1)`
plus back-off. Requests take turns (turns.py).

All checks share one `httpx.AsyncClient` (see transport.py) and so its connection pool, but
not cookies: those live in a jar of one attempt's redirect chain. The client is passed in so
tests can hand in their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import traceback
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Protocol

import httpx

from ..config.checks import did_you_mean
from ..config.read import Config, Masker, Monitor, resolve_secrets
from ..errors import UsageError
from ..status import SAMPLE_STATUSES
from ..store.samples import Sample
from .http import NotFollowed, check_http
from .tcp import check_tcp
from .transport import make_client
from .turns import BACKOFF, Clock, Slots, endpoint, worst_case
from .verdict import Result, after_redirect, down, explain, timed_out

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2.0  # seconds between progress lines on long runs
SUMMARY_ROWS = 50  # above this many monitors the table lists only those not up
LIBRARY_LOGGERS = ("httpx", "httpcore")  # request URLs at INFO; host names at DEBUG


# --- choosing monitors -----------------------------------------------------------------


def select(config: Config, only: Sequence[str], shard: str | None) -> list[Monitor]:
    """The monitors named by --only (all when empty), then the K-th of N stable shards."""
    monitors = list(config.monitors)
    wanted = [i.strip() for item in only for i in item.split(",") if i.strip()]
    if only and not wanted:
        raise UsageError("names no monitor id", "--only")
    if wanted:
        known = [m.id for m in monitors]
        unknown = [_unknown(i, known) for i in wanted if i not in known]
        if unknown:
            raise UsageError("; ".join(unknown), "--only")
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
        raise UsageError(f"{text!r} is not K/N with 1 <= K <= N (for example 2/4)", "--shard")
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
        result = down("protocol", f"internal error: {type(exc).__name__}")
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
        return down("redirect", refused.reason, clock.ms, refused.code)
    except (TimeoutError, httpx.TimeoutException) as exc:
        reason = timed_out(exc, monitor.timeout)
        ms = round(monitor.timeout * 1000)
        return down("timeout", after_redirect(clock.hop, reason), ms)
    except (httpx.HTTPError, httpx.InvalidURL, OSError, UnicodeError) as exc:
        host = clock.hop.host if clock.hop else endpoint(monitor)[0] or "the host"
        kind, reason = explain(exc, host)
        return down(kind, after_redirect(clock.hop, reason))


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


# --- the summary ----------------------------------------------------------------------------


class Change(Protocol):
    """What the summary reads of an incident change (incidents.Change has it)."""

    @property
    def kind(self) -> str: ...


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
    counts = {status: sum(1 for s in samples if s.status == status) for status in SAMPLE_STATUSES}
    noun = "monitor" if len(samples) == 1 else "monitors"
    line = f"{len(samples)} {noun}: " + ", ".join(f"{n} {status}" for status, n in counts.items())
    kinds: dict[str, int] = {}
    for change in changes:
        kinds[change.kind] = kinds.get(change.kind, 0) + 1
    if kinds:
        said = [f"{kind} {n} incident{'s' if n != 1 else ''}" for kind, n in kinds.items()]
        line += "; " + ", ".join(said)
    return line
