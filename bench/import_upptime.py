"""Benchmark `upwatch import upptime` on an Upptime repository of 30 sites and 7,000 history commits.

The repository is made with one `git fast-import` stream: 90 days of checks, each commit
rewriting one history/<slug>.yml as Upptime does (status changes and daily refreshes, in
both file layouts). Prints the wall time of the whole command (best of 3; target <= 10 s),
the spans it wrote, and the time of an `upwatch build` that shows them.
Run: python bench/import_upptime.py [--sites N] [--commits N] [--runs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DAYS = 90
CLI = "import sys; from generator.cli import main; sys.argv[0] = 'upwatch'; main()"


def rc_text(sites: int) -> str:
    """A .upptimerc.yml with http sites, and every fifth one a tcp-ping."""
    lines = ["owner: acme", "repo: status", "sites:"]
    for n in range(sites):
        if n % 5 == 4:
            lines += [
                f"  - name: Database {n}",
                "    check: tcp-ping",
                f"    url: db{n}.acme.test",
                "    port: 5432",
            ]
        else:
            lines += [
                f"  - name: Service {n}",
                f"    url: https://s{n}.acme.test/health",
                "    maxResponseTime: 1500",
            ]
    lines += ["status-website:", "  name: Acme Status", "  cname: status.acme.test"]
    return "\n".join(lines) + "\n"


def history_text(n: int, status: str, when: datetime, ms: int, old: bool) -> str:
    url = f"db{n}.acme.test" if n % 5 == 4 else f"https://s{n}.acme.test/health"
    stamp = (
        when.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")
        if old
        else when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    )
    code = 0 if status == "down" and n % 5 == 4 else (503 if status == "down" else 200)
    prefix = "- " if old else ""
    values = [
        ("url", url),
        ("status", status),
        ("code", code),
        ("responseTime", ms),
        ("lastUpdated", stamp),
        ("startTime", stamp),
    ]
    return (
        "".join(f"{prefix}{k}: {v}\n" for k, v in values)
        + f"{prefix}generator: Upptime <https://github.com/upptime/upptime>\n"
    )


def slug(n: int) -> str:
    return f"database-{n}" if n % 5 == 4 else f"service-{n}"


def data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def stream(sites: int, commits: int, seed: int = 7) -> bytes:
    """A fast-import stream: the config, then one commit per recorded check, oldest first."""
    rng = random.Random(seed)
    start = NOW - timedelta(days=DAYS)
    times = sorted(start + timedelta(seconds=rng.randrange(DAYS * 86400)) for _ in range(commits))
    state = ["up"] * sites
    out = [b"commit refs/heads/master\nmark :1\n"]
    stamp = int(start.timestamp()) - 60
    out.append(
        b"author Person <p@example.com> %d +0000\ncommitter Person <p@example.com> %d +0000\n"
        % (stamp, stamp)
    )
    out += [data("Initial commit"), b"M 100644 inline .upptimerc.yml\n", data(rc_text(sites))]
    for i, when in enumerate(times, 2):
        n = rng.randrange(sites)
        roll = rng.random()
        state[n] = (
            "up" if state[n] != "up" or roll < 0.6 else ("down" if roll < 0.85 else "degraded")
        )
        ms = rng.randrange(80, 900) if state[n] != "down" else 0
        ts = int(when.timestamp())
        emoji = {"up": "🟩", "down": "🟥", "degraded": "🟨"}[state[n]]
        out.append(b"commit refs/heads/master\nmark :%d\n" % i)
        out.append(
            b"author Upptime Bot <bot@example.com> %d +0000\ncommitter Upptime Bot <bot@example.com> %d +0000\n"
            % (ts, ts)
        )
        out.append(data(f"{emoji} {slug(n)} is {state[n]} (200 in {ms} ms) [skip ci] [upptime]"))
        out.append(b"from :%d\n" % (i - 1))
        out.append(b"M 100644 inline history/%s.yml\n" % slug(n).encode())
        out.append(data(history_text(n, state[n], when, ms, old=when < start + timedelta(days=30))))
    return b"".join(out)


def make_repo(folder: Path, sites: int, commits: int) -> Path:
    src = folder / "upptime"
    src.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "master"], cwd=src, check=True)
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=src, input=stream(sites, commits), check=True
    )
    subprocess.run(["git", "checkout", "-q", "master"], cwd=src, check=True)
    return src


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", CLI, *args], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=30)
    parser.add_argument("--commits", type=int, default=7000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--keep", type=Path, default=None, help="build the repositories here and keep them"
    )
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="upwatch-import-bench-"))
    try:
        made = time.perf_counter()
        src = make_repo(folder, args.sites, args.commits)
        print(
            f"made an Upptime repository: {args.sites} sites, {args.commits:,} history commits in {time.perf_counter() - made:.1f} s"
        )
        target = folder / "repo"
        target.mkdir()
        config = str(target / "status.yml")
        runs = [
            timed(["-q", "import", "upptime", str(src), "--config", config, "--force"], folder)
            for _ in range(args.runs)
        ]
        spans = sum(1 for _ in (target / "data" / "imported" / "upptime.csv").open()) - 1
        print(
            f"upwatch import upptime: {min(runs):.2f} s (best of {args.runs}; target <= 10 s), {spans:,} spans written"
        )
        now = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
        built = min(
            timed(["-q", "build", "--config", config, "--now", now], folder)
            for _ in range(args.runs)
        )
        shown = json.loads((target / "site" / "api" / "monitors" / "service-0.json").read_text())
        days = sum(1 for d in shown["days"] if d["samples"])
        print(
            f"upwatch build with the imported history: {built:.2f} s (best of {args.runs}), {days} of 90 days shown for service-0"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
