"""Every time format upwatch reads or writes, and the one duration formatter.

Data files, incident front matter and commits use `format_time` (UTC, seconds, `Z`); the
Statuspage JSON uses `api_time`; people read `readable_utc`, `duration` and `ago`, and the
site's zone-aware `clock`, `day_text` and `when`. Pure functions, no I/O.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

FIRST_YEAR, LAST_YEAR = 1970, 2999


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


def api_time(t: datetime | None) -> str | None:
    """Statuspage's time format: ISO 8601 with milliseconds and Z."""
    if t is None:
        return None
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def attribute_time(t: datetime | date) -> str:
    """A `<time datetime>` value: a time in the data-file form, a day as YYYY-MM-DD."""
    return format_time(t) if isinstance(t, datetime) else t.isoformat()


def readable_utc(t: datetime) -> str:
    """A time as people read it: 2026-06-19 15:57 UTC (seconds only when not zero)."""
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%d %H:%M:%S UTC" if t.second else "%Y-%m-%d %H:%M UTC")


def clock(t: datetime, zone: ZoneInfo) -> str:
    """The time of day in the site's zone, the zone named: 15:57 CET."""
    local = t.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}"


def day_text(t: datetime | date, zone: ZoneInfo) -> str:
    """A day in the site's zone: Jun 19, 2026."""
    d = t.astimezone(zone).date() if isinstance(t, datetime) else t
    return f"{d:%b} {d.day}, {d.year}"


def when(t: datetime, zone: ZoneInfo, now: datetime) -> str:
    """Day and time in the site's zone, the year only when it is not this year's."""
    local = t.astimezone(zone)
    year = f", {local.year}" if local.year != now.astimezone(zone).year else ""
    return f"{local:%b} {local.day}{year}, {clock(t, zone)}"


def duration(span: timedelta | float) -> str:
    """A short duration for people: 45 s, 5 min, 1 h 46 min, 2 d 3 h."""
    total = span.total_seconds() if isinstance(span, timedelta) else span
    seconds = max(0, int(total))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def ongoing(span: timedelta | float) -> str:
    """How long something open has lasted: "for 5 min", or "just now" below a minute."""
    total = span.total_seconds() if isinstance(span, timedelta) else span
    return "just now" if total < 60 else f"for {duration(total)}"


def ago(then: datetime, now: datetime) -> str:
    """Relative time for the banner: "just now", "3 minutes ago", "2 hours ago"."""
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"
