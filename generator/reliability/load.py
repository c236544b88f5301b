"""The reports of a build or of `upwatch report`: read the store's spans, then gather (report.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from ..config.read import Config
from ..incidents import Incident
from ..store.span_history import read_span_history
from ..store.spans import DaySpans
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
    counted: Mapping[date, Mapping[str, DaySpans]] | None = None,
    covered_from: date | None = None,
) -> dict[str, MonitorReport]:
    """Every monitor's report; `known` are the day stats the caller has read already,
    `counted` the spans of the days from `covered_from` on (history.read_history)."""
    first = first_day(now, months)
    known_days = {m: dict(d) for m, d in known.items()}
    spans, days = read_span_history(
        config.data_dir, now, windows, first, known_days, counted, covered_from
    )
    return gather(config.monitors, incidents, days, spans, windows, now, months)
