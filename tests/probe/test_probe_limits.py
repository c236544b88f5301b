"""The per-host limit: at most `defaults.per_host` requests in flight to one host:port.

The server here counts, as it serves, the connections open and the requests in flight at
once, so the limit is checked where it matters: at the server.
"""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from localserver import HOST, Reply, read_request, send

from generator.config.read import Config, Defaults, Monitor, Site
from generator.probe import run as probe
from generator.probe.turns import worst_case
from generator.store.samples import Sample

NOW = datetime(2026, 11, 23, 10, 5, 0, tzinfo=UTC)


class CountingServer:
    """Answers every path with 200 after `delay`, counting what is open and in flight."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.open = self.open_max = 0
        self.busy = self.busy_max = 0
        self.events: list[tuple[str, float]] = []  # ("accept" | "answered", when)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None

    def __enter__(self) -> CountingServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.events.append(("accept", time.monotonic()))
        self.open += 1
        self.open_max = max(self.open, self.open_max)
        try:
            while (request := await read_request(reader)) is not None:
                self.busy += 1
                self.busy_max = max(self.busy, self.busy_max)
                try:
                    if not await send(Reply(200, "ok", delay=self.delay), request, writer):
                        break
                finally:
                    self.busy -= 1
                    self.events.append(("answered", time.monotonic()))
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self.open -= 1
            self._tasks.discard(task)
            writer.close()


@pytest.fixture
def slow() -> Iterator[CountingServer]:
    with CountingServer(delay=0.3) as server:
        yield server


def http(url: str, **fields: Any) -> Monitor:
    fields.setdefault("timeout", 5.0)
    fields.setdefault("retries", 0)
    return Monitor(id=fields.pop("id", "api"), name="API", url=url, **fields)


def run(monitors: list[Monitor], **defaults: Any) -> list[Sample]:
    config = Config(Path("status.yml"), Site("T"), Defaults(**defaults), tuple(monitors))
    return probe.run(config, monitors, NOW, "test")


def test_thirty_monitors_on_one_host_keep_to_the_limit_and_time_only_their_answer(
    slow: CountingServer,
) -> None:
    monitors = [http(slow.url(f"/m{i}"), id=f"m{i}") for i in range(30)]
    samples = run(monitors)  # per_host 6: five turns of 0.3 s
    assert (slow.open_max, slow.busy_max) == (6, 6)
    assert [s.status for s in samples] == ["up"] * 30
    # Waiting for a turn is not response time: the fifth turn's answers would show 1.5 s.
    assert all(s.ms is not None and 300 <= s.ms < 300 + 700 for s in samples), samples


def test_waiting_for_a_turn_does_not_count_against_the_timeout(slow: CountingServer) -> None:
    monitors = [http(slow.url(f"/m{i}"), id=f"m{i}", timeout=0.6) for i in range(8)]
    samples = run(monitors, per_host=2)  # four turns of 0.3 s: 1.2 s, twice the timeout
    assert slow.busy_max == 2
    assert [s.status for s in samples] == ["up"] * 8


def test_other_hosts_do_not_wait_for_a_busy_one(slow: CountingServer) -> None:
    with CountingServer(delay=0.0) as quick:
        monitors = [http(slow.url(f"/m{i}"), id=f"m{i}") for i in range(12)]
        monitors.append(http(quick.url("/"), id="quick"))
        started = time.monotonic()
        samples = run(monitors, per_host=1)
        assert samples[-1].status == "up"
        answered = [when for kind, when in quick.events if kind == "answered"]
        # The quick host answered at once, not after the slow host's twelve turns (3.6 s).
        assert answered and answered[0] - started < 3.0


def test_a_tcp_check_takes_a_turn_on_its_host_port(slow: CountingServer) -> None:
    monitors = [
        http(slow.url("/first"), id="web"),
        Monitor(id="port", name="Port", type="tcp", host=HOST, port=slow.port, timeout=5.0),
    ]
    samples = run(monitors, per_host=1)
    assert [s.status for s in samples] == ["up", "up"]
    deadline = time.monotonic() + 5
    while len(slow.events) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's thread may not have run its accept callback yet
    kinds = [kind for kind, _when in slow.events]
    # The tcp connect waited for the web request's answer: accept, answered, accept.
    assert kinds[:3] == ["accept", "answered", "accept"]
    assert samples[1].ms is not None and samples[1].ms < 300


def test_the_worst_case_of_the_run_is_logged_at_the_start(
    slow: CountingServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="generator")
    run([http(slow.url(f"/m{i}"), id=f"m{i}", timeout=2.0) for i in range(13)])
    first = caplog.records[0].getMessage()
    assert first == (
        "13 monitors, at most 500 requests at once and 6 per host:port: done within 6 s at worst"
    )


def bare(url: str, timeout: float = 10.0, retries: int = 1) -> Monitor:
    return Monitor(id="m", name="M", url=url, timeout=timeout, retries=retries)


@pytest.mark.parametrize(
    ("monitors", "per_host", "concurrency", "seconds"),
    [
        ([], 6, 200, 0.0),
        # one host: 30 monitors x 2 attempts in turns of 6, 10 s each, plus a 0.2 s back-off
        ([bare("http://a/")] * 30, 6, 200, 10 * 10 + 0.2),
        # 100 hosts of 10: each host 20 attempts in 4 turns; all 2000 attempts in 10 turns
        ([bare(f"http://h{i % 100}/") for i in range(1000)], 6, 200, 10 * 10 + 0.2),
        ([bare(f"http://h{i % 100}/") for i in range(1000)], 6, 1000, 4 * 10 + 0.2),
        # the same host by another name of its port; the longest timeout sets the pace
        ([bare("http://a/", 2, 0), bare("http://a:80/", 5, 0)], 1, 200, 2 * 5),
        ([bare("http://a/", 2, 0), bare("https://a/", 5, 0)], 1, 200, 5),
    ],
)
def test_worst_case(
    monitors: list[Monitor], per_host: int, concurrency: int, seconds: float
) -> None:
    assert worst_case(monitors, per_host, concurrency) == pytest.approx(seconds)


def test_the_log_line_names_no_host(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="generator")
    run([http("http://127.0.0.1:9/", id="closed", timeout=0.5)])
    assert re.fullmatch(r"1 monitor, .* at worst", caplog.records[0].getMessage())
    assert "127.0.0.1" not in caplog.records[0].getMessage()


OPEN_FILES = """
import logging, resource, sys
from generator.probe import run as probe
logging.basicConfig(level=logging.WARNING, format="%(message)s")
resource.setrlimit(resource.RLIMIT_NOFILE, (64, int(sys.argv[1])))
probe.allow_open_files(1000)
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


@pytest.mark.parametrize(
    ("hard", "soft", "warning"),
    [
        (4096, "1000", ""),
        (300, "300", "at most 300 open files (ulimit -n): lower defaults.concurrency"),
    ],
)
def test_the_open_files_limit_is_raised_for_the_connections_a_run_needs(
    hard: int, soft: str, warning: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", OPEN_FILES, str(hard)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == soft
    assert warning in done.stderr and bool(warning) == bool(done.stderr.strip())
