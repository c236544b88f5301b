"""Incident and maintenance files: incidents/YYYY-MM-DD-slug.md.

Front matter (YAML) + a Markdown story + a timeline of updates that people write by hand
and the probe appends to. This module loads, checks and writes them, and opens and resolves
incidents from the samples (`update`); `incident_file` holds the text format,
`incident_check` the validation and `outages` the streak math.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from .. import safefiles
from ..config.checks import did_you_mean
from ..config.read import Config, Monitor
from ..config.yamlfile import LineDict, parse_yaml
from ..errors import IncidentError, Problem, display_path
from ..status import SEVERITIES, Window, inside
from ..store import days as store
from ..text import slugify
from ..times import duration, format_time, readable_utc
from .model import STATES, Incident, Update, locate, patch, render
from .outages import Outage, outages, plan, points
from .validate import parse, read

__all__ = [
    "SEVERITIES",
    "STATES",
    "Change",
    "Incident",
    "Update",
    "check",
    "in_maintenance",
    "load",
    "maintenance_windows",
    "new",
    "parse",
    "read",
    "render",
    "update",
    "write",
]

log = logging.getLogger(__name__)
EARLIEST = datetime.min.replace(tzinfo=UTC)
MARKDOWN_SPECIAL_RE = re.compile(r"[\\`*_\[\]]")  # emphasis, code spans and links
# python-markdown slows down faster than a file grows; a story longer than this is a mistake.
MAX_FILE_BYTES = 256 * 1024
# How far back the probe reads samples to find streaks; an outage longer than this
# still resolves, it only counts from this far back.
LOOKBACK_DAYS = 1


@dataclass(frozen=True)
class Change:
    """What the probe did to an incident in one run (for the summary and the commit message)."""

    kind: str  # opened | resolved | updated
    incident_id: str
    monitor: str
    detail: str = ""


# --- reading ------------------------------------------------------------------------


def incident_paths(config: Config) -> tuple[list[Path], list[Problem]]:
    """The readable incident files by name, and a problem for each file refused.

    A README.md there is for people. A symlink out of the repository, a FIFO or a device
    is refused without being opened.
    """
    paths, problems = [], []
    for path in sorted(config.incidents_dir.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        reason = safefiles.refusal(path, config.root)
        if reason is None:
            paths.append(path)
        else:
            problems.append(Problem(safefiles.display(path, config.root), None, reason))
    return paths, problems


def read_bytes(path: Path, config: Config) -> bytes:
    """An incident file's bytes, through safefiles and under the size limit."""
    try:
        return safefiles.read_bytes(path, config.root, MAX_FILE_BYTES)
    except safefiles.TooLargeError as exc:
        raise safefiles.UnsafeFileError(f"{exc} for an incident file") from None


def read_file(path: Path, config: Config) -> tuple[Incident | None, list[Problem]]:
    """One incident file and its problems."""
    where = safefiles.display(path, config.root)
    try:
        data = read_bytes(path, config)
    except safefiles.UnsafeFileError as exc:
        return None, [Problem(where, None, str(exc))]
    except OSError as exc:
        return None, [Problem(where, None, f"cannot read: {exc.strerror or exc}")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Problem(where, line, "not UTF-8 text (save the file as UTF-8)")]
    return read(text, path, [m.id for m in config.monitors], where)


def load(config: Config, strict: bool = True) -> list[Incident]:
    """Every incident file, newest first; strict raises on any problem, else warns and skips."""
    paths, refused = incident_paths(config)
    incidents, problems = [], list(refused)
    if not strict:
        for problem in refused:
            log.warning("%s", problem)
    for path in paths:
        incident, found = read_file(path, config)
        if found and not strict:
            for problem in found:
                log.warning("%s", problem)
            log.warning("%s: skipped until it is fixed", safefiles.display(path, config.root))
        problems.extend(found)
        if incident is not None and not found:
            incidents.append(incident)
    if strict and problems:
        raise IncidentError(sorted(problems, key=lambda p: p.path))
    return sorted(incidents, key=lambda i: (i.begins or EARLIEST, i.id), reverse=True)


def check(config: Config) -> int:
    """Validate every incident file (IncidentError lists all problems); return how many."""
    return len(load(config, strict=True))


