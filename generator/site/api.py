"""The JSON API: Statuspage v2 shapes under api/v2/, and one file per monitor.

Field names and enum values follow Statuspage, so tools that read a Statuspage page read
ours: a component is a monitor (id = monitor id), an incident is an incident file
(id = file id, impact = severity), and groups are components with `group: true`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from .. import status
from ..config.read import Config
from ..incidents import Incident
from ..reliability.report import MonitorReport, budget_json, stats_json
from ..text import slugify
from ..times import api_time as iso
from .model import Files, MonitorState, Summary, resolved_time

Json = dict[str, Any]
INCIDENT_LIMIT = 50
SURROGATE_RE = re.compile("[\ud800-\udfff]")  # a lone one (YAML allows "\ud800") is no UTF-8


def files(config: Config, summary: Summary) -> Files:
    """Every JSON file of the site, by relative path."""
    page = page_info(config, summary)
    components = component_list(config, summary)
    every = [incident_json(i, summary, page["id"], components) for i in summary.incidents]
    incidents = [j for j, i in zip(every, summary.incidents, strict=True) if not i.is_maintenance]
    maintenance = [j for j, i in zip(every, summary.incidents, strict=True) if i.is_maintenance]
    indicator = {"indicator": summary.indicator, "description": summary.description}
    unresolved = [j for j in incidents if j["status"] != "resolved"]
    pending = [j for j in maintenance if j["status"] != "completed"]
    out: dict[str, Json] = {
        "api/v2/summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": pending,
            "status": indicator,
        },
        "api/v2/status.json": {"page": page, "status": indicator},
        "api/v2/components.json": {"page": page, "components": components},
        "api/v2/incidents.json": {"page": page, "incidents": incidents[:INCIDENT_LIMIT]},
        "api/v2/incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "api/v2/scheduled-maintenances.json": {
            "page": page,
            "scheduled_maintenances": maintenance[:INCIDENT_LIMIT],
        },
        "api/v2/scheduled-maintenances/upcoming.json": {
            "page": page,
            "scheduled_maintenances": [j for j in maintenance if j["status"] == "scheduled"],
        },
        "api/v2/scheduled-maintenances/active.json": {
            "page": page,
            "scheduled_maintenances": [j for j in maintenance if j["status"] == "in_progress"],
        },
    }
    for state in summary.monitors:
        out[f"api/monitors/{state.id}.json"] = monitor_json(state)
        if state.id in summary.reliability:
            out[f"api/monitors/{state.id}.json"].update(
                reliability_json(summary.reliability[state.id])
            )
    return {name: dump(value) for name, value in out.items()}


def dump(value: Json) -> bytes:
    """JSON as UTF-8, compact (json's C encoder: indenting is its slow pure-Python path, and
    APIs are read by programs); a lone surrogate is shown as \ufffd, as on the pages."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (SURROGATE_RE.sub("\ufffd", text) + "\n").encode()


def page_info(config: Config, summary: Summary) -> Json:
    """The `page` object every Statuspage file starts with."""
    slug = slugify(config.site.title, "status")
    return {
        "id": slug,
        "name": config.site.title,
        "url": config.site.url,
        "time_zone": config.site.timezone,
        # the newest sample's time, not the build's: a client compares it to see stale data
        "updated_at": iso(summary.updated),
    }


def component_list(config: Config, summary: Summary) -> list[Json]:
    """Monitors as components, plus one group component per named group."""
    page_id = page_info(config, summary)["id"]
    out: list[Json] = []
    position = 0
    groups = summary.groups
    group_ids = _group_ids([g.name for g in groups], {m.id for m in config.monitors})
    for g in groups:
        group_id = group_ids.get(g.name)
        if g.name:
            position += 1
            group = _component(group_id or "", g.name, "", page_id, summary, position, None)
            group["status"] = g.state
            group["group"] = True
            group["components"] = [m.id for m in g.members]
            group["no_data"] = all(m.no_data for m in g.members)
            out.append(group)
        for state in g.members:
            position += 1
            component = _component(
                state.id,
                state.monitor.name,
                state.monitor.description,
                page_id,
                summary,
                position,
                group_id,
            )
            component.update(_dates(state, summary))
            component["status"] = state.status
            component["no_data"] = state.no_data  # an extra field: Statuspage clients ignore it
            out.append(component)
    return out


