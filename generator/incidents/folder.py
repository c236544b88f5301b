"""The incidents/ folder: incident and maintenance files read, checked, written and opened.

Files are named YYYY-MM-DD-slug.md; a README.md there is for people. Files that are
unsafe to open (links out of the repository, FIFOs, devices) or too large are refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .. import safefiles, store
from ..config.checks import did_you_mean
from ..config.read import Config
from ..errors import IncidentError, Problem, display_path
from ..status import Window, inside
from ..text import slugify
from ..times import when
from .model import Incident, Update
from .text import render
from .validate import read

log = logging.getLogger(__name__)
EARLIEST = datetime.min.replace(tzinfo=UTC)
# python-markdown slows down faster than a file grows; a story longer than this is a mistake.
MAX_FILE_BYTES = 256 * 1024


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
        # the window's times as the pages write them, in the site's zone
        zone = ZoneInfo(config.site.timezone)
        text = f"Maintenance of {names} from {when(start, zone, now)} to {when(end, zone, now)}."
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
