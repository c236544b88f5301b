"""Day statistics and the rollup files that keep them once day files are compacted.

`upwatch compact` reduces each old day file to one row per monitor in data/rollup/YYYY-MM.csv:

    day,monitor,up,degraded,down,maintenance,ms_count,ms_sum,ms_p50,ms_p95
    2026-08-01,api,285,2,1,0,288,52345,182,410

These are exactly the figures the site shows for a day (`DayStats`), so a page built from
rollups is identical to one built from the raw files. The maintenance split is the one known
when the day was compacted: a maintenance file written later does not change a rolled day.
Rows of days older than FOLD_AFTER_DAYS are folded into data/rollup/months.csv, one row per
monitor per month (counts and sums; the percentiles are dropped), so data/ stays small: about
20 monitors x 365 rows x 45 bytes = 330 KB a year of day rows, then 11 KB a year of months.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROLLUP_DIR = "rollup"
COLUMNS = (
    "day",
    "monitor",
    "up",
    "degraded",
    "down",
    "maintenance",
    "ms_count",
    "ms_sum",
    "ms_p50",
    "ms_p95",
)
MONTH_COLUMNS = ("month", "monitor", "up", "degraded", "down", "maintenance", "ms_count", "ms_sum")
MONTH_FILE_RE = re.compile(r"^(\d{4})-(\d{2})\.csv$")
MONTHS_FILE = "months.csv"
LATEST_FILE = "latest.csv"
FOLD_AFTER_DAYS = 400


@dataclass(frozen=True, slots=True)
class DayStats:
    """One monitor's samples of one UTC day, reduced to what the site shows."""

    up: int = 0  # counted samples outside maintenance
    degraded: int = 0
    down: int = 0
    maintenance: int = 0  # samples inside a maintenance window of that monitor
    ms_count: int = 0  # samples with a measured ms (all four kinds above)
    ms_sum: int = 0  # exact integer sum -> avg_ms = round(ms_sum / ms_count)
    ms_p50: int | None = None  # median of that day's ms values (nearest-rank)
    ms_p95: int | None = None  # 95th percentile (nearest-rank)

    @property
    def samples(self) -> int:
        """Samples that count for uptime (not in maintenance)."""
        return self.up + self.degraded + self.down

    @property
    def avg_ms(self) -> int | None:
        return round(self.ms_sum / self.ms_count) if self.ms_count else None

    @property
    def uptime(self) -> float | None:
        """Percent of counted samples that were up or degraded; None when there were none."""
        total = self.samples
        return (self.up + self.degraded) * 100 / total if total else None


def percentile(ordered: list[int], p: int) -> int:
    """Nearest-rank p-th percentile of sorted, non-empty values."""
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


@dataclass(slots=True)
class Tally:
    """A DayStats being counted: kinds indexed up, degraded, down, maintenance."""

    kinds: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    ms: list[int] = field(default_factory=list)

    def stats(self) -> DayStats:
        up, degraded, down, maintenance = self.kinds
        if not self.ms:
            return DayStats(up, degraded, down, maintenance)
        ordered = sorted(self.ms)
        return DayStats(
            up,
            degraded,
            down,
            maintenance,
            len(ordered),
            sum(ordered),
            percentile(ordered, 50),
            percentile(ordered, 95),
        )


DayTable = dict[str, dict[date, DayStats]]  # monitor id -> day -> stats


def rollup_dir(data_dir: Path) -> Path:
    return data_dir / ROLLUP_DIR


def month_files(data_dir: Path) -> dict[tuple[int, int], Path]:
    """Every monthly rollup file, by (year, month)."""
    folder = rollup_dir(data_dir)
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = MONTH_FILE_RE.match(path.name)
        if match:
            found[(int(match.group(1)), int(match.group(2)))] = path
    return dict(sorted(found.items()))


def month_path(data_dir: Path, day: date) -> Path:
    return rollup_dir(data_dir) / f"{day.year:04d}-{day.month:02d}.csv"


def _number(text: str) -> int | None:
    return int(text) if text else None


def read_month(path: Path) -> DayTable:
    """The day rows of one rollup file."""
    table: DayTable = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            up, degraded, down, maintenance, ms_count, ms_sum = (int(row[c]) for c in COLUMNS[2:8])
            stats = DayStats(
                up,
                degraded,
                down,
                maintenance,
                ms_count,
                ms_sum,
                _number(row["ms_p50"]),
                _number(row["ms_p95"]),
            )
            table.setdefault(row["monitor"], {})[date.fromisoformat(row["day"])] = stats
    return table


def read_rollups(data_dir: Path, first: date, last: date) -> DayTable:
    """Rolled-up day stats with first <= day <= last."""
    table: DayTable = {}
    for (year, month), path in month_files(data_dir).items():
        if (year, month) < (first.year, first.month) or (year, month) > (last.year, last.month):
            continue
        for monitor, days in read_month(path).items():
            kept = {d: s for d, s in days.items() if first <= d <= last}
            if kept:
                table.setdefault(monitor, {}).update(kept)
    return table


def write_atomic(path: Path, text: str) -> None:
    """Replace path with text so that a crash leaves either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue()


def month_text(table: DayTable) -> str:
    """A rollup file's text: rows sorted by day then monitor, so rewriting is stable."""
    rows = sorted(
        (day.isoformat(), monitor, *_stats_fields(stats))
        for monitor, days in table.items()
        for day, stats in days.items()
    )
    return _csv_text(COLUMNS, rows)


def _stats_fields(s: DayStats) -> tuple[object, ...]:
    return (s.up, s.degraded, s.down, s.maintenance, s.ms_count, s.ms_sum, s.ms_p50, s.ms_p95)
