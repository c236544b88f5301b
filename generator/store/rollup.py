"""Rollups: what `upwatch compact` keeps of old day files, so data/ stays small at any age.

Each compacted day file becomes one row per monitor in data/rollup/YYYY-MM.csv:

    day,monitor,up,degraded,down,maintenance,ms_count,ms_sum,ms_p50,ms_p95
    2026-08-01,api,285,2,1,0,288,52345,182,410

These are exactly the figures the site shows for a day (store.DayStats), so pages built from
rollups are identical to pages built from the raw files. Rules:

- The maintenance split is the one known when the day is compacted (the maintenance files of
  that moment); a maintenance file written later does not change a rolled-up day.
- A day that is both rolled up and still raw (compaction stopped before removing the file) is
  read from the raw file, and compacting it again replaces its rows: the raw file wins.
- Rollups are written (temp file + rename) before any day file is removed, so a crash loses
  nothing, and running compact again changes nothing.
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

Size for 20 monitors: a day row is about 51 bytes (370 KB a year), so the 400 days of day
rows stay near 410 KB and older data costs 13 KB a year of month rows. A raw day file of
20 monitors every 5 minutes is about 290 KB, so with --keep-days 14 data/ holds about
4.1 MB of day files + 0.4 MB of rollups, growing 13 KB a year (--keep-days 7: about 2.4 MB).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from .. import safefiles
from ..config.read import Config
from ..errors import DataError, Problem, display_path
from ..incidents import files as incidents
from .days import COLUMNS as DAY_COLUMNS
from .days import (
    NOT_READ,
    RECENT,
    DayStats,
    DayTable,
    Sample,
    Unreadable,
    data_text,
    day_files,
    log_text,
    read_day,
    records,
    repository,
    sample_key,
    to_row,
    write_atomic,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

ROLLUP_DIR = "rollup"
COUNTS = ("up", "degraded", "down", "maintenance", "ms_count", "ms_sum")
COLUMNS = ("day", "monitor", *COUNTS, "ms_p50", "ms_p95")
MONTH_COLUMNS = ("month", "monitor", *COUNTS, "days")  # days: bit d-1 set once day d is in
MONTH_FILE_RE = re.compile(r"^(\d{4})-(\d{2})\.csv$")
MONTHS_FILE = "months.csv"
LATEST_FILE = "latest.csv"
FOLD_AFTER_DAYS = 400
Month = tuple[int, int]
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class CompactResult:
    """What one compaction did."""

    days: tuple[date, ...] = ()  # days rolled up
    written: tuple[Path, ...] = ()  # rollup files written
    removed: tuple[Path, ...] = ()  # day files removed
    folded: tuple[Month, ...] = ()  # months folded into months.csv
    kept: tuple[Path, ...] = ()  # old day files kept because they could not be read in full


def compact_days(config: Config, keep_days: int, now: datetime) -> CompactResult:
    """Roll day files older than keep_days days into rollups (written first), then remove them."""
    if keep_days < 2:
        raise DataError("--keep-days must be at least 2: yesterday and today stay day files")
    data_dir = config.data_dir
    # The site's 48-hour view reaches into the day before yesterday: that day stays raw too.
    last_rolled = min(now.date() - timedelta(days=keep_days), (now - RECENT).date() - ONE_DAY)
    old = {d: p for d, p in day_files(data_dir).items() if d <= last_rolled}
    fold_before = now.date() - timedelta(days=FOLD_AFTER_DAYS)
    if not old:
        log.info("nothing to compact: no day file before %s", last_rolled + ONE_DAY)
        return CompactResult(folded=fold_months(data_dir, fold_before))
    from .history import stats_of_days  # history.py reads rollups, so it comes in here

    stats, problems = stats_of_days(old, known_windows(config))
    kept = keep_unread(old, problems)
    rolled = {d: p for d, p in old.items() if d not in problems}
    written: list[Path] = []
    if rolled:
        stats = {d: s for d, s in stats.items() if d in rolled}
        written = [*write_days(data_dir, stats), write_latest(data_dir, rolled, stats)]
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


def known_windows(config: Config) -> dict[str, list[tuple[datetime, datetime]]]:
    """Maintenance windows of the incident files as they are now (broken files are skipped)."""
    return incidents.maintenance_windows(incidents.load(config, strict=False))


# --- month files: day rows ---


def rollup_dir(data_dir: Path) -> Path:
    return data_dir / ROLLUP_DIR


def month_files(data_dir: Path) -> dict[Month, Path]:
    """Every readable monthly rollup file, by (year, month); the others are logged, never opened."""
    folder = rollup_dir(data_dir)
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = MONTH_FILE_RE.match(path.name)
        reason = match and safefiles.refusal(path, repository(data_dir))
        if reason:
            log.warning(
                "%s: %s; %s", safefiles.display(path, repository(data_dir)), reason, NOT_READ
            )
        elif match:
            found[(int(match.group(1)), int(match.group(2)))] = path
    return dict(sorted(found.items()))


def month_path(data_dir: Path, month: Month) -> Path:
    return rollup_dir(data_dir) / f"{month[0]:04d}-{month[1]:02d}.csv"


def read_month(path: Path, problems: list[Problem] | None = None) -> DayTable:
    """The day rows of one rollup file (damaged rows go to problems, or the log)."""
    table: DayTable = {}
    for monitor, day, stats in _good_rows(path, _month_row, problems):
        table.setdefault(monitor, {})[day] = stats
    return table


def _month_row(row: dict[str, str]) -> tuple[str, date, DayStats]:
    up, degraded, down, maintenance, ms_count, ms_sum = (int(row[c]) for c in COUNTS)
    p50, p95 = _optional(row["ms_p50"]), _optional(row["ms_p95"])
    stats = DayStats(up, degraded, down, maintenance, ms_count, ms_sum, p50, p95)
    return row["monitor"], date.fromisoformat(row["day"]), stats


def _good_rows(
    path: Path, parse: Callable[[dict[str, str]], T], problems: list[Problem] | None = None
) -> Iterator[T]:
    """Each row of a rollup file parsed; a damaged one (a merge conflict, a torn line) is skipped."""
    found: list[Problem] = [] if problems is None else problems
    try:
        rows = records(data_text(path, repository(path.parent.parent)))  # data/rollup/X.csv
    except Unreadable as exc:
        found.append(Problem(display_path(path), exc.line, str(exc)))
        rows = iter(())
    header: list[str] | str = next((fields for _, fields in rows), [])
    for line, fields in rows:
        try:
            if isinstance(fields, str) or isinstance(header, str) or len(fields) != len(header):
                raise ValueError(fields)
            row = dict(zip(header, fields, strict=True))
            if not row.get("monitor"):
                raise ValueError(row)
            yield parse(row)
        except (TypeError, ValueError, KeyError):
            if fields:  # a blank line is no row
                found.append(Problem(display_path(path), line, "damaged rollup row"))
    if problems is None:
        for problem in found:
            log.warning("%s", log_text(problem))


def _optional(text: str) -> int | None:
    return int(text) if text else None


def read_rollups(data_dir: Path, first: date, last: date) -> DayTable:
    """Rolled-up day stats with first <= day <= last."""
    table: DayTable = {}
    for month, path in month_files(data_dir).items():
        if (first.year, first.month) <= month <= (last.year, last.month):
            for monitor, days in read_month(path).items():
                kept = {d: s for d, s in days.items() if first <= d <= last}
                if kept:
                    table.setdefault(monitor, {}).update(kept)
    return table


def write_days(data_dir: Path, stats: Mapping[date, Mapping[str, DayStats]]) -> list[Path]:
    """Put these days into their month files, replacing any rows those days already had."""
    written = []
    for month in sorted({(d.year, d.month) for d in stats}):
        path = month_path(data_dir, month)
        table = read_month(path) if path.exists() else {}
        for days in table.values():
            for day in [d for d in days if d in stats]:
                del days[day]
        for day, monitors in stats.items():
            if (day.year, day.month) == month:
                for monitor, day_stats in monitors.items():
                    table.setdefault(monitor, {})[day] = day_stats
        write_atomic(path, month_text(table))
        written.append(path)
    return written


def month_text(table: DayTable) -> str:
    """A rollup file's text, rows by day then monitor, so the same data gives the same bytes."""
    rows = sorted(
        (day.isoformat(), monitor, *_fields(s))
        for monitor, days in table.items()
        for day, s in days.items()
    )
    return _csv_text(COLUMNS, rows)


