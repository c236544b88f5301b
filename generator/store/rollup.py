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
from ..errors import DataError, Problem, display_path
from .days import (
    NOT_READ,
    Unreadable,
    data_text,
    day_files,
    log_text,
    read_day,
    read_rows,
    records,
    repository,
    write_atomic,
)
from .samples import COLUMNS as DAY_COLUMNS
from .samples import Sample, sample_key, to_row
from .tally import RECENT, DayStats, DayTable, Windows, WindowText, count, window_key, window_text

log = logging.getLogger(__name__)
T = TypeVar("T")

ROLLUP_DIR = "rollup"
COUNTS = ("up", "degraded", "down", "maintenance", "ms_count", "ms_sum")
# size: bytes of the day file counted; windows: window_key of the maintenance windows counted
COLUMNS = ("day", "monitor", *COUNTS, "ms_p50", "ms_p95", "size", "windows")
MONTH_COLUMNS = ("month", "monitor", *COUNTS, "days")  # days: bit d-1 set once day d is in
MONTH_FILE_RE = re.compile(r"^(\d{4})-(\d{2})\.csv$")
MONTHS_FILE = "months.csv"
LATEST_FILE = "latest.csv"
FOLD_AFTER_DAYS = 400
Month = tuple[int, int]
ONE_DAY = timedelta(days=1)


Source = tuple[int | None, str]  # what a day row was counted from: file size, window_key
Sources = dict[date, dict[str, Source]]  # day -> monitor -> source


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
    stats, sources, problems = tally_days(old, window_text(windows))
    kept = keep_unread(old, problems)
    rolled = {d: p for d, p in old.items() if d not in problems}
    written: list[Path] = []
    if rolled:
        stats = {d: s for d, s in stats.items() if d in rolled}
        written = [*write_days(data_dir, stats, sources), write_latest(data_dir, rolled, stats)]
        for path in rolled.values():
            path.unlink()
        log.info("rolled %d days into %d rollup files", len(rolled), len(written) - 1)
    folded = fold_months(data_dir, fold_before)
    return CompactResult(tuple(rolled), tuple(written), tuple(rolled.values()), folded, kept)


def roll_finished(
    data_dir: Path, now: datetime, windows: Windows, files: Mapping[date, Path] | None = None
) -> list[Path]:
    """Write rollup rows for each finished day (of `files`) whose rows are missing or stale.

    The probe calls this after appending its samples: normally one day a day, so a build
    counts only the last raw days; a day file that grew since (a late union merge) or whose
    maintenance windows changed is counted again.
    """
    texts = window_text(windows)
    if files is None:
        files = day_files(data_dir, [])  # the run's other readers report refused files
    files = {d: p for d, p in files.items() if d < now.date()}
    known = read_sources(data_dir, files)
    stale = {d: p for d, p in files.items() if not fresh(known.get(d), p, texts, d)}
    if not stale:
        return []
    stats, sources, _ = tally_days(stale, texts)  # `upwatch check` and builds report bad lines
    return write_days(data_dir, stats, sources)


def fresh(rows: Mapping[str, Source] | None, path: Path, windows: WindowText, day: date) -> bool:
    """Whether a day's rollup rows were counted from this day file under these windows."""
    if not rows:
        return False
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return all(
        was == size and key == window_key(windows.get(m, ()), day) for m, (was, key) in rows.items()
    )


def tally_days(
    files: Mapping[date, Path], windows: WindowText
) -> tuple[dict[date, dict[str, DayStats]], Sources, dict[date, list[Problem]]]:
    """Every day file counted per monitor, what each count came from, and what each could not read."""
    stats: dict[date, dict[str, DayStats]] = {}
    sources: Sources = {}
    problems: dict[date, list[Problem]] = {}
    for day, path in files.items():
        size = path.stat().st_size  # before reading: a row appended meanwhile makes it stale
        found: list[Problem] = []
        stats[day] = count(read_rows(path, found, day), windows)
        sources[day] = {m: (size, window_key(windows.get(m, ()), day)) for m in stats[day]}
        if found:
            problems[day] = found
    return stats, sources, problems


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
    unread = [p for p in problems if p.message.endswith(NOT_READ)]
    return unread, [p for p in problems if not p.message.endswith(NOT_READ)]


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


