"""Status and uptime math: pure functions from samples, day stats and incidents to words.

Component states use Statuspage's words; the page indicator follows the worst component or
open incident. Nothing here reads a file or the clock: `now` is always passed in.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from . import times

SampleStatus = Literal["up", "degraded", "down"]
ComponentStatus = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]
Indicator = Literal["none", "minor", "major", "critical"]
Severity = Literal["minor", "major", "critical"]
IncidentType = Literal["incident", "maintenance"]
IncidentState = Literal["investigating", "identified", "monitoring", "resolved"]
MaintenanceState = Literal["scheduled", "in_progress", "verifying", "completed"]
DayState = Literal["no_data", "operational", "maintenance", "degraded", "partial", "major"]
Window = tuple[datetime, datetime]

SAMPLE_STATUSES: tuple[SampleStatus, ...] = ("up", "degraded", "down")
SEVERITIES: tuple[Severity, ...] = ("minor", "major", "critical")
INCIDENT_TYPES: tuple[IncidentType, ...] = ("incident", "maintenance")
INCIDENT_STATES: tuple[IncidentState, ...] = (
    "investigating",
    "identified",
    "monitoring",
    "resolved",
)
MAINTENANCE_STATES: tuple[MaintenanceState, ...] = (
    "scheduled",
    "in_progress",
    "verifying",
    "completed",
)
# The one place state words become labels: timelines, pages and feeds all read them here.
STATE_LABELS: dict[str, str] = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
}

OPERATIONAL: ComponentStatus = "operational"
DEGRADED: ComponentStatus = "degraded_performance"
PARTIAL: ComponentStatus = "partial_outage"
MAJOR: ComponentStatus = "major_outage"
MAINTENANCE: ComponentStatus = "under_maintenance"

# Worse states rank higher; maintenance outranks nothing but "operational".
COMPONENT_RANK: dict[str, int] = {
    OPERATIONAL: 0,
    MAINTENANCE: 1,
    DEGRADED: 2,
    PARTIAL: 3,
    MAJOR: 4,
}
COMPONENT_WORDS: dict[str, str] = {
    OPERATIONAL: "Operational",
    DEGRADED: "Degraded performance",
    PARTIAL: "Partial outage",
    MAJOR: "Major outage",
    MAINTENANCE: "Under maintenance",
}
FROM_SAMPLE: dict[str, ComponentStatus] = {"up": OPERATIONAL, "degraded": DEGRADED, "down": MAJOR}
FROM_SEVERITY: dict[str, ComponentStatus] = {"minor": DEGRADED, "major": PARTIAL, "critical": MAJOR}
INDICATORS: tuple[Indicator, ...] = ("none", "minor", "major", "critical")
INDICATOR_OF: dict[str, Indicator] = {
    OPERATIONAL: "none",
    MAINTENANCE: "none",
    DEGRADED: "minor",
    PARTIAL: "major",
    MAJOR: "critical",
}
DESCRIPTIONS: dict[Indicator, str] = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}
UNDER_MAINTENANCE = "Service Under Maintenance"

# Day states of the 90-day bar, least to most severe.
DAY_STATES: tuple[DayState, ...] = (
    "no_data",
    "operational",
    "maintenance",
    "degraded",
    "partial",
    "major",
)
DAY_WORDS: dict[str, str] = {
    "no_data": "No data",
    "operational": "Operational",
    "maintenance": "Maintenance",
    "degraded": "Degraded",
    "partial": "Partial outage",
    "major": "Major outage",
}
DAY_FROM_SEVERITY: dict[str, DayState] = {
    "minor": "degraded",
    "major": "partial",
    "critical": "major",
}
# A day whose uptime falls below this is a major outage even without an incident.
MAJOR_DAY_UPTIME = 90.0
# A day is degraded when at least this share of its counted samples was degraded.
DEGRADED_DAY_SHARE = 0.1
STALE_AFTER = timedelta(minutes=30)


class SampleLike(Protocol):
    """What status needs of a sample (store.Sample provides it)."""

    @property
    def time(self) -> datetime: ...
    @property
    def status(self) -> str: ...


class IncidentLike(Protocol):
    """What status needs of an incident or maintenance (incidents.Incident provides it)."""

    @property
    def title(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def is_maintenance(self) -> bool: ...
    @property
    def started(self) -> datetime | None: ...
    @property
    def resolved(self) -> datetime | None: ...
    @property
    def start(self) -> datetime | None: ...
    @property
    def end(self) -> datetime | None: ...


def state_label(state: str) -> str:
    """An incident or maintenance state as people write it: "Investigating", "In progress"."""
    return STATE_LABELS.get(state) or state.replace("_", " ").capitalize()


def inside(windows: Iterable[Window], t: datetime) -> bool:
    """Whether t lies in one of the windows (start <= t < end)."""
    return any(start <= t < end for start, end in windows)


class Counts(Protocol):
    """What uptime needs of a day's stats (store.DayStats provides it)."""

    @property
    def up(self) -> int: ...
    @property
    def degraded(self) -> int: ...
    @property
    def down(self) -> int: ...
    @property
    def maintenance(self) -> int: ...


