"""Incident files: the text format, validation messages, in-place edits, new files, loading."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from helpers import utc

from generator import incidents
from generator.config.read import Config, load_config
from generator.errors import IncidentError
from generator.incidents import (
    Incident,
    Update,
    in_maintenance,
    maintenance_windows,
    parse,
    patch,
    read,
    render,
)
from generator.incidents import folder as incidents_folder

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
"""

CANONICAL = """\
---
title: "API outage: 5xx errors"
type: incident
status: resolved
severity: critical
monitors: [api, db]
started: 2026-06-19T15:57:00Z
resolved: 2026-06-19T17:43:00Z
auto: true
---

Requests to the API failed.

It was the database.

## Updates

### 2026-06-19 15:57 UTC — Investigating

HTTP 503

### 2026-06-19 16:10:30 UTC — Identified

The primary database is out of disk.
- We are adding space.

### 2026-06-19 17:43 UTC — Resolved
"""

PATH = Path("incidents/2026-06-19-api-outage.md")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "status.yml").write_text(CONFIG)
    return load_config(tmp_path / "status.yml")


def problems(
    text: str, name: str = "2026-06-19-x.md", ids: tuple[str, ...] = ("api", "db")
) -> list[str]:
    return [str(p) for p in read(text, Path(name), ids, name)[1]]


# --- the format ---------------------------------------------------------------------


def test_canonical_file_reads_into_plain_values() -> None:
    incident = parse(CANONICAL, PATH)
    assert incident.id == "2026-06-19-api-outage"
    assert incident.title == "API outage: 5xx errors"
    assert (incident.status, incident.severity, incident.auto) == ("resolved", "critical", True)
    assert incident.monitors == ("api", "db")
    assert (incident.started, incident.resolved) == (
        utc("2026-06-19T15:57:00Z"),
        utc("2026-06-19T17:43:00Z"),
    )
    assert incident.body == "Requests to the API failed.\n\nIt was the database."
    assert incident.updates == (
        Update(utc("2026-06-19T15:57:00Z"), "investigating", "HTTP 503"),
        Update(
            utc("2026-06-19T16:10:30Z"),
            "identified",
            "The primary database is out of disk.\n- We are adding space.",
        ),
        Update(utc("2026-06-19T17:43:00Z"), "resolved", ""),
    )


def test_canonical_file_writes_back_byte_for_byte() -> None:
    assert render(parse(CANONICAL, PATH)) == CANONICAL


def test_maintenance_leaves_out_what_means_nothing_for_it() -> None:
    window = Incident(
        id=PATH.stem,
        path=PATH,
        title="DB upgrade",
        type="maintenance",
        monitors=("db",),
        start=utc("2026-12-01T02:00:00Z"),
        end=utc("2026-12-01T03:00:00Z"),
    )
    assert render(window) == (
        "---\ntitle: DB upgrade\ntype: maintenance\nmonitors: [db]\n"
        "start: 2026-12-01T02:00:00Z\nend: 2026-12-01T03:00:00Z\n---\n"
    )
    assert parse(render(window), PATH) == window


HAND_WRITTEN = """\
---
# written by Ana during the outage
title: Login fails
status: monitoring   # fix deployed
severity: minor
monitors: api
started: 2026-06-19T17:57:00+02:00
---
Story before.

## Timeline

### 2026-06-19 17:20 +02:00 - identified
Bad deploy.

```
### not an update inside a fence
```

### 2026-06-19T15:57Z | Investigating

Looking.

## Postmortem

We will add a canary.
"""


def test_hand_written_variants_are_understood() -> None:
    incident = parse(HAND_WRITTEN, PATH)
    assert incident.status == "monitoring"
    assert incident.monitors == ("api",)
    assert incident.started == utc("2026-06-19T15:57:00Z")
    assert incident.updates == (
        Update(
            utc("2026-06-19T15:20:00Z"),
            "identified",
            "Bad deploy.\n\n```\n### not an update inside a fence\n```",
        ),
        Update(utc("2026-06-19T15:57:00Z"), "investigating", "Looking."),
    )
    assert incident.body == "Story before.\n\n## Postmortem\n\nWe will add a canary."


def test_canonical_form_of_a_hand_written_file_keeps_all_its_text() -> None:
    text = render(parse(HAND_WRITTEN, PATH))
    for kept in ("Story before.", "Bad deploy.", "### not an update", "Looking.", "canary"):
        assert kept in text
    assert parse(text, PATH) == parse(HAND_WRITTEN, PATH)


