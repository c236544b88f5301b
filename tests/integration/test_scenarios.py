"""Outage stories told through the real CLI: `upwatch probe --now T` against a local server.

Each test switches what the server on 127.0.0.1 answers between runs (up, 503, a hang that
times out) and looks at the incident files after every step, as a person reading the repo
would. State lives only in data/ and incidents/, so each run is a separate command.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from localserver import LocalServer, Reply

from generator.cli import main
from generator.incidents import Incident, parse
from generator.store import days as store

MIDNIGHT = datetime(2026, 6, 20, tzinfo=UTC)
UP, DOWN, HANG = Reply(200, "ok"), Reply(503, "unavailable"), Reply.hang()


def at(minutes: int) -> datetime:
    """A time relative to midnight between 19 and 20 June 2026, in minutes."""
    return MIDNIGHT + timedelta(minutes=minutes)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Repo:
    """A status page folder with a config pointing at the local server, driven by the CLI."""

    def __init__(self, root: Path, server: LocalServer) -> None:
        self.root = root
        self.server = server
        self.config = root / "status.yml"
        self.config.write_text(
            "site:\n  title: Scenarios\n"
            "defaults:\n  timeout: 0.5\n  retries: 0\n"
            "monitors:\n"
            f"  - id: api\n    name: Public API\n    url: {server.url('/api')}\n"
            f"  - id: web\n    name: Website\n    url: {server.url('/web')}\n"
        )

    def cli(self, *args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, [*args, "--config", str(self.config)])
        assert result.exit_code == code, result.output
        return result.output

    def probe(self, minutes: int, api: Reply = UP, web: Reply = UP) -> None:
        """One scheduled run at a time: set the answers, then probe."""
        self.server.route("/api", api)
        self.server.route("/web", web)
        self.cli("probe", "--now", iso(at(minutes)))

    def files(self) -> dict[str, Incident]:
        folder = self.root / "incidents"
        return {p.stem: parse(p.read_text(), p) for p in sorted(folder.glob("*.md"))}

    def path(self, incident_id: str) -> Path:
        return self.root / "incidents" / f"{incident_id}.md"

    def detail(self, minutes: int, monitor: str = "api") -> str:
        """What the probe recorded for a monitor at a time."""
        samples = store.read_samples(
            self.root / "data", at(minutes), at(minutes) + timedelta(seconds=1)
        )
        (sample,) = [s for s in samples if s.monitor == monitor]
        return sample.detail


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    with LocalServer() as server:
        yield Repo(tmp_path, server)


def summary(incident: Incident) -> tuple[str, datetime | None, datetime | None, list[str]]:
    return (
        incident.status,
        incident.started,
        incident.resolved,
        [u.status for u in incident.updates],
    )


API_DOWN = "2026-06-19-public-api-is-down"


def test_a_one_off_blip_opens_nothing(repo: Repo) -> None:
    repo.probe(-20)
    repo.probe(-15, api=DOWN)
    assert repo.files() == {}
    repo.probe(-10)
    repo.probe(-5)
    assert repo.files() == {}
    assert "503" in repo.detail(-15)


def test_an_outage_across_midnight(repo: Repo) -> None:
    repo.probe(-10)
    repo.probe(-5, api=DOWN)
    assert repo.files() == {}
    repo.probe(0, api=HANG)
    assert sorted(p.name for p in (repo.root / "data").glob("*.csv")) == [
        "2026-06-19.csv",
        "2026-06-20.csv",
    ]
    incident = repo.files()[API_DOWN]
    assert summary(incident) == ("investigating", at(-5), None, ["investigating"])
    assert (incident.title, incident.severity, incident.auto, incident.monitors) == (
        "Public API is down",
        "major",
        True,
        ("api",),
    )
    assert incident.updates[0].text == repo.detail(-5)
    assert "timeout" in repo.detail(0)
    repo.probe(5)
    assert repo.files()[API_DOWN].status == "investigating"
    repo.probe(10)
    incident = repo.files()[API_DOWN]
    assert summary(incident) == ("resolved", at(-5), at(5), ["investigating", "resolved"])
    assert incident.updates[-1].text == "Resolved after 10 min."
    repo.probe(15)
    assert list(repo.files()) == [API_DOWN]
    assert "1 incident file are valid" in repo.cli("check")


def test_a_persons_edits_mid_incident_survive_the_resolve(repo: Repo) -> None:
    repo.probe(-10, api=DOWN)
    repo.probe(-5, api=DOWN)
    path = repo.path(API_DOWN)
    text = path.read_text()
    text = text.replace("title: Public API is down", "title: API errors after a bad deploy")
    text = text.replace("severity: major", "severity: critical")
    text = text.replace(
        "---\n\n## Updates", "---\nA configuration change broke the API.\n\n## Updates"
    )
    text += "\n### 2026-06-19 23:58 UTC — Identified\n\nRolling back the change.\n"
    path.write_text(text)
    repo.probe(0, api=DOWN)
    assert path.read_text() == text
    repo.probe(5)
    repo.probe(10)
    incident = repo.files()[API_DOWN]
    assert (incident.title, incident.severity) == ("API errors after a bad deploy", "critical")
    assert incident.body == "A configuration change broke the API."
    assert summary(incident) == (
        "resolved",
        at(-10),
        at(5),
        ["investigating", "identified", "resolved"],
    )
    assert incident.updates[1].text == "Rolling back the change."
    assert path.read_text().startswith(
        text.replace("status: investigating", "status: resolved").split("started:")[0]
    )


def test_a_person_resolving_early_stays_resolved(repo: Repo) -> None:
    repo.probe(-10, api=DOWN)
    repo.probe(-5, api=DOWN)
    path = repo.path(API_DOWN)
    text = path.read_text().replace(
        "status: investigating", "status: resolved\nresolved: 2026-06-19T23:57:00Z"
    )
    path.write_text(text)
    for minutes in (0, 5, 10):
        repo.probe(minutes, api=DOWN)
    repo.probe(15)
    repo.probe(20)
    assert path.read_text() == text
    assert list(repo.files()) == [API_DOWN]
    # A new outage after the recovery is a new incident.
    repo.probe(25, api=DOWN)
    repo.probe(30, api=DOWN)
    assert summary(repo.files()["2026-06-20-public-api-is-down"]) == (
        "investigating",
        at(25),
        None,
        ["investigating"],
    )


def test_flapping_opens_nothing(repo: Repo) -> None:
    for step in range(8):
        repo.probe(5 * step, api=DOWN if step % 2 == 0 else UP)
        assert repo.files() == {}


def test_maintenance_covering_an_outage_opens_nothing(repo: Repo) -> None:
    repo.cli(
        "incident",
        "new",
        "Moving the API",
        "--maintenance",
        "--monitor",
        "api",
        "--start",
        iso(at(-12)),
        "--end",
        iso(at(12)),
        "--now",
        iso(at(-60)),
    )
    before = repo.files()
    assert list(before) == ["2026-06-19-moving-the-api"]
    for minutes in (-10, -5, 0, 5, 10):
        repo.probe(minutes, api=DOWN if minutes < 10 else HANG)
    repo.probe(15)
    repo.probe(20)
    assert repo.files() == before


def test_two_monitors_failing_at_once_open_two_incidents(repo: Repo) -> None:
    repo.probe(-10, api=DOWN, web=HANG)
    repo.probe(-5, api=DOWN, web=HANG)
    files = repo.files()
    assert sorted(files) == [API_DOWN, "2026-06-19-website-is-down"]
    assert files["2026-06-19-website-is-down"].monitors == ("web",)
    repo.probe(0, web=HANG)
    repo.probe(5, web=HANG)
    files = repo.files()
    assert (files[API_DOWN].status, files["2026-06-19-website-is-down"].status) == (
        "resolved",
        "investigating",
    )


def test_a_person_opened_incident_is_never_touched(repo: Repo) -> None:
    written = repo.cli("incident", "new", "Slow logins", "--monitor", "api", "--now", iso(at(-30)))
    path = Path(written.strip())
    assert path.name == "2026-06-19-slow-logins.md"
    text = path.read_text()
    for minutes in (-10, -5, 0):
        repo.probe(minutes, api=DOWN)
    repo.probe(5)
    repo.probe(10)
    assert path.read_text() == text
    assert repo.files()[API_DOWN].status == "resolved"


def test_a_broken_file_stops_check_and_build_but_not_the_probe(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo.root)
    repo.probe(-10, api=DOWN)
    repo.probe(-5, api=DOWN)
    path = repo.path(API_DOWN)
    path.write_text(path.read_text().replace("severity: major", "severty: major"))
    problem = f"incidents/{API_DOWN}.md:5: severty: unknown key (did you mean 'severity'?)"
    assert repo.cli("check", code=1) == problem + "\n"
    assert repo.cli("build", code=1) == problem + "\n"
    output = repo.cli("probe", "--now", iso(at(0)))
    assert problem in output and f"incidents/{API_DOWN}.md: skipped until it is fixed" in output
    assert repo.detail(0) == repo.detail(-5)  # the samples are still recorded
    assert list((repo.root / "incidents").iterdir()) == [path]  # and no second incident