@dataclass(frozen=True)
class Day:
    """One mark of the 90-day bar."""

    date: date
    state: DayState
    uptime: float | None
    incidents: tuple[str, ...]
    text: str


def worst(states: Iterable[str]) -> str:
    """The worst of some component states (operational when there are none)."""
    return max(states, key=COMPONENT_RANK.__getitem__, default=OPERATIONAL)


def component_status(
    latest: SampleLike | None,
    open_incidents: Iterable[IncidentLike],
    windows: Iterable[Window],
    now: datetime,
) -> ComponentStatus:
    """A monitor's Statuspage status; no sample and no incident counts as operational."""
    if inside(windows, now):
        return MAINTENANCE
    states = [FROM_SEVERITY[i.severity] for i in open_incidents]
    if latest is not None:
        states.append(FROM_SAMPLE[latest.status])
    return max(states, key=COMPONENT_RANK.__getitem__, default=OPERATIONAL)


def page_status(
    components: Iterable[str], open_incidents: Iterable[IncidentLike]
) -> tuple[Indicator, str]:
    """The page indicator and its Statuspage description."""
    components = list(components)
    ranks = [INDICATORS.index(INDICATOR_OF[c]) for c in components]
    ranks += [INDICATORS.index(i.severity) for i in open_incidents]
    indicator = INDICATORS[max(ranks, default=0)]
    if indicator == "none" and MAINTENANCE in components:
        return indicator, UNDER_MAINTENANCE
    return indicator, DESCRIPTIONS[indicator]


def uptime(up: int, degraded: int, down: int) -> float | None:
    """The one uptime formula: (up + degraded) / counted samples, in percent; None for none.

    Samples in maintenance are never counted, so callers pass them in none of the three.
    """
    counted = up + degraded + down
    return None if counted == 0 else (up + degraded) * 100 / counted


def uptime_days(days: Mapping[date, Counts], today: date, count: int) -> float | None:
    """Uptime over the last `count` UTC days including today."""
    first = today - timedelta(days=count - 1)
    chosen = [s for d, s in days.items() if first <= d <= today]
    return uptime(
        sum(s.up for s in chosen), sum(s.degraded for s in chosen), sum(s.down for s in chosen)
    )


def uptime_windows(
    days: Mapping[date, Counts], last_24h: Counts | None, now: datetime
) -> dict[str, float | None]:
    """Uptime for 24h (rolling: the store counts it, store.tally.counted_since), 7d, 30d and
    90d (whole UTC days)."""
    today = now.date()
    rolling = None if last_24h is None else uptime(last_24h.up, last_24h.degraded, last_24h.down)
    return {
        "24h": rolling,
        "7d": uptime_days(days, today, 7),
        "30d": uptime_days(days, today, 30),
        "90d": uptime_days(days, today, 90),
    }


