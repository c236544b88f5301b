"""`upwatch compact`: roll day files older than --keep-days into rollups.

read the incident files for their maintenance windows (samples in them count neither way)
-> let the store roll the old days and drop their files from the tree (git history keeps them).
"""

from __future__ import annotations

from datetime import datetime

from .. import incidents, store
from ..config.read import Config


def compact(config: Config, keep_days: int, now: datetime) -> store.CompactResult:
    """Roll the config's old day files into rollups; return what was rolled."""
    windows = incidents.maintenance_windows(incidents.load(config, strict=False))
    return store.compact(config.data_dir, keep_days, now, windows)
