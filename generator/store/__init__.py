"""Keeps samples on disk.

Takes samples; gives day files, rollups and per-day tallies read back from them.
"""

from .compaction import CompactResult, check_data, compact
from .days import (
    DayStats,
    History,
    Sample,
    append_samples,
    format_time,
    log_text,
    read_recent,
    read_samples,
    write_atomic,
)
from .history import read_history
from .rollup import roll_finished

load_history = read_history  # the name callers used before the store had a package API

__all__ = [
    "CompactResult",
    "DayStats",
    "History",
    "Sample",
    "append_samples",
    "check_data",
    "compact",
    "format_time",
    "load_history",
    "log_text",
    "read_history",
    "read_recent",
    "read_samples",
    "roll_finished",
    "write_atomic",
]
