"""`upwatch demo`: a complete status site on built-in demo data, with no config and no network.

The recipe: start local endpoints on 127.0.0.1 (healthy, slow, flaky, down) -> write a demo
status.yml in a temporary folder -> fill 90 days of labelled demo samples through the
store (every day of the page's 90-day bars has data) -> open and resolve incidents through
the incident code at chosen times, with a maintenance window and a hand-written story -> two real probe runs against the endpoints ->
build the site -> serve it (or stop, with --no-serve).
"""

from __future__ import annotations

import http.server
import logging
import random
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .. import incidents
from ..config.read import Config, load_config
from ..site import build as site
from ..status import inside
from ..store import days as store
from ..store.days import Sample
from .probe import probe

log = logging.getLogger(__name__)

DAYS = 90  # the page's bars show 90 days: all of them carry demo data
STEP = timedelta(minutes=5)
LOCATION = "demo"
SLOW_SECONDS = 0.4
STORY = """\
**Demo incident** (made up by `upwatch demo`).

A configuration change to the API's connection pool went out at 14:05 and left too few
connections for the afternoon peak; requests failed with HTTP 503 until the change was
rolled back. We have added a load test of the pool size to the release checklist.
"""


# --- local endpoints -----------------------------------------------------------------


class _Endpoints(http.server.BaseHTTPRequestHandler):
    """Answers /healthy, /slow, /flaky (every other request fails) and /down."""

    flaky_count = 0
    lock = threading.Lock()

    def do_GET(self) -> None:
        status = 200
        if self.path == "/slow":
            time.sleep(SLOW_SECONDS)
        elif self.path == "/flaky":
            with self.lock:
                type(self).flaky_count += 1
                status = 503 if self.flaky_count % 2 else 200
        elif self.path == "/down":
            status = 503
        elif self.path != "/healthy":
            status = 404
        body = b"ok\n" if status == 200 else b"unavailable\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("demo endpoint: " + format, *args)


@contextmanager
def endpoints() -> Iterator[int]:
    """Serve the demo endpoints on 127.0.0.1 for the duration; yield the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endpoints)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def write_config(folder: Path, port: int) -> Config:
    """A demo status.yml pointing at the local endpoints."""
    base = f"http://127.0.0.1:{port}"
    text = f"""\
# Written by `upwatch demo`: every monitor below is a local demo endpoint.
site:
  title: "DEMO: Acme Status"
  description: "Demo data made up by upwatch demo on this machine, not a real service."
  timezone: UTC
defaults:
  timeout: 2
  retries: 1
  degraded_ms: 300
  slo: 99.9
monitors:
  - {{id: website, name: Website, group: Public, url: "{base}/healthy"}}
  - {{id: api, name: Public API, group: Public, url: "{base}/flaky", slo: 99.95}}
  - {{id: search, name: Search, group: Public, url: "{base}/slow"}}
  - {{id: billing, name: Billing, group: Internal, url: "{base}/down"}}
  - {{id: db, name: Database, group: Internal, type: tcp, host: 127.0.0.1, port: {port}}}
"""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "status.yml").write_text(text, encoding="utf-8")
    return load_config(folder / "status.yml")


# --- demo history --------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """The times the demo's history is built around."""

    start: datetime
    end: datetime  # the last synthetic sample; real probes follow
    api_outage: tuple[datetime, datetime]
    website_outage: tuple[datetime, datetime]
    billing_outage: tuple[datetime, datetime]
    maintenance: tuple[datetime, datetime]
    upcoming: tuple[datetime, datetime]


def plan(now: datetime) -> Story:
    """Fix every event relative to now, on the 5-minute grid."""
    grid = now.replace(minute=now.minute - now.minute % 5, second=0)
    midnight = grid.replace(hour=0, minute=0)

    def at(days_ago: int, hour: int, minute: int = 0) -> datetime:
        return midnight - timedelta(days=days_ago) + timedelta(hours=hour, minutes=minute)

    return Story(
        start=at(DAYS, 0),
        end=grid - 2 * STEP,
        api_outage=(at(9, 14, 10), at(9, 14, 55)),
        website_outage=(at(52, 3, 5), at(52, 3, 30)),
        billing_outage=(at(4, 8), at(4, 8, 20)),
        maintenance=(at(6, 2), at(6, 3)),
        upcoming=(at(-3, 2), at(-3, 2, 30)),
    )


