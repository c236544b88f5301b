"""Imported spans (data/imported/*.csv) as day figures: 5-minute slots, no invented samples."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from generator.store.imported import (
    COLUMNS,
    Span,
    add_imported,
    imported_day_spans,
    imported_days,
    imported_dir,
    read_spans,
    write_spans,
)
from generator.store.spans import DaySpans
from generator.store.tally import DayStats


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def span(start: str, end: str, status: str = "up", ms: int | None = None) -> Span:
    return Span("api", "upptime", t(start), t(end), status, ms)


D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        # a whole day up: 288 slots
        ([span("2026-03-01T00:00", "2026-03-02T00:00")], {D1: DayStats(up=288)}),
        # a slot counts with the status in force at its start: 00:00:01 misses the 00:00 slot
        ([span("2026-03-01T00:00:01", "2026-03-01T00:10")], {D1: DayStats(up=1)}),
        # down 06:00-12:00 in a day up: 72 of 288 slots
        (
            [
                span("2026-03-01T00:00", "2026-03-01T06:00"),
                span("2026-03-01T06:00", "2026-03-01T12:00", "down"),
                span("2026-03-01T12:00", "2026-03-02T00:00"),
            ],
            {D1: DayStats(up=216, down=72)},
        ),
        # a span over midnight splits at it; ms counts on the day of the record
        (
            [span("2026-03-01T23:00", "2026-03-02T01:00", "degraded", ms=2500)],
            {
                D1: DayStats(degraded=12, ms_count=1, ms_sum=2500, ms_p50=2500, ms_p95=2500),
                D2: DayStats(degraded=12),
            },
        ),
        # a span shorter than a slot that holds no slot start counts nothing
        ([span("2026-03-01T10:01", "2026-03-01T10:04", "down")], {}),
    ],
)
def test_spans_become_slots(spans: list[Span], expected: dict[date, DayStats]) -> None:
    assert imported_days(spans, [], D1, D2) == expected


def test_slots_in_a_maintenance_window_count_as_maintenance() -> None:
    windows = [
        (t("2026-03-01T10:00"), t("2026-03-01T11:00")),
        (t("2026-03-01T10:30"), t("2026-03-01T12:00")),
    ]
    got = imported_days([span("2026-03-01T00:00", "2026-03-02T00:00", "down")], windows, D1, D1)
    assert got == {D1: DayStats(down=264, maintenance=24)}


def test_only_the_days_asked_for() -> None:
    got = imported_days([span("2026-02-27T00:00", "2026-03-03T00:00")], [], D1, D1)
    assert got == {D1: DayStats(up=288)}


def test_days_upwatch_recorded_are_not_imported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_spans(imported_dir(data) / "upptime.csv", [span("2026-03-01T00:00", "2026-03-04T00:00")])
    table = {"db": {D2: DayStats(up=3)}}  # a rollup row of another monitor that day
    add_imported(data, table, [date(2026, 3, 3)], D1, date(2026, 3, 4), {})
    assert table == {"db": {D2: DayStats(up=3)}, "api": {D1: DayStats(up=288)}}


def test_write_then_read_gives_the_same_spans_and_bytes(tmp_path: Path) -> None:
    spans = [
        span("2026-03-01T12:00", "2026-03-02T00:00", "down", 300),
        span("2026-03-01T00:00", "2026-03-01T12:00"),
    ]
    path = imported_dir(tmp_path) / "upptime.csv"
    write_spans(path, spans)
    first = path.read_bytes()
    assert read_spans(tmp_path) == sorted(spans, key=lambda s: s.start)
    write_spans(path, reversed(spans))
    assert path.read_bytes() == first
    assert (
        first.decode().splitlines()[1]
        == "api,upptime,2026-03-01T00:00:00Z,2026-03-01T12:00:00Z,up,,"
    )


def test_bad_lines_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = imported_dir(tmp_path) / "upptime.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "monitor,location,start,end,status,ms,code\n"
        "api,upptime,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,up,,\n"
        "api,upptime,2026-03-01T02:00:00Z,2026-03-01T01:00:00Z,up,,\n"
        "api,upptime,2026-03-01T02:00:00Z,2026-03-01T03:00:00Z,sideways,,\n",
        encoding="utf-8",
    )
    problems: list = []
    assert len(read_spans(tmp_path, problems)) == 1
    assert [(p.line, p.message) for p in problems] == [
        (3, "end: before start; skipped"),
        (4, "status: 'sideways' is not up, degraded or down; skipped"),
    ]


def down(start: str, end: str, code: int | None = None) -> Span:
    return Span("api", "upptime", t(start), t(end), "down", None, code)


@pytest.mark.parametrize(
    ("spans", "windows", "expected"),
    [
        # down 10:00-10:30 (6 slots, no code: unreachable) in a day up
        (
            [
                span("2026-03-01T00:00", "2026-03-01T10:00"),
                down("2026-03-01T10:00", "2026-03-01T10:30"),
                span("2026-03-01T10:30", "2026-03-02T00:00"),
            ],
            [],
            {D1: DaySpans(0, False, ((36000, 37500, 37800),), (("connect", 6),))},
        ),
        # three hours down with HTTP 503: one run, its points never 30 minutes apart
        (
            [
                down("2026-03-01T10:00", "2026-03-01T13:00", 503),
                span("2026-03-01T13:00", "2026-03-01T14:00"),
            ],
            [],
            {D1: DaySpans(36000, True, ((36000, 46500, 46800),), (("http_5xx", 36),))},
        ),
        # down from 23:00 across midnight to 01:00: open at the first day's end, then goes on
        (
            [
                down("2026-03-01T23:00", "2026-03-02T01:00"),
                span("2026-03-02T01:00", "2026-03-02T02:00"),
            ],
            [],
            {
                D1: DaySpans(82800, True, ((82800, 86100, None),), (("connect", 12),)),
                D2: DaySpans(0, True, ((0, 3300, 3600),), (("connect", 12),)),
            },
        ),
        # maintenance 10:00-10:15 takes the outage's first three slots out
        (
            [
                span("2026-03-01T09:00", "2026-03-01T10:00"),
                down("2026-03-01T10:00", "2026-03-01T10:30"),
                span("2026-03-01T10:30", "2026-03-01T11:00"),
            ],
            [(t("2026-03-01T10:00"), t("2026-03-01T10:15"))],
            {D1: DaySpans(32400, False, ((36900, 37500, 37800),), (("connect", 3),))},
        ),
        # no record for two hours after an outage: it ended unseen, 30 minutes after its last slot
        (
            [
                down("2026-03-01T09:00", "2026-03-01T10:00"),
                span("2026-03-01T12:00", "2026-03-01T13:00"),
            ],
            [],
            {D1: DaySpans(32400, True, ((32400, 35700, 37500),), (("connect", 12),))},
        ),
    ],
)
def test_imported_spans_become_day_spans_of_their_slots(
    spans: list[Span], windows: list[tuple[datetime, datetime]], expected: dict[date, DaySpans]
) -> None:
    assert imported_day_spans(spans, windows, D1, D2) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"monitor,start\napi,2026-03-01T00:00:00Z\n",
            (1, "missing columns: location, end, status, ms, code; not read"),
        ),
        (b"\xff\xfem\x00o\x00", (1, "UTF-16 text (save the file as UTF-8); not read")),
    ],
)
def test_upwatch_check_says_which_imported_file_it_cannot_read(
    tmp_path: Path, content: bytes, expected: tuple[int, str]
) -> None:
    from generator.store.compaction import check_data

    path = imported_dir(tmp_path / "data") / "upptime.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    unread, skipped = check_data(tmp_path / "data")
    assert [(p.path, p.line, p.message) for p in unread] == [(str(path), *expected)]
    assert skipped == []


def test_a_short_or_garbled_imported_line_is_skipped_with_its_number(tmp_path: Path) -> None:
    from generator.store.compaction import check_data

    path = imported_dir(tmp_path / "data") / "upptime.csv"
    path.parent.mkdir(parents=True)
    good = "api,upptime,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,up,,"
    path.write_bytes(f"{','.join(COLUMNS)}\n{good}\n\x00\napi,upptime\n".encode())
    assert len(read_spans(tmp_path / "data", [])) == 1
    unread, skipped = check_data(tmp_path / "data")
    assert unread == []
    assert [(p.line, p.message) for p in skipped] == [
        (3, "1 of 7 fields; skipped"),
        (4, "2 of 7 fields; skipped"),
    ]
