"""The probe notifies after its push landed: one message per event per channel, through real
git (a bare remote on disk) and real webhook receivers on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import T0, TOKEN, hook_channel, messages, status_yml, titles, upwatch
from helpers import clone, git_remote, run_git
from localserver import LocalServer, Reply


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def hook(receiver: LocalServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The webhook's secret part, set as $HOOK the way a workflow passes a secret."""
    value = f"127.0.0.1:{receiver.port}/hook/{TOKEN}"
    monkeypatch.setenv("HOOK", value)
    return value


def repo(tmp_path: Path, monitored: LocalServer, channels: str) -> Path:
    """A clone of a fresh status repository whose config has these channels."""
    remote = git_remote(tmp_path, status_yml(monitored, channels))
    return clone(remote, "work")


def probe(work: Path, minutes: int) -> str:
    result = upwatch("probe", "--config", str(work / "status.yml"), "--push", "--now", at(minutes))
    assert result.exit_code == 0, result.output
    return result.output


def test_an_outage_opened_and_resolved_tells_each_channel_once(
    tmp_path: Path, monitored: LocalServer, receiver: LocalServer, hook: str
) -> None:
    form = f'  - url: "form://127.0.0.1:{receiver.port}/form"\n    name: forms\n'
    work = repo(tmp_path, monitored, hook_channel() + form)
    probe(work, 0)  # api down: an incident opens and lands
    probe(work, 5)  # still down: nothing new
    monitored.route("/health", Reply())
    probe(work, 10)  # up again: resolved
    probe(work, 15)
    assert titles(receiver) == [
        "[Partial outage] Public API is down",
        "[Resolved] Public API is down",
    ]
    assert titles(receiver, "/form") == titles(receiver)
    opened, resolved = messages(receiver)
    assert "State: Investigating · Severity: major" in opened["message"]
    assert "Affected: Public API" in opened["message"]
    assert "Started: Nov 23, 10:00 UTC · Ongoing for 0 s" in opened["message"] or (
        "Started: Nov 23, 10:00 UTC" in opened["message"]
    )
    assert "HTTP 503" in opened["message"]
    assert (
        "https://status.acme.test/incidents/2026-11-23-public-api-is-down.html"
        in (opened["message"])
    )
    assert "Lasted 10 min" in resolved["message"]


def test_without_push_nothing_is_sent_and_verbose_says_what_would_be(
    tmp_path: Path, monitored: LocalServer, receiver: LocalServer, hook: str
) -> None:
    work = repo(tmp_path, monitored, hook_channel())
    result = upwatch(
        "-v", "probe", "--config", str(work / "status.yml"), "--commit", "--now", at(0)
    )
    assert result.exit_code == 0, result.output
    assert "would notify ops: [Partial outage] Public API is down" in result.output
    assert receiver.requests == []


def test_the_secret_reaches_no_sample_log_site_file_or_commit(
    tmp_path: Path, monitored: LocalServer, receiver: LocalServer, hook: str
) -> None:
    work = repo(tmp_path, monitored, hook_channel())
    outputs = [probe(work, 0)]
    receiver.route(f"/hook/{TOKEN}", Reply(500, f"bad token {TOKEN}"))
    monitored.route("/health", Reply())
    outputs.append(probe(work, 10))  # the resolved message fails: logged, masked
    outputs.append(
        upwatch("-v", "notify", "--config", str(work / "status.yml"), "--now", at(20)).output
    )
    outputs.append(upwatch("build", "--config", str(work / "status.yml"), "--now", at(20)).output)
    assert any("failed" in o for o in outputs)
    files = [p for p in work.rglob("*") if p.is_file() and ".git" not in p.parts]
    texts = [p.read_text(errors="replace") for p in files]
    texts.append(run_git(work, "log", "--format=%B%n%an"))
    for text in [*outputs, *texts]:
        assert TOKEN not in text
        assert hook not in text
    assert len(receiver.requests) == 3  # opened, then resolved refused twice


