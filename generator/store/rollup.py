"""Rollups: one row per monitor per finished UTC day, so a build counts only the last raw days.

Each finished day becomes one row per monitor in data/rollup/YYYY-MM.csv:

    day,monitor,up,degraded,down,maintenance,ms_count,ms_sum,ms_p50,ms_p95,size,windows,first,first_down,runs,kinds
    2026-08-01,api,285,2,1,0,288,52345,182,410,24310,,0,0,36000-36000-36300,timeout:1 slow:2

These are exactly the figures the site shows for a day (tally.DayStats) and what its
reliability figures need (spans.DaySpans: down runs and failure kinds), so pages built from
rollups are identical to pages built from the raw files. Rules:

- The probe writes them after appending its samples (`roll_finished`): for each finished
  day whose rows are missing or stale, normally once a day, committed with the run's samples.
  `upwatch compact` does the same before it rolls old day files away (compaction.py).
- A row records what it was counted from: `size`, the day file's bytes, and `windows`, a
  fingerprint of that monitor's maintenance windows touching that day. While the raw file
  exists, a build that finds a row stale (the file grew by a late union merge, a window was
  added or moved) counts that day from the raw file, and the next probe or compact rewrites
  the rows. A row without `size` (written by older versions) is stale while the file exists.
- Once the day file is compacted away, its rows stand as they are (compact writes them
  without a source): the maintenance split is the one known when the day was rolled up.
- A union merge of two rewrites leaves two rows of one day and monitor: readers take the one
  counted from the larger file (day files only grow), exact duplicates once.
- Rollups are written with a temp file and a rename, so a crash leaves the old or the new.
- A row written before failure kinds has no `first` column: its day's spans are unknown
  (None), so a reader counts the raw file again while it exists.

Size for 20 monitors: a day row is about 60 bytes (440 KB a year); after FOLD_AFTER_DAYS
(compaction.py) day rows are folded into data/rollup/months.csv.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from .. import safefiles
from ..errors import Problem, display_path
from .days import (
    NOT_READ,
    Unreadable,
    data_text,
    day_files,
    log_text,
    read_rows,
    records,
    repository,
    write_atomic,
)
from .spans import DaySpans, count_day, parse_spans, spans_fields
from .tally import DayStats, DayTable, Windows, WindowText, window_key, window_text

log = logging.getLogger(__name__)
T = TypeVar("T")

ROLLUP_DIR = "rollup"
COUNTS = ("up", "degraded", "down", "maintenance", "ms_count", "ms_sum")
# size: bytes of the day file counted; windows: window_key of the maintenance windows counted
SPAN_COLUMNS = ("first", "first_down", "runs", "kinds")  # spans.DaySpans
COLUMNS = ("day", "monitor", *COUNTS, "ms_p50", "ms_p95", "size", "windows", *SPAN_COLUMNS)
MONTH_FILE_RE = re.compile(r"^(\d{4})-(\d{2})\.csv$")
LATEST_FILE = "latest.csv"
Month = tuple[int, int]


Source = tuple[int | None, str]  # what a day row was counted from: file size, window_key
Sources = dict[date, dict[str, Source]]  # day -> monitor -> source
SpanTable = dict[str, dict[date, DaySpans]]  # monitor id -> day -> spans


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
    stats, sources, _, spans = tally_days(stale, texts)  # `check` and builds report bad lines
    return write_days(data_dir, stats, sources, spans)


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
) -> tuple[
    dict[date, dict[str, DayStats]],
    Sources,
    dict[date, list[Problem]],
    dict[date, dict[str, DaySpans]],
]:
    """Every day file counted per monitor, what each count came from, what each could not
    read, and each monitor's spans of the day."""
    stats: dict[date, dict[str, DayStats]] = {}
    sources: Sources = {}
    problems: dict[date, list[Problem]] = {}
    spans: dict[date, dict[str, DaySpans]] = {}
    for day, path in files.items():
        size = path.stat().st_size  # before reading: a row appended meanwhile makes it stale
        found: list[Problem] = []
        rows = read_rows(path, found, day)
        stats[day], spans[day] = count_day(rows, windows)
        sources[day] = {m: (size, window_key(windows.get(m, ()), day)) for m in stats[day]}
        if found:
            problems[day] = found
    return stats, sources, problems, spans