def read_month(
    path: Path, problems: list[Problem] | None = None, sources: Sources | None = None
) -> DayTable:
    """The day rows of one rollup file (damaged rows go to problems, or the log).

    Two rows of one day and monitor (a union merge of two rewrites) resolve to the one
    counted from the larger day file; their sources go to `sources`.
    """
    best: dict[tuple[str, date], tuple[tuple[int, str, tuple[object, ...]], DayStats]] = {}
    for monitor, day, stats, source in _good_rows(path, _month_row, problems):
        rank = (-1 if source[0] is None else source[0], source[1], _fields(stats))
        if (monitor, day) not in best or rank > best[(monitor, day)][0]:
            best[(monitor, day)] = rank, stats
    table: DayTable = {}
    for (monitor, day), ((size, key, _), stats) in sorted(best.items()):
        table.setdefault(monitor, {})[day] = stats
        if sources is not None:
            sources.setdefault(day, {})[monitor] = (None if size < 0 else size, key)
    return table


def _month_row(row: dict[str, str]) -> tuple[str, date, DayStats, Source]:
    up, degraded, down, maintenance, ms_count, ms_sum = (int(row[c]) for c in COUNTS)
    p50, p95 = _optional(row["ms_p50"]), _optional(row["ms_p95"])
    stats = DayStats(up, degraded, down, maintenance, ms_count, ms_sum, p50, p95)
    source = (_optional(row.get("size") or ""), row.get("windows") or "")
    return row["monitor"], date.fromisoformat(row["day"]), stats, source


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


def read_rollups(data_dir: Path, first: date, last: date) -> tuple[DayTable, Sources]:
    """Rolled-up day stats with first <= day <= last, and what each day row was counted from."""
    table: DayTable = {}
    sources: Sources = {}
    for month, path in month_files(data_dir).items():
        if (first.year, first.month) <= month <= (last.year, last.month):
            for monitor, days in read_month(path, sources=sources).items():
                kept = {d: s for d, s in days.items() if first <= d <= last}
                if kept:
                    table.setdefault(monitor, {}).update(kept)
    return table, {d: s for d, s in sources.items() if first <= d <= last}


def read_sources(data_dir: Path, files: Mapping[date, Path]) -> Sources:
    """What the rollup rows of these days were counted from."""
    sources: Sources = {}
    months = {(d.year, d.month) for d in files}
    for month, path in month_files(data_dir).items():
        if month in months:
            read_month(path, [], sources)
    return sources


def write_days(
    data_dir: Path,
    stats: Mapping[date, Mapping[str, DayStats]],
    sources: Mapping[date, Mapping[str, Source]] | None = None,
) -> list[Path]:
    """Put these days into their month files, replacing any rows those days already had."""
    written = []
    for month in sorted({(d.year, d.month) for d in stats}):
        path = month_path(data_dir, month)
        known: Sources = {}
        table = read_month(path, sources=known) if path.exists() else {}
        for days in table.values():
            for day in [d for d in days if d in stats]:
                del days[day]
        for day, monitors in stats.items():
            if (day.year, day.month) == month:
                known[day] = dict((sources or {}).get(day, {}))
                for monitor, day_stats in monitors.items():
                    table.setdefault(monitor, {})[day] = day_stats
        write_atomic(path, month_text(table, known))
        written.append(path)
    return written


def month_text(table: DayTable, sources: Sources | None = None) -> str:
    """A rollup file's text, rows by day then monitor, so the same data gives the same bytes."""
    rows = sorted(
        (day.isoformat(), monitor, *_fields(s), *_source(sources, day, monitor))
        for monitor, days in table.items()
        for day, s in days.items()
    )
    return _csv_text(COLUMNS, rows)


def _source(sources: Sources | None, day: date, monitor: str) -> Source:
    return (sources or {}).get(day, {}).get(monitor, (None, ""))


def _fields(s: DayStats) -> tuple[object, ...]:
    return (s.up, s.degraded, s.down, s.maintenance, s.ms_count, s.ms_sum, s.ms_p50, s.ms_p95)


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
        read_day(latest, problems, root=repository(data_dir))
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
