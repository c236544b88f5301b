"""The sent log, data/notified.log: which channel was told of which event, so each is told once.

One line per step, appended: `<time> <state> <channel> <event key>`, states `claimed` (a run
is about to send; its commit landed first, so two racing runs cannot both claim),
`sent`, `failed` (retried by later runs for RETRY_FOR) and `given-up`. It holds no incident
truth: only event keys, which the incident files make (events.py). Lines older than KEEP
are dropped when it is written, so the file stays small.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..store import write_atomic
from ..times import format_time, parse_time

FILE_NAME = "notified.log"
STATES = ("claimed", "sent", "failed", "given-up")
RETRY_FOR = timedelta(hours=1)  # a failed delivery is tried again on later runs this long
CLAIM_TTL = timedelta(minutes=10)  # a claim with no outcome this old: its run was killed
KEEP = timedelta(days=14)  # lines kept; events older than NEWEST are not sent at all
NEWEST = timedelta(days=7)


@dataclass(frozen=True)
class Entry:
    time: datetime
    state: str
    channel: str
    key: str

    def line(self) -> str:
        return f"{format_time(self.time)} {self.state} {self.channel} {self.key}"


@dataclass(frozen=True)
class Standing:
    """Where one (channel, event key) stands: its first claim and its latest step."""

    first: datetime
    last: Entry


def path_of(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def read(data_dir: Path) -> list[Entry]:
    """The log's entries; a line it cannot read is skipped (a person's stray edit)."""
    try:
        text = path_of(data_dir).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    entries = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 4 or parts[1] not in STATES:
            continue
        try:
            entries.append(Entry(parse_time(parts[0]), parts[1], parts[2], parts[3]))
        except ValueError:
            continue
    return entries


def append(data_dir: Path, new: Iterable[Entry], now: datetime) -> None:
    """Add entries, dropping those older than KEEP; written whole, so a crash leaves one or the other."""
    kept = [e for e in read(data_dir) if now - e.time <= KEEP]
    lines = [e.line() for e in sorted([*kept, *new], key=lambda e: e.time)]
    write_atomic(path_of(data_dir), "".join(f"{line}\n" for line in dict.fromkeys(lines)))


def standings(entries: Iterable[Entry]) -> dict[tuple[str, str], Standing]:
    """Each (channel, key) with its first time and latest entry."""
    found: dict[tuple[str, str], Standing] = {}
    for entry in sorted(entries, key=lambda e: (e.time, STATES.index(e.state))):
        pair = (entry.channel, entry.key)
        first = found[pair].first if pair in found else entry.time
        found[pair] = Standing(first, entry)
    return found


def taken(standing: Standing | None, now: datetime) -> bool:
    """Whether an event needs nothing from this run: sent, given up, or claimed just now."""
    if standing is None:
        return False
    last = standing.last
    if last.state in ("sent", "given-up"):
        return True
    return last.state == "claimed" and now - last.time < CLAIM_TTL


def retries(entries: Iterable[Entry], now: datetime) -> tuple[list[Entry], list[Entry]]:
    """(to try again, to give up): failed or abandoned deliveries, by the age of their first try."""
    again: list[Entry] = []
    give_up: list[Entry] = []
    for standing in standings(entries).values():
        if taken(standing, now):
            continue
        (again if now - standing.first < RETRY_FOR else give_up).append(standing.last)
    return again, give_up