# --- month files: day rows ---


def rollup_dir(data_dir: Path) -> Path:
    return data_dir / ROLLUP_DIR


def month_files(data_dir: Path, quiet: bool = False) -> dict[Month, Path]:
    """Every readable monthly rollup file, by (year, month); the others are logged (unless
    `quiet`: another reader of the same run logs them), never opened."""
    folder = rollup_dir(data_dir)
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = MONTH_FILE_RE.match(path.name)
        reason = match and safefiles.refusal(path, repository(data_dir))
        if reason and not quiet:
            log.warning(
                "%s: %s; %s", safefiles.display(path, repository(data_dir)), reason, NOT_READ
            )
        elif match:
            found[(int(match.group(1)), int(match.group(2)))] = path
    return dict(sorted(found.items()))


def month_path(data_dir: Path, month: Month) -> Path:
    return rollup_dir(data_dir) / f"{month[0]:04d}-{month[1]:02d}.csv"


def read_month(
    path: Path,
    problems: list[Problem] | None = None,
    sources: Sources | None = None,
    spans: SpanTable | None = None,
) -> DayTable:
    """The day rows of one rollup file (damaged rows go to problems, or the log).

    Two rows of one day and monitor (a union merge of two rewrites) resolve to the one
    counted from the larger day file; their sources go to `sources`, their spans (when the
    row has them) to `spans`.
    """
    best: dict[tuple[str, date], tuple[DayStats, Source, DaySpans | None]] = {}
    parse = _month_row if spans is None else _month_row_spans
    for monitor, day, stats, source, day_spans in good_rows(path, parse, problems):
        other = best.setdefault((monitor, day), (stats, source, day_spans))
        if other[0] is not stats and _rank(stats, source) > _rank(other[0], other[1]):
            best[(monitor, day)] = stats, source, day_spans
    table: DayTable = {}
    for (monitor, day), (stats, source, day_spans) in sorted(best.items()):
        table.setdefault(monitor, {})[day] = stats
        if sources is not None:
            sources.setdefault(day, {})[monitor] = source
        if spans is not None and day_spans is not None:
            spans.setdefault(monitor, {})[day] = day_spans
    return table


def _rank(stats: DayStats, source: Source) -> tuple[int, str, tuple[object, ...]]:
    """Which of two rows of one day and monitor stands: the one counted from the larger file
    (day files only grow), then a fixed order, so every reader takes the same one."""
    size, key = source
    return (-1 if size is None else size, key, fields_of(stats))


def _month_row(row: Fields) -> tuple[str, date, DayStats, Source, DaySpans | None]:
    """A day row's figures and source (its spans are parsed only when asked for)."""
    fields, at = row
    up, degraded, down, maintenance, ms_count, ms_sum = [int(fields[at[c]]) for c in COUNTS]
    p50, p95 = optional(fields[at["ms_p50"]]), optional(fields[at["ms_p95"]])
    stats = DayStats(up, degraded, down, maintenance, ms_count, ms_sum, p50, p95)
    source = (optional(_get(row, "size")), _get(row, "windows"))
    return fields[at["monitor"]], _day(fields[at["day"]]), stats, source, None


def _month_row_spans(row: Fields) -> tuple[str, date, DayStats, Source, DaySpans | None]:
    """A day row with its spans; a row of an older version has none (None)."""
    monitor, day, stats, source, _ = _month_row(row)
    fields, at = row
    if "first_down" not in at or not fields[at["first_down"]]:
        return monitor, day, stats, source, None
    first, runs, kinds = fields[at["first"]], fields[at["runs"]], fields[at["kinds"]]
    return monitor, day, stats, source, parse_spans(first, fields[at["first_down"]], runs, kinds)


Fields = tuple[list[str], dict[str, int]]  # a rollup row's fields and where each column is


