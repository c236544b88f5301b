"""`upwatch init`: a fresh status.yml for a repository made from the template.

The shipped example carries the EXAMPLE_MARKER line; while it is there the probe workflow
records nothing (someone else's endpoints would fill the new repository's history). init
writes a config without the marker, from the URLs given or as a commented skeleton.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import Problem, UpwatchError, UsageError, display_path
from ..text import slugify

EXAMPLE_MARKER = "# upwatch:example"
EXAMPLE_LINE = (
    f'{EXAMPLE_MARKER} - this is the example configuration; run "upwatch init" or delete this line'
)

NEXT_STEPS = (
    "Next steps:",
    "  1. Commit and push status.yml.",
    "  2. On GitHub: Settings -> Pages -> Source: GitHub Actions.",
    "  3. Actions tab: enable workflows, then run the probe workflow once"
    " (Actions -> probe -> Run workflow).",
)

SKELETON_MONITORS = """\
monitors: []
# List your endpoints here (see README.md, "Configuration"), for example:
# monitors:
#   - id: website                   # lower-case letters, digits, '-'; names files and URLs
#     name: Website
#     url: https://www.example.org/
#   - id: database
#     name: Database
#     type: tcp                     # connect to host:port
#     host: db.example.org
#     port: 5432
"""


@dataclass(frozen=True)
class Monitor:
    """One monitor init writes: an id, a name and its URL."""

    id: str
    name: str
    url: str


def marker_line(path: Path) -> int | None:
    """The line number of the example marker in the file at `path`, None when it has none."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(EXAMPLE_MARKER):
            return number
    return None


def init(config_path: Path, urls: Sequence[str], title: str | None, force: bool) -> list[str]:
    """Write a fresh status.yml and empty data/ and incidents/; return the lines to print."""
    monitors = monitors_for(urls)  # bad URLs are usage errors before anything is touched
    refuse_edited(config_path, force)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(render(title or "Status", monitors), encoding="utf-8")
    notes = [
        note
        for folder in ("data", "incidents")
        if (note := keep_folder(config_path.parent / folder))
    ]
    count = f"{len(monitors)} monitor{'' if len(monitors) == 1 else 's'}"
    return [f"wrote {display_path(config_path)} with {count}", *notes, *NEXT_STEPS]


def refuse_edited(config_path: Path, force: bool) -> None:
    """An existing config that is not the shipped example is someone's work: keep it."""
    if force or not config_path.exists() or marker_line(config_path) is not None:
        return
    problem = Problem(
        display_path(config_path), 1, "already exists and is not the example; use --force"
    )
    raise UpwatchError([problem])


def monitors_for(urls: Sequence[str]) -> list[Monitor]:
    """One monitor per URL, its id the slugged host, made unique with -2, -3, ..."""
    monitors: list[Monitor] = []
    taken: set[str] = set()
    for url in urls:
        host = host_of(url)
        base = slugify(host.removeprefix("www."), "monitor", max_length=40)
        mid, n = base, 1
        while mid in taken:
            n += 1
            mid = f"{base}-{n}"
        taken.add(mid)
        monitors.append(Monitor(mid, host, url))
    return monitors


def host_of(url: str) -> str:
    """The host of an http(s) URL; anything else is a usage error naming the URL."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        scheme, host = "", None
    if scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        raise UsageError(f"{url!r} is not an http:// or https:// URL with a host")
    return host


def render(title: str, monitors: Sequence[Monitor]) -> str:
    """The status.yml text; strings are written as JSON, which YAML reads as they are."""
    head = (
        "# upwatch configuration, written by `upwatch init`.\n"
        '# Every key is described in README.md ("Configuration"); `upwatch check` validates it.\n'
        "\n"
        f"site:\n  title: {json.dumps(title)}\n  timezone: UTC\n\n"
    )
    if not monitors:
        return head + SKELETON_MONITORS
    body = "".join(
        f"  - id: {m.id}\n    name: {json.dumps(m.name)}\n    url: {json.dumps(m.url)}\n"
        for m in monitors
    )
    return f"{head}monitors:\n{body}"


def keep_folder(folder: Path) -> str | None:
    """Make the folder with a .gitkeep when it is missing; never remove what is in it.

    Samples and incidents are keyed by monitor id, so files already there (say, from runs on
    the example) would mix into the new monitors' history: say so, and leave them to the user.
    """
    if not folder.is_dir():
        folder.mkdir(parents=True)
        (folder / ".gitkeep").write_text("", encoding="utf-8")
        return None
    held = sum(1 for p in folder.iterdir() if p.name != ".gitkeep")
    if not held:
        return None
    entries = f"{held} entr{'y' if held == 1 else 'ies'}"
    return f"note: {display_path(folder)}/ already holds {entries} (kept); delete any not yours"
