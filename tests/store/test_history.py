"""store.load_history: per-day stats, recent samples, latest and hourly figures from day files."""

from __future__ import annotations

import logging
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from generator.store.days import HEADER, Sample, append_samples, read_samples, sample_key
from generator.store.history import read_history as load_history
from generator.store.tally import DayStats, Tally, percentile

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
NO_WINDOWS: dict[str, list[tuple[datetime, datetime]]] = {}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


KIND = {"up": "", "degraded": "slow", "down": "connect"}  # as the probe writes them


def sample(t: str, status: str = "up", ms: int | None = 100, monitor: str = "api") -> Sample:
    return Sample(at(t), monitor, "ci", status, ms, 200 if ms else None, kind=KIND[status])


def write_day(data: Path, day: str, body: str) -> Path:
    data.mkdir(exist_ok=True)
    path = data / f"{day}.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("values", "p50", "p95"),
    [
        ([7], 7, 7),
        ([100, 200], 100, 200),
        ([100, 200, 300], 200, 300),
        (list(range(1, 21)), 10, 19),
        (list(range(1, 101)), 50, 95),
        (list(range(1, 102)), 51, 96),
    ],
)
def test_percentiles_are_nearest_rank(values: list[int], p50: int, p95: int) -> None:
    assert (percentile(values, 50), percentile(values, 95)) == (p50, p95)


@pytest.mark.parametrize(
    ("stats", "samples", "avg", "uptime"),
    [
        (DayStats(), 0, None, None),
        (DayStats(maintenance=5, ms_count=5, ms_sum=500), 0, 100, None),
        (DayStats(up=3, degraded=1, ms_count=4, ms_sum=402), 4, 100, 100.0),
        (DayStats(up=1, down=3, ms_count=4, ms_sum=10), 4, 2, 25.0),
        (DayStats(up=2, ms_count=2, ms_sum=5), 2, 2, 100.0),  # round half to even
        (DayStats(up=1, degraded=1, down=1), 3, None, 200 / 3),
    ],
)
def test_day_stats_properties(
    stats: DayStats, samples: int, avg: int | None, uptime: float | None
) -> None:
    assert (stats.samples, stats.avg_ms, stats.uptime) == (samples, avg, uptime)


def test_counts_percentiles_and_days_with_samples_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    append_samples(
        data,
        [
            sample("2026-11-20T10:00", "up", 100),
            sample("2026-11-20T10:05", "degraded", 2500),
            sample("2026-11-20T10:10", "down", None),
            sample("2026-11-20T10:15", "down", 10000),
            sample("2026-11-20T10:20", "up", 300),
            sample("2026-11-22T08:00", "up", 50, monitor="db"),
        ],
    )
    days = load_history(data, NOW, NO_WINDOWS).days
    assert days == {
        "api": {date(2026, 11, 20): DayStats(2, 1, 2, 0, 4, 12900, 300, 10000)},
        "db": {date(2026, 11, 22): DayStats(1, 0, 0, 0, 1, 50, 50, 50)},
    }


def test_maintenance_window_counts_apart_start_included_end_excluded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    times = ["01:55", "02:00", "03:55", "04:00"]
    append_samples(data, [sample(f"2026-11-22T{t}", "down", 10) for t in times])
    append_samples(data, [sample(f"2026-11-22T{t}", "down", 10, monitor="db") for t in times])
    windows = {"api": [(at("2026-11-22T02:00"), at("2026-11-22T04:00"))]}
    days = load_history(data, NOW, windows).days
    assert days["api"][date(2026, 11, 22)] == DayStats(0, 0, 2, 2, 4, 40, 10, 10)
    assert days["db"][date(2026, 11, 22)] == DayStats(0, 0, 4, 0, 4, 40, 10, 10)


def test_window_with_fractions_of_a_second_compares_like_times(tmp_path: Path) -> None:
    data = tmp_path / "data"
    append_samples(data, [sample("2026-11-22T02:00:00"), sample("2026-11-22T02:00:01")])
    start = at("2026-11-22T02:00:00.500000")
    days = load_history(data, NOW, {"api": [(start, start + timedelta(hours=1))]}).days
    assert days["api"][date(2026, 11, 22)] == DayStats(1, 0, 0, 1, 2, 200, 100, 100)