# --- validation ---------------------------------------------------------------------

BROKEN = """\
---
titel: x
type: incidnet
status: fixed
severity: huge
monitors: [api, dbb]
started: 2026-06-19 15:57:00
resolved: yesterday
auto: maybe
---
Story.

## Updates

Some intro.

### 2026-06-19 15:57 — Investigating

### 2026-06-19 16:00 UTC — Fixd

### foo
"""


def test_every_problem_is_reported_at_once_with_its_line() -> None:
    assert problems(BROKEN, "bad.md") == [
        "bad.md: file name must be YYYY-MM-DD-slug.md, e.g. 2026-06-19-api-outage.md",
        "bad.md:1: title: is required",
        "bad.md:2: titel: unknown key (did you mean 'title'?)",
        "bad.md:3: type: must be one of incident, maintenance, not 'incidnet' (did you mean 'incident'?)",
        "bad.md:4: status: must be one of investigating, identified, monitoring, resolved, not 'fixed'",
        "bad.md:5: severity: must be one of minor, major, critical, not 'huge'",
        "bad.md:6: monitors: no monitor 'dbb' in the configuration (did you mean 'db'?)",
        "bad.md:7: started: 2026-06-19 15:57:00 has no time zone (add Z or an offset)",
        "bad.md:8: resolved: must be an ISO 8601 time such as 2026-06-19T15:57:00Z, not 'yesterday'",
        "bad.md:9: auto: must be true or false, not 'maybe'",
        "bad.md:15: timeline: text before the first update (start each update with '### 2026-06-19 15:57 UTC — Investigating')",
        "bad.md:17: timeline: time '2026-06-19 15:57' has no time zone (add UTC or an offset such as +02:00)",
        "bad.md:19: timeline: unknown state 'Fixd': use Investigating, Identified, Monitoring, Resolved",
        "bad.md:21: timeline: '### foo' needs a time and a state, like '### 2026-06-19 15:57 UTC — Investigating'",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "",
            "x.md:1: missing front matter: the file must start with '---', then lines such as 'title: API outage', then '---'",
        ),
        (
            "title: x\n",
            "x.md:1: missing front matter: the file must start with '---', then lines such as 'title: API outage', then '---'",
        ),
        ("---\ntitle: x\n", "x.md:1: front matter is not closed: add a '---' line after it"),
        (
            "---\n- a\n---\n",
            "x.md:1: front matter must be keys and values, such as 'title: API outage'",
        ),
        (
            "---\ntitle: [x\n---\n",
            "x.md:2: column 10: YAML syntax error: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "---\ntitle: x\nstarted: 2026-02-30T10:00:00Z\n---\n",
            "x.md:3: started: must be an ISO 8601 time such as 2026-06-19T15:57:00Z, not '2026-02-30T10:00:00Z'",
        ),
        (
            "---\ntitle: ''\nstarted: 2026-06-19T15:57:00Z\n---\n",
            "x.md:2: title: must be a non-empty text",
        ),
        (
            "---\ntitle: x\n---\n",
            "x.md:1: started: is required, such as started: 2026-06-19T15:57:00Z",
        ),
        (
            "---\ntitle: x\nstarted: 2026-06-19\n---\n",
            "x.md:3: started: needs a time of day and zone, such as 2026-06-19T00:00:00Z",
        ),
        (
            "---\ntitle: x\nstatus: resolved\nstarted: 2026-06-19T15:57:00Z\nresolved: 2026-06-19T15:00:00Z\n---\n",
            "x.md:5: resolved: 2026-06-19T15:00:00Z is before started (2026-06-19T15:57:00Z)",
        ),
        (
            "---\ntitle: x\nstatus: resolved\nstarted: 2026-06-19T15:57:00Z\n---\n",
            "x.md:3: resolved: is required when status is resolved, such as resolved: 2026-06-19T17:43:00Z",
        ),
        (
            "---\ntitle: x\nstarted: 2026-06-19T15:57:00Z\nresolved: 2026-06-19T16:00:00Z\n---\n",
            "x.md:4: resolved: is set but status is not resolved (set status: resolved, or remove resolved)",
        ),
        (
            "---\ntitle: x\ntype: maintenance\nstart: 2026-06-19T15:57:00Z\n---\n",
            "x.md:1: end: is required for maintenance",
        ),
        (
            "---\ntitle: x\ntype: maintenance\nstart: 2026-06-19T15:57:00Z\nend: 2026-06-19T15:57:00Z\n---\n",
            "x.md:5: end: 2026-06-19T15:57:00Z is not after start (2026-06-19T15:57:00Z)",
        ),
        (
            "---\ntitle: x\nmonitors: {a: 1}\nstarted: 2026-06-19T15:57:00Z\n---\n",
            "x.md:3: monitors: must be a list of monitor ids, such as [api, db]",
        ),
        (
            "---\ntitle: x\nstarted: 2026-06-19T15:57:00Z\n---\n## Updates\n### 2026-06-19 16:00 UTC — Monitoring\n## updates\n",
            "x.md:7: timeline: a second Updates section (use one)",
        ),
    ],
)
def test_one_problem(text: str, expected: str) -> None:
    name = "2026-06-19-x.md"
    assert [p.replace(name, "x.md") for p in problems(text, name)] == [expected]


