"""Status and uptime math, as tables of cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from helpers import sample, utc

from generator import status
from generator.incidents import Incident

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Stats(NamedTuple):
    up: int = 0
    degraded: int = 0
    down: int = 0
    maintenance: int = 0


def incident(severity: str = "major", **fields: object) -> Incident:
    values: dict[str, object] = {
        "id": "2026-11-23-outage",
        "path": Path("incidents/2026-11-23-outage.md"),
        "title": "API outage",
        "severity": severity,
        "started": utc("2026-11-23T10:00"),
    }
    values.update(fields)
    return Incident(**values)  # type: ignore[arg-type]


def maintenance(start: str, end: str) -> Incident:
    return incident(
        type="maintenance", title="Upgrade", status="resolved", start=utc(start), end=utc(end)
    )


WINDOW = (utc("2026-11-23T11:00"), utc("2026-11-23T13:00"))


@pytest.mark.parametrize(
    ("latest", "severities", "windows", "expected"),
    [
        (None, [], [], "operational"),
        ("up", [], [], "operational"),
        ("degraded", [], [], "degraded_performance"),
        ("down", [], [], "major_outage"),
        ("up", ["minor"], [], "degraded_performance"),
        ("up", ["major"], [], "partial_outage"),
        ("up", ["critical"], [], "major_outage"),
        ("down", ["minor"], [], "major_outage"),
        ("degraded", ["major"], [], "partial_outage"),
        (None, ["minor", "critical"], [], "major_outage"),
        ("down", ["critical"], [WINDOW], "under_maintenance"),
        ("down", [], [(utc("2026-11-23T09:00"), NOW)], "major_outage"),  # end is exclusive
    ],
)
def test_component_status(
    latest: str | None, severities: list[str], windows: list[status.Window], expected: str
) -> None:
    newest = sample(status=latest, t=NOW) if latest else None
    opened = [incident(s) for s in severities]
    assert status.component_status(newest, opened, windows, NOW) == expected


@pytest.mark.parametrize(
    ("components", "severities", "expected"),
    [
        ([], [], ("none", "All Systems Operational")),
        (["operational", "operational"], [], ("none", "All Systems Operational")),
        (["operational", "degraded_performance"], [], ("minor", "Minor Service Outage")),
        (["partial_outage", "degraded_performance"], [], ("major", "Partial System Outage")),
        (["major_outage", "operational"], [], ("critical", "Major System Outage")),
        (["operational", "under_maintenance"], [], ("none", "Service Under Maintenance")),
        (["under_maintenance", "degraded_performance"], [], ("minor", "Minor Service Outage")),
        (["operational"], ["critical"], ("critical", "Major System Outage")),
        (["operational"], ["minor"], ("minor", "Minor Service Outage")),
    ],
)
def test_page_status(
    components: list[str], severities: list[str], expected: tuple[str, str]
) -> None:
    assert status.page_status(components, [incident(s) for s in severities]) == expected


@pytest.mark.parametrize(
    ("up", "degraded", "down", "expected"),
    [(0, 0, 0, None), (10, 0, 0, 100.0), (3, 1, 0, 100.0), (1, 1, 2, 50.0), (0, 0, 5, 0.0)],
)
def test_uptime(up: int, degraded: int, down: int, expected: float | None) -> None:
    assert status.uptime(up, degraded, down) == expected


def test_uptime_windows_use_whole_utc_days() -> None:
    today = NOW.date()
    days = {
        today: Stats(up=10),
        today - timedelta(days=6): Stats(down=10),
        today - timedelta(days=7): Stats(down=20),
        today - timedelta(days=89): Stats(up=40),
        today - timedelta(days=90): Stats(down=1000),
    }
    result = status.uptime_windows(days, None, NOW)
    assert result == {"24h": None, "7d": 50.0, "30d": 25.0, "90d": 62.5}
    assert status.uptime_windows(days, Stats(up=2, degraded=1, down=1), NOW)["24h"] == 75.0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "No data"),
        (100.0, "100%"),
        (99.999, "99.99%"),
        (99.5, "99.50%"),
        (0.0, "0.00%"),
        (200 / 3, "66.66%"),
    ],
)
def test_format_uptime_floors(value: float | None, text: str) -> None:
    assert status.format_uptime(value) == text


@pytest.mark.parametrize(
    ("stats", "incidents", "expected"),
    [
        (None, [], "no_data"),
        (Stats(), [], "no_data"),
        (Stats(up=288), [], "operational"),
        (Stats(up=280, degraded=8), [], "operational"),  # a few slow checks are normal
        (Stats(up=259, degraded=29), [], "degraded"),  # 10 % slow
        (Stats(up=287, down=1), [], "partial"),
        (Stats(up=200, down=88), [], "major"),
        (Stats(maintenance=12), [], "maintenance"),
        (Stats(up=276, maintenance=12), [], "maintenance"),
        (Stats(up=288), ["minor"], "degraded"),
        (Stats(up=288), ["major"], "partial"),
        (Stats(up=288), ["critical"], "major"),
        (None, ["critical"], "major"),
        (Stats(up=200, down=88), ["minor"], "major"),
    ],
)
def test_day_state(stats: Stats | None, incidents: list[str], expected: str) -> None:
    assert status.day_state(stats, [incident(s) for s in incidents]) == expected


def test_uptime_bar_has_one_mark_per_day_with_text() -> None:
    today = NOW.date()
    days = {today: Stats(up=99, down=1), today - timedelta(days=2): Stats(up=5)}
    outage = incident(
        "major",
        started=utc("2026-11-21T23:00"),
        resolved=utc("2026-11-22T01:00"),
        status="resolved",
    )
    works = maintenance("2026-11-23T02:00", "2026-11-23T03:00")
    future = maintenance("2026-11-30T02:00", "2026-11-30T03:00")
    marks = status.uptime_bar(days, [outage, works, future], NOW, count=4)
    assert [m.date for m in marks] == [date(2026, 11, d) for d in (20, 21, 22, 23)]
    assert [m.state for m in marks] == ["no_data", "partial", "partial", "partial"]
    assert [m.text for m in marks] == [
        "Nov 20: No data",
        "Nov 21: 100%, partial outage; API outage",
        "Nov 22: No data; API outage",
        "Nov 23: 99.00%, partial outage; Upgrade",
    ]
    assert status.bar_summary(marks) == "Last 4 days: 3 days partial outage, 1 day no data."


def test_open_incident_touches_every_day_until_now() -> None:
    open_one = incident("minor", started=utc("2026-11-20T08:00"))
    states = [m.state for m in status.uptime_bar({}, [open_one], NOW, count=5)]
    assert states == ["no_data", "degraded", "degraded", "degraded", "degraded"]


@pytest.mark.parametrize(
    ("age", "warning"),
    [
        (None, "no status data yet"),
        (timedelta(minutes=5), None),
        (timedelta(minutes=30), None),
        (timedelta(minutes=31), "status data is 31 min old"),
        (timedelta(hours=2), "status data is 2 h old"),
    ],
)
def test_staleness(age: timedelta | None, warning: str | None) -> None:
    newest = None if age is None else NOW - age
    assert status.staleness(newest, NOW) == warning


def test_state_labels_cover_every_state() -> None:
    for state in status.INCIDENT_STATES + status.MAINTENANCE_STATES:
        assert status.state_label(state) == state.replace("_", " ").capitalize()
    assert status.state_label("in_progress") == "In progress"