def test_union_merged_duplicates_count_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rows = '2026-11-22T10:00:00Z,api,ci,up,100,200,\n2026-11-22T10:05:00Z,api,ci,down,,,"a, b"\n'
    # Two runs that both created the file: union merge keeps both headers and every line twice.
    write_day(data, "2026-11-22", rows + HEADER + rows)
    result = load_history(data, NOW, NO_WINDOWS)
    assert result.days["api"][date(2026, 11, 22)] == DayStats(1, 0, 1, 0, 1, 100, 100, 100)
    assert result.recent["api"] == read_samples(data, NOW - timedelta(hours=48), NOW)


def test_samples_after_now_are_ignored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    append_samples(data, [sample("2026-11-23T11:55"), sample("2026-11-23T12:00", "down")])
    append_samples(data, [sample("2026-11-23T12:00:01", "down"), sample("2026-11-24T00:00")])
    result = load_history(data, NOW, NO_WINDOWS)
    assert result.days == {"api": {TODAY: DayStats(1, 0, 1, 0, 2, 200, 100, 100)}}
    assert result.latest["api"] == sample("2026-11-23T12:00", "down")
    assert [s.time for s in result.recent["api"]] == [at("2026-11-23T11:55"), NOW]


def test_only_the_days_asked_for_are_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    append_samples(data, [sample("2026-08-25T10:00"), sample("2026-08-26T10:00")])
    days = load_history(data, NOW, NO_WINDOWS).days  # 90 days: Aug 26 .. Nov 23
    assert list(days["api"]) == [date(2026, 8, 26)]
    assert load_history(data, NOW, NO_WINDOWS, days=7).days == {}


def test_recent_is_48_hours_sorted_and_hourly_has_p50_and_p95(tmp_path: Path) -> None:
    data = tmp_path / "data"
    older = [sample("2026-11-21T11:59:59"), sample("2026-11-21T12:00", ms=40)]
    hour = [sample(f"2026-11-23T10:{m:02d}", ms=ms) for m, ms in ((20, 30), (10, 20), (0, 10))]
    hour.append(sample("2026-11-23T10:30", "down", None))
    append_samples(data, [*older, *hour])
    result = load_history(data, NOW, NO_WINDOWS)
    assert result.recent["api"] == sorted([older[1], *hour], key=sample_key)
    assert result.hourly["api"] == [
        (at("2026-11-21T12:00"), 40, 40),
        (at("2026-11-23T10:00"), 20, 30),
    ]


def test_latest_is_the_newest_sample_even_older_than_48_hours(tmp_path: Path) -> None:
    data = tmp_path / "data"
    append_samples(
        data,
        [
            sample("2026-11-10T09:00", "up", monitor="db"),
            sample("2026-11-10T09:05", "down", None, monitor="db"),
            sample("2026-11-23T11:00"),
        ],
    )
    result = load_history(data, NOW, NO_WINDOWS)
    assert result.latest == {
        "api": sample("2026-11-23T11:00"),
        "db": sample("2026-11-10T09:05", "down", None, monitor="db"),
    }
    assert "db" not in result.recent
    assert "db" not in result.hourly


def test_columns_are_read_by_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "2026-11-22.csv").write_text(
        "monitor,status,time,ms\napi,up,2026-11-22T10:00:00Z,120\napi,down,2026-11-22T10:05:00Z,\n",
        encoding="utf-8",
    )
    result = load_history(data, NOW, NO_WINDOWS)
    assert result.days["api"][date(2026, 11, 22)] == DayStats(1, 0, 1, 0, 1, 120, 120, 120)
    assert result.recent["api"][0] == Sample(at("2026-11-22T10:00"), "api", "default", "up", 120)


