"""The command line itself: help, verbosity flags, exit codes and clean error lines."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.cli import Upwatch, _load, main

COMMANDS = ("probe", "build", "check", "incident", "compact", "serve", "demo")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_help_lists_every_command() -> None:
    code, out = run("--help")
    assert code == 0
    for name in COMMANDS:
        assert f"  {name} " in out


def test_incident_new_is_listed() -> None:
    code, out = run("incident", "--help")
    assert code == 0
    assert "new" in out


@pytest.mark.parametrize(
    "flags", [("-q", "check"), ("check", "-q"), ("-v", "check"), ("check", "-v")]
)
def test_verbosity_flags_stand_before_or_after_the_command(
    tmp_path: Path, flags: tuple[str, str]
) -> None:
    config = tmp_path / "status.yml"
    config.write_text("site:\n  title: T\nmonitors: []\n")
    code, out = run(*flags, "--config", str(config))
    assert code == 0, out


def test_bad_now_is_bad_usage(tmp_path: Path) -> None:
    code, out = run("build", "--now", "yesterday")
    assert code == 2
    assert "'yesterday' is not an ISO 8601 time" in out


def test_naive_now_is_bad_usage() -> None:
    code, out = run("build", "--now", "2026-11-23T10:00:00")
    assert code == 2
    assert "has no time zone" in out


def test_config_errors_print_lines_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    config.write_text("site:\n  titel: T\nmonitors:\n  - id: Bad\n    url: http://127.0.0.1:1/\n")
    code, out = run("check", "--config", str(config))
    assert code == 1
    assert "Traceback" not in out
    lines = out.strip().splitlines()
    assert lines == [
        f"{config}:2: site.titel: unknown key (did you mean 'title'?)",
        f"{config}:2: site.title: is required",
        f"{config}:4: monitors[0].id: 'Bad' is not a valid id (lower-case letters, digits and '-', starting with a letter or digit)",
    ]


def test_missing_config_names_the_file(tmp_path: Path) -> None:
    code, out = run("build", "--config", str(tmp_path / "nope.yml"))
    assert code == 1
    assert out.strip() == f"{tmp_path / 'nope.yml'}: no such file (create it, or pass --config)"


def test_compact_refuses_keep_days_below_two(tmp_path: Path) -> None:
    code, out = run("compact", "--keep-days", "1")
    assert code == 2
    assert "1 is not in the range x>=2" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("site:\n  title: \x1f\nmonitors: []\n", "2: character '\\x1f' is not allowed in YAML"),
        (
            "site:\n  title: T\n  timezone: 2026-02-30\nmonitors: []\n",
            "3: site.timezone: unknown time zone '2026-02-30' (use a name such as UTC or Europe/Berlin)",
        ),
        (
            "site:\n  title: [a\nmonitors: []\n",
            "3: column 9: YAML syntax error: expected ',' or ']', but got ':'",
        ),
    ],
)
def test_unreadable_yaml_is_a_clean_error(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "status.yml"
    config.write_text(text)
    code, out = run("check", "--config", str(config))
    assert code == 1
    assert out.strip() == f"{config}:{message}"


@pytest.mark.parametrize(("flags", "lines"), [((), 2), (("-q",), 1)])
def test_probe_prints_a_table_or_with_q_only_the_totals(
    tmp_path: Path, flags: tuple[str, ...], lines: int
) -> None:
    config = tmp_path / "status.yml"
    config.write_text(
        "site:\n  title: T\nmonitors:\n  - id: db\n    type: tcp\n    host: 127.0.0.1\n    port: 9\n"
        "    timeout: 1\n    retries: 0\n"
    )
    code, out = run(*flags, "probe", "--config", str(config), "--now", "2026-11-23T10:00:00Z")
    assert code == 0, out
    assert len(out.strip().splitlines()) == lines
    assert out.strip().splitlines()[-1] == "1 monitor: 0 up, 0 degraded, 1 down"


def test_only_with_no_id_is_bad_usage(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    config.write_text("site:\n  title: T\nmonitors: []\n")
    code, out = run("probe", "--config", str(config), "--only", ",")
    assert code == 2
    assert "Invalid value for '--only': names no monitor id" in out
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("probe", "--shard", "3/2"), "Error: Invalid value for '--shard': '3/2' is not K/N"),
        (("probe", "--only", "nope"), "Error: Invalid value for '--only': no monitor 'nope'"),
        (
            ("incident", "new", "Down", "--start", "2026-12-01T02:00:00Z"),
            "Error: --start and --end go with --maintenance",
        ),
        (
            ("incident", "new", "Down", "--maintenance"),
            "Error: --maintenance needs --start and --end",
        ),
    ],
)
def test_stage_usage_errors_are_click_usage_errors(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    config = tmp_path / "status.yml"
    config.write_text(
        "site:\n  title: T\nmonitors:\n  - id: db\n    type: tcp\n    host: 127.0.0.1\n    port: 9\n"
    )
    code, out = run(*args, "--config", str(config))
    assert code == 2
    assert out.startswith(f"Usage: main {args[0]}"), out  # CliRunner names the program "main"
    assert message in out
    assert not (tmp_path / "data").exists() and not (tmp_path / "incidents").exists()


def disk_group(config: Path, error: OSError) -> click.Group:
    """An upwatch-style group whose one command loads a config, then meets this error."""

    @click.group(cls=Upwatch)
    def group() -> None:
        """A test group."""

    @group.command()
    def write() -> None:
        _load(config)
        raise error

    return group


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (errno.ENOSPC, "no space left on device"),
        (errno.EDQUOT, "disk quota exceeded"),
        (errno.EFBIG, "file too large"),
    ],
)
def test_a_full_disk_is_one_line_with_secrets_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: int, reason: str
) -> None:
    config = tmp_path / "status.yml"
    config.write_text(
        "site: {title: T}\nmonitors:\n  - id: api\n    url: https://example.invalid/${TOKEN}\n"
    )
    monkeypatch.setenv("TOKEN", "s3cr3t-value")
    error = OSError(number, os.strerror(number), "/var/s3cr3t-value/2026-12-01.csv")
    result = CliRunner().invoke(disk_group(config, error), ["write"])
    assert (result.exit_code, result.output) == (
        1,
        f"upwatch: {reason} while writing /var/***/2026-12-01.csv\n",
    )


def test_other_os_errors_are_not_taken_for_a_full_disk(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    config.write_text("site: {title: T}\nmonitors: []\n")
    error = OSError(errno.EACCES, "Permission denied", "x")
    result = CliRunner().invoke(disk_group(config, error), ["write"])
    assert result.exit_code == 1
    assert result.exception is error
