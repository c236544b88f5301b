"""What reliability figures need of one monitor's day: its down runs and its failure kinds (pure).

A day's counted samples (maintenance left out, as in tally.py) reduce to a DaySpans:

    first   seconds after midnight of the day's first counted sample (None: none that day)
    first_down   whether that sample was down (an outage of the day before goes on)
    runs    each run of down samples: (start, last, end) in seconds after midnight; `end` is
            the next counted sample, or `last` + STANDS_FOR when that comes later or never
            that day; None for a run still going at the day's last sample (the next day's
            first sample, or STANDS_FOR, ends it: reliability.outages stitches days)
    kinds   failure kind -> degraded and down samples of that kind

A sample stands for the time until the next one, at most STANDS_FOR: hours without samples
are no data, neither up nor down. A day's DaySpans is kept in its rollup row (rollup.py), so
every figure made from it is the same before and after `upwatch compact`.

Text form in a rollup row: first `300` (empty: None), first_down `1`/`0`, runs
`300-600-900;85800-86100-` (an empty end: None), kinds `timeout:3 http_5xx:2`.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress

from .samples import FAILURE_KINDS, derive_kind
from .tally import Columns, DayStats, Picked, WindowText, monitor_stats, pick, runs

STANDS_FOR = 30 * 60  # seconds a sample stands for at most: a probe runs every 5 minutes

Run = tuple[int, int, int | None]  # start, last down sample, end (None: open at day's end)


@dataclass(frozen=True, slots=True)
class DaySpans:
    """One monitor's down runs and failure kinds of one UTC day (see the module docstring)."""

    first: int | None = None
    first_down: bool = False
    runs: tuple[Run, ...] = ()
    kinds: tuple[tuple[str, int], ...] = ()  # in FAILURE_KINDS order, counts above zero


def seconds(t: str) -> int:
    """Seconds after midnight of a data-file time ('2026-11-23T10:05:00Z' -> 36300)."""
    return int(t[11:13]) * 3600 + int(t[14:16]) * 60 + int(t[17:19])


def reduce_day(
    times: Sequence[str],
    statuses: Sequence[str],
    kinds: Sequence[str],
    windows: Sequence[tuple[str, str]] = (),
) -> DaySpans:
    """The DaySpans of one monitor's rows of one day (times as data-file text, any order)."""
    if windows:
        keep = [i for i, t in enumerate(times) if not any(s <= t < e for s, e in windows)]
        times, statuses, kinds = ([c[i] for i in keep] for c in (times, statuses, kinds))
    if not times:
        return DaySpans()
    first = seconds(min(times))
    found = Counter(kinds[i] for i in failing(statuses))
    if not found:
        return DaySpans(first)
    kind_counts = tuple((k, found[k]) for k in FAILURE_KINDS if found[k])
    if "down" not in statuses:
        return DaySpans(first, False, (), kind_counts)
    order = sorted(range(len(times)), key=times.__getitem__)  # in time order (mostly already)
    ordered = [statuses[i] for i in order]
    # A run needs its down points and the point after each: the others change nothing.
    downs = list(compress(range(len(ordered)), map("down".__eq__, ordered)))
    near = sorted({*downs, *(k + 1 for k in downs if k + 1 < len(ordered))})
    runs = tuple(down_runs((seconds(times[order[k]]), ordered[k]) for k in near))
    return DaySpans(first, ordered[0] == "down", runs, kind_counts)


def down_runs(points: Iterable[tuple[int, str]]) -> list[Run]:
    """The runs of down samples among (seconds, status) points in time order."""
    runs: list[Run] = []
    start = last = -1
    for t, status in points:
        if start >= 0 and t - last > STANDS_FOR:  # no data in between: the run ended unseen
            runs.append((start, last, last + STANDS_FOR))
            start = -1
        if status == "down":
            start = t if start < 0 else start
            last = t
        elif start >= 0:
            runs.append((start, last, t))
            start = -1
    if start >= 0:
        runs.append((start, last, None))
    return runs