def format_uptime(value: float | None) -> str:
    """Uptime as people read it: floored to 2 decimals, so 99.999 never shows as 100%."""
    if value is None:
        return "No data"
    if value >= 100:
        return "100%"
    # The nudge undoes float error (23 of 125 is 18.4, but 18.4 * 100 is 1839.999...).
    return f"{math.floor(value * 100 + 1e-9) / 100:.2f}%"


def touches(incident: IncidentLike, day: date, now: datetime) -> bool:
    """Whether an incident or maintenance window overlaps a UTC day."""
    if incident.is_maintenance:
        start, end = incident.start, incident.end
    else:
        start, end = incident.started, incident.resolved or now
    if start is None or end is None:
        return False
    return start.date() <= day <= max(start, end).date() and start <= now


def day_state(stats: Counts | None, incidents: Iterable[IncidentLike]) -> DayState:
    """A day's worst state from its samples and the incidents that touched it."""
    states: list[DayState] = ["no_data"]
    if stats is not None:
        value = uptime(stats.up, stats.degraded, stats.down)
        if value is not None:
            states.append(_sample_day_state(stats, value))
        if stats.maintenance:
            states.append("maintenance")
    for incident in incidents:
        if incident.is_maintenance:
            states.append("maintenance")
        else:
            states.append(DAY_FROM_SEVERITY[incident.severity])
    return max(states, key=DAY_STATES.index)


def _sample_day_state(stats: Counts, value: float) -> DayState:
    if value < MAJOR_DAY_UPTIME:
        return "major"
    if stats.down:
        return "partial"
    # A few slow checks are normal; a day turns "degraded" only when slowness was common.
    slow_share = stats.degraded / (stats.up + stats.degraded + stats.down)
    return "degraded" if slow_share >= DEGRADED_DAY_SHARE else "operational"


def uptime_bar(
    days: Mapping[date, Counts],
    incidents: Sequence[IncidentLike],
    now: datetime,
    count: int = 90,
) -> list[Day]:
    """The marks of the uptime bar, oldest first, each with its text."""
    today = now.date()
    marks = []
    for back in range(count - 1, -1, -1):
        day = today - timedelta(days=back)
        touching = [i for i in incidents if touches(i, day, now)]
        stats = days.get(day)
        value = None if stats is None else uptime(stats.up, stats.degraded, stats.down)
        state = day_state(stats, touching)
        titles = tuple(i.title for i in touching)
        marks.append(Day(day, state, value, titles, day_text(day, state, value, titles)))
    return marks


def day_text(day: date, state: DayState, value: float | None, titles: Sequence[str]) -> str:
    """What a day's mark says: date, uptime or "No data", its state unless fine, its incidents."""
    if value is None:
        measured = "maintenance" if state == "maintenance" else "No data"
    else:
        measured = format_uptime(value)
        if state != "operational":
            measured += f", {DAY_WORDS[state].lower()}"
    return f"{_day_label(day)}: {measured}" + "".join(f"; {t}" for t in titles)


@functools.lru_cache(maxsize=512)  # every monitor's bar names the same 90 days
def _day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def bar_summary(marks: Sequence[Day]) -> str:
    """A one-sentence text alternative for a whole uptime bar."""
    counts: dict[str, int] = {}
    for mark in marks:
        counts[mark.state] = counts.get(mark.state, 0) + 1
    parts = [
        f"{counts[s]} {'day' if counts[s] == 1 else 'days'} {DAY_WORDS[s].lower()}"
        for s in reversed(DAY_STATES)
        if counts.get(s)
    ]
    return f"Last {len(marks)} days: " + ", ".join(parts) + "."


def staleness(newest: datetime | None, now: datetime) -> str | None:
    """A plain warning when the newest sample is older than about 30 minutes, else None."""
    if newest is None:
        return "no status data yet"
    if now - newest <= STALE_AFTER:
        return None
    return f"status data is {times.duration(now - newest)} old"