def sample_at(monitor: str, t: datetime, story: Story, rng: random.Random) -> Sample:
    """One made-up sample (every monitor has all 90 days, so the page's bars are full)."""
    if monitor == "api" and inside([story.api_outage], t):
        return Sample(t, monitor, LOCATION, "down", 41, 503, "HTTP 503")
    if monitor == "website" and inside([story.website_outage], t):
        return Sample(t, monitor, LOCATION, "down", 2000, None, "timeout after 2 s")
    if monitor == "billing" and inside([story.billing_outage], t):
        return Sample(t, monitor, LOCATION, "down", 2000, None, "timeout after 2 s")
    if monitor == "db" and inside([story.maintenance], t):
        return Sample(t, monitor, LOCATION, "down", 1, None, "connection refused")
    base = {"website": 90, "api": 140, "search": 180, "billing": 120, "db": 3}[monitor]
    if monitor == "search" and 18 <= t.hour < 19:
        base = 450  # the evening reindex: slow but working
    ms = max(1, int(rng.gauss(base, base / 6)))
    code = None if monitor == "db" else 200
    status = "degraded" if ms > 300 else "up"
    return Sample(
        t,
        monitor,
        LOCATION,
        status,
        ms,
        code,
        f"slower than 300 ms ({ms} ms)" if status == "degraded" else "",
    )


def fill_history(config: Config, story: Story) -> int:
    """Append 90 days of demo samples through the store; return how many."""
    rng = random.Random(2026)
    ids = [m.id for m in config.monitors]
    samples = []
    t = story.start
    while t <= story.end:
        samples += [sample_at(m, t, story, rng) for m in ids]
        t += STEP
    store.append_samples(config.data_dir, samples)
    return len(samples)


def play_incidents(config: Config, story: Story) -> None:
    """Open and resolve incidents with the real incident code, as the probe would have."""
    start, end = story.maintenance
    incidents.new(
        config,
        "Database upgrade",
        monitors=["db"],
        window=(start, end),
        now=start - timedelta(days=2),
    )
    start, end = story.upcoming
    incidents.new(
        config,
        "Database failover test",
        monitors=["db"],
        window=(start, end),
        now=story.end - timedelta(hours=3),
    )
    ids = [m.id for m in config.monitors]
    for span in (story.website_outage, story.api_outage, story.billing_outage):
        t = span[0]
        while t <= span[1] + 3 * STEP:
            incidents.update(config, t, ids)
            t += STEP
    add_story(config)


def add_story(config: Config) -> None:
    """The person-written part of the API incident: a better title and the story."""
    path = next(config.incidents_dir.glob("*-public-api-is-down.md"))
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "title: Public API is down", "title: Public API errors after a configuration change", 1
    )
    text = text.replace("\n## Updates\n", f"\n{STORY}\n## Updates\n", 1)
    path.write_text(text, encoding="utf-8")


# --- the recipe ----------------------------------------------------------------------


def run(out: Path | None, serve: bool, port: int) -> Path:
    """Build the demo site into out (default: a temporary folder), then serve it unless told not to.

    The working folder (demo status.yml, data, incidents) is removed on the way out, Ctrl-C,
    SIGTERM and SIGHUP included; it stays only when it holds the one copy of a finished site
    nobody serves (--no-serve without --out).
    """
    folder = Path(tempfile.mkdtemp(prefix="upwatch-demo-"))
    keep = False
    target = out or folder / "site"
    try:
        with exit_on_signals():
            server = site.start_server(target, port) if serve else None  # a busy port stops first
            config = make_site(folder, target)
            keep = out is None and not serve
            if server is not None:
                serve_site(config, target, server)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return target


class Terminated(SystemExit):
    """A SIGTERM or SIGHUP, raised where the program is, so that every `finally` runs."""


@contextmanager
def exit_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the program as Ctrl-C does, cleanups run (exit status 128 + n).

    Python's default for them is to die at once, leaving the temporary folder behind.
    """

    def stop(signum: int, frame: object) -> None:
        raise Terminated(128 + signum)

    wanted = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (a library caller's worker thread)
        return
    before = {number: signal.signal(number, stop) for number in wanted}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def make_site(folder: Path, target: Path) -> Config:
    """Endpoints -> config -> history -> incidents -> two real probes -> build; log the time."""
    started = time.perf_counter()
    with endpoints() as endpoint_port:
        config = write_config(folder, endpoint_port)
        story = plan(datetime.now(UTC).replace(microsecond=0))
        count = fill_history(config, story)
        play_incidents(config, story)
        for when in (story.end + STEP, story.end + 2 * STEP):
            probe(config, when, location=LOCATION)
    site.build(config, target, story.end + 2 * STEP)
    log.info(
        "demo site (%d made-up samples) built in %.1f s: %s",
        count,
        time.perf_counter() - started,
        target,
    )
    return config


def serve_site(config: Config, target: Path, server: http.server.ThreadingHTTPServer) -> None:
    """Serve the built demo until Ctrl-C, rebuilding on edits when it lives in the demo folder."""
    log.info("serving on http://127.0.0.1:%d/ (Ctrl-C stops)", server.server_address[1])
    try:
        if target == config.site_dir:
            site.watch(config, target, poll=1.0)  # already built once: only rebuild on change
        else:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        log.info("stopped")
    except Terminated:
        log.info("stopped")
        raise  # the exit status says a signal ended it
    finally:
        server.shutdown()
        server.server_close()
