"""Build the static site, and serve it locally while rebuilding on change.

    build: load incidents -> load history -> summarize -> render pages -> write files

Data flows one way: this module calls summarize (status into the view model, model.py) and
the renderers (html, api, feed, badges), which read the model and never import this module.

A failed build raises before anything is written, and files go to a temporary folder that
replaces the output folder only once complete, so a broken build never leaves half a site.
The swap keeps the output folder in place at every instant where the system can exchange
two folders in one step (Linux); elsewhere a build killed between its two renames leaves
the previous site beside it, and the next build puts it back first. Temporary folders live
in `.upwatch-tmp/` beside the output, which .gitignore lists.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import functools
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import incidents as incidents_mod
from ..config.read import Config, load_config
from ..errors import IncidentError, Problem, UpwatchError, display_path
from ..incidents import Incident
from ..reliability.load import load_reports
from ..store.history import DAYS as HISTORY_DAYS
from ..store.history import SpanDays, read_history
from . import api, badges, feed, shares
from . import html as render
from .model import Files, Summary
from .shares import Part

if TYPE_CHECKING:
    import http.server
from .summarize import summarize

log = logging.getLogger(__name__)

REPLACES = "cannot build here: the site replaces this whole folder, and it holds"
WORK = ".upwatch-tmp"  # beside the output folder, for the build being written and the old site
LEGACY_RE = re.compile(r"^-(old-\d+|[a-z0-9_]{8})$")  # what earlier versions left: .site-xxxxxxxx
AT_FDCWD, RENAME_EXCHANGE = -100, 2


def build(config: Config, out: Path, now: datetime, reliability: bool = True) -> None:
    """Build the whole site into `out` (without reliability figures only for a benchmark)."""
    started = time.perf_counter()
    recover(out)
    check_out(config, out)
    incidents = load_incidents(config)
    windows = incidents_mod.maintenance_windows(incidents)
    spans: SpanDays | None = {} if reliability else None
    history = read_history(config.data_dir, now, windows, spans=spans)
    if spans is not None:  # the reliability figures are gathered on the other core meanwhile
        covered = now.date() - timedelta(days=HISTORY_DAYS - 1)  # the days history.py read
        reports = shares.ahead(
            functools.partial(
                load_reports,
                config,
                incidents,
                windows,
                now,
                history.days,
                counted=spans,
                covered_from=covered,
            )
        )
    summary = summarize(config, incidents, history, windows, now)
    if spans is not None:
        summary = dataclasses.replace(summary, reliability=reports())
    files = render_all(config, summary)
    write_site(files, out)
    pages = sum(1 for name in files if name.endswith(".html"))
    log.info("built %d pages in %.2f s", pages, time.perf_counter() - started)


def check_out(config: Config, out: Path) -> None:
    """Refuse an output folder whose replacement would delete the user's own files."""
    out, root = out.resolve(), config.root.resolve()
    own = {root / "data", root / "incidents", root / "site_templates", root / ".git"}
    if out == root or out in root.parents or out in own or any(o in out.parents for o in own):
        raise UpwatchError(
            [Problem(display_path(out), None, f"{REPLACES} the repository's own files (use site/)")]
        )
    if out.is_dir() and any(out.iterdir()) and not (out / ".nojekyll").is_file():
        raise UpwatchError(
            [Problem(display_path(out), None, f"{REPLACES} other files (use a new or empty one)")]
        )


def load_incidents(config: Config) -> list[Incident]:
    """Every incident and maintenance file, newest first; broken files or templates stop it.

    Templates are checked here too, so that one error lists every problem of both.
    """
    refused = render.template_problems(config)
    try:
        incidents = incidents_mod.load(config, strict=True)
    except IncidentError as exc:
        raise IncidentError([*exc.problems, *refused]) from None
    if refused:
        raise UpwatchError(refused)
    return incidents


def render_all(config: Config, summary: Summary) -> Files:
    """Every output file of the site, by relative path (made on two cores, shares.py)."""
    monitors = len(summary.monitors)
    parts = [  # each part's cost beside a monitor page's, measured with 100 monitors
        *render.page_parts(config, summary),
        Part(monitors / 3, lambda: api.files(config, summary)),
        Part(1, lambda: badges.files(summary)),
        Part(1, lambda: {"feed.atom": feed.atom(config, summary)}),
        Part(monitors / 16, lambda: feed.monitor_feeds(config, summary)),
        Part(0, lambda: render.assets(config)),
    ]
    files = shares.made(parts)
    files[".nojekyll"] = b""
    if config.site.cname:
        files["CNAME"] = config.site.cname.encode() + b"\n"
    return files