def _get(row: Fields, column: str) -> str:
    """A column's field, "" when the file has no such column."""
    fields, at = row
    return fields[at[column]] if column in at else ""


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)


def good_rows(
    path: Path, parse: Callable[[Fields], T], problems: list[Problem] | None = None
) -> Iterator[T]:
    """Each row of a rollup file parsed; a damaged one (a merge conflict, a torn line) is skipped."""
    found: list[Problem] = [] if problems is None else problems
    try:
        rows = records(data_text(path, repository(path.parent.parent)))  # data/rollup/X.csv
    except Unreadable as exc:
        found.append(Problem(display_path(path), exc.line, str(exc)))
        rows = iter(())
    header: list[str] | str = next((fields for _, fields in rows), [])
    at = {} if isinstance(header, str) else {name: n for n, name in enumerate(header)}
    for line, fields in rows:
        try:
            if isinstance(fields, str) or isinstance(header, str) or len(fields) != len(header):
                raise ValueError(fields)
            if not _get((fields, at), "monitor"):
                raise ValueError(fields)
            yield parse((fields, at))
        except (TypeError, ValueError, KeyError):
            if fields:  # a blank line is no row
                found.append(Problem(display_path(path), line, "damaged rollup row"))
    if problems is None:
        for problem in found:
            log.warning("%s", log_text(problem))


def optional(text: str) -> int | None:
    return int(text) if text else None


def read_rollups(
    data_dir: Path, first: date, last: date, spans: SpanTable | None = None
) -> tuple[DayTable, Sources]:
    """Rolled-up day stats with first <= day <= last, and what each day row was counted from
    (with `spans`, the rows' spans go there too)."""
    table: DayTable = {}
    sources: Sources = {}
    for month, path in month_files(data_dir).items():
        if (first.year, first.month) <= month <= (last.year, last.month):
            for monitor, days in read_month(path, sources=sources, spans=spans).items():
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
    spans: Mapping[date, Mapping[str, DaySpans]] | None = None,
) -> list[Path]:
    """Put these days into their month files, replacing any rows those days already had."""
    written = []
    for month in sorted({(d.year, d.month) for d in stats}):
        path = month_path(data_dir, month)
        known: Sources = {}
        kept: SpanTable = {}
        table = read_month(path, sources=known, spans=kept) if path.exists() else {}
        for days in table.values():
            for day in [d for d in days if d in stats]:
                del days[day]
        for monitor_spans in kept.values():
            for day in [d for d in monitor_spans if d in stats]:
                del monitor_spans[day]
        for day, monitors in stats.items():
            if (day.year, day.month) == month:
                known[day] = dict((sources or {}).get(day, {}))
                for monitor, day_stats in monitors.items():
                    table.setdefault(monitor, {})[day] = day_stats
                for monitor, day_spans in (spans or {}).get(day, {}).items():
                    kept.setdefault(monitor, {})[day] = day_spans
        write_atomic(path, month_text(table, known, kept))
        written.append(path)
    return written


def month_text(
    table: DayTable, sources: Sources | None = None, spans: SpanTable | None = None
) -> str:
    """A rollup file's text, rows by day then monitor, so the same data gives the same bytes."""
    rows = sorted(
        (
            day.isoformat(),
            monitor,
            *fields_of(s),
            *_source(sources, day, monitor),
            *_spans(spans, day, monitor),
        )
        for monitor, days in table.items()
        for day, s in days.items()
    )
    return csv_text(COLUMNS, rows)


def _spans(spans: SpanTable | None, day: date, monitor: str) -> tuple[str, ...]:
    """A row's span fields; a day counted without them (an older row) says so with empties."""
    found = (spans or {}).get(monitor, {}).get(day)
    return ("", "", "", "") if found is None else spans_fields(found)


def _source(sources: Sources | None, day: date, monitor: str) -> Source:
    return (sources or {}).get(day, {}).get(monitor, (None, ""))


def fields_of(s: DayStats) -> tuple[object, ...]:
    return (s.up, s.degraded, s.down, s.maintenance, s.ms_count, s.ms_sum, s.ms_p50, s.ms_p95)


# --- files ---


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue()
