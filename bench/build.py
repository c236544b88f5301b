"""Benchmark `upwatch build` on 100 monitors x 90 days of 5-minute samples (2.6 M rows), in day
files as the probe writes them (with the failure kind column).

Prints wall time and peak memory of the whole `upwatch build` command (best of 3, since
the machine may be shared): from raw day files only, beside a bare `csv.reader` pass over
the same files in the same run (target: at most 2x); in the steady state, where every
finished day has its rollup rows (what a probe run writes once a day) and the raw files are
kept (target: <= 1.0 s, <= 150 MB); after `upwatch compact --keep-days 14`; and the size
of index.html for 50 monitors. Raw and steady-state builds are also timed without the
reliability figures (failure kinds, downtime, SLO budgets: target <= 10 % over without), the
builds with and without them taken in turns, at least 5 of each.
Run: python bench/build.py [--keep DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 23, 12, 2, 0, tzinfo=UTC)
DAYS = 90
RUNS_PER_DAY = 288  # every 5 minutes
VARIANTS = 7  # distinct day bodies, reused with another date so generating stays quick
HEADER = "time,monitor,location,status,ms,code,kind,detail\n"  # as the probe writes day files
CLI = "import sys; from generator.cli import main; sys.argv[0] = 'upwatch'; main()"
# The same command with the reliability figures left out (the build's switch, for this only).
NO_STATS = (
    "import functools, sys; import generator.site.build as b;"
    " b.build = functools.partial(b.build, reliability=False); " + CLI
)


def monitor_ids(count: int) -> list[str]:
    return [f"service-{n:03d}" for n in range(count)]


def day_body(monitors: list[str], rng: random.Random, runs: int = RUNS_PER_DAY) -> str:
    """One day of samples with DATE standing for the day: mostly up, some slow, a few outages."""
    outage = {m: rng.randrange(runs) for m in rng.sample(monitors, k=max(1, len(monitors) // 20))}
    lines = []
    for run in range(runs):
        hour, minute = divmod(run * 5, 60)
        stamp = f"DATET{hour:02d}:{minute:02d}:00Z"
        for monitor in monitors:
            start = outage.get(monitor)
            if start is not None and start <= run < start + 6:
                lines.append(f'{stamp},{monitor},github,down,10000,,timeout,"timeout after 10 s"\n')
            elif rng.random() < 0.02:
                lines.append(
                    f"{stamp},{monitor},github,degraded,{rng.randint(2001, 4000)},200,slow,slow\n"
                )
            else:
                lines.append(
                    f"{stamp},{monitor},github,up,{int(rng.lognormvariate(5, 0.4))},200,,\n"
                )
    return "".join(lines)


def write_repo(root: Path, count: int, days: int, now: datetime) -> int:
    """A status.yml, a few incidents and `days` day files ending with now's day; return rows."""
    monitors = monitor_ids(count)
    rng = random.Random(4)
    (root / "data").mkdir(parents=True)
    (root / "incidents").mkdir()
    (root / "status.yml").write_text(config_text(monitors), encoding="utf-8")
    write_incidents(root / "incidents", monitors, now)
    bodies = [day_body(monitors, rng) for _ in range(min(VARIANTS, days))]
    rows = 0
    for back in range(days):
        day = now.date() - timedelta(days=back)
        body = bodies[back % len(bodies)].replace("DATE", day.isoformat())
        if day == now.date():  # today only up to now
            body = "".join(
                line + "\n" for line in body.splitlines() if line[11:19] <= f"{now:%H:%M:%S}"
            )
        (root / "data" / f"{day.isoformat()}.csv").write_text(HEADER + body, encoding="utf-8")
        rows += body.count("\n")
    return rows


def config_text(monitors: list[str]) -> str:
    lines = ["site:", "  title: Bench Status", "  timezone: Europe/Berlin", "monitors:"]
    for n, monitor in enumerate(monitors):
        lines += [
            f"  - id: {monitor}",
            f"    name: Service {n}",
            f"    group: Group {n % 5}",
            f"    url: https://{monitor}.example.com/health",
        ]
    return "\n".join(lines) + "\n"


def write_incidents(folder: Path, monitors: list[str], now: datetime) -> None:
    """Two resolved incidents, one open, one past and one upcoming maintenance."""
    specs = [
        ("api-outage", "incident", "resolved", 40, monitors[:2], 2),
        ("slow-database", "incident", "resolved", 12, monitors[3:4], 1),
        ("login-errors", "incident", "investigating", 0, monitors[5:6], 0),
        ("network-upgrade", "maintenance", "resolved", 20, monitors[6:9], 3),
        ("database-upgrade", "maintenance", "investigating", -2, monitors[:1], 1),
    ]
    for slug, kind, state, back, affected, hours in specs:
        start = (now - timedelta(days=back)).replace(minute=0, second=0)
        (folder / f"{start:%Y-%m-%d}-{slug}.md").write_text(
            incident_text(slug, kind, state, start, affected, hours), encoding="utf-8"
        )


