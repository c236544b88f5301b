"""A page that nobody rebuilds never looks green, and a page without data says so.

The browser tests open a built page in real headless Chromium with its clock set three days
past the newest sample, with and without JavaScript.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.store.days import Sample, append_samples

BUILT = datetime.fromisoformat("2026-11-23T12:00:00+00:00")
NEWEST = BUILT - timedelta(minutes=1)
GROUPED = """\
site:
  title: Solo
monitors:
  - id: web
    name: Web
    group: Front
    url: https://web.example.invalid/
  - id: billing
    name: Billing
    group: Front
    url: https://billing.example.invalid/
"""
BILLING_DOWN = """\
---
title: Billing is down
status: investigating
severity: major
monitors: [billing]
started: 2026-11-23T11:00:00Z
---
Looking into it.
"""


def build(config: Path, now: datetime = BUILT) -> Path:
    result = CliRunner().invoke(
        main, ["build", "--config", str(config), "--now", now.isoformat().replace("+00:00", "Z")]
    )
    assert result.exit_code == 0, result.output
    return config.parent / "site"


def repo(root: Path, samples: bool = True, incident: str = "") -> Path:
    config = root / "status.yml"
    config.write_text(GROUPED, encoding="utf-8")
    if samples:
        append_samples(root / "data", [Sample(NEWEST, "web", "ci", "up", 90)])
    if incident:
        (root / "incidents").mkdir(exist_ok=True)
        (root / "incidents/2026-11-23-billing-is-down.md").write_text(incident, encoding="utf-8")
    return config


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --- the JSON says when the data is from ------------------------------------------------


def test_updated_at_is_the_newest_sample_not_the_build(tmp_path: Path) -> None:
    site = build(repo(tmp_path), BUILT + timedelta(days=3))
    for name in ("summary.json", "status.json"):
        page = read_json(site / "api/v2" / name)["page"]
        assert page["updated_at"] == "2026-11-23T11:59:00.000Z", name


def test_a_fresh_page_embeds_the_newest_sample_for_the_script(tmp_path: Path) -> None:
    index = (build(repo(tmp_path)) / "index.html").read_text(encoding="utf-8")
    assert 'data-newest="2026-11-23T11:59:00Z" data-stale-after="1800" data-kind="none"' in index
    assert (
        'Last checked <time datetime="2026-11-23T11:59:00Z" data-ago>Nov 23, 11:59 UTC</time>'
        in index
    )


def test_a_page_built_from_stale_data_is_unknown_without_a_script(tmp_path: Path) -> None:
    index = (build(repo(tmp_path), BUILT + timedelta(days=3)) / "index.html").read_text(
        encoding="utf-8"
    )
    assert '<p class="banner-words">Status unknown</p>' in index
    assert "Heads up: status data is 3 d old." in index
    assert "All Systems Operational" not in index


# --- no data ----------------------------------------------------------------------------


def test_an_open_incident_without_samples_shows_its_status_not_no_data(tmp_path: Path) -> None:
    site = build(repo(tmp_path, incident=BILLING_DOWN))
    index = (site / "index.html").read_text(encoding="utf-8")
    billing = index.split('href="monitors/billing.html">Billing</a>')[1].split("</div>")[0]
    assert "Partial outage" in billing
    assert "No data" not in billing
    monitor = (site / "monitors/billing.html").read_text(encoding="utf-8")
    assert 'class="pill s-partial_outage"' in monitor
    components = {c["id"]: c for c in read_json(site / "api/v2/summary.json")["components"]}
    assert components["billing"]["status"] == "partial_outage"
    assert components["group-front"]["status"] == "partial_outage"
    assert components["billing"]["no_data"] is True  # still: no check has run for it


def test_a_monitor_without_samples_says_no_data(tmp_path: Path) -> None:
    site = build(repo(tmp_path))
    index = (site / "index.html").read_text(encoding="utf-8")
    billing = index.split('href="monitors/billing.html">Billing</a>')[1].split("</div>")[0]
    assert "No data" in billing
    components = {c["id"]: c for c in read_json(site / "api/v2/summary.json")["components"]}
    assert components["billing"]["no_data"] is True
    assert components["web"]["no_data"] is False
    assert components["group-front"]["no_data"] is False  # one member has data


def test_a_page_without_any_sample_says_no_status_data_yet(tmp_path: Path) -> None:
    site = build(repo(tmp_path, samples=False))
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<p class="banner-words">No status data yet</p>' in index
    assert "All Systems Operational" not in index
    summary = read_json(site / "api/v2/summary.json")
    assert summary["status"] == {"indicator": "none", "description": "No status data yet"}
    assert read_json(site / "api/v2/status.json")["status"]["description"] == "No status data yet"
    assert all(c["no_data"] for c in summary["components"])


def test_an_incident_without_samples_keeps_its_description(tmp_path: Path) -> None:
    site = build(repo(tmp_path, samples=False, incident=BILLING_DOWN))
    status = read_json(site / "api/v2/summary.json")["status"]
    assert status == {"indicator": "major", "description": "Partial System Outage"}


# --- in the visitor's browser -----------------------------------------------------------


def banner_at(browser: Any, index: Path, clock: datetime, script: bool = True) -> dict[str, str]:
    """The banner's class and texts with the page's clock set to a time."""
    context = browser.new_context(java_script_enabled=script)
    try:
        page = context.new_page()
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page.clock.set_fixed_time(clock)
        page.goto(index.resolve().as_uri(), wait_until="load")
        banner = page.locator(".banner")
        note = page.locator(".stale")
        return {
            "class": banner.get_attribute("class") or "",
            "words": banner.locator(".banner-words").inner_text(),
            "sub": banner.locator(".banner-sub").inner_text(),
            "note": note.inner_text() if note.count() else "",
            "title": page.title(),
        }
    finally:
        context.close()


@pytest.mark.browser
def test_three_days_later_the_browser_says_status_unknown(tmp_path: Path, browser: Any) -> None:
    index = build(repo(tmp_path)) / "index.html"
    seen = banner_at(browser, index, BUILT + timedelta(days=3))
    assert seen["class"] == "banner b-unknown"  # the unknown icon, not the green tick
    assert seen["words"] == "Status unknown: no check for 3 days"
    assert seen["sub"] == "Last checked 3 days ago"
    assert seen["note"].startswith("Heads up: no check for 3 days.")
    assert seen["title"] == "Stale · All systems operational · Solo"  # a background tab says it


@pytest.mark.browser
def test_the_title_says_stale_once_however_often_the_script_looks(
    tmp_path: Path, browser: Any
) -> None:
    index = build(repo(tmp_path)) / "index.html"
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page.clock.install(time=BUILT + timedelta(minutes=20))
        page.goto(index.resolve().as_uri(), wait_until="load")
        assert page.title() == "All systems operational · Solo"  # 21 min old: still fresh
        page.clock.run_for(20 * 60 * 1000)  # the script looks every 30 s: 40 times
        assert page.title() == "Stale · All systems operational · Solo"
        assert (
            page.locator(".banner-words").inner_text() == "Status unknown: no check for 41 minutes"
        )
    finally:
        context.close()


@pytest.mark.browser
def test_minutes_later_the_browser_says_how_long_ago(tmp_path: Path, browser: Any) -> None:
    index = build(repo(tmp_path)) / "index.html"
    seen = banner_at(browser, index, BUILT + timedelta(minutes=2))
    assert seen == {
        "class": "banner b-none",
        "words": "All Systems Operational",
        "sub": "Last checked 3 minutes ago",
        "note": "",
        "title": "All systems operational · Solo",
    }


@pytest.mark.browser
def test_without_javascript_the_absolute_time_stays_true(tmp_path: Path, browser: Any) -> None:
    index = build(repo(tmp_path)) / "index.html"
    seen = banner_at(browser, index, BUILT + timedelta(days=3), script=False)
    assert seen["sub"] == "Last checked Nov 23, 11:59 UTC"
    assert "ago" not in seen["sub"]
    assert seen["title"] == "All systems operational · Solo"  # the build's, as built


@pytest.mark.browser
def test_a_stale_build_is_unknown_in_the_browser_too(tmp_path: Path, browser: Any) -> None:
    index = build(repo(tmp_path), BUILT + timedelta(days=3)) / "index.html"
    for script in (True, False):
        seen = banner_at(browser, index, BUILT + timedelta(days=3), script=script)
        assert seen["class"] == "banner b-unknown", script
        assert seen["words"].startswith("Status unknown"), script
        assert seen["note"].startswith("Heads up:"), script


@pytest.mark.browser
def test_a_known_outage_stays_shown_when_stale(tmp_path: Path, browser: Any) -> None:
    index = build(repo(tmp_path, incident=BILLING_DOWN)) / "index.html"
    seen = banner_at(browser, index, BUILT + timedelta(days=3))
    assert seen["class"] == "banner b-major"  # a known problem is not hidden behind "unknown"
    assert seen["words"] == "Partial System Outage"
    assert seen["note"].startswith("Heads up: no check for 3 days.")


def note_at(browser: Any, page_file: Path, clock: datetime) -> str:
    """The stale note's text on a page with its clock set, or "" without one."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page.clock.set_fixed_time(clock)
        page.goto(page_file.resolve().as_uri(), wait_until="load")
        note = page.locator(".stale")
        return str(note.inner_text()) if note.count() else ""
    finally:
        context.close()


@pytest.mark.browser
def test_a_monitor_page_warns_three_days_later(tmp_path: Path, browser: Any) -> None:
    web = build(repo(tmp_path)) / "monitors/web.html"
    assert note_at(browser, web, BUILT + timedelta(minutes=5)) == ""
    assert note_at(browser, web, BUILT + timedelta(days=3)).startswith(
        "Heads up: no check for 3 days. Checks may have stopped running"
    )


def test_a_monitor_page_built_from_stale_data_warns(tmp_path: Path) -> None:
    site = build(repo(tmp_path), BUILT + timedelta(days=3))
    page = (site / "monitors/web.html").read_text(encoding="utf-8")
    assert (
        '<div class="page-head" data-newest="2026-11-23T11:59:00Z" data-stale-after="1800">' in page
    )
    assert "<strong>Heads up: status data is 3 d old.</strong>" in page
    (tmp_path / "fresh").mkdir()
    fresh = (build(repo(tmp_path / "fresh")) / "monitors/web.html").read_text(encoding="utf-8")
    assert "Heads up" not in fresh
