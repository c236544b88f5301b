"""`upwatch compact`: roll old day files into rollups and remove them, so data/ stays small.

- Day files older than --keep-days (and the day the 48-hour view reaches) get their rollup
  rows (rollup.py), then are removed from the tree (git history keeps them); finished days
  that stay raw get fresh rollup rows too.
- Rollups are written before any day file is removed, so a crash loses nothing, and running
  compact again changes nothing.
- A day file compact could not read in full (a malformed row, a header it does not know)
  is neither rolled up nor removed: it stays a raw file (the site reads it as before), each
  problem is logged with its line, and compact still ends with exit 0, since it runs before
  the probe in the scheduled workflow and must not stop it. `upwatch check` lists the same.
- data/rollup/latest.csv keeps the newest compacted sample of each monitor (day-file format),
  so "last checked" survives compaction too.
- Day rows older than FOLD_AFTER_DAYS (the site shows 90 days) are folded into
  data/rollup/months.csv, one row per monitor per month: counts and sums (no percentiles)
  and `days`, a mask with bit d-1 set for each day d added, so folding a month file again
  (after a crash, or with a late day) adds each day once.

A raw day file of 20 monitors every 5 minutes is about 290 KB, so with --keep-days 14 data/
holds about 4.1 MB of day files + 0.4 MB of rollups, growing 13 KB a year.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from ..errors import DataError, Problem, display_path
from .days import NOT_READ, day_files, log_text, read_day, read_rows, repository, write_atomic
from .imported import read_spans
from .rollup import (
    COUNTS,
    LATEST_FILE,
    Fields,
    Month,
    csv_text,
    good_rows,
    month_files,
    read_month,
    roll_finished,
    rollup_dir,
    tally_days,
    write_days,
)
from .samples import KIND_COLUMNS as DAY_COLUMNS
from .samples import Sample, sample_key, to_row
from .tally import RECENT, DayStats, Windows, window_text

log = logging.getLogger(__name__)

MONTH_COLUMNS = ("month", "monitor", *COUNTS, "days")  # days: bit d-1 set once day d is in
MONTHS_FILE = "months.csv"
FOLD_AFTER_DAYS = 400
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class CompactResult:
    """What one compaction did."""

    days: tuple[date, ...] = ()  # days rolled up
    written: tuple[Path, ...] = ()  # rollup files written
    removed: tuple[Path, ...] = ()  # day files removed
    folded: tuple[Month, ...] = ()  # months folded into months.csv
    kept: tuple[Path, ...] = ()  # old day files kept because they could not be read in full


def compact(data_dir: Path, keep_days: int, now: datetime, windows: Windows) -> CompactResult:
    """Roll day files older than keep_days days into rollups (written first), then remove them.

    `windows` are the maintenance windows as the incident files say now; finished days
    that stay raw get fresh rollup rows too.
    """
    if keep_days < 2:
        raise DataError("--keep-days must be at least 2: yesterday and today stay day files")
    # The site's 48-hour view reaches into the day before yesterday: that day stays raw too.
    last_rolled = min(now.date() - timedelta(days=keep_days), (now - RECENT).date() - ONE_DAY)
    every = day_files(data_dir)
    old = {d: p for d, p in every.items() if d <= last_rolled}
    fold_before = now.date() - timedelta(days=FOLD_AFTER_DAYS)
    roll_finished(data_dir, now, windows, {d: p for d, p in every.items() if d > last_rolled})
    if not old:
        log.info("nothing to compact: no day file before %s", last_rolled + ONE_DAY)
        return CompactResult(folded=fold_months(data_dir, fold_before))
    stats, _, problems, spans = tally_days(old, window_text(windows))
    kept = keep_unread(old, problems)
    rolled = {d: p for d, p in old.items() if d not in problems}
    written: list[Path] = []
    if rolled:
        stats = {d: s for d, s in stats.items() if d in rolled}
        # Without their day files the rows need no source: they stand as they are (and cost
        # less: data/ stays under 5 MB at any age).
        written = [*write_days(data_dir, stats, None, spans), write_latest(data_dir, rolled, stats)]
        for path in rolled.values():
            path.unlink()
        log.info("rolled %d days into %d rollup files", len(rolled), len(written) - 1)
    folded = fold_months(data_dir, fold_before)
    return CompactResult(tuple(rolled), tuple(written), tuple(rolled.values()), folded, kept)


def keep_unread(
    files: Mapping[date, Path], problems: Mapping[date, list[Problem]]
) -> tuple[Path, ...]:
    """Say which day files stay raw because a line of them could not be read, and why."""
    kept = []
    for day, found in sorted(problems.items()):
        for problem in found:
            log.warning("%s", log_text(problem))
        log.warning(
            "%s: kept as a day file: compact removes only files it read in full"
            " (fix or delete the lines above, then compact again)",
            display_path(files[day]),
        )
        kept.append(files[day])
    return tuple(kept)


def check_data(data_dir: Path) -> tuple[list[Problem], list[Problem]]:
    """What `upwatch check` says of data/: files not read, and lines skipped or files ignored."""
    problems: list[Problem] = []
    for day, path in day_files(data_dir, problems).items():
        read_rows(path, problems, day)
    problems += check_rollups(data_dir)
    read_spans(data_dir, problems)
    unread = [p for p in problems if p.message.endswith(NOT_READ)]
    return unread, [p for p in problems if not p.message.endswith(NOT_READ)]


# --- latest.csv: the newest compacted sample of each monitor ---


def write_latest(
    data_dir: Path, files: Mapping[date, Path], stats: Mapping[date, Mapping[str, DayStats]]
) -> Path:
    """Merge the newest sample of each monitor in these day files into latest.csv."""
    path = rollup_dir(data_dir) / LATEST_FILE
    root = repository(data_dir)
    newest = {s.monitor: s for s in read_day(path, root=root)} if path.exists() else {}
    last_day: dict[str, date] = {}
    for day, monitors in sorted(stats.items()):
        for monitor in monitors:
            last_day[monitor] = day
    for day in sorted(set(last_day.values())):
        for sample in read_day(files[day], [], day):
            if last_day.get(sample.monitor) == day:
                newest[sample.monitor] = _newer(newest.get(sample.monitor), sample)
    write_atomic(path, csv_text(DAY_COLUMNS, (to_row(newest[m]) for m in sorted(newest))))
    return path


def _newer(old: Sample | None, new: Sample) -> Sample:
    return new if old is None or sample_key(new) > sample_key(old) else old


# --- months.csv: rows older than FOLD_AFTER_DAYS, one per monitor per month ---


def fold_months(data_dir: Path, before: date) -> tuple[Month, ...]:
    """Fold month files wholly before `before` into months.csv (written first), then remove them."""
    old = {m: p for m, p in month_files(data_dir).items() if m < (before.year, before.month)}
    if not old:
        return ()
    path = rollup_dir(data_dir) / MONTHS_FILE
    totals = read_months(path) if path.exists() else {}
    for month, month_file in old.items():
        for monitor, days in read_month(month_file).items():
            totals[(month, monitor)] = _fold(totals.get((month, monitor)), days)
    rows = (
        (f"{y:04d}-{m:02d}", monitor, *sums) for ((y, m), monitor), sums in sorted(totals.items())
    )
    write_atomic(path, csv_text(MONTH_COLUMNS, rows))
    for month_file in old.values():
        month_file.unlink()
    log.info("folded %d months of day rows into %s", len(old), MONTHS_FILE)
    return tuple(old)


def read_months(
    path: Path, problems: list[Problem] | None = None
) -> dict[tuple[Month, str], tuple[int, ...]]:
    """months.csv as (month, monitor) -> counts, sums and the mask of days in them."""
    return dict(good_rows(path, _months_row, problems))


def check_rollups(data_dir: Path) -> list[Problem]:
    """What the rollup files hold that no reader takes (for `upwatch check`)."""
    problems: list[Problem] = []
    for path in month_files(data_dir).values():
        read_month(path, problems)
    months, latest = rollup_dir(data_dir) / MONTHS_FILE, rollup_dir(data_dir) / LATEST_FILE
    if os.path.lexists(months):
        read_months(months, problems)
    if os.path.lexists(latest):
        read_day(latest, problems, root=repository(data_dir))
    return problems


def _months_row(row: Fields) -> tuple[tuple[Month, str], tuple[int, ...]]:
    fields, at = row
    year, month = (int(part) for part in fields[at["month"]].split("-"))
    return ((year, month), fields[at["monitor"]]), tuple(
        int(fields[at[c]]) for c in MONTH_COLUMNS[2:]
    )


def _fold(row: tuple[int, ...] | None, days: Mapping[date, DayStats]) -> tuple[int, ...]:
    """Add the days not yet in a month row (bit d-1 of the mask marks day d as added)."""
    sums = list(row or (0,) * len(MONTH_COLUMNS[2:]))
    for day, s in days.items():
        if not sums[-1] >> (day.day - 1) & 1:  # added before a crash kept the month file
            counts = (s.up, s.degraded, s.down, s.maintenance, s.ms_count, s.ms_sum)
            for i, value in enumerate(counts):
                sums[i] += value
            sums[-1] |= 1 << (day.day - 1)
    return tuple(sums)
