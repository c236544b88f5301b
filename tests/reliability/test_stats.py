"""The reliability figures as tables of hand-computed cases (pure functions, no files)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from generator.incidents import Incident
from generator.incidents.model import Update
from generator.reliability.slo import budget
from generator.reliability.stats import (
    Figures,
    MonitorData,
    Period,
    figures,
    last_months,
    month_period,
    period_days,
    recent_downtime,
)
from generator.store.spans import DaySpans, down_runs, parse_spans, reduce_day, spans_fields
from generator.store.tally import DayStats


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def spans_of(
    points: list[tuple[str, str]],
    windows: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> dict[date, DaySpans]:
    """(time, status) points as each day's DaySpans, as the store reduces a day file."""
    by_day: dict[date, list[tuple[str, str]]] = {}
    for when, status in points:
        by_day.setdefault(date.fromisoformat(when[:10]), []).append((when, status))
    kind = {"up": "", "degraded": "slow", "down": "timeout"}
    return {
        day: reduce_day(
            [w for w, _ in rows], [s for _, s in rows], [kind[s] for _, s in rows], windows
        )
        for day, rows in by_day.items()
    }


def data(
    points: list[tuple[str, str]], maintenance: list[tuple[str, str]] = (), **kw
) -> MonitorData:  # type: ignore[assignment]
    return MonitorData(
        spans=spans_of(points, list(maintenance)),
        maintenance=[(t(s), t(e)) for s, e in maintenance],
        **kw,
    )


def day(first: str, last: str | None = None) -> Period:
    return Period("p", date.fromisoformat(first), date.fromisoformat(last or first))


NOW = t("2026-12-20T00:00:00Z")
ACROSS_MIDNIGHT = [
    ("2026-11-10T23:50:00Z", "up"),
    ("2026-11-10T23:55:00Z", "down"),
    ("2026-11-11T00:00:00Z", "down"),
    ("2026-11-11T00:05:00Z", "down"),
    ("2026-11-11T00:10:00Z", "up"),
]
ACROSS_MONTHS = [
    ("2026-11-30T23:50:00Z", "up"),
    ("2026-11-30T23:55:00Z", "down"),
    ("2026-12-01T00:05:00Z", "down"),
    ("2026-12-01T00:10:00Z", "up"),
]
# maintenance 10:07-11:00: the 10:10 sample counts neither way, and 10:07 on is no downtime
INTO_MAINTENANCE = [
    ("2026-11-12T09:55:00Z", "up"),
    ("2026-11-12T10:00:00Z", "down"),
    ("2026-11-12T10:05:00Z", "down"),
    ("2026-11-12T10:10:00Z", "down"),
    ("2026-11-12T11:00:00Z", "up"),
]
WINDOW = [("2026-11-12T10:07:00Z", "2026-11-12T11:00:00Z")]
INSIDE_WINDOW = [("2026-11-12T10:20:00Z", "2026-11-12T10:40:00Z")]
# down at 10:00, then no sample for four hours: the sample stands for 30 minutes only
GAP = [
    ("2026-11-13T09:55:00Z", "up"),
    ("2026-11-13T10:00:00Z", "down"),
    ("2026-11-13T14:00:00Z", "up"),
]
TWO_OUTAGES = [
    ("2026-11-14T00:00:00Z", "up"),
    ("2026-11-14T06:00:00Z", "down"),
    ("2026-11-14T06:05:00Z", "down"),
    ("2026-11-14T06:10:00Z", "up"),
    ("2026-11-14T18:00:00Z", "down"),
    ("2026-11-14T18:10:00Z", "up"),
    ("2026-11-14T23:55:00Z", "up"),
]


@pytest.mark.parametrize(
    ("points", "maintenance", "period", "downtime", "longest", "outages"),
    [
        (ACROSS_MIDNIGHT, [], day("2026-11-10", "2026-11-11"), 15.0, 15.0, 1),
        (ACROSS_MIDNIGHT, [], day("2026-11-10"), 5.0, 5.0, 1),
        (ACROSS_MIDNIGHT, [], day("2026-11-11"), 10.0, 10.0, 0),
        (ACROSS_MONTHS, [], month_period(2026, 11), 5.0, 5.0, 1),
        (ACROSS_MONTHS, [], month_period(2026, 12), 10.0, 10.0, 0),
        (INTO_MAINTENANCE, WINDOW, day("2026-11-12"), 7.0, 7.0, 1),
        # no window: the 10:10 sample stands until 10:40 (11:00 is 50 minutes on)
        (INTO_MAINTENANCE, [], day("2026-11-12"), 40.0, 40.0, 1),
        # a window 10:20-10:40 inside the outage takes its 20 minutes out
        (INTO_MAINTENANCE, INSIDE_WINDOW, day("2026-11-12"), 20.0, 20.0, 1),
        (GAP, [], day("2026-11-13"), 30.0, 30.0, 1),
        (TWO_OUTAGES, [], day("2026-11-14"), 20.0, 10.0, 2),
    ],
)
def test_downtime_runs_from_the_first_failing_sample_to_the_first_good_one(
    points: list[tuple[str, str]],
    maintenance: list[tuple[str, str]],
    period: Period,
    downtime: float,
    longest: float,
    outages: int,
) -> None:
    found = figures(data(points, maintenance), period, NOW)
    assert (found.downtime_minutes, found.longest_minutes, found.outages) == (
        downtime,
        longest,
        outages,
    )