def test_resolved_time_may_come_from_the_last_resolved_update() -> None:
    text = "---\ntitle: x\nstatus: resolved\nstarted: 2026-06-19T15:57:00Z\n---\n## Updates\n### 2026-06-19 16:30 UTC — Resolved\nFixed.\n"
    assert parse(text, PATH).resolved == utc("2026-06-19T16:30:00Z")


def test_parse_raises_incident_error_with_all_problems() -> None:
    with pytest.raises(IncidentError) as caught:
        parse("---\ntitle: x\nstatus: nope\n---\n", PATH)
    assert str(caught.value) == (
        f"{PATH}:1: started: is required, such as started: 2026-06-19T15:57:00Z\n"
        f"{PATH}:3: status: must be one of investigating, identified, monitoring, resolved, not 'nope'"
    )


# --- in-place edits -----------------------------------------------------------------

OPEN = """\
---
title: Public API is down
type: incident
status: investigating
severity: major
monitors: [api]
started: 2026-06-19T15:57:00Z
auto: true
---

## Updates

### 2026-06-19 16:02 UTC — Investigating

HTTP 503
"""


def resolve_patch(text: str) -> str:
    note = Update(utc("2026-06-19T17:48:00Z"), "resolved", "Resolved after 1 h 46 min.")
    return patch(text, {"status": "resolved", "resolved": "2026-06-19T17:43:00Z"}, note)


def test_patching_a_program_written_file_gives_its_canonical_form() -> None:
    changed = resolve_patch(OPEN)
    assert (
        changed
        == OPEN.replace("status: investigating", "status: resolved").replace(
            "started: 2026-06-19T15:57:00Z\n",
            "started: 2026-06-19T15:57:00Z\nresolved: 2026-06-19T17:43:00Z\n",
        )
        + "\n### 2026-06-19 17:48 UTC — Resolved\n\nResolved after 1 h 46 min.\n"
    )
    assert render(parse(changed, PATH)) == changed


def test_patching_keeps_a_persons_lines_and_comments() -> None:
    person = """\
---
# Ana: this is the March outage
title: "API: slow, then down"
status: identified  # we know why
monitors: [api]
started: 2026-06-19T15:57:00Z
auto: true
---
We broke it.

## Updates

### 2026-06-19 16:02 UTC — Investigating

HTTP 503

### 2026-06-19 16:20 UTC — Identified

A bad deploy. <b>sorry</b>


## Postmortem
Canary next time.
"""
    assert (
        resolve_patch(person)
        == """\
---
# Ana: this is the March outage
title: "API: slow, then down"
status: resolved
monitors: [api]
started: 2026-06-19T15:57:00Z
resolved: 2026-06-19T17:43:00Z
auto: true
---
We broke it.

## Updates

### 2026-06-19 16:02 UTC — Investigating

HTTP 503

### 2026-06-19 16:20 UTC — Identified

A bad deploy. <b>sorry</b>

### 2026-06-19 17:48 UTC — Resolved

Resolved after 1 h 46 min.


## Postmortem
Canary next time.
"""
    )


def test_patching_keeps_windows_line_endings() -> None:
    changed = resolve_patch(OPEN.replace("\n", "\r\n"))
    assert changed == resolve_patch(OPEN).replace("\n", "\r\n")


def test_newest_first_timelines_get_the_new_update_on_top() -> None:
    person = (
        "---\ntitle: x\nstarted: 2026-06-19T15:57:00Z\nauto: true\n---\n## Updates\n"
        "### 2026-06-19 16:20 UTC — Identified\nDeploy.\n\n### 2026-06-19 16:02 UTC — Investigating\nDown.\n"
    )
    assert resolve_patch(person).split("---\n", 2)[2] == (
        "## Updates\n### 2026-06-19 17:48 UTC — Resolved\n\nResolved after 1 h 46 min.\n\n"
        "### 2026-06-19 16:20 UTC — Identified\nDeploy.\n\n### 2026-06-19 16:02 UTC — Investigating\nDown.\n"
    )


