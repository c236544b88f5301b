"""Record a probe run as one commit, and push it with fetch, re-apply and retry.

The package docstring (generator/publish/__init__.py) says why a push is never forced nor
rebased textually, and what a commit holds.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import random
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import git

from ..config.read import Config, Masker, resolve_secrets
from ..config.secrets import with_channels
from ..errors import ConfigError, Problem, PublishError
from ..incidents import Change, patch, read, render
from ..store import Sample
from ..times import format_time
from .locks import free_locks
from .message import commit_message

log = logging.getLogger(__name__)

# Bounded retries: at most PUSH_ATTEMPTS pushes within PUSH_DEADLINE seconds, waiting
# BACKOFF_SECONDS, then twice that, ... (plus jitter so racing runs fall out of step).
PUSH_ATTEMPTS = 6
BACKOFF_SECONDS = 2.0
PUSH_DEADLINE = 60.0

CREDENTIALS_RE = re.compile(r"(://)[^/@\s]+@")
Apply = Callable[[], list[Change]]
Snapshot = dict[Path, str]
T = TypeVar("T")


@dataclass(frozen=True)
class Landed:
    """What a recorded run changed, and the commit its own commit sits on (where notify
    starts reading its decisions), or the tip it left unchanged when it made none."""

    changes: list[Change]
    since: str


def record(config: Config, samples: list[Sample], apply: Apply, push: bool) -> list[Change]:
    """Apply the run, commit what it changed, and push it when asked; return the changes."""
    return record_landed(config, samples, apply, push).changes


def record_landed(config: Config, samples: list[Sample], apply: Apply, push: bool) -> Landed:
    """`record`, also saying where the run's commit landed."""
    repo = _open_repo(config.root)
    branch = _branch(repo)
    upstream = _upstream(repo, branch) if push else None
    masker = _masker(config)
    try:
        base = repo.head.commit.hexsha if upstream else ""
        done = _apply_and_commit(repo, config, samples, apply, masker)
        if upstream is not None:
            again = functools.partial(_apply_and_commit, repo, config, samples, apply, masker)
            done = _push(repo, upstream, base, done, again)
        changes, committed = done
        head = repo.head.commit
        return Landed(
            changes, head.parents[0].hexsha if committed and head.parents else head.hexsha
        )
    except git.GitCommandError as exc:
        verb = exc.command[1] if len(exc.command) > 1 else "git"
        raise PublishError(
            masker(f"git {verb} failed: {_explain(str(exc.stderr or exc))}")
        ) from None
    except PublishError as exc:
        raise PublishError(
            [Problem(p.path, p.line, masker(p.message)) for p in exc.problems]
        ) from None


def _open_repo(root: Path) -> git.Repo:
    """The git repository that holds the config folder."""
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise PublishError(
            f"{root} is not inside a git repository (--commit and --push need one)"
        ) from None


def _branch(repo: git.Repo) -> git.Head:
    """The checked-out branch; a detached HEAD is an error, since a run must land on a branch."""
    if repo.head.is_detached:
        sha = repo.head.commit.hexsha[:7]
        raise PublishError(
            f"HEAD is detached at {sha}; check out a branch (git switch main) before --commit"
        )
    return repo.active_branch


def _upstream(repo: git.Repo, branch: git.Head) -> tuple[str, str]:
    """The (remote, branch name) the checked-out branch pushes to."""
    if not repo.head.is_valid():
        raise PublishError(f"branch {branch.name} has no commits yet; commit once before --push")
    tracking = branch.tracking_branch()
    if tracking is None:
        raise PublishError(
            f"branch {branch.name} has no upstream to push to; set one with "
            f"git branch --set-upstream-to=origin/{branch.name}"
        )
    return tracking.remote_name, tracking.remote_head


def _masker(config: Config) -> Masker:
    """Secrets of this config's monitors, so none reaches a commit message."""
    try:
        masker = resolve_secrets(config.monitors, config.path)[1]
    except ConfigError:
        masker = Masker()
    return with_channels(masker, config.notify)


# --- one commit --------------------------------------------------------------------


