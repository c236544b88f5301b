"""Day files as a person, a merge, a server or a full disk leaves them, through the real CLI.

Odd status codes, byte order marks, fields over csv's size limit, symlinks and FIFOs under
data/, and a disk that fills up while a run appends. Commands that could block on a FIFO
run in a subprocess with a timeout, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from localserver import closed_port

from generator.cli import main
from generator.config.read import load_config
from generator.errors import Problem
from generator.incidents import update
from generator.store.days import (
    FIELD_LIMIT,
    HEADER,
    Sample,
    append_samples,
    read_day,
    read_rows,
    read_samples,
)
from generator.store.history import read_history as load_history
from generator.store.samples import parse_code
from generator.store.tally import DayStats, count

NOW = "2026-11-30T12:00:00Z"
TODAY = datetime(2026, 11, 30, 12, tzinfo=UTC)
NO_WINDOWS: dict[str, list[tuple[datetime, datetime]]] = {}
CODE = 'from generator.cli import main; main(prog_name="upwatch")'


def repo(root: Path, monitors: str = "", defaults: str = "") -> Path:
    """A fixture repository (status.yml, incidents/, data/); returns its status.yml."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "incidents").mkdir(exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    config = root / "status.yml"
    monitors = monitors or "  - id: api\n    url: http://127.0.0.1:1/\n"
    config.write_text(
        "site: {title: Files}\n"
        f"defaults: {{timeout: 1, retries: 0, failure_threshold: 2{defaults}}}\n"
        f"monitors:\n{monitors}"
    )
    return config


