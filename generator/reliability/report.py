"""Each monitor's reliability: figures for 30 and 90 days and each of the last 12 months, its SLO.

    gather(monitors, incidents, days, spans, windows, now) -> {monitor id: MonitorReport}
    figures_json(figures) -> the keys api/monitors/<id>.json and `upwatch report` share

Months are UTC calendar months, newest first; the current one runs to now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..config.read import Monitor
from ..incidents import Incident
from ..store.spans import DaySpans
from ..store.tally import DayStats
from .outages import Window, outages
from .slo import Budget, below, budget
from .stats import Figures, MonitorData, Period, figures, last_months, period_days, recent_downtime

MONTHS = 12
WINDOW_DAYS = (30, 90)


@dataclass(frozen=True)
class MonitorReport:
    """One monitor's figures: `windows` by name ("30d", "90d"), `months` newest first."""

    monitor_id: str
    target: float | None
    windows: Mapping[str, Figures]
    months: tuple[tuple[Period, Figures], ...]
    budget: Budget | None
    now: datetime

    def month(self, name: str) -> Figures | None:
        return next((f for p, f in self.months if p.name == name), None)

    def missed(self, period: Period, found: Figures) -> bool:
        """Whether a month closed below the SLO (a month still running is never marked)."""
        return period.closed(self.now) and below(self.target, found)


def first_day(now: datetime, months: int = MONTHS) -> date:
    """The oldest day any figure reads: the first of the oldest month, or 90 days back."""
    oldest = last_months(now, months)[-1].first
    return min(oldest, now.date() - timedelta(days=max(WINDOW_DAYS) - 1))


def gather(
    monitors: Sequence[Monitor],
    incidents: Sequence[Incident],
    days: Mapping[str, Mapping[date, DayStats]],
    spans: Mapping[str, Mapping[date, DaySpans]],
    windows: Mapping[str, Sequence[Window]],
    now: datetime,
    months: int = MONTHS,
) -> dict[str, MonitorReport]:
    """Every monitor's report, in config order."""
    periods = [period_days(now, n) for n in WINDOW_DAYS], last_months(now, months)
    return {
        m.id: monitor_report(m, monitor_data(m.id, incidents, days, spans, windows), now, *periods)
        for m in monitors
    }


def monitor_data(
    monitor_id: str,
    incidents: Sequence[Incident],
    days: Mapping[str, Mapping[date, DayStats]],
    spans: Mapping[str, Mapping[date, DaySpans]],
    windows: Mapping[str, Sequence[Window]],
) -> MonitorData:
    """What one monitor's figures are made from; its incidents are those that name it."""
    own = [i for i in incidents if not i.is_maintenance and monitor_id in i.monitors]
    return MonitorData(
        days=days.get(monitor_id, {}),
        spans=spans.get(monitor_id, {}),
        maintenance=tuple(windows.get(monitor_id, ())),
        incidents=own,
    )


def monitor_report(
    monitor: Monitor,
    data: MonitorData,
    now: datetime,
    windows: Sequence[Period],
    months: Sequence[Period],
) -> MonitorReport:
    """One monitor's figures for the rolling windows (30 d, 90 d) and the months."""
    seen = outages(data.spans, now)  # once: every period reads them
    found = {p.name: figures(data, p, now, seen) for p in windows}
    target = monitor.slo
    spent = None if target is None else budget(target, found["30d"], recent_downtime(data, now))
    return MonitorReport(
        monitor_id=monitor.id,
        target=target,
        windows=found,
        months=tuple((p, figures(data, p, now, seen)) for p in months),
        budget=spent,
        now=now,
    )


# --- JSON ---


def figures_json(found: Figures) -> dict[str, Any]:
    """A period's figures as api/monitors/<id>.json and `upwatch report --format json` show them."""
    failing = found.failing
    return {
        "uptime": None if found.uptime is None else round(found.uptime, 4),
        "downtime_minutes": found.downtime_minutes,
        "incidents": found.incidents,
        "mttr_minutes": found.mttr_minutes,
        "mttd_minutes": found.mttd_minutes,
        "mtbf_minutes": found.mtbf_minutes,
        "longest_minutes": found.longest_minutes,
        "outages": found.outages,
        "kinds": {k: round(n * 100 / failing, 1) for k, n in found.kinds},  # percent of failing
        "failing_samples": failing,
        "p50_ms": found.p50_ms,
        "p95_ms": found.p95_ms,
    }


def budget_json(spent: Budget) -> dict[str, Any]:
    return {
        "target": spent.target,
        "actual": None if spent.actual is None else round(spent.actual, 4),
        "budget_minutes": spent.budget_minutes,
        "used_minutes": spent.used_minutes,
        "remaining_minutes": spent.remaining_minutes,
        "burn_rate_24h": spent.burn_rate_24h,
        "state": spent.state,
    }


def stats_json(report: MonitorReport) -> dict[str, Any]:
    """The "stats" object: 30d, 90d and every month, oldest month first."""
    return {
        **{name: figures_json(f) for name, f in report.windows.items()},
        "months": {p.name: figures_json(f) for p, f in reversed(report.months)},
    }
