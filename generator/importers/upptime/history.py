"""Upptime's history: every version of history/<slug>.yml, read from git in one pass.

Upptime rewrites history/<slug>.yml when a site's status changes and once a day; each
commit of it is one recorded check. One `git log --raw` lists every version's blob, one
`git cat-file --batch` streams them all: two processes, however long the history.

The file content is the truth (commit messages follow a template the user may change):
`status`, `code` and `responseTime`, at `lastUpdated` (ISO 8601, or JavaScript's
Date.toString() in older versions); the commit time stands in when that does not parse.
Two layouts exist: `- key: value` lines (older) and `key: value` lines.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

from ...errors import Problem, UpwatchError, display_path

HISTORY_DIR = "history"
FILE_RE = re.compile(r"^history/([^/]+)\.yml$")
ZERO = "0" * 40
# Tue Mar 02 2021 10:05:12 GMT+0000 (Coordinated Universal Time)
JS_DATE_RE = re.compile(
    r"^\w{3} (?P<mon>\w{3}) (?P<day>\d{1,2}) (?P<year>\d{4}) "
    r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2}) GMT(?P<off>[+-]\d{4})"
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATUSES = ("up", "degraded", "down")
MAX_SKEW = timedelta(days=1)  # a lastUpdated this far from its commit is not believed


@dataclass(frozen=True, slots=True)
class Record:
    """One version of a history file: a recorded check."""

    slug: str
    time: datetime
    status: str
    ms: int | None
    code: int | None
    url: str
    dated_by_commit: bool = False  # lastUpdated did not parse


@dataclass
class Log:
    """Everything read from history/: records per slug, and what could not be read."""

    records: dict[str, list[Record]]
    last: datetime | None  # the newest commit under history/: where the record ends
    commits: int
    skipped: list[str]  # versions with no usable status, one line each
    deletions: int  # versions that removed a file (template updates); not outages
    shallow: bool = False  # a shallow clone: the history before its cut is missing


def git(src: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git in SRC; a failure is a user error naming SRC."""
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", str(src), *args],
            input=stdin,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise UpwatchError([Problem(display_path(src), None, f"cannot run git: {exc}")]) from None
    if done.returncode:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
        raise UpwatchError([Problem(display_path(src), None, f"git {args[0]}: {reason[0]}")])
    return done.stdout


def read_log(src: Path) -> Log:
    """Every version of every history/*.yml file in SRC's git history."""
    if not (src / ".git").exists():
        raise UpwatchError(
            [
                Problem(
                    display_path(src),
                    None,
                    "not a git clone (clone the Upptime repository with its history)",
                )
            ]
        )
    versions, commits, deletions = _versions(src)
    blobs = _blobs(src, {blob for _, _, blob in versions})
    records: dict[str, list[Record]] = {}
    skipped: list[str] = []
    last = None
    for when, slug, blob in versions:
        last = when if last is None else max(last, when)
        record = parse_version(slug, blobs[blob], when)
        if isinstance(record, str):
            skipped.append(f"history/{slug}.yml at {when:%Y-%m-%d %H:%M} UTC: {record}")
        else:
            records.setdefault(slug, []).append(record)
    for slug, found in records.items():
        records[slug] = _in_order(found)
    shallow = git(src, "rev-parse", "--is-shallow-repository").strip() == b"true"
    return Log(records, last, commits, skipped, deletions, shallow)


def _versions(src: Path) -> tuple[list[tuple[datetime, str, str]], int, int]:
    """(commit time, slug, blob) of each history file version, oldest first."""
    out = git(
        src,
        "log",
        "--reverse",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "--format=%x00%ct",
        "--",
        HISTORY_DIR,
    )
    versions: list[tuple[datetime, str, str]] = []
    commits = deletions = 0
    when = datetime.fromtimestamp(0, UTC)
    for line in out.decode("utf-8", errors="replace").splitlines():
        if line.startswith("\0"):
            when = datetime.fromtimestamp(int(line[1:]), UTC)
            commits += 1
        elif line.startswith(":"):
            meta, _, path = line.partition("\t")
            match = FILE_RE.match(path)
            if not match:
                continue
            blob = meta.split()[3]
            if blob == ZERO:  # deleted: the status holds until the file is back
                deletions += 1
            else:
                versions.append((when, match.group(1), blob))
    return versions, commits, deletions


def _blobs(src: Path, wanted: set[str]) -> dict[str, str]:
    """The text of each blob, streamed by one `git cat-file --batch`."""
    order = sorted(wanted)
    out = git(src, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in order).encode())
    texts: dict[str, str] = {}
    at = 0
    for blob in order:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        size = int(header[2])
        texts[blob] = out[end + 1 : end + 1 + size].decode("utf-8", errors="replace")
        at = end + 1 + size + 1
    return texts


def fields(text: str) -> dict[str, str]:
    """`key: value` (or `- key: value`) lines as a mapping."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, colon, value = line.removeprefix("- ").partition(":")
        if colon:
            found.setdefault(key.strip(), value.strip().strip("'\""))
    return found


def parse_version(slug: str, text: str, committed: datetime) -> Record | str:
    """One version as a Record, or why it is no recorded check."""
    values = fields(text)
    status = values.get("status", "")
    if status not in STATUSES:
        return f"status {status!r} is not up, degraded or down"
    when = parse_date(values.get("lastUpdated", ""))
    by_commit = when is None or abs(when - committed) > MAX_SKEW
    return Record(
        slug,
        committed if by_commit or when is None else when,
        status,
        _whole(values.get("responseTime")),
        _whole(values.get("code")),
        values.get("url", ""),
        by_commit,
    )


def parse_date(text: str) -> datetime | None:
    """ISO 8601, JavaScript's Date.toString() or an RFC 2822 date, in UTC; None if none of these."""
    text = text.strip()
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return t.astimezone(UTC).replace(microsecond=0) if t.tzinfo else None
    except ValueError:
        pass
    match = JS_DATE_RE.match(text)
    if match and match["mon"] in MONTHS:
        off = match["off"]
        sign = -1 if off[0] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(off[1:3]), minutes=int(off[3:5])))
        local = datetime(
            int(match["year"]), MONTHS.index(match["mon"]) + 1, int(match["day"]),
            int(match["h"]), int(match["m"]), int(match["s"]), tzinfo=zone,
        )  # fmt: skip
        return local.astimezone(UTC)
    try:
        t = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return t.astimezone(UTC) if t.tzinfo else None


def _whole(text: str | None) -> int | None:
    try:
        return round(float(text)) if text else None
    except ValueError:
        return None


def _in_order(records: list[Record]) -> list[Record]:
    """By time; two versions at one second once (the later commit wins)."""
    by_time = {r.time: r for r in records}
    return [by_time[t] for t in sorted(by_time)]
