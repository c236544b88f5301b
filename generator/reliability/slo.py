"""SLOs and error budgets: a target uptime over the rolling 30 days, as minutes (pure).

    budget(target, figures_30d, down_24h) -> Budget

The budget is the downtime the target allows in 30 days ((100 - target) % of 43,200
minutes); used is the downtime of those 30 days (stats.py); the burn rate is the last 24
hours' downtime over the budget's daily share, so 1.0 spends the budget exactly in 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass

from .stats import Figures

WINDOW_DAYS = 30
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Budget:
    """A monitor's SLO now: target and actual uptime %, the error budget in minutes."""

    target: float
    actual: float | None
    budget_minutes: float
    used_minutes: float
    burn_rate_24h: float

    @property
    def remaining_minutes(self) -> float:
        """What is left of the budget (negative: spent beyond it)."""
        return round(self.budget_minutes - self.used_minutes, 1)

    @property
    def exhausted(self) -> bool:
        return self.remaining_minutes <= 0

    @property
    def burning(self) -> bool:
        """Spending faster than the budget allows (more than 1x over the last 24 h)."""
        return self.burn_rate_24h > 1

    @property
    def state(self) -> str:
        """exhausted, burning or ok: what the index row says."""
        if self.exhausted:
            return "exhausted"
        return "burning" if self.burning else "ok"


def allowed_minutes(target: float, days: int) -> float:
    return round((100 - target) / 100 * days * DAY_MINUTES, 1)


def budget(target: float, last_30d: Figures, down_24h_minutes: float) -> Budget:
    """The budget of a target given the 30-day figures and the last 24 hours' downtime."""
    daily = (100 - target) / 100 * DAY_MINUTES  # the config keeps 0 < target < 100
    burn = round(down_24h_minutes / daily, 2)
    return Budget(
        target=target,
        actual=last_30d.uptime,
        budget_minutes=allowed_minutes(target, WINDOW_DAYS),
        used_minutes=last_30d.downtime_minutes,
        burn_rate_24h=burn,
    )


def below(target: float | None, month: Figures) -> bool:
    """Whether a month's uptime fell short of the target."""
    return target is not None and month.uptime is not None and month.uptime < target
