"""status.yml: loading, defaults, and the exact `path:line: key: message` of every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.config.read import Defaults, Expect, load_config, resolve_secrets
from generator.errors import ConfigError

GOOD = """\
site:
  title: Acme Status
  timezone: Europe/Berlin
defaults:
  timeout: 5
  retries: 2
  degraded_ms: 800
monitors:
  - id: api
    name: Public API
    group: Core
    url: https://api.example.com/health
    headers: {Authorization: "Bearer ${API_TOKEN}"}
    expect:
      status: [200, "3xx"]
      contains: '"ok"'
      json: {status: UP, "checks.db": UP}
  - id: slow-one
    url: http://example.com/
    timeout: 30
    retries: 0
  - id: db
    host: db.example.com
    port: 5432
"""

EVERYTHING_WRONG = """\
site:
  titel: Acme
  timezone: Mars/Base
defaults:
  timeout: fast
  retries: -1
  concurency: 10
monitors:
  - id: api
    url: https://api.example.com/health
    expect:
      status: [200, "2xx", 999, "6xx"]
      contians: ok
    verify_tls: "yes"
  - id: api
    url: https://api.example.com/other
  - id: Bad_ID
    url: ftp://example.com
  - id: db
    type: tcp
    host: db.example.com
    port: 99999
    url: http://x
  - name: no id
    url: http://example.com
  - id: web
    urll: http://example.com
    headers: {X-A: [1, 2]}
    max_redirects: many
