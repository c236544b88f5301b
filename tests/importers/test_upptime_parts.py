"""The parts of the Upptime import: slugs, dates, history versions, issues' Markdown."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from upptime_repo import UpptimeRepo

from generator.cli import main
from generator.importers.upptime.history import parse_date, parse_version, read_log
from generator.importers.upptime.issues import markdown
from generator.importers.upptime.slug import monitor_id, upptime_slug

WHEN = datetime(2021, 3, 2, 10, 5, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "slug", "expected"),
    [
        ("API", None, "api"),
        ("Main Database", None, "main-database"),
        ("myWebsite", None, "my-website"),
        ("Café & Bar", None, "cafe-and-bar"),
        ("Google (main)", None, "google-main"),
        ("Anything", "custom-slug", "custom-slug"),
    ],
)
def test_upptime_slugs(name: str, slug: str | None, expected: str) -> None:
    assert upptime_slug(name, slug) == expected


def test_ids_from_slugs_that_are_no_upwatch_id() -> None:
    assert monitor_id("api", 64) == "api"
    assert monitor_id("My_Site", 64) == "my-site"
    assert monitor_id("日本", 64) == "site"


@pytest.mark.parametrize(
    "text",
    [
        "2021-03-02T10:05:12.000Z",
        "2021-03-02T10:05:12Z",
        "Tue Mar 02 2021 10:05:12 GMT+0000 (Coordinated Universal Time)",
        "Tue Mar 02 2021 11:05:12 GMT+0100 (Central European Standard Time)",
        "Tue Mar 02 2021 05:05:12 GMT-0500 (Eastern Standard Time)",
        "Tue, 02 Mar 2021 10:05:12 GMT",
    ],
)
def test_dates_of_every_upptime_version(text: str) -> None:
    assert parse_date(text) == WHEN


@pytest.mark.parametrize("text", ["", "yesterday", "2021-03-02T10:05:12"])
def test_dates_that_are_no_dates(text: str) -> None:
    assert parse_date(text) is None


def test_both_file_layouts() -> None:
    old = "- url: https://a.test\n- status: down\n- code: 500\n- responseTime: 301\n- lastUpdated: Tue Mar 02 2021 10:05:12 GMT+0000 (Coordinated Universal Time)\n"
    new = "url: https://a.test\nstatus: down\ncode: 500\nresponseTime: 301\nlastUpdated: 2021-03-02T10:05:12.000Z\n"
    a, b = parse_version("a", old, WHEN), parse_version("a", new, WHEN)
    assert a == b
    assert not isinstance(a, str)
    assert (a.status, a.code, a.ms, a.url, a.time) == ("down", 500, 301, "https://a.test", WHEN)


def test_an_unreadable_date_is_the_commit_time_and_a_bad_status_no_record() -> None:
    record = parse_version("a", "status: up\nlastUpdated: soon\n", WHEN)
    assert not isinstance(record, str)
    assert (record.time, record.dated_by_commit) == (WHEN, True)
    assert (
        parse_version("a", "status: unknown\n", WHEN)
        == "status 'unknown' is not up, degraded or down"
    )


def test_the_content_decides_not_the_commit_message(tmp_path: Path) -> None:
    repo = UpptimeRepo(tmp_path / "up", "sites:\n  - name: A\n    url: https://a.test/\n")
    repo.check("a", "https://a.test/", "up", WHEN, message="🟥 A is down (custom template)")
    repo.check("a", "https://a.test/", "degraded", WHEN.replace(hour=11), message="A changed")
    log = read_log(repo.path)
    assert [(r.status, r.time.hour) for r in log.records["a"]] == [("up", 10), ("degraded", 11)]
    assert (log.commits, log.last, log.shallow) == (2, WHEN.replace(hour=11), False)


def test_a_shallow_clone_is_said(tmp_path: Path) -> None:
    repo = UpptimeRepo(tmp_path / "up", "sites:\n  - name: A\n    url: https://a.test/\n")
    for hour in range(10, 14):
        repo.check("a", "https://a.test/", "up", WHEN.replace(hour=hour))
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(clone)], check=True
    )
    target = tmp_path / "status.yml"
    result = CliRunner().invoke(main, ["import", "upptime", str(clone), "--config", str(target)])
    assert result.exit_code == 0, result.output
    assert "is a shallow clone: history before its first commit is missing" in result.output


def test_issue_markdown_cannot_start_an_update() -> None:
    text = "Down.\r\n### Heading\n  ## Also\n```\ncode"
    assert markdown(text) == "Down.\n\\### Heading\n  \\## Also\n```\ncode\n```"


def test_issues_file_that_is_not_json(tmp_path: Path) -> None:
    repo = UpptimeRepo(tmp_path / "up", "sites:\n  - name: A\n    url: https://a.test/\n")
    issues = tmp_path / "issues.json"
    issues.write_text('[{"number": 1,\n  "title": }]', encoding="utf-8")
    target = tmp_path / "status.yml"
    result = CliRunner().invoke(
        main,
        ["import", "upptime", str(repo.path), "--config", str(target), "--issues", str(issues)],
    )
    assert result.exit_code == 1
    assert "issues.json:2: not JSON: Expecting value" in result.output
    assert not target.exists()
    issues.write_text(json.dumps({"number": 1}), encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["import", "upptime", str(repo.path), "--config", str(target), "--issues", str(issues)],
    )
    assert "issues.json:1: must be the list `gh issue list --json ...` writes" in result.output