def maintenance_windows(incidents: Iterable[Incident]) -> dict[str, list[Window]]:
    """Each monitor's maintenance windows (start, end), earliest first."""
    windows: dict[str, list[Window]] = {}
    for incident in incidents:
        if incident.is_maintenance and incident.start and incident.end:
            for monitor in incident.monitors:
                windows.setdefault(monitor, []).append((incident.start, incident.end))
    return {m: sorted(w) for m, w in windows.items()}


def in_maintenance(windows: dict[str, list[Window]], monitor_id: str, t: datetime) -> bool:
    """Whether a monitor is in a maintenance window at t (start <= t < end)."""
    return inside(windows.get(monitor_id, ()), t)


# --- writing ------------------------------------------------------------------------


def write(incident: Incident) -> Path:
    """Write an incident in its canonical form."""
    store.write_atomic(incident.path, render(incident))
    return incident.path


def free_path(folder: Path, day: date, title: str) -> Path:
    """incidents/YYYY-MM-DD-slug.md, with -2, -3 ... when the name is taken."""
    base = f"{day.isoformat()}-{slugify(title, 'incident', 50)}"
    path, number = folder / f"{base}.md", 1
    while path.exists() or path.is_symlink():  # a broken link is a taken name too
        number += 1
        path = folder / f"{base}-{number}.md"
    return path


def new(
    config: Config,
    title: str,
    monitors: Sequence[str] = (),
    severity: str | None = None,
    window: tuple[datetime, datetime] | None = None,
    now: datetime | None = None,
) -> Path:
    """Write a new incident (or, with a window, maintenance) file ready to edit; return its path."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    _check_new(config, title, monitors, window)
    names = ", ".join(config.monitor(m).name for m in monitors) or "our services"
    if window:
        start, end = (t.astimezone(UTC) for t in window)
        text = f"Maintenance of {names} from {readable_utc(start)} to {readable_utc(end)}."
        fields = dict(type="maintenance", start=start, end=end)
        first = Update(now, "scheduled", text)
        day = start.date()
    else:
        severity = severity or config.defaults.severity
        fields = dict(severity=severity, started=now)
        first = Update(now, "investigating", f"We are investigating a problem with {names}.")
        day = now.date()
    path = free_path(config.incidents_dir, day, title)
    incident = Incident(
        id=path.stem,
        path=path,
        title=" ".join(title.split()),  # a title is one line, however it was typed
        monitors=tuple(monitors),
        updates=(first,),
        **fields,  # type: ignore[arg-type]
    )
    return write(incident)


def _check_new(
    config: Config, title: str, monitors: Sequence[str], window: tuple[datetime, datetime] | None
) -> None:
    """Refuse an empty title, unknown monitors and an empty window, all at once."""
    where = display_path(config.path)
    known = [m.id for m in config.monitors]
    problems = [
        Problem(
            where,
            None,
            f"--monitor {m}: no monitor '{m}' in the configuration{did_you_mean(m, known)}",
        )
        for m in monitors
        if m not in known
    ]
    if not title.strip():
        problems.insert(0, Problem(where, None, "TITLE: must not be empty"))
    if window and window[1] <= window[0]:
        problems.append(Problem(where, None, "--end: must be after --start"))
    if problems:
        raise IncidentError(problems)


# --- the probe's automation ---------------------------------------------------------


def update(config: Config, now: datetime, monitor_ids: Iterable[str]) -> list[Change]:
    """Open and resolve auto incidents of these monitors from their recent samples."""
    incidents = load(config, strict=False)
    claimed = broken_claims(config, {i.path for i in incidents})
    windows = maintenance_windows(incidents)
    by_monitor: dict[str, list[store.Sample]] = {}
    for sample in store.read_recent(config.data_dir, now, days=LOOKBACK_DAYS):
        by_monitor.setdefault(sample.monitor, []).append(sample)
    changes: list[Change] = []
    for monitor_id in monitor_ids:
        monitor = config.monitor(monitor_id)
        samples = by_monitor.get(monitor_id, [])
        changes += update_monitor(config, monitor, samples, incidents, windows, claimed, now)
    return changes


def update_monitor(
    config: Config,
    monitor: Monitor,
    samples: list[store.Sample],
    incidents: list[Incident],
    windows: dict[str, list[Window]],
    claimed: set[str],
    now: datetime,
) -> list[Change]:
    """Resolve the monitor's ended auto incident and open one for a new outage."""
    series = points(samples, windows.get(monitor.id, []), monitor.incident_on_degraded)
    found = outages(series, monitor.failure_threshold, monitor.success_threshold)
    owned = [
        i for i in incidents if i.auto and not i.is_maintenance and i.monitors[:1] == (monitor.id,)
    ]
    decision = plan(found, owned, series, monitor.success_threshold)
    changes = [c for i, at in decision.resolve if (c := resolve(config, i, at, now, monitor.id))]
    # An open auto incident that lists this monitor second, or a broken file that looks like
    # one, already speaks for it: a second incident would only repeat it.
    others = [i for i in incidents if i.auto and i.is_open and monitor.id in i.monitors[1:]]
    if decision.open and not others and monitor.id not in claimed:
        changes.append(open_incident(config, monitor, decision.open, now))
    return changes


