"""Benchmark git growth: days of 5-minute runs for 20 monitors, one commit per run.

Each run goes through the real commit path in-process (`commands.probe.record`, the record
step of `upwatch probe --commit`: append the samples, update the incidents, commit), with
samples made here (realistic response-time jitter, a daily 30-minute outage of one monitor)
instead of probing, so hundreds of runs take minutes; the record step also writes the rollup
rows of each finished day (the first run after midnight). Once a day `store.compact` runs and
its result is committed, as the workflow does. After each simulated day it packs the
repository (`git gc`) and prints the packed growth; at the end the checked-out size of
data/ and its extrapolation to any age.

    python bench/git_growth.py [--days 3] [--monitors 20] [--keep-days 14] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from generator import incidents, store
from generator.commands.probe import record
from generator.config.read import Config, load_config
from generator.store import compaction, rollup
from generator.store.samples import Sample

START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)
TARGET_PER_DAY = 250 * 1024
TARGET_DATA = 5 * 1024 * 1024


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def make_repo(root: Path, monitors: int) -> Path:
    """A fresh status repository with `monitors` http monitors (never probed here)."""
    repo = root / "status"
    repo.mkdir()
    lines = ["site:", "  title: Growth bench", "monitors:"]
    for n in range(monitors):
        lines += [f"  - id: service-{n:02d}", f"    url: http://127.0.0.1:9/s{n}"]
    (repo / "status.yml").write_text("\n".join(lines) + "\n")
    (repo / ".gitattributes").write_text("data/*.csv merge=union\n")
    for folder in ("data", "incidents"):
        (repo / folder).mkdir()
        (repo / folder / ".gitkeep").write_text("")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(
        repo,
        "-c",
        "user.name=bench",
        "-c",
        "user.email=bench@example.com",
        "commit",
        "-qm",
        "start",
    )
    return repo


def samples_at(t: datetime, ids: list[str], rng: random.Random, broken: str | None) -> list[Sample]:
    """One run's samples: jittery response times, the `broken` monitor down."""
    out = []
    for index, monitor in enumerate(ids):
        if monitor == broken:
            out.append(Sample(t, monitor, "github", "down", 10000, None, "timeout after 10 s"))
            continue
        ms = max(5, int(rng.gauss(120 + 15 * index, 40)))
        status = "degraded" if ms > 2000 else "up"
        out.append(Sample(t, monitor, "github", status, ms, 200, ""))
    return out


def packed_size(repo: Path) -> int:
    """Bytes in pack files after a gc, as a clone would receive them."""
    git(repo, "gc", "-q")
    fields = dict(
        line.split(": ", 1)
        for line in git(repo, "count-objects", "-v").splitlines()
        if ": " in line
    )
    return (int(fields["size-pack"]) + int(fields["size"])) * 1024


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def compact(config: Config, keep_days: int, now: datetime) -> None:
    """`upwatch compact`: the maintenance windows as the incident files say now."""
    windows = incidents.maintenance_windows(incidents.load(config, strict=False))
    store.compact(config.data_dir, keep_days, now, windows)


def compact_and_commit(repo: Path, keep_days: int, now: datetime) -> None:
    """The daily compaction step of the workflow: compact, then commit data/ if it changed."""
    compact(load_config(repo / "status.yml"), keep_days, now)
    git(repo, "add", "--all", "data")
    if subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=repo, check=False).returncode:
        git(
            repo,
            "-c",
            "user.name=upwatch",
            "-c",
            "user.email=u@example.com",
            "commit",
            "-qm",
            "compact",
        )