def _group_ids(names: list[str], taken: set[str]) -> dict[str, str]:
    """A component id for each named group, unique among groups and monitors alike."""
    ids: dict[str, str] = {}
    for name in filter(None, names):
        base = "group-" + slugify(name, "unnamed")
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate)
        ids[name] = candidate
    return ids


def _component(
    cid: str,
    name: str,
    description: str,
    page_id: str,
    summary: Summary,
    position: int,
    group_id: str | None,
) -> Json:
    return {
        "id": cid,
        "name": name,
        "status": status.OPERATIONAL,
        "created_at": iso(summary.now),
        "updated_at": iso(summary.now),
        "position": position,
        "description": description or None,
        "showcase": True,
        "start_date": None,
        "group_id": group_id,
        "page_id": page_id,
        "group": False,
        "only_show_if_degraded": False,
    }


def _dates(state: MonitorState, summary: Summary) -> Json:
    """When a component first and last had data."""
    first = min(state.days, default=None)
    return {
        "created_at": iso(datetime.combine(first, datetime.min.time(), UTC))
        if first
        else iso(summary.now),
        "updated_at": iso(state.latest.time) if state.latest else iso(summary.now),
        "start_date": first.isoformat() if first else None,
    }


def incident_json(
    incident: Incident, summary: Summary, page_id: str, components: list[Json]
) -> Json:
    """One incident or maintenance in Statuspage's shape."""
    begun = incident.begins
    times = [u.time for u in incident.updates]
    created = begun or (min(times) if times else summary.now)
    monitoring = next((u.time for u in incident.updates if u.status == "monitoring"), None)
    out: Json = {
        "id": incident.id,
        "name": incident.title,
        "status": incident_status(incident, summary.now),
        "created_at": iso(created),
        "updated_at": iso(max([created, *times])),
        "monitoring_at": iso(monitoring),
        "resolved_at": iso(resolved_at(incident, summary.now)),
        "impact": "maintenance" if incident.is_maintenance else incident.severity,
        "shortlink": f"incidents/{incident.id}.html",
        "started_at": iso(created),
        "page_id": page_id,
        "incident_updates": updates_json(incident, components),
        "components": [c for c in components if c["id"] in incident.monitors and not c["group"]],
    }
    if incident.is_maintenance:
        out["scheduled_for"] = iso(incident.start)
        out["scheduled_until"] = iso(incident.end)
    return out


def incident_status(incident: Incident, now: datetime) -> str:
    """Statuspage's status word: the incident's state, or the window's for maintenance."""
    if incident.is_maintenance and incident.start and incident.end:
        return incident.maintenance_state(now)
    return incident.status


def resolved_at(incident: Incident, now: datetime) -> datetime | None:
    """When an incident was resolved, or a maintenance window ended (once it has)."""
    if incident.is_maintenance:
        return incident.end if incident.end and incident.end <= now else None
    return resolved_time(incident)


def updates_json(incident: Incident, components: list[Json]) -> list[Json]:
    """The timeline, newest first, as Statuspage incident_updates."""
    affected = [
        {"code": c["id"], "name": c["name"], "old_status": c["status"], "new_status": c["status"]}
        for c in components
        if c["id"] in incident.monitors and not c["group"]
    ]
    out = []
    for index, update in reversed(list(enumerate(incident.updates))):
        out.append(
            {
                "id": f"{incident.id}-{index + 1}",
                "status": update.status,
                "body": update.text,
                "incident_id": incident.id,
                "created_at": iso(update.time),
                "updated_at": iso(update.time),
                "display_at": iso(update.time),
                "affected_components": affected or None,
                "deliver_notifications": False,
                "custom_tweet": None,
                "tweet_id": None,
            }
        )
    return out


def monitor_json(state: MonitorState) -> Json:
    """api/monitors/<id>.json: status, uptime windows and the 90 days, oldest first."""
    days = []
    for mark in state.bar:
        stats = state.days.get(mark.date)
        days.append(
            {
                "date": mark.date.isoformat(),
                "uptime": _round(mark.uptime),
                "samples": stats.samples if stats else 0,
                "avg_ms": stats.avg_ms if stats else None,
            }
        )
    return {
        "id": state.id,
        "name": state.monitor.name,
        "status": state.status,
        "uptime": {k: _round(v) for k, v in state.uptime.items()},
        "days": days,
    }


def reliability_json(report: MonitorReport) -> Json:
    """The "stats" object of a monitor's JSON, and "slo" when it has a target."""
    found: Json = {"stats": stats_json(report)}
    if report.budget is not None:
        found["slo"] = budget_json(report.budget)
    return found


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
