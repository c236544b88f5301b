"""A new maintenance file words its window as the pages do: the site's zone, the zone named."""

from __future__ import annotations

from pathlib import Path

from helpers import utc

from generator import incidents
from generator.config.read import load_config

CONFIG = """\
site:
  title: Acme Status
  timezone: Europe/Berlin
monitors:
  - id: db
    name: Database
    type: tcp
    host: db.example.invalid
    port: 5432
"""


def test_the_window_is_written_in_the_sites_zone_as_the_pages_write_it(tmp_path: Path) -> None:
    (tmp_path / "status.yml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "status.yml")
    window = (utc("2027-01-04T23:30:00Z"), utc("2027-01-05T01:00:00Z"))
    path = incidents.new(config, "Database move", ["db"], None, window, utc("2026-12-20T10:00:00Z"))
    (incident,) = incidents.load(config, strict=True)
    assert incident.path == path
    # Berlin is UTC+1 in January; the year is named, as on a page of another year
    assert incident.updates[0].text == (
        "Maintenance of Database from Jan 5, 2027, 00:30 CET to Jan 5, 2027, 02:00 CET."
    )
    assert "UTC" not in incident.updates[0].text
