"""The view model: what the pages, the JSON, the feed and the badges show, as plain values.

Every status decision the page makes (the banner's colour and words, a group's worst state,
an incident's state in words) is taken here, so templates only display. This module imports
nothing else from the site package: data flows build -> (html, api, feed, badges) -> model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from markupsafe import Markup

from .. import status
from ..config.read import Monitor
from ..incidents import Incident
from ..reliability.report import MonitorReport
from ..status import ComponentStatus, Day, Indicator
from ..status import state_label as state_label  # the one place state words become labels
from ..store.samples import Sample
from ..store.tally import DayStats

Files = dict[str, bytes]
UNKNOWN = "unknown"  # the banner's kind when the data is too old to say
NO_DATA = "No status data yet"  # the banner and summary.json before the first check
MAINTENANCE = "maintenance"  # the banner's and an incident mark's kind for maintenance
# A hand-edited incident or day file, or a config value, may hold these; one would make a page,
# the feed or a badge invalid.
NONCHARACTERS = "".join(f"{chr(p + 0xFFFE)}{chr(p + 0xFFFF)}" for p in range(0, 0x110000, 0x10000))
# A lone surrogate (YAML's "\ud800") cannot even be encoded as UTF-8.
FORBIDDEN_RE = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{NONCHARACTERS}]"
)


@dataclass(frozen=True)
class MonitorState:
    """Everything the pages show about one monitor."""

    monitor: Monitor
    status: ComponentStatus
    latest: Sample | None
    uptime: dict[str, float | None]
    bar: list[Day]
    days: Mapping[date, DayStats]
    hourly: list[tuple[datetime, int, int]]
    incidents: list[Incident]  # newest first, maintenance included

    @property
    def id(self) -> str:
        return self.monitor.id

    @property
    def no_data(self) -> bool:
        """Whether no check of this monitor has been recorded."""
        return self.latest is None

    @property
    def says_no_data(self) -> bool:
        """Whether its pill says "No data": no sample, and no incident or window says more.

        An open incident without samples shows the incident's status, as the group and the
        JSON do, not "No data" beside a group in "Partial outage".
        """
        return self.no_data and self.status == status.OPERATIONAL


@dataclass(frozen=True)
class Banner:
    """The overall status at the top of the page: a kind (its colour and icon) and words."""

    kind: str  # an indicator (none, minor, major, critical), "maintenance" or "unknown"
    words: str
    # what is affected, when components are: "Major outage: Billing", "Partial outage: 5
    # components"; "" when all are operational or the page cannot say (stale, no data)
    affected: str = ""
    worst: str = ""  # the worst state of the affected components, when there are some

    @property
    def headline(self) -> str:
        """The status in a few words for the <title>: "Major outage", "All systems operational"."""
        if self.worst:
            return state_label(self.worst)
        return self.words[:1] + self.words[1:].lower()


AFFECTED_NAMED = 3  # up to this many affected components are named in the banner, else counted


def affected_words(monitors: list[MonitorState]) -> tuple[str, str]:
    """The troubled components in words, worst state first ("Major outage: Billing"), and the
    worst state ("" and "" when none is troubled).

    Up to AFFECTED_NAMED are named, each under its own state ("Major outage: Billing;
    Degraded performance: API"); more are counted under the worst state ("Partial outage: 5
    components"). Monitors under maintenance are not troubled and are left out.
    """
    troubled = [s for s in monitors if s.status not in (status.OPERATIONAL, status.MAINTENANCE)]
    if not troubled:
        return "", ""
    worst = status.worst([s.status for s in troubled])
    if len(troubled) > AFFECTED_NAMED:
        return f"{state_label(worst)}: {len(troubled)} components", worst
    by_state: dict[str, list[str]] = {}
    for s in sorted(troubled, key=lambda s: -status.COMPONENT_RANK[s.status]):
        by_state.setdefault(s.status, []).append(s.monitor.name)
    words = "; ".join(f"{state_label(k)}: {', '.join(names)}" for k, names in by_state.items())
    return words, worst


@dataclass(frozen=True)
class Group:
    """One group of monitors on the page, with its heading and worst state."""

    name: str  # as configured; "" for ungrouped monitors
    title: str  # the heading shown
    state: str  # the worst component status of its members
    members: list[MonitorState]

    @property
    def troubled(self) -> bool:
        """Whether the heading shows the group's state (only when it is not operational)."""
        return self.state != status.OPERATIONAL


@dataclass(frozen=True)
class Summary:
    """The state of the whole page at build time."""

    now: datetime
    indicator: Indicator
    description: str
    monitors: list[MonitorState]
    incidents: list[Incident]  # every incident and maintenance, newest first
    newest: datetime | None  # time of the newest sample of any monitor
    stale: str | None
    # the age of the newest sample past which the visitor's browser, too, says "Status unknown"
    stale_after: timedelta = status.STALE_AFTER
    # monitor id -> reliability figures (empty when a build leaves them out)
    reliability: Mapping[str, MonitorReport] = field(default_factory=dict)

    @property
    def updated(self) -> datetime:
        """When the page's data was last true: the newest sample, or the build without one."""
        return self.newest or self.now

    @property
    def banner(self) -> Banner:
        """The banner: unknown when the data is stale, maintenance when only that is going on."""
        if self.indicator == "none" and self.stale:
            return Banner(UNKNOWN, "Status unknown" if self.newest else NO_DATA)
        if self.indicator == "none" and self.maintenance_now:
            return Banner(MAINTENANCE, self.description)
        return Banner(self.indicator, self.description, *affected_words(self.monitors))

    @property
    def groups(self) -> list[Group]:
        """Monitors by group, in config order; ungrouped ones under ""."""
        grouped: dict[str, list[MonitorState]] = {}
        for state in self.monitors:
            grouped.setdefault(state.monitor.group, []).append(state)
        fallback = "Services" if len(grouped) == 1 else "Other services"
        return [
            Group(name, name or fallback, status.worst([s.status for s in members]), members)
            for name, members in grouped.items()
        ]

    @property
    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents if i.is_open]

    @property
    def maintenance_now(self) -> list[Incident]:
        return [i for i in self._maintenance if i.maintenance_state(self.now) == "in_progress"]

    @property
    def maintenance_next(self) -> list[Incident]:
        upcoming = [i for i in self._maintenance if i.maintenance_state(self.now) == "scheduled"]
        return sorted(upcoming, key=lambda i: i.start or self.now)

    @property
    def maintenance(self) -> list[Incident]:
        """Maintenance going on now, then what is coming, soonest first."""
        return self.maintenance_now + self.maintenance_next

    @property
    def _maintenance(self) -> list[Incident]:
        return [i for i in self.incidents if i.is_maintenance and i.start and i.end]


