"""Validate one incident file and read it into an Incident, every problem with its line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from ..config.checks import did_you_mean, one_of
from ..config.yamlfile import LineDict, LineList, parse_yaml
from ..errors import IncidentError, Problem
from ..status import SEVERITIES, state_label
from ..store.samples import FAILURE_KINDS
from ..times import format_time, within_years
from .model import FILE_NAME_RE, KEYS, STATES, TYPES, UPDATE_STATES, Incident, Update
from .text import (
    ENTRY_RE,
    EXAMPLE,
    SEPARATOR_RE,
    Source,
    heading_slip,
    locate,
    outside_fences,
    parse_heading_time,
    story,
    strip_blank_lines,
)

log = logging.getLogger("upwatch")
# A clock a little ahead, or an update typed a minute early, is not a mistake worth a line.
FUTURE_SLACK = timedelta(minutes=5)


def parse(text: str, path: Path, monitor_ids: Iterable[str] | None = None) -> Incident:
    """An incident from a file's text; IncidentError lists every problem."""
    incident, problems = read(text, path, monitor_ids)
    if incident is None or problems:
        raise IncidentError(problems)
    return incident


def read(
    text: str,
    path: Path,
    monitor_ids: Iterable[str] | None = None,
    where: str | None = None,
    now: datetime | None = None,
) -> tuple[Incident | None, list[Problem]]:
    """An incident and every problem found in its text; warnings are logged, not returned."""
    incident, problems, warnings = read_all(text, path, monitor_ids, where, now)
    for warning in warnings:
        log.warning("%s", warning)
    return incident, problems


def read_all(
    text: str,
    path: Path,
    monitor_ids: Iterable[str] | None = None,
    where: str | None = None,
    now: datetime | None = None,
) -> tuple[Incident | None, list[Problem], list[Problem]]:
    """An incident, its problems and its warnings (times past now, the current time by default).

    Monitors are checked when ids are given.
    """
    where = where or str(path)
    source, problems = locate(text)
    c = Checker(where, problems=[Problem(where, p.line, p.message) for p in problems])
    c.file_name(path)
    if source is None:
        return None, c.sorted(), []
    raw = c.front_matter(source)
    c.headings(source)
    updates = c.timeline(source)
    if raw is None:
        return None, c.sorted(), []
    fields = c.consistency(c.fields(raw, monitor_ids), updates, raw)
    warnings = sorted([*c.warnings, *c.future(fields, raw, now or datetime.now(UTC))])
    if fields is None:
        return None, c.sorted(), warnings
    incident = Incident(
        id=path.name.removesuffix(".md"), path=path, body=story(source), updates=updates, **fields
    )
    return incident, c.sorted(), warnings


