"""The sample store: data/YYYY-MM-DD.csv written exactly as pinned and read back forgivingly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from generator.errors import Problem
from generator.store.days import (
    HEADER,
    KIND_HEADER,
    Sample,
    append_samples,
    read_day,
    read_samples,
    sample_key,
)

T = datetime(2026, 11, 23, 10, 5, 0, tzinfo=UTC)


def at(minutes: int, monitor: str = "api", **fields: object) -> Sample:
    values: dict[str, object] = {"location": "github", "status": "up", "ms": 182, "code": 200}
    values.update(fields)
    return Sample(T + timedelta(minutes=minutes), monitor, **values)  # type: ignore[arg-type]


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- writing -------------------------------------------------------------------------------


def test_the_day_file_is_exactly_as_pinned(tmp_path: Path) -> None:
    samples = [
        at(0),
        at(
            0, "db", status="down", ms=10000, code=None, detail="timeout after 10 s", kind="timeout"
        ),
    ]
    [path] = append_samples(tmp_path, samples)
    assert path == tmp_path / "2026-11-23.csv"
    assert text(path) == (
        "time,monitor,location,status,ms,code,kind,detail\n"
        "2026-11-23T10:05:00Z,api,github,up,182,200,,\n"
        "2026-11-23T10:05:00Z,db,github,down,10000,,timeout,timeout after 10 s\n"
    )


def test_a_file_of_an_older_version_keeps_its_seven_columns_and_its_kinds_are_derived(
    tmp_path: Path,
) -> None:
    path = tmp_path / "2026-11-23.csv"
    path.write_text(HEADER + "2026-11-23T10:05:00Z,api,github,down,,503,HTTP 503\n")
    append_samples(
        tmp_path, [at(5, status="down", ms=None, detail="timeout after 10 s", kind="timeout")]
    )
    assert text(path).splitlines()[1:] == [
        "2026-11-23T10:05:00Z,api,github,down,,503,HTTP 503",
        "2026-11-23T10:10:00Z,api,github,down,,200,timeout after 10 s",
    ]
    assert [s.kind for s in read_samples(tmp_path)] == ["http_5xx", "timeout"]


def test_appended_samples_read_back_identically(tmp_path: Path) -> None:
    samples = [
        at(0),
        at(1, status="degraded", ms=2500, detail="slow: 2500 ms > 2000 ms", kind="slow"),
        at(2, status="down", ms=None, code=None, detail="connection refused", kind="connect"),
        at(3, "tcp", ms=9, code=None),
        # the kind as the probe decided it, not as the words would suggest
        at(4, status="down", ms=31, code=503, detail='HTTP 503, body said "no"', kind="content"),
    ]
    append_samples(tmp_path, samples)
    assert read_samples(tmp_path) == samples


def test_details_with_commas_and_quotes_are_csv_quoted(tmp_path: Path) -> None:
    sample = at(
        0, status="down", detail="json status: expected \"UP\", got 'DOWN', twice", kind="content"
    )
    [path] = append_samples(tmp_path, [sample])
    assert text(path).splitlines()[1] == (
        "2026-11-23T10:05:00Z,api,github,down,182,200,content,"
        '"json status: expected ""UP"", got \'DOWN\', twice"'
    )
    assert read_samples(tmp_path) == [sample]


def test_a_newline_in_a_detail_becomes_a_space_so_each_sample_is_one_line(
    tmp_path: Path,
) -> None:
    # git's union merge works line by line: a sample spread over two lines could be torn apart.
    [path] = append_samples(
        tmp_path, [at(0, status="down", detail="first\nsecond\r\n third", kind="protocol")]
    )
    assert len(text(path).splitlines()) == 2
    assert read_samples(tmp_path)[0].detail == "first second third"


def test_the_header_is_written_once(tmp_path: Path) -> None:
    append_samples(tmp_path, [at(0)])
    append_samples(tmp_path, [at(5)])
    append_samples(tmp_path, [at(10)])
    lines = text(tmp_path / "2026-11-23.csv").splitlines()
    assert lines.count(KIND_HEADER.strip()) == 1
    assert len(lines) == 4


def test_samples_go_to_the_file_of_their_utc_day(tmp_path: Path) -> None:
    late = Sample(datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC), "api", "x", "up", 1, 200)
    early = Sample(datetime(2026, 11, 24, 0, 0, 0, tzinfo=UTC), "api", "x", "up", 1, 200)
    touched = append_samples(tmp_path, [early, late])
    assert [p.name for p in touched] == ["2026-11-23.csv", "2026-11-24.csv"]


def test_appending_to_a_file_without_a_final_newline_keeps_lines_whole(tmp_path: Path) -> None:
    path = tmp_path / "2026-11-23.csv"
    path.write_text(HEADER + "2026-11-23T10:05:00Z,api,github,up,182,200,")
    append_samples(tmp_path, [at(5)])
    assert read_samples(tmp_path) == [at(0), at(5)]


# --- reading -------------------------------------------------------------------------------


def test_samples_come_back_sorted_by_time(tmp_path: Path) -> None:
    append_samples(tmp_path, [at(10), at(0, "web")])
    append_samples(tmp_path, [at(5), at(0, "api")])
    got = read_samples(tmp_path)
    assert [(s.time.minute, s.monitor) for s in got] == [
        (5, "api"),
        (5, "web"),
        (10, "api"),
        (15, "api"),
    ]


def test_exact_duplicates_are_dropped(tmp_path: Path) -> None:
    append_samples(tmp_path, [at(0), at(5)])
    append_samples(tmp_path, [at(0), at(5)])
    assert read_samples(tmp_path) == [at(0), at(5)]


def test_samples_that_differ_in_any_field_are_kept(tmp_path: Path) -> None:
    append_samples(tmp_path, [at(0), at(0, location="eu"), at(0, ms=183)])
    assert len(read_samples(tmp_path)) == 3


def test_a_union_merged_file_reads_clean(tmp_path: Path) -> None:
    # Two shards appended on two branches; git's union merge kept both sides' lines, the
    # header of each side, and a line both sides had.
    path = tmp_path / "2026-11-23.csv"
    path.write_text(
        HEADER
        + "2026-11-23T10:05:00Z,api,github,up,182,200,\n"
        + "2026-11-23T10:10:00Z,api,github,down,,,connection refused\n"
        + HEADER
        + "2026-11-23T10:05:00Z,db,github,up,12,,\n"
        + "2026-11-23T10:05:00Z,api,github,up,182,200,\n"
    )
    problems: list[Problem] = []
    got = read_samples(tmp_path, problems=problems)
    assert problems == []
    assert [(s.time.minute, s.monitor, s.status) for s in got] == [
        (5, "api", "up"),
        (5, "db", "up"),
        (10, "api", "down"),
    ]


def test_columns_are_read_by_name(tmp_path: Path) -> None:
    (tmp_path / "2026-11-23.csv").write_text(
        "monitor,time,status,detail,ms,code,location,region\n"
        "api,2026-11-23T10:05:00Z,up,,182,200,github,eu\n"
    )
    assert read_samples(tmp_path) == [at(0)]


def test_a_malformed_line_is_reported_with_file_and_line_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "2026-11-23.csv").write_text(
        HEADER
        + "2026-11-23T10:05:00Z,api,github,up,182,200,\n"
        + "2026-11-23T10:10:00Z,api,gi\n"
        + "2026-11-23T10:15:00Z,api,github,sideways,182,200,\n"
        + "2026-11-23T10:20:00Z,api,github,up,182,200,\n"
    )
    problems: list[Problem] = []
    got = read_samples(data, problems=problems)
    assert [s.time.minute for s in got] == [5, 20]
    assert [str(p) for p in problems] == [
        "data/2026-11-23.csv:3: expected 7 fields, found 3",
        "data/2026-11-23.csv:4: status must be up, degraded or down, not 'sideways'",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "yesterday,api,github,up,182,200,",
        "2026-11-23T10:05:00,api,github,up,182,200,",
        "2026-11-23T10:05:00Z,api,github,up,fast,200,",
        "2026-11-23T10:05:00Z,,github,up,182,200,",
    ],
)
def test_bad_values_are_reported_not_raised(tmp_path: Path, line: str) -> None:
    path = tmp_path / "2026-11-23.csv"
    path.write_text(HEADER + line + "\n" + "2026-11-23T10:05:00Z,api,github,up,182,200,\n")
    problems: list[Problem] = []
    assert read_day(path, problems) == [at(0)]
    assert [(p.path.endswith("2026-11-23.csv"), p.line) for p in problems] == [(True, 2)]


def test_without_a_problem_list_malformed_lines_are_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "2026-11-23.csv"
    path.write_text(HEADER + "garbage\n")
    assert read_day(path) == []
    assert "2026-11-23.csv:2: expected 7 fields, found 1 (line skipped)" in caplog.text


def test_a_header_without_needed_columns_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "2026-11-23.csv"
    path.write_text("when,who\n2026-11-23T10:05:00Z,api\n")
    problems: list[Problem] = []
    assert read_day(path, problems) == []
    assert [(p.line, p.message) for p in problems] == [
        (1, "header lacks time, monitor, status; not read")
    ]


def test_reading_a_window(tmp_path: Path) -> None:
    append_samples(tmp_path, [at(m) for m in range(0, 60, 5)])
    got = read_samples(tmp_path, T + timedelta(minutes=10), T + timedelta(minutes=20))
    assert [s.time.minute for s in got] == [15, 20]


def test_sample_key_orders_missing_values_first() -> None:
    samples = [at(0, ms=5), at(0, ms=None), at(0, ms=0)]
    assert [s.ms for s in sorted(samples, key=sample_key)] == [None, 0, 5]


def test_kinds_read_back_whichever_way_a_file_is_read(tmp_path: Path) -> None:
    # plain lines (read from the text whole), a quoted detail with commas (column by column),
    # and a malformed line (line by line): each row keeps its own kind
    path = tmp_path / "2026-11-23.csv"
    plain = "2026-11-23T10:05:00Z,api,ci,down,,503,http_5xx,HTTP 503\n"
    quoted = '2026-11-23T10:10:00Z,api,ci,down,5,200,content,"json a: expected 1, got 2"\n'
    for body, lines in ((plain, 1), (plain + quoted, 2), (plain + quoted + "torn\n", 2)):
        path.write_text(KIND_HEADER + body)
        problems: list[Problem] = []
        kinds = [s.kind for s in read_day(path, problems)]
        assert kinds == ["http_5xx", "content"][:lines]
        assert len(problems) == body.endswith("torn\n")


def test_an_unknown_kind_is_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "2026-11-23.csv"
    path.write_text(KIND_HEADER + "2026-11-23T10:05:00Z,api,ci,down,,,teapot,x\n")
    problems: list[Problem] = []
    assert read_day(path, problems) == []
    assert [p.line for p in problems] == [2]
    assert problems[0].message.startswith("kind must be one of dns, connect, tls")
