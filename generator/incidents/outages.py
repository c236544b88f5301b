"""Outage math for the probe: pure functions from samples and incidents to decisions.

A monitor's samples become points in time, each good or bad (maintenance windows left out).
`failure_threshold` bad points in a row open an outage at the first of them;
`success_threshold` good points in a row close it at the first of those. The probe then
compares the outages with the auto incidents on file: an outage that no auto incident
overlaps and that is still going on opens one; an open auto incident whose outage ended is
resolved. Nothing is remembered between runs but the samples and the incident files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import groupby

from ..status import Window, inside
from ..store.days import Sample
from .model import Incident


@dataclass(frozen=True)
class Point:
    """A monitor's state at one time: bad when every location saw it fail."""

    time: datetime
    bad: bool
    sample: Sample  # the first sample at this time, for its detail


@dataclass(frozen=True)
class Outage:
    """A run of bad points long enough to count, until enough good points end it."""

    start: datetime
    end: datetime | None  # the first good point that ended it; None while it goes on
    first: Sample  # the first failing sample, for its reason


@dataclass(frozen=True)
class Plan:
    """What the probe should do for one monitor."""

    resolve: tuple[tuple[Incident, datetime], ...] = ()
    open: Outage | None = None


def points(samples: Iterable[Sample], windows: Sequence[Window], on_degraded: bool) -> list[Point]:
    """One point per sample time (samples sorted by time), maintenance left out."""
    failing = ("down", "degraded") if on_degraded else ("down",)
    out = []
    for time, group in groupby(samples, key=lambda s: s.time):
        if inside(windows, time):
            continue
        same = list(group)
        out.append(Point(time, all(s.status in failing for s in same), same[0]))
    return out


def outages(series: Sequence[Point], failures: int, successes: int) -> list[Outage]:
    """Every outage in a series of points, oldest first."""
    found: list[Outage] = []
    bad: list[Point] = []
    good: list[Point] = []
    for point in series:
        if point.bad:
            bad.append(point)
            good = []
            continue
        if len(bad) >= failures:
            good.append(point)
            if len(good) < successes:
                continue
            found.append(Outage(bad[0].time, good[0].time, bad[0].sample))
        bad, good = [], []
    if len(bad) >= failures:
        found.append(Outage(bad[0].time, None, bad[0].sample))
    return found


def overlaps(outage: Outage, incident: Incident) -> bool:
    """Whether an outage and an incident's time span share a moment."""
    started = incident.started or outage.start
    ended = incident.resolved if incident.status == "resolved" else None
    before_end = ended is None or outage.start <= ended
    return before_end and (outage.end is None or started < outage.end)


def plan(
    found: Sequence[Outage], auto: Sequence[Incident], series: Sequence[Point], successes: int
) -> Plan:
    """Resolve the open auto incidents whose outage ended; open one for a new, ongoing outage."""
    resolve = []
    for incident in auto:
        if incident.is_open:
            at = resolution(incident, found, series, successes)
            if at is not None:
                resolve.append((incident, at))
    done = {i.id for i, _ in resolve}
    still_open = [i for i in auto if i.is_open and i.id not in done]
    current = found[-1] if found and found[-1].end is None else None
    if current is None or still_open:
        return Plan(tuple(resolve))
    settled = [i for i in auto if i.id not in done] + [_resolved_copy(i, at) for i, at in resolve]
    if any(overlaps(current, i) for i in settled):
        return Plan(tuple(resolve))
    return Plan(tuple(resolve), current)


def resolution(
    incident: Incident, found: Sequence[Outage], series: Sequence[Point], successes: int
) -> datetime | None:
    """When an open auto incident's outage ended (its first good point), if it did."""
    mine = [o for o in found if overlaps(o, incident)]
    if mine:
        return mine[0].end
    # No outage on record (it began before the samples read, or the incident was edited):
    # resolve once the latest points since it started are all good.
    since = [p for p in series if incident.started is None or p.time >= incident.started]
    tail = since[-successes:]
    if len(tail) == successes and not any(p.bad for p in tail):
        run = len(since)
        while run > 0 and not since[run - 1].bad:
            run -= 1
        return since[run].time
    return None


def _resolved_copy(incident: Incident, at: datetime) -> Incident:
    return replace(incident, status="resolved", resolved=at)
