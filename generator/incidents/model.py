"""The incident model: an incident or maintenance file, its updates and the probe's changes, as plain values.

The text format of the files is text.py's, their validation validate.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = [
    "FILE_NAME_RE",
    "KEYS",
    "MAINTENANCE_STATES",
    "SEVERITIES",
    "STATES",
    "TYPES",
    "UPDATE_STATES",
    "Change",
    "Incident",
    "Update",
]

from ..status import (
    INCIDENT_STATES,
    INCIDENT_TYPES,
    MAINTENANCE_STATES,
    SEVERITIES,
    IncidentState,
    IncidentType,
    MaintenanceState,
    Severity,
    state_label,
)

STATES = INCIDENT_STATES
TYPES = INCIDENT_TYPES
UPDATE_STATES = STATES + MAINTENANCE_STATES
KEYS = (
    "title",
    "type",
    "status",
    "severity",
    "monitors",
    "started",
    "resolved",
    "auto",
    "kinds",
    "start",
    "end",
)
FILE_NAME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})-[a-z0-9][a-z0-9-]*\.md$")


@dataclass(frozen=True)
class Change:
    """What the probe did to an incident in one run (for the summary and the commit message)."""

    kind: str  # opened | resolved | updated
    incident_id: str
    monitor: str
    detail: str = ""


@dataclass(frozen=True)
class Update:
    """One timeline entry: when, which state, what was said (Markdown)."""

    time: datetime
    status: str
    text: str

    @property
    def label(self) -> str:
        """The state as a person writes it: "Investigating", "In progress"."""
        return state_label(self.status)


@dataclass(frozen=True)
class Incident:
    """One incidents/*.md file as plain values (times are aware, UTC)."""

    id: str
    path: Path
    title: str
    type: IncidentType = "incident"
    status: IncidentState = "investigating"
    severity: Severity = "major"
    monitors: tuple[str, ...] = ()
    started: datetime | None = None
    resolved: datetime | None = None
    auto: bool = False
    kinds: tuple[str, ...] = ()  # failure kinds seen during the outage, in the order seen
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

    @property
    def begins(self) -> datetime | None:
        """When it began: `started` for an incident, `start` for maintenance."""
        return self.start if self.is_maintenance else self.started

    def maintenance_state(self, now: datetime) -> MaintenanceState:
        """Statuspage words for a maintenance window at `now`."""
        assert self.start is not None and self.end is not None
        if now < self.start:
            return "scheduled"
        return "in_progress" if now < self.end else "completed"