def write_site(files: Files, out: Path) -> None:
    """Write files to a fresh folder beside `out`, then swap it in."""
    out = out.resolve()
    work = out.parent / WORK
    work.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f"{out.name}.new-{os.getpid()}-", dir=work))
    try:
        folders = {fresh}
        for name, content in files.items():
            target = fresh / name
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            target.write_bytes(content)
        fresh.chmod(0o755)
        swap(fresh, out, work)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        with contextlib.suppress(OSError):
            work.rmdir()  # only when empty: a concurrent build may still be using it


def swap(fresh: Path, out: Path, work: Path) -> None:
    """Put `fresh` in place of `out`; the old site ends in `fresh` (exchange) or is removed."""
    if not out.exists():
        fresh.rename(out)
    elif not exchange(fresh, out):
        old = work / f"{out.name}.old"
        out.rename(old)  # killed right after this, the next build's recover() puts it back
        fresh.rename(out)
        shutil.rmtree(old, ignore_errors=True)


def recover(out: Path) -> None:
    """Undo what a killed build left: the old site put back, its temporary folders removed."""
    out = out.resolve()
    work = out.parent / WORK
    old = work / f"{out.name}.old"
    if old.is_dir() and not out.exists():
        old.rename(out)
        log.warning("%s: put back the site an interrupted build had moved aside", display_path(out))
    shutil.rmtree(old, ignore_errors=True)
    for stale in work.glob(f"{out.name}.new-*"):
        pid = stale.name.removeprefix(f"{out.name}.new-").partition("-")[0]
        if not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(stale, ignore_errors=True)
    for legacy in out.parent.glob(f".{out.name}-*"):
        if LEGACY_RE.match(legacy.name.removeprefix(f".{out.name}")) and not legacy.is_symlink():
            shutil.rmtree(legacy, ignore_errors=True)
    with contextlib.suppress(OSError):
        work.rmdir()


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (its build may still be writing)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False where the system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False  # a file system or sandbox without it: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


@functools.cache
def _renameat2() -> Any:
    """glibc's renameat2, or None."""
    if not sys.platform.startswith("linux"):
        return None
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is not None:
        function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
        function.argtypes += [ctypes.c_uint]
        function.restype = ctypes.c_int
    return function


# --- serve ---------------------------------------------------------------------------


def serve(config: Config, port: int, poll: float = 1.0) -> None:
    """Build into site/, serve it on 127.0.0.1 and rebuild whenever an input changes."""
    out = config.site_dir
    server = start_server(out, port)  # first, so a busy port stops before any build
    _rebuild(config, out)
    log.info("serving on http://127.0.0.1:%d/ (Ctrl-C stops)", server.server_address[1])
    try:
        watch(config, out, poll)
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        server.shutdown()
        server.server_close()


def start_server(root: Path, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server for `root` on 127.0.0.1, answering from a background thread."""
    import http.server  # here: a build does not pay for importing it (and http.client, email)

    handler = functools.partial(_quiet_handler(), directory=str(root))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise UpwatchError(f"port {port} is in use; try --port {free_port(port)}") from None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port(busy: int) -> int:
    """The first port after `busy` that 127.0.0.1 can bind now (or simply the next one)."""
    for port in range(busy + 1, min(busy + 50, 65535) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return min(busy + 1, 65535)


@functools.cache
def _quiet_handler() -> type[http.server.SimpleHTTPRequestHandler]:
    import http.server

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        """Logs requests at debug level instead of printing them."""

        def log_message(self, format: str, *args: object) -> None:
            log.debug("serve: " + format, *args)

    return QuietHandler


def watch(config: Config, out: Path, poll: float, rounds: int | None = None) -> None:
    """Rebuild when a watched file changes; `rounds` bounds the loop for tests."""
    seen = snapshot(config)
    while rounds is None or rounds > 0:
        time.sleep(poll)
        current = snapshot(config)
        if current != seen:
            seen = current
            _rebuild(config, out)
        if rounds is not None:
            rounds -= 1


def _rebuild(config: Config, out: Path) -> None:
    """Build, keeping the last good site when the build fails."""
    try:
        fresh = load_config(config.path)
        build(fresh, out, datetime.now(UTC).replace(microsecond=0))
    except UpwatchError as exc:
        log.error("build failed, still serving the last good site:\n%s", exc.format_message())


def snapshot(config: Config) -> dict[Path, int]:
    """Modification times of every input file: config, incidents, data and templates."""
    return {path: path.stat().st_mtime_ns for path in _inputs(config) if path.is_file()}


def _inputs(config: Config) -> Iterator[Path]:
    yield config.path
    for folder in (config.incidents_dir, config.data_dir, config.templates_dir):
        if folder.is_dir():
            yield from folder.rglob("*")
