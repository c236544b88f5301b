"""`upwatch import upptime` end to end: a real Upptime-shaped git repository, the real CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from upptime_repo import UpptimeRepo

from generator.cli import main
from generator.config.read import load_config

RC = """\
owner: acme
repo: status
sites:
  - name: API
    url: https://api.acme.test/health
    method: post
    headers:
      - "Authorization: Bearer $API_TOKEN"
      - "Content-Type: application/json"
    body: "{\\"ping\\": true}\\n  kept as it is  "
    expectedStatusCodes: [200, 204]
    maxResponseTime: 800
    maxRedirects: 2
    __dangerous__body_down_if_text_missing: '"ok"'
    __dangerous__body_down: maintenance
    __dangerous__insecure: true
    icon: https://acme.test/api.png
  - name: Main Database
    check: tcp-ping
    url: db.acme.test
    port: 5432
  - name: New Site
    url: https://www.acme.test/
  - name: Websocket
    check: ws
    url: wss://ws.acme.test/
status-website:
  cname: status.acme.test
  name: Acme Status
  logoUrl: https://acme.test/logo.png
  baseUrl: /status
notifications:
  - type: slack
    webhook: $SLACK_WEBHOOK
commitMessages:
  statusChange: "$SITE_NAME went $STATUS [upptime]"
workflowSchedule:
  uptime: "*/5 * * * *"
"""


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


API, DB, WWW = "https://api.acme.test/health", "db.acme.test", "https://www.acme.test/"


def upptime_repo(path: Path) -> UpptimeRepo:
    """Four sites' history over four days, in three Upptime versions' ways."""
    repo = UpptimeRepo(path, RC)
    # API: older files ("- key:" lines, Date.toString()), then today's, a custom message,
    # and a template update that deleted and re-wrote the file.
    repo.check("api", API, "up", at(1), style="old")
    repo.check("old-site", WWW, "up", at(1))
    repo.check("gone", "https://gone.acme.test/", "up", at(1))
    repo.check("main-database", DB, "up", at(1), ms=8)
    repo.check("old-site", WWW, "down", at(2), code=503, ms=900)
    repo.check("old-site", WWW, "up", at(2, 3))
    repo.check(
        "api",
        API,
        "down",
        at(2, 6),
        code=500,
        ms=300,
        style="old",
        message="API went down [upptime]",
    )
    repo.other_commit("README.md", at(2, 7))
    repo.check("api", API, "up", at(2, 12), ms=120, message="API went up [upptime]")
    repo.check("new-site", WWW, "up", at(3))  # the site renamed: a new file
    repo.delete("api", at(3, 12))
    repo.check("api", API, "up", at(3, 18))
    repo.check("main-database", DB, "down", at(4), code=0, ms=0)
    repo.check("main-database", DB, "up", at(4, 6), ms=8)
    for slug, url in (
        ("api", API),
        ("main-database", DB),
        ("new-site", WWW),
        ("gone", "https://gone.acme.test/"),
    ):
        repo.check(slug, url, "up", at(5))  # the daily refresh: the record ends here
    return repo


ISSUES = [
    {
        "number": 3,
        "title": "🛑 API is down",
        "body": "In [`def5678`](https://github.com/acme/status/commit/def5678), API was **down**:\n"
        "- HTTP code: 500\n- Response time: 300 ms\n### not an update",
        "createdAt": "2026-03-02T06:00:05Z",
        "closedAt": "2026-03-02T12:00:07Z",
        "labels": [{"name": "status"}, {"name": "api"}],
        "comments": [
            {
                "author": {"login": "upptime-bot"},
                "body": "**Resolved:** API is back up in [`abc1234`](https://github.com/acme/status/commit/abc1234) after 6 hours.",
                "createdAt": "2026-03-02T12:00:06Z",
            }
        ],
        "url": "https://github.com/acme/status/issues/3",
    },
    {
        "number": 4,
        "title": "🛑 Old Site is down",
        "body": "Old Site was **down**",
        "createdAt": "2026-03-02T00:00:04Z",
        "closedAt": "2026-03-02T03:00:09Z",
        "labels": [{"name": "status"}, {"name": "old-site"}],
        "comments": [],
        "url": "https://github.com/acme/status/issues/4",
    },
    {
        "number": 5,
        "title": "🛑 Gone is down",
        "body": "",
        "createdAt": "2026-03-01T10:00:00Z",
        "closedAt": "2026-03-01T11:00:00Z",
        "labels": [{"name": "status"}, {"name": "gone"}],
        "comments": [],
        "url": "https://github.com/acme/status/issues/5",
    },
    {
        "number": 6,
        "title": "🛑 Main Database is down",
        "body": "- HTTP code: 0\n- Response time: 0 ms\n```\nunclosed fence",
        "createdAt": "2026-03-04T00:00:03Z",
        "closedAt": None,
        "labels": [{"name": "status"}, {"name": "main-database"}],
        "comments": [],
        "url": "https://github.com/acme/status/issues/6",
    },
]


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Path, str]:
    """An Upptime repo imported into a fresh folder; the command's output."""
    src = upptime_repo(tmp_path / "upptime").path
    issues = tmp_path / "issues.json"
    issues.write_text(json.dumps(ISSUES), encoding="utf-8")
    target = tmp_path / "repo"
    target.mkdir()
    result = run(
        "import",
        "upptime",
        str(src),
        "--config",
        str(target / "status.yml"),
        "--issues",
        str(issues),
    )
    assert result.exit_code == 0, result.output
    return target, result.output


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_monitors_are_mapped_key_by_key(imported: tuple[Path, str]) -> None:
    target, _ = imported
    config = load_config(target / "status.yml")
    assert [m.id for m in config.monitors] == ["api", "main-database", "new-site"]
    assert (config.site.title, config.site.cname, config.site.url) == (
        "Acme Status",
        "status.acme.test",
        "https://status.acme.test",
    )
    api = config.monitor("api")
    assert api.method == "POST"
    assert dict(api.headers) == {
        "Authorization": "Bearer ${API_TOKEN}",
        "Content-Type": "application/json",
    }
    assert api.body == '{"ping": true}\n  kept as it is  '
    assert api.expect.status == (200, 204)
    assert (api.expect.contains, api.expect.not_contains) == ('"ok"', "maintenance")
    assert (api.degraded_ms, api.max_redirects, api.verify_tls) == (800, 2, False)
    db = config.monitor("main-database")
    assert (db.type, db.host, db.port) == ("tcp", "db.acme.test", 5432)
    www = config.monitor("new-site")
    assert www.expect.status == ("2xx", "3xx")


