"""Upptime's records as upwatch's imported spans: each status holds until the next record.

A site's own history file is history/<its slug>.yml. A file no site has by slug belongs to
the site with the same url, if exactly one has it: a renamed site (Upptime starts a new file
under the new slug), joined as that site's earlier history. Any other file belongs to a site
no longer in .upptimerc.yml: not imported, and listed. A file deleted and written again (by
Upptime's template updates) leaves no gap: a deletion is no record, the status holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ...store.imported import Span
from .history import Log, Record
from .rcfile import SiteMap

LOCATION = "upptime"


@dataclass
class Imported:
    """One monitor's imported history."""

    files: list[str]  # history/<slug>.yml files it came from
    records: int
    first: datetime | None
    end: datetime | None
    by_commit: int  # records dated by their commit (lastUpdated unreadable)


@dataclass
class Timeline:
    spans: list[Span]
    monitors: dict[str, Imported]
    not_imported: list[str] = field(default_factory=list)


def timeline(monitors: list[SiteMap], log: Log) -> Timeline:
    """Every configured monitor's spans, and the history files left out."""
    owners: dict[str, SiteMap] = {m.slug: m for m in monitors if m.slug in log.records}
    joined: dict[str, list[str]] = {}
    left_out = []
    for slug in sorted(log.records):
        if slug in owners:
            continue
        urls = {r.url for r in log.records[slug]}
        heirs = [m for m in monitors if m.url in urls]
        if len(heirs) == 1:
            joined.setdefault(heirs[0].id, []).append(slug)
        else:
            why = "several sites have its url" if heirs else "no site has this slug or url"
            left_out.append(f"history/{slug}.yml: {why} (a removed site?); not imported")
    spans: list[Span] = []
    imported: dict[str, Imported] = {}
    for monitor in monitors:
        slugs = [monitor.slug] if monitor.slug in owners else []
        slugs = sorted(joined.get(monitor.id, [])) + slugs
        if not slugs:
            continue
        records = combined(log, slugs, monitor.slug in owners)
        mine = spans_of(monitor.id, records, log.last)
        spans += mine
        imported[monitor.id] = Imported(
            [f"history/{s}.yml" for s in slugs],
            len(records),
            records[0].time if records else None,
            mine[-1].end if mine else None,
            sum(r.dated_by_commit for r in records),
        )
    return Timeline(spans, imported, left_out)


def combined(log: Log, slugs: list[str], owned: bool) -> list[Record]:
    """The records of these files in time order; the site's own file wins from its first record."""
    own = log.records[slugs[-1]] if owned else []
    start = own[0].time if own else None
    records = [r for s in (slugs[:-1] if owned else slugs) for r in log.records[s]]
    records = [r for r in records if start is None or r.time < start] + own
    by_time = {r.time: r for r in sorted(records, key=lambda r: r.time)}
    return [by_time[t] for t in sorted(by_time)]


def spans_of(monitor: str, records: list[Record], last: datetime | None) -> list[Span]:
    """Each record's status from its time to the next record's (the last one to `last`)."""
    spans = []
    for i, record in enumerate(records):
        end = records[i + 1].time if i + 1 < len(records) else last
        if end is None or end <= record.time:
            continue
        ms = record.ms if record.ms else None  # Upptime writes 0 when it measured nothing
        code = record.code if record.code else None
        spans.append(Span(monitor, LOCATION, record.time, end, record.status, ms, code))
    return spans
