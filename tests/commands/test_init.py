"""`upwatch init` and the example marker: a repository made from the template probes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import clone, git_remote, run_git
from localserver import LocalServer, Reply

from generator.cli import main
from generator.commands.init import EXAMPLE_LINE, EXAMPLE_MARKER, monitors_for
from generator.config.read import load_config

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = (ROOT / "status.yml").read_text(encoding="utf-8")
NOW = "2026-11-23T10:00:00Z"


def upwatch(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_the_shipped_example_carries_the_marker_on_its_first_line() -> None:
    assert EXAMPLE.splitlines()[0] == EXAMPLE_LINE


def test_init_writes_one_monitor_per_url_that_check_accepts(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    urls = ["https://www.example.org/", "http://example.org:8080/health", "https://api.a.test/x"]
    result = upwatch("init", "--config", str(config), "--title", 'Acme: "core"', *urls)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"wrote {config} with 3 monitors"
    assert "Settings -> Pages -> Source: GitHub Actions" in result.output
    assert "enable workflows" in result.output and "run the probe workflow once" in result.output
    text = config.read_text(encoding="utf-8")
    assert EXAMPLE_MARKER not in text
    loaded = load_config(config)
    assert loaded.site.title == 'Acme: "core"'
    assert [(m.id, m.name, m.url) for m in loaded.monitors] == [
        ("example-org", "www.example.org", urls[0]),
        ("example-org-2", "example.org", urls[1]),
        ("api-a-test", "api.a.test", urls[2]),
    ]
    for folder in ("data", "incidents"):
        assert [p.name for p in (tmp_path / folder).iterdir()] == [".gitkeep"]
    checked = upwatch("check", "--config", str(config))
    assert checked.exit_code == 0, checked.output


def test_init_without_urls_writes_a_commented_skeleton(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    assert upwatch("init", "--config", str(config)).exit_code == 0
    text = config.read_text(encoding="utf-8")
    assert "# monitors:" in text and "#   - id: website" in text
    assert load_config(config).monitors == ()
    assert upwatch("check", "--config", str(config)).exit_code == 0


def test_init_replaces_the_shipped_example_without_force(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    config.write_text(EXAMPLE, encoding="utf-8")
    result = upwatch("init", "--config", str(config), "http://127.0.0.1:9/")
    assert result.exit_code == 0, result.output
    assert [m.id for m in load_config(config).monitors] == ["127-0-0-1"]


def test_init_refuses_an_edited_config_unless_forced(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    edited = "site:\n  title: Mine\nmonitors: []\n"
    config.write_text(edited, encoding="utf-8")
    result = upwatch("init", "--config", str(config), "https://a.test/")
    assert (result.exit_code, result.output) == (
        1,
        f"{config}:1: already exists and is not the example; use --force\n",
    )
    assert config.read_text(encoding="utf-8") == edited
    forced = upwatch("init", "--config", str(config), "--force", "https://a.test/")
    assert forced.exit_code == 0, forced.output
    assert [m.id for m in load_config(config).monitors] == ["a-test"]


def test_init_keeps_what_data_and_incidents_hold(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "2026-11-23.csv").write_text("kept\n", encoding="utf-8")
    config = tmp_path / "status.yml"
    result = upwatch("init", "--config", str(config), "https://a.test/")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == (
        f"note: {tmp_path / 'data'}/ already holds 1 entry (kept); delete any not yours"
    )
    assert (tmp_path / "data" / "2026-11-23.csv").read_text(encoding="utf-8") == "kept\n"
    assert [p.name for p in (tmp_path / "incidents").iterdir()] == [".gitkeep"]


@pytest.mark.parametrize(
    "url", ["ftp://a.test/", "example.org", "https://", "http://a.test:99999/", "http://a b/"]
)
def test_a_bad_url_is_a_usage_error_naming_it(tmp_path: Path, url: str) -> None:
    config = tmp_path / "status.yml"
    result = upwatch("init", "--config", str(config), url)
    assert result.exit_code == 2
    assert f"Error: {url!r} is not an http:// or https:// URL with a host" in result.output
    assert not config.exists()


def test_ids_come_from_the_host_and_stay_unique() -> None:
    urls = ["https://a.test/", "https://a.test/b", "https://A.TEST/c", "http://[::1]:8/"]
    assert [m.id for m in monitors_for(urls)] == ["a-test", "a-test-2", "a-test-3", "1"]


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_template_fresh_clone_records_nothing_until_init(tmp_path: Path) -> None:
    remote = git_remote(tmp_path, EXAMPLE)
    work = clone(remote, "work")
    config = str(work / "status.yml")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}

    skipped = upwatch("probe", "--config", config, "--now", NOW, "--commit", "--push", env=env)
    assert skipped.exit_code == 0, skipped.output
    first = skipped.output.splitlines()[0]
    assert first.startswith(f"{config}:1: this is still the shipped example configuration")
    assert "nothing was probed, recorded or committed" in first
    assert 'Run "upwatch init URL ..."' in skipped.output
    assert "nothing was probed, recorded or committed" in summary.read_text(encoding="utf-8")
    assert output.read_text(encoding="utf-8") == "example=true\n"
    assert files_in(work / "data") == files_in(work / "incidents") == [".gitkeep"]
    assert run_git(remote, "rev-list", "--count", "main") == "1"
    assert run_git(work, "status", "--porcelain") == ""

    with LocalServer() as server:
        server.route("/health", Reply())
        assert upwatch("init", "--config", config, server.url("/health")).exit_code == 0
        run_git(work, "commit", "-q", "-am", "init")
        ran = upwatch("probe", "--config", config, "--now", NOW, "--commit", "--push", env=env)
        assert ran.exit_code == 0, ran.output
        assert server.hits("/health") >= 1
    assert files_in(work / "data") == [".gitkeep", "2026-11-23.csv"]
    rows = (work / "data" / "2026-11-23.csv").read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[1:4] for r in rows[1:]] == [["127-0-0-1", "default", "up"]]
    assert run_git(remote, "rev-list", "--count", "main") == "3"  # start, init, the probe
    assert output.read_text(encoding="utf-8") == "example=true\n"  # nothing added this time


def test_a_local_run_on_the_example_probes_and_warns_once(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    with LocalServer() as server:
        server.route("/", Reply())
        config.write_text(
            f"{EXAMPLE_LINE}\nsite:\n  title: T\nmonitors:\n"
            f"  - id: api\n    url: {server.url('/')}\n",
            encoding="utf-8",
        )
        result = CliRunner().invoke(main, ["probe", "--config", str(config), "--now", NOW])
        assert result.exit_code == 0, result.output
        assert server.hits("/") >= 1
    warning = f"{config}:1: this is still the example configuration; probing anyway"
    assert result.output.count(warning) == 1
    assert (tmp_path / "data" / "2026-11-23.csv").exists()