def test_malformed_lines_are_reported_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    write_day(
        tmp_path / "data",
        "2026-11-20",
        "2026-11-20T10:00:00Z,api,ci,up,100,200,\n"
        "2026-11-20T10:05:00Z,api,ci,sideways,100,200,\n"
        "2026-11-20T10:10:00Z,api,ci,up,fast,200,\n"
        "2026-11-20T10:15:00Z,api,ci,up,100\n"
        "2026-11-21T10:20:00Z,api,ci,up,100,200,\n"
        "yesterday,api,ci,up,100,200,\n"
        "2026-11-20T10:25:00Z,,ci,up,100,200,\n",
    )
    with caplog.at_level(logging.WARNING):
        days = load_history(tmp_path / "data", NOW, NO_WINDOWS).days
    assert days == {"api": {date(2026, 11, 20): DayStats(1, 0, 0, 0, 1, 100, 100, 100)}}
    assert sorted(caplog.messages) == [
        "data/2026-11-20.csv:3: status must be up, degraded or down, not 'sideways' (line skipped)",
        "data/2026-11-20.csv:4: ms must be a whole number from 0 to 86400000, not 'fast' (line skipped)",
        "data/2026-11-20.csv:5: expected 7 fields, found 5 (line skipped)",
        "data/2026-11-20.csv:6: time 2026-11-21T10:20:00Z is not on 2026-11-20, the day of this file (line skipped)",
        "data/2026-11-20.csv:7: Invalid isoformat string: 'yesterday' (line skipped)",
        "data/2026-11-20.csv:8: monitor is empty (line skipped)",
    ]


def reference_days(data: Path, windows: dict[str, list[tuple[datetime, datetime]]]) -> dict:  # type: ignore[type-arg]
    """The same figures the slow, obvious way: every Sample through the raw reader."""
    tallies: dict[str, dict[date, Tally]] = {}
    for s in read_samples(data, end=NOW + timedelta(seconds=1)):
        tally = tallies.setdefault(s.monitor, {}).setdefault(s.day, Tally())
        inside = any(start <= s.time < end for start, end in windows.get(s.monitor, []))
        tally.kinds[3 if inside else ("up", "degraded", "down").index(s.status)] += 1
        if s.ms is not None:
            tally.ms.append(s.ms)
    return {m: {d: t.stats() for d, t in sorted(days.items())} for m, days in tallies.items()}


def random_samples(rng: random.Random, days: int) -> list[Sample]:
    samples = []
    for n in range(days * 48):
        t = NOW - timedelta(minutes=30 * n + rng.randrange(30))
        for monitor in ("api", "db", "web"):
            status = rng.choice(["up", "up", "up", "degraded", "down"])
            ms = None if rng.random() < 0.1 else rng.randrange(1, 5000)
            detail = rng.choice(["", "timeout, retried", 'said "no"'])
            place = rng.choice(["ci", "eu"])
            samples.append(Sample(t, monitor, place, status, ms, None, detail, KIND[status]))
    return samples


def test_agrees_with_the_raw_reader_on_random_data(tmp_path: Path) -> None:
    rng = random.Random(7)
    data = tmp_path / "data"
    samples = random_samples(rng, 12)
    append_samples(data, samples)
    append_samples(data, rng.sample(samples, 200))  # duplicates, as a union merge leaves them
    windows = {"db": [(NOW - timedelta(days=5, hours=3), NOW - timedelta(days=4))]}
    result = load_history(data, NOW, windows)
    assert result.days == reference_days(data, windows)
    expected = read_samples(data, NOW - timedelta(hours=48), NOW + timedelta(seconds=1))
    assert [s for m in sorted(result.recent) for s in result.recent[m]] == sorted(
        expected, key=lambda s: (s.monitor, s.time, s.location, s.status, s.ms or -1, s.detail)
    )