def test_samples_inside_maintenance_count_for_no_kind_and_no_downtime() -> None:
    points = [("2026-11-12T10:20:00Z", "down"), ("2026-11-12T10:25:00Z", "down")]
    found = figures(
        data(points, [("2026-11-12T10:00:00Z", "2026-11-12T11:00:00Z")]), day("2026-11-12"), NOW
    )
    assert (found.downtime_minutes, found.kinds, found.outages) == (0.0, (), 0)


def test_an_outage_still_going_lasts_until_now_at_most_as_far_as_its_last_sample_stands() -> None:
    points = [("2026-11-15T10:00:00Z", "down"), ("2026-11-15T10:05:00Z", "down")]
    now = t("2026-11-15T10:07:00Z")
    assert figures(data(points), day("2026-11-15"), now).downtime_minutes == 7.0
    later = t("2026-11-15T13:00:00Z")
    assert figures(data(points), day("2026-11-15"), later).downtime_minutes == 35.0


def test_mtbf_is_the_time_not_down_over_the_outages() -> None:
    found = figures(data(TWO_OUTAGES), day("2026-11-14"), NOW)
    assert found.mtbf_minutes == (24 * 60 - 20) / 2


def incident(
    started: str, resolved: str | None, auto: bool = False, opened: str | None = None
) -> Incident:
    updates = (Update(t(opened), "investigating", "x"),) if opened else ()
    return Incident(
        id="i",
        path=Path("i.md"),
        title="x",
        status="resolved" if resolved else "investigating",
        monitors=("api",),
        started=t(started),
        resolved=t(resolved) if resolved else None,
        auto=auto,
        updates=updates,
    )


def test_mttr_mttd_and_incident_counts_come_from_the_incidents_of_the_period() -> None:
    incidents = [
        # a person resolved it after 20 minutes though the samples stayed down for an hour
        incident("2026-11-12T10:00:00Z", "2026-11-12T10:20:00Z"),
        # auto: first failing sample 12:00, opened by the 12:10 run, resolved 12:40
        incident(
            "2026-11-12T12:00:00Z", "2026-11-12T12:40:00Z", auto=True, opened="2026-11-12T12:10:00Z"
        ),
        incident("2026-11-12T20:00:00Z", None),  # still open: counted, no repair time
        incident("2026-11-13T01:00:00Z", "2026-11-13T02:00:00Z"),  # another day
    ]
    found = figures(MonitorData(incidents=incidents), day("2026-11-12"), NOW)
    assert (found.incidents, found.mttr_minutes, found.mttd_minutes) == (3, 30.0, 10.0)
    assert figures(MonitorData(), day("2026-11-12"), NOW).mttr_minutes is None


def test_uptime_counts_samples_and_a_period_without_any_has_none() -> None:
    days = {
        date(2026, 11, 12): DayStats(up=90, degraded=5, down=5),
        date(2026, 11, 13): DayStats(up=100),
    }
    assert figures(MonitorData(days=days), day("2026-11-12", "2026-11-13"), NOW).uptime == 97.5
    assert figures(MonitorData(days=days), day("2026-11-20"), NOW).uptime is None


def test_kinds_count_down_and_degraded_samples_most_first() -> None:
    rows = {
        date(2026, 11, 12): reduce_day(
            [
                "2026-11-12T10:00:00Z",
                "2026-11-12T10:05:00Z",
                "2026-11-12T10:10:00Z",
                "2026-11-12T10:15:00Z",
            ],
            ["down", "down", "degraded", "down"],
            ["timeout", "http_5xx", "slow", "http_5xx"],
        )
    }
    found = figures(MonitorData(spans=rows), day("2026-11-12"), NOW)
    assert found.kinds == (("http_5xx", 2), ("timeout", 1), ("slow", 1))


def test_p50_and_p95_weigh_each_day_by_its_samples() -> None:
    days = {
        date(2026, 11, 12): DayStats(up=90, ms_count=90, ms_sum=9000, ms_p50=100, ms_p95=200),
        date(2026, 11, 13): DayStats(up=10, ms_count=10, ms_sum=5000, ms_p50=500, ms_p95=900),
    }
    found = figures(MonitorData(days=days), day("2026-11-12", "2026-11-13"), NOW)
    assert (found.p50_ms, found.p95_ms) == (100, 900)


