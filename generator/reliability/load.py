"""The reports of a build or of `upwatch report`: read the store's spans, then gather (report.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from ..config.read import Config
from ..incidents import Incident
from ..store.span_history import read_span_history
from ..store.tally import DayStats
from .outages import Window
from .report import MONTHS, MonitorReport, first_day, gather


def load_reports(
    config: Config,
    incidents: Sequence[Incident],
    windows: Mapping[str, Sequence[Window]],
    now: datetime,
    known: Mapping[str, Mapping[date, DayStats]],
    months: int = MONTHS,
) -> dict[str, MonitorReport]:
    """Every monitor's report; `known` are the day stats the caller has read already."""
    first = first_day(now, months)
    spans, days = read_span_history(
        config.data_dir, now, windows, first, {m: dict(d) for m, d in known.items()}
    )
    return gather(config.monitors, incidents, days, spans, windows, now, months)