def _fields(s: DayStats) -> tuple[object, ...]:
    return (s.up, s.degraded, s.down, s.maintenance, s.ms_count, s.ms_sum, s.ms_p50, s.ms_p95)


# --- latest.csv: the newest compacted sample of each monitor ---


def write_latest(
    data_dir: Path, files: Mapping[date, Path], stats: Mapping[date, Mapping[str, DayStats]]
) -> Path:
    """Merge the newest sample of each monitor in these day files into latest.csv."""
    path = rollup_dir(data_dir) / LATEST_FILE
    newest = (
        {s.monitor: s for s in read_day(path, root=repository(data_dir))} if path.exists() else {}
    )
    last_day: dict[str, date] = {}
    for day, monitors in sorted(stats.items()):
        for monitor in monitors:
            last_day[monitor] = day
    for day in sorted(set(last_day.values())):
        for sample in read_day(files[day], []):
            if last_day.get(sample.monitor) == day:
                newest[sample.monitor] = _newer(newest.get(sample.monitor), sample)
    write_atomic(path, _csv_text(DAY_COLUMNS, (to_row(newest[m]) for m in sorted(newest))))
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
    write_atomic(path, _csv_text(MONTH_COLUMNS, rows))
    for month_file in old.values():
        month_file.unlink()
    log.info("folded %d months of day rows into %s", len(old), MONTHS_FILE)
    return tuple(old)


def read_months(
    path: Path, problems: list[Problem] | None = None
) -> dict[tuple[Month, str], tuple[int, ...]]:
    """months.csv as (month, monitor) -> counts, sums and the mask of days in them."""
    return dict(_good_rows(path, _months_row, problems))


def check_rollups(data_dir: Path) -> list[Problem]:
    """What the rollup files hold that no reader takes (for `upwatch check`)."""
    problems: list[Problem] = []
    for path in month_files(data_dir).values():
        read_month(path, problems)
    months, latest = rollup_dir(data_dir) / MONTHS_FILE, rollup_dir(data_dir) / LATEST_FILE
    if os.path.lexists(months):
        read_months(months, problems)
    if os.path.lexists(latest):
        read_day(latest, problems, repository(data_dir))
    return problems


def _months_row(row: dict[str, str]) -> tuple[tuple[Month, str], tuple[int, ...]]:
    year, month = (int(part) for part in row["month"].split("-"))
    return ((year, month), row["monitor"]), tuple(int(row[c]) for c in MONTH_COLUMNS[2:])


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


# --- files ---


def _csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue()
