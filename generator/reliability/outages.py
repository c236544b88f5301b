"""Outages from day spans: down runs stitched across midnight, and time in them (pure).

An outage runs from its first failing sample to the first good one (store/spans.py says how
far a sample stands when no next one comes). Time inside a maintenance window of the monitor
is never downtime: it is taken out of every outage it overlaps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ..store.spans import STANDS_FOR, DaySpans

Window = tuple[datetime, datetime]
STAND = timedelta(seconds=STANDS_FOR)


@dataclass(frozen=True, slots=True)
class Outage:
    """From the first failing sample to the first good one (or as far as the last one stands)."""

    start: datetime
    end: datetime


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def outages(days: Mapping[date, DaySpans], now: datetime) -> list[Outage]:
    """Every outage of one monitor, in time order, runs of consecutive days joined."""
    found: list[Outage] = []
    carry: tuple[datetime, datetime] | None = None  # an open run: its start, its last sample
    for day in sorted(days):
        spans = days[day]
        if carry is None and not spans.runs:
            continue  # a day without an outage (most days)
        base = midnight(day)
        runs = [(base + _s(start), base + _s(last), end) for start, last, end in spans.runs]
        if carry is not None:
            first = None if spans.first is None else base + _s(spans.first)
            if first is None or first - carry[1] > STAND:  # no data next: as far as it stands
                found.append(Outage(carry[0], carry[1] + STAND))
            elif spans.first_down and runs:  # down across midnight: one outage
                runs[0] = (carry[0], runs[0][1], runs[0][2])
            else:
                found.append(Outage(carry[0], first))
            carry = None
        for start, last, end in runs:
            if end is None:
                carry = (start, last)
            else:
                found.append(Outage(start, base + _s(end)))
    if carry is not None:  # still down at the newest sample: it lasts as far as that stands
        found.append(Outage(carry[0], max(carry[1], min(carry[1] + STAND, now))))
    return found


def _s(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


def overlap(a: Window, b: Window) -> timedelta:
    """How long two [start, end) windows share."""
    return max(timedelta(0), min(a[1], b[1]) - max(a[0], b[0]))


def merged(windows: Iterable[Window]) -> list[Window]:
    """Windows sorted, overlapping ones joined, so time in two is taken out once."""
    result: list[Window] = []
    for start, end in sorted(windows):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        elif end > start:
            result.append((start, end))
    return result


def down_time(outage: Outage, within: Window, maintenance: Sequence[Window]) -> timedelta:
    """The time of an outage inside `within`, less any time in (merged) maintenance windows."""
    part = (max(outage.start, within[0]), min(outage.end, within[1]))
    if part[1] <= part[0]:
        return timedelta(0)
    return (part[1] - part[0]) - sum((overlap(part, w) for w in maintenance), timedelta(0))
