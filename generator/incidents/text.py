"""The text of an incident file: its canonical form, reading its parts, and in-place edits for the probe.

    ---
    title: API outage
    status: resolved
    ...
    ---
    The story, free Markdown.

    ## Updates

    ### 2026-06-19 15:57 UTC — Investigating

    HTTP 503

Every `###` heading under `## Updates` (or `## Timeline`) is one update: a time with its zone,
a dash and a state. The rest of the body is the story and is kept as written; the probe
only sets front matter keys and adds updates, leaving every other line as a person wrote it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import yaml

from ..errors import Problem
from ..times import format_time, readable_utc, within_years
from .model import KEYS, Incident, Update

SECTION_RE = re.compile(r"^##[ \t]+(updates|timeline)[ \t]*#*[ \t]*$", re.IGNORECASE)
TOP_HEADING_RE = re.compile(r"^#{1,2}([ \t]|$)")
ENTRY_RE = re.compile(r"^###([ \t]+(?P<rest>.*?))?[ \t]*#*[ \t]*$")
FENCE_RE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
SEPARATOR_RE = re.compile(r"[ \t]+(?:[-–—|]{1,2}|:)[ \t]+|[ \t]*[—–|][ \t]*")
ZONE_RE = re.compile(r"[ \t]*(UTC|GMT|Z)$", re.IGNORECASE)
EXAMPLE = "### 2026-06-19 15:57 UTC — Investigating"
# Near misses of the format that Markdown would render as story text without a word.
SINGULAR_RE = re.compile(r"^##[ \t]+update[ \t]*#*[ \t]*$", re.IGNORECASE)
UPDATE_AS_SECTION_RE = re.compile(r"^##[ \t]+\d{4}-\d{2}-\d{2}[ T]\d")


# --- writing ------------------------------------------------------------------------


def render(incident: Incident) -> str:
    """The canonical text of an incident file."""
    text = "---\n" + "".join(f"{line}\n" for line in front_lines(incident)) + "---\n"
    if incident.body:
        text += f"\n{incident.body}\n"
    if incident.updates:
        text += "\n## Updates\n" + "".join(render_update(u) for u in incident.updates)
    return text


def front_lines(incident: Incident) -> list[str]:
    """The front matter lines, in a fixed order; defaults that mean nothing are left out."""
    lines = [f"title: {yaml_text(incident.title)}", f"type: {incident.type}"]
    if not incident.is_maintenance or incident.status != "investigating":
        lines.append(f"status: {incident.status}")
    if not incident.is_maintenance or incident.severity != "major":
        lines.append(f"severity: {incident.severity}")
    lines.append(f"monitors: [{', '.join(incident.monitors)}]")
    for key in ("started", "resolved"):
        value = getattr(incident, key)
        if value is not None:
            lines.append(f"{key}: {format_time(value)}")
    if incident.auto:
        lines.append("auto: true")
    if incident.kinds:
        lines.append(f"kinds: {kinds_text(incident.kinds)}")
    for key in ("start", "end"):
        value = getattr(incident, key)
        if value is not None:
            lines.append(f"{key}: {format_time(value)}")
    return lines


def kinds_text(kinds: Iterable[str]) -> str:
    """Failure kinds as front matter writes them: [timeout, http_5xx]."""
    return f"[{', '.join(kinds)}]"


def render_update(update: Update) -> str:
    """One timeline entry, preceded by a blank line."""
    heading = f"\n### {readable_utc(update.time)} — {update.label}\n"
    return heading + (f"\n{update.text}\n" if update.text else "")


def yaml_text(value: str) -> str:
    """A YAML scalar for a one-line text: plain when that reads back the same, else quoted."""
    try:
        plain = value == value.strip() and yaml.safe_load(value) == value
    except (yaml.YAMLError, ValueError):
        plain = False
    if plain and "\n" not in value and value.isprintable():
        return value
    return "".join(_escape(c) for c in json.dumps(value, ensure_ascii=False))


def _escape(char: str) -> str:
    """Escape what YAML refuses or reads as a line break inside a double-quoted scalar."""
    if char.isprintable() and char not in "\u2028\u2029\x85":
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


# --- reading ------------------------------------------------------------------------


@dataclass
class Source:
    """An incident file's text split into lines, with where its parts lie (0-based)."""

    lines: list[str]
    front_end: int  # index of the closing '---' line
    section: tuple[int, int] | None  # [start, end) of the Updates section, heading included


