"""The exceptions upwatch raises for expected failures.

    UpwatchError (click.ClickException: printed as clean lines, exit 1)
     +-- ConfigError     status.yml is unreadable or invalid
     +-- IncidentError   an incident file is unreadable or invalid
     +-- DataError       a sample file is malformed
     +-- PublishError    git commit or push failed for good
    UsageError           a flag's value makes no sense (the CLI prints usage, exit 2)

Each carries a list of `Problem`s so that every problem is reported at once, one
`path:line: message` line each. In GitHub Actions each located line is also printed as a
workflow command (`::error file=...,line=...::...`), so the problem shows on the file.
"""

from __future__ import annotations

import logging
import os
import re
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
        text = self.format_message()
        click.echo(text, err=True, file=file)
        if in_github_actions():
            # The lines as shown (masked where secrets were), not the problems they came from.
            for line in text.splitlines():
                click.echo(annotation("error", line, located_only=False))  # never None here


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


# `path:line: message`, or with located_only=False `path: message`; a path has no ': '.
LOCATED_RE = re.compile(r"(?P<path>[^\s:][^:\n]*?):(?P<line>[1-9][0-9]*): (?P<message>.+)", re.S)
PATH_RE = re.compile(r"(?P<path>[^\s:][^:\n]*?): (?P<message>.+)", re.S)
NOT_A_FILE = "upwatch"  # the "path" of a problem that is about no file
WARNING_PREFIX = "warning: "


def in_github_actions() -> bool:
    """Whether this runs as a GitHub Actions step (the runner sets GITHUB_ACTIONS=true)."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the runner reads it back."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: its message escapes, and ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, text: str, located_only: bool = True) -> str | None:
    """`::error file=F,line=N::M` for a `path:line: message` text (a warning's own word dropped).

    None for a text that names no file; without located_only, a `path: message` text is put
    on its file and any other text is annotated without one.
    """
    match = LOCATED_RE.fullmatch(text) or (None if located_only else PATH_RE.fullmatch(text))
    if match is None and located_only:
        return None
    props, message = [], text if match is None else match["message"]
    if match is not None and match["path"] != NOT_A_FILE:
        props.append(f"file={escape_property(match['path'])}")
        number = match.groupdict().get("line")
        if number:
            props.append(f"line={number}")
    message = message.removeprefix(WARNING_PREFIX)
    where = f" {','.join(props)}" if props else ""
    return f"::{level}{where}::{escape_data(message)}"


class Annotations(logging.Handler):
    """Prints each located warning (or error) logged as a GitHub Actions annotation on stdout."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        level = "error" if record.levelno >= logging.ERROR else "warning"
        command = annotation(level, record.getMessage())  # one record, one problem
        if command is not None:
            click.echo(command)