def resolve(
    config: Config, incident: Incident, at: datetime, now: datetime, monitor_id: str
) -> Change | None:
    """Mark an auto incident resolved, re-reading it first so a person's edits are kept."""
    try:
        text = read_bytes(incident.path, config).decode("utf-8")  # as it is, line endings too
    except (OSError, ValueError):  # UnsafeFileError and UnicodeDecodeError are ValueErrors
        return None
    fresh, problems = read(text, incident.path)
    if fresh is None or problems or not (fresh.is_open and fresh.auto):
        return None
    at = max(at, fresh.started or at)
    lasted = duration(at - (fresh.started or at))
    note = Update(now, "resolved", f"Resolved after {lasted}.")
    changed = patch(text, {"status": "resolved", "resolved": format_time(at)}, note)
    if read(changed, incident.path)[1]:
        log.warning("%s: could not mark it resolved; please do it by hand", incident.path)
        return None
    store.write_atomic(incident.path, changed)
    return Change("resolved", incident.id, monitor_id, f"after {lasted}")


def open_incident(config: Config, monitor: Monitor, outage: Outage, now: datetime) -> Change:
    """Write a new auto incident for an outage that has lasted long enough."""
    state = "degraded" if outage.first.status == "degraded" else "down"
    title = f"{monitor.name} is {state}"
    reason = reason_of(outage.first)
    path = free_path(config.incidents_dir, outage.start.date(), title)
    incident = Incident(
        id=path.stem,
        path=path,
        title=title,
        severity=monitor.severity,
        monitors=(monitor.id,),
        started=outage.start,
        auto=True,
        updates=(Update(now, "investigating", as_markdown_text(reason)),),
    )
    write(incident)
    return Change("opened", incident.id, monitor.id, reason)


def reason_of(sample: store.Sample) -> str:
    """Why a sample failed, in a few words."""
    if sample.detail:
        return sample.detail
    return f"HTTP {sample.code}" if sample.code else sample.status


def as_markdown_text(text: str) -> str:
    """Text from a probed endpoint as Markdown that shows it literally, even with allow_html."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return MARKDOWN_SPECIAL_RE.sub(r"\\\g<0>", text)


def broken_claims(config: Config, good: set[Path]) -> set[str]:
    """Monitors that a broken file which looks like an open auto incident speaks for."""
    claimed: set[str] = set()
    for path in incident_paths(config)[0]:
        if path not in good:
            claimed.update(_claims(path, config))
    return claimed


def _claims(path: Path, config: Config) -> list[str]:
    """The monitors of a file's front matter when it reads as an open auto incident."""
    try:
        source, _ = locate(read_bytes(path, config).decode("utf-8"))
        if source is None:
            return []
        raw, _ = parse_yaml("\n".join(["", *source.lines[1 : source.front_end]]), str(path))
    except (OSError, UnicodeDecodeError, ValueError, OverflowError, RecursionError):
        return []
    if not isinstance(raw, LineDict) or raw.get("auto") is not True:
        return []
    # Marked resolved without a `resolved` time, it is a person resolving it mid-outage:
    # it still speaks for its monitor until the file is fixed.
    resolved = raw.get("status") == "resolved" and raw.get("resolved") is not None
    if resolved or raw.get("type") == "maintenance":
        return []
    monitors = raw.get("monitors")
    return [m for m in monitors if isinstance(m, str)] if isinstance(monitors, list) else []
