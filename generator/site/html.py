"""Render the HTML pages from the Jinja templates: the built-in ones, each overridable from site_templates/.

Templates get plain values (the view model's Summary and config) and a few filters for times
in the site's zone, uptime words and incident Markdown; they display, the model decides. Every page gets `root`, the relative
way back to the site's top ("" or "../"), so links work under any base path.
"""

from __future__ import annotations

import hashlib
import logging
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
from markupsafe import Markup, escape

from .. import safefiles, status, times
from ..config.read import Config
from ..errors import Problem, UpwatchError, display_path
from ..incidents import Incident
from . import charts, figures, model
from .markdown import render_markdown, too_costly
from .model import Files, Summary
from .shares import Part

log = logging.getLogger(__name__)

ASSETS = "assets"
BUILTIN = Path(__file__).resolve().parent / "templates"  # shipped in the wheel
PAST_DAYS = 14


def page_parts(config: Config, summary: Summary) -> list[Part]:
    """index.html, history.html, reliability.html and one page per monitor and per incident,
    each a part of the build's work (shares.py); the templates are compiled here, once,
    before a fork shares them."""
    env = environment(config, summary)
    jobs: list[Job] = [
        ("index.html", "index.html", lambda: {"past": past_days(summary, config)}),
        ("history.html", "history.html", dict),
        ("reliability.html", "reliability.html", dict),
    ]
    for state in summary.monitors:
        jobs.append((f"monitors/{state.id}.html", "monitor.html", _monitor_context(state, summary)))
    for incident in summary.incidents:
        warn_plain_text(incident, config)
        jobs.append((f"incidents/{incident.id}.html", "incident.html", _incident(incident)))
    _compile(env, sorted({template for _, template, _ in jobs}))
    monitors = len(summary.monitors)
    return [
        Part(1 + COST_PER_MONITOR.get(template, 0) * monitors, _maker(env, path, template, context))
        for path, template, context in jobs
    ]


Job = tuple[str, str, Callable[[], dict[str, Any]]]  # path, template, its context when rendered
# What a page costs to render beside a monitor page, per monitor: the index shows each one's
# 90-day bar, reliability.html a row (measured with 100 monitors).
COST_PER_MONITOR = {"index.html": 1 / 3, "reliability.html": 1 / 20}


def _maker(
    env: Environment, path: str, template: str, context: Callable[[], dict[str, Any]]
) -> Callable[[], Files]:
    return lambda: {path: _page(env, template, path, **context())}


def _monitor_context(state: model.MonitorState, summary: Summary) -> Callable[[], dict[str, Any]]:
    return lambda: {"state": state, "charts": charts.monitor_charts(state, summary.now)}


def _incident(incident: Incident) -> Callable[[], dict[str, Any]]:
    return lambda: {"incident": incident}


SHARED = ("base.html", "macros.html", "reliability_macros.html")  # what the pages import


def _compile(env: Environment, pages: list[str]) -> None:
    """Compile the page templates and those they import."""
    for name in [*pages, *SHARED]:
        try:
            env.get_template(name)
        except TemplateError as exc:
            raise UpwatchError([template_problem(exc, name)]) from None


def warn_plain_text(incident: Incident, config: Config) -> None:
    """Say when an incident's Markdown is shown as written because it would render too slowly."""
    if any(too_costly(text) for text in (incident.body, *(u.text for u in incident.updates))):
        where = safefiles.display(incident.path, config.root)
        log.warning("%s: too complex to render as Markdown in time; shown as plain text", where)


def _page(env: Environment, name: str, path: str, **context: Any) -> bytes:
    """One page; `path` is where it goes in the site (its og:url, and the way back up)."""
    root = "../" * path.count("/")
    page_path = "" if path == "index.html" else path  # the site's address is its index
    try:
        return env.get_template(name).render(root=root, page_path=page_path, **context).encode()
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
        finalize=model.printable,
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
        duration=times.duration,
        sparkline=charts.sparkline,
        bar_days=bar_days,
        incident_words=model.incident_words,
        incident_mark=model.incident_mark,
        incident_state=model.incident_state,
        impact_words=model.impact_words,
        lasted=model.lasted,
        ongoing=times.ongoing,
        timeline=lambda i: model.timeline(i, summary.now),
        repeats=model.repeats,  # whether a text opens with the state's word
        resolved_time=model.resolved_time,
        uptime_words=model.uptime_words,
        # Kept for site_templates/ written for earlier versions; the built-ins no longer decide.
        severity_state=status.FROM_SEVERITY.__getitem__,
        worst=status.worst,
        state_label=model.state_label,
        groupby_month=lambda items: by_month(items, zone),
    )
    env.filters.update(figures.FILTERS)  # reliability figures in words
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


BAR_CLASSES = {"no_data": "n", "maintenance": "w", "degraded": "d", "partial": "p", "major": "x"}


def bar_days(marks: Sequence[status.Day], focusable: bool = True) -> Markup:
    """The items of a 90-day bar: unquoted one-letter classes, as this repeats 90 times per
    monitor. On a monitor page each day takes keyboard focus (no script needed), which shows
    its text as hovering does; on the index (50 bars: 11 bytes a day would be 50 kB) live.js
    adds that, and without a script each row's link leads to the monitor page's bar."""
    focus = " tabindex=0" if focusable else ""
    items = []
    for mark in marks:
        short = BAR_CLASSES.get(mark.state)
        text = escape(model.printable(mark.text))
        items.append(f"<li{focus} class={short}>{text}" if short else f"<li{focus}>{text}")
    return Markup("".join(items))


def time_filters(zone: ZoneInfo, now: datetime) -> dict[str, Callable[..., str]]:
    """Times shown in the site's zone with the zone named; ISO 8601 for attributes."""
    return {
        "clock": lambda t: times.clock(t, zone),
        "day": lambda t: times.day_text(t, zone),
        "when": lambda t: times.when(t, zone, now),
        "iso": times.attribute_time,
        "ago": lambda t: times.ago(t, now),
    }


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
