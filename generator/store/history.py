"""What the site shows of the store: per-day stats for 90 days and the last 48 hours' samples.

Finished days come from their rollup rows (rollup.py) when those are fresh: counted from the
day file as it is now (its size) under the maintenance windows of now. A day whose rows are
missing or stale is counted from its raw file with the one reader (days.read_rows), and so
are the days of the 48-hour view, whose rows also give the hourly response times, the rolling
24 hours and the latest sample (their Samples are made only when asked for: RecentSamples).
A compacted day (no raw file any more) is read from its rollup rows as they are.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from itertools import compress, pairwise
from pathlib import Path
from typing import Any, TypeVar

from ..errors import Problem
from .days import day_files, log_text, read_day, read_rows, to_samples
from .imported import add_imported
from .rollup import LATEST_FILE, Sources, SpanTable, fields_of, fresh, read_rollups, rollup_dir
from .samples import Sample, sample_key
from .spans import DaySpans, count_day
from .tally import (
    LAST_DAY,
    RECENT,
    Columns,
    DayStats,
    DayTable,
    History,
    Picked,
    Row,
    Windows,
    WindowText,
    count,
    counted_since,
    hourly,
    pick,
    runs,
    time_text,
    window_text,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
SpanDays = dict[date, dict[str, DaySpans]]  # day -> monitor -> spans
DAYS = 90  # the days a build reads: the 90-day bar


def read_history(
    data_dir: Path,
    now: datetime,
    windows: Windows,
    days: int = DAYS,
    spans: SpanDays | None = None,
) -> History:
    """Read raw day files and rollups for the `days` UTC days ending with now's day (samples after `now` ignored).

    With `spans`, each day counted from its raw file leaves its spans there too (what
    reliability figures read, spans.py), so no file is read twice.
    """
    last = now.date()
    first = last - timedelta(days=days - 1)
    since = now - RECENT
    raw = {d: p for d, p in day_files(data_dir).items() if min(first, since.date()) <= d <= last}
    rolled: SpanTable | None = None if spans is None else {}
    table, sources = read_rollups(data_dir, first, last, rolled)
    texts = window_text(windows)
    counted, recent = _count_raw(raw, sources, texts, now, since, spans)
    if spans is not None and rolled is not None:
        _rolled_spans(spans, rolled, sources, first)
    for day, stats in counted.items():
        if day >= first:
            _put_day(table, day, stats)
    add_imported(data_dir, table, raw, first, last, windows)  # days upwatch did not record
    samples = RecentSamples(recent)
    return History(
        days={m: dict(sorted(d.items())) for m, d in sorted(table.items()) if d},
        recent=samples,
        latest=_latest(data_dir, table, samples.newest(), raw, now),
        hourly=hourly(recent),
        last_24h=counted_since(recent, time_text(now - LAST_DAY, up=True), texts),
    )


def _count_raw(
    raw: dict[date, Path],
    sources: Sources,
    windows: WindowText,
    now: datetime,
    since: datetime,
    spans: SpanDays | None = None,
) -> tuple[dict[date, dict[str, DayStats]], list[Columns]]:
    """Stats of the raw days without fresh rollup rows, and the rows from `since` to `now`
    (one part a day, oldest first)."""
    until, since_text = time_text(now), time_text(since, up=True)
    counted: dict[date, dict[str, DayStats]] = {}
    recent: list[Columns] = []
    stale = {
        d: p
        for d, p in raw.items()
        if d < since.date() and not fresh(sources.get(d), p, windows, d)
    }
    with _mapper(len(stale)) as mapped:
        jobs = [(day, path, windows, spans is not None) for day, path in stale.items()]
        pending = mapped(_count_file, jobs)
        for day, path in sorted(raw.items()):  # meanwhile, the days of the 48-hour view here
            if day >= since.date():
                rows = read_rows(path, None, day).until(until)
                recent.append(rows.since(since_text))
                if day < now.date() and fresh(sources.get(day), path, windows, day):
                    continue  # a finished day whose rollup rows stand: only its rows are needed
                if spans is None:
                    counted[day] = count(rows, windows)
                else:
                    counted[day], spans[day] = count_day(rows, windows)
        for day, stats, problems, day_spans in pending:
            counted[day] = {m: DayStats(*fields) for m, fields in stats.items()}
            if spans is not None and day_spans is not None:
                spans[day] = {m: DaySpans(*fields) for m, fields in day_spans.items()}
            for problem in problems:
                log.warning("%s", log_text(problem))
    return counted, recent


class RecentSamples(Mapping[str, list[Sample]]):
    """Each monitor's samples of the last 48 hours, sorted, made when first asked for: a
    build shows only figures of them (hourly, the rolling 24 h, the latest), which tally.py
    counts from the rows' text."""

    def __init__(self, parts: list[Columns]) -> None:
        self._parts = parts
        self._where: dict[str, list[tuple[Columns, Picked]]] = {}
        for part in parts:
            for monitor, picked in runs(part.monitor).items():
                self._where.setdefault(monitor, []).append((part, picked))
        self._made: dict[str, list[Sample]] = {}

    def __getitem__(self, monitor: str) -> list[Sample]:
        made = self._made.get(monitor)
        if made is None:
            rows = [
                row for part, picked in self._where[monitor] for row in part.picked(picked).rows()
            ]
            made = self._made[monitor] = _in_order(to_samples(rows))
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def newest(self) -> dict[str, Sample]:
        """Each monitor's last sample (in sample_key order), making only the rows of its
        newest time into Samples."""
        found = {}
        for monitor, places in self._where.items():
            newest = max(max(pick(part.time, picked)) for part, picked in places)
            rows: list[Row] = []
            for part, picked in places:
                mine = part.picked(picked)
                rows += map(mine.row, compress(range(len(mine)), map(newest.__eq__, mine.time)))
            found[monitor] = max(to_samples(rows), key=sample_key)
        return found


