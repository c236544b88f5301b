"""The view model decides, the templates display: banner, groups, incident marks, one palette."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from site_repo import NOW, write_repo

from generator import incidents, status
from generator.cli import main
from generator.config.read import load_config
from generator.site import badges, model
from generator.site.html import BUILTIN
from generator.site.model import MonitorState, Summary
from generator.store.samples import Sample

STYLE = BUILTIN / "assets" / "style.css"
HEX_RE = re.compile(r"#[0-9a-fA-F]{3,8}\b")


def custom_properties(css: str) -> dict[str, str]:
    """The custom properties of the first top-level :root rule (the light theme)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    block = re.search(r"^:root\s*\{(.*?)\}", css, flags=re.S | re.M)
    assert block, "style.css has no top-level :root rule"
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+?)\s*;", block.group(1)))


def rules(css: str, selector_re: str) -> list[str]:
    """The bodies of the rules whose selector matches."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    return [body for selector, body in found if re.search(selector_re, selector.strip())]


# --- one palette ---------------------------------------------------------------------


def test_the_badge_table_is_the_stylesheet_palette() -> None:
    properties = custom_properties(STYLE.read_text(encoding="utf-8"))
    assert {name: properties.get(name) for name in badges.SOLID} == badges.SOLID
    assert set(badges.COLOURS.values()) | {badges.LABEL_COLOUR} == set(badges.SOLID.values())


def test_the_dark_theme_keeps_the_solid_colours_under_white_text() -> None:
    css = STYLE.read_text(encoding="utf-8")
    dark = css[css.index("@media (prefers-color-scheme: dark)") :]
    dark = dark[: dark.index("\n}\n")]
    assert not [name for name in badges.SOLID if name in dark]


def test_the_banner_takes_its_colours_from_custom_properties_only() -> None:
    bodies = rules(STYLE.read_text(encoding="utf-8"), r"^\.(banner|b-[a-z]+)$")
    backgrounds = [b for b in bodies if "background" in b]
    assert len(backgrounds) == 6  # .banner and the five .b-* kinds besides none
    assert [b for b in backgrounds if HEX_RE.search(b)] == []


def test_templates_hold_no_colours() -> None:
    for template in BUILTIN.glob("*.html"):
        assert not HEX_RE.search(template.read_text(encoding="utf-8")), template.name


def contrast(hex_colour: str) -> float:
    """WCAG contrast ratio of white text on a colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


@pytest.mark.parametrize("name", sorted(badges.SOLID))
def test_white_text_on_every_solid_colour_meets_aa(name: str) -> None:
    assert contrast(badges.SOLID[name]) >= 4.5


# --- the banner and groups, decided in Python ----------------------------------------


def summary(
    indicator: str = "none",
    stale: str | None = None,
    newest: datetime | None = NOW,
    monitors: list[MonitorState] | None = None,
) -> Summary:
    description = status.DESCRIPTIONS[indicator]  # type: ignore[index]
    return Summary(NOW, indicator, description, monitors or [], [], newest, stale)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("indicator", "stale", "newest", "kind", "words"),
    [
        ("none", None, NOW, "none", "All Systems Operational"),
        ("minor", None, NOW, "minor", "Minor Service Outage"),
        ("critical", "status data is 2 h old", NOW, "critical", "Major System Outage"),
        ("none", "status data is 2 h old", NOW, "unknown", "Status unknown"),
        ("none", "no status data yet", None, "unknown", "No status data yet"),
    ],
)
def test_banner(
    indicator: str, stale: str | None, newest: datetime | None, kind: str, words: str
) -> None:
    banner = summary(indicator, stale, newest).banner
    assert (banner.kind, banner.words) == (kind, words)


def states(tmp_path: Path, *current: str) -> list[MonitorState]:
    """The fixture's monitors (api and db in group Core, evil in none) in the given states."""
    monitors = load_config(write_repo(tmp_path)).monitors
    return [
        MonitorState(m, s, None, {}, [], {}, [], [])  # type: ignore[arg-type]
        for m, s in zip(monitors, current, strict=True)
    ]


def test_groups_have_their_heading_and_worst_state(tmp_path: Path) -> None:
    api, evil, db = states(tmp_path, "operational", "major_outage", "degraded_performance")
    groups = summary(monitors=[api, evil, db]).groups
    assert [(g.name, g.title, g.state, g.troubled) for g in groups] == [
        ("Core", "Core", "degraded_performance", True),
        ("", "Other services", "major_outage", True),
    ]
    only = summary(monitors=[api]).groups
    assert [(g.title, g.troubled) for g in only] == [("Core", False)]


def test_ungrouped_monitors_alone_are_services(tmp_path: Path) -> None:
    _, evil, _ = states(tmp_path, "operational", "operational", "operational")
    assert [g.title for g in summary(monitors=[evil]).groups] == ["Services"]


@pytest.mark.parametrize(
    ("current", "sampled", "says_no_data"),
    [
        ("operational", False, True),
        ("operational", True, False),
        ("partial_outage", False, False),  # an open incident, no sample yet: as the group says
        ("under_maintenance", False, False),
    ],
)
def test_a_pill_says_no_data_only_when_nothing_else_is_known(
    tmp_path: Path, current: str, sampled: bool, says_no_data: bool
) -> None:
    api = states(tmp_path, current, "operational", "operational")[0]
    if sampled:
        sample = Sample(NOW, "api", "ci", "up", 90)
        api = dataclasses.replace(api, latest=sample)
    assert (api.no_data, api.says_no_data) == (not sampled, says_no_data)


