"""Reliability figures of one monitor over a period of UTC days (pure: no I/O, no clock).

    figures(data, period, now) -> Figures: uptime, downtime, incidents, MTTR, MTTD, MTBF,
                                  longest outage, failure kinds, p50/p95 response time
    period_days(now, 30) / month_period(2026, 11) -> the periods the site and report use

A period is whole UTC days, cut at `now`. Uptime is the site's one formula (samples up or
degraded over samples counted, maintenance left out). Downtime is time: from the first failing
sample of an outage to the first good one, maintenance windows taken out (outages.py). An
incident belongs to the period it started in; people's incidents count with their front
matter's `started` and `resolved`.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from operator import attrgetter, itemgetter

from ..incidents import Incident
from ..status import uptime
from ..store.samples import FAILURE_KINDS
from ..store.spans import DaySpans
from ..store.tally import DayStats
from .outages import Outage, Window, down_time, merged, midnight, outages

ZERO = timedelta(0)


@dataclass(frozen=True)
class Period:
    """UTC days first..last, both included; `name` is how pages and JSON call it."""

    name: str
    first: date
    last: date

    def window(self, now: datetime) -> Window:
        """The period as [start, end) times, ending at now at the latest."""
        start = midnight(self.first)
        return start, max(start, min(midnight(self.last + timedelta(days=1)), now))

    def holds(self, day: date) -> bool:
        return self.first <= day <= self.last

    @functools.cached_property
    def dates(self) -> tuple[date, ...]:
        """Every day of the period."""
        count = (self.last - self.first).days + 1
        return tuple(self.first + timedelta(days=n) for n in range(count))

    def closed(self, now: datetime) -> bool:
        """Whether the period had ended by now."""
        return midnight(self.last + timedelta(days=1)) <= now


def period_days(now: datetime, days: int) -> Period:
    """The last `days` UTC days including today (as the site's 30 d and 90 d uptime)."""
    today = now.date()
    return Period(f"{days}d", today - timedelta(days=days - 1), today)


def month_period(year: int, month: int) -> Period:
    """One calendar month of UTC days, named YYYY-MM."""
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return Period(f"{year:04d}-{month:02d}", first, after - timedelta(days=1))


def last_months(now: datetime, count: int = 12) -> list[Period]:
    """The last `count` calendar months up to now's, newest first (the current one partial)."""
    year, month = now.year, now.month
    found = []
    for _ in range(count):
        found.append(month_period(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found


@dataclass(frozen=True)
class MonitorData:
    """What the figures are made from, for one monitor."""

    days: Mapping[date, DayStats] = field(default_factory=dict)
    spans: Mapping[date, DaySpans] = field(default_factory=dict)
    maintenance: Sequence[Window] = ()
    incidents: Sequence[Incident] = ()  # incidents (not maintenance) that name this monitor

    @functools.cached_property
    def by_day(self) -> tuple[list[date], list[DayStats], list[date], list[DaySpans]]:
        """The days and spans in day order, so a period's are found by bisection."""
        days, spans = sorted(self.days.items()), sorted(self.spans.items())
        return (
            [d for d, _ in days],
            [s for _, s in days],
            [d for d, _ in spans],
            [s for _, s in spans],
        )

    def within(self, period: Period) -> tuple[list[DayStats], list[DaySpans]]:
        """The day stats and the spans of the period's days."""
        day_dates, stats, span_dates, spans = self.by_day
        first, last = period.first, period.last
        return (
            stats[bisect.bisect_left(day_dates, first) : bisect.bisect_right(day_dates, last)],
            spans[bisect.bisect_left(span_dates, first) : bisect.bisect_right(span_dates, last)],
        )

    @functools.cached_property
    def first_seen(self) -> datetime | None:
        """The time of the monitor's first counted sample (before it: no data)."""
        seen = [d for d, s in self.spans.items() if s.first is not None]
        if not seen:
            return None
        first = min(seen)
        return midnight(first) + timedelta(seconds=self.spans[first].first or 0)


@dataclass(frozen=True)
class Figures:
    """One monitor's reliability over one period; minutes as floats, None when unknown."""

    uptime: float | None = None
    downtime_minutes: float = 0.0
    incidents: int = 0
    mttr_minutes: float | None = None  # incident start to resolved, resolved incidents
    mttd_minutes: float | None = None  # first failing sample to the auto incident's opening
    mtbf_minutes: float | None = None  # time not down over the number of outages
    longest_minutes: float = 0.0
    outages: int = 0  # outages that started in the period
    kinds: tuple[tuple[str, int], ...] = ()  # failure kind -> samples, most first
    p50_ms: int | None = None
    p95_ms: int | None = None

    @property
    def failing(self) -> int:
        return sum(n for _, n in self.kinds)


def figures(
    data: MonitorData, period: Period, now: datetime, found: Sequence[Outage] | None = None
) -> Figures:
    """Every figure of one monitor over one period (`found`: its outages, when known)."""
    days, spans = data.within(period)
    window = period.window(now)
    if found is None:
        found = outages(data.spans, now)
    if (
        not days
        and not spans
        and not data.incidents
        and not any(o.start < window[1] and o.end > window[0] for o in found)
    ):
        return Figures()  # a period without samples, outages or incidents: nothing to tell
    down, longest, count = downtime(found, window, data.maintenance)
    started = [i for i in data.incidents if i.started and window[0] <= i.started < window[1]]
    return Figures(
        uptime=day_uptime(days),
        downtime_minutes=minutes(down),
        incidents=len(started),
        mttr_minutes=mean_minutes(repair_times(started)),
        mttd_minutes=mean_minutes(detect_times(started)),
        mtbf_minutes=mtbf(observed(data.first_seen, window), down, count),
        longest_minutes=minutes(longest),
        outages=count,
        kinds=kind_counts(spans),
        p50_ms=weighted_rank([(s.ms_p50, s.ms_count) for s in days if s.ms_p50 is not None], 50),
        p95_ms=weighted_rank([(s.ms_p95, s.ms_count) for s in days if s.ms_p95 is not None], 95),
    )


def recent_downtime(data: MonitorData, now: datetime, hours: int = 24) -> float:
    """Downtime minutes of the last `hours` before now (the SLO's burn rate)."""
    window = (now - timedelta(hours=hours), now)
    return minutes(downtime(outages(data.spans, now), window, data.maintenance)[0])


def downtime(
    found: Iterable[Outage], window: Window, maintenance: Sequence[Window]
) -> tuple[timedelta, timedelta, int]:
    """Total downtime in the window, the longest outage's part of it, outages begun in it."""
    windows = merged(maintenance)
    total, longest, count = ZERO, ZERO, 0
    for outage in found:
        part = down_time(outage, window, windows)
        total += part
        longest = max(longest, part)
        if window[0] <= outage.start < window[1] and part > ZERO:
            count += 1
    return total, longest, count


def day_uptime(days: Sequence[DayStats]) -> float | None:
    return uptime(*(sum(map(attrgetter(name), days)) for name in ("up", "degraded", "down")))


def repair_times(incidents: Iterable[Incident]) -> list[timedelta]:
    """Start to resolved of each resolved incident (a person's early resolve counts as written)."""
    return [
        i.resolved - i.started
        for i in incidents
        if i.started and i.resolved and i.status == "resolved" and i.resolved >= i.started
    ]


def detect_times(incidents: Iterable[Incident]) -> list[timedelta]:
    """First failing sample (`started`) to the run that opened it, for auto incidents."""
    return [
        i.updates[0].time - i.started
        for i in incidents
        if i.auto and i.started and i.updates and i.updates[0].time >= i.started
    ]


def observed(first_seen: datetime | None, window: Window) -> timedelta:
    """The window from the first sample on (time before monitoring is no data)."""
    if first_seen is None:
        return ZERO
    return max(ZERO, window[1] - max(window[0], first_seen))


def mtbf(span: timedelta, down: timedelta, outages: int) -> float | None:
    """Mean time between failures: time not down over the outages begun (None without one)."""
    return minutes((span - down) / outages) if outages else None


def kind_counts(days: Iterable[DaySpans]) -> tuple[tuple[str, int], ...]:
    """Failure kinds over these days, most samples first (ties in vocabulary order)."""
    totals: dict[str, int] = {}
    for spans in days:
        for kind, n in spans.kinds:
            totals[kind] = totals.get(kind, 0) + n
    return tuple(sorted(totals.items(), key=lambda item: (-item[1], FAILURE_KINDS.index(item[0]))))


def weighted_rank(values: list[tuple[int, int]], p: int) -> int | None:
    """The p-th nearest-rank value of daily figures, each day weighing its samples."""
    pairs = sorted(values)
    seen = list(accumulate(map(itemgetter(1), pairs)))
    if not seen or not seen[-1]:
        return None
    rank = max(1, -(-p * seen[-1] // 100))
    return pairs[bisect.bisect_left(seen, rank)][0]


def minutes(span: timedelta) -> float:
    return round(span.total_seconds() / 60, 1)


def mean_minutes(spans: Sequence[timedelta]) -> float | None:
    return minutes(sum(spans, ZERO) / len(spans)) if spans else None