def test_a_receiver_that_refuses_then_recovers_gets_the_message_on_a_later_run(
    tmp_path: Path, monitored: LocalServer, receiver: LocalServer, hook: str
) -> None:
    receiver.route(f"/hook/{TOKEN}", Reply(503), Reply(503), Reply())
    work = repo(tmp_path, monitored, hook_channel())
    probe(work, 0)  # refused
    probe(work, 5)  # refused again
    probe(work, 10)  # delivered
    probe(work, 15)  # nothing left to do
    assert titles(receiver) == ["[Partial outage] Public API is down"] * 3
    log = (work / "data" / "notified.log").read_text()
    assert [line.split()[1] for line in log.splitlines()] == [
        "claimed",
        "failed",
        "claimed",
        "failed",
        "claimed",
        "sent",
    ]


def test_a_failure_is_given_up_after_an_hour_and_said_in_the_job_summary(
    tmp_path: Path,
    monitored: LocalServer,
    receiver: LocalServer,
    hook: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver.route(f"/hook/{TOKEN}", Reply(503))
    work = repo(tmp_path, monitored, hook_channel())
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    probe(work, 0)
    probe(work, 30)
    tried = len(receiver.requests)
    probe(work, 61)
    assert len(receiver.requests) == tried == 2
    assert "notify ops: 2026-11-23-public-api-is-down/opened: given up after 1 h of failures" in (
        summary.read_text()
    )


def test_a_hanging_receiver_costs_at_most_its_deadline(
    tmp_path: Path,
    monitored: LocalServer,
    receiver: LocalServer,
    hook: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from generator.notify import send

    monkeypatch.setattr(send, "DEADLINE", 0.5)  # apprise's own read timeout is 4 s
    receiver.route("/slow", Reply.hang())
    slow = f'  - url: "json://127.0.0.1:{receiver.port}/slow"\n    name: slow\n'
    work = repo(tmp_path, monitored, hook_channel() + slow)
    output = probe(work, 0)  # returns while the slow receiver still holds its request
    assert titles(receiver) == ["[Partial outage] Public API is down"]
    assert receiver.hits("/slow") == 1
    log = (work / "data" / "notified.log").read_text()
    assert "failed slow 2026-11-23-public-api-is-down/opened" in log  # tried again later
    # The reason is the deadline's, not apprise's own 4 s read timeout: the deadline cut it.
    assert (
        "notify slow: [Partial outage] Public API is down: failed (no answer within 0.5 s)"
        in output
    )


def test_routing_by_monitors_events_and_min_severity(
    tmp_path: Path, monitored: LocalServer, receiver: LocalServer, hook: str
) -> None:
    base = f"json://127.0.0.1:{receiver.port}"
    channels = (
        f'  - url: "{base}/web-only"\n    monitors: [web]\n'
        f'  - url: "{base}/resolved-only"\n    events: [resolved]\n'
        f'  - url: "{base}/major"\n    min_severity: major\n'
        f'  - url: "{base}/critical"\n    min_severity: critical\n'
    )
    for path in ("/web-only", "/resolved-only", "/major", "/critical"):
        receiver.route(path, Reply())
    work = repo(tmp_path, monitored, channels)
    monitored.route("/web", Reply(500))
    probe(work, 0)  # api (major) and web (minor) open
    monitored.route("/health", Reply())
    monitored.route("/web", Reply())
    probe(work, 5)  # both resolve
    assert titles(receiver, "/web-only") == [
        "[Degraded performance] Website is down",
        "[Resolved] Website is down",
    ]
    assert sorted(titles(receiver, "/resolved-only")) == [
        "[Resolved] Public API is down",
        "[Resolved] Website is down",
    ]
    assert titles(receiver, "/major") == [
        "[Partial outage] Public API is down",
        "[Resolved] Public API is down",
    ]
    assert titles(receiver, "/critical") == []
