"""`upwatch demo --no-serve --out DIR` end to end: the real command, local endpoints only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_demo_builds_a_complete_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from generator.cli import main; main()",
            "demo",
            "--no-serve",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "built in" in result.stderr and str(out) in result.stderr
    index = (out / "index.html").read_text()
    assert "DEMO: Acme Status" in index
    assert "Billing is down" in index  # opened by the two real probe runs
    pages = sorted(p.name for p in (out / "incidents").glob("*.html"))
    assert any(name.endswith("-public-api-is-down.html") for name in pages)
    assert any(name.endswith("-database-upgrade.html") for name in pages)
    assert any(name.endswith("-database-failover-test.html") for name in pages)
    story = next((out / "incidents").glob("*-public-api-is-down.html")).read_text()
    assert "Public API errors after a configuration change" in story
    assert "Resolved after 45 min." in story
    history = (out / "history.html").read_text()
    assert "Database upgrade" in history and "Database failover test" in history
    summary = json.loads((out / "api" / "v2" / "summary.json").read_text())
    assert {"website", "api", "search", "billing", "db"} <= {c["id"] for c in summary["components"]}
    assert [m["name"] for m in summary["scheduled_maintenances"]] == ["Database failover test"]
    monitor = json.loads((out / "api" / "monitors" / "billing.json").read_text())
    assert monitor["status"] == "major_outage"
