"""Probe benchmarks (SPEC "Numbers to reach"): print wall time and peak memory.

    python bench/probe.py [--monitors 1000] [--delay 0.2] [--runs 3]

(a) `upwatch probe` over 1,000 HTTP monitors against a local server in a separate process
    that answers every request after 200 ms: wall time and peak RSS of the whole command
    (targets <= 2.0 s and <= 150 MB with the default concurrency of 200).
(b) the same command with one endpoint that hangs (timeout 2 s, retries 0) among healthy
    ones: the run must end within that timeout + 1 s.

The probe runs as a subprocess exactly as a user runs it; its peak memory comes from
wait4()'s resource usage for that one process. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVER = REPO / "tests" / "localserver.py"
NOW = "2026-11-23T10:05:00Z"


@contextmanager
def local_server(delay: float, hang: str | None = None) -> Iterator[int]:
    """A server process answering 200 after `delay` (and never on `hang`); yields its port."""
    command = [sys.executable, str(SERVER), "--delay", str(delay)]
    if hang:
        command += ["--hang", hang]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield int(server.stdout.readline())
    finally:
        server.terminate()
        server.wait(10)


def write_config(folder: Path, urls: list[str], defaults: str = "") -> Path:
    lines = ["site: {title: Bench}", f"defaults: {{{defaults}}}", "monitors:"]
    lines += [f"  - {{id: m{i}, url: '{url}'}}" for i, url in enumerate(urls)]
    path = folder / "status.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def upwatch_command() -> list[str]:
    script = shutil.which("upwatch")
    if script:
        return [script]
    return [sys.executable, "-c", "import sys; from generator.cli import main; sys.exit(main())"]


def probe_once(config: Path) -> tuple[float, float, str]:
    """Run `upwatch probe` once; return wall seconds, peak RSS in MB and its last line."""
    command = [*upwatch_command(), "-q", "probe", "--config", str(config), "--now", NOW]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    out = (child.stdout.read() if child.stdout else "").strip().splitlines()
    err = child.stderr.read() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"upwatch probe failed:\n{err}")
    peak_mb = usage.ru_maxrss / 1024  # Linux reports kilobytes
    return wall, peak_mb, out[-1] if out else ""


def bench_many(monitors: int, delay: float, runs: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp, local_server(delay) as port:
        urls = [f"http://127.0.0.1:{port}/m{i}" for i in range(monitors)]
        config = write_config(Path(tmp), urls)
        figures = []
        for _ in range(runs):
            shutil.rmtree(Path(tmp) / "data", ignore_errors=True)
            figures.append(probe_once(config))
        wall = min(f[0] for f in figures)
        peak = max(f[1] for f in figures)
        print(f"  {figures[-1][2]}")
        print(
            f"probe {monitors} monitors ({int(delay * 1000)} ms each): {wall:.2f} s wall "
            f"(best of {runs}; all: {', '.join(f'{f[0]:.2f}' for f in figures)}), "
            f"{peak:.0f} MB peak (target <= 2.0 s, <= 150 MB)"
        )
        return wall <= 2.0 and peak <= 150


def bench_hang(timeout: float, healthy: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp, local_server(0.05, hang="/hang") as port:
        urls = [f"http://127.0.0.1:{port}/hang"]
        urls += [f"http://127.0.0.1:{port}/ok{i}" for i in range(healthy)]
        config = write_config(Path(tmp), urls, f"timeout: {timeout:g}, retries: 0")
        wall, peak, last = probe_once(config)
        print(f"  {last}")
        print(
            f"probe with one hanging endpoint (timeout {timeout:g} s, retries 0, "
            f"{healthy} healthy): {wall:.2f} s wall, {peak:.0f} MB peak "
            f"(target <= {timeout + 1:g} s)"
        )
        return wall <= timeout + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    good = bench_many(args.monitors, args.delay, args.runs)
    good = bench_hang(2.0, 50) and good
    print("all probe targets met" if good else "a probe target was missed")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
