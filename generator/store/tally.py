"""Per-day figures of the site: a day's rows counted per monitor (pure, no I/O).

A row is a day-file line the reader (days.read_rows) has checked: its time as data-file
text, so maintenance windows and `now` are compared as text, not as datetimes, in the hot
loop of a build (2.6 M rows for 100 monitors x 90 days).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import compress
from typing import Any, TypeVar, cast

from ..times import format_time, parse_time
from .samples import Sample

RECENT = timedelta(hours=48)  # History.recent and .hourly cover this much before now
LAST_DAY = timedelta(hours=24)  # History.last_24h: the rolling uptime
KINDS = {"up": 0, "degraded": 1, "down": 2}
MAINTENANCE = 3
# a Sample's fields, time as text; kind "" for a row of a file without the kind column
T = TypeVar("T")
Row = tuple[str, str, str, str, int | None, int | None, str, str]
WindowText = dict[str, list[tuple[str, str]]]  # monitor -> [(start, end)] as data-file times
Windows = Mapping[str, Sequence[tuple[datetime, datetime]]]
Hourly = list[tuple[datetime, int, int]]  # (hour, p50 ms, p95 ms), hours with a measurement


@dataclass(frozen=True, slots=True)
class DayStats:
    """One monitor's samples of one UTC day, reduced to what the site shows."""

    up: int = 0  # counted samples outside maintenance
    degraded: int = 0
    down: int = 0
    maintenance: int = 0  # samples inside a maintenance window of that monitor
    ms_count: int = 0  # samples with a measured ms (all four kinds above)
    ms_sum: int = 0  # exact integer sum -> avg_ms = round(ms_sum / ms_count)
    ms_p50: int | None = None  # median of that day's ms values (nearest-rank)
    ms_p95: int | None = None  # 95th percentile (nearest-rank)

    @property
    def samples(self) -> int:
        """Samples that count for uptime (not in maintenance)."""
        return self.up + self.degraded + self.down

    @property
    def avg_ms(self) -> int | None:
        return round(self.ms_sum / self.ms_count) if self.ms_count else None

    @property
    def uptime(self) -> float | None:
        """Percent of counted samples that were up or degraded; None when there were none."""
        total = self.samples
        return (self.up + self.degraded) * 100 / total if total else None


DayTable = dict[str, dict[date, DayStats]]  # monitor id -> day -> stats


def percentile(ordered: list[int], p: int) -> int:
    """Nearest-rank p-th percentile of sorted, non-empty values."""
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


@dataclass(slots=True)
class Tally:
    """A DayStats being counted: kinds indexed up, degraded, down, maintenance."""

    kinds: list[int] = field(
        default_factory=lambda: [0, 0, 0, 0]
    )  # up, degraded, down, maintenance
    ms: list[int] = field(default_factory=list)

    def stats(self) -> DayStats:
        up, degraded, down, maintenance = self.kinds
        if not self.ms:
            return DayStats(up, degraded, down, maintenance)
        ordered = sorted(self.ms)
        return DayStats(
            up,
            degraded,
            down,
            maintenance,
            len(ordered),
            sum(ordered),
            percentile(ordered, 50),
            percentile(ordered, 95),
        )


@dataclass(frozen=True)
class History:
    """Per-day stats for the days read, plus raw samples of the last 48 hours."""

    days: dict[str, dict[date, DayStats]]  # monitor id -> UTC day -> stats (days with samples)
    recent: Mapping[str, list[Sample]]  # monitor id -> samples of the last 48 h up to now, sorted
    latest: dict[str, Sample]  # monitor id -> newest sample at or before now, of the days read
    hourly: dict[str, Hourly]  # monitor id -> (hour, p50 ms, p95 ms) of the last 48 h
    last_24h: dict[str, DayStats] = field(default_factory=dict)  # the rolling 24 h's figures