def split_lines(text: str) -> list[str]:
    """Lines of a text, with any line ending, without the last empty one."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def outside_fences(lines: list[str], start: int, end: int) -> Iterator[int]:
    """Indexes of the lines in [start, end) that are not inside a fenced code block."""
    fence = ""
    for index in range(start, end):
        match = FENCE_RE.match(lines[index])
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            continue
        if match:
            fence = match.group(1)
            continue
        yield index


def locate(text: str) -> tuple[Source | None, list[Problem]]:
    """Find the front matter and the Updates section; problems have no path yet."""
    lines = split_lines(text)
    # An editor on Windows may start the file with a byte order mark; it is not text.
    if not lines or lines[0].lstrip("\ufeff").strip() != "---":
        example = "'---', then lines such as 'title: API outage', then '---'"
        return None, [Problem("", 1, f"missing front matter: the file must start with {example}")]
    front_end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), 0)
    if not front_end:
        return None, [Problem("", 1, "front matter is not closed: add a '---' line after it")]
    problems: list[Problem] = []
    sections = [
        i for i in outside_fences(lines, front_end + 1, len(lines)) if SECTION_RE.match(lines[i])
    ]
    for extra in sections[1:]:
        problems.append(Problem("", extra + 1, "timeline: a second Updates section (use one)"))
    section = None
    if sections:
        start = sections[0]
        after = outside_fences(lines, start + 1, len(lines))
        end = next((i for i in after if TOP_HEADING_RE.match(lines[i])), len(lines))
        section = (start, end)
    return Source(lines, front_end, section), problems


def heading_slip(line: str) -> str | None:
    """The hint for a heading that nearly is part of the timeline format, else None."""
    if SINGULAR_RE.match(line):
        return "did you mean '## Updates'?"
    if UPDATE_AS_SECTION_RE.match(line):
        return "updates are '###' headings under '## Updates'"
    return None


def story(source: Source) -> str:
    """The body without the Updates section, blank lines at both ends removed."""
    lines = source.lines[source.front_end + 1 :]
    if not source.section:
        return strip_blank_lines(lines)
    start, end = (i - source.front_end - 1 for i in source.section)
    parts = [strip_blank_lines(lines[:start]), strip_blank_lines(lines[end:])]
    return "\n\n".join(p for p in parts if p)


def strip_blank_lines(lines: list[str]) -> str:
    """Join lines, leaving out blank lines at the start and the end."""
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return "\n".join(lines)


def parse_heading_time(text: str) -> datetime:
    """A timeline time such as '2026-06-19 15:57 UTC' or '2026-06-19T17:57+02:00'."""
    if not re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d", text):
        raise ValueError(f"'{text}' is not a time such as 2026-06-19 15:57 UTC")
    normal = ZONE_RE.sub("+00:00", text)
    normal = re.sub(r"[ \t]+(?=[+-]\d)", "", normal)
    try:
        t = datetime.fromisoformat(normal)
    except ValueError:
        raise ValueError(f"'{text}' is not a time such as 2026-06-19 15:57 UTC") from None
    if t.tzinfo is None:
        raise ValueError(f"time '{text}' has no time zone (add UTC or an offset such as +02:00)")
    return within_years(t, text)


# --- editing in place ---------------------------------------------------------------


def patch(text: str, values: dict[str, str], update: Update | None = None) -> str:
    """Set front matter keys and add an update, keeping every other line as written."""
    source, _ = locate(text)
    if source is None:
        raise ValueError("no front matter")
    lines = list(source.lines)
    if update is not None:
        add_update(lines, source, update)
    front_end = source.front_end
    for key, value in values.items():
        front_end = set_key(lines, front_end, key, value)
    newline = "\r\n" if "\r\n" in text else "\n"  # a file saved on Windows stays so
    return newline.join(lines) + newline


def key_span(lines: list[str], front_end: int, key: str) -> tuple[int, int] | None:
    """[start, end) of a top-level key's lines (the key line and its indented follow-ups)."""
    pattern = re.compile(rf"^{re.escape(key)}[ \t]*:")
    for index in range(1, front_end):
        if pattern.match(lines[index]):
            end = index + 1
            while end < front_end and lines[end][:1] in (" ", "\t"):
                end += 1
            return index, end
    return None


def set_key(lines: list[str], front_end: int, key: str, value: str) -> int:
    """Replace a key's value, or add it after its canonical predecessor; return the new end."""
    span = key_span(lines, front_end, key)
    if span:
        lines[span[0] : span[1]] = [f"{key}: {value}"]
        return front_end + 1 - (span[1] - span[0])
    at = 1
    for earlier in KEYS[: KEYS.index(key)]:
        found = key_span(lines, front_end, earlier)
        if found:
            at = max(at, found[1])
    lines.insert(at, f"{key}: {value}")
    return front_end + 1


def add_update(lines: list[str], source: Source, update: Update) -> None:
    """Add an update where a person would: after the last one, or first if newest come first."""
    entry = render_update(update).split("\n")[:-1]  # a blank line, then the entry
    if source.section is None:
        while len(lines) > source.front_end + 1 and not lines[-1].strip():
            lines.pop()
        lines.extend(["", "## Updates", *entry])
        return
    start, end = source.section
    heads = [i for i in outside_fences(lines, start + 1, end) if ENTRY_RE.match(lines[i])]
    times = [_time_of(lines[i]) for i in heads]
    if len(times) >= 2 and times[0] and times[-1] and times[0] > times[-1]:
        lines[heads[0] : heads[0]] = [*entry[1:], ""]
        return
    at = end
    while at > start + 1 and not lines[at - 1].strip():
        at -= 1
    lines[at:at] = entry + ([""] if at == end and end < len(lines) else [])


def _time_of(heading: str) -> datetime | None:
    """The time of an update heading, or None when it has none that reads."""
    match = ENTRY_RE.match(heading)
    parts = SEPARATOR_RE.split((match.group("rest") or "") if match else "")
    try:
        return parse_heading_time(" ".join(parts[:-1]).strip())
    except ValueError:
        return None
