"""Events from incident files: what a change between two versions of a file tells people.

An event's key is a function of the file alone (`<id>/opened`, `<id>/updated/<n>`,
`<id>/resolved/<time>`, `<id>/announced`, `<id>/started/<time>`, `<id>/completed/<time>`),
so a run that sees the same change again derives the same key, and the sent log
(ledger.py) sends it once. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..config.read import Notify
from ..incidents import Incident
from ..status import SEVERITIES
from ..times import format_time

MAINTENANCE_KINDS = ("announced", "started", "completed")
# Which event of an incident a message is about, when one run finds several: the latest.
PRIORITY = ("completed", "started", "announced", "resolved", "opened", "updated")


@dataclass(frozen=True)
class Event:
    """One thing to tell about one incident file."""

    incident_id: str
    kind: str  # opened | updated | resolved | announced | started | completed
    key: str
    update: int | None = None  # the timeline entry it is about (updated only)

    @property
    def group(self) -> str:
        """The word a channel's `events` list names it by."""
        return "maintenance" if self.kind in MAINTENANCE_KINDS else self.kind


def file_events(incident: Incident) -> list[Event]:
    """Every event a file's content stands for, times passing aside (see `timed_events`)."""
    iid = incident.id
    if incident.is_maintenance:
        return [Event(iid, "announced", f"{iid}/announced")]
    events = [Event(iid, "opened", f"{iid}/opened")]
    for n, update in enumerate(incident.updates):
        if n and update.status != "resolved":  # the first is the opening, a last the resolving
            events.append(Event(iid, "updated", f"{iid}/updated/{n}", n))
    if incident.status == "resolved":
        at = format_time(incident.resolved) if incident.resolved else "unset"
        events.append(Event(iid, "resolved", f"{iid}/resolved/{at}"))
    return events


def changed(old: Incident | None, new: Incident) -> list[Event]:
    """The events a new version of a file holds that the old one did not."""
    before = {e.key for e in file_events(old)} if old is not None else set()
    return [e for e in file_events(new) if e.key not in before]


def timed_events(incidents: Iterable[Incident], since: datetime, now: datetime) -> list[Event]:
    """Maintenance windows whose start or end passed after `since`, up to `now`."""
    events = []
    for incident in incidents:
        if not incident.is_maintenance or incident.start is None or incident.end is None:
            continue
        for kind, at in (("started", incident.start), ("completed", incident.end)):
            if since < at <= now:
                events.append(Event(incident.id, kind, f"{incident.id}/{kind}/{format_time(at)}"))
    return events


def routed(channel: Notify, event: Event, incident: Incident) -> bool:
    """Whether a channel is told of an event: its events, monitors and min_severity."""
    if event.group not in channel.events:
        return False
    if channel.monitors and not set(channel.monitors) & set(incident.monitors):
        return False  # a general notice (no monitors) goes to the channels of every monitor
    if incident.is_maintenance:
        return True
    return SEVERITIES.index(incident.severity) >= SEVERITIES.index(channel.min_severity)


@dataclass(frozen=True)
class Message:
    """One message to one channel, about one incident, standing for one or more events."""

    channel: str  # the channel's label
    event: Event  # the one it is about
    keys: tuple[str, ...]  # every event key it stands for (the sent log records each)


def messages(
    channel: Notify, events: Sequence[Event], incidents: dict[str, Incident]
) -> list[Message]:
    """The channel's messages: its events grouped by incident, one message each (so at most
    one `updated` per incident per run), about the latest of them."""
    by_incident: dict[str, list[Event]] = {}
    for event in events:
        incident = incidents.get(event.incident_id)
        if incident is not None and routed(channel, event, incident):
            by_incident.setdefault(event.incident_id, []).append(event)
    found = []
    for group in by_incident.values():
        main = min(group, key=_rank)
        keys = tuple(dict.fromkeys(e.key for e in group))
        found.append(Message(channel.label, main, keys))
    return found


def _rank(event: Event) -> tuple[int, int]:
    """Kinds by PRIORITY; among updates, the latest first."""
    return PRIORITY.index(event.kind), -(event.update or 0)


def from_key(key: str, incident: Incident) -> Event | None:
    """The event a sent-log key names, for a retry; None when the file no longer holds it."""
    for event in [*file_events(incident), *_timed_keys(incident)]:
        if event.key == key:
            return event
    return None


def _timed_keys(incident: Incident) -> list[Event]:
    if not incident.is_maintenance or incident.start is None or incident.end is None:
        return []
    pairs = (("started", incident.start), ("completed", incident.end))
    return [Event(incident.id, k, f"{incident.id}/{k}/{format_time(t)}") for k, t in pairs]


def happened(event: Event, incident: Incident) -> datetime | None:
    """When the thing an event tells of happened, as far as the file says."""
    if (
        event.kind == "updated"
        and event.update is not None
        and event.update < len(incident.updates)
    ):
        return incident.updates[event.update].time
    times = {
        "opened": incident.started,
        "resolved": incident.resolved,
        "started": incident.start,
        "completed": incident.end,
        "announced": incident.updates[0].time if incident.updates else incident.start,
    }
    return times.get(event.kind)