@dataclass(frozen=True, slots=True)
class Columns:
    """A day file's good rows as columns: counting them makes no object per row."""

    time: Sequence[str] = ()  # as data-file text
    monitor: Sequence[str] = ()
    location: Sequence[str] = ()
    status: Sequence[str] = ()
    ms: Sequence[int | None] = ()
    code: Sequence[int | None] = ()
    detail: Sequence[str] = ()
    kind: Sequence[str] = ()  # empty for a file without the kind column (see samples.py)

    def __len__(self) -> int:
        return len(self.time)

    def rows(self) -> list[Row]:
        fields = (self.time, self.monitor, self.location, self.status, self.ms, self.code)
        kinds = self.kind or [""] * len(self.time)
        return list(zip(*fields, self.detail, kinds, strict=True))

    def row(self, n: int) -> Row:
        """Row n."""
        kind = self.kind[n] if self.kind else ""
        first = (self.time[n], self.monitor[n], self.location[n], self.status[n])
        return (*first, self.ms[n], self.code[n], self.detail[n], kind)

    @classmethod
    def of(cls, rows: Sequence[Row]) -> Columns:
        return cls(*zip(*rows, strict=True)) if rows else cls()

    def until(self, last: str) -> Columns:
        """The rows at or before `last` (a data-file time)."""
        if not self.time or max(self.time) <= last:
            return self
        return self.where([t <= last for t in self.time])

    def since(self, first: str) -> Columns:
        """The rows at or after `first` (a data-file time)."""
        if not self.time or min(self.time) >= first:
            return self
        return self.where([t >= first for t in self.time])

    def where(self, keep: Sequence[bool]) -> Columns:
        """The rows where `keep` is true, in file order."""
        return Columns(*(list(compress(column, keep)) for column in self._columns()))

    def picked(self, picked: Picked) -> Columns:
        """One monitor's rows (tally.runs)."""
        return Columns(*(pick(column, picked) if column else column for column in self._columns()))

    @classmethod
    def joined(cls, parts: Sequence[Columns]) -> Columns:
        """The rows of the parts one after the other."""
        parts = [part for part in parts if part]
        if len(parts) < 2:
            return parts[0] if parts else cls()
        if any(part.kind for part in parts) and not all(part.kind for part in parts):
            return cls.of([row for part in parts for row in part.rows()])  # a file of each layout
        columns = zip(*(part._columns() for part in parts), strict=True)
        return cls(*([value for column in same for value in column] for same in columns))

    def _columns(self) -> list[Sequence[Any]]:
        every = [self.time, self.monitor, self.location, self.status, self.ms, self.code]
        return [*every, self.detail, self.kind]  # an empty kind column stays empty


def count(columns: Columns, windows: WindowText, until: str | None = None) -> dict[str, DayStats]:
    """Each monitor's figures of one day's rows (rows after `until` ignored)."""
    if until is not None:
        columns = columns.until(until)
    if not columns:
        return {}
    found = {}
    for monitor, picked in sorted(runs(columns.monitor).items()):
        found[monitor] = monitor_stats(
            pick(columns.time, picked),
            pick(columns.status, picked),
            pick(columns.ms, picked),
            windows.get(monitor, ()),
        )
    return found


Picked = slice | list[int]  # where one monitor's rows are in a day file's columns


def runs(monitors: Sequence[str]) -> dict[str, Picked]:
    """Where each monitor's rows are, in file order.

    A probe run writes one line per monitor in one order, so a day file is mostly blocks of
    that order: then a monitor's rows are every M-th row (a slice), found without visiting a
    row in Python (2.6 M rows in a first build). Any other file is grouped row by row.
    """
    width = block_width(monitors)
    if width:
        return {m: slice(k, None, width) for k, m in enumerate(monitors[:width])}
    rows: dict[str, list[int]] = {}
    for n, monitor in enumerate(monitors):
        rows.setdefault(monitor, []).append(n)
    return dict(rows)


