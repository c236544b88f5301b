"""`upwatch probe`: the one probe recipe, used by the CLI, the demo and the benchmarks.

select the monitors (--only, --shard) -> check them -> record the run: append the samples
and take the incident decisions from the samples and incident files on disk, as one git
commit when asked (publish re-applies the same record step on top of a fetched branch).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .. import incidents, store
from ..config.read import Config
from ..probe import engine as probing


@dataclass(frozen=True)
class ProbeRun:
    """What one probe run measured and changed."""

    samples: list[store.Sample]
    changes: list[incidents.Change]

    def summary_lines(self) -> list[str]:
        """The run in a few lines for people; the last one sums it up."""
        return probing.summary_lines(self.samples, self.changes)


def probe(
    config: Config,
    now: datetime,
    only: Sequence[str] = (),
    shard: str | None = None,
    commit: bool = False,
    push: bool = False,
    location: str | None = None,
) -> ProbeRun:
    """Check the chosen monitors at `now`, then record what they gave."""
    monitors = probing.select(config, only, shard)
    samples = probing.run(config, monitors, now, location or default_location())
    ids = [m.id for m in monitors]
    changes = record(config, samples, now, ids, commit=commit or push, push=push)
    return ProbeRun(samples, changes)


def default_location() -> str:
    """Where this probe runs: UPWATCH_LOCATION, else "default"."""
    return os.environ.get("UPWATCH_LOCATION", "default")


def record(
    config: Config,
    samples: list[store.Sample],
    now: datetime,
    monitor_ids: Sequence[str],
    commit: bool = False,
    push: bool = False,
) -> list[incidents.Change]:
    """Append the samples and update the incidents; with commit, as one commit (pushed if asked)."""
    ids = list(monitor_ids)

    def apply() -> list[incidents.Change]:
        store.append_samples(config.data_dir, samples)
        windows = incidents.maintenance_windows(incidents.load(config, strict=False))
        store.roll_finished(config.data_dir, now, windows)  # once a day: yesterday's rollup
        return incidents.update(config, now, ids)

    if not commit:
        return apply()
    from .. import publish  # git is only loaded by runs that commit

    return publish.record(config, samples, apply, push=push)
