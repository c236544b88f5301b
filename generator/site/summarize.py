"""Summarize: every monitor's status, uptime and bar, and the page's overall status.

Takes config, incidents and the store's history; gives the view model (model.Summary).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .. import status
from ..config.read import Config, Monitor
from ..incidents import Incident
from ..store.tally import History
from .model import NO_DATA, MonitorState, Summary


def summarize(
    config: Config,
    incidents: list[Incident],
    history: History,
    windows: Mapping[str, list[tuple[datetime, datetime]]],
    now: datetime,
) -> Summary:
    """Compute every monitor's status and the page's overall status."""
    states = [
        monitor_state(m, incidents, history, windows.get(m.id, []), now) for m in config.monitors
    ]
    open_incidents = [i for i in incidents if i.is_open]
    indicator, description = status.page_status((s.status for s in states), open_incidents)
    times = [s.latest.time for s in states if s.latest is not None]
    newest = max(times, default=None)
    stale = status.staleness(newest, now) if config.monitors else None
    if newest is None and config.monitors and indicator == "none":
        description = NO_DATA  # not "All Systems Operational" before the first check
    return Summary(now, indicator, description, states, incidents, newest, stale)


def monitor_state(
    monitor: Monitor,
    incidents: list[Incident],
    history: History,
    windows: list[tuple[datetime, datetime]],
    now: datetime,
) -> MonitorState:
    """One monitor's status, uptime windows and 90-day bar."""
    mine = [i for i in incidents if monitor.id in i.monitors]
    latest = history.latest.get(monitor.id)
    days = history.days.get(monitor.id, {})
    current = status.component_status(latest, [i for i in mine if i.is_open], windows, now)
    return MonitorState(
        monitor=monitor,
        status=current,
        latest=latest,
        uptime=status.uptime_windows(days, history.last_24h.get(monitor.id), now),
        bar=status.uptime_bar(days, mine, now),
        days=days,
        hourly=history.hourly.get(monitor.id, []),
        incidents=mine,
    )
