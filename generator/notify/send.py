"""Deliveries through apprise, each bounded by a deadline, and URL checks that send nothing.

apprise is imported here only, when something is sent or checked: a run with nothing to
tell does not pay for loading its plugins.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config.read import Masker

log = logging.getLogger(__name__)
DEADLINE = 10.0  # seconds a delivery may take; a hanging service costs at most this


@dataclass(frozen=True)
class Delivery:
    """One message for one channel's URL."""

    channel: str
    url: str
    title: str
    body: str


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    ok: bool
    reason: str = ""  # why it failed, secrets masked


def _apprise() -> Any:
    import apprise  # lazily: see the module docstring

    logging.getLogger("apprise").setLevel(logging.WARNING)
    # Its plugins load on first use; loaded here, before any thread, they load once.
    manager: Any = apprise.NotificationManager  # untyped in apprise
    manager().load_modules()
    return apprise


def url_problem(url: str, masker: Masker) -> str | None:
    """Why apprise cannot use a URL (unknown scheme, missing token), or None; nothing is sent."""
    apprise = _apprise()
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as out:
        plugin = apprise.Apprise.instantiate(url)
    if plugin is not None:
        return None
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in apprise.NotificationManager().schemas():
        return f"apprise knows no {scheme!r} service (see the apprise wiki for URL forms)"
    said = [line for line in out.getvalue().splitlines() if line and "Could not load" not in line]
    return masker(said[0] if said else "apprise cannot read this URL")


def deliver(
    deliveries: Sequence[Delivery], masker: Masker, deadline: float | None = None
) -> list[Outcome]:
    """Send every delivery at once, each in its own thread; one not done by the deadline failed."""
    if not deliveries:
        return []
    apprise = _apprise()
    limit = DEADLINE if deadline is None else deadline
    results: dict[int, Outcome] = {}
    said = _Said()
    library = logging.getLogger("apprise")
    library.addHandler(said)
    library.propagate = False  # its lines hold URLs: they reach people only as reasons, masked
    threads = [
        threading.Thread(target=_send, args=(apprise, d, masker, said, results, n), daemon=True)
        for n, d in enumerate(deliveries)
    ]
    for thread in threads:
        thread.start()
    ends = time.monotonic() + limit  # they run together: the whole wait is one deadline
    for thread in threads:
        thread.join(timeout=max(0.0, ends - time.monotonic()))
    library.removeHandler(said)
    late = f"no answer within {limit:g} s"
    return [results.get(n, Outcome(d, False, late)) for n, d in enumerate(deliveries)]


class _Said(logging.Handler):
    """What apprise logs, by the thread that logged it, so each delivery gets its own reason."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: dict[int, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.setdefault(record.thread or 0, []).append(record.getMessage())


def _send(
    apprise: Any,
    delivery: Delivery,
    masker: Masker,
    said: _Said,
    results: dict[int, Outcome],
    n: int,
) -> None:
    """One delivery; its result lands in results[n] (a daemon thread: a hang ends with the run)."""
    try:
        # The service's plugin itself, not an Apprise() set: it sends in this thread, so what
        # it logs is this delivery's (a set hands the work to a shared pool).
        plugin = apprise.Apprise.instantiate(delivery.url)
        if plugin is None:
            results[n] = Outcome(delivery, False, "apprise cannot read this URL")
            return
        ok = plugin.notify(
            title=delivery.title, body=delivery.body, body_format=apprise.NotifyFormat.TEXT
        )
    except Exception as exc:  # a plugin's own bug must not end the run: the delivery failed
        ok, said.lines[threading.get_ident()] = False, [f"{type(exc).__name__}: {exc}"]
    lines = said.lines.get(threading.get_ident(), [])
    reason = "" if ok else masker(lines[-1] if lines else "the service refused it")
    results[n] = Outcome(delivery, bool(ok), reason)
