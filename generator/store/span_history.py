"""What reliability figures read of the store: each monitor's day spans and day stats for a year.

Like history.py: finished days come from their rollup rows while those are fresh (counted
from the day file as it is now, under the maintenance windows of now) and hold spans; any
other day with a raw file is counted from it with the one reader, and so are the days of the
48-hour view, today's up to `now`. A compacted day is read from its rollup row as it is, and
a day upwatch recorded nothing for from the imported history (imported.py), if any.
The days the build's history.py counted from raw files come with their spans (`counted`),
so no file is read twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from .days import day_files, read_rows
from .imported import add_imported_spans
from .rollup import Sources, SpanTable, fresh, month_files, read_month
from .spans import DaySpans, count_day
from .tally import RECENT, DayTable, Windows, time_text, window_text

T = TypeVar("T")


def read_span_history(
    data_dir: Path,
    now: datetime,
    windows: Windows,
    first: date,
    known: DayTable,
    counted: Mapping[date, Mapping[str, DaySpans]] | None = None,
    covered_from: date | None = None,
) -> tuple[SpanTable, DayTable]:
    """Spans and day stats of every monitor for first..now's day.

    `known` (the build's day stats, history.py) stands for the days it holds, and `counted`
    for the spans of the days from `covered_from` on that history.py read (raw or rolled up).
    """
    counted = counted or {}
    last, recent = now.date(), (now - RECENT).date()
    covered = covered_from or last + timedelta(days=1)
    texts = window_text(windows)
    spans: SpanTable = {}
    table: DayTable = {}
    sources: Sources = {}
    older = covered - timedelta(days=1)
    for (year, month), path in month_files(data_dir, quiet=True).items():
        if (first.year, first.month) <= (year, month) <= (older.year, older.month):
            for monitor, days in read_month(path, [], sources, spans).items():
                table.setdefault(monitor, {}).update(days)
    for day, found in counted.items():
        _put_day(spans, day, found)
    files = day_files(data_dir, [])  # history.py reports refusals
    for day, path in files.items():
        if not first <= day <= last or day in counted:
            continue
        rows_of_day = sources.get(day, {})
        kept = fresh(rows_of_day, path, texts, day) and _spans_kept(spans, rows_of_day, day)
        if day < min(recent, covered) and kept:
            continue
        rows = read_rows(path, [], day).until(time_text(now))
        stats, day_spans = count_day(rows, texts)
        _put_day(spans, day, day_spans)
        if not any(day in days for days in known.values()):
            _put_day(table, day, stats)
    add_imported_spans(data_dir, spans, table, files, first, last, windows)
    spans = _in_range(spans, first, last)
    table = _in_range(table, first, min(last, older))
    return spans, _merged(table, known)


def _spans_kept(spans: SpanTable, monitors: Mapping[str, object], day: date) -> bool:
    """Whether every rollup row of the day has its spans (rows of older versions do not)."""
    return all(day in spans.get(m, {}) for m in monitors)


def _put_day(table: dict[str, dict[date, T]], day: date, found: Mapping[str, T]) -> None:
    """One day of every monitor from its raw file, replacing whatever the rollups said."""
    for monitor_days in table.values():
        monitor_days.pop(day, None)
    for monitor, value in found.items():
        table.setdefault(monitor, {})[day] = value


def _in_range(table: dict[str, dict[date, T]], first: date, last: date) -> dict[str, dict[date, T]]:
    return {
        m: dict(sorted((d, v) for d, v in days.items() if first <= d <= last))
        for m, days in sorted(table.items())
    }


def _merged(table: DayTable, known: DayTable) -> DayTable:
    """The rollups' day stats with the build's own for the days it read."""
    merged = {m: dict(days) for m, days in table.items()}
    for monitor, days in known.items():
        merged.setdefault(monitor, {}).update(days)
    return merged
