"""Small helpers the test modules share: times and samples written tersely.

Import them as `from helpers import sample, utc` (conftest.py explains why that works).
"""

from __future__ import annotations

from datetime import UTC, datetime

from generator.store import Sample

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; a time without a zone is read as UTC."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def sample(
    monitor: str = "api",
    status: str = "up",
    t: datetime = T0,
    location: str = "default",
    ms: int | None = 100,
    code: int | None = None,
    detail: str = "",
) -> Sample:
    """A sample with everything but what a test cares about filled in."""
    return Sample(t, monitor, location, status, ms, code, detail)
