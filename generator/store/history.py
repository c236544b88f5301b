"""Reading the sample store fast for the site: per-day stats and the last 48 hours.

A build reads 90 days of every monitor (2.6 M rows for 100 monitors every 5 minutes), so this
module works on the text of day files instead of making a Sample per row: exact duplicate
lines (git's union merge) are dropped with a set, each distinct time is parsed once and then
compared as data-file text, rows are counted into small per-monitor tallies, and only rows of
the last 48 hours become Samples. Old day files are read in worker processes. Days that were
compacted come from the rollup files; a day that is both rolled up and still raw (compaction
stopped before removing it) is read from the raw file, which holds every sample.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import Problem, display_path
from .days import (
    COLUMNS,
    CONFLICT_START,
    FIELD_LIMIT,
    MAX_MS,
    RECENT,
    DayStats,
    DayTable,
    History,
    Sample,
    Tally,
    Unreadable,
    data_text,
    day_files,
    format_time,
    log_text,
    missing_columns,
    parse_ms,
    parse_row,
    parse_time,
    percentile,
    read_day,
    records,
    repository,
    sample_key,
    split_line,
)
from .rollup import LATEST_FILE, read_rollups, rollup_dir

log = logging.getLogger(__name__)

KINDS = {"up": 0, "degraded": 1, "down": 2}
MAINTENANCE = 3
CODES = frozenset(str(n) for n in range(100, 1000))  # store.is_code, as a set for the hot loop
PARALLEL_FROM = 8  # old day files: fewer are read faster than worker processes start
WindowText = dict[str, list[tuple[str, str]]]  # monitor -> [(start, end)] as data-file times


def read_history(
    data_dir: Path,
    now: datetime,
    windows: Mapping[str, Sequence[tuple[datetime, datetime]]],
    days: int = 90,
) -> History:
    """store.load_history: stats per monitor per day from raw files and rollups, recent samples."""
    last = now.date()
    first = last - timedelta(days=days - 1)
    since = now - RECENT
    raw = {d: p for d, p in day_files(data_dir).items() if min(first, since.date()) <= d <= last}
    table = read_rollups(data_dir, first, last)
    scanned, recent = _scan_raw(raw, _window_text(windows), now, since)
    for day, stats in scanned.items():
        if day >= first:
            _put_day(table, day, stats)
    return History(
        days={m: dict(sorted(d.items())) for m, d in sorted(table.items()) if d},
        recent=recent,
        latest=_latest(data_dir, table, recent, raw, now),
        hourly={m: _hourly(s) for m, s in recent.items()},
    )


def _put_day(table: DayTable, day: date, stats: Mapping[str, DayStats]) -> None:
    """Set one day of every monitor from its raw file, replacing any rolled-up rows of it."""
    for days in table.values():
        days.pop(day, None)
    for monitor, day_stats in stats.items():
        table.setdefault(monitor, {})[day] = day_stats


def stats_of_days(
    files: Mapping[date, Path], windows: Mapping[str, Sequence[tuple[datetime, datetime]]]
) -> tuple[dict[date, dict[str, DayStats]], dict[date, list[Problem]]]:
    """Every sample of these day files, reduced per day per monitor, and what each could not read."""
    jobs = [(path, day, _window_text(windows), "~") for day, path in files.items()]
    stats, problems = {}, {}
    with _mapper(len(jobs)) as mapped:
        for day, day_stats, found in mapped(_day_stats, jobs):
            stats[day] = day_stats
            if found:
                problems[day] = found
    return stats, problems


DayJob = tuple[Path, date, WindowText, str]


def _scan_raw(
    raw: dict[date, Path], windows: WindowText, now: datetime, since: datetime
) -> tuple[dict[date, dict[str, DayStats]], dict[str, list[Sample]]]:
    """Day stats of every raw file, and the samples from `since` to `now` by monitor."""
    until, since_text = _text(now), _text(since, up=True)
    old = [(path, day, windows, until) for day, path in raw.items() if day < since.date()]
    scanned: dict[date, dict[str, DayStats]] = {}
    found: set[Sample] = set()
    with _mapper(len(old)) as mapped:
        pending = mapped(_day_stats, old)
        for day, path in raw.items():
            if day >= since.date():  # meanwhile, the recent files here
                tallies, samples, problems = scan_day(path, day, windows, until, since_text)
                scanned[day] = {m: t.stats() for m, t in tallies.items()}
                found.update(samples)
                _skip(problems)
        for day, stats, problems in pending:
            scanned[day] = stats
            _skip(problems)
    recent: dict[str, list[Sample]] = {}
    for sample in sorted(found, key=sample_key):
        recent.setdefault(sample.monitor, []).append(sample)
    return dict(sorted(scanned.items())), recent


def _day_stats(job: DayJob) -> tuple[date, dict[str, DayStats], list[Problem]]:
    """One old day file's stats and problems (run in a worker process: small values go back)."""
    path, day, windows, until = job
    tallies, _, problems = scan_day(path, day, windows, until, "~")
    return day, {m: t.stats() for m, t in tallies.items()}, problems


