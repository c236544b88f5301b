"""The sample store: one append-only CSV file per UTC day under data/.

    time,monitor,location,status,ms,code,detail
    2026-11-23T10:05:00Z,api,github,up,182,200,

Readers go by column name, sort by time and drop exact duplicates (concurrent runs merge
their files with git's union rule, so a line may arrive twice). A malformed line is
reported with its file and line number and skipped, never a crash.

`load_history` (fast reading, history.py) reduces day files and rollups to what the site
shows; `compact` (rollup.py) rolls old day files into rollups.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DataError, Problem, display_path

if TYPE_CHECKING:
    from .config import Config
    from .rollup import CompactResult

log = logging.getLogger(__name__)

COLUMNS = ("time", "monitor", "location", "status", "ms", "code", "detail")
HEADER = ",".join(COLUMNS) + "\n"
STATUSES = ("up", "degraded", "down")
MAX_MS = 86_400_000
FIRST_YEAR, LAST_YEAR = 1970, 2999
CONFLICT_START = "<<<<<<<"  # git's marker, first line of a file added on both sides  # a day: no single check takes longer
DAY_FILE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.csv$")


@dataclass(frozen=True, slots=True)
class Sample:
    """One check of one monitor at one time."""

    time: datetime
    monitor: str
    location: str
    status: str
    ms: int | None = None
    code: int | None = None
    detail: str = ""

    @property
    def day(self) -> date:
        return self.time.date()


def format_time(t: datetime) -> str:
    """UTC, whole seconds, with Z: the one time format of data files."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Read an ISO 8601 time with Z or an offset; a naive time is refused."""
    t = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone (add Z or an offset)")
    return within_years(t, text)


def within_years(t: datetime, text: str) -> datetime:
    """An aware time in UTC; ValueError outside the years a status page can mean."""
    if not FIRST_YEAR <= t.year <= LAST_YEAR:  # also keeps zone shifts from overflowing
        raise ValueError(f"time {text!r} is not between {FIRST_YEAR} and {LAST_YEAR}")
    return t.astimezone(UTC)


def day_path(data_dir: Path, day: date) -> Path:
    return data_dir / f"{day.isoformat()}.csv"


def day_files(data_dir: Path) -> dict[date, Path]:
    """Every raw day file under data_dir, by day."""
    if not data_dir.is_dir():
        return {}
    found = {}
    for path in data_dir.iterdir():
        match = DAY_FILE_RE.match(path.name)
        if not match or not path.is_file():
            continue
        try:
            found[date.fromisoformat(match.group(1))] = path
        except ValueError:  # 2026-13-45.csv: named like a day file, but no such day
            log.warning("%s: no such day; file ignored", display_path(path))
    return dict(sorted(found.items()))


def to_row(sample: Sample) -> list[str]:
    """The CSV fields of a sample."""
    return [
        format_time(sample.time),
        sample.monitor,
        sample.location,
        sample.status,
        "" if sample.ms is None else str(sample.ms),
        "" if sample.code is None else str(sample.code),
        " ".join(sample.detail.split()),
    ]


def folder(path: Path) -> Path:
    """Make sure a folder of upwatch's exists; a file in its place is a user error."""
    if path.exists() and not path.is_dir():
        raise DataError([Problem(display_path(path), None, "is a file; it must be a folder")])
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, text: str) -> None:
    """Replace path with text so that a crash leaves either the old or the new file."""
    folder(path.parent)
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


def append_samples(data_dir: Path, samples: Iterable[Sample]) -> list[Path]:
    """Append samples to their day files (one write per file); return the files touched."""
    by_day: dict[date, list[Sample]] = {}
    for sample in samples:
        by_day.setdefault(sample.day, []).append(sample)
    folder(data_dir)
    touched = []
    for day, group in sorted(by_day.items()):
        path = day_path(data_dir, day)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows(to_row(s) for s in sorted(group, key=sample_key))
        _append(path, buffer.getvalue())
        touched.append(path)
    return touched


def _append(path: Path, text: str) -> None:
    """Append text as whole lines, adding the header to a new file."""
    prefix = ""
    if not path.exists() or path.stat().st_size == 0:
        prefix = HEADER
    else:
        with path.open("rb") as existing:
            existing.seek(-1, io.SEEK_END)
            if existing.read(1) != b"\n":
                prefix = "\n"
    with path.open("a", encoding="utf-8", newline="") as out:
        out.write(prefix + text)


def parse_row(row: dict[str, str]) -> Sample:
    """A Sample from one CSV row read by column name; ValueError says what is wrong."""
    status = row.get("status") or ""
    if status not in STATUSES:
        raise ValueError(f"status must be up, degraded or down, not {status!r}")
    monitor = row.get("monitor") or ""
    if not monitor:
        raise ValueError("monitor is empty")
    ms, code = row.get("ms") or "", row.get("code") or ""
    return Sample(
        time=parse_time(row.get("time") or ""),
        monitor=monitor,
        location=row.get("location") or "default",
        status=status,
        ms=parse_ms(ms),
        code=parse_code(code),
        detail=row.get("detail") or "",
    )


