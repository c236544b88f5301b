"""A sample and its row in a day file: the one place that says how a row is written and read.

time,monitor,location,status,ms,code,detail
2026-11-23T10:05:00Z,api,github,up,182,200,
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..times import format_time, parse_time, within_years

__all__ = [
    "COLUMNS",
    "HEADER",
    "MAX_MS",
    "STATUSES",
    "Sample",
    "format_time",
    "is_code",
    "parse_code",
    "parse_ms",
    "parse_row",
    "parse_time",
    "sample_key",
    "to_row",
    "within_years",
]

COLUMNS = ("time", "monitor", "location", "status", "ms", "code", "detail")
HEADER = ",".join(COLUMNS) + "\n"
STATUSES = ("up", "degraded", "down")
MAX_MS = 86_400_000  # a day: no single check takes longer


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


def sample_key(s: Sample) -> tuple[object, ...]:
    """A total order of samples (ms and code may be None, which `<` refuses)."""
    ms, code = (s.ms is not None, s.ms or 0), (s.code is not None, s.code or 0)
    return (s.time, s.monitor, s.location, s.status, ms, code, s.detail)


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
