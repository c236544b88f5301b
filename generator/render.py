"""Render the HTML pages from the Jinja templates in site_templates/.

Templates get plain values (the build's Summary and config) and a few filters for times in
the site's zone, uptime words and incident Markdown. Every page gets `root`, the relative
way back to the site's top ("" or "../"), so links work under any base path.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import traceback
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import markdown
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)
from markupsafe import Markup

from . import charts, status
from .config import Config
from .errors import Problem, UpwatchError, display_path
from .incidents import Incident
from .store import format_time

if TYPE_CHECKING:
    from .site import Files, Summary

ASSETS = "assets"
PAST_DAYS = 14
SAFE_SCHEMES = {"", "http", "https", "mailto"}
# A hand-edited incident or day file may hold these; one would make a page or the feed invalid.
NONCHARACTERS = "".join(f"{chr(p + 0xFFFE)}{chr(p + 0xFFFF)}" for p in range(0, 0x110000, 0x10000))
FORBIDDEN_RE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef{NONCHARACTERS}]")
URL_NOISE_RE = re.compile(r"[\x00-\x20\x7f]")  # browsers strip or ignore these in a URL


def pages(config: Config, summary: Summary) -> Files:
    """index.html, history.html and one page per monitor and per incident."""
    env = environment(config, summary)
    files = {
        "index.html": _page(env, "index.html", "", past=past_days(summary, config)),
        "history.html": _page(env, "history.html", ""),
    }
    for state in summary.monitors:
        files[f"monitors/{state.id}.html"] = _page(
            env,
            "monitor.html",
            "../",
            state=state,
            charts=charts.monitor_charts(state, summary.now),
        )
    for incident in summary.incidents:
        files[f"incidents/{incident.id}.html"] = _page(
            env, "incident.html", "../", incident=incident
        )
    return files


def _page(env: Environment, name: str, root: str, **context: Any) -> bytes:
    try:
        return env.get_template(name).render(root=root, **context).encode()
    except TemplateError as exc:
        raise UpwatchError([template_problem(exc, name)]) from None


def template_problem(exc: TemplateError, name: str) -> Problem:
    """Where a template went wrong, as `path:line: message` (a template is user-edited code)."""
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        return Problem(display_path(Path(exc.filename)), exc.lineno, exc.message or str(exc))
    # Jinja maps runtime errors onto template lines in the traceback; take the innermost one.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")]
    if frames:
        return Problem(display_path(Path(frames[-1].filename)), frames[-1].lineno, str(exc))
    return Problem(name, None, str(exc))


def environment(config: Config, summary: Summary) -> Environment:
    """The Jinja environment: autoescape, strict undefined, templates from the config's folder."""
    env = Environment(
        autoescape=True,
        finalize=printable,
        undefined=StrictUndefined,
        loader=FileSystemLoader(config.templates_dir),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = ZoneInfo(config.site.timezone)
    env.filters.update(time_filters(zone, summary.now))
    env.filters.update(
        uptime=status.format_uptime,
        state_words=status.COMPONENT_WORDS.__getitem__,
        day_words=status.DAY_WORDS.__getitem__,
        markdown=lambda text: render_markdown(text, config.site.allow_html),
        duration=status.duration_words,
        sparkline=charts.sparkline,
        incident_words=incident_words,
        severity_state=status.FROM_SEVERITY.__getitem__,
        state_label=state_label,
        worst=status.worst,
        groupby_month=lambda items: by_month(items, zone),
    )
    env.globals.update(
        site=config.site,
        summary=summary,
        now=summary.now,
        zone=config.site.timezone,
        asset_version=asset_versions(config),
        names={m.id: m.name for m in config.monitors},
        bar_summary=status.bar_summary,
    )
    return env


def printable(value: Any) -> Any:
    """Text with the code points HTML and XML forbid (controls, noncharacters) shown as \ufffd."""
    if isinstance(value, Markup):
        return Markup(FORBIDDEN_RE.sub("\ufffd", value))
    if isinstance(value, str):
        return FORBIDDEN_RE.sub("\ufffd", value)
    return value


def time_filters(zone: ZoneInfo, now: datetime) -> dict[str, Callable[..., str]]:
    """Times shown in the site's zone with the zone named; ISO 8601 for attributes."""

    def local(t: datetime) -> datetime:
        return t.astimezone(zone)

    def clock(t: datetime) -> str:
        return f"{local(t):%H:%M} {local(t).tzname()}"

    def day(t: datetime | date) -> str:
        d = local(t).date() if isinstance(t, datetime) else t
        return f"{d:%b} {d.day}, {d.year}"

    def when(t: datetime) -> str:
        d = local(t)
        year = f", {d.year}" if d.year != local(now).year else ""
        return f"{d:%b} {d.day}{year}, {clock(t)}"

    def iso(t: datetime | date) -> str:
        return format_time(t) if isinstance(t, datetime) else t.isoformat()

    return {
        "clock": clock,
        "day": day,
        "when": when,
        "iso": iso,
        "ago": lambda t: status.ago(t, now),
    }


def incident_words(incident: Incident, now: datetime) -> str:
    """The state of an incident or maintenance in words."""
    if incident.is_maintenance:
        return {
            "scheduled": "Scheduled",
            "in_progress": "In progress",
            "completed": "Completed",
        }[incident.maintenance_state(now)]
    return state_label(incident.status)


def state_label(state: str) -> str:
    """An update's state as people write it: "Investigating", "In progress"."""
    return state.replace("_", " ").capitalize()


def by_month(incidents: list[Incident], zone: ZoneInfo) -> list[tuple[str, list[Incident]]]:
    """Incidents grouped under "November 2026" headings, keeping their order."""
    groups: dict[str, list[Incident]] = {}
    for incident in incidents:
        begun = incident.begins
        label = f"{begun.astimezone(zone):%B %Y}" if begun else "Undated"
        groups.setdefault(label, []).append(incident)
    return list(groups.items())


def past_days(summary: Summary, config: Config) -> list[tuple[date, list[Incident]]]:
    """The last 14 local days, newest first, each with the incidents that began on it."""
    zone = ZoneInfo(config.site.timezone)
    today = summary.now.astimezone(zone).date()
    by_day: dict[date, list[Incident]] = {}
    for incident in summary.incidents:
        begun = incident.begins
        if begun is not None and begun <= summary.now:
            by_day.setdefault(begun.astimezone(zone).date(), []).append(incident)
    return [
        (today - timedelta(days=n), by_day.get(today - timedelta(days=n), []))
        for n in range(PAST_DAYS)
    ]


def asset_versions(config: Config) -> dict[str, str]:
    """A short content hash per asset, added to links so browsers fetch a changed file."""
    return {name: hashlib.sha256(content).hexdigest()[:10] for name, content in _assets(config)}


def assets(config: Config) -> Files:
    """Static files (CSS, icon, script) copied from the templates' assets/ folder."""
    return {f"{ASSETS}/{name}": content for name, content in _assets(config)}


def _assets(config: Config) -> Iterator[tuple[str, bytes]]:
    folder = config.templates_dir / ASSETS
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file():
            yield path.relative_to(folder).as_posix(), path.read_bytes()


# --- incident Markdown -----------------------------------------------------------------


class _SafeLinks(markdown.treeprocessors.Treeprocessor):
    """Drops script-like link targets and turns images on other hosts into plain links."""

    def run(self, root: ElementTree.Element) -> None:
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "img" and not _local_url(child.get("src", "")):
                    # A picture from another host would make every visit call that host.
                    child.tag = "a"
                    child.text = child.get("alt") or child.get("src")
                    child.attrib = {"href": child.get("src", "")}
                if child.tag == "a" and not _safe_url(child.get("href", "")):
                    child.attrib.pop("href", None)


def _as_browser_reads(url: str) -> str:
    """A link target as a browser takes it: entities decoded, spaces dropped, \\ read as /."""
    return URL_NOISE_RE.sub("", html.unescape(url)).replace("\\", "/")


def _safe_url(url: str) -> bool:
    return urlsplit(_as_browser_reads(url)).scheme.lower() in SAFE_SCHEMES


def _local_url(url: str) -> bool:
    parts = urlsplit(_as_browser_reads(url))
    return not parts.scheme and not parts.netloc


class _EscapeHtml(markdown.Extension):
    """Treat raw HTML in Markdown as text, so it is shown escaped instead of run."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)


@functools.lru_cache(maxsize=512)  # the page and the feed show the same text
def render_markdown(text: str, allow_html: bool = False) -> Markup:
    """Incident Markdown as HTML; raw HTML escaped unless the site allows it."""
    extensions: list[markdown.Extension | str] = ["sane_lists"]
    if not allow_html:
        extensions.append(_EscapeHtml())
    try:
        html = markdown.markdown(text, extensions=extensions, output_format="html")
    except RecursionError:  # lists or quotes nested past Python's limit: show the text as is
        return Markup("<pre>{}</pre>").format(text)
    return Markup(html)
