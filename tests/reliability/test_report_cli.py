"""Reliability figures end to end: a fixture repository with known outages, the real CLI.

api's November, by hand (samples every 5 minutes from 2026-11-28 00:00 UTC):
- 11-28 02:00-03:00 maintenance with down samples inside it: no downtime, no kind;
  the 11:55 sample is down and none follows until 18:00: it stands for 30 minutes
  (12:00-17:55 is no data), kind connect (an older seven-column file: derived);
- 11-29 10:00-10:25 down with HTTP 503, 10:30 up: 30 minutes, kind http_5xx (derived);
- 11-30 23:50 until 12-01 00:10 down (timeouts, a file with the kind column): 10 minutes in
  November, 10 in December.
Incidents: an auto one for 11-29 (opened by the 10:05 run, resolved 10:30) and a person's for
the night of 11-30, resolved by them at 00:00 though the samples stayed down till 00:10.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from generator.store.days import HEADER, Sample, append_samples

NOW = "2026-12-02T12:00:00Z"
START = datetime(2026, 11, 28, tzinfo=UTC)
END = datetime(2026, 12, 2, 12, tzinfo=UTC)

CONFIG = """\
site:
  title: Acme
defaults:
  slo: 99.9
monitors:
  - id: api
    name: Public API
    url: https://api.example.invalid/
  - id: db
    name: Database
    type: tcp
    host: db.example.invalid
    port: 5432
    slo: 99
"""

MAINTENANCE = """\
---
title: Upgrade
type: maintenance
status: resolved
monitors: [api]
start: 2026-11-28T02:00:00Z
end: 2026-11-28T03:00:00Z
---
Database upgrade.
"""

AUTO = """\
---
title: Public API is down
status: resolved
severity: major
monitors: [api]
started: 2026-11-29T10:00:00Z
resolved: 2026-11-29T10:30:00Z
auto: true
---

## Updates

### 2026-11-29 10:30 UTC — Resolved

Resolved after 30 min.

### 2026-11-29 10:05 UTC — Investigating

HTTP 503
"""

PERSON = """\
---
title: Slow night
status: resolved
severity: minor
monitors: [api]
started: 2026-11-30T23:50:00Z
resolved: 2026-12-01T00:00:00Z
---
We rolled back.
"""


def api_status(t: datetime) -> tuple[str, int | None, str, str]:
    """(status, code, detail, kind) of api's sample at t."""
    hm = t.strftime("%m-%d %H:%M")
    if "11-28 02:00" <= hm < "11-28 03:00":
        return "down", None, "connection refused", "connect"  # inside maintenance
    if hm == "11-28 11:55":
        return "down", None, "connection refused", "connect"
    if "11-29 10:00" <= hm <= "11-29 10:25":
        return "down", 503, "HTTP 503", "http_5xx"
    if "11-30 23:50" <= hm <= "12-01 00:05":
        return "down", None, "timeout after 10 s", "timeout"
    return "up", 200, "", ""


def line(t: datetime, monitor: str, status: str, code: int | None, detail: str) -> str:
    ms = "100" if status == "up" else ""
    return f"{t:%Y-%m-%dT%H:%M:%SZ},{monitor},ci,{status},{ms},{code or ''},{detail}\n"


def write_repo(root: Path) -> Path:
    (root / "incidents").mkdir(parents=True)
    (root / "status.yml").write_text(CONFIG)
    (root / "incidents/2026-11-28-upgrade.md").write_text(MAINTENANCE)
    (root / "incidents/2026-11-29-public-api-is-down.md").write_text(AUTO)
    (root / "incidents/2026-11-30-slow-night.md").write_text(PERSON)
    data = root / "data"
    data.mkdir()
    old: dict[str, list[str]] = {}
    new: list[Sample] = []
    t = START
    while t <= END:
        missing = "2026-11-28T12:00" <= f"{t:%Y-%m-%dT%H:%M}" < "2026-11-28T18:00"
        status, code, detail, kind = api_status(t)
        rows = [("api", status, code, detail, kind), ("db", "up", None, "", "")]
        for monitor, st, c, d, k in rows:
            if missing and monitor == "api":
                continue
            if t.day in (28, 29):  # files of an older version: no kind column
                old.setdefault(f"{t:%Y-%m-%d}", []).append(line(t, monitor, st, c, d))
            else:
                ms = 100 if st == "up" else None
                new.append(Sample(t, monitor, "ci", st, ms, c, d, k))
        t += timedelta(minutes=5)
    for day, lines in old.items():
        (data / f"{day}.csv").write_text(HEADER + "".join(lines))
    append_samples(data, new)
    return root / "status.yml"


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def build_json(config: Path) -> dict[str, dict]:
    run("build", "--config", str(config), "--now", NOW)
    site = config.parent / "site"
    return {m: json.loads((site / f"api/monitors/{m}.json").read_text()) for m in ("api", "db")}


