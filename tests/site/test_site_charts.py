"""Chart geometry: scales, paths with gaps, hourly and daily slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from site_repo import write_repo

from generator.cli import main
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
        "2 of 48 hours measured; scale 0 to 500 ms."
    )
    assert chart.threshold is None
    assert chart.degraded_ms is None


def test_empty_chart_says_so() -> None:
    chart = charts.hourly_chart([], NOW)
    assert chart.empty
    assert chart.summary == "Last 48 hours, per hour: no response times measured."


@pytest.mark.parametrize(
    ("worst", "degraded_ms", "top"),
    [
        (0, None, 10),
        (400, None, 500),  # 480 with headroom
        (420, None, 1000),  # 504: the p95 line is never at the very top
        (500, None, 1000),
        (180, None, 500),  # 216
        (100, 250, 500),  # the drawn degraded line is covered too (300)
        (100, 299, 500),  # just below 3x: drawn, 358.8 -> 500
        (100, 300, 200),  # 3x is off the scale: only the p95 counts (120)
        (1500, 2000, 5000),  # 2400
        (1500, 800, 2000),  # below the highest p95: the p95 sets the scale (1800)
    ],
)
def test_scale_top_has_headroom(worst: int, degraded_ms: int | None, top: int) -> None:
    assert charts.scale_top(worst, degraded_ms) == top
    assert top >= worst * charts.HEADROOM


@pytest.mark.parametrize(
    ("worst", "degraded_ms", "drawn"),
    [(100, 100, True), (100, 299, True), (100, 300, False), (100, 5000, False), (0, 1, False)],
)
def test_shows_threshold_below_three_times_the_highest_p95(
    worst: int, degraded_ms: int, drawn: bool
) -> None:
    assert charts.shows_threshold(worst, degraded_ms) is drawn


@pytest.mark.parametrize(
    ("ms", "top", "y", "percent", "label"),
    [
        (500, 500, 0, 0.0, "500 ms"),
        (250, 500, 80, 50.0, "250 ms"),
        (300, 500, 64, 40.0, "300 ms"),
        (2000, 5000, 96, 60.0, "2000 ms"),
        (1, 3, 107, 66.88, "1 ms"),
    ],
)
def test_level_places_a_line(ms: int, top: int, y: int, percent: float, label: str) -> None:
    line = charts.level(ms, top)
    assert (line.ms, line.y, line.percent, line.label) == (ms, y, percent, label)


@pytest.mark.parametrize(
    ("top", "labels", "ys"),
    [(10, ["10 ms", "5 ms"], [0, 80]), (500, ["500 ms", "250 ms"], [0, 80])],
)
def test_both_gridlines_are_labelled(top: int, labels: list[str], ys: list[int]) -> None:
    lines = charts.gridlines(top)
    assert [g.label for g in lines] == labels
    assert [g.y for g in lines] == ys


def _hourly(*pairs: tuple[int, int]) -> list[tuple[datetime, int, int]]:
    first = NOW.replace(minute=0) - timedelta(hours=len(pairs) - 1)
    return [(first + timedelta(hours=i), p50, p95) for i, (p50, p95) in enumerate(pairs)]


def test_p95_line_stays_below_the_top_edge() -> None:
    chart = charts.hourly_chart(_hourly((100, 200), (150, 500)), NOW)
    assert chart.top == 1000
    assert chart.p95.endswith("L720 80")  # 500 ms at half height, not clipped at y=0
    assert [g.label for g in chart.gridlines] == ["1000 ms", "500 ms"]


def test_degraded_line_is_drawn_and_described() -> None:
    chart = charts.hourly_chart(_hourly((100, 200), (150, 250)), NOW, degraded_ms=300)
    assert chart.top == 500
    assert chart.threshold == charts.Level(300, 64, 40.0)
    assert chart.summary == (
        "Last 48 hours, per hour: typical median 150 ms, highest hourly p95 250 ms, "
        "2 of 48 hours measured; scale 0 to 500 ms. Degraded above 300 ms (the dotted line)."
    )


def test_far_degraded_threshold_is_named_not_drawn() -> None:
    chart = charts.hourly_chart(_hourly((100, 200), (150, 250)), NOW, degraded_ms=2000)
    assert chart.top == 500
    assert chart.threshold is None
    assert chart.degraded_ms == 2000
    assert chart.summary.endswith(
        "scale 0 to 500 ms. Degraded above 2000 ms (above this chart's scale)."
    )


@pytest.mark.parametrize(
    ("degraded_ms", "text"),
    [
        (None, ""),
        (300, " Degraded above 300 ms (the dotted line)."),
    ],
)
def test_threshold_text(degraded_ms: int | None, text: str) -> None:
    assert charts.threshold_text(degraded_ms, drawn=True) == text


def test_monitor_page_draws_labelled_gridlines_and_the_degraded_line(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    result = CliRunner().invoke(
        main, ["build", "--config", str(config), "--now", "2026-11-23T12:00:00Z"]
    )
    assert result.exit_code == 0, result.output
    # evil: one sample of 2500 ms, the default degraded_ms of 2000 is within the scale
    evil = (tmp_path / "site/monitors/evil.html").read_text(encoding="utf-8")
    assert evil.count('<span class="ymax">5000 ms</span>') == 2
    assert evil.count('<span class="ymax at" style="top:50.0%">2500 ms</span>') == 2
    assert 'class="ymax at limit-label" style="top:60.0%">degraded above' in evil
    assert "transform:" not in evil and "stroke-dasharray" not in evil  # styles are classes
    assert evil.count(">degraded above 2000 ms</span>") == 2
    assert evil.count('<path class="limit" d="M0 96H720"') == 2
    assert evil.count('<path class="grid" d="M0 0H720"/><path class="grid" d="M0 80H720"/>') == 2
    assert "scale 0 to 5000 ms. Degraded above 2000 ms (the dotted line).</title>" in evil
    # api: 100 ms against 2000 ms: named in text, not drawn
    api = (tmp_path / "site/monitors/api.html").read_text(encoding="utf-8")
    assert 'class="limit"' not in api
    assert api.count("<span>degraded above 2000 ms (off this scale)</span>") == 2
    assert api.count("Degraded above 2000 ms (above this chart&#39;s scale).</title>") == 2