def _apply_and_commit(
    repo: git.Repo, config: Config, samples: list[Sample], apply: Apply, masker: Masker
) -> tuple[list[Change], bool]:
    """Run apply(), then commit the data and incident files the probe wrote, this run or a
    killed one; say whether it made a commit."""
    before = _snapshot(config)
    changes = apply()
    top = Path(repo.working_tree_dir or ".").resolve()
    touched = {_name(p, top) for p in _changed(before, _snapshot(config))}
    free_locks(repo, config)
    pending = _uncommitted(repo, config, top)
    names = [n for n in pending if publishable(repo, config, top / n)]
    for name in sorted(touched.intersection(pending).difference(names)):
        log.warning("%s: holds changes that are not the probe's; left for you to commit", name)
    earlier = [n for n in names if n not in touched]
    if earlier:
        log.warning("committing what an earlier run left uncommitted: %s", ", ".join(earlier))
    if not names:
        log.info("nothing changed: no commit")
        return changes, False
    repo.git.add("--", *names)
    message = masker(commit_message(samples, changes, masker, earlier))
    author = config.publish.author
    name, email = author[: author.index("<")].strip(), author[author.index("<") + 1 : -1]
    env = {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    # With paths, git commits only those paths: what a person staged stays staged.
    repo.git.commit("--no-verify", "-q", f"--author={author}", "-m", message, "--", *names, env=env)
    log.info("committed %s: %s", repo.head.commit.hexsha[:7], message.splitlines()[0])
    return changes, True


def _name(path: Path, top: Path) -> str:
    """A path as git names it: relative to the top of the work tree, with '/'."""
    return Path(os.path.relpath(path.resolve(), top)).as_posix()


def _regular(path: Path) -> bool:
    """A plain file, not a symlink, FIFO or device (reading those may leave the repo or hang)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _snapshot(config: Config) -> Snapshot:
    """A fingerprint of every day file, rollup and incident file, to see what a run changed."""
    found: Snapshot = {}
    folders = (
        (config.data_dir, "*.csv"),
        (config.data_dir / "rollup", "*.csv"),  # the probe rolls up each finished day
        (config.incidents_dir, "*.md"),
    )
    for folder, pattern in folders:
        if folder.is_dir():
            for path in filter(_regular, folder.glob(pattern)):
                found[path] = hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()
    return found


def _changed(before: Snapshot, after: Snapshot) -> list[Path]:
    """Files added, changed or removed between two snapshots."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def _uncommitted(repo: git.Repo, config: Config, top: Path) -> list[str]:
    """Files under data/ and incidents/ that differ from HEAD or are untracked."""
    folders = [_name(f, top) for f in (config.data_dir, config.incidents_dir) if f.is_dir()]
    if not folders:
        return []
    # GIT_OPTIONAL_LOCKS=0: a status that does not refresh the index needs no index.lock.
    out = repo.git.status(
        "--porcelain",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--",
        *folders,
        env={"GIT_OPTIONAL_LOCKS": "0"},
    )
    return sorted({entry[3:] for entry in out.split("\0") if len(entry) > 3})


# --- what the probe wrote ----------------------------------------------------------


def publishable(repo: git.Repo, config: Config, path: Path) -> bool:
    """Whether an uncommitted file is the probe's to commit: any file under data/, and an
    incident file exactly as the probe writes it (see `_probe_opened`, `_probe_resolved`)."""
    if path.is_symlink() or (path.exists() and not _regular(path)):
        return False
    if config.data_dir.resolve() in path.parents:
        return True
    if config.incidents_dir.resolve() not in path.parents or not _regular(path):
        return False  # the program never deletes an incident file: a person did
    try:
        text = path.read_bytes().decode("utf-8")
        committed = _committed_text(repo, path)
    except (OSError, UnicodeDecodeError):
        return False
    return (
        _probe_opened(text, path) if committed is None else _probe_resolved(committed, text, path)
    )


def _committed_text(repo: git.Repo, path: Path) -> str | None:
    """A file's text in HEAD, or None when HEAD does not hold it."""
    top = Path(repo.working_tree_dir or ".").resolve()
    try:
        blob = repo.head.commit.tree / _name(path, top)
    except (KeyError, ValueError):  # not in the tree, or no commit yet
        return None
    return bytes(blob.data_stream.read()).decode("utf-8")


def _probe_opened(text: str, path: Path) -> bool:
    """A new file the probe opened: auto, canonical, no story, only the probe's updates."""
    incident, problems = read(text, path)
    if incident is None or problems or not incident.auto or incident.is_maintenance:
        return False
    states = tuple(u.status for u in incident.updates)
    expected = ("investigating",) if incident.is_open else ("investigating", "resolved")
    return not incident.body and states == expected and text == render(incident)


def _probe_resolved(committed: str, text: str, path: Path) -> bool:
    """A committed open auto incident, changed only as the probe resolves one."""
    old, old_problems = read(committed, path)
    new, problems = read(text, path)
    if old is None or new is None or old_problems or problems or new.resolved is None:
        return False
    if not (old.auto and old.is_open and new.auto and new.status == "resolved"):
        return False
    added = [u for u in new.updates if u not in old.updates]
    if len(added) != 1 or added[0].status != "resolved":
        return False
    values = {"status": "resolved", "resolved": format_time(new.resolved)}
    return patch(committed, values, added[0]) == text


# --- pushing -----------------------------------------------------------------------


def _push(
    repo: git.Repo, upstream: tuple[str, str], base: str, changes: T, again: Callable[[], T]
) -> T:
    """Push; when refused because the branch moved, re-apply on the fetched tip and retry."""
    remote, name = upstream
    deadline = time.monotonic() + PUSH_DEADLINE
    error = ""
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        error = _git(repo, "push", "--no-verify", remote, f"HEAD:refs/heads/{name}")
        if not error:
            log.info("pushed %s to %s/%s", repo.head.commit.hexsha[:7], remote, name)
            return changes
        wait = BACKOFF_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
        if attempt == PUSH_ATTEMPTS or time.monotonic() + wait > deadline:
            break
        time.sleep(wait)
        fetch_error = _git(repo, "fetch", "--no-tags", remote, f"refs/heads/{name}")
        if fetch_error:
            error = fetch_error
            continue
        tip = repo.git.rev_parse("FETCH_HEAD")
        if repo.is_ancestor(repo.commit(tip), repo.head.commit):
            break  # the branch did not move: the remote refuses for another reason
        log.warning("push refused: %s/%s moved; re-applying on %s", remote, name, tip[:7])
        _move_onto(repo, base, tip)
        base = repo.head.commit.hexsha
        changes = again()
    raise PublishError(
        f"could not push to {remote}/{name}: {error}; the commit "
        f"{repo.head.commit.hexsha[:7]} is kept locally (push it later with git push)"
    )


def _move_onto(repo: git.Repo, base: str, tip: str) -> None:
    """Drop this run's commit and move the branch onto the fetched tip, keeping local work."""
    ours = repo.head.commit.hexsha
    # --keep updates only files that differ between the commits and stops, changing nothing,
    # rather than overwrite a person's uncommitted change; the run's own files are committed.
    if repo.is_ancestor(repo.commit(base), repo.commit(tip)):
        error = _git(repo, "reset", "--keep", tip)
    else:
        # Earlier local commits (a previous run whose push failed) go on top of the tip.
        error = _git(repo, "reset", "--keep", base) or _git(repo, "rebase", "--autostash", tip)
        if error:
            _git(repo, "rebase", "--abort")
            _git(repo, "reset", "--keep", ours)
    if error:
        raise PublishError(
            f"could not move onto the fetched branch: {error}; the commit {ours[:7]} is kept "
            "locally (pull, then push it with git push)"
        )


def _git(repo: git.Repo, *args: str) -> str:
    """Run a git command; return its error text ('' when it worked), credentials hidden."""
    try:
        repo.git.execute(["git", *args])
    except git.GitCommandError as exc:
        return _explain(str(exc.stderr or exc))
    return ""


def _explain(stderr: str) -> str:
    """The telling lines of git's error output, on one line, with URL credentials removed."""
    text = stderr.strip()
    # GitPython wraps git's output as: stderr: '...'
    if text.startswith("stderr: '") and text.endswith("'"):
        text = text[len("stderr: '") : -1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    keep = [
        ln for ln in lines if "rejected" in ln or ln.startswith(("remote:", "fatal:", "error:"))
    ]
    return CREDENTIALS_RE.sub(r"\1", " / ".join(keep or lines[-2:]) or "git failed")