NOVEMBER = {
    "uptime": 98.8462,  # 771 of 780 counted samples up (maintenance and missing hours left out)
    "downtime_minutes": 70.0,
    "incidents": 2,
    "mttr_minutes": 20.0,  # 30 and the person's 10
    "mttd_minutes": 5.0,  # the auto incident only
    "mtbf_minutes": 1416.7,  # (3 days - 70 minutes) / 3 outages
    "longest_minutes": 30.0,
    "outages": 3,
    "kinds": {"http_5xx": 66.7, "timeout": 22.2, "connect": 11.1},
    "failing_samples": 9,
    "p50_ms": 100,
    "p95_ms": 100,
}


def test_the_json_holds_the_hand_computed_figures(tmp_path: Path) -> None:
    found = build_json(write_repo(tmp_path))
    api = found["api"]
    assert api["stats"]["months"]["2026-11"] == NOVEMBER
    december = api["stats"]["months"]["2026-12"]
    assert (december["downtime_minutes"], december["incidents"], december["kinds"]) == (
        10.0,
        0,
        {"timeout": 100.0},
    )
    assert [*api["stats"]["months"]][::11] == ["2026-01", "2026-12"]
    assert api["stats"]["30d"]["downtime_minutes"] == 80.0
    # 30 days: Nov 3 to Dec 2 12:00; 780 + 288 + 145 counted samples, 11 down
    assert api["stats"]["30d"]["uptime"] == round(1202 * 100 / 1213, 4)
    assert api["slo"] == {
        "target": 99.9,
        "actual": round(1202 * 100 / 1213, 4),
        "budget_minutes": 43.2,
        "used_minutes": 80.0,
        "remaining_minutes": -36.8,
        "burn_rate_24h": 0.0,
        "state": "exhausted",
    }
    assert found["db"]["slo"]["state"] == "ok"
    assert found["db"]["stats"]["90d"]["downtime_minutes"] == 0.0


def test_every_figure_is_the_same_after_compaction(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    before = build_json(config)
    report = run("report", "--config", str(config), "--now", NOW, "--format", "json")
    run("compact", "--config", str(config), "--keep-days", "2", "--now", NOW)
    assert not (tmp_path / "data/2026-11-29.csv").exists()
    assert build_json(config) == before
    assert run("report", "--config", str(config), "--now", NOW, "--format", "json") == report


def test_the_report_of_the_last_complete_month(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    got = json.loads(run("report", "--config", str(config), "--now", NOW, "--format", "json"))
    assert got["month"] == "2026-11"
    assert got["monitors"]["api"] == {**NOVEMBER, "slo": {"target": 99.9, "met": False}}
    assert got["monitors"]["db"]["slo"] == {"target": 99.0, "met": True}
    table = run("report", "--config", str(config), "--now", NOW)
    assert table.splitlines()[0] == "# Reliability report: November 2026"
    assert (
        "| Public API (`api`) | 98.846% | 70 min | 2 | 20 min | 5 min | 30 min | HTTP 5xx errors"
        " 66.7%, timeouts 22.2%, connection failures 11.1% | 99.9%: missed |"
    ) in table
    rows = list(
        csv.DictReader(
            io.StringIO(run("report", "--config", str(config), "--now", NOW, "--format", "csv"))
        )
    )
    assert [r["monitor"] for r in rows] == ["api", "db"]
    assert (rows[0]["downtime_minutes"], rows[0]["kinds"], rows[0]["slo_met"]) == (
        "70.0",
        "http_5xx:66.7 timeout:22.2 connect:11.1",
        "no",
    )


def test_a_month_still_running_says_so_and_a_future_one_is_bad_usage(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    text = run("report", "--config", str(config), "--now", NOW, "--month", "2026-12")
    assert (
        text.splitlines()[0]
        == "# Reliability report: December 2026 (so far, to 2026-12-02 12:00 UTC)"
    )
    result = CliRunner().invoke(
        main, ["report", "--config", str(config), "--now", NOW, "--month", "2027-01"]
    )
    assert result.exit_code == 2
    assert "2027-01 has not begun yet" in result.output
    result = CliRunner().invoke(main, ["report", "--config", str(config), "--month", "nov"])
    assert result.exit_code == 2
    assert "'nov' is not a month as YYYY-MM" in result.output
