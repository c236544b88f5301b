"""In GitHub Actions every located problem is also a workflow command (issue 10, part 5).

check, build and probe run in-process through the real CLI; the probe's server is a real one
on 127.0.0.1. The probe's summary table goes to $GITHUB_STEP_SUMMARY.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from localserver import LocalServer, Reply

from generator.cli import main
from generator.errors import annotation, escape_data, escape_property

NOW = "2026-11-28T00:00:00Z"
BAD = "2026-11-20-bad.md"
RETIRED = "2026-11-21-old.md"
CI = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": None}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One monitor; an incident with an unknown key, one naming a retired monitor."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "status.yml").write_text(
        "site: {title: CI}\nmonitors:\n  - id: api\n    url: http://127.0.0.1:9/\n",
        encoding="utf-8",
    )
    folder = tmp_path / "incidents"
    folder.mkdir()
    front = "---\ntitle: T\nstarted: 2026-11-20T10:00:00Z\n"
    (folder / BAD).write_text(front + "foo: 1\n---\n", encoding="utf-8")
    (folder / RETIRED).write_text(front + "monitors: [billing]\n---\n", encoding="utf-8")
    return tmp_path


def cli(*args: str, env: dict[str, str | None]) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output.splitlines()


def commands(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("::")]


WARN = (
    f"::warning file=incidents/{RETIRED},line=4::monitors: 'billing' is not in status.yml"
    " (retired?); shown by its id without a link"
)


def test_check_annotates_its_errors_and_warnings(repo: Path) -> None:
    code, lines = cli("check", "--config", "status.yml", env=CI)
    assert code == 1
    assert commands(lines) == [WARN, f"::error file=incidents/{BAD},line=4::foo: unknown key"]
    assert f"incidents/{BAD}:4: foo: unknown key" in lines  # the plain line stays


def test_outside_github_actions_nothing_is_annotated(repo: Path) -> None:
    code, lines = cli("check", "--config", "status.yml", env={"GITHUB_ACTIONS": None})
    assert code == 1
    assert commands(lines) == []


def test_build_annotates_its_errors(repo: Path) -> None:
    code, lines = cli("build", "--config", "status.yml", "--now", NOW, env=CI)
    assert code == 1
    assert f"::error file=incidents/{BAD},line=4::foo: unknown key" in commands(lines)


def test_check_annotates_an_unset_environment_variable(repo: Path) -> None:
    (repo / "status.yml").write_text(
        "site: {title: CI}\nmonitors:\n  - id: api\n    url: 'http://127.0.0.1:9/${UPWATCH_T_X}'\n",
        encoding="utf-8",
    )
    (repo / "incidents" / BAD).unlink()
    code, lines = cli("check", "--config", "status.yml", env={**CI, "UPWATCH_T_X": None})
    assert code == 0
    assert commands(lines) == [
        "::warning file=status.yml,line=4::monitors[0] (api).url: environment variable"
        " UPWATCH_T_X is not set here; the probe needs it",
        WARN,
    ]


def test_the_probe_annotates_and_writes_its_table_to_the_job_summary(repo: Path) -> None:
    summary = repo / "summary.md"
    with LocalServer() as server:
        server.route("/", Reply(200, body=b"nope"))
        (repo / "status.yml").write_text(
            "site: {title: CI}\nmonitors:\n"
            f"  - id: api\n    url: {server.url('/')}\n    expect: {{contains: 'a|*b*'}}\n",
            encoding="utf-8",
        )
        env = {**CI, "GITHUB_STEP_SUMMARY": str(summary)}
        code, lines = cli("probe", "--config", "status.yml", "--now", NOW, env=env)
    assert code == 0
    assert f"::warning file=incidents/{BAD},line=4::foo: unknown key" in commands(lines)
    table = summary.read_text("utf-8").splitlines()
    assert table[:4] == [
        "## upwatch probe",
        "",
        "| monitor | status | ms | detail |",
        "| --- | --- | ---: | --- |",
    ]
    cells = table[4].split(" | ")
    assert cells[0] == "| api" and cells[1] == "down" and cells[2].isdigit()
    assert "a\\|\\*b\\*" in cells[3]  # the endpoint's words cannot end the cell or style it
    assert table[-1] == "1 monitor: 0 up, 0 degraded, 1 down"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("a.md:3: 50% done\r\nnext", "::error file=a.md,line=3::50%25 done%0D%0Anext"),
        ("my dir/a,b.md:7: warning: x", "::error file=my dir/a%2Cb.md,line=7::x"),
        ("no file here", None),
        ("a.md: no line", None),
    ],
)
def test_annotation_of_a_located_text(text: str, want: str | None) -> None:
    assert annotation("error", text) == want


def test_a_path_alone_or_no_path_is_annotated_when_every_line_is_a_problem() -> None:
    assert (
        annotation("error", "a.md: bad name", located_only=False) == "::error file=a.md::bad name"
    )
    assert annotation("error", "upwatch: push refused", located_only=False) == (
        "::error::push refused"
    )


def test_escapes_are_those_the_runner_reads_back() -> None:
    assert escape_data("100%\r\n:,") == "100%25%0D%0A:,"
    assert escape_property("C:\\a,b\n%") == "C%3A\\a%2Cb%0A%25"