def test_left_out_keys_are_reported_and_commented(imported: tuple[Path, str]) -> None:
    target, output = imported
    text = (target / "status.yml").read_text(encoding="utf-8")
    for said in (output, text):
        assert "icon: no icons on the page" in said
        assert "notifications: add apprise URLs under notify:" in said
        assert "status-website.logoUrl: no upwatch meaning" in said
        assert "Websocket (websocket): check: ws has no upwatch counterpart" in said
    assert "# Upptime's default: 2xx and 3xx count as up" in text
    assert (
        "history/gone.yml: no site has this slug or url (a removed site?); not imported" in output
    )
    assert "secrets: set API_TOKEN in the repository's Actions secrets" in output
    assert "SLACK_WEBHOOK" not in output.split("secrets:")[1]  # only the monitors' secrets
    assert "new-site <- 'New Site' (history/old-site.yml, history/new-site.yml:" in output
    assert "issue #5: no label names an imported site; not imported" in output


def test_generated_files_pass_check(imported: tuple[Path, str]) -> None:
    target, _ = imported
    result = run("check", "--config", str(target / "status.yml"))
    assert result.exit_code == 0, result.output
    assert "3 monitors and 3 incident files are valid" in result.output


def test_incidents_come_from_the_status_issues(imported: tuple[Path, str]) -> None:
    target, output = imported
    names = sorted(p.name for p in (target / "incidents").iterdir())
    assert names == [
        "2026-03-02-upptime-3.md",
        "2026-03-02-upptime-4.md",
        "2026-03-04-upptime-6.md",
    ]
    text = (target / "incidents" / "2026-03-02-upptime-3.md").read_text(encoding="utf-8")
    assert text.startswith(
        "---\ntitle: API is down\ntype: incident\nstatus: resolved\nseverity: major\nmonitors: [api]\n"
        "started: 2026-03-02T06:00:05Z\nresolved: 2026-03-02T12:00:07Z\nauto: true\n---\n"
        "\nImported from Upptime's [issue #3](https://github.com/acme/status/issues/3).\n"
    )
    assert "\\### not an update" in text
    assert "### 2026-03-02 12:00:06 UTC — Resolved\n\n**Resolved:** API is back up" in text
    renamed = (target / "incidents" / "2026-03-02-upptime-4.md").read_text(encoding="utf-8")
    assert "monitors: [new-site]" in renamed
    still_open = (target / "incidents" / "2026-03-04-upptime-6.md").read_text(encoding="utf-8")
    assert "status: investigating" in still_open and "resolved:" not in still_open
    assert "issue #6 is still open" in output


def test_running_again_refuses_then_with_force_gives_the_same_files(
    imported: tuple[Path, str], tmp_path: Path
) -> None:
    target, _ = imported
    before = snapshot(target)
    args = ("import", "upptime", str(tmp_path / "upptime"), "--config", str(target / "status.yml"))
    refused = run(*args, "--issues", str(tmp_path / "issues.json"))
    assert refused.exit_code == 1
    assert "status.yml:1: already exists and is not the example; use --force" in refused.output
    assert snapshot(target) == before
    again = run(*args, "--issues", str(tmp_path / "issues.json"), "--force")
    assert again.exit_code == 0, again.output
    assert snapshot(target) == before


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_not_a_git_clone_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "copy"
    src.mkdir()
    (src / ".upptimerc.yml").write_text(RC, encoding="utf-8")
    result = run("import", "upptime", str(src), "--config", str(tmp_path / "status.yml"))
    assert result.exit_code == 1
    assert "not a git clone (clone the Upptime repository with its history)" in result.output
    assert not (tmp_path / "status.yml").exists()


def test_bad_upptimerc_names_file_and_line(tmp_path: Path) -> None:
    repo = UpptimeRepo(
        tmp_path / "up", "owner: acme\nsites:\n  - name: API\n  - url: https://x.test/\n"
    )
    result = run("import", "upptime", str(repo.path), "--config", str(tmp_path / "status.yml"))
    assert result.exit_code == 1
    assert ".upptimerc.yml:3: sites[0]: url required" in result.output
    assert ".upptimerc.yml:4: sites[1]: name required" in result.output
    assert not (tmp_path / "status.yml").exists()
