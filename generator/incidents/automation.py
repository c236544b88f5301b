"""The probe's automation: open and resolve auto incidents from the recent samples.

Nothing is remembered between runs but the samples and the incident files: each run reads
them, lets outages.py decide, and writes only what changed, keeping a person's edits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from .. import store
from ..config.read import Config, Monitor
from ..config.yamlfile import LineDict, parse_yaml
from ..status import Severity, Window
from ..times import duration, format_time
from .folder import free_path, incident_paths, load, maintenance_windows, read_bytes, write
from .model import Change, Incident, Update
from .outages import Outage, outages, plan, points
from .text import kinds_text, locate, patch
from .validate import read

log = logging.getLogger(__name__)
MARKDOWN_SPECIAL_RE = re.compile(r"[\\`*_\[\]]")  # emphasis, code spans and links
# How far back the probe reads samples to find streaks; an outage longer than this
# still resolves, it only counts from this far back.
LOOKBACK_DAYS = 1


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
    changes = [
        c
        for i, at in decision.resolve
        if (c := resolve(config, i, at, now, monitor.id, kinds_seen(samples, i.started, at)))
    ]
    # An open auto incident that lists this monitor second, or a broken file that looks like
    # one, already speaks for it: a second incident would only repeat it.
    others = [i for i in incidents if i.auto and i.is_open and monitor.id in i.monitors[1:]]
    if decision.open and not others and monitor.id not in claimed:
        kinds = kinds_seen(samples, decision.open.start, now + timedelta(seconds=1))
        changes.append(open_incident(config, monitor, decision.open, now, kinds))
    return changes


def kinds_seen(samples: Iterable[store.Sample], start: datetime | None, end: datetime) -> list[str]:
    """The failure kinds of the samples from start to before end, in the order first seen."""
    return list(
        dict.fromkeys(
            s.kind
            for s in samples
            if s.kind and (start is None or start <= s.time) and s.time < end
        )
    )


def resolve(
    config: Config,
    incident: Incident,
    at: datetime,
    now: datetime,
    monitor_id: str,
    kinds: Iterable[str] = (),
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
    values = {"status": "resolved", "resolved": format_time(at)}
    # the kinds a person wrote stay, in their order; kinds seen since are added after them
    every = tuple(dict.fromkeys((*fresh.kinds, *kinds)))
    if every != fresh.kinds:
        values["kinds"] = kinds_text(every)
    changed = patch(text, values, note)
    if read(changed, incident.path)[1]:
        log.warning("%s: could not mark it resolved; please do it by hand", incident.path)
        return None
    store.write_atomic(incident.path, changed)
    return Change("resolved", incident.id, monitor_id, f"after {lasted}")


def open_incident(
    config: Config, monitor: Monitor, outage: Outage, now: datetime, kinds: Iterable[str] = ()
) -> Change:
    """Write a new auto incident for an outage that has lasted long enough."""
    state = "degraded" if outage.first.status == "degraded" else "down"
    title = f"{monitor.name} is {state}"
    reason = reason_of(outage.first)
    path = free_path(config.incidents_dir, outage.start.date(), title)
    incident = Incident(
        id=path.stem,
        path=path,
        title=title,
        severity=cast(Severity, monitor.severity),  # one of SEVERITIES: the config checked it
        monitors=(monitor.id,),
        started=outage.start,
        auto=True,
        kinds=tuple(kinds),
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
