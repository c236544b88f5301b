"""`upwatch compact`: rollups keep every figure of the site, are safe to crash and to re-run."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import incidents
from generator.cli import main
from generator.config.read import Config, load_config
from generator.errors import DataError
from generator.store import compaction as compacting
from generator.store import rollup
from generator.store.days import DayStats, History, Sample, append_samples
from generator.store.history import read_history as load_history

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WHEN = "2026-11-23T12:00:00Z"

CONFIG = """\
site:
  title: Acme Status
  timezone: Europe/Berlin
defaults:
  slo: 99.5  # budgets, burn rates and months below target are figures too
monitors:
  - id: api
    name: Public API
    url: https://api.example.invalid/health
  - id: db
    name: Database
    type: tcp
    host: db.example.invalid
    port: 5432
  - id: old
    name: Retired service
    url: https://old.example.invalid/
"""

OUTAGE = """\
---
title: API outage
status: resolved
severity: major
monitors: [api]
started: 2026-10-20T10:00:00Z
resolved: 2026-10-20T11:30:00Z
---
Requests failed.
"""

UPGRADE = """\
---
title: Database upgrade
type: maintenance
monitors: [db]
start: 2026-11-02T02:00:00Z
end: 2026-11-02T04:00:00Z
---
Planned upgrade.
"""


def samples(days: int, seed: int = 1) -> list[Sample]:
    """Every 30 minutes for `days` days up to NOW; `old` stops 10 days before NOW."""
    rng = random.Random(seed)
    found = []
    for n in range(days * 48):
        t = NOW - timedelta(minutes=30 * n)
        for monitor in ("api", "db", "old"):
            if monitor == "old" and t > NOW - timedelta(days=10):
                continue
            status = rng.choice(["up"] * 8 + ["degraded", "down"])
            ms = None if status == "down" and rng.random() < 0.5 else rng.randrange(20, 3000)
            kind = {"up": "", "degraded": "slow", "down": ("timeout", "http_5xx")[n % 2]}[status]
            place = rng.choice(["ci", "eu"])
            found.append(Sample(t, monitor, place, status, ms, None, "x, y", kind))
    return found


def write_repo(root: Path, days: int = 40) -> Path:
    config = root / "status.yml"
    config.write_text(CONFIG, encoding="utf-8")
    (root / "incidents").mkdir()
    (root / "incidents/2026-10-20-api-outage.md").write_text(OUTAGE, encoding="utf-8")
    (root / "incidents/2026-11-02-database-upgrade.md").write_text(UPGRADE, encoding="utf-8")
    rows = samples(days)
    append_samples(root / "data", rows)
    append_samples(root / "data", rows[::7])  # union-merged duplicates
    return config


def compact(config: Config, keep_days: int, now: datetime) -> compacting.CompactResult:
    """What `upwatch compact` does: the maintenance windows of the incident files as they are now."""
    windows = incidents.maintenance_windows(incidents.load(config, strict=False))
    return compacting.compact(config.data_dir, keep_days, now, windows)


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def history(config: Path, now: datetime = NOW) -> History:
    windows = {"db": [(datetime(2026, 11, 2, 2, tzinfo=UTC), datetime(2026, 11, 2, 4, tzinfo=UTC))]}
    return load_history(config.parent / "data", now, windows)


def test_every_file_of_the_site_is_identical_after_compaction(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    run("build", "--config", str(config), "--now", WHEN, "--out", str(tmp_path / "before"))
    before = history(config)
    output = run("compact", "--config", str(config), "--now", WHEN, "--keep-days", "3")
    run("build", "--config", str(config), "--now", WHEN, "--out", str(tmp_path / "after"))
    assert "rolled 38 days into 2 rollup files" in output
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "2026-11-21.csv",
        "2026-11-22.csv",
        "2026-11-23.csv",
        "rollup",
    ]
    assert history(config) == before
    assert files(tmp_path / "after") == files(tmp_path / "before")
    assert {"feed.atom", "feeds/api.atom", "feeds/db.atom"} <= set(files(tmp_path / "after"))
    # the reliability figures are among those files: outages across midnight, kinds, budgets
    api = json.loads(files(tmp_path / "after")["api/monitors/api.json"])
    assert api["stats"]["30d"]["outages"] > 10 and api["stats"]["30d"]["kinds"]
    assert api["slo"]["state"] == "exhausted" and "reliability.html" in files(tmp_path / "after")
    assert before.latest["old"].time == NOW - timedelta(days=10, minutes=0)


def test_a_later_build_is_identical_too(tmp_path: Path) -> None:
    """Compacting, then probing on: the next day's build matches one from raw files only."""
    config = write_repo(tmp_path)
    raw = tmp_path / "raw"
    shutil.copytree(tmp_path / "data", raw)
    later = NOW + timedelta(days=1)
    more = [Sample(later - timedelta(hours=h), "api", "ci", "up", 90) for h in range(20)]
    compact(load_config(config), 3, NOW)
    append_samples(tmp_path / "data", more)
    append_samples(raw, more)
    windows = {"db": [(datetime(2026, 11, 2, 2, tzinfo=UTC), datetime(2026, 11, 2, 4, tzinfo=UTC))]}
    assert load_history(tmp_path / "data", later, windows) == load_history(raw, later, windows)


