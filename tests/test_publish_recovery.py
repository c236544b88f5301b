"""After a killed run: stale git locks, and the samples and incidents it wrote but never committed.

Every test works on real repositories with a bare repository on disk as the remote; the
killed run is a real `upwatch probe --commit` killed with SIGKILL while git holds its lock.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import clone, git_remote, run_git
from localserver import LocalServer, Reply

from generator import incidents, publish
from generator.config.read import load_config
from generator.errors import PublishError
from generator.publish import locks
from generator.store import days as store
from generator.store.days import Sample

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SECRET = "s3cr3t-token-value"
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
LOCK_BUSY = (
    "another git process is running (or a killed one left this lock); remove it if none is. "
    "Nothing was committed: the samples stay in data/ and the next run commits them"
)
RUN_FAST = (
    "import generator.publish.locks as p; p.LOCK_WAIT = 0.2; from generator.cli import main; main()"
)


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locks, "LOCK_WAIT", 0.2)
    monkeypatch.setenv("API_TOKEN", SECRET)


def make_repo(tmp_path: Path, status_yml: str = STATUS_YML) -> Path:
    """A clone of a bare repository that holds a fresh status repo."""
    return clone(git_remote(tmp_path, status_yml, union=False), "work")


def probe_run(work: Path, minute: int, api: str = "up", commit: bool = True) -> None:
    """One probe run as the CLI makes it (samples, incidents, then git), without the network."""
    config = load_config(work / "status.yml")
    when = T0 + timedelta(minutes=minute)
    samples = [
        Sample(
            time=when,
            monitor="api",
            location="test",
            status=api,
            code=503 if api == "down" else 200,
        ),  # type: ignore[arg-type]
        Sample(time=when, monitor="web", location="test", status="up", code=200),
    ]

    def apply() -> list[incidents.Change]:
        store.append_samples(config.data_dir, samples)
        return incidents.update(config, when, ["api", "web"])

    if commit:
        publish.record(config, samples, apply, push=False)
    else:
        apply()  # what a run killed before its commit leaves behind


# Plain git commands only: GitPython keeps a `git cat-file --batch` alive in the repository,
# which is a git process at work there, as far as a run can tell.
def head_message(work: Path) -> str:
    return run_git(work, "log", "-1", "--format=%B")


def head_files(work: Path) -> list[str]:
    return sorted(run_git(work, "show", "--name-only", "--format=", "HEAD").splitlines())


def uncommitted(work: Path) -> list[str]:
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    )
    return sorted(status.stdout.splitlines())


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings logged (other tests may have set the root logger to show more)."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def day_rows(work: Path, rev: str = "HEAD") -> int:
    return len(run_git(work, "show", f"{rev}:data/2026-11-23.csv").splitlines()) - 1


# --- stale locks -------------------------------------------------------------------


@pytest.mark.parametrize("lock", ["index.lock", "HEAD.lock", "refs/heads/main.lock"])
def test_a_stale_lock_is_removed_with_a_warning_and_the_run_commits(
    tmp_path: Path, lock: str, caplog: pytest.LogCaptureFixture
) -> None:
    work = make_repo(tmp_path)
    path = work / ".git" / lock
    path.write_text("")
    left = datetime(2026, 11, 23, 9, 55, 7, tzinfo=UTC).timestamp()  # before this run started
    os.utime(path, (left, left))
    with caplog.at_level(logging.WARNING, logger="generator.publish"):
        probe_run(work, 0)
    assert not path.exists()
    assert head_message(work) == "probe: 2 up"
    assert warnings(caplog) == [
        f".git/{lock}: removed a lock a killed git run left at 2026-11-23T09:55:07Z"
    ]


def test_a_lock_made_after_the_run_started_is_left_alone(tmp_path: Path) -> None:
    work = make_repo(tmp_path)
    lock = work / ".git" / "index.lock"
    lock.write_text("")  # now: some git command may be about to finish with it
    with pytest.raises(PublishError) as caught:
        probe_run(work, 0)
    assert str(caught.value) == f".git/index.lock: {LOCK_BUSY}"
    assert lock.exists()
    assert head_message(work) == "start"
    assert (work / "data" / "2026-11-23.csv").read_text().count(",up,") == 2


def start_cli(work: Path, minute: int, *extra: str) -> subprocess.Popen[str]:
    """`upwatch probe --commit` in its own process and session, run from the repository."""
    now = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
    command = ["probe", "--config", "status.yml", "--now", now, "--commit", *extra]
    return subprocess.Popen(
        [sys.executable, "-c", RUN_FAST, *command],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def served_repo(tmp_path: Path, server: LocalServer) -> Path:
    return make_repo(
        tmp_path,
        "site: {title: Test Status}\ndefaults: {failure_threshold: 1}\nmonitors:\n"
        f"  - {{id: api, url: '{server.url('/api')}?key=${{API_TOKEN}}'}}\n"
        f"  - {{id: web, url: '{server.url('/web')}'}}\n",
    )


def test_a_lock_held_while_a_git_process_works_here_stops_the_run_with_one_line(
    tmp_path: Path,
) -> None:
    with LocalServer() as server:
        server.route("/api", Reply(200))
        server.route("/web", Reply(200))
        work = served_repo(tmp_path, server)
        lock = work / ".git" / "index.lock"
        lock.write_text("")
        os.utime(lock, (time.time() - 3600, time.time() - 3600))  # old: only the process counts
        with subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=work,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        ) as alive:
            run = start_cli(work, 0)
            _, err = run.communicate(timeout=60)
            alive.kill()
        assert run.returncode == 1
        assert err.splitlines()[-1] == f".git/index.lock: {LOCK_BUSY}"
        assert "Traceback" not in err
        assert lock.exists()
        assert (work / "data" / "2026-11-23.csv").read_text().count(",up,") == 2
        assert head_message(work) == "start"

        # The git process has ended: the next run removes the lock and commits both runs.
        run = start_cli(work, 5)
        _, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert ".git/index.lock: removed a lock a killed git run left at " in err
    assert not lock.exists()
    assert head_files(work) == ["data/2026-11-23.csv"]
    assert day_rows(work) == 4
    assert uncommitted(work) == []


def test_a_run_killed_while_git_holds_its_lock_is_committed_by_the_next(tmp_path: Path) -> None:
    with LocalServer() as server:
        server.route("/api", Reply(503))
        server.route("/web", Reply(200))
        work = served_repo(tmp_path, server)
        # The commit hangs in signing, with git holding the lock, until the run is killed.
        marker = tmp_path / "signing"
        signer = tmp_path / "slow-gpg"
        signer.write_text(f"#!/bin/sh\ntouch '{marker}'\nsleep 60\n")
        signer.chmod(0o755)
        run_git(work, "config", "commit.gpgsign", "true")
        run_git(work, "config", "gpg.program", str(signer))
        killed = start_cli(work, 0)
        for _ in range(600):
            if marker.exists() or killed.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), killed.communicate()[1]
        os.killpg(killed.pid, signal.SIGKILL)
        killed.communicate()
        assert (work / ".git" / "index.lock").exists()
        opened = [p.name for p in (work / "incidents").glob("*.md")]
        assert len(opened) == 1
        run_git(work, "config", "--unset", "commit.gpgsign")
        time.sleep(0.1)  # the next run starts a clock tick after the lock was made, as in life

        run = start_cli(work, 5)
        _, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert ".git/index.lock: removed a lock a killed git run left at " in err
    assert f"committing what an earlier run left uncommitted: incidents/{opened[0]}" in err
    assert head_files(work) == ["data/2026-11-23.csv", f"incidents/{opened[0]}"]
    assert day_rows(work) == 4
    assert [p.name for p in (work / "incidents").glob("*.md")] == opened  # no second incident
    assert uncommitted(work) == []
    message = head_message(work)
    assert message.startswith("probe: 1 up, 1 down\n\napi: down (HTTP 503)\n")
    assert f"left uncommitted by an earlier run: incidents/{opened[0]}" in message
    assert SECRET not in run_git(work, "log", "-p", "--format=%B")


# --- what a killed run wrote, and what a person wrote --------------------------------


def test_leftover_rows_and_a_resolution_are_committed_but_a_persons_new_file_is_not(
    tmp_path: Path,
) -> None:
    work = make_repo(tmp_path)
    probe_run(work, 0, "down")
    probe_run(work, 5, "down")  # opens the incident, committed
    [incident] = (work / "incidents").glob("*-api-*.md")
    config = load_config(work / "status.yml")
    note = incidents.new(config, "Planned database move", ["api"], now=T0)
    (work / "README.md").write_text("half-written notes\n")
    probe_run(work, 10, commit=False)
    probe_run(work, 15, commit=False)  # resolves it; this run is killed before its commit
    probe_run(work, 20)
    assert head_files(work) == ["data/2026-11-23.csv", f"incidents/{incident.name}"]
    assert day_rows(work) == 10
    committed = run_git(work, "show", f"HEAD:incidents/{incident.name}")
    assert "status: resolved" in committed and "resolved: 2026-11-23T10:10:00Z" in committed
    assert uncommitted(work) == [" M README.md", f"?? incidents/{note.name}"]


def test_a_persons_edit_of_an_incident_is_never_swept_into_a_probe_commit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    work = make_repo(tmp_path)
    probe_run(work, 0, "down")
    probe_run(work, 5, "down")
    [incident] = (work / "incidents").glob("*-api-*.md")
    text = incident.read_text()
    incident.write_text(text.replace("\n## Updates\n", "\nThe disk filled up.\n\n## Updates\n"))
    probe_run(work, 10)
    with caplog.at_level(logging.WARNING, logger="generator.publish"):
        probe_run(work, 15)  # resolves the incident the person is editing
    assert warnings(caplog) == [
        f"incidents/{incident.name}: holds changes that are not the probe's; left for you to commit"
    ]
    assert head_files(work) == ["data/2026-11-23.csv"]
    assert run_git(work, "show", f"HEAD:incidents/{incident.name}") == text.rstrip("\n")
    now = incident.read_text()
    assert "The disk filled up." in now and "status: resolved" in now
    assert uncommitted(work) == [f" M incidents/{incident.name}"]


def test_an_incident_a_killed_run_opened_is_committed_unless_a_person_wrote_in_it(
    tmp_path: Path,
) -> None:
    work = make_repo(tmp_path)
    probe_run(work, 0, "down", commit=False)
    probe_run(work, 5, "down", commit=False)  # opens it; killed before its commit
    [incident] = (work / "incidents").glob("*-api-*.md")
    probe_run(work, 10, "down")
    assert head_files(work) == ["data/2026-11-23.csv", f"incidents/{incident.name}"]

    probe_run(work, 15, commit=False)
    probe_run(work, 20, commit=False)  # resolves it, killed again: both probe edits
    text = incident.read_text()
    second = tmp_path / "second"
    run_git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(second))
    # In another checkout, a person writes the story into an incident the probe opened there.
    probe_run(second, 0, "down", commit=False)
    probe_run(second, 5, "down", commit=False)
    [theirs] = (second / "incidents").glob("*-api-*.md")
    theirs.write_text(theirs.read_text().replace("\n## Updates\n", "\nOur story.\n\n## Updates\n"))
    probe_run(second, 10)
    assert head_files(second) == ["data/2026-11-23.csv"]
    assert uncommitted(second) == [f"?? incidents/{theirs.name}"]

    probe_run(work, 25)
    assert head_files(work) == ["data/2026-11-23.csv", f"incidents/{incident.name}"]
    assert run_git(work, "show", f"HEAD:incidents/{incident.name}") == text.rstrip("\n")
    assert uncommitted(work) == []


def test_a_day_file_a_compaction_removed_is_committed_as_removed(tmp_path: Path) -> None:
    work = make_repo(tmp_path)
    probe_run(work, 0)
    old = work / "data" / "2026-11-22.csv"
    old.write_text("time,monitor,location,status,ms,code,detail\n")
    run_git(work, "add", "data")
    run_git(work, "commit", "-qm", "old day")
    old.unlink()  # as `upwatch compact` does; people never edit data/
    probe_run(work, 5)
    assert head_files(work) == ["data/2026-11-22.csv", "data/2026-11-23.csv"]
    assert uncommitted(work) == []


# --- git errors --------------------------------------------------------------------


def test_a_git_failure_is_one_clean_line_with_secrets_masked(tmp_path: Path) -> None:
    work = make_repo(tmp_path)
    run_git(work, "config", "commit.gpgsign", "true")
    run_git(work, "config", "gpg.program", f"/nonexistent/{SECRET}")
    with pytest.raises(PublishError) as caught:
        probe_run(work, 0)
    assert str(caught.value) == (
        "upwatch: git commit failed: fatal: cannot run /nonexistent/***: No such file or "
        "directory / error: gpg failed to sign the data / fatal: failed to write commit object"
    )
    assert (work / "data" / "2026-11-23.csv").is_file()
