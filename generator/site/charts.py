"""Response-time charts as SVG path data, computed at build time (no script on the page).

Paths are drawn in a fixed box and stretched to the page width by CSS, so coordinates stay
small whole numbers and the markup lean. Gaps (hours or days without data) break the line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import MonitorState

SPARK_W, SPARK_H = 96, 24
SPARK_HOURS = 24
CHART_W, CHART_H = 720, 160
HEADROOM = 1.2  # the scale's top is at least this times the highest value, so no line is clipped
THRESHOLD_RANGE = 3  # the degraded line is drawn when below this times the highest p95


@dataclass(frozen=True)
class Level:
    """A labelled horizontal line of a chart: its value, its y in the box, its place in %."""

    ms: int
    y: int
    percent: float  # from the top of the plot, for the HTML label over the stretched SVG

    @property
    def label(self) -> str:
        return f"{self.ms} ms"


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
    gridlines: tuple[Level, ...] = ()
    threshold: Level | None = None  # the degraded line, when it is within the scale
    degraded_ms: int | None = None  # the monitor's degraded threshold, drawn or not
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


def scale_top(worst: int, degraded_ms: int | None = None) -> int:
    """The top of the scale: headroom above the highest p95 and a drawn degraded line."""
    highest = worst
    if degraded_ms is not None and shows_threshold(worst, degraded_ms):
        highest = max(highest, degraded_ms)
    return nice_ceiling(math.ceil(highest * HEADROOM))


def shows_threshold(worst: int, degraded_ms: int) -> bool:
    """Whether the degraded line is drawn: below THRESHOLD_RANGE times the highest p95."""
    return degraded_ms < THRESHOLD_RANGE * worst


def level(ms: int, top: int, height: int = CHART_H) -> Level:
    """The line at ms on a scale from 0 to top."""
    y = round(height - ms * height / top)
    return Level(ms, y, round(y * 100 / height, 2))


def gridlines(top: int, height: int = CHART_H) -> tuple[Level, ...]:
    """The two gridlines, at the top of the scale and at half of it."""
    return (level(top, top, height), level(top // 2, top, height))


def threshold_text(degraded_ms: int | None, drawn: bool) -> str:
    """What the text alternative says about the degraded threshold."""
    if degraded_ms is None:
        return ""
    where = "the dotted line" if drawn else "above this chart's scale"
    return f" Degraded above {degraded_ms} ms ({where})."


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
    degraded_ms = state.monitor.degraded_ms
    return [hourly_chart(state.hourly, now, degraded_ms), daily_chart(state, degraded_ms)]


def hourly_chart(
    hourly: Sequence[tuple[datetime, int, int]], now: datetime, degraded_ms: int | None = None
) -> Chart:
    """Median and p95 per hour for the last 48 hours."""
    slots = [
        None if p50 is None or p95 is None else (p50, p95)
        for p50, p95 in _hour_slots(hourly, now, 48)
    ]
    return _chart("Last 48 hours, per hour", slots, "48 h ago", "now", "hour", degraded_ms)


def daily_chart(state: MonitorState, degraded_ms: int | None = None) -> Chart:
    """Median and p95 per day for the days of the uptime bar."""
    slots: list[tuple[int, int] | None] = []
    for mark in state.bar:
        stats = state.days.get(mark.date)
        if stats is None or stats.ms_p50 is None or stats.ms_p95 is None:
            slots.append(None)
        else:
            slots.append((stats.ms_p50, stats.ms_p95))
    label = f"Last {len(slots)} days, per day"
    return _chart(label, slots, f"{len(slots)} days ago", "today", "day", degraded_ms)


def _chart(
    title: str,
    slots: Sequence[tuple[int, int] | None],
    first: str,
    last: str,
    unit: str,
    degraded_ms: int | None,
) -> Chart:
    known = [s for s in slots if s is not None]
    if not known:
        summary = f"{title}: no response times measured."
        return Chart(title, "", "", 0, first, last, summary, degraded_ms=degraded_ms)
    worst = max(p95 for _, p95 in known)
    drawn = degraded_ms is not None and shows_threshold(worst, degraded_ms)
    top = scale_top(worst, degraded_ms)
    medians = [None if s is None else s[0] for s in slots]
    p95s = [None if s is None else s[1] for s in slots]
    middle = sorted(p50 for p50, _ in known)[len(known) // 2]
    adverb = "daily" if unit == "day" else f"{unit}ly"
    summary = (
        f"{title}: typical median {middle} ms, highest {adverb} p95 {worst} ms, "
        f"{len(known)} of {len(slots)} {unit}s measured; scale 0 to {top} ms."
        + threshold_text(degraded_ms, drawn)
    )
    return Chart(
        title,
        path(medians, CHART_W, CHART_H, top),
        path(p95s, CHART_W, CHART_H, top),
        top,
        first,
        last,
        summary,
        gridlines=gridlines(top),
        threshold=level(degraded_ms, top) if drawn and degraded_ms is not None else None,
        degraded_ms=degraded_ms,
    )