def incident_text(
    slug: str, kind: str, state: str, start: datetime, affected: list[str], hours: int
) -> str:
    end = start + timedelta(hours=hours)
    lines = ["---", f"title: {slug.replace('-', ' ').capitalize()}", f"type: {kind}"]
    lines += [f"status: {state}", f"monitors: [{', '.join(affected)}]"]
    if kind == "maintenance":
        lines += [f"start: {start:%Y-%m-%dT%H:%M:%SZ}", f"end: {end:%Y-%m-%dT%H:%M:%SZ}"]
    else:
        lines += ["severity: major", f"started: {start:%Y-%m-%dT%H:%M:%SZ}"]
        if state == "resolved":
            lines.append(f"resolved: {end:%Y-%m-%dT%H:%M:%SZ}")
    return "\n".join([*lines, "---", "What happened, in a few words.", ""])


def run(*args: str, code: str = CLI) -> tuple[float, float]:
    """Run an upwatch command in a child process; return wall seconds and its peak MB."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status:
        raise SystemExit(f"upwatch {' '.join(args)} failed ({status})")
    # wait4 reports this command alone (with the worker processes it waited for), where
    # getrusage(RUSAGE_CHILDREN) would keep the largest child of this script so far.
    return wall, usage.ru_maxrss / 1024


def measure(root: Path, runs: int, code: str = CLI) -> tuple[float, float]:
    """Build the site of `root`: the best wall time of `runs` builds, and the peak MB of that one."""
    config = str(root / "status.yml")
    return min(
        run("build", "--config", config, "--now", NOW.isoformat(), "-q", code=code)
        for _ in range(runs)
    )


def stats_cost(root: Path, runs: int, label: str) -> None:
    """Print the build's time with and without the reliability figures, the two builds taken
    in turns (a shared machine's slow spells then fall on both): best and median of each."""
    config = str(root / "status.yml")
    args = ("build", "--config", config, "--now", NOW.isoformat(), "-q")
    on: list[float] = []
    off: list[float] = []
    for _ in range(max(runs, 5)):
        on.append(run(*args)[0])
        off.append(run(*args, code=NO_STATS)[0])
    best, middle = min(on) / min(off) - 1, statistics.median(on) / statistics.median(off) - 1
    print(
        f"  {label}: {min(off):.2f} s without reliability figures, {min(on):.2f} s with them"
        f" (best of {len(on)} each: {best * 100:+.0f} %; medians {statistics.median(off):.2f} s"
        f" and {statistics.median(on):.2f} s: {middle * 100:+.0f} %; target <= +10 %)"
    )


def csv_pass(data: Path, runs: int) -> float:
    """The best wall time of a bare csv.reader pass over every day file (rows only, no work)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for path in sorted(data.glob("*.csv")):
            with path.open(newline="", encoding="utf-8") as f:
                for _row in csv.reader(f):
                    pass
        best = min(best, time.perf_counter() - start)
    return best


def upwatch(root: Path, *args: str) -> tuple[float, float]:
    return run(*args, "--config", str(root / "status.yml"), "--now", NOW.isoformat(), "-q")


def index_size(folder: Path) -> int:
    """Bytes of index.html for 50 monitors with 90 days of samples and the same incidents."""
    write_repo(folder, 50, DAYS, NOW)
    run("build", "--config", str(folder / "status.yml"), "--now", NOW.isoformat(), "-q")
    return (folder / "site" / "index.html").stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="Work in this (new) folder and keep it.")
    parser.add_argument("--runs", type=int, default=3, help="Take the best of this many.")
    options = parser.parse_args()
    work = options.keep or Path(tempfile.mkdtemp(prefix="upwatch-bench-"))
    try:
        repo = work / "repo"
        started = time.perf_counter()
        rows = write_repo(repo, 100, DAYS, NOW)
        print(f"wrote {rows:,} rows in {DAYS} day files in {time.perf_counter() - started:.1f} s")
        label = f"100 monitors x {DAYS} days ({rows:,} rows)"
        bare = csv_pass(repo / "data", options.runs)
        wall, peak = measure(repo, options.runs)
        print(f"bare csv.reader pass over the day files: {bare:.2f} s")
        print(
            f"build {label}, from raw files: {wall:.2f} s wall, {peak:.0f} MB peak,"
            f" {wall / bare:.2f}x the csv.reader pass (target <= 2x)"
        )
        stats_cost(repo, options.runs, "from raw files")
        wall, peak = upwatch(repo, "compact", "--keep-days", str(DAYS + 1))  # rolls no file
        print(f"rollups of every finished day (compact, all files kept): {wall:.2f} s wall")
        wall, peak = measure(repo, options.runs)
        print(
            f"build {label}, steady state (rollups up to yesterday, raw files kept):"
            f" {wall:.2f} s wall, {peak:.0f} MB peak (target <= 1.0 s, <= 150 MB)"
        )
        stats_cost(repo, options.runs, "steady state")
        wall, peak = upwatch(repo, "compact", "--keep-days", "14")
        size = sum(p.stat().st_size for p in (repo / "data").rglob("*") if p.is_file())
        print(
            f"compact --keep-days 14: {wall:.1f} s wall, {peak:.0f} MB peak,"
            f" data/ now {size / 1e6:.1f} MB"
        )
        wall, peak = measure(repo, options.runs)
        print(f"build {label}, after compact: {wall:.2f} s wall, {peak:.0f} MB peak")
        size = index_size(work / "fifty")
        print(f"index.html for 50 monitors: {size / 1024:.0f} KB (target <= 150 KB)")
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
