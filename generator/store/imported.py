"""Imported history: another tool's record of status changes, shown where upwatch has no samples.

Tools such as Upptime kept a sequence of status changes, not 5-minute samples. An importer
writes that record as spans in data/imported/<tool>.csv, one row per recorded check:

    monitor,location,start,end,status,ms,code
    api,upptime,2026-03-01T10:05:12Z,2026-03-02T00:00:41Z,up,182,200

The status holds from `start` (the recorded check) to `end` (the next record, or the last
thing the tool recorded). No sample is made up: a build turns the spans into day tallies in
5-minute slot units (a slot counts with the status in force at its start, so a whole day up
is 288 up), and only for days where upwatch has neither a raw day file nor a rollup row.
Real samples take over from the first day upwatch recorded, and compaction, which touches
only those days, changes none of the imported figures. `ms` is the response time the tool
recorded at that check (counted on the day of `start`); empty when it measured none.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from ..errors import Problem, display_path
from ..times import format_time, parse_time
from .days import NOT_READ, Unreadable, data_text, repository, write_atomic
from .samples import FAILURE_KINDS, derive_kind
from .spans import STANDS_FOR, DaySpans, down_runs
from .tally import DayStats, DayTable, Windows, percentile

log = logging.getLogger(__name__)
T = TypeVar("T")

IMPORTED_DIR = "imported"
COLUMNS = ("monitor", "location", "start", "end", "status", "ms", "code")
STATUSES = ("up", "degraded", "down")
SLOT = 300  # seconds: one probe interval
SLOTS_PER_DAY = 86400 // SLOT
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Span:
    """One recorded check: its status holds from start to end (UTC)."""

    monitor: str
    location: str
    start: datetime
    end: datetime
    status: str
    ms: int | None = None
    code: int | None = None


def imported_dir(data_dir: Path) -> Path:
    return data_dir / IMPORTED_DIR


def write_spans(path: Path, spans: Iterable[Span]) -> None:
    """Write spans sorted by monitor and start, atomically (the same spans give the same bytes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for s in sorted(spans, key=lambda s: (s.monitor, s.start, s.end)):
        writer.writerow(
            [
                s.monitor,
                s.location,
                format_time(s.start),
                format_time(s.end),
                s.status,
                "" if s.ms is None else s.ms,
                "" if s.code is None else s.code,
            ]
        )
    write_atomic(path, out.getvalue())


def read_spans(data_dir: Path, problems: list[Problem] | None = None) -> list[Span]:
    """Every good span of data/imported/*.csv; bad lines go to problems (or the log)."""
    folder = imported_dir(data_dir)
    if not folder.is_dir():
        return []
    spans: list[Span] = []
    for path in sorted(folder.glob("*.csv")):
        if path.is_file() and not path.is_symlink():
            spans += _read_file(path, problems)
    return spans


def _read_file(path: Path, problems: list[Problem] | None) -> list[Span]:
    """One imported file's spans; its problems go to problems (or the log)."""
    spans: Sequence[Span]
    found: Sequence[Problem]
    try:
        stat = path.stat()
        spans, found = _parsed(path, stat.st_mtime_ns, stat.st_size)
    except OSError:  # gone since the folder was listed: reading it says why
        spans, found = _parse(path)
    if problems is None:
        for problem in found:
            log.warning("%s:%s: %s", problem.path, problem.line, problem.message)
    else:
        problems += found
    return list(spans)


@functools.lru_cache(maxsize=8)  # a build reads it for the site's days, then for reliability
def _parsed(path: Path, mtime_ns: int, size: int) -> tuple[tuple[Span, ...], tuple[Problem, ...]]:
    spans, found = _parse(path)
    return tuple(spans), tuple(found)


def _parse(path: Path) -> tuple[list[Span], list[Problem]]:
    """One imported file's spans and problems (read as the day files are: inside the
    repository, UTF-8)."""
    found: list[Problem] = []
    spans = []
    where = display_path(path)
    try:
        reader = csv.DictReader(io.StringIO(data_text(path, repository(path.parent.parent))))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            found.append(Problem(where, 1, f"missing columns: {', '.join(missing)}; {NOT_READ}"))
        else:
            for row in reader:
                try:
                    spans.append(_span(row))
                except (ValueError, TypeError) as exc:
                    found.append(Problem(where, reader.line_num, f"{exc}; skipped"))
    except Unreadable as exc:
        found.append(Problem(where, exc.line, str(exc)))
    except csv.Error as exc:  # a NUL byte, a field over csv's limit: the rest is not read
        found.append(Problem(where, reader.line_num, f"{exc}; the rest {NOT_READ}"))
    return spans, found


def _span(row: Mapping[str, str]) -> Span:
    """A checked span from one csv row."""
    if any(row.get(c) is None for c in COLUMNS):
        raise ValueError(
            f"{len([v for v in row.values() if v is not None])} of {len(COLUMNS)} fields"
        )
    start, end = parse_time(row["start"]), parse_time(row["end"])
    if end < start:
        raise ValueError("end: before start")
    if row["status"] not in STATUSES:
        raise ValueError(f"status: {row['status']!r} is not up, degraded or down")
    if not row["monitor"]:
        raise ValueError("monitor: empty")
    ms, code = (int(row[k]) if row[k] else None for k in ("ms", "code"))
    return Span(row["monitor"], row["location"], start, end, row["status"], ms, code)


# --- day tallies ---


def add_imported(
    data_dir: Path,
    table: DayTable,
    raw_days: Iterable[date],
    first: date,
    last: date,
    windows: Windows,
) -> None:
    """Fill the days first..last that upwatch recorded nothing for from the imported spans."""
    records = read_spans(data_dir)
    if not records:
        return
    taken = {*raw_days, *(d for days in table.values() for d in days)}
    for monitor, mine in _by_monitor(records):
        _fill(table, monitor, imported_days(mine, windows.get(monitor, ()), first, last), taken)


def imported_days(
    spans: Sequence[Span],
    windows: Sequence[tuple[datetime, datetime]],
    first: date,
    last: date,
) -> dict[date, DayStats]:
    """One monitor's spans as day stats in 5-minute slots, for the days first..last."""
    lo, hi = _day_index(first) * SLOTS_PER_DAY, (_day_index(last) + 1) * SLOTS_PER_DAY
    kinds: dict[int, list[int]] = {}  # day index -> up, degraded, down, maintenance
    ms: dict[int, list[int]] = {}
    quiet = _merged([(_slot_at(a), _slot_at(b)) for a, b in windows])
    for span in spans:
        begin, end = max(_slot_at(span.start), lo), min(_slot_at(span.end), hi)
        kind = STATUSES.index(span.status)
        for a, b, in_window in _split(begin, end, quiet):
            for day, count in _per_day(a, b):
                kinds.setdefault(day, [0, 0, 0, 0])[3 if in_window else kind] += count
        day = int(span.start.timestamp()) // 86400
        if span.ms is not None and lo // SLOTS_PER_DAY <= day < hi // SLOTS_PER_DAY:
            ms.setdefault(day, []).append(span.ms)
            kinds.setdefault(day, [0, 0, 0, 0])
    out = {}
    for day, counts in sorted(kinds.items()):
        if any(counts):
            out[EPOCH + timedelta(days=day)] = _stats(counts, ms.get(day, []))
    return out


def _stats(counts: list[int], ms: list[int]) -> DayStats:
    """A day's slot counts and recorded response times as the figures the site shows."""
    up, degraded, down, maintenance = counts
    if not ms:
        return DayStats(up, degraded, down, maintenance)
    ordered = sorted(ms)
    p50, p95 = percentile(ordered, 50), percentile(ordered, 95)
    return DayStats(up, degraded, down, maintenance, len(ordered), sum(ordered), p50, p95)


def _day_index(day: date) -> int:
    return (day - EPOCH).days


def _slot_at(t: datetime) -> int:
    """The first slot starting at or after t (slot n starts n x 5 minutes after the epoch)."""
    seconds = int(t.astimezone(UTC).timestamp())
    return -(-seconds // SLOT)


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Slot ranges [a, b) sorted, overlapping ones joined."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(r for r in ranges if r[0] < r[1]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _split(begin: int, end: int, quiet: list[tuple[int, int]]) -> Iterable[tuple[int, int, bool]]:
    """[begin, end) cut into parts outside and inside the maintenance ranges."""
    at = begin
    for a, b in quiet:
        if b <= at or a >= end:
            continue
        if a > at:
            yield at, a, False
        yield max(a, at), min(b, end), True
        at = min(b, end)
    if at < end:
        yield at, end, False


def _per_day(a: int, b: int) -> Iterable[tuple[int, int]]:
    """Slots [a, b) counted per day index."""
    while a < b:
        day = a // SLOTS_PER_DAY
        stop = min(b, (day + 1) * SLOTS_PER_DAY)
        yield day, stop - a
        a = stop


# --- reliability spans ---


def add_imported_spans(
    data_dir: Path,
    spans: dict[str, dict[date, DaySpans]],
    table: DayTable,
    raw_days: Iterable[date],
    first: date,
    last: date,
    windows: Windows,
) -> None:
    """Fill the days first..last that upwatch recorded nothing for with the imported spans'
    day stats and reliability spans, as add_imported does for the site's day stats."""
    records = read_spans(data_dir, [])  # the build's history has logged their problems
    if not records:
        return
    taken = {*raw_days, *(d for days in table.values() for d in days)}
    taken |= {d for days in spans.values() for d in days}
    for monitor, mine in _by_monitor(records):
        quiet = windows.get(monitor, ())
        _fill(table, monitor, imported_days(mine, quiet, first, last), taken)
        _fill(spans, monitor, imported_day_spans(mine, quiet, first, last), taken)


def _by_monitor(records: Iterable[Span]) -> list[tuple[str, list[Span]]]:
    """The spans of each monitor, by monitor id."""
    found: dict[str, list[Span]] = {}
    for record in records:
        found.setdefault(record.monitor, []).append(record)
    return sorted(found.items())


def _fill(
    table: dict[str, dict[date, T]], monitor: str, days: Mapping[date, T], taken: set[date]
) -> None:
    """A monitor's imported days not taken by upwatch's own, its days kept in order."""
    added = {d: v for d, v in days.items() if d not in taken}
    if added:
        table[monitor] = dict(sorted({**table.get(monitor, {}), **added}.items()))


def imported_day_spans(
    spans: Sequence[Span],
    windows: Sequence[tuple[datetime, datetime]],
    first: date,
    last: date,
) -> dict[date, DaySpans]:
    """One monitor's spans as the DaySpans of the days first..last (spans.py), read as a
    check at the start of every 5-minute slot, as the day stats count them: each slot
    outside maintenance is a point with the status in force, and its failure kind is the
    one its code says (the tool recorded no reason)."""
    lo, hi = _day_index(first) * SLOTS_PER_DAY, (_day_index(last) + 1) * SLOTS_PER_DAY
    quiet = _merged([(_slot_at(a), _slot_at(b)) for a, b in windows])
    parts: dict[int, list[tuple[int, int, str, str]]] = {}  # day -> (slot a, b, status, kind)
    for span in spans:
        begin, end = max(_slot_at(span.start), lo), min(_slot_at(span.end), hi)
        kind = derive_kind(span.status, span.code, "")
        for a, b, in_window in _split(begin, end, quiet):
            if not in_window:
                at = a
                for day, count in _per_day(a, b):
                    parts.setdefault(day, []).append((at, at + count, span.status, kind))
                    at += count
    return {
        EPOCH + timedelta(days=day): _day_spans(day, found) for day, found in sorted(parts.items())
    }


def _day_spans(day: int, parts: list[tuple[int, int, str, str]]) -> DaySpans:
    """One day's DaySpans from its slot ranges (each slot a point; a down range is thinned
    to a point every STANDS_FOR, which keeps every run as the whole range would make it)."""
    parts.sort()
    base = day * SLOTS_PER_DAY
    step = STANDS_FOR // SLOT
    points: list[tuple[int, str]] = []
    kinds: dict[str, int] = {}
    for a, b, status, kind in parts:
        if status == "down":
            slots = [*range(a, b, step), b - 1] if b - 1 > a else [a]
            points += [((n - base) * SLOT, status) for n in sorted(set(slots))]
        else:
            points.append(((a - base) * SLOT, status))
        if kind:
            kinds[kind] = kinds.get(kind, 0) + b - a
    ordered = tuple((k, kinds[k]) for k in FAILURE_KINDS if k in kinds)
    first, first_status = points[0]
    return DaySpans(first, first_status == "down", tuple(down_runs(points)), ordered)