@contextmanager
def _mapper(
    jobs: int,
) -> Iterator[Callable[[Callable[[DayJob], Any], list[DayJob]], Iterator[Any]]]:
    """map() over worker processes when there is enough work to pay for starting them."""
    cores = os.cpu_count() or 1
    if jobs < PARALLEL_FROM or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield map
        return
    # fork: workers start in milliseconds and inherit the loaded modules and logging set-up.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(cores, 4), mp_context=context) as pool:
        yield pool.map


def _text(t: datetime, up: bool = False) -> str:
    """A time as data files write it (whole seconds), cut down or rounded up."""
    if up and t.microsecond:
        t += timedelta(seconds=1)
    return format_time(t)


def _window_text(windows: Mapping[str, Sequence[tuple[datetime, datetime]]]) -> WindowText:
    # Data-file times compare as text, so windows are turned into text once, not each sample.
    return {
        m: [(_text(s, up=True), _text(e, up=True)) for s, e in spans]
        for m, spans in windows.items()
        if spans
    }


def _hourly(samples: list[Sample]) -> list[tuple[datetime, int, int]]:
    """Median and p95 ms per hour (hours with a measurement only)."""
    hours: dict[datetime, list[int]] = {}
    for s in samples:
        if s.ms is not None:
            hours.setdefault(s.time.replace(minute=0, second=0, microsecond=0), []).append(s.ms)
    result = []
    for hour, values in sorted(hours.items()):
        values.sort()
        result.append((hour, percentile(values, 50), percentile(values, 95)))
    return result


def _latest(
    data_dir: Path,
    table: DayTable,
    recent: dict[str, list[Sample]],
    raw: dict[date, Path],
    now: datetime,
) -> dict[str, Sample]:
    """The newest sample of each monitor at or before now, looked up in its newest day."""
    latest = {m: samples[-1] for m, samples in recent.items()}
    stale = {m: max(d) for m, d in table.items() if d and m not in latest}
    rolled = _rolled_latest(data_dir)
    cache: dict[date, list[Sample]] = {}
    for monitor, day in sorted(stale.items()):
        if day in raw:
            if day not in cache:
                cache[day] = read_day(raw[day], [])
            pool = [s for s in cache[day] if s.monitor == monitor and s.time <= now]
        else:
            pool = [s for s in rolled.get(monitor, []) if s.day == day and s.time <= now]
        if pool:
            latest[monitor] = max(pool, key=sample_key)
    return dict(sorted(latest.items()))


def _rolled_latest(data_dir: Path) -> dict[str, list[Sample]]:
    """The newest sample of each monitor among compacted day files."""
    path = rollup_dir(data_dir) / LATEST_FILE
    if not path.exists():
        return {}
    found: dict[str, list[Sample]] = {}
    for sample in read_day(path):
        found.setdefault(sample.monitor, []).append(sample)
    return found


def scan_day(
    path: Path, day: date, windows: WindowText, until: str, since: str
) -> tuple[dict[str, Tally], list[Sample], list[Problem]]:
    """Count one day file per monitor (samples after `until` ignored); rows from `since` on as Samples.

    This is the hot loop of a build (2.6 M rows for 100 monitors x 90 days), so it works on
    the text: exact duplicate lines (git's union merge) are dropped with a set, each distinct
    time is parsed once and then compared as data-file text, and only recent rows become Samples.
    The third value lists what was skipped, or why the file was not read.
    """
    tallies: dict[str, Tally] = {}
    samples: list[Sample] = []
    times: dict[str, str] = {}
    stamps: dict[str, datetime] = {}
    skipped: list[Skipped] = []
    try:
        text = data_text(path, repository(path.parent)).replace("\r\n", "\n")
        for fields in _records(text, skipped):
            try:
                t_text, monitor, _, status, ms, code, _ = fields
                t = times.get(t_text)
                if t is None:
                    t = _day_time(t_text, day, until, times)
                if not t:
                    continue
                kind = KINDS.get(status, -1)
                if not monitor or kind < 0 or (code and code not in CODES):
                    _row_sample(fields)  # raises the raw reader's message
                if windows and any(start <= t < end for start, end in windows.get(monitor, ())):
                    kind = MAINTENANCE
                value = None
                if ms:
                    value = int(ms) if ms.isdecimal() else -1
                    if not 0 <= value <= MAX_MS:
                        parse_ms(ms)  # raises its message
                tally = tallies.get(monitor)
                if tally is None:
                    tally = tallies[monitor] = Tally()
                tally.kinds[kind] += 1
                if value is not None:
                    tally.ms.append(value)
                if t >= since:
                    samples.append(_recent_sample(fields, t, value, code, stamps))
            except ValueError as exc:
                skipped.append((fields, _row_problem(fields, exc)))
    except Unreadable as exc:
        return {}, [], [Problem(display_path(path), exc.line, str(exc))]
    return tallies, samples, _locate(path, text, skipped)


