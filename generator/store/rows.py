"""The one parser of day-file text: lines in, checked rows out (no I/O).

Every row is written on one line (git's union merge works line by line), so each line is
parsed alone: a stray quote costs its own row, not every row after it. Exact duplicate
lines (a union merge) count once. A build parses 2.6 M rows for 100 monitors x 90 days, so
a file is first checked column by column (each distinct time, status, ms and code once);
only a file with a bad line is walked line by line, which says where and why.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from itertools import repeat

from ..errors import Problem
from .samples import (
    COLUMNS,
    FAILURE_KINDS,
    KIND_COLUMNS,
    MAX_MS,
    format_time,
    parse_row,
    parse_time,
)
from .tally import KINDS, Columns, Row, block_width

CONFLICT_START = "<<<<<<<"  # git's marker, first line of a file added on both sides
FIELD_LIMIT = csv.field_size_limit()  # 131,072 characters unless a program raised it
NOT_READ = "not read"  # how a message about a file no row of which is read ends
OVERSIZED = f"field larger than {FIELD_LIMIT} characters"


class Unreadable(ValueError):
    """A data file no row of which can be read; str() says why, `line` where (or None)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"{message}; {NOT_READ}")
        self.line = line


def records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """The fields of each line of a data file with its number, or why the line is refused.

    Every row is written on one line (git's union merge works line by line), so each line
    is parsed alone: a stray quote costs its own row, not every row after it.
    """
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, split_line(line.removesuffix("\r"))


def split_line(line: str) -> list[str] | str:
    """The CSV fields of one line, or a message: csv refuses fields over FIELD_LIMIT."""
    if '"' in line:
        try:
            return next(csv.reader((line,)), [])
        except csv.Error as exc:
            message = str(exc)
            return OVERSIZED if message.startswith("field larger than") else message
    fields = line.split(",") if line else []
    if len(line) > FIELD_LIMIT and max(map(len, fields)) > FIELD_LIMIT:
        return OVERSIZED
    return fields


def missing_columns(header: list[str]) -> str | None:
    """What a header lacks of the columns every row needs, as a message, or None."""
    missing = [c for c in ("time", "monitor", "status") if c not in header]
    return f"header lacks {', '.join(missing)}" if missing else None


CODES = {str(n): n for n in range(100, 1000)}  # samples.is_code as a table for the hot loop
LAYOUTS = (list(COLUMNS), list(KIND_COLUMNS))  # the headers upwatch writes (older, newer)
KIND_VALUES = {"", *FAILURE_KINDS}


