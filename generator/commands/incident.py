"""`upwatch incident new`: a new incident or maintenance file, ready to edit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from .. import incidents
from ..config.read import Config
from ..errors import UsageError


def new(
    config: Config,
    title: str,
    now: datetime,
    monitors: Sequence[str] = (),
    severity: str | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> Path:
    """Write the file under incidents/ and return its path; a window makes it maintenance."""
    return incidents.new(
        config,
        title,
        monitors=list(monitors),
        severity=severity,
        window=window,
        now=now,
    )


def maintenance_window(
    maintenance: bool, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime] | None:
    """A maintenance window needs both ends; an incident takes neither."""
    if not maintenance:
        if start or end:
            raise UsageError("--start and --end go with --maintenance")
        return None
    if start is None or end is None:
        raise UsageError("--maintenance needs --start and --end")
    return start, end
