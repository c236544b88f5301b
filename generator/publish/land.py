"""What notify needs of git: the incident files a range of commits changed, and landing a
small file (the sent log) on the remote with the same fetch, re-apply and retry as a run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from ..config.read import Config
from ..errors import PublishError, UsageError
from .commit import T, _branch, _explain, _name, _open_repo, _push

log = logging.getLogger(__name__)
UNKNOWN_REV = "0" * 40  # what GitHub gives as `before` for a branch's first push


@dataclass(frozen=True)
class FileChange:
    """One incident file as it was at the older commit (None: it was added) and is now."""

    path: Path
    old: str | None
    new: str


@dataclass(frozen=True)
class Range:
    since: str  # the full commit id
    files: list[FileChange]


def incident_changes(config: Config, since: str | None) -> Range:
    """The incident files added or changed between `since` (default HEAD) and HEAD."""
    repo = _open_repo(config.root)
    top = Path(repo.working_tree_dir or ".").resolve()
    rev = since or "HEAD"
    if rev == UNKNOWN_REV:
        log.warning("--since %s names no commit (a new branch): starting at HEAD", rev[:7])
        rev = "HEAD"
    try:
        start = repo.commit(rev)
    except (git.BadName, ValueError):
        raise UsageError(f"{rev}: no such commit in this repository", "--since") from None
    head = repo.head.commit
    folder = _name(config.incidents_dir, top)
    out = repo.git.diff(
        "--name-only",
        "--no-renames",
        "--diff-filter=AM",
        "-z",
        start.hexsha,
        head.hexsha,
        "--",
        folder,
    )
    files = []
    for name in sorted(filter(None, out.split("\0"))):
        if name.endswith(".md"):
            files.append(FileChange(top / name, _text(start, name), _text(head, name) or ""))
    return Range(start.hexsha, files)


def _text(commit: git.Commit, name: str) -> str | None:
    """A file's text in a commit, or None when the commit does not hold it (or it is not text)."""
    try:
        blob = commit.tree / name
        return bytes(blob.data_stream.read()).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None


def land(config: Config, paths: Sequence[Path], write: Callable[[], T], message: str) -> T:
    """Run write(), commit these paths, and push to the upstream when there is one.

    When the push is refused the run moves onto the fetched branch and calls write() again
    (which re-reads the files there), so racing runs each land their own lines. Returns what
    the last write() gave."""
    repo = _open_repo(config.root)
    branch = _branch(repo)
    top = Path(repo.working_tree_dir or ".").resolve()
    names = [_name(p, top) for p in paths]
    once = functools.partial(_write_and_commit, repo, names, write, message, config.publish.author)
    try:
        base = repo.head.commit.hexsha
        value, committed = once()
        tracking = branch.tracking_branch()
        if tracking is None or not committed:
            return value
        upstream = (tracking.remote_name, tracking.remote_head)
        done: tuple[T, bool] = (value, committed)
        return _push(repo, upstream, base, done, once)[0]
    except git.GitCommandError as exc:
        verb = exc.command[1] if len(exc.command) > 1 else "git"
        raise PublishError(f"git {verb} failed: {_explain(str(exc.stderr or exc))}") from None


def _write_and_commit(
    repo: git.Repo, names: list[str], write: Callable[[], T], message: str, author: str
) -> tuple[T, bool]:
    """write(), then one commit of the named files when they changed."""
    value = write()
    changed = repo.git.status("--porcelain", "--untracked-files=all", "--", *names)
    if not changed.strip():
        return value, False
    repo.git.add("--", *names)
    name, email = author[: author.index("<")].strip(), author[author.index("<") + 1 : -1]
    env = {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    repo.git.commit("--no-verify", "-q", f"--author={author}", "-m", message, "--", *names, env=env)
    return value, True