Skipped = tuple[list[str] | str | int, str]  # (the row's fields, its line text or number), why


def _day_time(text: str, day: date, until: str, cache: dict[str, str]) -> str:
    """A time as data-file text, or "" after `until`; ValueError when it is not on `day`."""
    t = format_time(parse_time(text))
    if t > until:
        cache[text] = ""
    elif t[:10] != day.isoformat():
        raise ValueError(f"time {text} is not on {day.isoformat()}, the day of this file")
    else:
        cache[text] = t
    return cache[text]


def _row_sample(fields: list[str]) -> Sample:
    return parse_row(dict(zip(COLUMNS, fields, strict=True)))


def _recent_sample(
    fields: list[str], t: str, ms: int | None, code: str, stamps: dict[str, datetime]
) -> Sample:
    """A checked row as the Sample parse_row would make, reusing the parsed time."""
    when = stamps.get(t)
    if when is None:
        when = stamps[t] = parse_time(t)
    return Sample(
        when,
        fields[1],
        fields[2] or "default",
        fields[3],
        ms,
        int(code) if code else None,
        fields[6],
    )


def _row_problem(fields: list[str], exc: ValueError) -> str:
    return str(exc) if len(fields) == len(COLUMNS) else f"expected 7 fields, found {len(fields)}"


def _records(text: str, skipped: list[Skipped]) -> Iterator[list[str]]:
    """The distinct data rows of a day file's text in COLUMNS order (exact duplicate lines count once)."""
    head, _, body = text.partition("\n")
    first = 1  # the header's line
    if head.startswith(CONFLICT_START):  # both sides added the file: the header comes next
        skipped.append((1, "merge conflict marker"))
        head, _, body = body.partition("\n")
        first = 2
    if not text or text.isspace():
        return
    header = _header(head, first)
    lines = set(body.split("\n"))
    lines.discard("")
    lines.discard(head)
    special = {line for line in lines if '"' in line} if '"' in body else set()
    if lines and max(map(len, lines)) > FIELD_LIMIT:  # csv's limit: the raw reader skips them
        special |= {line for line in lines if len(line) > FIELD_LIMIT}
    plain = (line.split(",") for line in (lines - special if special else lines))
    parsed = _parsed(sorted(special), skipped)
    if header == list(COLUMNS):
        yield from plain
        yield from parsed
    else:
        yield from _ordered(header, plain, skipped)
        yield from _ordered(header, parsed, skipped)


def _header(head: str, line: int) -> list[str]:
    """The columns of a day file's header line; Unreadable without the needed ones."""
    header = split_line(head)
    if isinstance(header, str):
        raise Unreadable(f"header: {header}", line)
    lacking = missing_columns(header)
    if lacking:
        raise Unreadable(lacking, line)
    return header


def _parsed(lines: list[str], skipped: list[Skipped]) -> Iterator[list[str]]:
    """The fields of lines with quotes or over csv's limit; a line refused is reported."""
    for line in lines:
        fields = split_line(line)
        if isinstance(fields, str):
            skipped.append((line, fields))
        else:
            yield fields


def _ordered(
    header: list[str], rows: Iterable[list[str]], skipped: list[Skipped]
) -> Iterator[list[str]]:
    """Rows in COLUMNS order: the same rows, or those of another header rearranged."""
    if header == list(COLUMNS):
        yield from rows
        return
    where = [header.index(c) if c in header else None for c in COLUMNS]
    for row in rows:
        if len(row) == len(header):
            yield ["" if i is None else row[i] for i in where]
        else:
            skipped.append((row, f"expected {len(header)} fields, found {len(row)}"))


def _locate(path: Path, text: str, skipped: list[Skipped]) -> list[Problem]:
    """The skipped rows as located problems, their lines looked up in one pass when needed."""
    if not skipped:
        return []
    rows: dict[tuple[str, ...], int] = {}
    lines: dict[str, int] = {}
    if any(isinstance(key, list) for key, _ in skipped):
        for number, fields in records(text):
            if isinstance(fields, list):
                rows.setdefault(tuple(fields), number)
    if any(isinstance(key, str) for key, _ in skipped):
        for number, line in enumerate(text.split("\n"), start=1):
            lines.setdefault(line, number)
    where = display_path(path)
    located = []
    for key, message in skipped:
        if isinstance(key, list):
            at: int | None = rows.get(tuple(key))
        else:
            at = lines.get(key) if isinstance(key, str) else key
        located.append(Problem(where, at, message))
    return sorted(located, key=lambda p: (p.line or 0, p.message))


def _skip(problems: Iterable[Problem]) -> None:
    for problem in problems:
        log.warning("%s", log_text(problem))
