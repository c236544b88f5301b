"""The words and times the pages show: said once, one format, the zone named, true states."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

from click.testing import CliRunner
from helpers import utc
from site_repo import write_repo

from generator.cli import main
from generator.commands.check import valid_text
from generator.incidents import Incident
from generator.incidents.model import Update
from generator.site.model import repeats, timeline

ATOM = "{http://www.w3.org/2005/Atom}"

AUTO = """\
---
title: Public API is down
status: resolved
severity: major
auto: true
monitors: [api]
started: 2026-11-22T14:10:00Z
resolved: 2026-11-22T14:55:00Z
---

## Updates

### 2026-11-22 15:00 UTC — Resolved

Resolved after 45 min.

### 2026-11-22 14:30 UTC — Identified

A person's note keeps its time.

### 2026-11-22 14:15 UTC — Investigating

HTTP 503
"""

LAST_YEAR = """\
---
title: Old outage
status: resolved
severity: minor
monitors: [api]
started: 2025-03-04T10:00:00Z
resolved: 2025-03-04T10:20:00Z
---

## Updates

### 2025-03-04 10:20 UTC — Resolved

Fixed.
"""

OPEN = """\
---
title: Fresh trouble
status: investigating
severity: minor
monitors: [api]
started: 2026-11-23T11:59:30Z
---

## Updates

### 2026-11-23 11:59:45 UTC — Investigating

Investigating the errors.
"""

ANNOUNCED = """\
---
title: Announced window
type: maintenance
monitors: [db]
start: 2026-11-28T02:00:00Z
end: 2026-11-28T03:00:00Z
---

## Updates

### 2026-11-20 09:00 UTC — Scheduled

