"""The probe's incident automation: streak math as tables, then `update` over real files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from generator import incidents
from generator.config.read import Config, load_config
from generator.errors import IncidentError
from generator.incidents import Change, parse
from generator.incidents.outages import Outage, outages, points
from generator.store import days as store
from generator.store.days import Sample

CONFIG = """\
site:
  title: Test
monitors:
  - id: api
    name: Public API
    url: http://127.0.0.1:9/
  - id: db
    name: Database
    type: tcp
    host: 127.0.0.1
    port: 9
    severity: critical
  - id: web
    name: Website
    url: http://127.0.0.1:9/
    failure_threshold: 1
    success_threshold: 1
    incident_on_degraded: true
"""
T0 = datetime(2026, 6, 19, 23, 40, tzinfo=UTC)
DETAIL = {"down": "HTTP 503", "degraded": "slow: 2500 ms", "up": ""}
KIND = {"down": "http_5xx", "degraded": "slow", "up": ""}  # as the probe decides them


def at(step: int) -> datetime:
    """The time of the step-th five-minute run."""
    return T0 + timedelta(minutes=5 * step)


def sample(step: int, status: str, monitor: str = "api", location: str = "default") -> Sample:
    return Sample(at(step), monitor, location, status, 10, None, DETAIL[status], KIND[status])


# --- streak math --------------------------------------------------------------------


def spans(states: str, failures: int = 2, successes: int = 2) -> list[tuple[int, int | None]]:
    """Outages in a string of states ('d' down, 'u' up) as (first bad step, first good step)."""
    status = {"d": "down", "u": "up", "g": "degraded"}
    series = points([sample(i, status[c]) for i, c in enumerate(states)], [], False)
    found = outages(series, failures, successes)
    index = {p.time: i for i, p in enumerate(series)}
    return [(index[o.start], None if o.end is None else index[o.end]) for o in found]


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ("", []),
        ("uuuu", []),
        ("d", []),
        ("udu", []),
        ("dudududu", []),
        ("dd", [(0, None)]),
        ("udd", [(1, None)]),
        ("dddu", [(0, None)]),
        ("dduu", [(0, 2)]),
        ("ddudduu", [(0, 5)]),
        ("dduudd", [(0, 2), (4, None)]),
        ("ddgg", [(0, 2)]),
    ],
)
def test_outages_from_states(states: str, expected: list[tuple[int, int | None]]) -> None:
    assert spans(states) == expected


def test_thresholds_of_one_and_three() -> None:
    assert spans("dud", 1, 1) == [(0, 1), (2, None)]
    assert spans("ddduudd", 3, 3) == [(0, None)]
    assert spans("ddduuu", 3, 3) == [(0, 3)]


def test_a_time_is_bad_only_when_every_location_saw_it_fail() -> None:
    samples = [
        sample(0, "down"),
        sample(0, "up", location="eu"),
        sample(1, "down"),
        sample(1, "down", location="eu"),
    ]
    assert [p.bad for p in points(samples, [], False)] == [False, True]


def test_degraded_counts_as_bad_only_when_asked() -> None:
    assert [p.bad for p in points([sample(0, "degraded")], [], False)] == [False]
    assert [p.bad for p in points([sample(0, "degraded")], [], True)] == [True]


def test_points_in_maintenance_count_neither_way() -> None:
    window = [(at(1), at(3))]
    series = points([sample(i, "down") for i in range(4)], window, False)
    assert [p.time for p in series] == [at(0), at(3)]
    assert outages(series, 2, 2) == [Outage(at(0), None, sample(0, "down"))]


# --- update over real files ---------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "status.yml").write_text(CONFIG)
    return load_config(tmp_path / "status.yml")


def run(config: Config, step: int, **states: str) -> list[Change]:
    """One probe run at a step: record a sample per monitor, then update incidents."""
    store.append_samples(config.data_dir, [sample(step, s, m) for m, s in states.items()])
    return incidents.update(config, at(step), list(states))


def files(config: Config) -> dict[str, str]:
    folder = config.incidents_dir
    return {p.name: p.read_text() for p in sorted(folder.glob("*.md"))} if folder.is_dir() else {}


def only(config: Config) -> incidents.Incident:
    (path,) = config.incidents_dir.glob("*.md")
    return parse(path.read_text(), path)


def test_a_blip_opens_nothing(config: Config) -> None:
    for step, state in enumerate(["up", "down", "up", "up"]):
        assert run(config, step, api=state) == []
    assert files(config) == {}


def test_an_outage_across_midnight_opens_and_resolves_one_incident(config: Config) -> None:
    assert run(config, 0, api="up") == []
    assert run(config, 3, api="down") == []  # 23:55
    assert run(config, 4, api="down") == [  # 00:00, the next day's file
        Change("opened", "2026-06-19-public-api-is-down", "api", "HTTP 503")
    ]
    assert sorted(p.name for p in config.data_dir.iterdir()) == ["2026-06-19.csv", "2026-06-20.csv"]
    opened = files(config)["2026-06-19-public-api-is-down.md"]
    assert (
        opened
        == """\
