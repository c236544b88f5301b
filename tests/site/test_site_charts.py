"""Chart geometry: scales, paths with gaps, hourly and daily slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from generator.site import charts

NOW = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [
        (0, 10),
        (10, 10),
        (11, 20),
        (180, 200),
        (201, 500),
        (999, 1000),
        (1001, 2000),
        (12000, 20000),
    ],
)
def test_nice_ceiling(value: int, ceiling: int) -> None:
    assert charts.nice_ceiling(value) == ceiling


@pytest.mark.parametrize(
    ("values", "d"),
    [
        ([], ""),
        ([5], ""),
        ([0, 10], "M0 10L10 0"),
        ([0, None, 10], "M0 10M10 0"),
        ([10, 5, None, 0, 20], "M0 0L2 5M8 10L10 0"),  # above the top is drawn at the top
    ],
)
def test_path_breaks_at_gaps(values: list[int | None], d: str) -> None:
    assert charts.path(values, 10, 10, 10) == d


def test_sparkline_is_the_last_24_hours() -> None:
    hour = NOW.replace(minute=0)
    assert charts.sparkline([(hour, 100, 100)], NOW) == ""
    old = [(hour - timedelta(hours=24), 999, 999), (hour - timedelta(hours=30), 999, 999)]
    assert charts.sparkline([*old, (hour, 100, 100)], NOW) == ""
    recent = [(hour - timedelta(hours=23), 100, 150), (hour, 200, 300)]
    assert charts.sparkline(recent, NOW) == "M0 11M96 0"


def test_hourly_chart_places_hours_and_summarises() -> None:
    first = NOW.replace(minute=0) - timedelta(hours=47)
    hourly = [
        (first - timedelta(hours=1), 999, 999),  # before the window: ignored
        (first, 100, 300),
        (first + timedelta(hours=47), 200, 400),
    ]
    chart = charts.hourly_chart(hourly, NOW)
    assert chart.top == 500
    assert chart.p50 == "M0 128M720 96"
    assert chart.summary == (
        "Last 48 hours, per hour: typical median 200 ms, highest hourly p95 400 ms, "
        "2 of 48 hours measured."
    )


def test_empty_chart_says_so() -> None:
    chart = charts.hourly_chart([], NOW)
    assert chart.empty
    assert chart.summary == "Last 48 hours, per hour: no response times measured."