def simulate(repo: Path, days: int, keep_days: int) -> tuple[list[int], int]:
    """Run days x 288 commits; return packed growth per day and the raw size of one full day."""
    config = load_config(repo / "status.yml")
    ids = [m.id for m in config.monitors]
    rng = random.Random(7)
    growth, before, raw_day = [], packed_size(repo), 0
    for day in range(days):
        started = time.perf_counter()
        broken_from = rng.randrange(0, 280)
        for run in range(288):
            t = START + timedelta(days=day) + run * STEP
            broken = ids[day % len(ids)] if broken_from <= run < broken_from + 6 else None
            record(config, samples_at(t, ids, rng, broken), t, ids, commit=True)
        day_file = config.data_dir / f"{(START + timedelta(days=day)).date().isoformat()}.csv"
        raw_day = max(raw_day, day_file.stat().st_size)
        compact_and_commit(repo, keep_days, START + timedelta(days=day + 1, hours=3))
        after = packed_size(repo)
        growth.append(after - before)
        before = after
        print(
            f"day {day + 1}: {growth[-1] / 1024:7.1f} KB packed"
            f" ({time.perf_counter() - started:.0f} s for 288 commits)"
        )
    return growth, raw_day


def rollup_per_day(repo: Path, days: int) -> tuple[float, int]:
    """Bytes of day rows per simulated day after rolling up every raw day file, and the bytes
    of latest.csv (one row per monitor whatever the age, so not a cost per day)."""
    config = load_config(repo / "status.yml")
    compact(config, 2, START + timedelta(days=days + 2))
    latest = (rollup.rollup_dir(config.data_dir) / rollup.LATEST_FILE).stat().st_size
    return (tree_size(rollup.rollup_dir(config.data_dir)) - latest) / days, latest


def month_row_bytes(repo: Path) -> float:
    """Bytes one month of one monitor costs once day rows are folded into months.csv."""
    config = load_config(repo / "status.yml")
    folder = rollup.rollup_dir(config.data_dir)
    months = len(rollup.month_files(config.data_dir))
    compaction.fold_months(config.data_dir, (START + timedelta(days=3 * 366)).date())
    size = (folder / compaction.MONTHS_FILE).stat().st_size
    return size / max(1, months * len(config.monitors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--monitors", type=int, default=20)
    parser.add_argument("--keep-days", type=int, default=14)
    parser.add_argument("--keep", type=Path, default=None, help="Build the repo here and keep it.")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="upwatch-growth-"))
    root.mkdir(parents=True, exist_ok=True)
    repo = make_repo(root, args.monitors)
    print(f"{args.days} days x 288 runs x {args.monitors} monitors in {repo}")
    growth, raw_day = simulate(repo, args.days, args.keep_days)
    worst = max(growth)
    data_now = tree_size(repo / "data")
    per_day, latest = rollup_per_day(repo, args.days)
    raw_part = args.keep_days * raw_day + latest
    # Day rows stay for FOLD_AFTER_DAYS, then fold into one row per monitor per month.
    day_rows = compaction.FOLD_AFTER_DAYS * per_day
    month_row = month_row_bytes(repo)
    per_year_folded = 12 * month_row * args.monitors
    at_age = {y: raw_part + day_rows + per_year_folded * y for y in (1, 10, 50)}
    verdict = "ok" if at_age[50] <= TARGET_DATA else "OVER"
    print(
        f"packed growth per day: max {worst / 1024:.1f} KB (target <= 250 KB): "
        f"{'ok' if worst <= TARGET_PER_DAY else 'OVER'}"
    )
    print(f"checked-out data/ now: {data_now / 1024:.1f} KB; one raw day: {raw_day / 1024:.1f} KB")
    print(
        f"rollups: {per_day:.0f} bytes of day rows per day, kept {compaction.FOLD_AFTER_DAYS} days "
        f"({day_rows / 1024:.0f} KB), then {per_year_folded / 1024:.1f} KB per year of month rows"
    )
    sizes = ", ".join(f"{y} y: {size / 2**20:.2f} MB" for y, size in at_age.items())
    print(
        f"checked-out data/ by age, {args.keep_days} raw days and latest.csv"
        f" ({raw_part / 2**20:.2f} MB) + "
        f"rollups: {sizes} (target <= 5 MB at any age): {verdict}"
    )


if __name__ == "__main__":
    main()