---
title: Public API is down
type: incident
status: investigating
severity: major
monitors: [api]
started: 2026-06-19T23:55:00Z
auto: true
kinds: [http_5xx]
---

## Updates

### 2026-06-20 00:00 UTC — Investigating

HTTP 503
"""
    )
    assert run(config, 5, api="down") == []
    assert run(config, 6, api="up") == []
    assert run(config, 7, api="up") == [
        Change("resolved", "2026-06-19-public-api-is-down", "api", "after 15 min")
    ]
    assert files(config)["2026-06-19-public-api-is-down.md"] == opened.replace(
        "status: investigating", "status: resolved"
    ).replace("auto: true", "resolved: 2026-06-20T00:10:00Z\nauto: true") + (
        "\n### 2026-06-20 00:15 UTC — Resolved\n\nResolved after 15 min.\n"
    )
    assert run(config, 8, api="up") == []


def test_state_comes_from_files_alone_so_a_repeated_run_changes_nothing(config: Config) -> None:
    run(config, 0, api="down")
    run(config, 1, api="down")
    before = files(config)
    assert incidents.update(config, at(1), ["api"]) == []
    assert files(config) == before


def test_a_persons_edits_survive_the_resolve(config: Config) -> None:
    run(config, 0, api="down")
    run(config, 1, api="down")
    path = next(config.incidents_dir.glob("*.md"))
    edited = (
        path.read_text()
        .replace("title: Public API is down", "title: Login and API errors  # Ana")
        .replace("severity: major", "severity: critical")
        .replace("---\n\n## Updates", "---\nA bad deploy broke logins.\n\n## Updates")
        + "\n### 2026-06-19 23:50 UTC — Identified\n\nRolling back.\n"
    )
    path.write_text(edited)
    run(config, 2, api="up")
    assert run(config, 3, api="up")[0].kind == "resolved"
    text = path.read_text()
    assert text.startswith(edited.split("status:")[0])
    incident = parse(text, path)
    assert (incident.title, incident.severity, incident.status) == (
        "Login and API errors",
        "critical",
        "resolved",
    )
    assert incident.body == "A bad deploy broke logins."
    assert [u.status for u in incident.updates] == ["investigating", "identified", "resolved"]
    assert incident.resolved == at(2)


def test_a_person_resolving_early_is_final(config: Config) -> None:
    run(config, 0, api="down")
    run(config, 1, api="down")
    path = next(config.incidents_dir.glob("*.md"))
    person = path.read_text().replace(
        "status: investigating", "status: resolved\nresolved: 2026-06-19T23:46:00Z"
    )
    path.write_text(person)
    for step in range(2, 5):
        assert run(config, step, api="down") == []
    assert run(config, 5, api="up") == []
    assert run(config, 6, api="up") == []
    assert path.read_text() == person
    # A later outage is a new one.
    run(config, 7, api="down")
    assert [c.kind for c in run(config, 8, api="down")] == ["opened"]
    assert sorted(files(config)) == [path.name, "2026-06-20-public-api-is-down.md"]


def test_flapping_opens_at_most_one_incident(config: Config) -> None:
    changes = [
        run(config, i, api=s) for i, s in enumerate(["down", "up", "down", "up", "down", "up"])
    ]
    assert changes == [[]] * 6
    changes = [
        run(config, 6 + i, api=s)
        for i, s in enumerate(["down", "down", "up", "down", "down", "up", "up"])
    ]
    assert [[c.kind for c in c_] for c_ in changes] == [
        [],
        ["opened"],
        [],
        [],
        [],
        [],
        ["resolved"],
    ]
    assert only(config).resolved == at(11)


def test_maintenance_covering_an_outage_opens_nothing(config: Config) -> None:
    config.incidents_dir.mkdir()
    (config.incidents_dir / "2026-06-19-db-move.md").write_text(
        "---\ntitle: Moving the database\ntype: maintenance\nmonitors: [api]\n"
        "start: 2026-06-19T23:45:00Z\nend: 2026-06-20T00:00:00Z\n---\n"
    )
    for step in range(1, 4):
        assert run(config, step, api="down") == []
    assert run(config, 4, api="up") == []
    assert len(files(config)) == 1
    # Downs on both sides of a window join up: the window counts neither way.
    run(config, 5, api="down")
    assert run(config, 6, api="down")[0].kind == "opened"


def test_two_monitors_failing_at_once_open_two_incidents(config: Config) -> None:
    run(config, 0, api="down", db="down")
    changes = run(config, 1, api="down", db="down")
    assert [(c.kind, c.monitor) for c in changes] == [("opened", "api"), ("opened", "db")]
    db = parse(
        files(config)["2026-06-19-database-is-down.md"], Path("2026-06-19-database-is-down.md")
    )
    assert (db.severity, db.monitors, db.auto) == ("critical", ("db",), True)


def test_a_person_opened_incident_is_left_alone(config: Config) -> None:
    config.incidents_dir.mkdir()
    path = config.incidents_dir / "2026-06-19-slow-logins.md"
    person = "---\ntitle: Slow logins\nmonitors: [api]\nstarted: 2026-06-19T23:00:00Z\n---\nWe look into it.\n"
    path.write_text(person)
    run(config, 0, api="down")
    assert [c.kind for c in run(config, 1, api="down")] == ["opened"]
    run(config, 2, api="up")
    assert [c.kind for c in run(config, 3, api="up")] == ["resolved"]
    assert path.read_text() == person


def test_degraded_opens_only_where_configured(config: Config) -> None:
    assert run(config, 0, api="degraded", web="degraded") == [
        Change("opened", "2026-06-19-website-is-degraded", "web", "slow: 2500 ms")
    ]
    assert run(config, 1, api="degraded", web="up")[0].kind == "resolved"


def test_only_the_listed_monitors_are_decided(config: Config) -> None:
    run(config, 0, api="down", db="down")
    store.append_samples(config.data_dir, [sample(1, "down", "api"), sample(1, "down", "db")])
    assert [c.monitor for c in incidents.update(config, at(1), ["db"])] == ["db"]


def test_a_broken_open_auto_file_still_holds_its_monitor(config: Config) -> None:
    run(config, 0, api="down")
    run(config, 1, api="down")
    path = next(config.incidents_dir.glob("*.md"))
    path.write_text(path.read_text().replace("severity: major", "severity: huge"))
    for step in range(2, 6):
        assert run(config, step, api="down") == []
    assert len(files(config)) == 1


def test_a_person_may_reopen_by_hand_and_the_probe_resolves_again(config: Config) -> None:
    run(config, 0, api="down")
    run(config, 1, api="down")
    run(config, 2, api="up")
    run(config, 3, api="up")
    path = next(config.incidents_dir.glob("*.md"))
    assert only(config).status == "resolved"
    reopened = path.read_text().replace("status: resolved", "status: monitoring")
    reopened = "\n".join(line for line in reopened.split("\n") if not line.startswith("resolved:"))
    path.write_text(reopened)
    assert run(config, 4, api="up")[0].kind == "resolved"
    assert only(config).resolved == at(2)


def test_a_file_saved_with_windows_line_endings_keeps_them(config: Config) -> None:
    run(config, 0, api="down")
    run(config, 1, api="down")
    path = next(config.incidents_dir.glob("*.md"))
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    run(config, 2, api="up")
    run(config, 3, api="up")
    data = path.read_bytes()
    assert b"status: resolved\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


# --- failure kinds --------------------------------------------------------------------


def kind_run(config: Config, step: int, kind: str) -> list[Change]:
    """A run where api is down with this kind ("" for up)."""
    status = "down" if kind else "up"
    got = Sample(at(step), "api", "default", status, 10, None, DETAIL[status], kind)
    store.append_samples(config.data_dir, [got])
    return incidents.update(config, at(step), ["api"])


def test_an_auto_incident_records_the_kinds_of_its_outage_in_the_order_seen(
    config: Config,
) -> None:
    for step, kind in enumerate(["timeout", "timeout"]):
        kind_run(config, step, kind)
    assert only(config).kinds == ("timeout",)
    for step, kind in enumerate(["http_5xx", "timeout", "", ""], start=2):
        kind_run(config, step, kind)
    assert (only(config).status, only(config).kinds) == ("resolved", ("timeout", "http_5xx"))
    assert "kinds: [timeout, http_5xx]\n" in next(iter(files(config).values()))


def test_kinds_a_person_wrote_stay_and_kinds_seen_since_follow_them(config: Config) -> None:
    kind_run(config, 0, "dns")
    kind_run(config, 1, "dns")
    path = next(config.incidents_dir.glob("*.md"))
    path.write_text(path.read_text().replace("kinds: [dns]", "kinds: [connect]"))
    for step, kind in enumerate(["tls", "", ""], start=2):
        kind_run(config, step, kind)
    assert only(config).kinds == ("connect", "dns", "tls")


def test_an_unknown_kind_is_an_error_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "2026-06-19-x.md"
    text = "---\ntitle: X\nmonitors: []\nstarted: 2026-06-19T10:00:00Z\nkinds: [timout]\n---\n"
    with pytest.raises(IncidentError) as raised:
        parse(text, path)
    assert "kinds: 'timout' is not a failure kind (did you mean 'timeout'?)" in str(raised.value)
