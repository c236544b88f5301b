"""Exactly once under what the project survives: racing probe runs, a refused and re-applied
push, a person's push between probe runs, a workflow re-run. Real git, real receivers."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import T0, TOKEN, hook_channel, status_yml, titles, upwatch
from helpers import clone, git_remote, run_git
from localserver import LocalServer, Reply

RUN_FAST = (
    "import generator.publish.commit as p; p.BACKOFF_SECONDS = 0.05; p.PUSH_ATTEMPTS = 12; "
    "from generator.cli import main; main()"
)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def hook(receiver: LocalServer, monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"127.0.0.1:{receiver.port}/hook/{TOKEN}"
    monkeypatch.setenv("HOOK", value)  # subprocesses inherit it, as a workflow step's env
    return value


def start_probe(work: Path, minutes: int) -> subprocess.Popen[str]:
    command = ["probe", "--config", str(work / "status.yml"), "--now", at(minutes), "--push"]
    return subprocess.Popen(
        [sys.executable, "-c", RUN_FAST, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def race(*runs: tuple[Path, int]) -> None:
    started = [start_probe(work, minutes) for work, minutes in runs]
    for run in started:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err


def probe(work: Path, minutes: int) -> str:
    result = upwatch("probe", "--config", str(work / "status.yml"), "--push", "--now", at(minutes))
    assert result.exit_code == 0, result.output
    return result.output


def test_two_clones_probing_at_the_same_moment_tell_each_event_once(
    tmp_path: Path, monitored: LocalServer, receiver: LocalServer, hook: str
) -> None:
    remote = git_remote(tmp_path, status_yml(monitored, hook_channel()))
    first, second = clone(remote, "first"), clone(remote, "second")
    race((first, 0), (second, 1))
    race((first, 5), (second, 6))
    monitored.route("/health", Reply())
    race((first, 10), (second, 11))
    race((first, 15), (second, 16))
    assert titles(receiver) == [
        "[Partial outage] Public API is down",
        "[Resolved] Public API is down",
    ]
    check = clone(remote, "check")
    assert len(list((check / "incidents").glob("*.md"))) == 1


def test_a_refused_then_re_applied_push_tells_once(
    tmp_path: Path, monitored: LocalServer, receiver: LocalServer, hook: str
) -> None:
    remote = git_remote(tmp_path, status_yml(monitored, hook_channel()))
    work, person = clone(remote, "work"), clone(remote, "person")
    (person / "README.md").write_text("our status page\n")
    run_git(person, "commit", "-qam", "readme")
    run_git(person, "push", "-q")  # the probe's first push is refused: the branch moved
    output = probe(work, 0)
    assert "push refused" in output
    probe(work, 5)
    assert titles(receiver) == ["[Partial outage] Public API is down"]


UPDATE = "### 2026-11-23 10:{minute} UTC — {state}\n\n{text}\n\n"


def add_updates(work: Path, *updates: tuple[str, str, str]) -> str:
    """A person adds timeline updates to the open incident and pushes; returns the old tip."""
    run_git(work, "pull", "-q")
    before = run_git(work, "rev-parse", "HEAD")
    path = next((work / "incidents").glob("*.md"))
    entries = "".join(UPDATE.format(minute=m, state=s, text=t) for m, s, t in reversed(updates))
    path.write_text(path.read_text().replace("## Updates\n\n", "## Updates\n\n" + entries, 1))
    run_git(work, "commit", "-qam", "incident update")
    run_git(work, "push", "-q")
    return before


def test_a_persons_pushed_updates_give_one_updated_and_a_rerun_none(
    tmp_path: Path, monitored: LocalServer, receiver: LocalServer, hook: str
) -> None:
    remote = git_remote(tmp_path, status_yml(monitored, hook_channel()))
    work, person = clone(remote, "work"), clone(remote, "person")
    probe(work, 0)
    before = add_updates(
        person,
        ("02", "Identified", "The *database* ran out of disk."),
        ("03", "Monitoring", "Space freed; watching [the graphs](https://grafana.test/d/1)."),
    )
    pages = clone(remote, "pages")  # the pages.yml run: a checkout of the branch tip
    for _ in range(2):  # the run, then a re-run of it
        result = upwatch(
            "notify", "--config", str(pages / "status.yml"), "--since", before, "--now", at(4)
        )
        assert result.exit_code == 0, result.output
    run_git(work, "pull", "-q")
    probe(work, 5)  # the next probe run tells nothing of the person's update again
    assert titles(receiver) == [
        "[Partial outage] Public API is down",
        "[Monitoring] Public API is down",
    ]
    said = receiver.requests[-1].body.decode()
    assert "Space freed; watching the graphs (https://grafana.test/d/1)." in said
    assert "*" not in said


def test_a_maintenance_window_is_told_when_announced_started_and_completed(
    tmp_path: Path, monitored: LocalServer, receiver: LocalServer, hook: str
) -> None:
    monitored.route("/health", Reply())
    remote = git_remote(tmp_path, status_yml(monitored, hook_channel()))
    work, person = clone(remote, "work"), clone(remote, "person")
    before = run_git(person, "rev-parse", "HEAD")
    result = upwatch(
        "incident",
        "new",
        "Database upgrade",
        "--maintenance",
        "--monitor",
        "api",
        "--start",
        at(20),
        "--end",
        at(40),
        "--config",
        str(person / "status.yml"),
        "--now",
        at(0),
    )
    assert result.exit_code == 0, result.output
    run_git(person, "add", "incidents")
    run_git(person, "commit", "-qm", "announce maintenance")
    run_git(person, "push", "-q")
    result = upwatch(
        "notify", "--config", str(person / "status.yml"), "--since", before, "--now", at(1)
    )
    assert result.exit_code == 0, result.output
    run_git(work, "pull", "-q")
    for minutes in (15, 25, 35, 45, 50):
        probe(work, minutes)
    assert titles(receiver) == [
        "[Maintenance scheduled] Database upgrade",
        "[Maintenance in progress] Database upgrade",
        "[Maintenance completed] Database upgrade",
    ]
