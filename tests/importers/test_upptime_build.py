"""After `upwatch import upptime`, `upwatch build` shows the imported days: exact per-day figures."""

from __future__ import annotations

import json
from pathlib import Path

from test_upptime_import import imported, run

__all__ = ["imported"]  # the fixture, shared with the import tests


def test_build_shows_the_imported_days_exactly(imported: tuple[Path, str]) -> None:
    target, _ = imported
    result = run("build", "--config", str(target / "status.yml"), "--now", "2026-03-10T12:00:00Z")
    assert result.exit_code == 0, result.output
    got = {m: day_figures(target, m) for m in ("api", "main-database", "new-site")}
    # API down 06:00-12:00 on the 2nd (72 of 288 slots); the file deleted and re-written on
    # the 3rd is no outage; the record ends with the last commit, 5 March 00:00.
    assert got["api"] == {
        "2026-03-01": (100.0, 288, 120),
        "2026-03-02": (75.0, 288, 210),
        "2026-03-03": (100.0, 288, 120),
        "2026-03-04": (100.0, 288, None),
    }
    assert got["main-database"] == {
        "2026-03-01": (100.0, 288, 8),
        "2026-03-02": (100.0, 288, None),
        "2026-03-03": (100.0, 288, None),
        "2026-03-04": (75.0, 288, 8),
    }
    # renamed: old-site.yml's days, then new-site.yml's from 3 March
    assert got["new-site"] == {
        "2026-03-01": (100.0, 288, 120),
        "2026-03-02": (87.5, 288, 510),
        "2026-03-03": (100.0, 288, 120),
        "2026-03-04": (100.0, 288, None),
    }


def day_figures(target: Path, monitor: str) -> dict[str, tuple[float, int, int | None]]:
    data = json.loads((target / "site" / "api" / "monitors" / f"{monitor}.json").read_text())
    return {
        d["date"]: (d["uptime"], d["samples"], d["avg_ms"]) for d in data["days"] if d["samples"]
    }


def test_upwatch_samples_take_over_from_their_first_day(imported: tuple[Path, str]) -> None:
    target, _ = imported
    lines = [f"2026-03-04T{h:02d}:00:00Z,api,default,down,50,500," for h in range(4)]
    (target / "data" / "2026-03-04.csv").write_text(
        "time,monitor,location,status,ms,code,detail\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    result = run("build", "--config", str(target / "status.yml"), "--now", "2026-03-10T12:00:00Z")
    assert result.exit_code == 0, result.output
    assert day_figures(target, "api")["2026-03-04"] == (0.0, 4, 50)
    assert "2026-03-04" not in day_figures(target, "main-database")  # upwatch ran that day
    assert day_figures(target, "main-database")["2026-03-03"] == (100.0, 288, None)


def test_compaction_changes_no_imported_figure(imported: tuple[Path, str], tmp_path: Path) -> None:
    """upwatch runs from 6 March; compacting its older days changes no file of the site."""
    target, _ = imported
    for day in range(6, 11):
        rows = [
            f"2026-03-{day:02d}T{h:02d}:00:00Z,{m},default,up,40,200,"
            for h in range(24)
            for m in ("api", "new-site")
        ]
        (target / "data" / f"2026-03-{day:02d}.csv").write_text(
            "time,monitor,location,status,ms,code,detail\n" + "\n".join(rows) + "\n",
            encoding="utf-8",
        )
    config, now = str(target / "status.yml"), "2026-03-10T12:00:00Z"
    assert run("build", "--config", config, "--now", now).exit_code == 0
    before = pages(target / "site")
    result = run("compact", "--config", config, "--now", now, "--keep-days", "2")
    assert result.exit_code == 0, result.output
    assert not (target / "data" / "2026-03-06.csv").exists()
    assert run("build", "--config", config, "--now", now).exit_code == 0
    assert pages(target / "site") == before
    assert day_figures(target, "api")["2026-03-02"] == (75.0, 288, 210)
    assert day_figures(target, "api")["2026-03-06"] == (100.0, 24, 40)


def pages(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_reliability_figures_count_the_imported_outages(imported: tuple[Path, str]) -> None:
    target, _ = imported
    result = run("build", "--config", str(target / "status.yml"), "--now", "2026-03-10T12:00:00Z")
    assert result.exit_code == 0, result.output
    stats = {
        m: json.loads((target / "site" / "api" / "monitors" / f"{m}.json").read_text())["stats"]
        for m in ("api", "main-database")
    }
    march = stats["api"]["months"]["2026-03"]
    # down 06:00-12:00 on 2 March with HTTP 500: 72 of the 4 x 288 imported slots, one outage
    assert (march["uptime"], march["downtime_minutes"], march["outages"]) == (93.75, 360.0, 1)
    assert (march["longest_minutes"], march["failing_samples"]) == (360.0, 72)
    assert march["kinds"] == {"http_5xx": 100.0}
    assert stats["api"]["30d"]["downtime_minutes"] == 360.0
    # the database unreachable (no code) 00:00-06:00 on 4 March
    db = stats["main-database"]["months"]["2026-03"]
    assert (db["uptime"], db["downtime_minutes"], db["kinds"]) == (93.75, 360.0, {"connect": 100.0})
