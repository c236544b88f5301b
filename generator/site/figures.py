"""Reliability figures as the pages say them: minutes, budgets, kinds and month names (no I/O).

The numbers come from generator.reliability; this module only words them for the templates
(filters registered by html.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from ..reliability.report import MonitorReport
from ..reliability.slo import Budget
from ..reliability.stats import Figures, Period
from ..reliability.words import in_turn, sentence, shares

NONE = "–"  # a figure that cannot be told (no incident resolved, no sample)


@functools.lru_cache(maxsize=4096)  # pages say the same few figures again and again
def minutes(value: float | None) -> str:
    """43.2 -> '43.2 min', 135 -> '2 h 15 min', 4000 -> '2 d 18 h'; None -> '–'."""
    if value is None:
        return NONE
    if value < 60:
        return f"{value:g} min"
    whole = round(value)
    days, rest = divmod(whole, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    return f"{hours} h {mins} min" if mins else f"{hours} h"


@functools.lru_cache(maxsize=4096)
def percent(value: float | None, places: int = 3) -> str:
    """An uptime as the pages show it: '99.952%' (to the SLO's precision), or 'No data'."""
    if value is None:
        return "No data"
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def budget_words(budget: Budget, brief: bool = False) -> str:
    """What the index row and the monitor page say of a budget; `brief`: the words of a table
    cell under "SLO and error budget" (no noun, shorter)."""
    noun = "" if brief else "Error budget "
    if budget.exhausted:
        over = minutes(-budget.remaining_minutes) if budget.remaining_minutes < 0 else ""
        said = (f", {over} over" if brief else f" ({over} over)") if over else ""
        return f"{noun}exhausted{said}"
    if budget.burning:
        return (
            f"{noun}burning at {budget.burn_rate_24h:g}x ({'24 h' if brief else 'last 24 hours'})"
        )
    return f"{'' if brief else 'Error budget: '}{minutes(budget.remaining_minutes)} left"


def kind_shares(found: Figures) -> list[tuple[str, str, float]]:
    """(kind, words, percent) of a period's failure kinds, most first."""
    return shares(found.kinds)


@functools.lru_cache(maxsize=256)  # every monitor's table names the same 12 months
def month_name(period: Period) -> str:
    return f"{period.first:%B %Y}"


@functools.lru_cache(maxsize=256)
def month_short(period: Period) -> str:
    return f"{period.first:%b %Y}"


def kinds_in_turn(kinds: Iterable[str]) -> str:
    """An incident's kinds as a sentence: 'Timeouts, then HTTP 5xx errors'."""
    return in_turn(kinds)


def months_shown(report: MonitorReport) -> list[tuple[Period, Figures, bool]]:
    """The months of a report, newest first, each with whether it closed below the SLO."""
    return [(p, f, report.missed(p, f)) for p, f in report.months]


FILTERS: dict[str, Callable[..., Any]] = {
    "minutes": minutes,
    "percent": percent,
    "budget_words": budget_words,
    "budget_brief": functools.partial(budget_words, brief=True),
    "kind_shares": kind_shares,
    "month_name": month_name,
    "month_short": month_short,
    "kinds_in_turn": kinds_in_turn,
    "sentence": sentence,
    "months_shown": months_shown,
}
