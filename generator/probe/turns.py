"""Turn-taking for requests, and how long a run can take at worst.

    Slots(per_host, concurrency).take(endpoint, clock) -> a turn for one request
    Clock() -> one attempt's stopwatch and deadline, both stopped while it waits for a turn
    worst_case(monitors, per_host, concurrency) -> seconds the checks take at most

At most `defaults.per_host` requests are in flight to one host:port, like a browser, and
`defaults.concurrency` in all. Waiting for a turn stops the attempt's clock, so it counts
neither in `ms` nor against the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Sequence

import httpx

from ..config.read import Defaults, Monitor

BACKOFF = 0.2  # seconds before the first retry, doubled for each next one
DEFAULT_PORTS = {"http": 80, "https": 443}


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
        queues.setdefault(endpoint(monitor), []).append(monitor)

    def queue_time(queue: Sequence[Monitor], width: int) -> float:
        attempts = sum(m.retries + 1 for m in queue)
        return math.ceil(attempts / width) * max(m.timeout for m in queue)

    per_host_time = max(queue_time(q, per_host) for q in queues.values())
    backoff = max(BACKOFF * ((1 << m.retries) - 1) for m in monitors)
    return max(per_host_time, queue_time(monitors, concurrency)) + backoff


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


def endpoint(monitor: Monitor) -> tuple[str, int]:
    """The host:port a monitor's first request goes to (its turns are counted there)."""
    if monitor.type == "tcp":
        return monitor.host.lower(), monitor.port
    try:
        return endpoint_of(httpx.URL(monitor.url))
    except httpx.InvalidURL:
        return "", 0


def endpoint_of(url: httpx.URL) -> tuple[str, int]:
    """The host:port a URL's request goes to."""
    return url.host, url.port or DEFAULT_PORTS.get(url.scheme, 0)
