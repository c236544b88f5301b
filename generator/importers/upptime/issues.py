"""Upptime's status issues (exported with `gh issue list --json ...`) as upwatch incident files.

Upptime opens an issue titled `🛑 <name> is down` (or `⚠️ <name> has degraded performance`)
labelled `status` and the site's slug, and closes it with a `**Resolved:**` comment. Each
becomes one auto incident: started and resolved from the issue's times, its body and
comments as timeline updates, the issue's URL kept as a link. The file name is the issue's
day and number, so importing again writes the same files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ...errors import IncidentError, Problem, UpwatchError, display_path
from ...incidents import Incident, Update, parse, render
from ...times import parse_time

LEADING_SYMBOLS_RE = re.compile(r"^[^\w\[(]+")
HEADING_RE = re.compile(r"^( {0,3})(#)", re.MULTILINE)
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)
RESOLVED_MARK = "**Resolved:**"


@dataclass
class Issues:
    """Incident files to write (path -> text), and the issues left out with why."""

    files: dict[Path, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)


def read_issues(path: Path) -> list[Mapping[str, Any]]:
    """The exported issues: a JSON list of objects; anything else is an error naming the file."""
    where = display_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UpwatchError([Problem(where, None, "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UpwatchError([Problem(where, None, f"cannot read: {exc}")]) from None
    except json.JSONDecodeError as exc:
        raise UpwatchError([Problem(where, exc.lineno, f"not JSON: {exc.msg}")]) from None
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise UpwatchError(
            [Problem(where, 1, "must be the list `gh issue list --json ...` writes")]
        )
    return data


def incidents(
    issues: list[Mapping[str, Any]], folder: Path, owners: Mapping[str, str], severity: str
) -> Issues:
    """One incident file per status issue whose slug label names an imported monitor."""
    out = Issues()
    for issue in sorted(issues, key=lambda i: _number(i)):
        number = _number(issue)
        labels = [
            str(label.get("name", ""))
            for label in issue.get("labels") or []
            if isinstance(label, dict)
        ]
        if "maintenance" in labels:
            out.skipped.append(f"issue #{number}: a maintenance event; not imported")
            continue
        monitors = sorted({owners[label] for label in labels if label in owners})
        if not monitors:
            out.skipped.append(f"issue #{number}: no label names an imported site; not imported")
            continue
        try:
            incident = incident_of(issue, folder, tuple(monitors), severity)
            parse(render(incident), incident.path, owners.values())  # what `upwatch check` says
        except (KeyError, TypeError, ValueError) as exc:
            out.skipped.append(f"issue #{number}: {exc}; not imported")
            continue
        except IncidentError as exc:
            out.skipped.append(f"issue #{number}: {exc.problems[0].message}; not imported")
            continue
        if incident.resolved is None:
            out.open.append(
                f"issue #{number} is still open: {incident.id} stays open until the monitor is up"
            )
        out.files[incident.path] = render(incident)
    return out


def _number(issue: Mapping[str, Any]) -> int:
    number = issue.get("number")
    return number if isinstance(number, int) else 0


def incident_of(
    issue: Mapping[str, Any], folder: Path, monitors: tuple[str, ...], severity: str
) -> Incident:
    """The incident for one issue."""
    number, url = _number(issue), str(issue.get("url") or "")
    title = LEADING_SYMBOLS_RE.sub("", str(issue["title"])).strip() or f"Issue {number}"
    started = parse_time(str(issue["createdAt"]))
    closed = issue.get("closedAt")
    resolved = parse_time(str(closed)) if closed else None
    if resolved is not None and resolved.year < 1971:  # how some gh versions say "not closed"
        resolved = None
    path = folder / f"{started:%Y-%m-%d}-upptime-{number}.md"
    link = f"[issue #{number}]({url})" if url.startswith("https://") else f"issue #{number}"
    return Incident(
        id=path.stem,
        path=path,
        title=title,
        status="resolved" if resolved else "investigating",
        severity="minor" if "degraded" in title.lower() else severity,  # type: ignore[arg-type]
        monitors=monitors,
        started=started,
        resolved=resolved,
        auto=True,
        body=f"Imported from Upptime's {link}.",
        updates=updates(issue, started, resolved),
    )


def updates(
    issue: Mapping[str, Any], started: datetime, resolved: datetime | None
) -> tuple[Update, ...]:
    """The body and every comment as updates, oldest first; a closed issue ends resolved."""
    found = [Update(started, "investigating", markdown(str(issue.get("body") or "")))]
    for comment in issue.get("comments") or []:
        if not isinstance(comment, dict) or not comment.get("createdAt"):
            continue
        when, text = parse_time(str(comment["createdAt"])), str(comment.get("body") or "")
        done = resolved is not None and (when >= resolved or text.startswith(RESOLVED_MARK))
        found.append(
            Update(max(when, started), "resolved" if done else "investigating", markdown(text))
        )
    found.sort(key=lambda u: u.time)
    if resolved is not None and not any(u.status == "resolved" for u in found):
        found.append(Update(resolved, "resolved", "Closed on GitHub."))
    return tuple(found)


def markdown(text: str) -> str:
    """Issue Markdown as timeline text: its headings kept as text (a `###` line would start an
    update), an unclosed code fence closed, trailing blanks dropped."""
    text = HEADING_RE.sub(r"\1\\\2", text.replace("\r\n", "\n")).strip()
    if len(FENCE_RE.findall(text)) % 2:
        text += "\n```"
    return text
