"""feed.atom and feeds/<id>.atom: incidents and maintenance as Atom 1.0 feeds.

feed.atom holds every incident and maintenance; feeds/<id>.atom those naming one monitor, so a
visitor can follow one component with a feed reader or a feed-to-e-mail service. Links are
absolute when site.url is set (feed readers resolve relative links poorly); otherwise they are
relative to the feed. An entry says what the incident's page says: the same timeline (see
model.timeline), its times written as the pages write them.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from ..config.read import Config
from ..incidents import Incident
from ..text import slugify
from ..times import format_time, when
from .markdown import render_markdown
from .model import Files, MonitorState, Summary, incident_words, printable, timeline

ATOM = "http://www.w3.org/2005/Atom"
FEED_LIMIT = 50
FEEDS = "feeds"  # the folder of the per-monitor feeds


class Feed(NamedTuple):
    """What sets one feed apart: its path in the site, id, title, page and incidents."""

    path: str
    id: str
    title: str
    page: str  # the HTML page the feed stands for, a path in the site
    incidents: list[Incident]


def atom(config: Config, summary: Summary) -> bytes:
    """The feed of every incident and maintenance (feed.atom)."""
    urn = f"urn:upwatch:{_site_slug(config)}"
    title = f"{config.site.title}: incidents and maintenance"
    return _document(
        config, summary, Feed("feed.atom", "", title, "index.html", summary.incidents), urn
    )


def monitor_feeds(config: Config, summary: Summary) -> Files:
    """One feed per monitor (feeds/<id>.atom): the incidents and maintenance that name it."""
    return {
        f"{FEEDS}/{state.id}.atom": monitor_atom(config, summary, state)
        for state in summary.monitors
    }


def monitor_atom(config: Config, summary: Summary, state: MonitorState) -> bytes:
    """One monitor's feed."""
    path = f"{FEEDS}/{state.id}.atom"
    urn = f"urn:upwatch:{_site_slug(config)}:monitor:{state.id}"
    title = f"{config.site.title}: {state.monitor.name}: incidents and maintenance"
    page = f"monitors/{state.id}.html"
    return _document(config, summary, Feed(path, path, title, page, state.incidents), urn)


def _site_slug(config: Config) -> str:
    return slugify(config.site.title, "status")


def _document(config: Config, summary: Summary, spec: Feed, urn: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    site = f"{config.site.url}/" if config.site.url else ""
    # relative links are relative to the feed: feeds/<id>.atom is one folder down
    base = site or "../" * spec.path.count("/")
    _text(feed, "id", site + spec.id if site else urn)
    _text(feed, "title", spec.title)
    incidents = spec.incidents[:FEED_LIMIT]
    # a feed without entries is as new as the whole site's, so it too depends only on incidents
    updated = [_updated(i, summary.now) for i in incidents] or [_feed_updated(summary)]
    _text(feed, "updated", format_time(max(updated)))
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", config.site.title)
    _link(feed, base + spec.path, "self", "application/atom+xml")
    _link(feed, base + spec.page, "alternate", "text/html")
    _text(feed, "generator", "upwatch")
    for incident in incidents:
        feed.append(entry(incident, config, summary.now, base, bool(site)))
    ET.indent(feed)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def entry(
    incident: Incident, config: Config, now: datetime, base: str, absolute: bool
) -> ET.Element:
    """One incident as an Atom entry, its content the story and the timeline.

    Its id is the same in every feed that carries it: the page's address, or a URN.
    """
    item = ET.Element(f"{{{ATOM}}}entry")
    page = f"incidents/{incident.id}.html"
    _text(item, "id", base + page if absolute else f"urn:upwatch:incident:{incident.id}")
    state = incident_words(incident, now)
    _text(item, "title", f"[{state}] {incident.title}")
    _text(item, "published", format_time(_begun(incident, now)))
    _text(item, "updated", format_time(_updated(incident, now)))
    _link(item, base + page, "alternate", "text/html")
    content = _text(item, "content", _content(incident, config, now))
    content.set("type", "html")
    return item


def _content(incident: Incident, config: Config, now: datetime) -> str:
    """The story, then the timeline as the incident's page shows it, newest first."""
    zone = ZoneInfo(config.site.timezone)
    parts = [str(render_markdown(incident.body, config.site.allow_html))]
    for line in timeline(incident, now):
        said = escape(when(line.time, zone, now))
        if line.label:
            said = Markup("<strong>{}</strong> · {}").format(line.label, said)
        parts.append(f"<p>{said}</p>")
        if line.text.strip():
            parts.append(str(render_markdown(line.text, config.site.allow_html)))
    return "\n".join(parts)


def _begun(incident: Incident, now: datetime) -> datetime:
    """When an entry was published: an incident when it began, a maintenance when announced.

    A window is announced ahead of its start: its first update (the file's creation) says when.
    """
    if incident.is_maintenance:
        if incident.updates:
            return incident.updates[0].time
        return incident.started or incident.begins or now
    return incident.begins or now


def _updated(incident: Incident, now: datetime) -> datetime:
    """The time of the newest line the entry shows (as its page shows it), or when it began."""
    times = [_begun(incident, now), *(line.time for line in timeline(incident, now))]
    if incident.resolved:
        times.append(incident.resolved)
    return max(times)


def _feed_updated(summary: Summary) -> datetime:
    times = [_updated(i, summary.now) for i in summary.incidents]
    return max(times, default=summary.newest or summary.now)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    child.text = printable(text)
    return child


def _link(parent: ET.Element, href: str, rel: str, kind: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}link", {"href": href, "rel": rel, "type": kind})