We will move the database.
"""


def build(tmp_path: Path) -> Path:
    config = write_repo(tmp_path)
    for name, text in {
        "2026-11-22-api-down.md": AUTO,
        "2025-03-04-old.md": LAST_YEAR,
        "2026-11-23-fresh.md": OPEN,
        "2026-11-28-announced.md": ANNOUNCED,
    }.items():
        (tmp_path / "incidents" / name).write_text(text, encoding="utf-8")
    args = ["build", "--config", str(config), "--now", "2026-11-23T12:00:00Z"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return tmp_path / "site"


def page(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def test_the_timeline_says_resolved_once_and_agrees_with_the_header(tmp_path: Path) -> None:
    html = page(build(tmp_path), "incidents/2026-11-22-api-down.html")
    assert "<strong>Resolved</strong>" not in html  # the text says it: once
    assert "Resolved after 45 min." in html
    # The header and the probe's updates give the sample times (Berlin: UTC+1).
    assert '<dt>Started</dt><dd><time datetime="2026-11-22T14:10:00Z">Nov 22, 15:10 CET' in html
    assert '<dt>Resolved</dt><dd><time datetime="2026-11-22T14:55:00Z">Nov 22, 15:55 CET' in html
    assert '<p class="update-meta"><time datetime="2026-11-22T14:55:00Z">' in html
    assert '<strong>Investigating</strong> · <time datetime="2026-11-22T14:10:00Z">' in html
    assert '<strong>Identified</strong> · <time datetime="2026-11-22T14:30:00Z">' in html
    assert "15:00:00Z" not in html and "14:15:00Z" not in html


def test_a_person_written_incident_keeps_its_update_times(tmp_path: Path) -> None:
    html = page(build(tmp_path), "incidents/2026-11-22-api-outage.html")
    assert '<strong>Investigating</strong> · <time datetime="2026-11-22T10:05:00Z">' in html


def test_an_incident_of_another_year_shows_its_year(tmp_path: Path) -> None:
    site = build(tmp_path)
    old = page(site, "incidents/2025-03-04-old.html")
    assert "Mar 4, 2025, 11:00 CET" in old
    this_year = page(site, "incidents/2026-11-22-api-outage.html")
    assert "2026," not in this_year.split("<main", 1)[1]


def test_an_incident_open_under_a_minute_says_just_now(tmp_path: Path) -> None:
    html = page(build(tmp_path), "incidents/2026-11-23-fresh.html")
    assert "<dt>Ongoing</dt><dd>just now</dd>" in html
    assert "0 s" not in html


def test_a_completed_maintenance_says_completed(tmp_path: Path) -> None:
    html = page(build(tmp_path), "incidents/2026-11-23-database-upgrade.html")
    assert '<strong>Completed</strong> · <time datetime="2026-11-23T04:00:00Z">' in html
    assert "No updates yet." not in html
    upcoming = page(tmp_path / "site", "incidents/2026-11-30-network-work.html")
    assert "<strong>Completed</strong>" not in upcoming


def test_the_feed_dates_a_maintenance_when_announced(tmp_path: Path) -> None:
    feed = ElementTree.parse(build(tmp_path) / "feed.atom").getroot()
    entries = {e.findtext(f"{ATOM}id"): e for e in feed.iter(f"{ATOM}entry")}
    announced = entries["urn:upwatch:incident:2026-11-28-announced"]
    assert announced.findtext(f"{ATOM}published") == "2026-11-20T09:00:00Z"
    outage = entries["urn:upwatch:incident:2026-11-22-api-outage"]
    assert outage.findtext(f"{ATOM}published") == "2026-11-22T10:00:00Z"
    content = outage.findtext(f"{ATOM}content") or ""
    assert "<strong>Resolved</strong> · Nov 22, 12:30 CET" in content  # as the pages write it
    assert "UTC" not in content


def feed_entries(site: Path, name: str = "feed.atom") -> dict[str, str]:
    """Each entry's content by its incident's id."""
    feed = ElementTree.parse(site / name).getroot()
    return {
        (e.findtext(f"{ATOM}id") or "").rpartition(":")[2]: e.findtext(f"{ATOM}content") or ""
        for e in feed.iter(f"{ATOM}entry")
    }


def test_the_feed_says_what_the_incident_page_says(tmp_path: Path) -> None:
    entries = feed_entries(build(tmp_path))
    auto = entries["2026-11-22-api-down"]
    assert "Resolved</strong>" not in auto  # "Resolved after 45 min." says it once
    assert "<p>Nov 22, 15:55 CET</p>\n<p>Resolved after 45 min.</p>" in auto
    # the probe's updates at the sample times the header shows, as on the page
    assert "<strong>Investigating</strong> · Nov 22, 15:10 CET" in auto
    assert "15:15 CET" not in auto and "16:00 CET" not in auto
    assert "<strong>Identified</strong> · Nov 22, 15:30 CET" in auto
    # an ended window says Completed, in the feed as on its page
    done = entries["2026-11-23-database-upgrade"]
    assert "<strong>Completed</strong> · Nov 23, 05:00 CET" in done
    assert "Completed" not in entries["2026-11-28-announced"]


def test_the_index_says_an_updates_state_once(tmp_path: Path) -> None:
    index = page(build(tmp_path), "index.html")
    past = index.split('href="incidents/2026-11-22-api-down.html">', 1)[1].split("</p>", 1)[0]
    assert past.endswith('<span class="muted">Resolved after 45 min.</span>')  # said once
    outage = index.split('href="incidents/2026-11-22-api-outage.html">', 1)[1].split("</p>")[0]
    assert outage.endswith(
        '<span class="muted">Resolved · Fixed &lt;b&gt;for good&lt;/b&gt;.</span>'
    )
    latest = index.split('<div class="update">', 1)[1].split("</div></div>", 1)[0]
    assert latest.startswith('<p class="update-meta"><time datetime="2026-11-23T11:59:45Z">')
    assert "<strong>" not in latest and "Investigating the errors." in latest


def test_check_counts_in_words(tmp_path: Path) -> None:
    assert valid_text("status.yml", 1, 1) == "status.yml: 1 monitor and 1 incident file are valid"
    assert valid_text("s.yml", 3, 0) == "s.yml: 3 monitors and 0 incident files are valid"


def test_only_a_leading_state_word_repeats() -> None:
    assert repeats("Resolved", "Resolved after 20 min.")
    assert repeats("In progress", "in progress since 02:00")
    assert not repeats("Resolved", "resolved: fixed")
    assert not repeats("Resolved", "Resolved")
    assert not repeats("Identified", "The cause is known.")


def test_timeline_of_an_auto_incident_without_resolution_keeps_the_last_time() -> None:
    started = utc("2026-11-22T14:10:00Z")
    incident = Incident(
        id="x",
        path=Path("incidents/x.md"),
        title="API is down",
        status="monitoring",
        severity="major",
        auto=True,
        started=started,
        updates=(
            Update(started + timedelta(minutes=5), "investigating", "HTTP 503"),
            Update(started + timedelta(minutes=9), "monitoring", "Watching."),
        ),
    )
    entries = timeline(incident, started + timedelta(hours=1))
    assert [(e.label, e.time) for e in entries] == [
        ("Monitoring", started + timedelta(minutes=9)),
        ("Investigating", started),
    ]
