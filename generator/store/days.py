"""The sample store: one append-only CSV file per UTC day under data/.

    time,monitor,location,status,ms,code,detail
    2026-11-23T10:05:00Z,api,github,up,182,200,

Readers go by column name, sort by time and drop exact duplicates (concurrent runs merge
their files with git's union rule, so a line may arrive twice). A malformed line (a torn
write, a field over csv's size limit) is reported with its file and line number and
skipped, never a crash. A file that cannot be read at all (a header without the needed
columns, UTF-16 text, a symlink out of the repository, a FIFO or a device) is reported and
never opened or followed; a UTF-8 byte order mark is dropped. Each run's rows go to a day
file in one append that is cut back to the old size if the disk is full, so no torn row
is left behind.

`load_history` (fast reading, history.py) reduces day files and rollups to what the site
shows; `compact` (rollup.py) rolls old day files into rollups.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import logging
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .. import safefiles
from ..errors import DataError, Problem, display_path

if TYPE_CHECKING:
    from ..config.read import Config
    from .rollup import CompactResult

log = logging.getLogger(__name__)

COLUMNS = ("time", "monitor", "location", "status", "ms", "code", "detail")
HEADER = ",".join(COLUMNS) + "\n"
STATUSES = ("up", "degraded", "down")
MAX_MS = 86_400_000  # a day: no single check takes longer
FIRST_YEAR, LAST_YEAR = 1970, 2999
CONFLICT_START = "<<<<<<<"  # git's marker, first line of a file added on both sides
FIELD_LIMIT = csv.field_size_limit()  # 131,072 characters unless a program raised it
NOT_READ, IGNORED = "not read", "file ignored"  # how messages about a whole file end
OVERSIZED = f"field larger than {FIELD_LIMIT} characters"
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


def repository(data_dir: Path) -> Path:
    """The repository a data folder belongs to: no data file is read from outside it."""
    return data_dir.parent


def day_files(data_dir: Path, problems: list[Problem] | None = None) -> dict[date, Path]:
    """Every readable raw day file under data_dir, by day; the others go to problems (or the
    log) and are never opened."""
    if not data_dir.is_dir():
        return {}
    found = {}
    root = repository(data_dir)
    for path in sorted(data_dir.iterdir()):
        match = DAY_FILE_RE.match(path.name)
        if not match:
            continue
        reason = safefiles.refusal(path, root)
        if reason:  # a FIFO would block the reader, a link to /dev/zero never end
            _report(Problem(safefiles.display(path, root), None, f"{reason}; {NOT_READ}"), problems)
            continue
        try:
            found[date.fromisoformat(match.group(1))] = path
        except ValueError:  # 2026-13-45.csv: named like a day file, but no such day
            _report(Problem(display_path(path), None, f"no such day; {IGNORED}"), problems)
    return dict(sorted(found.items()))


def check_data(data_dir: Path) -> tuple[list[Problem], list[Problem]]:
    """What `upwatch check` says of data/: files not read, and lines skipped or files ignored."""
    from .history import stats_of_days  # history.py builds on this module, so it comes in here
    from .rollup import check_rollups

    problems: list[Problem] = []
    _, by_day = stats_of_days(day_files(data_dir, problems), {})
    problems += [p for found in by_day.values() for p in found] + check_rollups(data_dir)
    unread = [p for p in problems if p.message.endswith(NOT_READ)]
    return unread, [p for p in problems if not p.message.endswith(NOT_READ)]


def to_row(sample: Sample) -> list[str]:
    """The CSV fields of a sample, each on one line (git's union merge works line by line)."""
    return [
        format_time(sample.time),
        sample.monitor,
        " ".join(sample.location.split()),
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
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        _naming(exc, path)
        raise
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """An OSError that names the file being written (a failed write() names none)."""
    if exc.filename is None and exc.errno is not None:
        exc.filename = str(path)
    return exc


def append_samples(data_dir: Path, samples: Iterable[Sample]) -> list[Path]:
    """Append samples to their day files, one write per file; return the files touched.

    Either every file gets all its rows or, when a write fails (a full disk), every file
    is cut back to what it held before and the OSError names the file.
    """
    by_day: dict[date, list[Sample]] = {}
    for sample in samples:
        by_day.setdefault(sample.day, []).append(sample)
    folder(data_dir)
    texts = {day_path(data_dir, day): _lines(group) for day, group in sorted(by_day.items())}
    _refuse_targets(list(texts), repository(data_dir))
    done: list[tuple[Path, int | None]] = []
    try:
        for path, text in texts.items():
            done.append(_append(path, text))
    except OSError:
        for real, size in done:
            _cut_back(real, size)
        raise
    return list(texts)


def _lines(samples: list[Sample]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        to_row(s) for s in sorted(samples, key=sample_key)
    )
    return buffer.getvalue()


def _refuse_targets(paths: list[Path], root: Path) -> None:
    """Refuse to write through a day file that is a FIFO, a device or a link out of the repository."""
    refused = [
        Problem(safefiles.display(path, root), None, f"{reason}; samples not written")
        for path in paths
        if (reason := _target_refusal(path, root))
    ]
    if refused:
        raise DataError(refused)


def _target_refusal(path: Path, root: Path) -> str | None:
    if os.path.lexists(path):
        return safefiles.refusal(path, root)
    inside = root.resolve() in (path.parent.resolve() / "x").parents
    return None if inside else "in a folder outside the repository"


def _append(path: Path, text: str) -> tuple[Path, int | None]:
    """Append text as whole lines in one write, the header first in a new file.

    Returns the file written and its old size (None: it was new). On failure the file is
    cut back to its old size (a new one removed), so no torn row is left.
    """
    real = path.resolve()  # a link inside the repository: open its target, not through it
    created = not os.path.lexists(real)
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(real, flags, 0o666)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped for something else since it was checked
            raise DataError(
                [Problem(display_path(path), None, "not a regular file; samples not written")]
            )
        size = info.st_size
        prefix = ""
        if size == 0:
            prefix = HEADER
        elif os.pread(fd, 1, size - 1) != b"\n":
            prefix = "\n"
        try:
            _write_all(fd, (prefix + text).encode("utf-8"))
        except OSError as exc:
            _cut_back(real, None if created else size)
            raise _naming(exc, path) from None
    finally:
        os.close(fd)
    return real, None if created else size


def _write_all(fd: int, data: bytes) -> None:
    """Write all of data; os.write may write less than asked when the disk fills up."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _cut_back(path: Path, size: int | None) -> None:
    """Undo an append: truncate to the old size, or remove a file the append created."""
    if size is None:
        path.unlink(missing_ok=True)
    else:
        os.truncate(path, size)


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


def is_code(text: str) -> bool:
    """Whether text is a status code as a server may send it: three digits, 100 to 999.

    HTTP defines 100-599, but a server may answer `HTTP/1.1 999`; the probe records that
    as a down sample with its code, and every reader must take the row as written.
    """
    return len(text) == 3 and text.isascii() and text.isdigit() and text[0] != "0"


def parse_code(text: str) -> int | None:
    """An HTTP status code (empty: none); ValueError when it is not one."""
    if not text:
        return None
    if not is_code(text):
        raise ValueError(f"code must be an HTTP status from 100 to 999, not {text!r}")
    return int(text)


# --- reading day files ---


class Unreadable(ValueError):
    """A data file no row of which can be read; str() says why, `line` where (or None)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"{message}; {NOT_READ}")
        self.line = line


def data_text(path: Path, root: Path) -> str:
    """A data file's text, a UTF-8 byte order mark dropped; Unreadable when it is not read."""
    try:
        raw = safefiles.read_bytes(path, root)
    except safefiles.UnsafeFileError as exc:
        raise Unreadable(str(exc)) from exc
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Unreadable("UTF-16 text (save the file as UTF-8)", 1)
    return raw.decode("utf-8-sig", errors="replace")


def records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """The fields of each line of a data file with its number, or why the line is refused.

    Every row is written on one line (git's union merge works line by line), so each line
    is parsed alone: a stray quote costs its own row, not every row after it.
    """
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, split_line(line.removesuffix("\r"))


def split_line(line: str) -> list[str] | str:
    """The CSV fields of one line, or a message: csv refuses fields over FIELD_LIMIT."""
    if '"' in line:
        try:
            return next(csv.reader((line,)), [])
        except csv.Error as exc:
            message = str(exc)
            return OVERSIZED if message.startswith("field larger than") else message
    fields = line.split(",") if line else []
    if len(line) > FIELD_LIMIT and max(map(len, fields)) > FIELD_LIMIT:
        return OVERSIZED
    return fields


def missing_columns(header: list[str]) -> str | None:
    """What a header lacks of the columns every row needs, as a message, or None."""
    missing = [c for c in ("time", "monitor", "status") if c not in header]
    return f"header lacks {', '.join(missing)}" if missing else None


def read_day(
    path: Path, problems: list[Problem] | None = None, root: Path | None = None
) -> list[Sample]:
    """Every sample of one day file; malformed lines go to problems (or the log) and are skipped."""
    samples = []
    try:
        for line, row in _rows(path, root or repository(path.parent), problems):
            try:
                samples.append(parse_row(row))
            except ValueError as exc:
                _report(Problem(display_path(path), line, str(exc)), problems)
    except Unreadable as exc:
        _report(Problem(display_path(path), exc.line, str(exc)), problems)
    return samples


def _rows(
    path: Path, root: Path, problems: list[Problem] | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a day file as dicts by column name, with their line numbers."""
    found = records(data_text(path, root))
    header = _header(path, found, problems)
    for line, fields in found:
        if isinstance(fields, str):
            _report(Problem(display_path(path), line, fields), problems)
        elif fields and fields != header:
            if len(fields) == len(header):
                yield line, dict(zip(header, fields, strict=True))
            else:
                message = f"expected {len(header)} fields, found {len(fields)}"
                _report(Problem(display_path(path), line, message), problems)


def _header(
    path: Path, found: Iterator[tuple[int, list[str] | str]], problems: list[Problem] | None
) -> list[str]:
    """The header of a day file ([] when empty); Unreadable when it lacks a needed column."""
    for line, fields in found:
        if line == 1 and fields and fields[0].startswith(CONFLICT_START):  # both sides added it
            _report(Problem(display_path(path), 1, "merge conflict marker"), problems)
            continue
        if isinstance(fields, str):
            raise Unreadable(f"header: {fields}", line)
        lacking = missing_columns(fields)
        if lacking:
            raise Unreadable(lacking, line)
        return fields
    return []


def _report(problem: Problem, problems: list[Problem] | None) -> None:
    if problems is None:
        log.warning("%s", log_text(problem))
    else:
        problems.append(problem)


def log_text(problem: Problem) -> str:
    """A data problem as logged: a skipped line says so, a file not read already does."""
    whole = problem.message.endswith((NOT_READ, IGNORED))
    return str(problem) if whole else f"{problem} (line skipped)"


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
