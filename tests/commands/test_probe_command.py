"""The one probe recipe: select, check, record (the CLI, the demo and bench/git_growth use it)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from generator.commands.probe import probe, record
from generator.config.read import load_config
from generator.errors import UsageError
from generator.store import Sample

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, port: int) -> Path:
    path = folder / "status.yml"
    path.write_text(
        "site:\n  title: T\nmonitors:\n"
        f"  - id: db\n    type: tcp\n    host: 127.0.0.1\n    port: {port}\n"
        "    timeout: 1\n    retries: 0\n"
        "  - id: cache\n    type: tcp\n    host: 127.0.0.1\n    port: 9\n"
        "    timeout: 1\n    retries: 0\n",
        encoding="utf-8",
    )
    return path


def test_two_down_runs_append_samples_and_open_one_incident(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, closed_port()))
    first = probe(config, T0, only=["db"], location="here")
    second = probe(config, T0 + timedelta(minutes=5), only=["db"], location="here")
    assert [s.status for s in first.samples + second.samples] == ["down", "down"]
    assert first.changes == []
    assert [(c.kind, c.monitor) for c in second.changes] == [("opened", "db")]
    rows = (tmp_path / "data" / "2026-11-23.csv").read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[:4] for r in rows[1:]] == [
        ["2026-11-23T10:00:00Z", "db", "here", "down"],
        ["2026-11-23T10:05:00Z", "db", "here", "down"],
    ]
    assert second.summary_lines()[-1] == "1 monitor: 0 up, 0 degraded, 1 down; opened 1 incident"


def test_record_takes_given_samples_without_probing(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, closed_port()))
    samples = [
        Sample(T0 + timedelta(minutes=5 * n), "cache", "x", "down", None, None, "no")
        for n in range(2)
    ]
    changes = record(config, samples, T0 + timedelta(minutes=5), ["cache"])
    assert [(c.kind, c.monitor) for c in changes] == [("opened", "cache")]
    assert len(list((tmp_path / "incidents").glob("*.md"))) == 1


def test_a_bad_shard_is_a_usage_error_before_anything_is_written(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, closed_port()))
    with pytest.raises(UsageError) as caught:
        probe(config, T0, shard="0/2")
    assert caught.value.flag == "--shard"
    assert not (tmp_path / "data").exists()