def test_compacting_again_changes_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(write_repo(tmp_path))
    first = compact(config, 3, NOW)
    data = files(tmp_path / "data")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        second = compact(config, 3, NOW)
    assert files(tmp_path / "data") == data
    assert second == compacting.CompactResult()
    assert caplog.messages == ["nothing to compact: no day file before 2026-11-21"]
    assert first.days[0] == date(2026, 10, 14) and first.days[-1] == date(2026, 11, 20)


def test_a_crash_before_day_files_are_removed_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_repo(tmp_path))
    before = history(config.path)
    day_files = sorted((tmp_path / "data").glob("*.csv"))
    real_unlink = Path.unlink

    def crash(path: Path, missing_ok: bool = False) -> None:
        if path.suffix == ".csv" and path.parent == tmp_path / "data":
            raise OSError("disk on fire")
        real_unlink(path, missing_ok)

    monkeypatch.setattr(Path, "unlink", crash)
    with pytest.raises(OSError, match="disk on fire"):
        compact(config, 3, NOW)
    monkeypatch.undo()
    assert sorted((tmp_path / "data").glob("*.csv")) == day_files  # nothing removed
    assert len(rollup.month_files(tmp_path / "data")) == 2  # but the rollups are written
    assert history(config.path) == before  # a day both rolled up and raw is read once
    compact(config, 3, NOW)
    assert history(config.path) == before


def test_a_crash_while_writing_a_rollup_leaves_the_day_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_repo(tmp_path))
    data = files(tmp_path / "data")

    def crash(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        compact(config, 3, NOW)
    assert files(tmp_path / "data") == data  # no day file removed, no temp file left


def test_keep_days_below_two_is_refused(tmp_path: Path) -> None:
    config = load_config(write_repo(tmp_path, days=5))
    with pytest.raises(DataError) as caught:
        compact(config, 1, NOW)
    assert str(caught.value) == (
        "upwatch: --keep-days must be at least 2: yesterday and today stay day files"
    )


def test_the_day_the_48_hour_view_reaches_stays_raw(tmp_path: Path) -> None:
    config = load_config(write_repo(tmp_path, days=5))
    result = compact(config, 2, NOW)
    assert result.days == (date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20))
    assert (tmp_path / "data/2026-11-21.csv").exists()


def test_rollup_rows_hold_the_day_figures(tmp_path: Path) -> None:
    config = write_repo(tmp_path, days=0)
    append_samples(
        tmp_path / "data",
        [
            Sample(datetime(2026, 11, 2, 1, tzinfo=UTC), "db", "ci", "up", 30),
            Sample(datetime(2026, 11, 2, 3, tzinfo=UTC), "db", "ci", "down", None),
            Sample(datetime(2026, 11, 2, 5, tzinfo=UTC), "db", "ci", "degraded", 2500),
            Sample(datetime(2026, 11, 2, 5, tzinfo=UTC), "api", "ci", "up", 80, 200, "ok"),
        ],
    )
    compact(load_config(config), 3, NOW)
    assert (tmp_path / "data/rollup/2026-11.csv").read_text(encoding="utf-8") == (
        "day,monitor,up,degraded,down,maintenance,ms_count,ms_sum,ms_p50,ms_p95,size,windows,"
        "first,first_down,runs,kinds\n"
        # no source: the day file is gone; spans: the first counted sample, no down run (the
        # 03:00 one is in maintenance), the kind of the degraded sample
        "2026-11-02,api,1,0,0,0,1,80,80,80,,,18000,0,,\n"
        "2026-11-02,db,1,1,0,1,2,2530,30,2500,,,3600,0,,slow:1\n"
    )
    assert (tmp_path / "data/rollup/latest.csv").read_text(encoding="utf-8") == (
        "time,monitor,location,status,ms,code,kind,detail\n"
        "2026-11-02T05:00:00Z,api,ci,up,80,200,,ok\n"
        "2026-11-02T05:00:00Z,db,ci,degraded,2500,,slow,\n"
    )