def test_patching_a_file_without_a_timeline_adds_one() -> None:
    person = "---\ntitle: x\nstarted: 2026-06-19T15:57:00Z\nauto: true\n---\nStory.\n\n\n"
    assert resolve_patch(person) == (
        "---\ntitle: x\nstatus: resolved\nstarted: 2026-06-19T15:57:00Z\nresolved: 2026-06-19T17:43:00Z\n"
        "auto: true\n---\nStory.\n\n## Updates\n\n### 2026-06-19 17:48 UTC — Resolved\n\n"
        "Resolved after 1 h 46 min.\n"
    )


# --- loading, checking, maintenance -------------------------------------------------


def test_load_is_newest_first_and_check_counts(config: Config) -> None:
    folder = config.incidents_dir
    folder.mkdir()
    (folder / "2026-06-19-api-outage.md").write_text(OPEN)
    (folder / "2026-06-20-later.md").write_text(
        OPEN.replace("2026-06-19T15:57", "2026-06-20T09:00")
    )
    (folder / "README.md").write_text("How to write incidents.\n")
    window = "---\ntitle: w\ntype: maintenance\nmonitors: [db]\nstart: 2026-06-19T20:00:00Z\nend: 2026-06-19T21:00:00Z\n---\n"
    (folder / "2026-06-19-window.md").write_text(window)
    assert [i.id for i in incidents.load(config)] == [
        "2026-06-20-later",
        "2026-06-19-window",
        "2026-06-19-api-outage",
    ]
    assert incidents.check(config) == 3


def test_strict_load_lists_every_problem_of_every_file(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config.root)
    folder = config.incidents_dir
    folder.mkdir()
    (folder / "2026-06-19-a.md").write_text(
        "---\ntitle: a\nstarted: 2026-06-19T15:57:00Z\nmonitors: [web]\n---\n"
    )
    (folder / "2026-06-19-b.md").write_text("no front matter\n")
    (folder / "2026-06-19-c.md").write_text(OPEN)
    with pytest.raises(IncidentError) as caught:
        incidents.load(config)
    # 'web' is not configured: a retired monitor, a warning (tests/incidents/test_retired.py)
    assert str(caught.value).splitlines() == [
        "incidents/2026-06-19-b.md:1: missing front matter: the file must start with '---', then lines such as 'title: API outage', then '---'",
    ]


def test_lenient_load_warns_and_skips_broken_files(
    config: Config, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config.root)
    config.incidents_dir.mkdir()
    (config.incidents_dir / "2026-06-19-b.md").write_text("no front matter\n")
    (config.incidents_dir / "2026-06-19-c.md").write_text(OPEN)
    with caplog.at_level(logging.WARNING):
        assert [i.id for i in incidents.load(config, strict=False)] == ["2026-06-19-c"]
    assert "incidents/2026-06-19-b.md: skipped until it is fixed" in caplog.messages


def test_maintenance_windows_per_monitor() -> None:
    window = Incident(
        id=PATH.stem,
        path=PATH,
        title="w",
        type="maintenance",
        monitors=("api", "db"),
        start=utc("2026-06-19T20:00:00Z"),
        end=utc("2026-06-19T21:00:00Z"),
    )
    windows = maintenance_windows([window, parse(OPEN, PATH)])
    assert windows == {"api": [(window.start, window.end)], "db": [(window.start, window.end)]}
    assert in_maintenance(windows, "api", utc("2026-06-19T20:00:00Z"))
    assert in_maintenance(windows, "db", utc("2026-06-19T20:59:59Z"))
    assert not in_maintenance(windows, "db", utc("2026-06-19T21:00:00Z"))
    assert not in_maintenance(windows, "web", utc("2026-06-19T20:30:00Z"))


# --- new files ----------------------------------------------------------------------


