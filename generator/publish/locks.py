"""Locks a killed git run left: removed when older than this run and no git process works here.

A lock that may be in use is waited for a moment (LOCK_WAIT), then the run stops with one
line naming it, committing nothing: the samples stay on disk for the next run.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import git

from ..config.read import Config
from ..errors import Problem, PublishError, display_path
from ..times import format_time

log = logging.getLogger(__name__)

# A lock in use is waited for this long (a person's `git status` holds one for a moment).
LOCK_WAIT = 2.0
IMPORTED = time.time()
LOCK_BUSY = (
    "another git process is running (or a killed one left this lock); remove it if none is. "
    "Nothing was committed: the samples stay in {data} and the next run commits them"
)


def free_locks(repo: git.Repo, config: Config) -> None:
    """Remove the locks a commit needs when a killed run left them; stop if one may be in use."""
    git_dir = Path(repo.git_dir)
    branch = repo.head.reference.path if not repo.head.is_detached else "HEAD"
    locks = {
        git_dir / "index.lock",
        git_dir / "HEAD.lock",
        Path(repo.common_dir) / f"{branch}.lock",
    }
    for lock in sorted(locks):
        _free_lock(lock, repo, config)


def _free_lock(lock: Path, repo: git.Repo, config: Config) -> None:
    """Wait a moment for a lock in use; remove a stale one with a warning; else PublishError."""
    top = Path(repo.working_tree_dir or ".").resolve()
    where = display_path(lock, top)
    deadline = time.monotonic() + LOCK_WAIT
    while (made := _mtime(lock)) is not None:
        if made < _run_started() and _git_processes(repo) == []:
            try:
                lock.unlink()
            except FileNotFoundError:
                return
            except OSError as exc:
                raise PublishError(
                    [Problem(where, None, f"cannot remove it: {exc.strerror}")]
                ) from None
            at = format_time(datetime.fromtimestamp(made, UTC).replace(microsecond=0))
            log.warning("%s: removed a lock a killed git run left at %s", where, at)
            return
        if time.monotonic() >= deadline:
            data = display_path(config.data_dir, top) + "/"
            raise PublishError([Problem(where, None, LOCK_BUSY.format(data=data))])
        time.sleep(0.1)


def _mtime(path: Path) -> float | None:
    """When a file was last written, or None when it is not there."""
    try:
        return path.lstat().st_mtime
    except FileNotFoundError:
        return None


@functools.cache
def _run_started() -> float:
    """When this process started (from /proc, to a clock tick), else when this module loaded."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        booted = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError):
        return IMPORTED
    return booted + ticks / os.sysconf("SC_CLK_TCK")


def _git_processes(repo: git.Repo) -> list[int] | None:
    """Live git processes working in this repository; None when there is no way to tell.

    A git process whose folder cannot be read counts, to be safe. This process's own
    children are left out: they are GitPython's helpers, and they hold no lock."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    places = {
        Path(p).resolve() for p in (repo.working_tree_dir, repo.git_dir, repo.common_dir) if p
    }
    found = []
    for entry in proc.iterdir():
        if entry.name.isdigit() and _is_git(entry) and _works_in(entry, places):
            found.append(int(entry.name))
    return found


def _is_git(entry: Path) -> bool:
    """Whether a /proc entry is a live git process that is not a child of this one."""
    try:
        text = (entry / "stat").read_text()
    except OSError:
        return False  # it ended
    name = text[text.find("(") + 1 : text.rfind(")")]
    state, parent = text[text.rfind(")") + 1 :].split()[:2]
    mine = int(parent) == os.getpid() or int(entry.name) == os.getpid()
    return (name == "git" or name.startswith("git-")) and state not in "ZX" and not mine


def _works_in(entry: Path, places: set[Path]) -> bool:
    """Whether a process's folder lies in one of these places (True when it cannot be read)."""
    try:
        cwd = Path(os.readlink(entry / "cwd"))
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return any(cwd == place or place in cwd.parents for place in places)
