"""`upwatch report`: one month's reliability figures per monitor, for an SLA report.

read the incident files (maintenance windows, incidents) -> the store's day stats and spans
-> each monitor's figures for the month -> a Markdown table, JSON or CSV on stdout.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from .. import incidents
from ..config.read import Config
from ..errors import UsageError
from ..reliability.load import load_reports
from ..reliability.report import MonitorReport, figures_json
from ..reliability.slo import below
from ..reliability.stats import Figures, Period, month_period
from ..reliability.words import shares

FORMATS = ("md", "json", "csv")
CSV_COLUMNS = (
    "monitor",
    "name",
    "uptime",
    "downtime_minutes",
    "incidents",
    "mttr_minutes",
    "mttd_minutes",
    "mtbf_minutes",
    "longest_minutes",
    "outages",
    "kinds",
    "failing_samples",
    "p50_ms",
    "p95_ms",
    "slo_target",
    "slo_met",
)


def report(config: Config, month: str | None, now: datetime, fmt: str = "md") -> str:
    """The report's text for `month` (YYYY-MM; default: the last complete month)."""
    period = chosen_month(month, now)
    found = incidents.load(config, strict=True)
    windows = incidents.maintenance_windows(found)
    back = (now.year - period.first.year) * 12 + now.month - period.first.month + 1
    reports = load_reports(config, found, windows, now, {}, months=back)
    rows = [(m.id, m.name, reports[m.id]) for m in config.monitors]
    if fmt == "json":
        return json_text(period, rows)
    if fmt == "csv":
        return csv_text(period, rows)
    return markdown(period, rows, now)


def chosen_month(text: str | None, now: datetime) -> Period:
    """The month asked for; without one, the month before now's."""
    if text is None:
        year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
        return month_period(year, month)
    try:
        year, month = (int(part) for part in text.split("-"))
        if len(text) != 7:
            raise ValueError(text)
        period = month_period(year, month)
    except ValueError:
        raise UsageError(
            f"{text!r} is not a month as YYYY-MM (for example 2026-11)", "--month"
        ) from None
    if (year, month) > (now.year, now.month):
        raise UsageError(f"{text} has not begun yet (now is {now:%Y-%m-%d})", "--month")
    return period


Row = tuple[str, str, MonitorReport]


def _month(period: Period, report: MonitorReport) -> Figures:
    return report.month(period.name) or Figures()


def slo_json(period: Period, report: MonitorReport) -> dict[str, Any] | None:
    if report.target is None:
        return None
    found = _month(period, report)
    met = None if found.uptime is None else not below(report.target, found)
    return {"target": report.target, "met": met}


def json_text(period: Period, rows: list[Row]) -> str:
    monitors = {
        mid: {**figures_json(_month(period, r)), "slo": slo_json(period, r)} for mid, _, r in rows
    }
    return json.dumps({"month": period.name, "monitors": monitors}, indent=2) + "\n"


def csv_text(period: Period, rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for mid, name, r in rows:
        figures = figures_json(_month(period, r))
        slo = slo_json(period, r) or {}
        kinds = " ".join(f"{k}:{share:g}" for k, share in figures.pop("kinds").items())
        values = {"monitor": mid, "name": name, **figures, "kinds": kinds}
        values |= {"slo_target": slo.get("target"), "slo_met": slo.get("met")}
        writer.writerow(_cell(values[c]) for c in CSV_COLUMNS)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def markdown(period: Period, rows: list[Row], now: datetime) -> str:
    """A Markdown table, one row per monitor, and what the figures mean."""
    title = f"{period.first:%B %Y}"
    if not period.closed(now):
        title += f" (so far, to {now:%Y-%m-%d %H:%M} UTC)"
    lines = [
        f"# Reliability report: {title}",
        "",
        "| Monitor | Uptime | Downtime | Incidents | MTTR | MTTD | Longest outage | Failure kinds"
        " | SLO |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for mid, name, r in rows:
        found = _month(period, r)
        kinds = ", ".join(f"{words} {share:g}%" for _, words, share in shares(found.kinds))
        cells = [
            f"{_escape(name)} (`{mid}`)",
            "no data" if found.uptime is None else f"{found.uptime:.3f}%",
            _minutes(found.downtime_minutes),
            str(found.incidents),
            _minutes(found.mttr_minutes),
            _minutes(found.mttd_minutes),
            _minutes(found.longest_minutes),
            kinds or "none",
            _slo_cell(period, r),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Months are UTC calendar months. Uptime counts samples (maintenance excluded); downtime"
        " runs from the first failing sample to the first good one; MTTR is incident start to"
        " resolved, MTTD the first failing sample to the incident's opening.",
    ]
    return "\n".join(lines) + "\n"


def _slo_cell(period: Period, r: MonitorReport) -> str:
    slo = slo_json(period, r)
    if slo is None:
        return "none"
    state = {True: "met", False: "missed", None: "no data"}[slo["met"]]
    return f"{slo['target']:g}%: {state}"


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:g} min"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
