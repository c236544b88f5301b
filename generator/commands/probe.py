"""`upwatch probe`: the one probe recipe, used by the CLI, the demo and the benchmarks.

select the monitors (--only, --shard) -> check them -> record the run: append the samples
and take the incident decisions from the samples and incident files on disk, as one git
commit when asked (publish re-applies the same record step on top of a fetched branch).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from .. import incidents, store
from ..config.read import Config
from ..errors import UpwatchError, display_path
from ..probe import engine as probing
from .init import EXAMPLE_MARKER, marker_line

if TYPE_CHECKING:  # notify (and apprise, git, markdown) is loaded only by runs with channels
    from .notify import NotifyRun

log = logging.getLogger("upwatch")
# A job summary holds at most 1 MiB: above this many monitors it lists only those not up.
STEP_SUMMARY_ROWS = 1000
# Markdown that a probed endpoint's words could otherwise start: emphasis, code, links, cells.
MARKDOWN_RE = re.compile(r"[\\`*_\[\]|~<>#!&]")


@dataclass(frozen=True)
class ProbeRun:
    """What one probe run measured and changed."""

    samples: list[store.Sample]
    changes: list[incidents.Change]
    skipped: tuple[str, ...] = ()  # why nothing was probed (the shipped example config)
    notified: NotifyRun | None = None  # what --push told the notification channels

    def summary_lines(self) -> list[str]:
        """The run in a few lines for people; the last one sums it up."""
        if self.skipped:
            return list(self.skipped)
        told = self.notified.summary_lines()[-1:] if self.notified else []
        lines = probing.summary_lines(self.samples, self.changes)
        return [*lines[:-1], *told, lines[-1]] if lines else told


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
    example = marker_line(config.path)
    if example is not None and (commit or push):
        return skip_example(config, example)
    if example is not None:
        log.warning(
            "%s:%d: this is still the example configuration; probing anyway, but a run with"
            " --commit or --push records nothing until `upwatch init` replaces it",
            display_path(config.path),
            example,
        )
    monitors = probing.select(config, only, shard)
    samples = probing.run(config, monitors, now, location or default_location())
    ids = [m.id for m in monitors]
    changes, since = record_landed(config, samples, now, ids, commit=commit or push, push=push)
    run = ProbeRun(samples, changes)
    github_file("GITHUB_STEP_SUMMARY", step_summary(run))
    if config.notify:
        run = replace(run, notified=tell(config, changes, since, now))
    return run


def tell(
    config: Config, changes: list[incidents.Change], since: str | None, now: datetime
) -> NotifyRun | None:
    """Notify of what this run's landed commit decided; without a push, only say what it would."""
    from .notify import notify, would_send

    if since is None:
        for line in would_send(config, changes, now):
            log.debug("%s", line)
        return None
    try:
        return notify(config, since, now)
    except UpwatchError as exc:  # a notifier never fails the probe: the next run tries again
        log.warning("notify: %s", exc.format_message())
        return None


def step_summary(run: ProbeRun) -> str:
    """The run as a Markdown table for the job summary, then its totals line."""
    rows = run.samples
    if len(rows) > STEP_SUMMARY_ROWS:
        rows = [s for s in rows if s.status != "up"]
    lines = [
        "## upwatch probe",
        "",
        "| monitor | status | ms | detail |",
        "| --- | --- | ---: | --- |",
    ]
    for s in rows:
        ms = "" if s.ms is None else str(s.ms)
        detail = s.detail or str(s.code or "")  # masked when the sample was made
        lines.append(f"| {_cell(s.monitor)} | {s.status} | {ms} | {_cell(detail)} |")
    if len(rows) < len(run.samples):
        lines.append(f"\n{len(run.samples) - len(rows)} monitors up, not listed.")
    return "\n".join([*lines, "", _cell(run.summary_lines()[-1])])


def _cell(text: str) -> str:
    """Text as it reads, on one line, in a Markdown table cell."""
    return MARKDOWN_RE.sub(r"\\\g<0>", " ".join(text.split()))


def skip_example(config: Config, line: int) -> ProbeRun:
    """A committing run on the shipped example records nothing: it would probe strangers."""
    where = f"{display_path(config.path)}:{line}"
    lines = (
        f"{where}: this is still the shipped example configuration (the {EXAMPLE_MARKER!r}"
        " line), so nothing was probed, recorded or committed.",
        'Run "upwatch init URL ..." (or edit status.yml and delete that line), then commit'
        " and push it; the next scheduled run probes your own monitors.",
    )
    github_file("GITHUB_STEP_SUMMARY", "\n\n".join(("## upwatch probe: skipped", *lines)))
    github_file("GITHUB_OUTPUT", "example=true")
    return ProbeRun([], [], lines)


def github_file(variable: str, text: str) -> None:
    """Append a block to the file GitHub Actions names in `variable`, when it is set."""
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text + "\n")


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
    return record_landed(config, samples, now, monitor_ids, commit, push)[0]


def record_landed(
    config: Config,
    samples: list[store.Sample],
    now: datetime,
    monitor_ids: Sequence[str],
    commit: bool = False,
    push: bool = False,
) -> tuple[list[incidents.Change], str | None]:
    """`record`, and with push the commit the run's own commit landed on (None without push)."""
    ids = list(monitor_ids)

    def apply() -> list[incidents.Change]:
        store.append_samples(config.data_dir, samples)
        windows = incidents.maintenance_windows(incidents.load(config, strict=False))
        store.roll_finished(config.data_dir, now, windows)  # once a day: yesterday's rollup
        return incidents.update(config, now, ids)

    if not commit:
        return apply(), None
    from .. import publish  # git is only loaded by runs that commit

    landed = publish.record_landed(config, samples, apply, push=push)
    return landed.changes, landed.since if push else None
