"""Response-time charts as SVG path data, computed at build time (no script on the page).

Paths are drawn in a fixed box and stretched to the page width by CSS, so coordinates stay
small whole numbers and the markup lean. Gaps (hours or days without data) break the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import MonitorState

SPARK_W, SPARK_H = 96, 24
SPARK_HOURS = 24
CHART_W, CHART_H = 720, 160


@dataclass(frozen=True)
class Chart:
    """One response-time chart: median and p95 lines, scale and a text summary."""

    title: str
    p50: str  # SVG path data
    p95: str
    top: int  # ms at the top edge
    first: str  # label of the left edge
    last: str  # label of the right edge
    summary: str
    width: int = CHART_W
    height: int = CHART_H

    @property
    def empty(self) -> bool:
        return not self.p50 and not self.p95


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least value (minimum 10)."""
    step = 10
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def path(values: Sequence[int | None], width: int, height: int, top: int) -> str:
    """SVG path data through the values, left to right; None leaves a gap."""
    if len(values) < 2 or top <= 0:
        return ""
    step = width / (len(values) - 1)
    parts, pen_down = [], False
    for index, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        x = round(index * step)
        y = round(height - min(value, top) * height / top)
        parts.append(f"{'L' if pen_down else 'M'}{x} {y}")
        pen_down = True
    return "".join(parts)


def sparkline(hourly: Sequence[tuple[datetime, int, int]], now: datetime) -> str:
    """Path data for the small line on the index: median per hour over the last 24 hours."""
    medians = [p50 for p50, _ in _hour_slots(hourly, now, SPARK_HOURS) if p50 is not None]
    if len(medians) < 2:
        return ""
    values = [p50 for p50, _ in _hour_slots(hourly, now, SPARK_HOURS)]
    return path(values, SPARK_W, SPARK_H - 2, max(medians))


def _hour_slots(
    hourly: Sequence[tuple[datetime, int, int]], now: datetime, hours: int
) -> list[tuple[int | None, int | None]]:
    """(p50, p95) for each of the last `hours` hours up to now's hour, (None, None) if unmeasured."""
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    slots: list[tuple[int | None, int | None]] = [(None, None)] * hours
    for hour, p50, p95 in hourly:
        index = int((hour - first).total_seconds() // 3600)
        if 0 <= index < hours:
            slots[index] = (p50, p95)
    return slots


def monitor_charts(state: MonitorState, now: datetime) -> list[Chart]:
    """The two charts of a monitor page: per hour over 48 h, per day over 90 days."""
    return [hourly_chart(state.hourly, now), daily_chart(state)]


def hourly_chart(hourly: Sequence[tuple[datetime, int, int]], now: datetime) -> Chart:
    """Median and p95 per hour for the last 48 hours."""
    slots = [
        None if p50 is None or p95 is None else (p50, p95)
        for p50, p95 in _hour_slots(hourly, now, 48)
    ]
    return _chart("Last 48 hours, per hour", slots, "48 h ago", "now", "hour")


def daily_chart(state: MonitorState) -> Chart:
    """Median and p95 per day for the days of the uptime bar."""
    slots: list[tuple[int, int] | None] = []
    for mark in state.bar:
        stats = state.days.get(mark.date)
        if stats is None or stats.ms_p50 is None or stats.ms_p95 is None:
            slots.append(None)
        else:
            slots.append((stats.ms_p50, stats.ms_p95))
    label = f"Last {len(slots)} days, per day"
    return _chart(label, slots, f"{len(slots)} days ago", "today", "day")


def _chart(
    title: str, slots: Sequence[tuple[int, int] | None], first: str, last: str, unit: str
) -> Chart:
    known = [s for s in slots if s is not None]
    if not known:
        return Chart(title, "", "", 0, first, last, f"{title}: no response times measured.")
    top = nice_ceiling(max(p95 for _, p95 in known))
    medians = [None if s is None else s[0] for s in slots]
    p95s = [None if s is None else s[1] for s in slots]
    middle = sorted(p50 for p50, _ in known)[len(known) // 2]
    worst = max(p95 for _, p95 in known)
    summary = (
        f"{title}: typical median {middle} ms, highest {unit}ly p95 {worst} ms, "
        f"{len(known)} of {len(slots)} {unit}s measured."
    )
    return Chart(
        title,
        path(medians, CHART_W, CHART_H, top),
        path(p95s, CHART_W, CHART_H, top),
        top,
        first,
        last,
        summary.replace("dayly", "daily"),
    )