def parse_text(text: str, day: date | None, found: list[Problem]) -> Columns:
    """The distinct good rows of a day file's text in file order; bad lines
    go to found. With `day`, a row whose time is on another day is bad too."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    rows = _by_text(text, day)
    return rows if rows is not None else parse_lines(text.split("\n"), day, found)


def parse_lines(lines: list[str], day: date | None, found: list[Problem]) -> Columns:
    """The distinct good rows of a day file's lines in file order; bad lines go to found.

    With `day`, a row whose time is on another day is bad too.
    """
    header, first = _header_of(lines, found)
    if header in LAYOUTS:
        body = dict.fromkeys(lines[first:])  # exact duplicates once, in file order
        body.pop("", None)
        body.pop(lines[first - 1], None)  # the header again: both sides added the file
        rows = _by_column(list(body), day, len(header))
        if rows is not None:
            return rows
    return Columns.of(_by_line(lines, header, first, day, found))


HEADERS = {",".join(layout): len(layout) - 1 for layout in LAYOUTS}  # header -> commas a line


def _by_text(text: str, day: date | None) -> Columns | None:
    """The rows of a file as upwatch writes it, split from the text whole; None for any other.

    Split at commas only, a line gives six fields and its detail shares one with the next
    line's time ("detail\ntime"). Every line holds six commas exactly when each shared field
    holds one newline and no other field holds one, which the distinct values of each column
    show. Then lines are distinct when each (time, monitor) is, and no line is made or hashed
    on its own. Anything else (a quote outside a detail, a blank line, a duplicate line, a bad
    value) is left to parse_lines, which says where.
    """
    head, _, body = text.partition("\n")
    step = HEADERS.get(head)  # fields per line when the text is split at commas only
    if step is None or not body.endswith("\n") or len(body) > BY_TEXT_LIMIT:
        return None
    flat = body[:-1].split(",")
    if len(flat) % step != 1 or len(flat) == 1:
        return None
    monitors, locations, statuses, ms, codes, *kind = (flat[n::step] for n in range(1, step))
    shared = flat[step:-1:step]  # detail of each line but the last, then the next line's time
    last = flat[-1]  # the last line's detail
    plain = (*map(set, (monitors, locations, statuses, ms, codes, *kind)), {flat[0], last})
    if "\n" in "".join(set().union(*plain)) or '"' in "".join(set().union(*plain[:2])):
        return None
    if kind and not plain[5] <= KIND_VALUES:  # a quoted or unknown kind: said line by line
        return None
    parts = {v: v.split("\n") for v in set(shared)}
    if any(len(two) != 2 for two in parts.values()):
        return None
    time_of = {v: two[1] for v, two in parts.items()}
    detail_of = {v: two[0] for v, two in parts.items()}
    times = [flat[0], *map(time_of.__getitem__, shared)]
    details = [*map(detail_of.__getitem__, shared), last]
    said = {last, *detail_of.values()}
    if '"' in "".join(said):
        unquoted: dict[str, str] = {}
        for said_once in said:
            value = _detail(said_once) if '"' in said_once else said_once
            if value is None:
                return None
            unquoted[said_once] = value
        details = list(map(unquoted.__getitem__, details))
        said = set(unquoted.values())
    if not _distinct(times, monitors):
        return None
    distinct = ({flat[0], *time_of.values()}, *plain[:5], said)
    columns = _checked(times, monitors, locations, statuses, ms, codes, details, day, distinct)
    return columns if columns is None or not kind else replace(columns, kind=kind[0])


BY_TEXT_LIMIT = 64 * 1024 * 1024  # characters; a larger file is read line by line


def _detail(text: str) -> str | None:
    """A detail field as csv reads it, or None when csv does not read it as one field."""
    fields = split_line(text)
    return fields[0] if not isinstance(fields, str) and len(fields) == 1 else None


def _distinct(times: list[str], monitors: list[str]) -> bool:
    """Whether no two rows share a time and monitor (then no two lines are alike): checked
    per run block when the file is made of them (tally.block_width), else over every pair."""
    width = block_width(monitors)
    if width:
        rows = len(monitors) // width
        return all(len(set(times[k::width])) == rows for k in range(width))
    return len(set(zip(times, monitors, strict=True))) == len(times)


def _by_column(lines: list[str], day: date | None, width: int = len(COLUMNS)) -> Columns | None:
    """Rows of lines that are all good, each distinct value checked once; None when one is not.

    `width` 8: the lines have the kind column before the detail (samples.KIND_COLUMNS).
    """
    if not lines:
        return Columns()
    split = _split(lines, width)
    if split is None:
        return None
    times, monitors, locations, statuses, ms, codes, *kind, details = split
    if kind and not set(kind[0]) <= KIND_VALUES:
        return None
    columns = _checked(times, monitors, locations, statuses, ms, codes, details, day)
    if not kind:
        return columns
    return None if columns is None else replace(columns, kind=kind[0])


def _checked(
    times: list[str],
    monitors: list[str],
    locations: list[str],
    statuses: list[str],
    ms: list[str],
    codes: list[str],
    details: list[str],
    day: date | None,
    distinct: Sequence[set[str]] = (),
) -> Columns | None:
    """The columns as rows when every value is good (each distinct one checked once), else None.

    `distinct` holds each column's set of values when the caller has them already.
    """
    columns = (times, monitors, locations, statuses, ms, codes, details)
    t_set, m_set, places, s_set, ms_set, c_set, d_set = distinct or tuple(map(set, columns))
    if max(map(len, d_set | m_set | places)) > FIELD_LIMIT:
        return None
    try:
        stamps = {t: _day_time(t, day) for t in t_set}
    except ValueError:
        return None
    code_of = {c: CODES.get(c) for c in c_set}
    ms_of = {m: _ms(m) for m in ms_set}
    if (
        not s_set <= KINDS.keys()
        or "" in m_set
        or any(v is None and c for c, v in code_of.items())
        or -1 in ms_of.values()
    ):
        return None
    # Written by upwatch, times are already in data-file form and locations never empty:
    # then the columns stand as they are, without a lookup per row.
    same_times = all(k == v for k, v in stamps.items())
    return Columns(
        times if same_times else tuple(map(stamps.__getitem__, times)),
        monitors,
        locations if "" not in places else tuple(w or "default" for w in locations),
        statuses,
        tuple(map(ms_of.__getitem__, ms)),
        tuple(map(code_of.__getitem__, codes)),
        details,
    )


def _split(lines: list[str], width: int = len(COLUMNS)) -> Sequence[list[str]] | None:
    """The `width` columns of lines in file order, or None when a line has another number of fields.

    A line without a quote must hold six commas, and then one split of all the lines joined
    gives every field (no list per line, which is most of the cost). A line with a quote is
    read by csv and stands in the join as its plain fields; one whose fields hold a comma
    stands as seven empty fields, set to its own after the split.
    """
    joined = ",".join(lines)
    commas: list[tuple[int, list[str]]] = []
    if '"' in joined:
        lines = lines.copy()
        for n in [n for n, line in enumerate(lines) if '"' in line]:
            fields = _quoted(lines[n])
            if len(fields) != width:
                return None
            if any("," in field for field in fields):
                commas.append((n, fields))
                lines[n] = "," * (width - 1)
            else:
                lines[n] = ",".join(fields)
        joined = ",".join(lines)
    if set(map(str.count, lines, repeat(","))) != {width - 1}:
        return None
    flat = joined.split(",")
    columns = [flat[n::width] for n in range(width)]
    for n, fields in commas:
        for column, value in zip(columns, fields, strict=True):
            column[n] = value
    return columns


def _quoted(line: str) -> list[str]:
    fields = split_line(line)
    return [] if isinstance(fields, str) else fields  # a line refused: no row of seven fields


def _ms(text: str) -> int | None:
    """A ms field as a number (empty: None), or -1 when it is not one."""
    if not text:
        return None
    value = int(text) if text.isdecimal() else -1
    return value if 0 <= value <= MAX_MS else -1


def _by_line(
    lines: list[str], header: list[str], first: int, day: date | None, found: list[Problem]
) -> list[Row]:
    """The rows of a file that holds a bad line (or another column order), line by line."""
    layout = None if header == list(KIND_COLUMNS) else [_index(header, c) for c in KIND_COLUMNS]
    seen = {lines[first - 1], ""}  # the header again (both sides added it), blank lines
    times: dict[str, str] = {}
    rows: list[Row] = []
    for number, line in enumerate(lines[first:], start=first + 1):
        if line in seen:
            continue
        seen.add(line)
        fields = split_line(line)
        try:
            if isinstance(fields, str):
                raise ValueError(fields)
            if len(fields) != len(header):
                raise ValueError(f"expected {len(header)} fields, found {len(fields)}")
            if layout:
                fields = ["" if i is None else fields[i] for i in layout]
            t_text, monitor, location, status, ms, code, kind, detail = fields
            number_code = CODES.get(code)
            bad_kind = kind not in KIND_VALUES
            if not monitor or status not in KINDS or (code and number_code is None) or bad_kind:
                parse_row(dict(zip(KIND_COLUMNS, fields, strict=True)))  # raises its message
            t = times.get(t_text) or times.setdefault(t_text, _day_time(t_text, day))
            value = _ms(ms)
            if value == -1:
                parse_row(dict(zip(KIND_COLUMNS, fields, strict=True)))
            row = (t, monitor, location or "default", status, value, number_code, detail, kind)
            rows.append(row)
        except ValueError as exc:
            found.append(Problem("", number, str(exc)))
    return rows


def _index(header: list[str], column: str) -> int | None:
    return header.index(column) if column in header else None


def _header_of(lines: list[str], found: list[Problem]) -> tuple[list[str], int]:
    """The header's fields and its line number; Unreadable when it lacks a needed column."""
    first = 1
    if lines[0].startswith(CONFLICT_START):  # both sides added the file: the header comes next
        found.append(Problem("", 1, "merge conflict marker"))
        first = 2
    head = lines[first - 1] if first <= len(lines) else ""
    if not head.strip() and not any(line.strip() for line in lines[first:]):
        return list(COLUMNS), first  # an empty file holds no rows
    header = split_line(head)
    if isinstance(header, str):
        raise Unreadable(f"header: {header}", first)
    lacking = missing_columns(header)
    if lacking:
        raise Unreadable(lacking, first)
    return header, first


def _day_time(text: str, day: date | None) -> str:
    """A row's time as data-file text; ValueError when it is no time or not on `day`."""
    if day is not None and len(text) == 20 and text[19] == "Z" and text[10] == "T":
        # The data-file form already (what upwatch writes): one C parse proves it.
        try:
            plain = datetime.fromisoformat(text[:19]).isoformat()
        except ValueError:
            plain = ""
        if plain == text[:19] and text.startswith(day.isoformat()):
            return text
    t = format_time(parse_time(text))
    if day is not None and t[:10] != day.isoformat():
        raise ValueError(f"time {text} is not on {day.isoformat()}, the day of this file")
    return t
