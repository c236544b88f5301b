"""`upwatch import upptime SRC`: status.yml, imported history and incidents from an Upptime clone.

Everything is worked out first (importers.upptime.plan); then the imported timeline, the
incident files and status.yml are written, each atomically, status.yml last. An existing
status.yml is kept unless --force (the shipped example excepted, as for `upwatch init`).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import display_path
from ..importers.upptime import IMPORTED_FILE, plan
from ..store.days import write_atomic
from ..store.imported import imported_dir, write_spans
from .init import refuse_edited

NEXT_STEPS = (
    "Next steps:",
    "  1. upwatch check, then upwatch build: site/ shows the imported history.",
    "  2. Commit status.yml, data/ and incidents/, and push.",
    "  3. On GitHub: Settings -> Pages -> Source: GitHub Actions; run the probe workflow once.",
    "  4. Disable Upptime's workflows in the old repository: real samples take over from"
    " the first probe run's day.",
)


def import_upptime(src: Path, config_path: Path, issues: Path | None, force: bool) -> list[str]:
    """Import SRC into the repository of config_path; return the lines to print."""
    refuse_edited(config_path, force)
    root = config_path.parent
    work = plan(src, root, issues)
    lines = list(work.report)
    if work.spans:
        target = imported_dir(root / "data") / IMPORTED_FILE
        write_spans(target, work.spans)
        lines.append(f"wrote {display_path(target)}: {len(work.spans)} spans (location upptime)")
    for path, text in sorted(work.incidents.files.items()):
        write_atomic(path, text)
    if work.incidents.files:
        lines.append(
            f"wrote {len(work.incidents.files)} incident files in {display_path(root / 'incidents')}/"
        )
    write_atomic(config_path, work.config_text)
    count = f"{work.monitors} monitor{'' if work.monitors == 1 else 's'}"
    lines.append(f"wrote {display_path(config_path)} with {count}")
    return lines + list(NEXT_STEPS)
