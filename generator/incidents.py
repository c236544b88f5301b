"""Incident and maintenance files: incidents/YYYY-MM-DD-slug.md.

Front matter (YAML) + a Markdown story + a timeline of updates that people write by hand
and the probe appends to. This module parses, validates, writes and automates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

STATES = ("investigating", "identified", "monitoring", "resolved")
SEVERITIES = ("minor", "major", "critical")


@dataclass(frozen=True)
class Update:
    """One timeline entry: when, which state, what was said (Markdown)."""

    time: datetime
    status: str
    text: str


@dataclass(frozen=True)
class Incident:
    """One incidents/*.md file as plain values (times are aware, UTC)."""

    id: str
    path: Path
    title: str
    type: str = "incident"  # incident | maintenance
    status: str = "investigating"
    severity: str = "major"
    monitors: tuple[str, ...] = ()
    started: datetime | None = None
    resolved: datetime | None = None
    auto: bool = False
    start: datetime | None = None  # maintenance only
    end: datetime | None = None  # maintenance only
    body: str = ""  # the person-written story, Markdown, without the timeline
    updates: tuple[Update, ...] = ()  # oldest first

    @property
    def is_maintenance(self) -> bool:
        return self.type == "maintenance"

    @property
    def is_open(self) -> bool:
        """An incident (not maintenance) that is not resolved."""
        return not self.is_maintenance and self.status != "resolved"

    def maintenance_state(self, now: datetime) -> str:
        """Statuspage words for a maintenance window at `now`."""
        assert self.start is not None and self.end is not None
        if now < self.start:
            return "scheduled"
        return "in_progress" if now < self.end else "completed"


@dataclass(frozen=True)
class Change:
    """What the probe did to an incident in one run (for the summary and the commit message)."""

    kind: str  # opened | resolved | updated
    incident_id: str
    monitor: str
    detail: str = ""
