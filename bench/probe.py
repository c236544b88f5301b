"""Probe benchmarks (SPEC "Numbers to reach"): print wall time, peak memory and what servers saw.

    python bench/probe.py [--runs 3] [--concurrency default,200,500,1000] [--only many,host,hang]

(a) many: `upwatch probe` over 1,000 HTTP monitors spread over 100 local host:port pairs that
    answer every request after 200 ms: wall time and peak RSS of the whole command, once per
    `defaults.concurrency` value given; the targets (<= 1.2 s, <= 150 MB) hold for the
    built-in default, the other values are there to choose it.
(b) host: 200 monitors on ONE host:port answering in 200 ms: the most connections the server
    saw open at once and the most requests it had in flight (target <= `per_host`), every
    sample up, and the ms figures the samples hold (close to 200: waiting for a slot is not
    response time).
(c) hang: one endpoint that never answers (timeout 2 s, retries 0) beside 50 healthy ones on
    the same host:port: the run must end within that timeout + 1 s.

The servers run on an asyncio loop in a thread of this process and count, per port, the
connections open and the requests in flight. The probe runs as a subprocess exactly as a user
runs it; its peak memory comes from wait4()'s resource usage for that one process. Traffic
goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from localserver import HOST, Reply, read_request, send  # noqa: E402

from generator.config.read import Defaults  # noqa: E402

NOW = "2026-11-23T10:05:00Z"
PER_HOST = Defaults.per_host


@dataclass
class Counts:
    """What one port saw: connections open and requests in flight, now and at most."""

    open: int = 0
    open_max: int = 0
    busy: int = 0
    busy_max: int = 0
    requests: int = 0


class Servers:
    """HTTP servers on `ports` free ports of 127.0.0.1, answering 200 after `delay`."""

    def __init__(self, ports: int, delay: float, hang: str | None = None) -> None:
        self.delay = delay
        self.hang = hang
        self.counts: dict[int, Counts] = {}
        self._wanted = ports
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def __enter__(self) -> Servers:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def ports(self) -> list[int]:
        return list(self.counts)

    async def _listen(self) -> None:
        for _ in range(self._wanted):
            server = await asyncio.start_server(self._serve, HOST, 0, backlog=4096)
            self.counts[server.sockets[0].getsockname()[1]] = Counts()
            self._servers.append(server)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        counts = self.counts[writer.get_extra_info("sockname")[1]]
        counts.open += 1
        counts.open_max = max(counts.open, counts.open_max)
        try:
            while (request := await read_request(reader)) is not None:
                counts.busy += 1
                counts.requests += 1
                counts.busy_max = max(counts.busy, counts.busy_max)
                hang = request.path == self.hang
                try:
                    reply = Reply.hang() if hang else Reply(200, "ok", delay=self.delay)
                    if not await send(reply, request, writer):
                        break
                finally:
                    counts.busy -= 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # the end of the benchmark ends hanging answers
        finally:
            counts.open -= 1
            self._tasks.discard(task)
            writer.close()


def write_config(folder: Path, urls: list[str], defaults: str = "") -> Path:
    lines = ["site: {title: Bench}", f"defaults: {{{defaults}}}", "monitors:"]
    lines += [f"  - {{id: m{i}, url: '{url}'}}" for i, url in enumerate(urls)]
    path = folder / "status.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.rmtree(folder / "data", ignore_errors=True)
    return path


def upwatch_command() -> list[str]:
    script = shutil.which("upwatch")
    if script:
        return [script]
    return [sys.executable, "-c", "import sys; from generator.cli import main; sys.exit(main())"]


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the probe process
    peak_mb: float
    last_line: str
    rows: list[dict[str, str]]


def probe_once(config: Path) -> Run:
    """Run `upwatch probe` once; its wall seconds, peak RSS, last line and the rows it wrote."""
    shutil.rmtree(config.parent / "data", ignore_errors=True)
    command = [*upwatch_command(), "-q", "probe", "--config", str(config), "--now", NOW]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    out = (child.stdout.read() if child.stdout else "").strip().splitlines()
    err = child.stderr.read() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"upwatch probe failed:\n{err}")
    with (config.parent / "data" / f"{NOW[:10]}.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, out[-1] if out else "", rows)  # RSS in KiB


def bench_many(concurrencies: list[str], runs: int) -> bool:
    """(a) 1,000 monitors over 100 host:port pairs, once per concurrency value.

    The targets are judged on the built-in default ("default": no concurrency key); the
    other values are figures for choosing that default.
    """
    good = True
    with tempfile.TemporaryDirectory() as tmp, Servers(100, 0.2) as servers:
        urls = [f"http://{HOST}:{servers.ports[i % 100]}/m{i}" for i in range(1000)]
        for concurrency in concurrencies:
            default = concurrency == "default"
            setting = "" if default else f"concurrency: {int(concurrency)}"
            config = write_config(Path(tmp), urls, setting)
            figures = [probe_once(config) for _ in range(runs)]
            walls = sorted(f.wall for f in figures)
            peak = max(f.peak_mb for f in figures)
            cpu = min(f.cpu for f in figures)
            up = min(sum(r["status"] == "up" for r in f.rows) for f in figures)
            name = f"the default ({Defaults.concurrency})" if default else concurrency
            print(
                f"(a) 1000 monitors over 100 host:port pairs (200 ms), concurrency {name}: "
                f"best {walls[0]:.2f} s, median {statistics.median(walls):.2f} s "
                f"(all: {', '.join(f'{w:.2f}' for w in walls)}), {cpu:.2f} s CPU at best, "
                f"{peak:.0f} MB peak, {up}/1000 up"
                + (" (target <= 1.2 s, <= 150 MB)" if default else "")
            )
            met = walls[0] <= 1.2 and peak <= 150 if default else True
            good = good and met and up == 1000
    return good


def bench_one_host(monitors: int) -> bool:
    """(b) many monitors on one host:port: the per-host limit holds; ms is response time."""
    with tempfile.TemporaryDirectory() as tmp, Servers(1, 0.2) as servers:
        [port] = servers.ports
        config = write_config(Path(tmp), [f"http://{HOST}:{port}/m{i}" for i in range(monitors)])
        run = probe_once(config)
        counts = servers.counts[port]
        ms = sorted(int(r["ms"]) for r in run.rows)
        up = sum(r["status"] == "up" for r in run.rows)
        print(
            f"(b) {monitors} monitors on one host:port (200 ms): {run.wall:.2f} s wall, "
            f"server saw at most {counts.open_max} connections open and {counts.busy_max} "
            f"requests in flight (per_host {PER_HOST}), {up}/{monitors} up, ms min {ms[0]} "
            f"median {statistics.median(ms):.0f} max {ms[-1]}"
        )
        return max(counts.open_max, counts.busy_max) <= PER_HOST and up == monitors


def bench_hang(timeout: float, healthy: int) -> bool:
    """(c) one endpoint that never answers among healthy ones on the same host:port."""
    with tempfile.TemporaryDirectory() as tmp, Servers(1, 0.05, hang="/hang") as servers:
        [port] = servers.ports
        urls = [f"http://{HOST}:{port}/hang"] + [
            f"http://{HOST}:{port}/ok{i}" for i in range(healthy)
        ]
        config = write_config(Path(tmp), urls, f"timeout: {timeout:g}, retries: 0")
        run = probe_once(config)
        print(
            f"(c) one hanging endpoint (timeout {timeout:g} s, retries 0) and {healthy} healthy "
            f"on the same host:port: {run.wall:.2f} s wall, {run.peak_mb:.0f} MB peak, "
            f"{run.last_line} (target <= {timeout + 1:g} s)"
        )
        return run.wall <= timeout + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of (a) per concurrency value")
    parser.add_argument(
        "--concurrency",
        default="default,200,500,1000",
        help="values for (a); default: the built-in",
    )
    parser.add_argument("--only", default="many,host,hang", help="which benchmarks to run")
    args = parser.parse_args()
    which = set(args.only.split(","))
    good = True
    if "many" in which:
        concurrencies = args.concurrency.split(",")
        good = bench_many(concurrencies, args.runs) and good
    if "host" in which:
        good = bench_one_host(200) and good
    if "hang" in which:
        good = bench_hang(2.0, 50) and good
    print("all probe targets met" if good else "a probe target was missed")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