def count_day(
    columns: Columns, windows: WindowText
) -> tuple[dict[str, DayStats], dict[str, DaySpans]]:
    """Each monitor's DayStats (tally.count) and DaySpans of one day file's rows, at once.

    A build reduces 2.6 M rows for 100 monitors x 90 days: each monitor's rows are found
    once for both, and one without a down row or a maintenance window is not walked row by
    row (the kinds of its failing rows are counted in one pass over the file's).
    """
    stats: dict[str, DayStats] = {}
    spans: dict[str, DaySpans] = {}
    if not columns:
        return stats, spans
    kinds = _failing_kinds(columns)
    for monitor, picked in sorted(runs(columns.monitor).items()):
        times, statuses = pick(columns.time, picked), pick(columns.status, picked)
        mine = windows.get(monitor, ())
        found = stats[monitor] = monitor_stats(times, statuses, pick(columns.ms, picked), mine)
        if mine or found.down:
            spans[monitor] = reduce_day(times, statuses, _kinds(columns, picked, statuses), mine)
        else:
            counts = kinds.get(monitor, {})
            ordered = tuple((k, counts[k]) for k in FAILURE_KINDS if k in counts)
            spans[monitor] = DaySpans(seconds(min(times)), False, (), ordered)
    return stats, spans


def _failing_kinds(columns: Columns) -> dict[str, dict[str, int]]:
    """monitor -> failure kind -> its rows of the day that are not up (found by search:
    a few among many)."""
    found: dict[str, dict[str, int]] = {}
    for n in [*positions(columns.status, "degraded"), *positions(columns.status, "down")]:
        counts = found.setdefault(columns.monitor[n], {})
        kind = _kind_at(columns, n)
        counts[kind] = counts.get(kind, 0) + 1
    return found


def positions(values: Sequence[str], wanted: str) -> list[int]:
    """Where `wanted` stands in values."""
    found: list[int] = []
    at = -1
    try:
        while True:
            at = values.index(wanted, at + 1)
            found.append(at)
    except ValueError:
        return found


def _kind_at(columns: Columns, n: int) -> str:
    """The kind of row n: as written, or derived for a file without the column."""
    if columns.kind and columns.kind[n]:
        return columns.kind[n]
    return derive_kind(columns.status[n], columns.code[n], columns.detail[n])


def failing(statuses: Sequence[str]) -> list[int]:
    """Where the rows that are not up are (found without a Python step per row)."""
    return list(compress(range(len(statuses)), map("up".__ne__, statuses)))


def _kinds(columns: Columns, picked: Picked, statuses: Sequence[str]) -> Sequence[str]:
    """The kinds of a monitor's rows: as written, or derived for a file without the column
    (only the failing rows need one)."""
    kinds = list(pick(columns.kind, picked)) if columns.kind else [""] * len(statuses)
    missing = [i for i in failing(statuses) if not kinds[i]]
    if missing:
        codes, details = pick(columns.code, picked), pick(columns.detail, picked)
        for i in missing:
            kinds[i] = derive_kind(statuses[i], codes[i], details[i])
    return kinds


# --- text form in rollup rows ---


def spans_fields(spans: DaySpans) -> tuple[str, str, str, str]:
    """The four rollup fields of a DaySpans: first, first_down, runs, kinds."""
    runs = ";".join(f"{s}-{last}-{'' if e is None else e}" for s, last, e in spans.runs)
    kinds = " ".join(f"{k}:{n}" for k, n in spans.kinds)
    first = "" if spans.first is None else str(spans.first)
    return first, "1" if spans.first_down else "0", runs, kinds


@functools.lru_cache(maxsize=4096)  # most days of most monitors read alike
def parse_spans(first: str, first_down: str, runs: str, kinds: str) -> DaySpans:
    """A DaySpans from its rollup fields; ValueError when they are damaged."""
    parsed: list[Run] = []
    for part in filter(None, runs.split(";")):
        start, last, end = part.split("-")
        parsed.append((int(start), int(last), int(end) if end else None))
    counts = []
    for part in kinds.split():
        kind, _, n = part.partition(":")
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        counts.append((kind, int(n)))
    if first_down not in ("0", "1"):
        raise ValueError(first_down)
    return DaySpans(int(first) if first else None, first_down == "1", tuple(parsed), tuple(counts))
