"""`upwatch demo --no-serve --out DIR` end to end: the real command, local endpoints only."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One real `upwatch demo --no-serve --out DIR` run (its temporary folders under the same
    folder) that the tests below read: the folder and the finished process."""
    tmp = tmp_path_factory.mktemp("demo")
    return tmp, run_demo(tmp, "--no-serve", "--out", str(tmp / "site"))


def test_demo_builds_a_complete_site(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    tmp, result = demo
    out = tmp / "site"
    assert result.returncode == 0, result.stderr
    assert "built in" in result.stderr and str(out) in result.stderr
    index = (out / "index.html").read_text()
    assert "DEMO: Acme Status" in index
    assert "Billing is down" in index  # opened by the two real probe runs
    pages = sorted(p.name for p in (out / "incidents").glob("*.html"))
    assert any(name.endswith("-public-api-is-down.html") for name in pages)
    assert any(name.endswith("-database-upgrade.html") for name in pages)
    assert any(name.endswith("-database-failover-test.html") for name in pages)
    story = next((out / "incidents").glob("*-public-api-is-down.html")).read_text()
    assert "Public API errors after a configuration change" in story
    assert "Resolved after 45 min." in story
    history = (out / "history.html").read_text()
    assert "Database upgrade" in history and "Database failover test" in history
    summary = json.loads((out / "api" / "v2" / "summary.json").read_text())
    assert {"website", "api", "search", "billing", "db"} <= {c["id"] for c in summary["components"]}
    assert [m["name"] for m in summary["scheduled_maintenances"]] == ["Database failover test"]
    monitor = json.loads((out / "api" / "monitors" / "billing.json").read_text())
    assert monitor["status"] == "major_outage"


def run_demo(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `upwatch demo` in a subprocess whose temporary folders go under tmp."""
    return subprocess.run(
        [sys.executable, "-c", "from generator.cli import main; main()", "demo", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp,
        env={**os.environ, "TMPDIR": str(tmp)},
    )


def leftovers(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.glob("upwatch-demo-*"))


def test_demo_has_90_days_of_history_and_leaves_no_work_folder(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    tmp, result = demo
    out = tmp / "site"
    assert result.returncode == 0, result.stderr
    assert leftovers(tmp) == []
    for monitor in ("website", "api", "search", "billing", "db"):
        days = json.loads((out / "api" / "monitors" / f"{monitor}.json").read_text())["days"]
        assert len(days) == 90
        assert all(day["samples"] > 0 for day in days), monitor
    assert "DEMO: Acme Status" in (out / "index.html").read_text()


def test_demo_without_out_keeps_the_site_it_built(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "--no-serve")
    assert result.returncode == 0, result.stderr
    [folder] = leftovers(tmp_path)  # the only copy of the site: it is the output
    assert (tmp_path / folder / "site" / "index.html").is_file()
    assert str(tmp_path / folder / "site") in result.stderr


def test_demo_interrupted_while_serving_removes_its_folder(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from generator.cli import main; main()",
            "demo",
            "--port",
            str(port),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        page = wait_for_page(f"http://127.0.0.1:{port}/", process)
        assert "DEMO: Acme Status" in page
        assert len(leftovers(tmp_path)) == 1  # the demo folder exists while it serves
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert leftovers(tmp_path) == []
    assert len(re.findall(r"built \d+ pages", stderr)) == 1, stderr  # serve mode builds once
    assert "Traceback" not in stderr


def start_demo(tmp: Path, *args: str) -> subprocess.Popen[str]:
    """The real `upwatch demo` running in the background, its temporary folders under tmp."""
    return subprocess.Popen(
        [sys.executable, "-c", "from generator.cli import main; main()", "demo", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=tmp,
        env={**os.environ, "TMPDIR": str(tmp)},
    )


def stop(process: subprocess.Popen[str], number: signal.Signals) -> str:
    """Send a signal, wait for the process to end; its stderr."""
    try:
        process.send_signal(number)
        _, stderr = process.communicate(timeout=30)
        return stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_demo_terminated_while_serving_removes_its_folder(
    tmp_path: Path, number: signal.Signals
) -> None:
    port = free_port()
    process = start_demo(tmp_path, "--port", str(port))
    assert "DEMO: Acme Status" in wait_for_page(f"http://127.0.0.1:{port}/", process)
    assert len(leftovers(tmp_path)) == 1
    stderr = stop(process, number)
    assert leftovers(tmp_path) == []
    assert process.returncode == 128 + number  # ended by the signal, as a shell reports it
    assert "stopped" in stderr and "Traceback" not in stderr


def test_demo_terminated_while_building_removes_its_folder(tmp_path: Path) -> None:
    """SIGTERM once the demo has written its config, while it fills 90 days of samples."""
    process = start_demo(tmp_path, "--no-serve")  # a finished run would keep its folder
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("upwatch-demo-*/status.yml")):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the demo wrote no status.yml"
        time.sleep(0.01)
    stderr = stop(process, signal.SIGTERM)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert leftovers(tmp_path) == []
    assert "Traceback" not in stderr


def test_demo_with_its_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_demo(tmp_path, "--port", str(port))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(rf"upwatch: port {port} is in use; try --port \d+", lines[0])
    assert leftovers(tmp_path) == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_page(url: str, process: subprocess.Popen[str], limit: float = 60) -> str:
    """The page once the demo serves it (or fail when the process ends or time runs out)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                body: str = answer.read().decode()
                if "</html>" in body:
                    return body
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} was not served within {limit} s")
