"""The words of one notification: a title such as `[Major outage] Public API is down` and
a plain-text body (state, severity, monitors, times with their zone, the latest update, a link).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import markdown

from ..config.read import Config
from ..incidents import Incident, Update
from ..status import COMPONENT_WORDS, FROM_SEVERITY, state_label
from ..times import duration, when
from .events import Event

UPDATE_CHARS = 1000  # a long story is cut: the link leads to the rest
KIND_WORDS = {
    "resolved": "Resolved",
    "announced": "Maintenance scheduled",
    "started": "Maintenance in progress",
    "completed": "Maintenance completed",
}


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def compose(config: Config, incident: Incident, event: Event, now: datetime) -> Text:
    """The title and body of a message about one event of an incident."""
    zone = ZoneInfo(config.site.timezone)
    names = [_monitor_name(config, m) for m in incident.monitors]
    lines = [_state_line(incident, now)]
    if names:
        lines.append(f"Affected: {', '.join(names)}")
    lines.append(_times(incident, zone, now))
    update = _update(incident, event)
    if update is not None:
        said = plain_text(update.text)
        if len(said) > UPDATE_CHARS:
            said = said[: UPDATE_CHARS - 1].rstrip() + "…"
        heading = f"{update.label}, {when(update.time, zone, now)}"
        lines += ["", f"{heading}:", said] if said else ["", heading]
    if config.site.url:
        lines += ["", f"{config.site.url}/incidents/{incident.id}.html"]
    return Text(f"[{_headline(incident, event, update)}] {incident.title}", "\n".join(lines))


def _headline(incident: Incident, event: Event, update: Update | None) -> str:
    """The bracketed word: the outage an opening means, a new state, or what a window does."""
    if event.kind == "opened":
        return COMPONENT_WORDS[FROM_SEVERITY[incident.severity]]
    if event.kind == "updated" and update is not None:
        return update.label
    return KIND_WORDS.get(event.kind, state_label(incident.status))


def _state_line(incident: Incident, now: datetime) -> str:
    if incident.is_maintenance:
        return f"State: {state_label(incident.maintenance_state(now))}"
    return f"State: {state_label(incident.status)} · Severity: {incident.severity}"


def _times(incident: Incident, zone: ZoneInfo, now: datetime) -> str:
    """When it began and how long it lasted (so far), or a window's start and end."""
    if incident.is_maintenance and incident.start and incident.end:
        return f"Window: {when(incident.start, zone, now)} to {when(incident.end, zone, now)}"
    if incident.started is None:
        return "Started: not given"
    began = f"Started: {when(incident.started, zone, now)}"
    if incident.resolved is not None:
        return f"{began} · Resolved: {when(incident.resolved, zone, now)} · Lasted {duration(incident.resolved - incident.started)}"
    return f"{began} · Ongoing for {duration(now - incident.started)}"


def _update(incident: Incident, event: Event) -> Update | None:
    """The update the message quotes: the event's own, else the latest."""
    if event.update is not None and event.update < len(incident.updates):
        return incident.updates[event.update]
    return incident.updates[-1] if incident.updates else None


def _monitor_name(config: Config, monitor_id: str) -> str:
    found = [m.name for m in config.monitors if m.id == monitor_id]
    return found[0] if found else monitor_id


class _Text(HTMLParser):
    """Collects the text of rendered Markdown: blocks on their own lines, links with their URL."""

    BLOCKS = frozenset({"p", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and href not in "".join(self.parts[-1:]):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str) -> str:
    """Markdown as plain text: what a reader of the page sees, without the markup."""
    parser = _Text()
    parser.feed(markdown.markdown(text))  # raw HTML in it becomes its text as well
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)
