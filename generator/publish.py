"""Record a probe run in git: one commit per run, pushed with fetch, re-apply and retry.

A refused push is never force-pushed and never rebased textually. The run moves onto the
fetched branch and applies its result again: its samples are appended to the fetched day
files and its incident decisions are taken again from the fetched samples and incident
files, so racing runs keep at most one open auto incident per monitor and a person's
pushed edits survive. Only the files the run changed are staged, so a person's unrelated
uncommitted work in the tree is neither committed nor lost.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import git

from .config import Config, Masker, resolve_secrets
from .errors import ConfigError, PublishError
from .incidents import Change
from .store import Sample, sample_key

log = logging.getLogger(__name__)

# Bounded retries: at most PUSH_ATTEMPTS pushes within PUSH_DEADLINE seconds, waiting
# BACKOFF_SECONDS, then twice that, ... (plus jitter so racing runs fall out of step).
PUSH_ATTEMPTS = 6
BACKOFF_SECONDS = 2.0
PUSH_DEADLINE = 60.0
# The commit message: a subject git tools show whole, a body that stays readable.
SUBJECT_MAX = 71
BODY_LINES = 50
BODY_BYTES = 4096

CREDENTIALS_RE = re.compile(r"(://)[^/@\s]+@")
Apply = Callable[[], list[Change]]
Snapshot = dict[Path, str]


def record(config: Config, samples: list[Sample], apply: Apply, push: bool) -> list[Change]:
    """Apply the run, commit what it changed, and push it when asked; return the changes."""
    repo = _open_repo(config.root)
    branch = _branch(repo)
    upstream = _upstream(repo, branch) if push else None
    masker = _masker(config)
    base = repo.head.commit.hexsha if upstream else ""
    changes = _apply_and_commit(repo, config, samples, apply, masker)
    if upstream is not None:
        changes = _push(
            repo,
            upstream,
            base,
            changes,
            lambda: _apply_and_commit(repo, config, samples, apply, masker),
        )
    return changes


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
        return resolve_secrets(config.monitors, config.path)[1]
    except ConfigError:
        return Masker()


# --- one commit --------------------------------------------------------------------


def _apply_and_commit(
    repo: git.Repo, config: Config, samples: list[Sample], apply: Apply, masker: Masker
) -> list[Change]:
    """Run apply() and commit exactly the data and incident files it changed."""
    before = _snapshot(config)
    changes = apply()
    paths = _changed(before, _snapshot(config))
    if not paths:
        log.info("nothing changed: no commit")
        return changes
    top = Path(repo.working_tree_dir or ".").resolve()
    names = [os.path.relpath(p.resolve(), top) for p in paths]
    repo.git.add("--", *names)
    message = masker(commit_message(samples, changes, masker))
    author = config.publish.author
    name, email = author[: author.index("<")].strip(), author[author.index("<") + 1 : -1]
    env = {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    # With paths, git commits only those paths: what a person staged stays staged.
    repo.git.commit("--no-verify", "-q", f"--author={author}", "-m", message, "--", *names, env=env)
    log.info("committed %s: %s", repo.head.commit.hexsha[:7], message.splitlines()[0])
    return changes


def _snapshot(config: Config) -> Snapshot:
    """A fingerprint of every day file and incident file, to see what a run changed."""
    found: Snapshot = {}
    for folder, pattern in ((config.data_dir, "*.csv"), (config.incidents_dir, "*.md")):
        if folder.is_dir():
            for path in folder.glob(pattern):
                found[path] = hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()
    return found


def _changed(before: Snapshot, after: Snapshot) -> list[Path]:
    """Files added, changed or removed between two snapshots."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def commit_message(
    samples: Iterable[Sample],
    changes: Iterable[Change],
    mask: Masker | None = None,
    earlier: Sequence[str] = (),
) -> str:
    """A subject under 72 characters ('api down (HTTP 503); 41 up', '3 down, 88 up'), then a
    body with each incident change, each monitor not up and the files an earlier run left."""
    mask = mask or Masker()
    samples = list(samples)
    latest = {s.monitor: s for s in sorted(samples, key=sample_key)}
    events = [_event(c, latest, mask) for c in changes if c.kind in ("opened", "resolved")]
    subject, whole = _subject(events, _tally(samples))
    trouble = sorted(
        (s for s in latest.values() if s.status != "up"),
        key=lambda s: (s.status != "down", s.monitor),
    )
    paragraphs = [
        [] if whole else [text for _, _, text in events],
        [f"{s.monitor}: {s.status} ({_reason(s, mask)})" for s in trouble],
        [f"left uncommitted by an earlier run: {name}" for name in earlier],
    ]
    body = _capped([p for p in paragraphs if p])
    return f"{subject}\n\n{body}" if body else subject