def test_the_maintenance_split_is_kept_as_known_at_compaction(tmp_path: Path) -> None:
    config = write_repo(tmp_path, days=30)
    compact(load_config(config), 3, NOW)
    (tmp_path / "incidents/2026-11-02-database-upgrade.md").unlink()
    stats = load_history(tmp_path / "data", NOW, {}).days["db"][date(2026, 11, 2)]
    assert stats.maintenance == 4  # 02:00, 02:30, 03:00 and 03:30 stay maintenance


def test_a_raw_day_file_wins_over_its_rollup_rows(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old_day = date(2026, 11, 2)
    rollup.write_days(data, {old_day: {"api": DayStats(up=5), "db": DayStats(down=1)}})
    append_samples(data, [Sample(datetime(2026, 11, 2, 9, tzinfo=UTC), "api", "ci", "down")])
    assert load_history(data, NOW, {}).days == {"api": {old_day: DayStats(down=1)}}


def test_day_rows_older_than_400_days_fold_into_months(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stats = {
        date(2025, 9, 1): {"api": DayStats(2, 1, 1, 0, 3, 300, 90, 120)},
        date(2025, 9, 30): {"api": DayStats(1, 0, 0, 1, 2, 50, 20, 30)},
        date(2025, 10, 20): {"api": DayStats(1)},
    }
    rollup.write_days(data, stats)
    assert compacting.fold_months(data, NOW.date() - timedelta(days=400)) == ((2025, 9),)
    assert compacting.fold_months(data, NOW.date() - timedelta(days=400)) == ()
    assert (data / "rollup/months.csv").read_text(encoding="utf-8") == (
        "month,monitor,up,degraded,down,maintenance,ms_count,ms_sum,days\n"
        f"2025-09,api,3,1,1,1,5,350,{1 + (1 << 29)}\n"
    )
    assert sorted(rollup.month_files(data)) == [(2025, 10)]


def test_folding_a_month_again_adds_each_day_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = NOW.date() - timedelta(days=400)
    rollup.write_days(data, {date(2025, 9, 1): {"api": DayStats(2)}})
    kept = (data / "rollup/2025-09.csv").read_bytes()
    compacting.fold_months(data, before)
    (data / "rollup/2025-09.csv").write_bytes(kept)  # as if a crash came before its removal
    rollup.write_days(data, {date(2025, 9, 2): {"api": DayStats(0, 0, 3)}})  # and a late day
    compacting.fold_months(data, before)
    assert compacting.read_months(data / "rollup/months.csv") == {
        ((2025, 9), "api"): (2, 0, 3, 0, 0, 0, 0b11)
    }


# --- a rollup row for every finished day, and when it is stale ----------------------------

DB_WINDOW = (datetime(2026, 11, 2, 2, tzinfo=UTC), datetime(2026, 11, 2, 4, tzinfo=UTC))


def raw_only(data: Path, copy: Path) -> Path:
    """The same day files without any rollup: what a build reads from raw files alone."""
    shutil.copytree(data, copy, ignore=shutil.ignore_patterns("rollup"))
    return copy


def rows_of(data: Path, day: str) -> list[str]:
    month = (data / f"rollup/{day[:7]}.csv").read_text(encoding="utf-8")
    return [line for line in month.splitlines() if line.startswith(day)]


def test_every_file_of_the_site_is_identical_with_rollups_of_every_finished_day(
    tmp_path: Path,
) -> None:
    config = write_repo(tmp_path)
    run("build", "--config", str(config), "--now", WHEN, "--out", str(tmp_path / "before"))
    written = rollup.roll_finished(tmp_path / "data", NOW, {"db": [DB_WINDOW]})
    run("build", "--config", str(config), "--now", WHEN, "--out", str(tmp_path / "after"))
    assert [p.name for p in written] == ["2026-10.csv", "2026-11.csv"]
    assert len(rows_of(tmp_path / "data", "2026-11-22")) == 2  # yesterday too (`old` stopped)
    assert rows_of(tmp_path / "data", "2026-11-23") == []  # today is not finished
    assert files(tmp_path / "after") == files(tmp_path / "before")
    assert rollup.roll_finished(tmp_path / "data", NOW, {"db": [DB_WINDOW]}) == []  # all fresh


def test_a_day_file_grown_after_its_rollup_is_counted_raw_and_rolled_again(
    tmp_path: Path,
) -> None:
    config = write_repo(tmp_path)
    data = tmp_path / "data"
    rollup.roll_finished(data, NOW, {"db": [DB_WINDOW]})
    before = rows_of(data, "2026-11-10")
    late = [Sample(datetime(2026, 11, 10, 23, 59, 30, tzinfo=UTC), "api", "eu", "down", 9000)]
    append_samples(data, late)  # a shard's push that a union merge brought in late
    raw = raw_only(data, tmp_path / "raw")
    assert history(config) == load_history(raw, NOW, history_windows())
    assert history(config).days["api"][date(2026, 11, 10)].down == (
        load_history(raw, NOW, {}).days["api"][date(2026, 11, 10)].down
    )
    # The next compact (or probe) rewrites that day's rows, and only that day's.
    result = compact(load_config(config), 60, NOW)
    assert result.days == ()
    after = rows_of(data, "2026-11-10")
    assert after != before and len(after) == len(before)
    size = (data / "2026-11-10.csv").stat().st_size
    assert all(line.split(",")[10] == str(size) for line in after)
    assert rows_of(data, "2026-11-09") == rows_of(raw_rolled(raw), "2026-11-09")
    assert history(config) == load_history(raw, NOW, history_windows())


def raw_rolled(raw: Path) -> Path:
    rollup.roll_finished(raw, NOW, history_windows())
    return raw


def history_windows() -> dict[str, list[tuple[datetime, datetime]]]:
    return {"db": [DB_WINDOW]}


def test_a_window_added_after_the_rollup_counts_while_the_raw_file_exists(
    tmp_path: Path,
) -> None:
    config = write_repo(tmp_path)
    data = tmp_path / "data"
    rollup.roll_finished(data, NOW, {})  # before the maintenance file was written
    day = date(2026, 11, 2)
    assert history(config).days["db"][day].maintenance == 4  # 02:00 to 03:30 every 30 min
    assert load_history(data, NOW, {}).days["db"][day].maintenance == 0
    written = compact(load_config(config), 60, NOW)  # reads the incident files as they are
    assert written == compacting.CompactResult()
    assert (
        rows_of(data, "2026-11-02")[1].split(",")[11]
        == (hashlib.sha1(b"2026-11-02T02:00:00Z/2026-11-02T04:00:00Z").hexdigest()[:12])
    )
    assert history(config) == load_history(raw_only(data, tmp_path / "raw"), NOW, history_windows())


def test_two_rewrites_of_a_day_row_union_merged_are_read_as_the_newer(tmp_path: Path) -> None:
    data = tmp_path / "data"
    append_samples(data, [Sample(datetime(2026, 11, 2, 9, tzinfo=UTC), "api", "ci", "down")])
    size = (data / "2026-11-02.csv").stat().st_size
    (data / "rollup").mkdir()
    (data / "rollup/2026-11.csv").write_text(
        "day,monitor,up,degraded,down,maintenance,ms_count,ms_sum,ms_p50,ms_p95,size,windows\n"
        f"2026-11-02,api,0,0,1,0,0,0,,,{size},\n"
        "2026-11-02,api,5,0,0,0,0,0,,,10,\n"  # counted from the file when it was shorter
        f"2026-11-02,api,0,0,1,0,0,0,,,{size},\n",  # the same row from both sides
        encoding="utf-8",
    )
    (data / "2026-11-02.csv").unlink()  # compacted: only the rows are left
    assert load_history(data, NOW, {}).days == {"api": {date(2026, 11, 2): DayStats(down=1)}}
    assert compacting.check_rollups(data) == []


def test_a_fresh_rollup_is_what_the_build_reads(tmp_path: Path) -> None:
    """Not the raw file: a rollup row that matches it stands for it (so a build is fast)."""
    data = tmp_path / "data"
    append_samples(data, [Sample(datetime(2026, 11, 2, 9, tzinfo=UTC), "api", "ci", "down")])
    rollup.roll_finished(data, NOW, {})
    month = data / "rollup/2026-11.csv"
    month.write_text(month.read_text(encoding="utf-8").replace(",0,0,1,", ",0,1,0,"))
    assert load_history(data, NOW, {}).days == {"api": {date(2026, 11, 2): DayStats(degraded=1)}}
