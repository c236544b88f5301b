"""Day files: one append-only CSV file per UTC day under data/, and the one reader of them.

    time,monitor,location,status,ms,code,kind,detail
    2026-11-23T10:05:00Z,api,github,up,182,200,,

A new file gets that header; an append writes the columns of the file's own header (a file
of an older version keeps its seven), so a file never mixes two headers.

Readers go by column name and drop exact duplicate lines (concurrent runs merge their files
with git's union rule, so a line may arrive twice). A malformed line (a torn write, a field
over csv's size limit) is reported with its file and line number and skipped, never a
crash. A file that cannot be read at all (a header without the needed columns, UTF-16
text, a symlink out of the repository, a FIFO or a device) is reported and never opened or
followed; a UTF-8 byte order mark is dropped. Each run's rows go to a day file in one
append that is cut back to the old size if the disk is full, so no torn row is left behind.

`read_rows` reads a day file with the one parser (rows.py): a build counts its rows
(tally.py), `read_day` makes them Samples. history.py reads what the site shows, rollup.py
keeps a row per monitor per finished day, compaction.py rolls old day files away.
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
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from .. import safefiles
from ..errors import DataError, Problem, display_path
from .rows import (
    CONFLICT_START,
    FIELD_LIMIT,
    NOT_READ,
    Unreadable,
    missing_columns,
    parse_text,
    records,
    split_line,
)
from .samples import (
    COLUMNS,
    HEADER,
    KIND_HEADER,
    STATUSES,
    Sample,
    derive_kind,
    format_time,
    parse_time,
    sample_key,
    to_row,
    within_years,
)
from .tally import RECENT, Columns, DayStats, DayTable, History, Row

__all__ = [  # the names other stages import from here
    "COLUMNS",
    "CONFLICT_START",
    "FIELD_LIMIT",
    "HEADER",
    "KIND_HEADER",
    "NOT_READ",
    "RECENT",
    "STATUSES",
    "DayStats",
    "DayTable",
    "History",
    "Sample",
    "Unreadable",
    "format_time",
    "missing_columns",
    "parse_time",
    "records",
    "sample_key",
    "split_line",
    "to_row",
    "within_years",
]

log = logging.getLogger(__name__)

IGNORED = "file ignored"  # how a message about a whole file not taken ends
DAY_FILE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.csv$")


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
    texts = {day_path(data_dir, day): group for day, group in sorted(by_day.items())}
    _refuse_targets(list(texts), repository(data_dir))
    done: list[tuple[Path, int | None]] = []
    try:
        for path, group in texts.items():
            done.append(_append(path, group))
    except OSError:
        for real, size in done:
            _cut_back(real, size)
        raise
    return list(texts)


def _lines(samples: list[Sample], kind: bool = True) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        to_row(s, kind) for s in sorted(samples, key=sample_key)
    )
    return buffer.getvalue()


def _has_kind(fd: int) -> bool:
    """Whether the file's header (its first line) has the kind column."""
    head = os.pread(fd, 4096, 0).split(b"\n", 1)[0].removesuffix(b"\r")
    return b"kind" in head.split(b",")


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


def _append(path: Path, samples: list[Sample]) -> tuple[Path, int | None]:
    """Append samples as whole lines in one write, the header first in a new file.

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
        kind = size == 0 or _has_kind(fd)
        if size == 0:
            prefix = KIND_HEADER
        elif os.pread(fd, 1, size - 1) != b"\n":
            prefix = "\n"
        try:
            _write_all(fd, (prefix + _lines(samples, kind)).encode("utf-8"))
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


# --- reading day files ---


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


def read_rows(
    path: Path,
    problems: list[Problem] | None = None,
    day: date | None = None,
    root: Path | None = None,
) -> Columns:
    """The distinct good rows of a day file in file order; the others go to problems (or the log).

    With `day`, a row whose time is on another day is refused too.
    """
    found: list[Problem] = []
    try:
        text = data_text(path, root or repository(path.parent))
        rows = parse_text(text, day, found)
    except Unreadable as exc:
        found.append(Problem("", exc.line, str(exc)))
        rows = Columns()
    where = display_path(path)
    for problem in found:
        _report(Problem(where, problem.line, problem.message), problems)
    return rows


def read_day(
    path: Path,
    problems: list[Problem] | None = None,
    day: date | None = None,
    root: Path | None = None,
) -> list[Sample]:
    """Every sample of one day file; malformed lines go to problems (or the log) and are skipped."""
    return to_samples(read_rows(path, problems, day, root).rows())


def to_samples(rows: Iterable[Row]) -> list[Sample]:
    """Rows as Samples, each distinct time parsed once; a row without a kind gets it derived."""
    stamps: dict[str, datetime] = {}
    samples = []
    for t, monitor, location, status, ms, code, detail, kind in rows:
        when = stamps.get(t)
        if when is None:
            when = stamps[t] = parse_time(t)
        if not kind and status != "up":
            kind = derive_kind(status, code, detail)
        samples.append(Sample(when, monitor, location, status, ms, code, detail, kind))
    return samples


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
        found.update(read_day(path, problems, day))
    return sorted(
        (s for s in found if (start is None or s.time >= start) and (end is None or s.time < end)),
        key=sample_key,
    )


def read_recent(data_dir: Path, now: datetime, days: int = 3) -> list[Sample]:
    """Raw samples of the last few days up to now, for streaks and the latest state."""
    return read_samples(data_dir, now - timedelta(days=days), now + timedelta(seconds=1))