def test_new_incident_is_ready_to_edit_and_unique(config: Config) -> None:
    now = utc("2026-06-19T15:57:00Z")
    first = incidents.new(config, "API outage: 5xx errors!", ["api"], None, None, now)
    second = incidents.new(config, "API outage: 5xx errors!", ["api"], "minor", None, now)
    assert first.name == "2026-06-19-api-outage-5xx-errors.md"
    assert second.name == "2026-06-19-api-outage-5xx-errors-2.md"
    assert (
        first.read_text()
        == """\
---
title: "API outage: 5xx errors!"
type: incident
status: investigating
severity: major
monitors: [api]
started: 2026-06-19T15:57:00Z
---

## Updates

### 2026-06-19 15:57 UTC — Investigating

We are investigating a problem with Public API.
"""
    )
    assert parse(second.read_text(), second).severity == "minor"
    assert incidents.check(config) == 2


def test_new_maintenance_is_named_for_its_start(config: Config) -> None:
    window = (utc("2026-12-01T02:00:00Z"), utc("2026-12-01T03:30:00Z"))
    path = incidents.new(
        config, "Database upgrade", ["db"], None, window, utc("2026-11-20T10:00:00Z")
    )
    assert path.name == "2026-12-01-database-upgrade.md"
    incident = parse(path.read_text(), path)
    assert (incident.type, incident.start, incident.end) == ("maintenance", *window)
    assert (
        incident.updates[0].text
        == "Maintenance of Database from Dec 1, 02:00 UTC to Dec 1, 03:30 UTC."
    )


def test_new_refuses_unknown_monitors_and_an_empty_title(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config.root)
    with pytest.raises(IncidentError) as caught:
        incidents.new(config, " ", ["ap", "web"], None, None, utc("2026-06-19T15:57:00Z"))
    assert str(caught.value).splitlines() == [
        "status.yml: TITLE: must not be empty",
        "status.yml: --monitor ap: no monitor 'ap' in the configuration (did you mean 'api'?)",
        "status.yml: --monitor web: no monitor 'web' in the configuration",
    ]
    assert not config.incidents_dir.exists()


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Café déjà vu", "2026-06-19-cafe-deja-vu.md"),
        ("!!!", "2026-06-19-incident.md"),
        ("word " * 30, "2026-06-19-" + "-".join(["word"] * 10) + ".md"),
    ],
)
def test_file_names_from_titles(config: Config, title: str, name: str) -> None:
    assert incidents.new(config, title, [], None, None, utc("2026-06-19T15:57:00Z")).name == name


# --- files that are not regular files inside the repository --------------------------


def test_unsafe_incident_files_are_problems_and_never_opened(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config.root)
    folder = config.incidents_dir
    folder.mkdir()
    (folder / "2026-06-19-c.md").write_text(OPEN)
    (tmp_path.parent / "outside.md").write_text(OPEN)
    (folder / "2026-06-19-a.md").symlink_to(tmp_path.parent / "outside.md")
    os.mkfifo(folder / "2026-06-19-b.md")  # opening it would block
    os.mkfifo(folder / "README.md")  # a README is for people: skipped, not reported
    (folder / "2026-06-19-d.md").symlink_to("2026-06-19-c.md")  # inside: fine
    paths, refused = incidents_folder.incident_paths(config)
    assert [p.name for p in paths] == ["2026-06-19-c.md", "2026-06-19-d.md"]
    assert [str(p) for p in refused] == [
        "incidents/2026-06-19-a.md: a symlink to a file outside the repository",
        "incidents/2026-06-19-b.md: a FIFO, not a regular file",
    ]
    with pytest.raises(IncidentError) as caught:
        incidents.load(config)
    assert caught.value.problems == refused


def test_lenient_load_warns_about_unsafe_files(
    config: Config, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config.root)
    config.incidents_dir.mkdir()
    (config.incidents_dir / "2026-06-19-c.md").write_text(OPEN)
    (config.incidents_dir / "2026-06-19-z.md").symlink_to("/dev/zero")
    with caplog.at_level(logging.WARNING):
        assert [i.id for i in incidents.load(config, strict=False)] == ["2026-06-19-c"]
    assert caplog.messages == [
        "incidents/2026-06-19-z.md: a symlink to a file outside the repository"
    ]


def test_an_incident_file_over_256_kb_is_refused(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config.root)
    config.incidents_dir.mkdir()
    path = config.incidents_dir / "2026-06-19-long.md"
    path.write_text(OPEN + "x" * incidents_folder.MAX_FILE_BYTES)
    assert [str(p) for p in incidents_folder.read_file(path, config)[1]] == [
        "incidents/2026-06-19-long.md: 256.2 KB is over the 256 KB limit for an incident file"
    ]
    path.write_text(OPEN + "x" * (incidents_folder.MAX_FILE_BYTES - len(OPEN.encode())))
    assert incidents_folder.read_file(path, config)[1] == []