# --- words and marks of an incident ----------------------------------------------------


def incident_words(incident: Incident, now: datetime) -> str:
    """The state of an incident or maintenance in words."""
    if incident.is_maintenance:
        return state_label(incident.maintenance_state(now))
    return state_label(incident.status)


def incident_mark(incident: Incident) -> str:
    """What colours an incident's row: its severity, or "maintenance"."""
    return MAINTENANCE if incident.is_maintenance else incident.severity


def incident_state(incident: Incident) -> ComponentStatus:
    """The component status an incident's pill shows: its severity's, or under maintenance."""
    return (
        status.MAINTENANCE if incident.is_maintenance else status.FROM_SEVERITY[incident.severity]
    )


def impact_words(incident: Incident) -> str:
    """What an incident's pill says: "Major impact", or "Scheduled maintenance"."""
    return (
        "Scheduled maintenance"
        if incident.is_maintenance
        else f"{incident.severity.capitalize()} impact"
    )


def uptime_words(value: float | None) -> str:
    """A monitor's uptime under its bar: "99.95% uptime", or "No data"."""
    return status.format_uptime(value) + (" uptime" if value is not None else "")


def resolved_time(incident: Incident) -> datetime | None:
    """When an incident was resolved, if it is (a resolved time on an open one is not shown)."""
    if incident.is_maintenance or incident.status != "resolved":
        return None
    return incident.resolved


def lasted(incident: Incident) -> timedelta | None:
    """How long a resolved incident lasted, when both ends are known."""
    resolved = resolved_time(incident)
    return resolved - incident.started if resolved and incident.started else None


# --- an incident's timeline ------------------------------------------------------------


class Entry(NamedTuple):
    """One line of an incident's timeline as shown: its state label ("" when the text says it)."""

    label: str
    time: datetime
    text: str


def timeline(incident: Incident, now: datetime) -> list[Entry]:
    """An incident's updates as its page shows them, newest first.

    The probe notes an outage and its end when it runs, a few minutes after the samples that
    show them; the header gives the sample times (as the JSON, the history and the uptime do),
    so an auto incident's first update and its closing Resolved update show those same times.
    A maintenance window that has ended says Completed even when no update says so.
    """
    updates = incident.updates
    entries = [Entry(state_label(u.status), u.time, u.text) for u in updates]
    if incident.auto and entries:
        if incident.started:
            entries[0] = entries[0]._replace(time=incident.started)
        resolved = resolved_time(incident)
        if resolved and updates[-1].status == "resolved" and len(entries) > 1:
            entries[-1] = entries[-1]._replace(time=resolved)
    if incident.is_maintenance and incident.end:
        state = incident.maintenance_state(now)
        if state == "completed" and not any(u.status == "completed" for u in updates):
            entries.append(Entry(state_label(state), incident.end, ""))
    # "Resolved · Resolved after 20 min." says it twice: such a text alone names the state.
    return [e._replace(label="") if repeats(e.label, e.text) else e for e in reversed(entries)]


def repeats(label: str, text: str) -> bool:
    """Whether an update's text opens with its state's word ("Resolved after 20 min.")."""
    return text.casefold().startswith(label.casefold() + " ")


# --- text the pages may show -----------------------------------------------------------


def printable(value: Any) -> Any:
    """Text with the code points HTML and XML forbid (controls, noncharacters) shown as \ufffd."""
    if not isinstance(value, str) or (value.isascii() and value.isprintable()):
        return value  # every value a page writes passes here: most are plain ASCII
    if isinstance(value, Markup):
        return Markup(FORBIDDEN_RE.sub("\ufffd", value))
    if isinstance(value, str):
        return FORBIDDEN_RE.sub("\ufffd", value)
    return value
