"""Recording runs in git: real repositories, a bare repository on disk as the remote."""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import git
import pytest
from helpers import clone, git_remote, run_git
from helpers import sample as shared_sample

from generator import publish
from generator.config.read import load_config
from generator.errors import PublishError
from generator.incidents import Change
from generator.publish import commit
from generator.store import days as store
from generator.store.days import Sample

T0 = datetime(2026, 11, 23, 10, 5, tzinfo=UTC)
STATUS_YML = """\
site:
  title: Test Status
monitors:
  - id: api
    url: http://127.0.0.1:9/health
    headers: {Authorization: "Bearer ${API_TOKEN}"}
  - id: web
    url: http://127.0.0.1:9/
"""
SECRET = "s3cr3t-token-value"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commit, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(commit, "PUSH_ATTEMPTS", 4)
    monkeypatch.setenv("API_TOKEN", SECRET)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository holding a fresh status repo, as a fork would start."""
    return git_remote(tmp_path, STATUS_YML)


sample = functools.partial(shared_sample, t=T0, location="test", ms=None)


def applier(
    root: Path, samples: list[Sample], changes: list[Change] | None = None
) -> tuple[Callable[[], list[Change]], list[int]]:
    """An apply() that appends samples through the store and counts its calls."""
    calls: list[int] = []

    def apply() -> list[Change]:
        calls.append(1)
        store.append_samples(root / "data", samples)
        return changes or []

    return apply, calls


def remote_file(remote: Path, path: str) -> str:
    return git.Repo(remote).git.show(f"main:{path}")


def test_commit_holds_only_the_run_files_and_keeps_a_persons_work(remote: Path) -> None:
    work = clone(remote, "work")
    (work / "README.md").write_text("half-written notes\n")
    (work / "notes.txt").write_text("staged draft\n")
    run_git(work, "add", "notes.txt")
    samples = [sample("api"), sample("web")]
    apply, _ = applier(work, samples)
    publish.record(load_config(work / "status.yml"), samples, apply, push=False)
    head = git.Repo(work).head.commit
    assert sorted(head.stats.files) == ["data/2026-11-23.csv"]
    assert head.message.strip() == "probe: 2 up"
    assert str(head.author) == "upwatch" and head.author.email == "upwatch@users.noreply.github.com"
    assert str(head.committer) == "upwatch"
    assert (work / "README.md").read_text() == "half-written notes\n"
    status = run_git(work, "status", "--porcelain", "--untracked-files=no").splitlines()
    assert sorted(line.strip() for line in status) == ["A  notes.txt", "M README.md"]


def test_author_comes_from_the_config(remote: Path) -> None:
    work = clone(remote, "work")
    config_file = work / "status.yml"
    config_file.write_text(STATUS_YML + "publish:\n  author: Status Bot <bot@acme.test>\n")
    samples = [sample("api")]
    publish.record(load_config(config_file), samples, applier(work, samples)[0], push=False)
    head = git.Repo(work).head.commit
    assert (head.author.name, head.author.email) == ("Status Bot", "bot@acme.test")
    assert (head.committer.name, head.committer.email) == ("Status Bot", "bot@acme.test")


def test_push_lands_on_the_remote(remote: Path) -> None:
    work = clone(remote, "work")
    samples = [sample("api"), sample("web", "down", code=503)]
    publish.record(load_config(work / "status.yml"), samples, applier(work, samples)[0], push=True)
    assert "api,test,up" in remote_file(remote, "data/2026-11-23.csv")
    log = git.Repo(remote).head.commit.message
    assert log == "probe: 1 up, 1 down\n\nweb: down (HTTP 503)\n"


def test_refused_push_reapplies_on_the_fetched_branch(remote: Path) -> None:
    first, second = clone(remote, "first"), clone(remote, "second")
    early = [sample("api", t=T0), sample("web", t=T0)]
    publish.record(load_config(first / "status.yml"), early, applier(first, early)[0], push=True)
    late = [
        sample("api", "down", t=T0.replace(minute=10), code=500),
        sample("web", t=T0.replace(minute=10)),
    ]
    (second / "README.md").write_text("uncommitted notes\n")
    apply, calls = applier(second, late)
    publish.record(load_config(second / "status.yml"), late, apply, push=True)
    assert len(calls) == 2
    assert (second / "README.md").read_text() == "uncommitted notes\n"
    assert remote_file(remote, "README.md") == "my status page"
    rows = remote_file(remote, "data/2026-11-23.csv").splitlines()
    assert rows[0] == "time,monitor,location,status,ms,code,kind,detail"
    assert len(rows) == 5 and rows.count(rows[0]) == 1
    history = git.Repo(remote).git.log("--format=%s").splitlines()
    assert history == ["probe: 1 up, 1 down", "probe: 2 up", "start"]
    assert len(git.Repo(remote).head.commit.parents) == 1  # no merge commits, no force


def test_an_earlier_local_commit_goes_onto_the_fetched_branch(remote: Path) -> None:
    first, second = clone(remote, "first"), clone(remote, "second")
    early = [sample("api", t=T0)]
    publish.record(load_config(first / "status.yml"), early, applier(first, early)[0], push=True)
    (second / "data" / "rollups.txt").write_text("compacted\n")  # as the daily compact step
    run_git(second, "add", "data")
    run_git(second, "commit", "-qm", "compact")
    late = [sample("api", t=T0.replace(minute=10))]
    publish.record(load_config(second / "status.yml"), late, applier(second, late)[0], push=True)
    history = git.Repo(remote).git.log("--format=%s").splitlines()
    assert history == ["probe: 1 up", "compact", "probe: 1 up", "start"]
    assert len(remote_file(remote, "data/2026-11-23.csv").splitlines()) == 3


def test_a_local_change_in_the_way_of_the_fetched_branch_is_kept(remote: Path) -> None:
    first, second = clone(remote, "first"), clone(remote, "second")
    (first / "README.md").write_text("pushed by someone\n")
    run_git(first, "commit", "-qam", "readme")
    run_git(first, "push", "-q")
    (second / "README.md").write_text("uncommitted notes\n")
    samples = [sample("api")]
    with pytest.raises(PublishError) as caught:
        publish.record(
            load_config(second / "status.yml"), samples, applier(second, samples)[0], push=True
        )
    head = git.Repo(second).head.commit
    assert str(caught.value).startswith("upwatch: could not move onto the fetched branch: error: ")
    assert str(caught.value).endswith(
        f"the commit {head.hexsha[:7]} is kept locally (pull, then push it with git push)"
    )
    assert head.message.strip() == "probe: 1 up"
    assert (second / "README.md").read_text() == "uncommitted notes\n"


def refuse_pushes(remote: Path) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are frozen today' >&2\nexit 1\n")
    hook.chmod(0o755)


def test_a_remote_that_refuses_exits_with_a_clear_message_and_keeps_the_commit(
    remote: Path,
) -> None:
    work = clone(remote, "work")
    refuse_pushes(remote)
    samples = [sample("api")]
    with pytest.raises(PublishError) as caught:
        publish.record(
            load_config(work / "status.yml"), samples, applier(work, samples)[0], push=True
        )
    head = git.Repo(work).head.commit
    assert str(caught.value) == (
        "upwatch: could not push to origin/main: remote: pushes are frozen today / "
        "! [remote rejected] HEAD -> main (pre-receive hook declined) / "
        "error: failed to push some refs to '" + str(remote) + "'; "
        f"the commit {head.hexsha[:7]} is kept locally (push it later with git push)"
    )
    assert head.message.strip() == "probe: 1 up"
    assert git.Repo(remote).head.commit.message == "start\n"


def test_an_unreachable_remote_keeps_the_commit(remote: Path) -> None:
    work = clone(remote, "work")
    run_git(work, "remote", "set-url", "origin", str(remote.parent / "gone.git"))
    samples = [sample("api")]
    with pytest.raises(PublishError) as caught:
        publish.record(
            load_config(work / "status.yml"), samples, applier(work, samples)[0], push=True
        )
    head = git.Repo(work).head.commit
    assert str(caught.value).startswith("upwatch: could not push to origin/main: fatal: ")
    assert str(caught.value).endswith(
        f"the commit {head.hexsha[:7]} is kept locally (push it later with git push)"
    )
    assert head.message.strip() == "probe: 1 up"


def test_detached_head_is_refused_before_anything_is_written(remote: Path) -> None:
    work = clone(remote, "work")
    sha = run_git(work, "rev-parse", "HEAD")
    run_git(work, "checkout", "-q", "--detach")
    apply, calls = applier(work, [sample("api")])
    with pytest.raises(PublishError) as caught:
        publish.record(load_config(work / "status.yml"), [], apply, push=False)
    assert str(caught.value) == (
        f"upwatch: HEAD is detached at {sha[:7]}; check out a branch (git switch main) before --commit"
    )
    assert calls == []


def test_a_branch_without_upstream_is_refused(remote: Path) -> None:
    work = clone(remote, "work")
    run_git(work, "switch", "-q", "-c", "local")
    with pytest.raises(PublishError) as caught:
        publish.record(load_config(work / "status.yml"), [], applier(work, [])[0], push=True)
    assert str(caught.value) == (
        "upwatch: branch local has no upstream to push to; "
        "set one with git branch --set-upstream-to=origin/local"
    )


def test_outside_a_repository(tmp_path: Path) -> None:
    (tmp_path / "status.yml").write_text(STATUS_YML)
    with pytest.raises(PublishError) as caught:
        publish.record(
            load_config(tmp_path / "status.yml"), [], applier(tmp_path, [])[0], push=False
        )
    assert str(caught.value) == (
        f"upwatch: {tmp_path.resolve()} is not inside a git repository (--commit and --push need one)"
    )


@pytest.mark.parametrize(
    ("samples", "changes", "subject"),
    [
        ([sample("api"), sample("web")], [], "probe: 2 up"),
        (
            [sample("api", "down", code=503), sample("web")],
            [Change("opened", "2026-11-23-api-down", "api")],
            "api down (HTTP 503); 1 up, 1 down",
        ),
        (
            [sample("api", "down", detail="timeout after 10 s"), sample("web")],
            [Change("opened", "2026-11-23-api-down", "api")],
            "api down (timeout after 10 s); 1 up, 1 down",
        ),
        (
            [sample("api"), sample("web", "degraded", ms=2500, code=200, detail="slow: 2500 ms")],
            [Change("resolved", "2026-11-23-api-down", "api", "after 12 min")],
            "api recovered after 12 min; 1 up, 1 degraded",
        ),
        (
            [sample("api", "degraded", ms=2500, code=200, detail="slower than 2000 ms")],
            [Change("opened", "2026-11-23-api-degraded", "api")],
            "api degraded (slower than 2000 ms); 1 degraded",
        ),
        ([], [], "probe: no samples"),
    ],
)
def test_commit_message_says_what_changed(
    samples: list[Sample], changes: list[Change], subject: str
) -> None:
    assert publish.commit_message(samples, changes).splitlines()[0] == subject


def test_no_secret_reaches_the_commit_message(remote: Path) -> None:
    work = clone(remote, "work")
    samples = [sample("api", "down", detail=f"refused {SECRET} at /health")]
    publish.record(load_config(work / "status.yml"), samples, applier(work, samples)[0], push=False)
    message = git.Repo(work).head.commit.message
    assert SECRET not in message
    assert "api: down (refused *** at /health)" in message


# --- racing runs of the real command -----------------------------------------------

RUN_FAST = (
    "import generator.publish.commit as p; p.BACKOFF_SECONDS = 0.05; p.PUSH_ATTEMPTS = 12; "
    "from generator.cli import main; main()"
)


def start_probe(work: Path, now: str) -> subprocess.Popen[str]:
    """`upwatch probe --commit --push` in its own process, with short backoffs."""
    command = ["probe", "--config", str(work / "status.yml"), "--now", now, "--commit", "--push"]
    return subprocess.Popen(
        [sys.executable, "-c", RUN_FAST, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def person_edits(work: Path) -> None:
    """A person adds a story to the open incident and pushes, pulling on refusal."""
    run_git(work, "pull", "-q", "--rebase")
    path = next((work / "incidents").glob("*-api-*.md"))
    text = path.read_text()
    path.write_text(
        text.replace("\n## Updates\n", "\nThe database ran out of disk.\n\n## Updates\n", 1)
    )
    run_git(work, "commit", "-qam", "story of the api outage")
    for _ in range(20):
        if (
            subprocess.run(
                ["git", "push", "-q"], cwd=work, capture_output=True, check=False
            ).returncode
            == 0
        ):
            return
        run_git(work, "pull", "-q", "--rebase")
    pytest.fail("the person's push never went through")


def race(
    first: Path, second: Path, times: tuple[str, str], also: Callable[[], None] | None = None
) -> None:
    runs = [start_probe(first, times[0]), start_probe(second, times[1])]
    if also:
        also()
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err


def test_racing_runs_and_a_person_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from localserver import LocalServer, Reply

    with LocalServer() as server:
        server.route("/api", Reply(503))
        server.route("/web", Reply(200))
        bare = tmp_path / "remote.git"
        run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
        seed = clone(bare, "seed")
        (seed / "status.yml").write_text(
            "site: {title: Race}\nmonitors:\n"
            f"  - {{id: api, url: '{server.url('/api')}?key=${{API_TOKEN}}'}}\n"
            f"  - {{id: web, url: '{server.url('/web')}'}}\n"
        )
        (seed / ".gitattributes").write_text("data/*.csv merge=union\n")
        run_git(seed, "add", ".")
        run_git(seed, "commit", "-qm", "start")
        run_git(seed, "push", "-q", "origin", "main")
        first, second, person = clone(bare, "first"), clone(bare, "second"), clone(bare, "person")
        times = [f"2026-11-23T10:{m:02d}:00Z" for m in range(0, 45, 5)]
        race(first, second, (times[0], times[1]))
        race(first, second, (times[2], times[3]))  # the incident is open by now
        race(first, second, (times[4], times[5]), also=lambda: person_edits(person))
        server.route("/api", Reply(200))
        race(first, second, (times[6], times[7]))
        final = start_probe(first, times[8])
        _, err = final.communicate(timeout=60)
        assert final.returncode == 0, err

    check = clone(bare, "check")
    rows = {
        tuple(line.split(",")[:2])
        for line in (check / "data" / "2026-11-23.csv").read_text().splitlines()[1:]
    }
    assert rows == {(t, m) for t in times for m in ("api", "web")}
    files = list((check / "incidents").glob("*.md"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "The database ran out of disk." in text
    assert "status: resolved" in text and "auto: true" in text
    everything = run_git(check, "log", "-p", "--all", "--format=%an %ae %s%n%b")
    assert SECRET not in everything
    assert "api down (HTTP 503)" in everything and "api recovered after" in everything


# --- the commit message stays short ------------------------------------------------


def long_id(n: int) -> str:
    return f"monitor-{n:03d}-" + "x" * 52  # 64 characters, the longest id allowed


@pytest.mark.parametrize(
    ("samples", "changes", "subject"),
    [
        (
            [sample(long_id(1), "down", detail="timeout after 10 s"), sample("web")],
            [Change("opened", "i1", long_id(1))],
            "1 incident opened; 1 up, 1 down",
        ),
        (
            [sample(m, "down", detail="connection refused " * 5) for m in ("api", "db")]
            + [sample("web", "degraded", detail="slow " * 20), sample("mail")],
            [Change("opened", f"i-{m}", m) for m in ("api", "db", "web")]
            + [Change("resolved", "i-mail", "mail", "after 3 h 12 min")],
            "api, db down; web degraded; mail recovered; 1 up, 1 degraded, 2 down",
        ),
        (
            [sample(f"m{n}", "down", code=503) for n in range(30)]
            + [sample(f"up{n}") for n in range(88)],
            [Change("opened", f"i{n}", f"m{n}") for n in range(30)]
            + [Change("resolved", "j", "up1", "after 5 min")],
            "30 incidents opened, 1 resolved; 88 up, 30 down",
        ),
        (
            [sample(f"service-{n}") for n in range(12)],
            [Change("resolved", f"i{n}", f"service-{n}", "after 1 h 5 min") for n in range(12)],
            "12 incidents resolved; 12 up",
        ),
    ],
)
def test_a_subject_that_would_be_long_is_shortened(
    samples: list[Sample], changes: list[Change], subject: str
) -> None:
    message = publish.commit_message(samples, changes)
    assert message.splitlines()[0] == subject


def test_the_subject_keeps_every_event_in_full_when_it_fits() -> None:
    message = publish.commit_message(
        [sample("api", "down", code=503), sample("web")],
        [Change("opened", "2026-11-23-api-down", "api")],
    )
    assert message == "api down (HTTP 503); 1 up, 1 down\n\napi: down (HTTP 503)"


def test_a_shortened_subject_leaves_the_events_to_the_body() -> None:
    samples = [sample(m, "down", detail="connection refused by the load balancer") for m in "abc"]
    changes = [Change("opened", f"i-{m}", m) for m in "abc"]
    changes.append(Change("resolved", "i-d", "d", "after 12 min"))
    assert publish.commit_message(samples, changes).splitlines() == [
        "a, b, c down; d recovered; 3 down",
        "",
        "a down (connection refused by the load balancer)",
        "b down (connection refused by the load balancer)",
        "c down (connection refused by the load balancer)",
        "d recovered after 12 min",
        "",
        "a: down (connection refused by the load balancer)",
        "b: down (connection refused by the load balancer)",
        "c: down (connection refused by the load balancer)",
    ]


def test_the_body_is_capped_in_lines() -> None:
    samples = [sample(f"m{n:03d}", "down", code=500) for n in range(120)]
    lines = publish.commit_message(samples, []).splitlines()
    assert lines[0] == "probe: 120 down"
    assert lines[2:4] == ["m000: down (HTTP 500)", "m001: down (HTTP 500)"]
    assert len(lines) - 2 == 50
    assert lines[-2:] == ["m048: down (HTTP 500)", "… and 71 more"]


def test_the_body_is_capped_in_bytes_and_each_reason_in_length() -> None:
    detail = "the upstream said: " + "é" * 300  # two bytes each in UTF-8
    samples = [sample(long_id(n), "down", detail=detail) for n in range(40)]
    body = publish.commit_message(samples, []).split("\n\n", 1)[1]
    lines = body.splitlines()
    assert len(body.encode()) <= 4096
    assert lines[0] == f"{long_id(0)}: down (the upstream said: {'é' * 58}...)"
    kept = len(lines) - 1
    assert lines[-1] == f"… and {40 - kept} more"
    assert kept == (4096 - len("… and 99999 more".encode())) // (len(lines[0].encode()) + 1)


def test_a_reason_is_one_line() -> None:
    samples = [sample("api", "down", detail="line one\nline two\r\n\tand\x1bthree")]
    assert publish.commit_message(samples, []) == (
        "probe: 1 down\n\napi: down (line one line two and three)"
    )


def test_many_monitors_down_with_long_details_make_a_short_subject(remote: Path) -> None:
    work = clone(remote, "work")
    # The secret sits where a reason is cut, so cutting before masking would leave its start.
    detail = (
        "refused at https://api.example.test/" + "p" * 30 + "?token=" + SECRET + " " + "z" * 200
    )
    samples = [sample(long_id(n), "down", detail=detail) for n in range(91)]
    changes = [Change("opened", f"i{n}", long_id(n)) for n in range(91)]
    apply, _ = applier(work, samples, changes)
    publish.record(load_config(work / "status.yml"), samples, apply, push=False)
    message = git.Repo(work).head.commit.message
    subject, body = message.split("\n\n", 1)
    assert subject == "91 incidents opened; 91 down"
    assert len(body.splitlines()) <= 50 and len(body.encode()) <= 4096
    assert body.splitlines()[-1].startswith("… and ")
    assert f"{long_id(0)} down (refused at https://api.example.test/{'p' * 30}?token=***" in body
    assert SECRET[:4] not in message


def test_the_probe_commits_the_rollup_of_the_day_that_just_finished(remote: Path) -> None:
    from click.testing import CliRunner

    from generator.cli import main

    work = clone(remote, "work")
    env = {"API_TOKEN": SECRET}
    for now in ("2026-11-23T23:55:00Z", "2026-11-24T00:05:00Z"):
        args = ["probe", "--config", str(work / "status.yml"), "--now", now, "--commit"]
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
    head = git.Repo(work).head.commit
    # the second down sample in a row opens an incident as well
    assert sorted(head.stats.files) == [
        "data/2026-11-24.csv",
        "data/rollup/2026-11.csv",
        "incidents/2026-11-23-api-is-down.md",
        "incidents/2026-11-23-web-is-down.md",
    ]
    assert "earlier run" not in result.output  # the rollup is this run's own work
    assert run_git(work, "status", "--porcelain", "--", "data") == ""
