"""The day-file parser's three ways through a file give the same rows as the line-by-line one.

A file as upwatch writes it is split from its text whole, a file with duplicates or quotes
from its lines joined, and one with a bad line line by line: whichever way a file goes, the
rows (and the per-monitor counts made of them) must be the ones csv would read.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.store import rows as parser
from generator.store.samples import COLUMNS
from generator.store.tally import Columns, count

DAY = date(2026, 11, 23)
HEADER = ",".join(COLUMNS)

details = st.sampled_from(
    ["", "slow", "timeout after 10 s", "HTTP 503, retry", 'said "no"', "a,b,c", "x\u00e9"]
)
row = st.tuples(
    st.integers(0, 40).map(lambda m: f"2026-11-23T10:{m:02d}:00Z"),
    st.sampled_from(["api", "db", "web"]),
    st.sampled_from(["github", "eu", ""]),
    st.sampled_from(["up", "degraded", "down"]),
    st.sampled_from(["", "0", "182", "10000"]),
    st.sampled_from(["", "200", "503"]),
    details,
)


def csv_text(rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def line_by_line(text: str) -> Columns:
    """The reference: every line read on its own (the path that reports bad lines)."""
    lines = text.split("\n")
    found: list[object] = []
    header, first = parser._header_of(lines, found)  # type: ignore[arg-type]
    return Columns.of(parser._by_line(lines, header, first, DAY, found))  # type: ignore[arg-type]


def same(a: Columns, b: Columns) -> bool:
    return a.rows() == b.rows()


@settings(max_examples=300, deadline=None)
@given(st.lists(row, max_size=30), st.booleans(), st.integers(0, 3))
def test_every_way_through_a_file_reads_what_csv_reads(
    rows: list[tuple[str, ...]], blocks: bool, repeats: int
) -> None:
    if blocks:  # a probe's runs: every monitor once per run, in one order
        rows = [
            (f"2026-11-23T10:{run:02d}:00Z", m, "github", "up", "150", "200", "")
            for run in range(repeats + 1)
            for m in ("api", "db", "web")
        ] + rows
    text = csv_text(rows)
    expected = line_by_line(text)
    found: list[object] = []
    got = parser.parse_text(text, DAY, found)  # type: ignore[arg-type]
    assert same(got, expected)
    assert found == []
    assert count(got, {}) == count(expected, {})
    assert count(got, {"api": [("2026-11-23T10:05:00Z", "2026-11-23T10:20:00Z")]}) == count(
        expected, {"api": [("2026-11-23T10:05:00Z", "2026-11-23T10:20:00Z")]}
    )


def test_a_file_as_upwatch_writes_it_is_split_from_its_text() -> None:
    text = csv_text(
        [
            (f"2026-11-23T10:0{n}:00Z", m, "github", "up", "1", "200", "")
            for n in range(3)
            for m in "ab"
        ]
    )
    got = parser._by_text(text, DAY)
    assert got is not None and same(got, line_by_line(text))


def test_a_duplicate_line_a_blank_line_or_a_missing_newline_goes_another_way() -> None:
    line = "2026-11-23T10:00:00Z,api,github,up,1,200,"
    for text in (
        f"{HEADER}\n{line}\n{line}\n",  # a union merge's duplicate
        f"{HEADER}\n{line}\n\n",  # a blank line
        f"{HEADER}\n{line}",  # no newline at the end
        f"{HEADER}\n{line},extra\n",  # eight fields
        f"{HEADER}\ngarbage\n",  # one field
        f"{HEADER}\n,,,,,\n",  # six
        f'{HEADER}\n2026-11-23T10:00:00Z,"a,pi",github,up,1,200,\n',  # a quoted monitor
    ):
        assert parser._by_text(text, DAY) is None
        found: list[object] = []
        assert same(parser.parse_text(text, DAY, found), line_by_line(text))  # type: ignore[arg-type]


def test_a_line_short_of_a_comma_beside_one_with_an_extra_is_not_read_as_aligned() -> None:
    text = (
        f"{HEADER}\n"
        "2026-11-23T10:00:00Z,api,github,up,1,200,x,2026-11-23T10:05:00Z\n"
        "api,github,up,1,200,\n"
    )
    assert parser._by_text(text, DAY) is None
    found: list[object] = []
    parser.parse_text(text, DAY, found)  # type: ignore[arg-type]
    assert [getattr(p, "line", None) for p in found] == [2, 3]
