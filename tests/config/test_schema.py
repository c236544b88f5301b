"""The schema: each key declared once, and the README's tables, defaults and hints made from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import docs
from generator.config.read import Config, Defaults, Expect, Monitor, Publish, Site, load_config
from generator.config.schema import keys, options
from generator.errors import ConfigError

README = Path(__file__).parents[2] / "README.md"
MINIMAL = (
    "site: {title: T}\nmonitors:\n  - {id: a, url: 'http://a/'}\n  - {id: b, host: h, port: 1}\n"
)


def load(tmp_path: Path, text: str) -> Config:
    (tmp_path / "status.yml").write_text(text, encoding="utf-8")
    return load_config(tmp_path / "status.yml")


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text)
    return [p.message for p in raised.value.problems]


# --- the README -------------------------------------------------------------------------------


def test_the_readme_tables_are_the_ones_the_schema_makes() -> None:
    text = README.read_text(encoding="utf-8")
    assert docs.update(text) == text, "run: python -m generator.config.docs README.md"


def test_a_readme_table_that_disagrees_is_caught_and_rewritten(tmp_path: Path) -> None:
    good = README.read_text(encoding="utf-8")
    row = "| `retries` | `1` | quick re-tries within one run before a sample is `down` |\n"
    assert row in good
    for bad in (
        good.replace(row, row.replace("`1`", "`3`")),  # a wrong default
        good.replace(row, ""),  # a key left out
        good.replace(row, row + "| `retry_delay` | `5` | seconds between re-tries |\n"),
    ):
        assert docs.update(bad) == good
        (tmp_path / "README.md").write_text(bad, encoding="utf-8")
        assert docs.main([str(tmp_path / "README.md")]) == 0
        assert (tmp_path / "README.md").read_text(encoding="utf-8") == good


def test_tables_outside_the_configuration_section_are_left_alone() -> None:
    text = (
        "## Other\n\n### `site`\n\n| a | b |\n| - | - |\n\n## Configuration\n\n### `publish`\n\nx\n"
    )
    assert docs.update(text) == text


def test_keys_with_the_same_default_and_meaning_share_a_row() -> None:
    rows = docs.table(Monitor)
    assert "| `host`, `port` | (required for tcp) | where a tcp monitor connects |" in rows
    assert rows[-1].startswith("| `timeout`, `retries`, `degraded_ms`, ")
    assert '| `expect.status` | `["2xx"]` |' in "\n".join(rows)


# --- one declaration drives reading -----------------------------------------------------------


def test_the_top_level_and_section_keys_come_from_the_schema() -> None:
    assert keys(Config) == ["site", "defaults", "monitors", "publish", "notify"]
    assert keys(Expect) == ["status", "contains", "not_contains", "json"]
    assert set(docs.SECTIONS) == set(keys(Config))


def test_left_out_keys_take_the_declared_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, MINIMAL)
    assert config.defaults == Defaults()
    assert config.publish == Publish()
    assert config.site == Site("T")
    http, tcp = config.monitors
    for opt in options(Monitor):
        if opt.name in ("id", "name", "type") or opt.required:
            continue
        assert getattr(http, opt.name) == opt.default, opt.name
    assert (http.name, http.type, tcp.type) == ("a", "http", "tcp")


def test_every_per_monitor_key_is_a_defaults_key_with_its_default() -> None:
    inherited = [o for o in options(Monitor) if o.inherited]
    assert [o.name for o in inherited] == [
        "timeout",
        "retries",
        "degraded_ms",
        "failure_threshold",
        "success_threshold",
        "severity",
        "incident_on_degraded",
        "slo",
    ]
    base = {o.name: o for o in options(Defaults)}
    for opt in inherited:
        assert (opt.default, opt.check) == (base[opt.name].default, base[opt.name].check)


def test_defaults_reach_each_monitor_and_a_monitor_may_override(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "monitors:\n",
        "defaults: {timeout: 3, retries: 0, degraded_ms: 700, failure_threshold: 4,"
        " success_threshold: 5, severity: minor, incident_on_degraded: true}\nmonitors:\n",
    ).replace("{id: b,", "{id: b, timeout: 1, severity: critical,")
    a, b = load(tmp_path, text).monitors
    assert (a.timeout, a.retries, a.degraded_ms, a.failure_threshold) == (3.0, 0, 700, 4)
    assert (a.success_threshold, a.severity, a.incident_on_degraded) == (5, "minor", True)
    assert (b.timeout, b.severity, b.retries) == (1.0, "critical", 0)


def _sections() -> list[tuple[str, type]]:
    return [("site", Site), ("defaults", Defaults), ("monitors[0] (a)", Monitor)]


def _text_with(where: str, name: str, value: str) -> str:
    """A sound status.yml with one key set in the site, the defaults or the first monitor."""
    if where == "site":
        return f"site:\n  title: T\n  {name}: {value}\nmonitors: []\n"
    if where == "defaults":
        return f"site: {{title: T}}\ndefaults:\n  {name}: {value}\nmonitors: []\n"
    tcp = name in ("host", "port")
    monitor = {"id": "a", "type": "tcp", "host": "h", "port": "1"} if tcp else {"url": "http://a/"}
    monitor = {"id": "a", **monitor, name: value}
    lines = "".join(f"    {k}: {v}\n" for k, v in monitor.items())
    return "site: {title: T}\nmonitors:\n  - " + lines[4:]


@pytest.mark.parametrize(
    ("where", "name"),
    [(w, n) for w, cls in _sections() for n in keys(cls) if n not in ("id", "url", "title")],
)
def test_a_misspelt_key_is_unknown_with_a_hint_from_the_schema(
    tmp_path: Path, where: str, name: str
) -> None:
    found = problems(tmp_path, _text_with(where, f"{name}x", "1"))
    assert f"{where}.{name}x: unknown key (did you mean '{name}'?)" in found


@pytest.mark.parametrize(
    ("where", "name"),
    [
        (w, o.name)
        for w, cls in _sections()
        for o in options(cls)
        if o.check is not None and o.name != "id"  # test_config pins the id's errors
    ],
)
def test_every_checked_key_refuses_a_list_on_its_line(
    tmp_path: Path, where: str, name: str
) -> None:
    text = _text_with(where, name, "[1, 2]")
    line = text.splitlines().index(next(li for li in text.splitlines() if f"{name}: [1" in li))
    (tmp_path / "status.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "status.yml")
    located = [(p.line, p.message.split(":")[0]) for p in raised.value.problems]
    assert (line + 1, f"{where}.{name}") in located


def test_problems_on_one_line_come_in_the_schema_order(tmp_path: Path) -> None:
    text = "site: {title: T}\nmonitors:\n  - {retries: -1, method: FOO, url: 'ftp://x', name: '', id: a}\n"
    assert problems(tmp_path, text) == [
        "monitors[0] (a).name: must not be empty",
        "monitors[0] (a).url: must start with http:// or https:// and name a host, not 'ftp://x'",
        "monitors[0] (a).method: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS,"
        " not 'FOO'",
        "monitors[0] (a).retries: must be from 0 to 10, not -1",
    ]