def _rolled_spans(spans: SpanDays, rolled: SpanTable, sources: Sources, first: date) -> None:
    """Add the spans of the rolled-up days not counted raw, each day whose every row has them
    (a row of an older version has none: then reliability.py reads that day itself)."""
    by_day: SpanDays = {}
    for monitor, days in rolled.items():
        for day, day_spans in days.items():
            by_day.setdefault(day, {})[monitor] = day_spans
    for day, monitors in sources.items():
        found = by_day.get(day, {})
        if day >= first and day not in spans and found.keys() >= monitors.keys():
            spans[day] = found


CountJob = tuple[date, Path, WindowText, bool]  # the day, its file, windows, spans wanted
PARALLEL_FROM = 8  # stale days: fewer are counted faster than worker processes start


Fields = tuple[Any, ...]  # a DayStats or DaySpans as a plain tuple of its fields


def _count_file(
    job: CountJob,
) -> tuple[date, dict[str, Fields], list[Problem], dict[str, Fields] | None]:
    """One stale day file counted, in a worker process: its figures go back as plain tuples,
    which pipe ten times faster than the dataclasses."""
    day, path, windows, with_spans = job
    problems: list[Problem] = []
    rows = read_rows(path, problems, day)
    if not with_spans:
        return day, {m: fields_of(s) for m, s in count(rows, windows).items()}, problems, None
    stats, day_spans = count_day(rows, windows)
    plain = {m: (s.first, s.first_down, s.runs, s.kinds) for m, s in day_spans.items()}
    return day, {m: fields_of(s) for m, s in stats.items()}, problems, plain


@contextmanager
def _mapper(
    jobs: int,
) -> Iterator[Callable[[Callable[[CountJob], T], list[CountJob]], Iterator[T]]]:
    """map() over worker processes when there are enough stale days to pay for starting them.

    Only a repository without rollups yet (the first build) has many: then 90 days of raw
    files are counted on every core.
    """
    import multiprocessing  # a first build only: most builds start no worker
    from concurrent.futures import ProcessPoolExecutor

    cores = os.cpu_count() or 1
    if jobs < PARALLEL_FROM or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield map
        return
    # fork: workers start in milliseconds and inherit the loaded modules and logging set-up.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(cores, 4), mp_context=context) as pool:
        yield pool.map


def _in_order(samples: list[Sample]) -> list[Sample]:
    """Samples sorted by sample_key, exact duplicates once (two lines may say one sample).

    One monitor's samples of a run are usually one a time, read in time order: then they
    are in order already, with no two alike, and the sort (a key per sample) is skipped.
    """
    if all(a.time < b.time for a, b in pairwise(samples)):
        return samples
    return sorted(set(samples), key=sample_key)


def _put_day(table: DayTable, day: date, stats: dict[str, DayStats]) -> None:
    """Set one day of every monitor from its raw file, replacing any rolled-up rows of it."""
    for monitor_days in table.values():
        monitor_days.pop(day, None)
    for monitor, day_stats in stats.items():
        table.setdefault(monitor, {})[day] = day_stats


def _latest(
    data_dir: Path,
    table: DayTable,
    recent: dict[str, Sample],
    raw: dict[date, Path],
    now: datetime,
) -> dict[str, Sample]:
    """The newest sample of each monitor at or before now, looked up in its newest day."""
    latest = dict(recent)
    stale = {m: max(d) for m, d in table.items() if d and m not in latest}
    rolled = _rolled_latest(data_dir)
    cache: dict[date, list[Sample]] = {}
    for monitor, day in sorted(stale.items()):
        if day in raw:
            if day not in cache:
                cache[day] = read_day(raw[day], [], day)
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
    for sample in read_day(path, root=data_dir.parent):
        found.setdefault(sample.monitor, []).append(sample)
    return found
