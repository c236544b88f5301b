"""`upwatch check` names each `${NAME}` this environment does not set (issue 10, part 5).

A warning, not an error: check runs where the secrets are not (a laptop, a pull request);
the probe still refuses to run without them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

CONFIG = """\
site: {title: Env}
monitors:
  - id: api
    url: http://127.0.0.1:9/
  - id: sec
    url: "http://127.0.0.1:9/${UPWATCH_T_PATH}"
    headers:
      Authorization: "Bearer ${UPWATCH_T_TOKEN}"
      X-Again: "${UPWATCH_T_TOKEN}"
    body: "${UPWATCH_T_TOKEN}${UPWATCH_T_TOKEN}"
"""
# Unset here, and output as outside GitHub Actions (test_annotations has CI's).
UNSET = {"UPWATCH_T_PATH": None, "UPWATCH_T_TOKEN": None, "GITHUB_ACTIONS": None}
NEEDS = "is not set here; the probe needs it"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "status.yml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "incidents").mkdir()
    return tmp_path


def cli(*args: str, env: dict[str, str | None]) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, list(args), env={"GITHUB_STEP_SUMMARY": None, **env})
    return result.exit_code, result.output.splitlines()


def test_each_unset_name_is_a_located_warning_and_check_still_passes(repo: Path) -> None:
    code, lines = cli("check", "--config", "status.yml", env=UNSET)
    assert code == 0
    assert lines == [
        f"status.yml:6: monitors[1] (sec).url: environment variable UPWATCH_T_PATH {NEEDS}",
        "status.yml:8: monitors[1] (sec).headers.Authorization: environment variable"
        f" UPWATCH_T_TOKEN {NEEDS}",
        f"status.yml:9: monitors[1] (sec).headers.X-Again: environment variable UPWATCH_T_TOKEN {NEEDS}",
        f"status.yml:10: monitors[1] (sec).body: environment variable UPWATCH_T_TOKEN {NEEDS}",
        "status.yml: 2 monitors and 0 incident files are valid",
    ]


def test_a_set_name_is_not_named(repo: Path) -> None:
    env = {**UNSET, "UPWATCH_T_PATH": "a-long-enough-path"}
    code, lines = cli("check", "--config", "status.yml", env=env)
    assert code == 0
    assert not [line for line in lines if "UPWATCH_T_PATH" in line]
    assert len([line for line in lines if "UPWATCH_T_TOKEN" in line]) == 3


def test_the_warnings_leave_an_error_exit_as_it_was(repo: Path) -> None:
    (repo / "incidents" / "2026-06-19-x.md").write_text("no front matter\n", encoding="utf-8")
    code, lines = cli("check", "--config", "status.yml", env=UNSET)
    assert code == 1
    assert len([line for line in lines if NEEDS in line]) == 4
    assert lines[-1].startswith("incidents/2026-06-19-x.md:1: missing front matter")


def test_the_probe_still_refuses_to_run_without_them(repo: Path) -> None:
    code, lines = cli("probe", "--config", "status.yml", env=UNSET)
    assert code == 1
    assert (
        "status.yml:6: monitors[1] (sec).url: environment variable UPWATCH_T_PATH is not set"
        in lines
    )
    assert not (repo / "data").exists()
