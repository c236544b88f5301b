"""The reliability figures on the pages: in words, marked without colour alone, valid and
accessible (the Nu validator and axe-core in light and dark, at 1280 and 375 px)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from quality import describe, validate_html
from test_report_cli import AUTO, NOW, write_repo

from generator.cli import main

KINDS_INCIDENT = AUTO.replace("auto: true\n", "auto: true\nkinds: [timeout, http_5xx]\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rel")
    config = write_repo(root)
    (root / "incidents/2026-11-29-public-api-is-down.md").write_text(KINDS_INCIDENT)
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--now", NOW])
    assert result.exit_code == 0, result.output
    return root / "site"


def text(path: Path) -> str:
    """A page's words, tags and runs of space taken out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_a_spent_budget_shows_on_the_index_row_in_words(site: Path) -> None:
    page = (site / "index.html").read_text(encoding="utf-8")
    assert (
        '<p class="budget budget-exhausted"><span class="ic s-major_outage" aria-hidden="true">'
        "</span>Error budget exhausted (36.8 min over) · SLO 99.9%</p>"
    ) in page
    assert page.count('class="budget ') == 1  # db spends nothing: nothing to say
    assert 'href="reliability.html">Reliability</a>' in page


def test_the_monitor_page_has_a_reliability_section(site: Path) -> None:
    words = text(site / "monitors/api.html")
    assert "Downtime 1 h 20 min Incidents 2 Mean time to resolve 20 min" in words
    assert "Error budget 43.2 min Used 1 h 20 min Remaining none (36.8 min over)" in words
    assert "HTTP 5xx errors 54.5% Timeouts 36.4% Connection failures 9.1%" in words
    assert "November 2026 98.846% below 99.9% 1 h 10 min 2 20 min 30 min" in words
    assert "December 2026 99.538% 10 min 0 – 10 min" in words  # running: never marked
    assert "October 2026 No data – – – –" in words


def test_the_reliability_page_lists_every_service(site: Path) -> None:
    words = text(site / "reliability.html")
    assert (
        "Public API 99.093% 1 h 20 min 2 20 min 5 min 30 min 99.9%: exhausted, 36.8 min over"
        in words
    )
    assert "Database 100% 0 min 0 – – 0 min 99%: 7 h 12 min left" in words
    assert "Nov 2026" in words and "98.846% below 99.9% 1 h 10 min down" in words


def test_an_incident_page_says_its_kinds_in_turn(site: Path) -> None:
    words = text(site / "incidents/2026-11-29-public-api-is-down.html")
    assert "Failures seen Timeouts, then HTTP 5xx errors" in words


@pytest.mark.browser
def test_the_pages_are_valid_html(site: Path) -> None:
    pages = [site / p for p in ("index.html", "reliability.html", "monitors/api.html")]
    pages.append(site / "incidents/2026-11-29-public-api-is-down.html")
    assert validate_html(pages) == []


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize(
    "page", ["index.html", "reliability.html", "monitors/api.html", "monitors/db.html"]
)
def test_axe_finds_no_violations(axe: Any, site: Path, page: str, scheme: str, width: int) -> None:
    result = axe(site / page, scheme, width)
    assert result["external_requests"] == []
    assert result["violations"] == [], describe(result["violations"])
