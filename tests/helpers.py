"""Small helpers the test modules share: times, samples and git status repositories.

Import them as `from helpers import sample, utc` (conftest.py explains why that works).
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from generator.store import Sample

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; a time without a zone is read as UTC."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def sample(
    monitor: str = "api",
    status: str = "up",
    t: datetime = T0,
    location: str = "default",
    ms: int | None = 100,
    code: int | None = None,
    detail: str = "",
) -> Sample:
    """A sample with everything but what a test cares about filled in."""
    return Sample(t, monitor, location, status, ms, code, detail)


def run_git(cwd: Path, *args: str) -> str:
    """Run git as a person would, with a fixed identity; return its output."""
    return subprocess.run(
        ["git", "-c", "user.name=Person", "-c", "user.email=person@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def git_remote(root: Path, status_yml: str, union: bool = True) -> Path:
    """A bare repository at root/remote.git holding a fresh status repo, as a fork starts.

    With `union`, .gitattributes merges data/*.csv by the union rule, as the template does.
    """
    bare = root / "remote.git"
    run_git(root, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = clone(bare, "seed")
    (seed / "status.yml").write_text(status_yml)
    if union:
        (seed / ".gitattributes").write_text("data/*.csv merge=union\n")
    (seed / "README.md").write_text("my status page\n")
    for folder in ("data", "incidents"):
        (seed / folder).mkdir()
        (seed / folder / ".gitkeep").write_text("")
    run_git(seed, "add", ".")
    run_git(seed, "commit", "-q", "-m", "start")
    run_git(seed, "push", "-q", "origin", "main")
    return bare


def clone(remote: Path, name: str) -> Path:
    """A clone of the remote beside it, named `name`."""
    path = remote.parent / name
    run_git(remote.parent, "clone", "-q", str(remote), str(path))
    return path
