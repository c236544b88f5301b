"""The exceptions upwatch raises for expected failures.

    UpwatchError (click.ClickException: printed as clean lines, exit 1)
     +-- ConfigError     status.yml is unreadable or invalid
     +-- IncidentError   an incident file is unreadable or invalid
     +-- DataError       a sample file is malformed
     +-- PublishError    git commit or push failed for good
    UsageError           a flag's value makes no sense (the CLI prints usage, exit 2)

Each carries a list of `Problem`s so that every problem is reported at once, one
`path:line: message` line each.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click


@dataclass(frozen=True, order=True)
class Problem:
    """One user error, located in a file."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class UpwatchError(click.ClickException):
    """An expected failure: print its problems and exit 1."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("upwatch", None, problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True, file=file)


class ConfigError(UpwatchError):
    """status.yml is unreadable or invalid."""


class IncidentError(UpwatchError):
    """An incident file is unreadable or invalid."""


class DataError(UpwatchError):
    """A sample file is malformed."""


class PublishError(UpwatchError):
    """A git commit or push failed for good."""


class UsageError(Exception):
    """Bad usage found by stage code: the CLI shows it as click's usage error, exit 2.

    Stages raise this rather than click's own exceptions, so they do not depend on click.
    """

    def __init__(self, message: str, flag: str | None = None) -> None:
        self.message = message
        self.flag = flag  # the flag it is about, e.g. "--only"
        super().__init__(message)


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the user named it, relative to the working directory (or root), never a link's target."""
    lexical = Path(os.path.abspath(path))  # normalised without following any symlink
    for base in (Path.cwd(), root):
        if base is None:
            continue
        for form in (Path(os.path.abspath(base)), base.resolve()):
            try:
                return lexical.relative_to(form).as_posix()
            except ValueError:
                continue
    return str(path)