def block_width(monitors: Sequence[str]) -> int | None:
    """The monitors of each run block when the rows are made of blocks in one order, else None."""
    every = monitors if isinstance(monitors, list) else list(monitors)
    width = len(set(every))
    if width and not len(every) % width and every[:width] * (len(every) // width) == every:
        return width
    return None


def pick(column: Sequence[T], picked: Picked) -> Sequence[T]:
    """One monitor's values of a column."""
    if isinstance(picked, slice):
        return column[picked]
    return [column[n] for n in picked]


def monitor_stats(
    times: Sequence[str],
    statuses: Sequence[str],
    ms: Sequence[int | None],
    windows: Sequence[tuple[str, str]],
) -> DayStats:
    """One monitor's figures of its rows of one day, given its maintenance windows."""
    inside = _in_maintenance(times, statuses, windows)
    kinds = [statuses.count(status) - inside[status] for status in KINDS]
    measured = cast("list[int]", [*ms]) if None not in ms else [v for v in ms if v is not None]
    return Tally([*kinds, inside.total()], measured).stats()


def _in_maintenance(
    times: Sequence[str], statuses: Sequence[str], windows: Sequence[tuple[str, str]]
) -> Counter[str]:
    """status -> rows inside one of the windows (data-file times, [start, end))."""
    inside: Counter[str] = Counter()
    if windows:
        first, last = min(times), max(times)
        spans = [(s, e) for s, e in windows if s <= last and e > first]
        if spans:
            inside.update(
                status
                for t, status in zip(times, statuses, strict=True)
                if any(s <= t < e for s, e in spans)
            )
    return inside


def time_text(t: datetime, up: bool = False) -> str:
    """A time as data files write it (whole seconds), cut down or rounded up."""
    if up and t.microsecond:
        t += timedelta(seconds=1)
    return format_time(t)


def window_text(windows: Windows) -> WindowText:
    """Windows as data-file times, rounded up like a sample time compares with them."""
    return {
        m: [(time_text(s, up=True), time_text(e, up=True)) for s, e in spans]
        for m, spans in windows.items()
        if spans
    }


def window_key(spans: Sequence[tuple[str, str]], day: date) -> str:
    """A fingerprint of the windows that touch `day` ("" when none): a rollup made under
    other windows is stale."""
    first, after = f"{day.isoformat()}T", f"{(day + timedelta(days=1)).isoformat()}T"
    touching = sorted(f"{s}/{e}" for s, e in spans if s < after and e > first)
    if not touching:
        return ""
    return hashlib.sha1(";".join(touching).encode(), usedforsecurity=False).hexdigest()[:12]


def hourly(parts: Sequence[Columns]) -> dict[str, Hourly]:
    """Each monitor's median and p95 ms per hour of the rows (an hour is within one part,
    one UTC day's rows), counted from the text: no Sample is made."""
    found: dict[str, Hourly] = {}
    hour_of: dict[str, datetime] = {}
    for part in parts:
        for monitor, picked in runs(part.monitor).items():
            hours: dict[str, list[int]] = {}
            for t, ms in zip(pick(part.time, picked), pick(part.ms, picked), strict=True):
                if ms is not None:
                    hours.setdefault(t[:13], []).append(ms)
            mine = found.setdefault(monitor, [])
            for hour, values in hours.items():
                when = hour_of.get(hour)
                if when is None:
                    when = hour_of[hour] = parse_time(f"{hour}:00:00Z")
                values.sort()
                mine.append((when, percentile(values, 50), percentile(values, 95)))
    for mine in found.values():
        mine.sort()
    return dict(sorted(found.items()))


def counted_since(parts: Sequence[Columns], first: str, windows: WindowText) -> dict[str, DayStats]:
    """Each monitor's figures of the rows at or after `first` (a data-file time) in the
    parts: the rolling 24 hours, maintenance left out as on a day."""
    chosen = [part.since(first) for part in parts]
    return count(Columns.joined(chosen), windows)
