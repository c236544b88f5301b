"""feed.atom: incidents and maintenance as an Atom 1.0 feed.

Links are absolute when site.url is set (feed readers resolve relative links poorly);
otherwise they are relative to the feed, which sits at the top of the site.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from ..config.read import Config
from ..incidents import Incident
from ..text import slugify
from ..times import format_time, when
from .markdown import render_markdown
from .model import Summary, incident_words, printable, state_label

ATOM = "http://www.w3.org/2005/Atom"
FEED_LIMIT = 50


def atom(config: Config, summary: Summary) -> bytes:
    """The whole feed document."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    base = f"{config.site.url}/" if config.site.url else ""
    _text(feed, "id", base or f"urn:upwatch:{slugify(config.site.title, 'status')}")
    _text(feed, "title", f"{config.site.title}: incidents and maintenance")
    _text(feed, "updated", format_time(_feed_updated(summary)))
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", config.site.title)
    _link(feed, base + "feed.atom", "self", "application/atom+xml")
    _link(feed, base + "index.html", "alternate", "text/html")
    _text(feed, "generator", "upwatch")
    for incident in summary.incidents[:FEED_LIMIT]:
        feed.append(entry(incident, config, summary.now, base))
    ET.indent(feed)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def entry(incident: Incident, config: Config, now: datetime, base: str) -> ET.Element:
    """One incident as an Atom entry, its content the story and the timeline."""
    item = ET.Element(f"{{{ATOM}}}entry")
    link = f"{base}incidents/{incident.id}.html"
    _text(item, "id", link if base else f"urn:upwatch:incident:{incident.id}")
    state = incident_words(incident, now)
    _text(item, "title", f"[{state}] {incident.title}")
    _text(item, "published", format_time(_begun(incident, now)))
    _text(item, "updated", format_time(_updated(incident, now)))
    _link(item, link, "alternate", "text/html")
    content = _text(item, "content", _content(incident, config, now))
    content.set("type", "html")
    return item


def _content(incident: Incident, config: Config, now: datetime) -> str:
    """The story, then the timeline, newest first, its times written as the pages write them."""
    zone = ZoneInfo(config.site.timezone)
    parts = [str(render_markdown(incident.body, config.site.allow_html))]
    for update in reversed(incident.updates):
        said = f"{state_label(update.status)}</strong> ({when(update.time, zone, now)})"
        parts.append(f"<p><strong>{said}</p>")
        parts.append(str(render_markdown(update.text, config.site.allow_html)))
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
    times = [_begun(incident, now), *(u.time for u in incident.updates)]
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