"""

EVERY_PROBLEM = [
    "status.yml:2: site.titel: unknown key (did you mean 'title'?)",
    "status.yml:2: site.title: is required",
    "status.yml:3: site.timezone: unknown time zone 'Mars/Base' (use a name such as UTC or Europe/Berlin)",
    "status.yml:5: defaults.timeout: must be a number of seconds, not text",
    "status.yml:6: defaults.retries: must be from 0 to 10, not -1",
    "status.yml:7: defaults.concurency: unknown key (did you mean 'concurrency'?)",
    "status.yml:12: monitors[0] (api).expect.status: 999 is not a status code (100-599) or range like '2xx'",
    "status.yml:12: monitors[0] (api).expect.status: '6xx' is not a status code (100-599) or range like '2xx'",
    "status.yml:13: monitors[0] (api).expect.contians: unknown key (did you mean 'contains'?)",
    "status.yml:14: monitors[0] (api).verify_tls: must be true or false, not text",
    "status.yml:15: monitors[1].id: duplicate id 'api' (first used on line 9)",
    "status.yml:17: monitors[2].id: 'Bad_ID' is not a valid id (lower-case letters, digits and '-', starting with a letter or digit)",
    "status.yml:18: monitors[2].url: must start with http:// or https:// and name a host, not 'ftp://example.com'",
    "status.yml:22: monitors[3] (db).port: must be from 1 to 65535, not 99999",
    "status.yml:23: monitors[3] (db).url: belongs to http monitors (tcp monitors take host and port)",
    "status.yml:24: monitors[4].id: is required",
    "status.yml:26: monitors[5] (web).url: is required for an http monitor",
    "status.yml:27: monitors[5] (web).urll: unknown key (did you mean 'url'?)",
    "status.yml:28: monitors[5] (web).headers.X-A: must be text, not a list",
    "status.yml:29: monitors[5] (web).max_redirects: must be a whole number, not text",
]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder that is also the working directory, so paths show as `status.yml`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems(folder: Path, text: str) -> list[str]:
    (folder / "status.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(folder / "status.yml")
    return raised.value.format_message().splitlines()


# --- a good config ------------------------------------------------------------------------


def test_defaults_merge_into_each_monitor_and_monitors_override(folder: Path) -> None:
    (folder / "status.yml").write_text(GOOD)
    config = load_config(folder / "status.yml")
    api, slow, db = config.monitors
    assert (api.timeout, api.retries, api.degraded_ms) == (5.0, 2, 800)
    assert (slow.timeout, slow.retries, slow.degraded_ms) == (30.0, 0, 800)
    assert (api.name, api.group, slow.name) == ("Public API", "Core", "slow-one")
    assert api.expect == Expect(
        status=(200, "3xx"), contains='"ok"', json=(("status", "UP"), ("checks.db", "UP"))
    )
    assert slow.expect == Expect()
    assert (db.type, db.host, db.port) == ("tcp", "db.example.com", 5432)
    assert config.defaults == Defaults(timeout=5.0, retries=2, degraded_ms=800)
    assert config.site.timezone == "Europe/Berlin"


def test_paths_are_resolved_from_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "status.yml").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("repo/status.yml"))
    assert config.data_dir == tmp_path / "repo" / "data"
    assert config.incidents_dir == tmp_path / "repo" / "incidents"


def test_secrets_stay_placeholders_until_probe_time(folder: Path) -> None:
    (folder / "status.yml").write_text(GOOD)
    config = load_config(folder / "status.yml")
    assert dict(config.monitors[0].headers) == {"Authorization": "Bearer ${API_TOKEN}"}
    resolved, masker = resolve_secrets(config.monitors, config.path, {"API_TOKEN": "t0k3n-42"})
    assert dict(resolved[0].headers) == {"Authorization": "Bearer t0k3n-42"}
    assert masker("sent Bearer t0k3n-42") == "sent Bearer ***"
    assert config.monitors[0].target == "https://api.example.com/health"


# --- every mistake, exactly ------------------------------------------------------------------


def test_every_problem_is_reported_at_once(folder: Path) -> None:
    assert problems(folder, EVERYTHING_WRONG) == EVERY_PROBLEM


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sites:\n  title: T\nmonitors: []\n",
            [
                "status.yml:1: sites: unknown key (did you mean 'site'?)",
                "status.yml:1: site.title: is required",
            ],
        ),
        (
            "site:\n  title: T\nmonitors:\n  - id: a\n    url: http://a/\n    retries: 1.5\n",
            ["status.yml:6: monitors[0] (a).retries: must be a whole number, not 1.5"],
        ),
        (
            "site:\n  title: T\nmonitors:\n  - id: a\n    url: http://a/\n    expect: [200]\n",
            ["status.yml:6: monitors[0] (a).expect: must be a mapping, not a list"],
        ),
        (
            "site:\n  title: T\nmonitors:\n  - id: a\n    url: http://a/\n    severity: huge\n",
            [
                "status.yml:6: monitors[0] (a).severity: must be one of minor, major, critical, not 'huge'"
            ],
        ),
        (
            "site:\n  title: T\nmonitors: {api: http://a/}\n",
            ["status.yml:3: monitors: must be a list, not a mapping"],
        ),
        (
            "site:\n  title: T\nmonitors:\n  - just-a-url\n",
            [
                "status.yml:4: monitors[0]: must be a mapping with at least id and url (or host and port), not text"
            ],
        ),
        (
            "site:\n  title: T\nmonitors:\n  - {id: db, type: tcp, host: db}\n",
            ["status.yml:4: monitors[0] (db).port: is required for a tcp monitor"],
        ),
    ],
)
def test_one_mistake_one_line(folder: Path, text: str, expected: list[str]) -> None:
    assert problems(folder, text) == expected


def test_duplicate_ids_name_the_first_line(folder: Path) -> None:
    text = "site: {title: T}\nmonitors:\n  - {id: a, url: 'http://a/'}\n  - {id: b, url: 'http://b/'}\n  - {id: a, url: 'http://c/'}\n"
    assert problems(folder, text) == [
        "status.yml:5: monitors[2].id: duplicate id 'a' (first used on line 3)"
    ]


@pytest.mark.parametrize("bad", ["API", "-api", "api_v2", "api v2", "ä"])
def test_bad_ids(folder: Path, bad: str) -> None:
    text = f"site: {{title: T}}\nmonitors:\n  - id: '{bad}'\n    url: http://a/\n"
    assert problems(folder, text) == [
        f"status.yml:3: monitors[0].id: {bad!r} is not a valid id (lower-case letters, digits and '-', starting with a letter or digit)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "site:\n  title: T\nmonitors:\n  - id: a\n    url: 'http://x\n",
            "status.yml:6: column 1: YAML syntax error: found unexpected end of stream",
        ),
        (
            "site:\n  title: [a\nmonitors: []\n",
            "status.yml:3: column 9: YAML syntax error: expected ',' or ']', but got ':'",
        ),
        (
            "site:\n\ttitle: T\n",
            "status.yml:2: column 1: YAML syntax error: found character '\\t' that cannot start any token (use spaces, not tabs)",
        ),
    ],
)
def test_yaml_syntax_errors_give_line_and_column(folder: Path, text: str, expected: str) -> None:
    assert problems(folder, text) == [expected]


def test_a_secret_in_a_bad_url_is_masked(folder: Path) -> None:
    text = "site: {title: T}\nmonitors:\n  - id: a\n    url: 'ftp://${TOKEN}@host/'\n"
    assert problems(folder, text) == [
        "status.yml:4: monitors[0] (a).url: must start with http:// or https:// and name a host, not 'ftp://***@host/'"
    ]


def test_missing_environment_variables_are_named(folder: Path) -> None:
    (folder / "status.yml").write_text(
        "site: {title: T}\nmonitors:\n"
        "  - {id: a, url: 'http://h/${TOK}', headers: {Authorization: 'Bearer ${OTHER}'}}\n"
    )
    config = load_config(folder / "status.yml")
    with pytest.raises(ConfigError) as raised:
        resolve_secrets(config.monitors, config.path, {"UNRELATED": "x"})
    assert raised.value.format_message().splitlines() == [
        "status.yml:3: monitors[0] (a).url: environment variable TOK is not set",
        "status.yml:3: monitors[0] (a).headers.Authorization: environment variable OTHER is not set",
    ]


def test_a_missing_config_file(folder: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(folder / "status.yml")
    assert raised.value.format_message() == "status.yml: no such file (create it, or pass --config)"


# --- through the command line ----------------------------------------------------------------


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_upwatch_check_prints_every_problem_and_exits_1(folder: Path) -> None:
    (folder / "status.yml").write_text(EVERYTHING_WRONG)
    before = listing(folder)
    result = CliRunner().invoke(main, ["check", "--config", "status.yml"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines() == EVERY_PROBLEM
    assert listing(folder) == before


def test_upwatch_probe_with_a_bad_config_writes_nothing(folder: Path) -> None:
    (folder / "status.yml").write_text(EVERYTHING_WRONG)
    result = CliRunner().invoke(main, ["probe", "--config", "status.yml"])
    assert result.exit_code == 1
    assert result.output.splitlines() == EVERY_PROBLEM
    assert listing(folder) == ["status.yml"]


def test_upwatch_probe_names_a_missing_secret_and_writes_nothing(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("API_TOKEN", raising=False)
    (folder / "status.yml").write_text(GOOD)
    result = CliRunner().invoke(main, ["probe", "--config", "status.yml"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "status.yml:13: monitors[0] (api).headers.Authorization: environment variable API_TOKEN is not set"
    ]
    assert listing(folder) == ["status.yml"]


def test_a_url_may_open_with_a_placeholder_for_the_whole_url_or_its_base(folder: Path) -> None:
    (folder / "status.yml").write_text(
        "site: {title: T}\nmonitors:\n"
        "  - {id: whole, url: '${HEALTH_URL}'}\n"
        "  - {id: base, url: '${BASE}/health?k=${KEY}'}\n"
    )
    config = load_config(folder / "status.yml")
    assert [m.target for m in config.monitors] == ["***", "***/health?k=***"]
    assert problems(folder, "site: {title: T}\nmonitors:\n  - {id: a, url: '${BASE} /x'}\n") == [
        "status.yml:3: monitors[0] (a).url: is not a URL: '*** /x'"
    ]
