"""Render the HTML pages from the Jinja templates: the built-in ones, each overridable from site_templates/.

Templates get plain values (the build's Summary and config) and a few filters for times in
the site's zone, uptime words and incident Markdown. Every page gets `root`, the relative
way back to the site's top ("" or "../"), so links work under any base path.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import html
import logging
import os
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
    BaseLoader,
    ChoiceLoader,
    Environment,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.loaders import split_template_path
from markupsafe import Markup

from . import charts
from .. import safefiles
from .. import status
from ..config.read import Config
from ..errors import Problem, UpwatchError, display_path
from ..incidents.files import Incident
from ..store.days import format_time

if TYPE_CHECKING:
    from .build import Files, Summary

log = logging.getLogger(__name__)

ASSETS = "assets"
BUILTIN = Path(__file__).resolve().parent / "templates"  # shipped in the wheel
PAST_DAYS = 14
SAFE_SCHEMES = {"", "http", "https", "mailto"}
# A hand-edited incident or day file, or a config value, may hold these; one would make a page,
# the feed or a badge invalid.
NONCHARACTERS = "".join(f"{chr(p + 0xFFFE)}{chr(p + 0xFFFF)}" for p in range(0, 0x110000, 0x10000))
# A lone surrogate (YAML's "\ud800") cannot even be encoded as UTF-8.
FORBIDDEN_RE = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{NONCHARACTERS}]"
)
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
        warn_plain_text(incident, config)
        files[f"incidents/{incident.id}.html"] = _page(
            env, "incident.html", "../", incident=incident
        )
    return files


def warn_plain_text(incident: Incident, config: Config) -> None:
    """Say when an incident's Markdown is shown as written because it would render too slowly."""
    if any(too_costly(text) for text in (incident.body, *(u.text for u in incident.updates))):
        where = safefiles.display(incident.path, config.root)
        log.warning("%s: too complex to render as Markdown in time; shown as plain text", where)


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
        loader=ChoiceLoader(
            [SafeLoader(config.templates_dir, config.root), SafeLoader(BUILTIN, BUILTIN)]
        ),
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
    """The built-in assets, each replaced by a file of the same path in site_templates/assets/."""
    found: dict[str, tuple[Path, Path]] = {}
    for folder, root in ((BUILTIN, BUILTIN), (config.templates_dir, config.root)):
        for path in template_files(folder / ASSETS):
            found[path.relative_to(folder / ASSETS).as_posix()] = (path, root)
    for name in sorted(found):
        path, root = found[name]
        yield name, _read(path, root)


def template_files(folder: Path) -> Iterator[Path]:
    """Every file and symlink below a folder, by name; symlinked folders are not entered."""
    for top, folders, names in os.walk(folder):
        base = Path(top)
        folders.sort()
        links = [name for name in folders if (base / name).is_symlink()]
        yield from (base / name for name in sorted([*names, *links]))


def template_problems(config: Config) -> list[Problem]:
    """A problem for each template or asset that is not a regular file inside the repository."""
    root = config.root
    found = ((path, safefiles.refusal(path, root)) for path in template_files(config.templates_dir))
    problems = [Problem(safefiles.display(path, root), None, why) for path, why in found if why]
    return sorted(problems)


def _read(path: Path, root: Path) -> bytes:
    try:
        return safefiles.read_bytes(path, root)
    except (safefiles.UnsafeFileError, OSError) as exc:
        raise UpwatchError([Problem(safefiles.display(path, root), None, str(exc))]) from None


class SafeLoader(BaseLoader):
    """Jinja templates from one folder, read only when they are regular files inside root."""

    def __init__(self, folder: Path, root: Path) -> None:
        self.folder = folder
        self.root = root

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        if not (path.exists() or path.is_symlink()):
            raise TemplateNotFound(template)
        data = _read(path, self.root)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            where = safefiles.display(path, self.root)
            raise UpwatchError(
                [Problem(where, line, "not UTF-8 text (save it as UTF-8)")]
            ) from None
        return source, str(path), lambda: True  # one environment serves one build


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
    if too_costly(text):
        return Markup("<pre>{}</pre>").format(text)
    extensions: list[markdown.Extension | str] = ["sane_lists"]
    if not allow_html:
        extensions.append(_EscapeHtml())
    try:
        html = markdown.markdown(text, extensions=extensions, output_format="html")
    except RecursionError:  # lists or quotes nested past Python's limit: show the text as is
        return Markup("<pre>{}</pre>").format(text)
    return Markup(html)


# --- the cost of Markdown --------------------------------------------------------------
#
# python-markdown does work that grows faster than the text: each bracket scans to its
# match (or to the end of its block), each split of a block copies the rest of it, each
# inline match rebuilds its block's text, and the list of blocks shifts for every block.
# The weights are nanoseconds per step, measured with markdown 3.11 on hostile inputs and
# rounded up; a text estimated over COST_PER_CHAR per character is shown as written, so an
# incident file of MAX_FILE_BYTES renders in about 2 s at worst, whatever it holds.

BLOCK_SPLIT_RE = re.compile(r"\n[ \t]*\n")
SPLITTING_LINE_RE = re.compile(r"^ {0,3}(?:=+|-+|(?:[-*_][ \t]*){3,})[ \t]*$", re.MULTILINE)
INLINE_RE = re.compile(r"[\\`*_<>&!#\[]")  # what can start an inline match
BRACKET_RE = re.compile(r"[\[\]()]")
QUOTE_RE = re.compile(r"[\"']")
PER_CHAR, PER_BLOCK, PER_BLOCK_PAIR = 1200, 25_000, 0.5
PER_SPLIT, PER_INLINE, PER_SCAN = 15, 0.4, 170
COST_PER_CHAR = 8000


@functools.lru_cache(maxsize=512)
def too_costly(text: str) -> bool:
    """Whether python-markdown would take far longer than linear time on this text."""
    return markdown_cost(text) > COST_PER_CHAR * max(len(text), 1)


def markdown_cost(text: str) -> float:
    """An upper estimate, in nanoseconds, of python-markdown's work on a text (linear time)."""
    blocks = BLOCK_SPLIT_RE.split(text)
    cost = PER_CHAR * len(text) + PER_BLOCK_PAIR * len(blocks) ** 2
    for block in blocks:
        splits = len(SPLITTING_LINE_RE.findall(block))
        inline = len(INLINE_RE.findall(block))
        cost += PER_BLOCK + len(block) * (PER_SPLIT * splits + PER_INLINE * inline)
        cost += PER_SCAN * bracket_scans(block)
    return cost


def bracket_scans(block: str) -> int:
    """Characters python-markdown's link patterns scan: from each [ to its ], from ]( to )."""
    size = len(block)
    quotes = [m.start() for m in QUOTE_RE.finditer(block)]
    brackets: list[int] = []
    parens: list[tuple[int, bool]] = []
    scanned = 0
    for match in BRACKET_RE.finditer(block):
        at, char = match.start(), match.group()
        if char == "[":
            brackets.append(at)
        elif char == "]":
            scanned += at - brackets.pop() if brackets else 0
        elif char == "(":
            parens.append((at, at > 0 and block[at - 1] == "]"))
        elif parens:
            start, link = parens.pop()
            # A quote inside a link's parentheses makes it look for a title to the block's end.
            quoted = bisect.bisect_left(quotes, start) < bisect.bisect_left(quotes, at)
            scanned += (size - start if quoted else at - start) if link else 0
    unclosed = [*brackets, *(start for start, link in parens if link)]
    return scanned + sum(size - start for start in unclosed)