def test_windows_line_ends_stray_quotes_and_empty_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Every row is written on one line, so a quote left open ends with its line: it costs
    # that row's tail (and the next line, which is no row), never every row after it.
    data = tmp_path / "data"
    write_day(data, "2026-11-19", "")
    (data / "2026-11-18.csv").write_text("", encoding="utf-8")
    crlf = "2026-11-20T10:00:00Z,api,ci,up,100,200,\n2026-11-20T10:05:00Z,api,ci,up,300,200,\n"
    (data / "2026-11-20.csv").write_bytes((HEADER + crlf).replace("\n", "\r\n").encode())
    write_day(
        data,
        "2026-11-21",
        '2026-11-21T13:00:00Z,api,ci,down,,,"two\nlines"\n2026-11-21T13:05:00Z,api,ci,up,,,\n',
    )
    result = load_history(data, NOW, NO_WINDOWS)
    assert result.days == {
        "api": {
            date(2026, 11, 20): DayStats(2, 0, 0, 0, 2, 400, 100, 300),
            date(2026, 11, 21): DayStats(up=1, down=1),
        }
    }
    assert result.recent["api"][0].detail == "two"
    assert [m.rsplit("/", 1)[-1] for m in caplog.messages] == [
        "2026-11-21.csv:3: expected 7 fields, found 1 (line skipped)"
    ]
    assert [s.detail for s in read_samples(data)][-2:] == ["two", ""]


def test_no_data_folder_yet_is_an_empty_history(tmp_path: Path) -> None:
    result = load_history(tmp_path / "data", NOW, NO_WINDOWS)
    assert (result.days, result.recent, result.latest, result.hourly) == ({}, {}, {}, {})


def test_recent_samples_are_in_order_when_the_file_is_not(tmp_path: Path) -> None:
    """Two locations at one time, a row out of time order and one sample on two lines."""
    data = tmp_path / "data"
    write_day(
        data,
        "2026-11-23",
        "2026-11-23T10:05:00Z,api,us,up,120,200,\n"
        "2026-11-23T10:05:00Z,api,eu,up,110,200,\n"
        "2026-11-23T10:00:00Z,api,eu,up,100,200,\n"
        "2026-11-23T10:00:00+00:00,api,eu,up,100,200,\n",
    )
    recent = load_history(data, NOW, NO_WINDOWS).recent["api"]
    assert recent == sorted(recent, key=sample_key)
    assert [(s.time.minute, s.location) for s in recent] == [(0, "eu"), (5, "eu"), (5, "us")]


def test_rolling_24_hours_count_from_its_edge_to_now_without_maintenance(tmp_path: Path) -> None:
    data = tmp_path / "data"
    append_samples(
        data,
        [
            sample("2026-11-22T11:55", "down"),  # 24 h 5 min ago: outside
            sample("2026-11-22T12:00"),  # 24 h ago exactly: the edge counts
            sample("2026-11-23T09:00", "down"),
            sample("2026-11-23T10:00", "degraded"),
            sample("2026-11-23T11:30", "down"),  # in maintenance
            sample("2026-11-23T12:05", "down"),  # after now
        ],
    )
    window = (at("2026-11-23T11:00"), at("2026-11-23T12:00"))
    result = load_history(data, NOW, {"api": [window]})
    assert result.last_24h["api"] == DayStats(1, 1, 1, 1, 4, 400, 100, 100)
    assert load_history(data, NOW + timedelta(days=3), NO_WINDOWS).last_24h == {}


def test_hourly_figures_are_per_utc_hour_of_the_last_48_hours(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old = [sample("2026-11-21T11:00", ms=1)]  # before the 48 hours
    hour = [sample(f"2026-11-22T23:{m:02d}", ms=m + 1) for m in range(0, 60, 5)]
    late = [sample("2026-11-23T00:00", ms=7), sample("2026-11-23T00:05", "down", ms=None)]
    append_samples(data, [*old, *hour, *late, sample("2026-11-23T00:05", ms=9, monitor="db")])
    result = load_history(data, NOW, NO_WINDOWS).hourly
    assert result == {
        "api": [(at("2026-11-22T23:00"), 26, 56), (at("2026-11-23T00:00"), 7, 7)],
        "db": [(at("2026-11-23T00:00"), 9, 9)],
    }
