"""The README's configuration tables, made from the schema so the two cannot disagree.

`python -m generator.config.docs README.md` rewrites the tables in place; a test checks that
README.md holds exactly what this makes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .schema import Defaults, Monitor, Notify, Option, Publish, Site, options

SECTIONS: dict[str, type] = {  # the README heading (a status.yml key) -> what it holds
    "site": Site,
    "defaults": Defaults,
    "monitors": Monitor,
    "publish": Publish,
    "notify": Notify,
}
HEAD = ["| key | default | meaning |", "| --- | --- | --- |"]
START, END = "## Configuration", "## Incidents by hand"


def table(cls: type) -> list[str]:
    """One section's table; neighbouring keys with the same default and meaning share a row."""
    rows: list[tuple[list[str], str, str]] = []
    for name, opt in _rows(cls):
        shown = _shown(opt)
        if rows and rows[-1][1:] == (shown, opt.doc):
            rows[-1][0].append(name)
        else:
            rows.append(([name], shown, opt.doc))
    cells = [(", ".join(f"`{n}`" for n in names), shown, doc) for names, shown, doc in rows]
    return HEAD + [f"| {key} | {shown} | {doc} |" for key, shown, doc in cells]


def _rows(cls: type, prefix: str = "") -> list[tuple[str, Option]]:
    """(dotted key, option) of each key, a nested section's keys in its place."""
    rows = []
    for opt in options(cls):
        if opt.section is not None:
            rows += _rows(opt.section, f"{prefix}{opt.name}.")
        else:
            rows.append((prefix + opt.name, opt))
    return rows


def _shown(opt: Option) -> str:
    """The default column: what a user gets by leaving the key out."""
    if opt.shown:
        return opt.shown
    if opt.required:
        return f"(required for {opt.only})" if opt.only else "(required)"
    return _value(opt.default)


def _value(value: Any) -> str:
    if value is None or value == ():
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, tuple):
        return f"`{json.dumps(list(value))}`"
    if value == "":
        return '`""`'
    return f"`{value}`"


def update(readme: str) -> str:
    """The README with each configuration table replaced by the one the schema makes."""
    lines = readme.split("\n")
    out: list[str] = []
    inside, section, at = False, None, 0
    while at < len(lines):
        line = lines[at]
        inside = (inside or line == START) and line != END
        if line.startswith("#"):
            section = _section(line) if inside else None
        if section is not None and line.startswith("|"):
            while at < len(lines) and lines[at].startswith("|"):
                at += 1
            out += table(SECTIONS[section])
            section = None  # one table per section; later ones are prose's own
            continue
        out.append(line)
        at += 1
    return "\n".join(out)


def _section(heading: str) -> str | None:
    """The section a README heading such as "### `site`" names, else None."""
    name = heading.lstrip("#").strip().strip("`")
    return name if heading.startswith("### ") and name in SECTIONS else None


def main(argv: list[str]) -> int:
    """Rewrite the tables of the README files named; say which ones changed."""
    for name in argv:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        new = update(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            sys.stderr.write(f"{name}: configuration tables updated\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
