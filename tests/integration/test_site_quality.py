"""Built pages are valid HTML (W3C Nu validator) and accessible (axe-core, WCAG 2 A/AA),
in light and dark, and load nothing from any other host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from quality import describe, validate_html
from site_repo import write_repo

from generator.cli import main

pytestmark = pytest.mark.browser  # Chromium (axe-core) and Java (the Nu validator)

OPEN_INCIDENT = """\
---
title: Elevated error rates
status: identified
severity: critical
monitors: [api, evil]
started: 2026-11-23T11:00:00Z
---
Some requests fail.

## Updates

### 2026-11-23 11:20 UTC — Identified

A bad deploy; **rolling back**.
"""

IN_PROGRESS = """\
---
title: Search index rebuild
type: maintenance
monitors: [db]
start: 2026-11-23T11:00:00Z
end: 2026-11-23T14:00:00Z
---
Slower searches while the index rebuilds.
"""

PAGES = [
    "index.html",
    "monitors/api.html",
    "incidents/2026-11-22-api-outage.html",
    "incidents/2026-11-23-elevated-error-rates.html",
    "history.html",
    "reliability.html",
]


def build_site(root: Path, now: str) -> Path:
    config = write_repo(root)
    (root / "incidents/2026-11-23-elevated-error-rates.md").write_text(OPEN_INCIDENT)
    (root / "incidents/2026-11-23-search-index-rebuild.md").write_text(IN_PROGRESS)
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--now", now])
    assert result.exit_code == 0, result.output
    return root / "site"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A fresh site during an incident and maintenance, and a stale one hours later."""
    fresh = build_site(tmp_path_factory.mktemp("fresh"), "2026-11-23T12:00:00Z")
    stale = build_site(tmp_path_factory.mktemp("stale"), "2026-11-23T15:00:00Z")
    return [fresh, stale]


def test_every_page_passes_the_nu_validator(sites: list[Path]) -> None:
    pages = [page for site in sites for page in sorted(site.rglob("*.html"))]
    assert len(pages) == 22  # reliability.html too
    assert validate_html(pages) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("page", PAGES)
def test_axe_finds_no_violations(axe: Any, sites: list[Path], page: str, scheme: str) -> None:
    result = axe(sites[0] / page, scheme)
    assert result["external_requests"] == []
    assert result["violations"] == [], describe(result["violations"])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_stale_index_is_accessible_on_a_phone(axe: Any, sites: list[Path], scheme: str) -> None:
    index = sites[1] / "index.html"
    assert "status data is 3 h old" in index.read_text(encoding="utf-8")
    result = axe(index, scheme, 375)
    assert result["external_requests"] == []
    assert result["violations"] == [], describe(result["violations"])
