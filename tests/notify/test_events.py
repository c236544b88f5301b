"""Events from two versions of an incident file, routing, one message per incident: pure."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import T0

from generator.config.read import Notify
from generator.incidents import Incident, Update
from generator.notify import Event, changed, from_key, messages, timed_events
from generator.notify.events import routed


def incident(**fields: Any) -> Incident:
    base: dict[str, Any] = {
        "id": "2026-11-23-api",
        "path": Path("incidents/2026-11-23-api.md"),
        "title": "API is down",
        "monitors": ("api",),
        "started": T0,
        "updates": (Update(T0, "investigating", "Looking."),),
    }
    return Incident(**(base | fields))


def later(minutes: int, status: str, text: str = "") -> Update:
    return Update(T0 + timedelta(minutes=minutes), status, text)


OPEN = incident()
TWO_UPDATES = incident(
    status="monitoring",
    updates=(*OPEN.updates, later(5, "identified"), later(9, "monitoring")),
)
RESOLVED = incident(
    status="resolved",
    resolved=T0 + timedelta(minutes=20),
    updates=(*TWO_UPDATES.updates, later(20, "resolved")),
)


def keys(events: list[Event]) -> list[str]:
    return [e.key for e in events]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, OPEN, ["2026-11-23-api/opened"]),
        (OPEN, OPEN, []),
        (OPEN, TWO_UPDATES, ["2026-11-23-api/updated/1", "2026-11-23-api/updated/2"]),
        (TWO_UPDATES, RESOLVED, ["2026-11-23-api/resolved/2026-11-23T10:20:00Z"]),
        (
            None,
            RESOLVED,  # a past incident written down at once
            [
                "2026-11-23-api/opened",
                "2026-11-23-api/updated/1",
                "2026-11-23-api/updated/2",
                "2026-11-23-api/resolved/2026-11-23T10:20:00Z",
            ],
        ),
        (OPEN, incident(title="API errors", severity="critical"), []),  # edits are no event
    ],
)
def test_what_a_new_version_adds(old: Incident | None, new: Incident, expected: list[str]) -> None:
    assert keys(changed(old, new)) == expected


def test_a_resolution_reopened_and_resolved_again_is_a_new_event() -> None:
    again = incident(status="resolved", resolved=T0 + timedelta(hours=2), updates=RESOLVED.updates)
    assert keys(changed(RESOLVED, again)) == ["2026-11-23-api/resolved/2026-11-23T12:00:00Z"]


WINDOW = incident(
    id="2026-11-23-upgrade",
    type="maintenance",
    status="investigating",
    start=T0 + timedelta(hours=1),
    end=T0 + timedelta(hours=2),
)


@pytest.mark.parametrize(
    ("since", "now", "expected"),
    [
        (0, 30, []),
        (30, 61, ["started"]),
        (61, 121, ["completed"]),
        (30, 130, ["started", "completed"]),
        (61, 65, []),
    ],
)
def test_windows_start_and_end_between_two_times(since: int, now: int, expected: list[str]) -> None:
    found = timed_events([WINDOW, OPEN], T0 + timedelta(minutes=since), T0 + timedelta(minutes=now))
    assert [e.kind for e in found] == expected


def channel(**fields: Any) -> Notify:
    return Notify(url="json://x/y", **fields)


@pytest.mark.parametrize(
    ("settings", "event", "subject", "told"),
    [
        ({}, "opened", OPEN, True),
        ({"events": ("resolved",)}, "opened", OPEN, False),
        ({"events": ("maintenance",)}, "announced", WINDOW, True),
        ({"monitors": ("web",)}, "opened", OPEN, False),
        ({"monitors": ("web", "api")}, "opened", OPEN, True),
        ({"monitors": ("api",)}, "opened", incident(monitors=()), False),  # a general notice
        ({}, "opened", incident(monitors=()), True),
        ({"min_severity": "major"}, "opened", incident(severity="minor"), False),
        ({"min_severity": "major"}, "opened", incident(severity="critical"), True),
        ({"min_severity": "critical"}, "announced", WINDOW, True),  # windows have no severity
    ],
)
def test_routing(settings: dict[str, Any], event: str, subject: Incident, told: bool) -> None:
    assert routed(channel(**settings), Event(subject.id, event, "k"), subject) is told


def test_one_message_per_incident_about_the_latest_event() -> None:
    events = changed(None, RESOLVED) + changed(OPEN, TWO_UPDATES)
    found = messages(channel(name="ops"), events, {OPEN.id: RESOLVED})
    assert [(m.channel, m.event.kind) for m in found] == [("ops", "resolved")]
    assert len(found[0].keys) == 4  # every key it stands for is logged as sent

    updates = messages(channel(), changed(OPEN, TWO_UPDATES), {OPEN.id: TWO_UPDATES})
    assert [(m.event.kind, m.event.update) for m in updates] == [("updated", 2)]


def test_a_channel_that_skips_resolved_still_gets_the_opening() -> None:
    found = messages(channel(events=("opened",)), changed(None, RESOLVED), {OPEN.id: RESOLVED})
    assert [m.event.kind for m in found] == ["opened"]
    assert found[0].keys == ("2026-11-23-api/opened",)


def test_a_retry_finds_its_event_again_from_the_key() -> None:
    event = from_key("2026-11-23-api/updated/2", TWO_UPDATES)
    assert event is not None and (event.kind, event.update) == ("updated", 2)
    assert from_key("2026-11-23-api/updated/7", TWO_UPDATES) is None
    started = from_key("2026-11-23-upgrade/started/2026-11-23T11:00:00Z", WINDOW)
    assert started is not None and started.kind == "started"