def front_time(value: Any) -> datetime:
    """A front matter time: YAML reads most as datetime, quoted ones arrive as text."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"must be an ISO 8601 time such as 2026-06-19T15:57:00Z, not {value!r}"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value.isoformat(' ')} has no time zone (add Z or an offset)")
        return within_years(value, value.isoformat())
    if isinstance(value, date):
        return_hint = f"{value.isoformat()}T00:00:00Z"
        raise ValueError(f"needs a time of day and zone, such as {return_hint}")
    raise ValueError(f"must be an ISO 8601 time such as 2026-06-19T15:57:00Z, not {value!r}")


class Checker:
    """Reads the parts of one file, collecting every problem with its line."""

    def __init__(self, where: str, problems: list[Problem]) -> None:
        self.where = where
        self.problems = problems
        self.warnings: list[Problem] = []
        self.update_lines: list[tuple[int, Update]] = []

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.where, line, message))

    def sorted(self) -> list[Problem]:
        """The problems in file order, the file's own first."""
        return sorted(self.problems, key=lambda p: p.line or 0)

    def file_name(self, path: Path) -> None:
        """The name is the id and part of URLs: YYYY-MM-DD-slug.md with a real date."""
        match = FILE_NAME_RE.match(path.name)
        valid = bool(match)
        if match:
            try:
                date.fromisoformat(match.group(1))
            except ValueError:
                valid = False
        if not valid:
            self.add(None, "file name must be YYYY-MM-DD-slug.md, e.g. 2026-06-19-api-outage.md")

    def front_matter(self, source: Source) -> LineDict | None:
        """The front matter as a line-aware mapping, or None when it is unreadable."""
        # Blank stand-ins for the lines above keep YAML's line numbers those of the file.
        text = "\n".join(["", *source.lines[1 : source.front_end]])
        try:
            raw, problems = parse_yaml(text, self.where)
        except yaml.reader.ReaderError as exc:
            # parse_yaml lets this one through: YAML refuses control characters outright.
            message = f"front matter: character #x{exc.character:04x} is not allowed in YAML"
            raw, problems = None, [Problem(self.where, 1, message)]
        except (ValueError, OverflowError, RecursionError) as exc:
            raw, problems = None, [Problem(self.where, 1, f"front matter: {exc}")]
        self.problems.extend(problems)
        if isinstance(raw, LineDict):
            return raw
        if raw is None and not problems:
            raw = LineDict()  # an empty front matter: its missing keys say what is wrong
            raw.key_lines = {}
            return raw
        if not problems:
            self.add(1, "front matter must be keys and values, such as 'title: API outage'")
        return None

    def fields(self, raw: LineDict, monitor_ids: Iterable[str] | None) -> dict[str, Any]:
        """The Incident fields from the front matter; bad values are reported and left out."""
        known = None if monitor_ids is None else set(monitor_ids)
        for key in raw:
            if key not in KEYS:
                self.add(raw.key_lines[key], f"{key}: unknown key{did_you_mean(key, KEYS)}")
        checks: dict[str, Callable[[Any], Any]] = {
            "title": _title,
            "type": _choice(TYPES),
            "status": _choice(STATES),
            "severity": _choice(SEVERITIES),
            "monitors": lambda v: self.monitors(v, raw, known),
            "auto": _flag,
            "kinds": _kinds,
            **dict.fromkeys(("started", "resolved", "start", "end"), front_time),
        }
        out: dict[str, Any] = {}
        for key, check in checks.items():
            if key in raw:
                try:
                    out[key] = check(raw[key])
                except ValueError as exc:
                    self.add(raw.key_lines[key], f"{key}: {exc}")
        if "title" not in raw:
            self.add(1, "title: is required")
        return out

    def monitors(self, value: Any, raw: LineDict, known: set[str] | None) -> tuple[str, ...]:
        """Monitor ids as a list (or one id alone); each must be in the configuration."""
        if value is None:
            return ()
        items, lines = (
            ([value], [raw.key_lines["monitors"]])
            if isinstance(value, str)
            else ((value, value.item_lines) if isinstance(value, LineList) else (None, []))
        )
        if items is None:
            raise ValueError("must be a list of monitor ids, such as [api, db]")
        found = []
        for item, line in zip(items, lines, strict=True):
            if not isinstance(item, str):
                self.add(line, f"monitors: {item!r} is not a monitor id")
            elif known is not None and item not in known and did_you_mean(item, known):
                # A near miss of a live id is a typo: it would hide the incident from its monitor.
                hint = did_you_mean(item, known)
                self.add(line, f"monitors: no monitor '{item}' in the configuration{hint}")
            else:
                if known is not None and item not in known:
                    self.warnings.append(Problem(self.where, line, retired(item)))
                found.append(item)
        return tuple(found)

    def consistency(
        self, fields: dict[str, Any], updates: tuple[Update, ...], raw: LineDict
    ) -> dict[str, Any] | None:
        """Rules between fields; None when the file is too broken to stand for an incident."""
        if fields.get("type", "incident") == "maintenance":
            self.window_rules(fields, raw)
        else:
            self.incident_rules(fields, updates, raw)
        return fields if "title" in fields else None

    def window_rules(self, fields: dict[str, Any], raw: LineDict) -> None:
        """Maintenance needs a start and an end after it."""
        for key in ("start", "end"):
            if key not in raw:
                self.add(1, f"{key}: is required for maintenance")
        start, end = fields.get("start"), fields.get("end")
        if start and end and end <= start:
            message = f"end: {format_time(end)} is not after start ({format_time(start)})"
            self.add(raw.key_lines["end"], message)

    def incident_rules(
        self, fields: dict[str, Any], updates: tuple[Update, ...], raw: LineDict
    ) -> None:
        """An incident needs a start; resolved goes with status resolved and comes after it."""
        line = raw.key_lines.get
        if "started" not in raw:
            self.add(1, "started: is required, such as started: 2026-06-19T15:57:00Z")
        if fields.get("status") == "resolved" and "resolved" not in raw:
            # A person who writes a "Resolved" update has said when; no need to repeat it.
            ends = [u.time for u in updates if u.status == "resolved"]
            if ends:
                fields["resolved"] = ends[-1]
            else:
                example = "such as resolved: 2026-06-19T17:43:00Z"
                self.add(
                    line("status"), f"resolved: is required when status is resolved, {example}"
                )
        started, resolved = fields.get("started"), fields.get("resolved")
        if started and resolved and resolved < started:
            message = f"is before started ({format_time(started)})"
            self.add(
                line("resolved", line("status")), f"resolved: {format_time(resolved)} {message}"
            )
        if resolved and fields.get("status", "investigating") != "resolved":
            message = "is set but status is not resolved (set status: resolved, or remove resolved)"
            self.add(line("resolved"), f"resolved: {message}")

    def timeline(self, source: Source) -> tuple[Update, ...]:
        """The updates of the Updates section, oldest first."""
        if source.section is None:
            return ()
        start, end = source.section
        lines = source.lines
        heads = [i for i in outside_fences(lines, start + 1, end) if ENTRY_RE.match(lines[i])]
        before = [i for i in range(start + 1, heads[0] if heads else end) if lines[i].strip()]
        if before:
            self.add(
                before[0] + 1,
                f"timeline: text before the first update (start each update with '{EXAMPLE}')",
            )
        updates = []
        for head, nxt in zip(heads, [*heads[1:], end][: len(heads)], strict=True):
            update = self.entry(lines[head], head + 1)
            if update is not None:
                text = strip_blank_lines(lines[head + 1 : nxt])
                updates.append(Update(update[0], update[1], text))
                self.update_lines.append((head + 1, updates[-1]))
        return tuple(sorted(updates, key=lambda u: u.time))

    def headings(self, source: Source) -> None:
        """Headings that look like the timeline but are not read as it (they would be story)."""
        lines = source.lines
        for index in outside_fences(lines, source.front_end + 1, len(lines)):
            hint = heading_slip(lines[index])
            if hint:
                self.add(index + 1, f"timeline: '{lines[index].strip()}': {hint}")

    def future(self, fields: dict[str, Any] | None, raw: LineDict, now: datetime) -> list[Problem]:
        """Warnings for times more than a few minutes past now: a typo in the date or zone."""
        times = [
            (raw.key_lines[key], key, fields[key])
            for key in ("started", "resolved")
            if fields and key in raw and isinstance(fields.get(key), datetime)
        ]
        times += [(line, "timeline", u.time) for line, u in self.update_lines]
        return [
            Problem(
                self.where,
                line,
                f"warning: {key}: {format_time(t)} is in the future (now is {format_time(now)})",
            )
            for line, key, t in sorted(times, key=lambda item: item[0])
            if t > now + FUTURE_SLACK
        ]

    def entry(self, heading: str, line: int) -> tuple[datetime, str] | None:
        """The time and state of one update heading, or None after reporting why not."""
        match = ENTRY_RE.match(heading)
        rest = (match.group("rest") or "") if match else ""
        parts = SEPARATOR_RE.split(rest.strip(), maxsplit=0)
        if len(parts) < 2 or not parts[-1]:
            self.add(
                line, f"timeline: '{heading.strip()}' needs a time and a state, like '{EXAMPLE}'"
            )
            return None
        when, state = " ".join(parts[:-1]), parts[-1]
        status = state.strip().lower().replace(" ", "_").replace("-", "_")
        words = [state_label(s) for s in STATES]
        problem = None
        if status not in UPDATE_STATES:
            hint = did_you_mean(state.capitalize(), words)
            problem = f"timeline: unknown state '{state}'{hint}: use {', '.join(words)}"
        try:
            t = parse_heading_time(when)
        except ValueError as exc:
            problem = f"timeline: {exc}"
        if problem:
            self.add(line, problem)
            return None
        return t, status


def retired(monitor_id: str) -> str:
    """The warning for an id no monitor has: old incidents keep naming retired components."""
    return (
        f"warning: monitors: {monitor_id!r} is not in status.yml (retired?);"
        " shown by its id without a link"
    )


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty text")
    return value


def _kinds(value: Any) -> tuple[str, ...]:
    """Failure kinds as a list, each from the probe's vocabulary (store.samples)."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError("must be a list of failure kinds, such as [timeout, http_5xx]")
    for item in items:
        if not isinstance(item, str) or item not in FAILURE_KINDS:
            hint = did_you_mean(str(item), FAILURE_KINDS)
            raise ValueError(
                f"{item!r} is not a failure kind{hint} (one of {', '.join(FAILURE_KINDS)})"
            )
    return tuple(dict.fromkeys(items))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {value!r}")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    """checks.one_of, raising its message as the incident fields' checks do."""
    problem_of = one_of(*choices)

    def check(value: Any) -> str:
        # "Identified" reads as "identified", as the timeline's states already do.
        value = value.lower() if isinstance(value, str) and value.lower() in choices else value
        problem = problem_of(value)
        if problem:
            raise ValueError(problem)
        return str(value)

    return check
