"""Retired monitors: old incidents keep naming a monitor status.yml no longer has (issue 10, part 3).

Everything runs through the real CLI on a repository in tmp_path; the probe's server is a
real one on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from localserver import LocalServer, Reply

from generator.cli import main

NAME = "2026-11-27-billing-is-down.md"
NOW = "2026-11-28T00:00:00Z"
WARNING = (
    f"incidents/{NAME}:6: warning: monitors: 'billing' is not in status.yml (retired?);"
    " shown by its id without a link"
)


def incident(title: str = "Billing is down", auto: bool = True, monitors: str = "[billing]") -> str:
    return (
        f"---\ntitle: {title}\nauto: {str(auto).lower()}\nstatus: resolved\nseverity: major\n"
        f"monitors: {monitors}\nstarted: 2026-11-27T10:00:00Z\nresolved: 2026-11-27T11:00:00Z\n"
        "---\nThe billing service was down.\n"
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose status.yml has lost `billing`, while an incident still names it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "status.yml").write_text(
        "site: {title: Retired}\nmonitors:\n  - id: api\n    name: Public API\n"
        "    url: http://127.0.0.1:9/\n",
        encoding="utf-8",
    )
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / NAME).write_text(incident(), encoding="utf-8")
    return tmp_path


# Output as outside GitHub Actions, even when the suite runs there (test_annotations has CI's).
PLAIN = {"GITHUB_ACTIONS": None, "GITHUB_STEP_SUMMARY": None}


def cli(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, list(args), env=PLAIN)
    return result.exit_code, result.output.splitlines()


def affects(repo: Path) -> str:
    """The Affects cell of the incident's page."""
    page = (repo / "site" / "incidents" / NAME.replace(".md", ".html")).read_text("utf-8")
    return page.split("<dt>Affects</dt><dd>", 1)[1].split("</dd>", 1)[0]


def test_check_succeeds_with_a_located_warning(repo: Path) -> None:
    code, lines = cli("check", "--config", "status.yml")
    assert code == 0
    assert lines == [WARNING, "status.yml: 1 monitor and 1 incident file are valid"]


def test_build_succeeds_and_shows_the_last_known_name_without_a_link(repo: Path) -> None:
    code, lines = cli("build", "--config", "status.yml", "--now", NOW)
    assert code == 0
    assert WARNING in lines
    assert affects(repo) == "Billing"  # the auto incident's title recorded the name
    assert not (repo / "site" / "monitors" / "billing.html").exists()


def test_a_hand_written_incident_shows_the_retired_id(repo: Path) -> None:
    text = incident(title="Payments were slow", auto=False, monitors="[api, billing]")
    (repo / "incidents" / NAME).write_text(text, encoding="utf-8")
    code, _ = cli("build", "--config", "status.yml", "--now", NOW)
    assert code == 0
    assert affects(repo) == '<a href="../monitors/api.html">Public API</a>, billing'


def test_a_near_miss_of_a_live_id_stays_an_error(repo: Path) -> None:
    (repo / "incidents" / NAME).write_text(incident(monitors="[apj]"), encoding="utf-8")
    code, lines = cli("check", "--config", "status.yml")
    assert code == 1
    assert lines == [
        f"incidents/{NAME}:6: monitors: no monitor 'apj' in the configuration (did you mean 'api'?)"
    ]


def test_the_probe_never_opens_or_resolves_anything_for_a_retired_id(repo: Path) -> None:
    open_one = incident().replace("status: resolved", "status: investigating")
    open_one = open_one.replace("resolved: 2026-11-27T11:00:00Z\n", "")
    (repo / "incidents" / NAME).write_text(open_one, encoding="utf-8")
    with LocalServer() as server:
        server.route("/", Reply(200))
        (repo / "status.yml").write_text(
            "site: {title: Retired}\ndefaults: {failure_threshold: 1, success_threshold: 1}\n"
            f"monitors:\n  - id: api\n    url: {server.url('/')}\n",
            encoding="utf-8",
        )
        for minute in ("00", "05"):
            code, _ = cli("probe", "--config", "status.yml", "--now", f"2026-11-28T00:{minute}:00Z")
            assert code == 0
    assert (repo / "incidents" / NAME).read_text("utf-8") == open_one
    assert sorted(p.name for p in (repo / "incidents").iterdir()) == [NAME]
    rows = (repo / "data" / "2026-11-28.csv").read_text("utf-8").splitlines()[1:]
    assert [row.split(",")[1] for row in rows] == ["api", "api"]
