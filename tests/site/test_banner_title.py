"""The banner names what is affected; <title>, Open Graph and the nav say where one is."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from site_repo import NOW

from generator.cli import main
from generator.config.read import load_config
from generator.site import model
from generator.site.model import MonitorState
from generator.store.days import Sample, append_samples

NAMES = ["Billing", "API", "Search", "Mail", "Login"]


def repo(root: Path, statuses: list[str], extra_site: str = "") -> Path:
    """A repo with one monitor per status, each last checked a minute before NOW."""
    monitors = "".join(
        f"  - id: m{n}\n    name: {NAMES[n]}\n    url: https://m{n}.example.invalid/\n"
        for n in range(len(statuses))
    )
    config = root / "status.yml"
    config.write_text(
        f"site:\n  title: Acme Status\n{extra_site}monitors:\n{monitors}", encoding="utf-8"
    )
    at = NOW - timedelta(minutes=1)
    samples = [Sample(at, f"m{n}", "ci", s, 100, 200) for n, s in enumerate(statuses)]
    append_samples(root / "data", samples)
    return config


def build(config: Path) -> Path:
    result = CliRunner().invoke(
        main, ["build", "--config", str(config), "--now", "2026-11-23T12:00:00Z"]
    )
    assert result.exit_code == 0, result.output
    return config.parent / "site"


class Head(HTMLParser):
    """The <title>, the meta properties and the nav links with their aria-current."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.meta: dict[str, str] = {}
        self.nav: dict[str, str | None] = {}
        self.affected: list[str] = []
        self._in: str | None = None
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "title" and not self.title:  # the page's, not an SVG chart's
            self._in = "title"
        elif tag == "meta" and a.get("property"):
            self.meta[a["property"] or ""] = a.get("content") or ""
        elif tag == "nav":
            self._in = "nav"
        elif tag == "a" and self._in == "nav":
            self._href = a.get("href") or ""
            self.nav[self._href] = a.get("aria-current")
        elif tag == "p" and a.get("class") == "banner-affected":
            self._in = "affected"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "nav", "p"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "affected":
            self.affected.append(data)


def head(path: Path) -> Head:
    parser = Head()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize(
    ("statuses", "affected", "title"),
    [
        (["up", "down", "up"], ["Major outage: API"], "Major outage · Acme Status"),
        (
            ["down", "degraded", "up"],
            ["Major outage: Billing; Degraded performance: API"],
            "Major outage · Acme Status",
        ),
        (
            ["degraded", "degraded", "degraded"],
            ["Degraded performance: Billing, API, Search"],
            "Degraded performance · Acme Status",
        ),
        (
            ["degraded"] * 5,
            ["Degraded performance: 5 components"],
            "Degraded performance · Acme Status",
        ),
        (["up", "up"], [], "All systems operational · Acme Status"),
    ],
)
def test_the_banner_names_what_is_affected_and_the_title_says_the_status(
    tmp_path: Path, statuses: list[str], affected: list[str], title: str
) -> None:
    index = head(build(repo(tmp_path, statuses)) / "index.html")
    assert index.affected == affected
    assert index.title == title
    assert index.meta["og:title"] == title


def test_a_page_without_data_says_so_in_its_title(tmp_path: Path) -> None:
    config = repo(tmp_path, [])
    config.write_text(
        config.read_text(encoding="utf-8")
        + "  - id: web\n    name: Web\n    url: https://web.example.invalid/\n",
        encoding="utf-8",
    )
    index = head(build(config) / "index.html")
    assert index.title == "No status data yet · Acme Status"
    assert index.affected == []


def test_open_graph_is_relative_safe_without_url(tmp_path: Path) -> None:
    site = build(repo(tmp_path, ["up", "down"], "  description: Acme's services\n"))
    index = head(site / "index.html")
    assert index.meta["og:type"] == "website"
    assert index.meta["og:description"] == (
        "Major System Outage · Major outage: API · Acme's services"
    )
    assert "og:url" not in index.meta
    for page in ["history.html", "monitors/m0.html"]:
        other = head(site / page)
        assert other.meta["og:title"] == other.title
        assert other.meta["og:description"] == "Acme's services"
        assert "og:url" not in other.meta


def test_open_graph_url_is_absolute_when_the_site_url_is_set(tmp_path: Path) -> None:
    site = build(repo(tmp_path, ["up"], "  url: https://status.example.com/\n"))
    assert head(site / "index.html").meta["og:url"] == "https://status.example.com/"
    html = (site / "index.html").read_text(encoding="utf-8")
    assert not re.search(r'content="/[^/]', html)  # nothing root-relative


def test_the_nav_marks_the_current_page(tmp_path: Path) -> None:
    site = build(repo(tmp_path, ["up"]))
    assert head(site / "index.html").nav == {
        "index.html": "page",
        "history.html": None,
        "reliability.html": None,
    }
    assert head(site / "history.html").nav == {
        "index.html": None,
        "history.html": "page",
        "reliability.html": None,
    }
    assert head(site / "reliability.html").nav == {
        "index.html": None,
        "history.html": None,
        "reliability.html": "page",
    }
    assert head(site / "monitors/m0.html").nav == {
        "../index.html": None,
        "../history.html": None,
        "../reliability.html": None,
    }


def test_maintenance_is_not_named_as_affected(tmp_path: Path) -> None:
    monitors = load_config(repo(tmp_path, ["up", "up", "up"])).monitors
    current = ["under_maintenance", "partial_outage", "operational"]
    states = [
        MonitorState(m, s, None, {}, [], {}, [], [])  # type: ignore[arg-type]
        for m, s in zip(monitors, current, strict=True)
    ]
    assert model.affected_words(states) == ("Partial outage: API", "partial_outage")
    assert model.affected_words(states[:1]) == ("", "")
    assert model.affected_words(states[2:]) == ("", "")
