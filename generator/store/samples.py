"""A sample and its row in a day file: the one place that says how a row is written and read.

time,monitor,location,status,ms,code,kind,detail
2026-11-23T10:05:00Z,api,github,up,182,200,,
2026-11-23T10:10:00Z,api,github,down,41,503,http_5xx,HTTP 503

A degraded or down sample carries its failure kind (FAILURE_KINDS), decided by the probe.
Files written before kinds existed have no `kind` column: their rows get the kind
`derive_kind` reads from code and detail, the one place that reads a reason's words.
A day file keeps the header it was created with (appends write its own columns), so one
file never mixes two headers and union merges stay line by line. `kind` comes before
`detail`, so the one free-text field stays last on the line (what rows.py's fast path needs).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from ..times import format_time, parse_time, within_years

__all__ = [
    "COLUMNS",
    "FAILURE_KINDS",
    "HEADER",
    "KIND_COLUMNS",
    "KIND_HEADER",
    "MAX_MS",
    "STATUSES",
    "Sample",
    "derive_kind",
    "format_time",
    "is_code",
    "parse_code",
    "parse_kind",
    "parse_ms",
    "parse_row",
    "parse_time",
    "sample_key",
    "to_row",
    "within_years",
]

COLUMNS = ("time", "monitor", "location", "status", "ms", "code", "detail")
HEADER = ",".join(COLUMNS) + "\n"  # files written before failure kinds
KIND_COLUMNS = (*COLUMNS[:-1], "kind", "detail")
KIND_HEADER = ",".join(KIND_COLUMNS) + "\n"  # every new day file
FAILURE_KINDS = (
    "dns",
    "connect",  # refused, reset, unreachable, proxy
    "tls",  # handshake, verification
    "cert",  # expired, or expiring within cert_expiry_days
    "timeout",
    "http_5xx",
    "http_4xx",
    "http_other",
    "redirect",
    "content",  # contains, not_contains or json expectation unmet
    "slow",  # degraded by degraded_ms
    "protocol",  # garbage, closed without an answer
)
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
    kind: str = ""  # one of FAILURE_KINDS when degraded or down, else empty

    @property
    def day(self) -> date:
        return self.time.date()


def sample_key(s: Sample) -> tuple[object, ...]:
    """A total order of samples (ms and code may be None, which `<` refuses)."""
    ms, code = (s.ms is not None, s.ms or 0), (s.code is not None, s.code or 0)
    return (s.time, s.monitor, s.location, s.status, ms, code, s.detail, s.kind)


def to_row(sample: Sample, kind: bool = True) -> list[str]:
    """The CSV fields of a sample, each on one line (git's union merge works line by line).

    Without `kind`, the seven fields of a file written before failure kinds.
    """
    fields = [
        format_time(sample.time),
        sample.monitor,
        " ".join(sample.location.split()),
        sample.status,
        "" if sample.ms is None else str(sample.ms),
        "" if sample.code is None else str(sample.code),
    ]
    detail = " ".join(sample.detail.split())
    return [*fields, sample.kind, detail] if kind else [*fields, detail]


@functools.lru_cache(maxsize=4096)  # a day repeats a few reasons many times
def derive_kind(status: str, code: int | None, detail: str) -> str:
    """The failure kind of a row written before kinds were stored, from its code and detail.

    The one reader of a reason's words: the probe wrote these reasons (probe/verdict.py).
    """
    if status == "up":
        return ""
    text = detail.lower()
    if text.startswith("after redirect to ") and ": " in text:
        text = text.split(": ", 1)[1]
    for prefix, kind in _DETAIL_KINDS:
        if text.startswith(prefix):
            return kind
    if code is not None:
        return {5: "http_5xx", 4: "http_4xx", 3: "redirect"}.get(code // 100, "http_other")
    if text.startswith("http "):  # no code with it: not a valid status
        return "http_other"
    if "timeout" in text or "timed out" in text:
        return "timeout"
    return "slow" if status == "degraded" else "connect"


_DETAIL_KINDS = (  # reason prefixes the probe has written, longest first where they overlap
    ("timeout", "timeout"),
    ("1xx answer, then no final response", "timeout"),
    ("dns lookup failed", "dns"),
    ("tls:", "tls"),
    ("certificate", "cert"),
    ("slow:", "slow"),
    ("body ", "content"),
    ("json ", "content"),
    ("too many redirects", "redirect"),
    ("redirect", "redirect"),
    ("connection closed", "protocol"),
    ("not an http response", "protocol"),
    ("1xx answer", "protocol"),
    ("internal error", "protocol"),
    ("invalid request", "protocol"),
    ("unsupported url scheme", "protocol"),
)


def parse_kind(text: str, status: str, code: int | None, detail: str) -> str:
    """A row's kind: as written, or derived for a row of an older file; ValueError when unknown."""
    if status == "up":
        return ""
    if not text:
        return derive_kind(status, code, detail)
    if text not in FAILURE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAILURE_KINDS)}, not {text!r}")
    return text


def parse_row(row: dict[str, str]) -> Sample:
    """A Sample from one CSV row read by column name; ValueError says what is wrong."""
    status = row.get("status") or ""
    if status not in STATUSES:
        raise ValueError(f"status must be up, degraded or down, not {status!r}")
    monitor = row.get("monitor") or ""
    if not monitor:
        raise ValueError("monitor is empty")
    ms, code = row.get("ms") or "", row.get("code") or ""
    number, detail = parse_code(code), row.get("detail") or ""
    return Sample(
        time=parse_time(row.get("time") or ""),
        monitor=monitor,
        location=row.get("location") or "default",
        status=status,
        ms=parse_ms(ms),
        code=number,
        detail=detail,
        kind=parse_kind(row.get("kind") or "", status, number, detail),
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
