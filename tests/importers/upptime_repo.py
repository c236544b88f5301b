"""Upptime-shaped repositories for the import tests: real git commits at real times.

Each `check` writes history/<slug>.yml the way some Upptime version did and commits it
with GIT_AUTHOR_DATE / GIT_COMMITTER_DATE set to the check's time.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

GENERATOR = "generator: Upptime <https://github.com/upptime/upptime>"


def js_date(t: datetime) -> str:
    """JavaScript's Date.toString() in UTC, as older Upptime versions wrote lastUpdated."""
    return t.astimezone(UTC).strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class UpptimeRepo:
    """A git repository laid out as Upptime keeps one."""

    def __init__(self, path: Path, rc: str) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "master")
        (path / ".upptimerc.yml").write_text(rc, encoding="utf-8")
        (path / "history").mkdir()
        self.commit("Initial commit", datetime(2020, 1, 1, tzinfo=UTC), all_files=True)

    def git(self, *args: str, when: datetime | None = None) -> str:
        env = dict(os.environ)
        if when is not None:
            stamp = f"{int(when.timestamp())} +0000"
            env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        return subprocess.run(
            ["git", "-c", "user.name=Upptime Bot", "-c", "user.email=bot@example.com", *args],
            cwd=self.path,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def commit(self, message: str, when: datetime, all_files: bool = False) -> None:
        self.git("add", "-A" if all_files else "history")
        self.git("commit", "-q", "--allow-empty", "-m", message, when=when)

    def check(
        self,
        slug: str,
        url: str,
        status: str,
        when: datetime,
        code: int = 200,
        ms: int = 120,
        style: str = "new",
        message: str | None = None,
    ) -> None:
        """One recorded check of a site, committed at `when`."""
        values = [
            ("url", url),
            ("status", status),
            ("code", str(code)),
            ("responseTime", str(ms)),
            ("lastUpdated", js_date(when) if style == "old" else iso(when)),
            ("startTime", js_date(when) if style == "old" else iso(when)),
        ]
        prefix = "- " if style == "old" else ""
        text = "".join(f"{prefix}{k}: {v}\n" for k, v in values) + f"{prefix}{GENERATOR}\n"
        (self.path / "history" / f"{slug}.yml").write_text(text, encoding="utf-8")
        emoji = {"up": "🟩", "down": "🟥", "degraded": "🟨"}[status]
        self.commit(
            message or f"{emoji} {slug} is {status} ({code} in {ms} ms) [skip ci] [upptime]", when
        )

    def delete(self, slug: str, when: datetime) -> None:
        """Remove a history file, as Upptime's template update did."""
        (self.path / "history" / f"{slug}.yml").unlink()
        self.commit(":arrow_up: Update Upptime template", when)

    def other_commit(self, name: str, when: datetime) -> None:
        """A commit outside history/ (README, graphs): no record of any site."""
        (self.path / name).write_text(f"{when}\n", encoding="utf-8")
        self.git("add", name)
        self.git("commit", "-q", "-m", f":bento: Update {name} [skip ci]", when=when)
