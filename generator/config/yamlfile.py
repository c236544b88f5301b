"""YAML that remembers where each value stood, so errors can name file, line and column."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from ..errors import Problem

MAX_VALUES = 1_000_000  # a config of 20,000 monitors holds about 300,000
TOO_BIG = f"more than {MAX_VALUES:,} values (do YAML aliases repeat a list?)"
# A line such as "title: API: slow" or "  - name: Billing: EU": a key, then a value with ': '.
KEY_VALUE_RE = re.compile(
    r"^[ \t]*(?:-[ \t]+)?(?P<key>[^\s:#'\"][^:#]*?):[ \t]+(?P<value>.*?)[ \t]*$"
)


class LineDict(dict[str, Any]):
    """A mapping from YAML that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence from YAML that remembers the line of itself and of each item."""

    line: int = 0
    item_lines: list[int]


class _TooBig(Exception):
    """More values than any status.yml or incident file holds: aliases repeating lists."""


def _construct(
    node: yaml.Node,
    loader: yaml.SafeLoader,
    problems: list[Problem],
    where: str,
    budget: list[int],
    path: str = "",
) -> Any:
    """Turn a composed YAML node into plain values that keep their line numbers."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out = LineDict()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                problems.append(Problem(where, line, f"{path}{key}: duplicate key"))
            out[key] = _construct(value_node, loader, problems, where, budget, f"{path}{key}.")
            out.key_lines[key] = line
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LineList(
            _construct(n, loader, problems, where, budget, f"{path.rstrip('.')}[{i}].")
            for i, n in enumerate(node.value)
        )
        seq.line = node.start_mark.line + 1
        seq.item_lines = [n.start_mark.line + 1 for n in node.value]
        return seq
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:  # e.g. 2026-02-30: not a date, so it stays text for the checks to judge
        return node.value


def parse_yaml(text: str, where: str) -> tuple[Any, list[Problem]]:
    """Parse YAML into line-aware values; syntax errors become problems with line and column."""
    problems: list[Problem] = []
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character is refused before parsing
        line = text.count("\n", 0, exc.position) + 1
        return None, [
            Problem(where, line, f"character {chr(exc.character)!r} is not allowed in YAML")
        ]
    try:
        node = loader.get_single_node()
        if node is None:
            return None, problems
        return _construct(node, loader, problems, where, [MAX_VALUES]), problems
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc, where, text)]
    except RecursionError:
        return None, [Problem(where, None, "values are nested too deeply")]
    except _TooBig:
        return None, [Problem(where, None, TOO_BIG)]
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError, where: str, text: str) -> Problem:
    """A YAML error as a problem that keeps its line and column, with a hint when one fits."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = f"column {mark.column + 1}: " if mark else ""
        lines = text.splitlines()
        source = lines[mark.line] if mark and mark.line < len(lines) else ""
        hint = _hint(str(exc.problem), source)
        return Problem(where, line, f"{column}YAML syntax error: {exc.problem}{hint}")
    if isinstance(exc, yaml.reader.ReaderError):
        return Problem(
            where,
            None,
            f"character {exc.character!r} at position {exc.position} is not allowed in YAML",
        )
    return Problem(where, None, f"YAML error: {exc}")


def _hint(problem: str, line: str) -> str:
    """What a person most likely did, for the two mistakes hand-edited YAML makes most."""
    if "\t" in line and ("'\\t'" in problem or "tab" in problem):
        return " (use spaces, not tabs)"
    match = KEY_VALUE_RE.match(line)
    # Only a plain value with a colon of its own: a quoted one, or a key indented under a
    # value ("title: A" then "  oops: x"), is another mistake.
    plain = match and match["value"][:1] not in ("'", '"') and ":" in match["value"]
    if problem.startswith("mapping values are not allowed") and match and plain:
        key, value = match["key"], match["value"]
        example = f"{key}: {json.dumps(value, ensure_ascii=False)}"
        return f" (quote a {key} that contains ': ', such as {example})"
    return ""