def parse_ms(text: str) -> int | None:
    """A response time in whole milliseconds (empty: none); ValueError when impossible."""
    if not text:
        return None
    if not text.isdecimal() or int(text) > MAX_MS:
        raise ValueError(f"ms must be a whole number from 0 to {MAX_MS}, not {text!r}")
    return int(text)


def parse_code(text: str) -> int | None:
    """An HTTP status code (empty: none); ValueError when it is not one."""
    if not text:
        return None
    if not text.isdecimal() or not 100 <= int(text) <= 599:
        raise ValueError(f"code must be an HTTP status from 100 to 599, not {text!r}")
    return int(text)


def read_day(path: Path, problems: list[Problem] | None = None) -> list[Sample]:
    """Every sample of one day file; malformed lines go to problems (or the log) and are skipped."""
    samples = []
    for line, row in _rows(path, problems):
        try:
            samples.append(parse_row(row))
        except ValueError as exc:
            _report(Problem(display_path(path), line, str(exc)), problems)
    return samples


def _rows(path: Path, problems: list[Problem] | None) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as dicts by column name, with their line numbers."""
    with path.open(encoding="utf-8", newline="", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header and header[0].startswith(CONFLICT_START):  # both sides added the file
            _report(Problem(display_path(path), 1, "merge conflict marker"), problems)
            header = next(reader, None)
        if header is None:
            return
        missing = [c for c in ("time", "monitor", "status") if c not in header]
        if missing:
            _report(Problem(display_path(path), 1, f"header lacks {', '.join(missing)}"), problems)
            return
        for fields in reader:
            if not fields or fields == header:
                continue
            if len(fields) != len(header):
                problem = Problem(
                    display_path(path),
                    reader.line_num,
                    f"expected {len(header)} fields, found {len(fields)}",
                )
                _report(problem, problems)
                continue
            yield reader.line_num, dict(zip(header, fields, strict=True))


def _report(problem: Problem, problems: list[Problem] | None) -> None:
    if problems is None:
        log.warning("%s (line skipped)", problem)
    else:
        problems.append(problem)


def read_samples(
    data_dir: Path,
    start: datetime | None = None,
    end: datetime | None = None,
    problems: list[Problem] | None = None,
) -> list[Sample]:
    """Raw samples with start <= time < end, sorted by time, exact duplicates dropped."""
    found: set[Sample] = set()
    for day, path in day_files(data_dir).items():
        if start and day < start.date():
            continue
        if end and day > end.date():
            continue
        found.update(read_day(path, problems))
    return sorted(
        (s for s in found if (start is None or s.time >= start) and (end is None or s.time < end)),
        key=sample_key,
    )


def read_recent(data_dir: Path, now: datetime, days: int = 3) -> list[Sample]:
    """Raw samples of the last few days up to now, for streaks and the latest state."""
    return read_samples(data_dir, now - timedelta(days=days), now + timedelta(seconds=1))


# --- What the site shows: per-day stats and recent samples (history.py reads them fast) ---


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


RECENT = timedelta(hours=48)  # History.recent and .hourly cover this much before now
DayTable = dict[str, dict[date, DayStats]]  # monitor id -> day -> stats


@dataclass(frozen=True)
class History:
    """Per-day stats for the days read, plus raw samples of the last 48 hours."""

    days: dict[str, dict[date, DayStats]]  # monitor id -> UTC day -> stats (days with samples)
    recent: dict[str, list[Sample]]  # monitor id -> samples of the last 48 h up to now, sorted
    latest: dict[str, Sample]  # monitor id -> newest sample at or before now, of the days read
    hourly: dict[str, list[tuple[datetime, int, int]]]  # monitor id -> (hour, p50 ms, p95 ms)


def sample_key(s: Sample) -> tuple[object, ...]:
    """A total order of samples (ms and code may be None, which `<` refuses)."""
    ms, code = (s.ms is not None, s.ms or 0), (s.code is not None, s.code or 0)
    return (s.time, s.monitor, s.location, s.status, ms, code, s.detail)


def load_history(
    data_dir: Path,
    now: datetime,
    windows: Mapping[str, Sequence[tuple[datetime, datetime]]],
    days: int = 90,
) -> History:
    """Read raw day files and rollups for the `days` UTC days ending with now's day (samples after `now` ignored)."""
    from .history import read_history  # history.py builds on this module, so it comes in here

    return read_history(data_dir, now, windows, days)


def compact(config: Config, keep_days: int, now: datetime) -> CompactResult:
    """Roll day files older than keep_days days into rollups, then remove them."""
    from .rollup import compact_days  # rollup.py builds on this module, so it comes in here

    return compact_days(config, keep_days, now)
