"""Hints for the mistakes a person makes editing an incident file by hand (issue 10, part 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import utc

from generator.cli import main
from generator.config.read import load_config
from generator.errors import ConfigError
from generator.incidents import parse
from generator.incidents.validate import read_all

CONFIG = "site: {title: Hints}\nmonitors:\n  - id: api\n    url: http://127.0.0.1:9/\n"
NAME = "2026-06-19-x.md"
NOW = utc("2026-06-19T18:00:00Z")


def incident(front: str = "", body: str = "") -> str:
    return f"---\ntitle: API\nmonitors: [api]\nstarted: 2026-06-19T15:57:00Z\n{front}---\n{body}"


def errors(text: str) -> list[str]:
    return [str(p) for p in read_all(text, Path(NAME), ["api"], NAME, NOW)[1]]


def warnings(text: str, now: datetime = NOW) -> list[str]:
    return [str(p) for p in read_all(text, Path(NAME), ["api"], NAME, now)[2]]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with one monitor and an empty incidents/ folder, as the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "status.yml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "incidents").mkdir()
    return tmp_path


def check(repo: Path, text: str, name: str = NAME) -> tuple[int, list[str]]:
    """Write one incident file and run `upwatch check`: its exit code and its output lines."""
    (repo / "incidents" / name).write_text(text, encoding="utf-8")
    before = (repo / "incidents" / name).read_bytes()
    result = CliRunner().invoke(main, ["check", "--config", "status.yml"])
    assert (repo / "incidents" / name).read_bytes() == before  # check never rewrites a file
    lines = result.output.splitlines()
    if result.exit_code == 0:  # the closing count's wording is the check command's own
        assert lines[-1].startswith("status.yml: 1 monitor and 1 incident")
        lines = lines[:-1]
    return result.exit_code, lines


# --- 1. headings that nearly are the timeline -------------------------------------------


@pytest.mark.parametrize("heading", ["## Update", "## update", "## UPDATE ##", "##  Update  "])
def test_a_singular_update_heading_asks_for_updates(heading: str) -> None:
    text = incident(body=f"\nStory.\n\n{heading}\n\n### 2026-06-19 15:57 UTC — Investigating\n")
    assert errors(text) == [f"{NAME}:9: timeline: '{heading.strip()}': did you mean '## Updates'?"]


def test_an_update_written_as_a_section_heading_is_an_error() -> None:
    text = incident(body="\n## Updates\n\n## 2026-06-19 15:57 UTC — Investigating\n\nHTTP 503\n")
    assert errors(text) == [
        f"{NAME}:9: timeline: '## 2026-06-19 15:57 UTC — Investigating': "
        "updates are '###' headings under '## Updates'"
    ]


def test_headings_inside_a_code_block_and_other_sections_are_story() -> None:
    body = (
        "\n## Updated plan\n\n```\n## Update\n## 2026-06-19 15:57 UTC — x\n```\n\n## Update log\n"
    )
    assert errors(incident(body=body)) == []


def test_check_reports_both_heading_slips_and_exits_1(repo: Path) -> None:
    body = "\n## Update\n\n## 2026-06-19 16:00 UTC — Identified\n"
    assert check(repo, incident(body=body), name=NAME) == (
        1,
        [
            f"incidents/{NAME}:7: timeline: '## Update': did you mean '## Updates'?",
            f"incidents/{NAME}:9: timeline: '## 2026-06-19 16:00 UTC — Identified': "
            "updates are '###' headings under '## Updates'",
        ],
    )


# --- 2. times in the future ----------------------------------------------------------


def test_times_more_than_five_minutes_past_now_are_warnings_with_their_lines() -> None:
    text = (
        "---\ntitle: API\nstatus: resolved\nstarted: 2026-06-19T18:05:00Z\n"
        "resolved: 2026-06-19T18:05:01Z\n---\n\n## Updates\n\n"
        "### 2026-06-19 18:05 UTC — Investigating\n\n### 2026-06-19 19:00 UTC — Resolved\n"
    )
    assert errors(text) == []
    # started, exactly five minutes ahead, is a clock a little fast rather than a mistake.
    assert warnings(text) == [
        f"{NAME}:5: warning: resolved: 2026-06-19T18:05:01Z is in the future (now is 2026-06-19T18:00:00Z)",
        f"{NAME}:12: warning: timeline: 2026-06-19T19:00:00Z is in the future (now is 2026-06-19T18:00:00Z)",
    ]
    assert warnings(text, NOW + timedelta(hours=1)) == []


def test_a_future_start_is_a_warning_and_the_file_still_reads() -> None:
    text = incident().replace("2026-06-19T15:57", "2027-06-19T15:57")
    assert warnings(text) == [
        f"{NAME}:4: warning: started: 2027-06-19T15:57:00Z is in the future (now is 2026-06-19T18:00:00Z)"
    ]
    assert parse(text, Path(NAME)).started == utc("2027-06-19T15:57:00Z")


def test_check_logs_a_future_time_as_a_warning_and_exits_0(repo: Path) -> None:
    later = (datetime.now(UTC) + timedelta(days=400)).replace(microsecond=0)
    stamp = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"---\ntitle: API\nmonitors: [api]\nstarted: {stamp}\n---\n"
    code, lines = check(repo, text)
    assert code == 0
    assert len(lines) == 1
    assert lines[0].startswith(
        f"incidents/{NAME}:4: warning: started: {stamp} is in the future (now is "
    )


def test_check_is_silent_for_times_in_the_past(repo: Path) -> None:
    assert check(repo, incident()) == (0, [])


# --- 3. states, severities and types in any case ------------------------------------------


def test_front_matter_choices_are_read_in_any_case() -> None:
    text = incident("status: Identified\nseverity: CRITICAL\ntype: Incident\n")
    found = parse(text, Path(NAME))
    assert (found.status, found.severity, found.type) == ("identified", "critical", "incident")


def test_an_unknown_choice_is_still_named_as_written() -> None:
    assert errors(incident("status: Fixed\n")) == [
        f"{NAME}:5: status: must be one of investigating, identified, monitoring, resolved, not 'Fixed'"
    ]


def test_check_accepts_a_capitalised_status_and_leaves_the_file(repo: Path) -> None:
    assert check(repo, incident("status: Identified\n")) == (0, [])


# --- 4. tabs and colons in YAML ------------------------------------------------------------


def test_a_tab_in_front_matter_keeps_line_and_column_and_says_use_spaces(repo: Path) -> None:
    assert check(repo, incident("severity:\tminor\n")) == (
        1,
        [
            f"incidents/{NAME}:5: column 10: YAML syntax error: "
            "found character '\\t' that cannot start any token (use spaces, not tabs)"
        ],
    )


def test_an_unquoted_colon_in_a_title_says_how_to_quote_it(repo: Path) -> None:
    text = "---\ntitle: API: slow\nstarted: 2026-06-19T15:57:00Z\n---\n"
    assert check(repo, text) == (
        1,
        [
            f"incidents/{NAME}:2: column 11: YAML syntax error: mapping values are not allowed "
            """here (quote a title that contains ': ', such as title: "API: slow")"""
        ],
    )


def test_the_quoted_title_the_hint_suggests_reads(repo: Path) -> None:
    text = '---\ntitle: "API: slow"\nstarted: 2026-06-19T15:57:00Z\n---\n'
    assert parse(text, Path(NAME)).title == "API: slow"


def config_problems(folder: Path, text: str) -> list[str]:
    (folder / "status.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(folder / "status.yml")
    return raised.value.format_message().splitlines()


def test_a_tab_in_status_yml_says_use_spaces(repo: Path) -> None:
    assert config_problems(repo, "site:\n\ttitle: T\n") == [
        "status.yml:2: column 1: YAML syntax error: "
        "found character '\\t' that cannot start any token (use spaces, not tabs)"
    ]


def test_an_unquoted_colon_in_status_yml_names_its_own_key(repo: Path) -> None:
    text = "site: {title: T}\nmonitors:\n  - id: api\n    name: Billing: EU\n    url: http://127.0.0.1:9/\n"
    assert config_problems(repo, text) == [
        "status.yml:4: column 18: YAML syntax error: mapping values are not allowed here "
        """(quote a name that contains ': ', such as name: "Billing: EU")"""
    ]


def test_other_yaml_errors_get_no_hint(repo: Path) -> None:
    assert config_problems(repo, "site:\n  title: [a\nmonitors: []\n") == [
        "status.yml:3: column 9: YAML syntax error: expected ',' or ']', but got ':'"
    ]
    assert config_problems(repo, "site:\n  title: T\n    oops: x\n") == [
        "status.yml:3: column 9: YAML syntax error: mapping values are not allowed here"
    ]
    assert config_problems(repo, 'site:\n  title: "T": x\n') == [
        "status.yml:2: column 13: YAML syntax error: mapping values are not allowed here"
    ]