def test_the_page_is_as_new_as_its_newest_sample() -> None:
    assert summary(newest=NOW - timedelta(days=3)).updated == NOW - timedelta(days=3)
    assert summary(newest=None).updated == NOW  # nothing sampled: the build's own time


def test_a_stale_page_keeps_a_known_problem_and_warns(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    later = (NOW + timedelta(hours=3)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = tmp_path / "site"
    build(config, out, later)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<section class="banner b-minor"' in page  # evil's last sample was degraded
    assert '<p class="banner-words">Minor Service Outage</p>' in page
    assert "<strong>Heads up: status data is 3 h old.</strong>" in page


# --- restyling with one file ---------------------------------------------------------


def build(config: Path, out: Path, now: str) -> None:
    args = ["build", "--config", str(config), "--out", str(out), "--now", now]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_a_stylesheet_alone_restyles_the_page(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    mine = b":root { --op-solid: #005500; }\nbody { background: hotpink; }\n"
    (tmp_path / "site_templates/assets").mkdir(parents=True)
    (tmp_path / "site_templates/assets/style.css").write_bytes(mine)
    out = tmp_path / "site"
    build(config, out, "2026-11-23T12:00:00Z")
    assert (out / "assets/style.css").read_bytes() == mine
    assert (out / "assets/favicon.svg").read_bytes() == (
        BUILTIN / "assets/favicon.svg"
    ).read_bytes()
    page = (out / "index.html").read_text(encoding="utf-8")
    version = hashlib.sha256(mine).hexdigest()[:10]
    assert f'href="assets/style.css?v={version}"' in page  # browsers fetch the new file
    assert '<section class="banner b-minor"' in page  # every template is still the built-in one
    assert (out / "history.html").is_file() and (out / "monitors/api.html").is_file()


# --- data flows one way ----------------------------------------------------------------

SITE = BUILTIN.parent
LAYERS = [  # each module may import site modules only from the layers after its own
    {"build"},
    {"summarize", "html", "api", "feed", "badges"},
    {"charts", "markdown", "figures", "shares"},
    {"model"},
]


def site_imports(module: str) -> set[str]:
    """The site modules a site module imports (relative imports inside generator.site)."""
    tree = ast.parse((SITE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {a.name for a in node.names}
    return found


def test_site_modules_import_only_later_layers() -> None:
    modules = {path.stem for path in SITE.glob("*.py")} - {"__init__"}
    assert modules == set().union(*LAYERS)
    for n, layer in enumerate(LAYERS):
        later = set().union(*LAYERS[n + 1 :])
        for module in layer:
            assert site_imports(module) <= later, module


# --- incident words and marks ----------------------------------------------------------


def test_incident_marks_words_and_times(tmp_path: Path) -> None:
    config = load_config(write_repo(tmp_path))
    by_id = {i.id: i for i in incidents.load(config)}
    outage, upgrade = by_id["2026-11-22-api-outage"], by_id["2026-11-23-database-upgrade"]
    assert [model.incident_mark(i) for i in (outage, upgrade)] == ["major", "maintenance"]
    assert [model.incident_state(i) for i in (outage, upgrade)] == [
        "partial_outage",
        "under_maintenance",
    ]
    assert [model.impact_words(i) for i in (outage, upgrade)] == [
        "Major impact",
        "Scheduled maintenance",
    ]
    assert [model.incident_words(i, NOW) for i in (outage, upgrade)] == ["Resolved", "Completed"]
    assert model.resolved_time(outage) == datetime(2026, 11, 22, 11, 30, tzinfo=UTC)
    assert model.lasted(outage) == timedelta(hours=1, minutes=30)
    assert (model.resolved_time(upgrade), model.lasted(upgrade)) == (None, None)
    reopened = dataclasses.replace(outage, status="monitoring")  # resolved: stays in the file
    assert (model.resolved_time(reopened), model.lasted(reopened)) == (None, None)


def test_uptime_words() -> None:
    assert [model.uptime_words(v) for v in (None, 100.0, 99.999)] == [
        "No data",
        "100% uptime",
        "99.99% uptime",
    ]


def test_maintenance_alone_shows_the_maintenance_banner(tmp_path: Path) -> None:
    config = load_config(write_repo(tmp_path))
    everything = incidents.load(config)
    during = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    words = status.UNDER_MAINTENANCE
    quiet = Summary(during, "none", words, [], everything, during, None)
    assert (quiet.banner.kind, quiet.banner.words) == ("maintenance", words)
    assert [i.id for i in quiet.maintenance] == [
        "2026-11-23-database-upgrade",
        "2026-11-30-network-work",
    ]
    troubled = Summary(during, "minor", "Minor Service Outage", [], everything, during, None)
    assert troubled.banner.kind == "minor"  # a problem outranks maintenance
    after = Summary(NOW, "none", words, [], everything, NOW, None)
    assert after.banner.kind == "none"