def cli(*args: str) -> tuple[int, str]:
    """Run upwatch in-process: exit code and everything printed, paths shown relative."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def run(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run upwatch in a subprocess from cwd; a hang fails the test with TimeoutExpired."""
    return subprocess.run(
        [sys.executable, "-c", CODE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def api_json(root: Path, monitor: str = "api") -> dict:  # type: ignore[type-arg]
    return json.loads((root / "site" / "api" / "monitors" / f"{monitor}.json").read_text())


def row(t: str, status: str = "up", ms: str = "100", code: str = "200", detail: str = "") -> str:
    return f"2026-11-30T{t}:00Z,api,ci,{status},{ms},{code},{detail}\n"


# --- status codes outside 100-599 (item 14) ----------------------------------------------


@pytest.mark.parametrize("text", ["100", "204", "599", "600", "999"])
def test_any_three_digit_code_from_100_to_999_is_read(text: str) -> None:
    assert parse_code(text) == int(text)


@pytest.mark.parametrize("text", ["099", "000", "1000", "20", "abc", "2\u0660\u0660", "+99"])
def test_other_codes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="code must be an HTTP status from 100 to 999"):
        parse_code(text)


def test_a_code_999_down_row_is_down_for_the_site_and_opens_an_incident(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = repo(tmp_path)
    rows = row("11:50", "down", "3", "999", "HTTP 999") + row("11:55", "down", "3", "999", "x")
    (tmp_path / "data" / "2026-11-30.csv").write_text(HEADER + row("11:45") + rows)
    code, output = cli("build", "--config", str(config), "--now", NOW)
    assert (code, "line skipped" in output) == (0, False), output
    api = api_json(tmp_path)
    assert (api["status"], api["days"][-1]["samples"]) == ("major_outage", 3)
    assert api["days"][-1]["uptime"] == pytest.approx(100 / 3, abs=0.01)
    changes = update(load_config(config), TODAY, ["api"])
    [opened] = list((tmp_path / "incidents").iterdir())
    assert len(changes) == 1
    assert "started: 2026-11-30T11:50:00Z" in opened.read_text()


def test_a_server_answering_999_is_recorded_down_and_opens_an_incident(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with raw_server(b"HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nok") as port:
        config = repo(tmp_path, f"  - id: api\n    url: http://127.0.0.1:{port}/\n")
        for minute in ("50", "55"):
            code, output = cli(
                "probe", "--config", str(config), "--now", f"2026-11-30T11:{minute}:00Z"
            )
            assert code == 0, output
    rows = (tmp_path / "data" / "2026-11-30.csv").read_text().splitlines()[1:]
    assert [r.split(",")[3:6:2] for r in rows] == [["down", "999"], ["down", "999"]]
    assert len(list((tmp_path / "incidents").iterdir())) == 1
    assert cli("build", "--config", str(config), "--now", NOW)[0] == 0
    assert api_json(tmp_path)["status"] == "major_outage"


@contextlib.contextmanager
def raw_server(answer: bytes) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that answers every connection with these exact bytes."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        # shutdown() wakes the accept() blocked in the thread; close() alone does not.
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


# --- byte order marks and compaction of files not read in full (item 16) ------------------


def test_a_day_file_with_a_byte_order_mark_is_read_by_every_reader(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "2026-11-30.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + row("11:00") + row("11:05", "down", "")).encode())
    problems: list[Problem] = []
    assert [s.status for s in read_day(path, problems)] == ["up", "down"]
    assert problems == []
    assert len(read_samples(data)) == 2
    days = load_history(data, TODAY, NO_WINDOWS).days
    assert days == {"api": {date(2026, 11, 30): DayStats(1, 0, 1, 0, 1, 100, 100, 100)}}


def test_appending_to_a_file_with_a_byte_order_mark_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "2026-11-30.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + row("11:00")).encode())
    append_samples(tmp_path, [Sample(TODAY, "api", "ci", "down", None, 999, "HTTP 999")])
    assert [(s.status, s.code) for s in read_samples(tmp_path)] == [("up", 200), ("down", 999)]


def test_a_utf16_day_file_is_reported_not_read(tmp_path: Path) -> None:
    path = tmp_path / "2026-11-30.csv"
    path.write_bytes((HEADER + row("11:00")).encode("utf-16"))
    problems: list[Problem] = []
    assert read_day(path, problems) == []
    assert [(p.line, p.message) for p in problems] == [
        (1, "UTF-16 text (save the file as UTF-8); not read")
    ]


def test_compact_keeps_every_day_file_it_could_not_read_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo(tmp_path)
    data = tmp_path / "data"
    good = "2026-11-{d}T10:00:00Z,api,ci,up,100,200,\n2026-11-{d}T10:05:00Z,api,ci,down,,,x\n"
    for day in ("01", "02", "03", "04", "05"):
        (data / f"2026-11-{day}.csv").write_text(HEADER + good.format(d=day))
    (data / "2026-11-02.csv").write_bytes(b"\xef\xbb\xbf" + (HEADER + good.format(d="02")).encode())
    (data / "2026-11-03.csv").write_text("Time,Monitor,Status\n" + good.format(d="03"))
    with (data / "2026-11-04.csv").open("a") as torn:
        torn.write("2026-11-04T10:10:00Z,api,c\n")
    (data / "2026-11-05.csv").write_bytes((HEADER + good.format(d="05")).encode("utf-16"))
    before = run(tmp_path, "build", "--now", NOW)
    assert before.returncode == 0, before.stderr
    site_before = api_json(tmp_path)
    code, output = cli("compact", "--now", NOW, "--keep-days", "7")
    assert code == 0, output
    assert output.splitlines() == [
        "data/2026-11-03.csv:1: header lacks time, monitor, status; not read",
        "data/2026-11-03.csv: kept as a day file: compact removes only files it read in full"
        " (fix or delete the lines above, then compact again)",
        "data/2026-11-04.csv:4: expected 7 fields, found 3 (line skipped)",
        "data/2026-11-04.csv: kept as a day file: compact removes only files it read in full"
        " (fix or delete the lines above, then compact again)",
        "data/2026-11-05.csv:1: UTF-16 text (save the file as UTF-8); not read",
        "data/2026-11-05.csv: kept as a day file: compact removes only files it read in full"
        " (fix or delete the lines above, then compact again)",
        "rolled 2 days into 1 rollup files",
    ]
    assert sorted(p.name for p in data.iterdir()) == [
        "2026-11-03.csv",
        "2026-11-04.csv",
        "2026-11-05.csv",
        "rollup",
    ]
    assert run(tmp_path, "build", "--now", NOW).returncode == 0
    assert api_json(tmp_path) == site_before
    days = {d["date"]: d["samples"] for d in site_before["days"]}
    assert [days[f"2026-11-0{n}"] for n in range(1, 6)] == [2, 2, 0, 2, 0]


# --- fields over csv's limit (item 17) ----------------------------------------------------

BIG = "x" * (FIELD_LIMIT + 1)


@pytest.mark.parametrize("field", [BIG, f'"{BIG}"', f'"a, {BIG}"'])
def test_a_field_over_the_csv_limit_is_a_located_skipped_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    body = row("11:00") + row("11:05", "down", "", "", field) + row("11:10", detail='"a, b"')
    path = data / "2026-11-30.csv"
    path.write_text(HEADER + body)
    want = [Problem("data/2026-11-30.csv", 3, f"field larger than {FIELD_LIMIT} characters")]
    problems: list[Problem] = []
    assert [s.time.minute for s in read_day(path, problems)] == [0, 10]
    assert problems == want
    found = []
    rows = read_rows(path, found, TODAY.date())
    assert (count(rows, {})["api"].up, len(rows), found) == (2, 2, want)


def test_an_oversized_row_does_not_stop_later_probes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = repo(
        tmp_path, f"  - id: api\n    type: tcp\n    host: 127.0.0.1\n    port: {closed_port()}\n"
    )
    (tmp_path / "data" / "2026-11-30.csv").write_text(HEADER + row("11:00", detail=BIG))
    for minute in ("50", "55"):
        code, output = cli("probe", "--config", str(config), "--now", f"2026-11-30T11:{minute}:00Z")
        assert code == 0, output
        assert output.splitlines()[0] == (
            f"data/2026-11-30.csv:2: field larger than {FIELD_LIMIT} characters (line skipped)"
        )
    assert output.splitlines()[-1] == "1 monitor: 0 up, 0 degraded, 1 down; opened 1 incident"
    assert len(list((tmp_path / "incidents").iterdir())) == 1


def test_an_oversized_rollup_row_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = repo(tmp_path)
    rollup = tmp_path / "data" / "rollup"
    rollup.mkdir()
    (rollup / "2026-11.csv").write_text(
        "day,monitor,up,degraded,down,maintenance,ms_count,ms_sum,ms_p50,ms_p95\n"
        f"2026-11-01,{BIG},1,0,0,0,0,0,,\n"
        "2026-11-02,api,3,0,1,0,0,0,,\n"
    )
    code, output = cli("build", "--config", str(config), "--now", NOW)
    assert code == 0, output
    assert output.splitlines()[0] == "data/rollup/2026-11.csv:2: damaged rollup row (line skipped)"
    days = {d["date"]: d["uptime"] for d in api_json(tmp_path)["days"]}
    assert days["2026-11-02"] == 75.0


# --- upwatch check validates data/ (item 17) ----------------------------------------------


def test_check_warns_of_skipped_rows_and_still_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo(tmp_path)
    data = tmp_path / "data"
    (data / "2026-11-29.csv").write_text(HEADER + row("11:00").replace("30T", "29T"))
    (data / "2026-11-30.csv").write_text(
        HEADER + row("11:00", detail=BIG) + row("11:05", "sideways") + "torn,row\n" + row("11:15")
    )
    (data / "2026-13-45.csv").write_text(HEADER)
    (data / "rollup").mkdir()
    (data / "rollup" / "2026-10.csv").write_text("day,monitor,up\n2026-10-01,api,x\n")
    code, output = cli("check")
    assert code == 0, output
    assert output.splitlines() == [
        "data/2026-13-45.csv: no such day; file ignored",
        f"data/2026-11-30.csv:2: field larger than {FIELD_LIMIT} characters (line skipped)",
        "data/2026-11-30.csv:3: status must be up, degraded or down, not 'sideways' (line skipped)",
        "data/2026-11-30.csv:4: expected 7 fields, found 2 (line skipped)",
        "data/rollup/2026-10.csv:2: damaged rollup row (line skipped)",
        "status.yml: 1 monitor and 0 incident files are valid",
    ]


def test_check_fails_on_files_no_reader_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo(tmp_path)
    data = tmp_path / "data"
    (data / "2026-11-28.csv").write_text("when,who\n")
    (data / "2026-11-29.csv").write_bytes(HEADER.encode("utf-16"))
    (data / "2026-11-30.csv").symlink_to("/etc/hostname")
    (tmp_path / "incidents" / "notes.md").write_text("---\ntitle: x\n---\n")
    code, output = cli("check")
    assert code == 1
    assert output.splitlines() == [
        "incidents/notes.md: file name must be YYYY-MM-DD-slug.md, e.g. 2026-06-19-api-outage.md",
        "incidents/notes.md:1: started: is required, such as started: 2026-06-19T15:57:00Z",
        "data/2026-11-30.csv: a symlink to a file outside the repository; not read",
        "data/2026-11-28.csv:1: header lacks time, monitor, status; not read",
        "data/2026-11-29.csv:1: UTF-16 text (save the file as UTF-8); not read",
    ]


def test_the_fast_and_the_raw_reader_find_the_same_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    path = data / "2026-11-30.csv"
    path.write_text(
        "<<<<<<< HEAD\n"
        + HEADER
        + row("11:00", code="999")
        + row("11:05", code="1000")
        + row("11:10", detail=f'"{BIG}"')
        + row("11:15", detail='"open')
        + "2026-11-30T11:20:00Z,api\n"
        + row("11:25", ms="fast")
        + row("11:00", code="999")
    )
    raw: list[Problem] = []
    read_day(path, raw)
    day: list[Problem] = []
    read_rows(path, day, TODAY.date())
    assert day == raw
    assert [p.line for p in raw] == [1, 4, 5, 7, 8]


# --- symlinks, FIFOs and devices under data/ (item 15) ------------------------------------


def fifo_repo(root: Path) -> Path:
    """A repository whose data/ holds a FIFO and a link to /dev/zero named like day files."""
    config = repo(root)
    os.mkfifo(root / "data" / "2026-11-29.csv")
    (root / "data" / "2026-11-28.csv").symlink_to("/dev/zero")
    (root / "data" / "2026-11-30.csv").write_text(HEADER + row("11:00"))
    return config


FIFO_LINES = [
    "data/2026-11-28.csv: a symlink to a file outside the repository; not read",
    "data/2026-11-29.csv: a FIFO, not a regular file; not read",
]


@pytest.mark.parametrize(
    "command",
    [
        ("build", "--now", NOW),
        ("compact", "--now", NOW, "--keep-days", "2"),
        ("probe", "--now", NOW, "--only", "api"),
    ],
)
def test_a_fifo_or_a_device_link_in_data_is_refused_not_read(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    fifo_repo(tmp_path)
    done = run(tmp_path, *command, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "not read" in line] == FIFO_LINES
    assert (tmp_path / "data" / "2026-11-29.csv").is_fifo()
    assert (tmp_path / "data" / "2026-11-28.csv").is_symlink()


def test_check_names_the_fifo_and_the_device_link(tmp_path: Path) -> None:
    fifo_repo(tmp_path)
    done = run(tmp_path, "check", timeout=60)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == FIFO_LINES


@pytest.mark.parametrize("kind", ["fifo", "outside", "device"])
def test_an_append_never_writes_through_a_link_or_into_a_fifo(tmp_path: Path, kind: str) -> None:
    repo(
        tmp_path / "repo",
        f"  - id: api\n    type: tcp\n    host: 127.0.0.1\n    port: {closed_port()}\n",
    )
    today = tmp_path / "repo" / "data" / "2026-11-30.csv"
    outside = tmp_path / "outside.csv"
    outside.write_text(HEADER)
    if kind == "fifo":
        os.mkfifo(today)
    else:
        today.symlink_to("/dev/null" if kind == "device" else outside)
    done = run(tmp_path / "repo", "probe", "--now", NOW, timeout=60)
    reason = {
        "fifo": "a FIFO, not a regular file",
        "outside": "a symlink to a file outside the repository",
        "device": "a symlink to a file outside the repository",
    }[kind]
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines()[-1] == f"data/2026-11-30.csv: {reason}; samples not written"
    assert outside.read_text() == HEADER


def test_a_day_file_linked_to_another_file_inside_the_repository_is_read(tmp_path: Path) -> None:
    config = repo(tmp_path)
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "day.csv").write_text(HEADER + row("11:00"))
    (tmp_path / "data" / "2026-11-30.csv").symlink_to("../archive/day.csv")
    assert [s.status for s in read_samples(tmp_path / "data")] == ["up"]
    append_samples(tmp_path / "data", [Sample(TODAY, "api", "ci", "down")])
    assert (tmp_path / "data" / "2026-11-30.csv").is_symlink()
    assert (tmp_path / "archive" / "day.csv").read_text().endswith("down,,,\n")
    assert load_config(config).data_dir == tmp_path / "data"


def test_a_rollup_linked_out_of_the_repository_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = repo(tmp_path / "repo")
    secret = tmp_path / "secret.csv"
    secret.write_text("day,monitor,up,degraded,down,maintenance,ms_count,ms_sum,ms_p50,ms_p95\n")
    (tmp_path / "repo" / "data" / "rollup").mkdir()
    (tmp_path / "repo" / "data" / "rollup" / "2026-11.csv").symlink_to(secret)
    code, output = cli("build", "--config", str(config), "--now", NOW)
    assert code == 0, output
    assert output.splitlines()[0] == (
        "repo/data/rollup/2026-11.csv: a symlink to a file outside the repository; not read"
    )


# --- a full disk (item 19) ----------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (needs root, as in CI); skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> None:
    """Write a filler file until the file system holding folder has no space left."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def tcp_monitors(count: int) -> str:
    port = closed_port()
    return "".join(
        f"  - id: m{n:03d}\n    type: tcp\n    host: 127.0.0.1\n    port: {port}\n"
        for n in range(count)
    )


def test_a_full_disk_ends_the_probe_with_one_line_and_no_torn_row(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(small_disk)
    config = repo(small_disk, tcp_monitors(100))
    today = small_disk / "data" / "2026-11-30.csv"
    today.write_text(HEADER + row("11:00"))
    before = today.read_bytes()
    fill(small_disk)
    code, output = cli("probe", "--config", str(config), "--now", NOW)
    assert (code, output) == (
        1,
        "upwatch: no space left on device while writing data/2026-11-30.csv\n",
    )
    assert today.read_bytes() == before


def test_a_full_disk_removes_a_day_file_the_probe_started(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(small_disk)
    config = repo(small_disk, tcp_monitors(3))
    fill(small_disk)
    code, output = cli("probe", "--config", str(config), "--now", NOW)
    assert (code, output) == (
        1,
        "upwatch: no space left on device while writing data/2026-11-30.csv\n",
    )
    assert list((small_disk / "data").iterdir()) == []


def test_a_full_disk_ends_build_and_compact_with_one_line(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(small_disk)
    config = repo(small_disk)
    for day in range(1, 21):
        (small_disk / "data" / f"2026-11-{day:02d}.csv").write_text(
            HEADER + row("11:00").replace("30T", f"{day:02d}T")
        )
    before = {p.name: p.read_bytes() for p in (small_disk / "data").iterdir()}
    fill(small_disk)
    for command in (("build",), ("compact", "--keep-days", "3")):
        code, output = cli(*command, "--config", str(config), "--now", NOW)
        assert code == 1, output
        [line] = output.splitlines()
        assert line.startswith("upwatch: no space left on device"), line
    assert {p.name: p.read_bytes() for p in (small_disk / "data").glob("*.csv")} == before
    assert [p for p in (small_disk / "data").rglob("*") if p.is_file() and p.suffix != ".csv"] == []
    assert list((small_disk / "data").glob("rollup/*")) == []


FILE_SIZE_LIMIT = """\
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from generator.cli import main
main(sys.argv[2:], prog_name="upwatch")
"""


def test_a_file_size_limit_is_handled_like_a_full_disk(tmp_path: Path) -> None:
    # Works without root: writes past RLIMIT_FSIZE fail with EFBIG once SIGXFSZ is ignored.
    repo(tmp_path, tcp_monitors(50))
    today = tmp_path / "data" / "2026-11-30.csv"
    today.write_text(HEADER + row("11:00"))
    before = today.read_bytes()
    limit = str(len(before) + 1000)  # room for some of the 50 rows, not all of them
    done = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMIT, limit, "probe", "--now", NOW],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "upwatch: file too large while writing data/2026-11-30.csv\n"
    assert today.read_bytes() == before


def test_a_data_folder_linked_out_of_the_repository_is_not_written(tmp_path: Path) -> None:
    monitor = f"  - id: api\n    type: tcp\n    host: 127.0.0.1\n    port: {closed_port()}\n"
    repo(tmp_path / "repo", monitor)
    (tmp_path / "repo" / "data").rmdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "repo" / "data").symlink_to(tmp_path / "elsewhere")
    done = run(tmp_path / "repo", "probe", "--now", NOW, timeout=60)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines()[-1] == (
        "data/2026-11-30.csv: in a folder outside the repository; samples not written"
    )
    assert list((tmp_path / "elsewhere").iterdir()) == []
