"""The whole import worked out before anything is written: status.yml, spans, incidents, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...config.read import validate
from ...config.yamlfile import parse_yaml
from ...errors import Problem, UpwatchError, display_path
from ...store.imported import Span
from ...times import readable_utc
from .history import read_log
from .issues import Issues, incidents, read_issues
from .rcfile import RC_FILE, RcMap, read_rc
from .timeline import Imported, Timeline, timeline

IMPORTED_FILE = "upptime.csv"


@dataclass
class Plan:
    """What the import writes, and what it says about it."""

    config_text: str
    spans: list[Span]
    incidents: Issues
    monitors: int
    report: list[str] = field(default_factory=list)


def plan(src: Path, root: Path, issues_path: Path | None) -> Plan:
    """Read SRC (config, git history, exported issues) and map it all; write nothing."""
    rc = read_rc(src)
    log = read_log(src)
    found = timeline(rc.monitors, log)
    issues = Issues()
    if issues_path is not None:
        owners = {m.slug: m.id for m in rc.monitors}
        for monitor_id, imported in found.monitors.items():
            for name in imported.files:
                owners.setdefault(name.removeprefix("history/").removesuffix(".yml"), monitor_id)
        issues = incidents(read_issues(issues_path), root / "incidents", owners, "major")
    text = status_yml(rc)
    _check(text, root / "status.yml")
    result = Plan(text, found.spans, issues, len(rc.monitors))
    result.report = report(rc, found, log.commits, log.deletions, log.skipped, issues)
    if log.shallow:
        result.report.append(
            f"warning: {display_path(src)} is a shallow clone: history before its first commit"
            " is missing (clone it again without --depth)"
        )
    return result


def _check(text: str, where: Path) -> None:
    """The status.yml written must pass `upwatch check`: refuse to write one that would not."""
    raw, problems = parse_yaml(text, str(where))
    if not problems:
        problems = validate(raw, str(where))[1]
    if problems:
        raise UpwatchError([Problem(p.path, p.line, f"(generated) {p.message}") for p in problems])


def status_yml(rc: RcMap) -> str:
    """The status.yml text: the site, every monitor, and what was left out as comments."""
    lines = [
        f"# upwatch configuration, written by `upwatch import upptime` from {RC_FILE}.",
        '# Every key is described in README.md ("Configuration"); `upwatch check` validates it.',
    ]
    if rc.notes:
        lines += ["#", f"# Left out of {RC_FILE} (no upwatch meaning):"]
        lines += [f"#   {note}" for note in rc.notes]
    if rc.skipped:
        lines += ["#", "# Sites not imported:"] + [f"#   {note}" for note in rc.skipped]
    lines += [
        "",
        "site:",
        *rc.site_lines,
        "  timezone: UTC",
        "",
        "monitors:" if rc.monitors else "monitors: []",
    ]
    for monitor in rc.monitors:
        lines.append(f"  - id: {monitor.id}")
        lines += monitor.lines
        lines += [f"    # from Upptime, left out: {note}" for note in monitor.notes]
    return "\n".join(_one_line(line) for line in lines) + "\n"


def _one_line(line: str) -> str:
    """A comment stays one line, whatever text it quotes."""
    return " ".join(line.splitlines()) if line.lstrip().startswith("#") else line


def report(
    rc: RcMap, found: Timeline, commits: int, deletions: int, skipped: list[str], issues: Issues
) -> list[str]:
    """What was mapped, what was not, and why."""
    out = [
        f"read {RC_FILE}: {len(rc.monitors) + len(rc.skipped)} sites; git history: {commits} commits under history/"
    ]
    out.append("mapped:")
    for m in rc.monitors:
        out.append(f"  {m.id} <- {m.name!r} ({_history_text(found.monitors.get(m.id))})")
    left = [f"  {m.id}: {note}" for m in rc.monitors for note in m.notes] + [
        f"  {n}" for n in rc.notes
    ]
    if left:
        out += ["not mapped (no upwatch meaning; also noted in status.yml):", *left]
    gone = rc.skipped + found.not_imported + skipped + issues.skipped
    if gone:
        out += ["not imported:"] + [f"  {line}" for line in gone]
    if deletions:
        files = f"{deletions} deletion{'' if deletions == 1 else 's'} of history files"
        out.append(f"note: {files} (Upptime's template updates) are no outages: the status held")
    out += [f"note: {line}" for line in issues.open]
    if rc.secrets:
        names = ", ".join(rc.secrets)
        out.append(
            f"secrets: set {names} in the repository's Actions secrets (status.yml says ${{NAME}})"
        )
    return out


def _history_text(imported: Imported | None) -> str:
    if imported is None or imported.first is None or imported.end is None:
        return "no history"
    text = f"{', '.join(imported.files)}: {imported.records} records, {readable_utc(imported.first)} to {readable_utc(imported.end)}"
    if imported.by_commit:
        text += f"; {imported.by_commit} dated by their commit"
    return text
