"""Making a site's files on two cores: a forked process makes about half of them, by cost.

A build of 100 monitors spends most of its rendering on their pages and JSON. Each part of
the work says what it costs (a monitor page is 1) and makes some files; with enough work
and two cores, a forked process makes one share and sends its files back through a pipe,
while this one makes the other. Should the fork fail, this process makes its share too, so
an error is reported here, once. The files come back in the parts' order, whoever made them.
`ahead` makes one value the same way (the build's reliability figures, while it summarizes).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from .model import Files

PARALLEL_FROM = 60  # cost: less work is done faster than a second process starts
T = TypeVar("T")


@dataclass(frozen=True)
class Part:
    """Some files of the site and what making them costs beside a monitor page."""

    cost: float
    make: Callable[[], Files]


def made(parts: Sequence[Part]) -> Files:
    """Every part's files, in the parts' order."""
    small = sum(p.cost for p in parts) < PARALLEL_FROM
    if small or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return _joined(parts, {n: p.make() for n, p in enumerate(parts)})
    mine, theirs = split([p.cost for p in parts])
    fork = _start(lambda: {n: parts[n].make() for n in theirs})
    try:
        found = {n: parts[n].make() for n in mine}
    finally:
        sent = _collect(*fork)
    found.update(sent if sent is not None else {n: parts[n].make() for n in theirs})
    return _joined(parts, found)


def ahead(make: Callable[[], T]) -> Callable[[], T]:
    """Start making a value in a forked process while this one goes on; the function returned
    waits for it (and makes it here should the fork fail, so an error is reported here)."""
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        value = make()
        return lambda: value
    fork = _start(make)

    def result() -> T:
        sent = _collect(*fork)
        return cast("T", sent) if sent is not None else make()

    return result


def _start(make: Callable[[], object]) -> tuple[int, int]:
    """A forked process making a value and sending it through a pipe: its pid, the pipe's end."""
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the fork: make, send, and leave without running the parent's exit code
        code = 1
        try:
            os.close(reading)
            with os.fdopen(writing, "wb") as out:
                pickle.dump(make(), out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(writing)
    return pid, reading


def _collect(pid: int, reading: int) -> Any:
    """What a fork of _start sent, or None when it failed; the fork is waited for."""
    with os.fdopen(reading, "rb") as received:
        data = received.read()
    _, status = os.waitpid(pid, 0)
    return pickle.loads(data) if status == 0 and data else None


def split(costs: Sequence[float]) -> tuple[list[int], list[int]]:
    """The parts' numbers in two shares of about equal cost: this process's, then the
    fork's, which takes the costliest parts first (this one also reads what the fork sends)."""
    shares: tuple[list[int], list[int]] = ([], [])
    totals = [0.0, 0.0]
    for n in sorted(range(len(costs)), key=lambda n: -costs[n]):
        side = 1 if totals[1] <= totals[0] else 0
        shares[side].append(n)
        totals[side] += costs[n]
    return sorted(shares[0]), sorted(shares[1])


def _joined(parts: Sequence[Part], found: dict[int, Files]) -> Files:
    files: Files = {}
    for n in range(len(parts)):
        files.update(found[n])
    return files