@pytest.mark.parametrize(
    ("points", "runs"),
    [
        ([(0, "up"), (300, "down"), (600, "down"), (900, "up")], [(300, 600, 900)]),
        ([(0, "down"), (300, "down")], [(0, 300, None)]),
        ([(0, "down"), (7200, "down"), (7500, "up")], [(0, 0, 1800), (7200, 7200, 7500)]),
        ([(0, "up"), (300, "degraded")], []),
    ],
)
def test_down_runs_end_at_the_next_sample_or_where_the_last_one_stops_standing(
    points: list[tuple[int, str]], runs: list[tuple[int, int, int | None]]
) -> None:
    assert down_runs(points) == runs


def test_day_spans_read_back_from_their_rollup_fields() -> None:
    spans = DaySpans(
        10, True, ((10, 600, 900), (85800, 86100, None)), (("timeout", 3), ("slow", 1))
    )
    assert spans_fields(spans) == ("10", "1", "10-600-900;85800-86100-", "timeout:3 slow:1")
    assert parse_spans(*spans_fields(spans)) == spans
    assert parse_spans(*spans_fields(DaySpans())) == DaySpans()


def test_periods_are_whole_utc_days_cut_at_now() -> None:
    now = t("2026-12-01T06:00:00Z")
    assert period_days(now, 30) == Period("30d", date(2026, 11, 2), date(2026, 12, 1))
    assert [p.name for p in last_months(now, 3)] == ["2026-12", "2026-11", "2026-10"]
    assert month_period(2026, 12).last == date(2026, 12, 31)
    assert month_period(2026, 11).closed(now) and not month_period(2026, 12).closed(now)


@pytest.mark.parametrize(
    ("target", "used", "last_24h", "budget_minutes", "remaining", "burn", "state"),
    [
        (99.9, 10.0, 0.0, 43.2, 33.2, 0.0, "ok"),
        (99.9, 10.0, 2.88, 43.2, 33.2, 2.0, "burning"),
        (99.9, 50.0, 0.0, 43.2, -6.8, 0.0, "exhausted"),
        (99.0, 432.0, 14.4, 432.0, 0.0, 1.0, "exhausted"),
    ],
)
def test_the_error_budget_in_minutes_and_its_burn_rate(
    target: float,
    used: float,
    last_24h: float,
    budget_minutes: float,
    remaining: float,
    burn: float,
    state: str,
) -> None:
    found = budget(target, Figures(uptime=99.95, downtime_minutes=used), last_24h)
    assert (found.budget_minutes, found.remaining_minutes, found.burn_rate_24h, found.state) == (
        budget_minutes,
        remaining,
        burn,
        state,
    )


def test_the_burn_rate_reads_the_last_24_hours_across_midnight() -> None:
    assert recent_downtime(data(ACROSS_MIDNIGHT), t("2026-11-11T12:00:00Z")) == 15.0
    assert recent_downtime(data(ACROSS_MIDNIGHT), t("2026-11-12T00:05:00Z")) == 5.0


def test_a_day_file_reduces_per_monitor_as_each_monitors_rows_alone() -> None:
    from generator.store.spans import count_day
    from generator.store.tally import Columns, count

    rows = [
        ("2026-11-12T10:00:00Z", "api", "up", "", None, ""),
        ("2026-11-12T10:00:00Z", "db", "degraded", "", 200, "slow: 2500 ms > 2000 ms"),
        ("2026-11-12T10:05:00Z", "api", "down", "timeout", None, "timeout after 10 s"),
        ("2026-11-12T10:05:00Z", "db", "down", "", 503, "HTTP 503"),  # an older row: derived
        ("2026-11-12T10:10:00Z", "api", "up", "", None, ""),
        ("2026-11-12T10:10:00Z", "db", "degraded", "slow", None, "slow"),
    ]
    t, m, st, k, c, d = (list(col) for col in zip(*rows, strict=True))
    columns = Columns(t, m, ["ci"] * 6, st, [1] * 6, c, d, k)
    windows = {"db": [("2026-11-12T10:05:00Z", "2026-11-12T10:06:00Z")]}
    stats, found = count_day(columns, windows)
    assert stats == count(columns, windows)
    assert found["api"] == DaySpans(36000, False, ((36300, 36300, 36600),), (("timeout", 1),))
    assert found["db"] == DaySpans(36000, False, (), (("slow", 2),))  # 10:05 in maintenance
    quiet = count_day(columns, {})[1]
    assert quiet["db"] == DaySpans(
        36000, False, ((36300, 36300, 36600),), (("http_5xx", 1), ("slow", 2))
    )
    # without a down row the monitor's rows are not walked: the same spans
    only = Columns(*([col[1], col[5]] for col in (t, m, ["ci"] * 6, st, [1] * 6, c, d, k)))
    assert count_day(only, {})[1] == {"db": DaySpans(36000, False, (), (("slow", 2),))}