def _event(change: Change, latest: dict[str, Sample], mask: Masker) -> tuple[str, str, str]:
    """(monitor, what happened, the whole line): ('api', 'down', 'api down (HTTP 503)')."""
    if change.kind == "opened":
        last = latest.get(change.monitor)
        state = "degraded" if last and last.status == "degraded" else "down"
        return change.monitor, state, f"{change.monitor} {state} ({_reason(last, mask)})"
    after = f" {_one_line(mask(change.detail))}" if change.detail else ""
    return change.monitor, "recovered", f"{change.monitor} recovered{after}"


def _tally(samples: list[Sample]) -> str:
    """'41 up, 1 down' or 'no samples'."""
    counts = Counter(s.status for s in samples)
    parts = [f"{counts[k]} {k}" for k in ("up", "degraded", "down") if counts[k]]
    return ", ".join(parts) or "no samples"


def _subject(events: list[tuple[str, str, str]], tally: str) -> tuple[str, bool]:
    """The first subject that fits: every event in full, then by kind, then counted; and
    whether it holds every event in full (the body then need not repeat them)."""
    if not events:
        return f"probe: {tally}", True
    kinds: dict[str, list[str]] = {}
    for monitor, kind, _ in events:
        kinds.setdefault(kind, []).append(monitor)
    opened = sum(len(m) for k, m in kinds.items() if k != "recovered")
    resolved = len(kinds.get("recovered", []))
    tries = [
        [text for _, _, text in events],
        [f"{', '.join(monitors)} {kind}" for kind, monitors in kinds.items()],
        [_counted(opened, resolved)],
    ]
    for number, parts in enumerate(tries):
        subject = "; ".join([*parts, tally])
        if len(subject) <= SUBJECT_MAX:
            return subject, number == 0
    return tally, False


def _counted(opened: int, resolved: int) -> str:
    """'3 incidents opened, 1 resolved' or '1 incident resolved'."""
    parts = [f"{n} {verb}" for n, verb in ((opened, "opened"), (resolved, "resolved")) if n]
    noun = " incident " if (opened or resolved) == 1 else " incidents "
    return ", ".join([parts[0].replace(" ", noun, 1), *parts[1:]])


def _capped(paragraphs: list[list[str]]) -> str:
    """The body's paragraphs, cut to BODY_LINES lines and BODY_BYTES bytes with '… and N more'."""
    lines = [line for p in paragraphs for line in ["", *p]][1:]
    if len(lines) <= BODY_LINES and len("\n".join(lines).encode()) <= BODY_BYTES:
        return "\n".join(lines)
    kept: list[str] = []
    size = len("… and 99999 more".encode())
    for line in lines[: BODY_LINES - 1]:
        size += len(line.encode()) + 1
        if size > BODY_BYTES:
            break
        kept.append(line)
    more = sum(1 for line in lines[len(kept) :] if line)
    return "\n".join([*kept, f"… and {more} more"])


def _one_line(text: str) -> str:
    """Text on one line: runs of white space and control characters become one space."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _reason(sample: Sample | None, mask: Masker) -> str:
    """A short reason for a bad sample, secrets masked: the HTTP status, else the detail."""
    if sample is None:
        return "no sample"
    if sample.code is not None and sample.code >= 400:
        return f"HTTP {sample.code}"
    detail = _one_line(mask(sample.detail or "")) or (
        f"HTTP {sample.code}" if sample.code else sample.status
    )
    return detail if len(detail) <= 80 else detail[:77] + "..."


# --- pushing -----------------------------------------------------------------------


def _push(
    repo: git.Repo, upstream: tuple[str, str], base: str, changes: list[Change], again: Apply
) -> list[Change]:
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
