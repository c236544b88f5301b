"""Benchmark notifications: the wall time they add to `upwatch probe --push`.

Two status repositories on bare remotes on disk, identical but for a `notify` channel (a
json:// webhook to a recording server on 127.0.0.1), each probing 10 local monitors. Each
case runs the whole command in its own process, so imports count:

- nothing to send: every monitor up, no incident changes (apprise is never imported);
- 10 sent: all 10 monitors go down in one run, so 10 incidents open and 10 messages go out
  (two small pushes of data/notified.log: the claim, then the outcome).

The figure is the median over --runs of (with channel) - (without channel).

    python bench/notify.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from localserver import LocalServer, Reply  # the tests' real local servers

MONITORS = 10
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TARGET_NONE, TARGET_TEN = 0.2, 1.0
UPWATCH = str(Path(sys.executable).with_name("upwatch"))  # the installed console script


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def make_repo(root: Path, name: str, monitored: LocalServer, hook: str | None) -> Path:
    """A clone of a fresh bare remote holding the config; with hook, one notify channel."""
    bare, work = root / f"{name}.git", root / name
    git(root, "init", "-q", "--bare", "-b", "main", str(bare))
    git(root, "clone", "-q", str(bare), str(work))
    lines = ["site:\n  title: Bench\n", "defaults:\n  failure_threshold: 1\n  retries: 0\n"]
    lines.append("monitors:\n")
    for n in range(MONITORS):
        lines.append(f"  - id: m{n}\n    url: {monitored.url(f'/m{n}')}\n")
    if hook:
        lines.append(f'notify:\n  - url: "{hook}"\n    name: bench\n')
    (work / "status.yml").write_text("".join(lines))
    (work / ".gitattributes").write_text("data/*.csv merge=union\n")
    git(work, "add", ".")
    git(work, "commit", "-qm", "start")
    git(work, "push", "-q", "origin", "main")
    return work


def probe(work: Path, minutes: int) -> float:
    """Wall seconds of one `upwatch probe --push` in its own process."""
    now = (T0 + timedelta(minutes=minutes)).isoformat()
    command = [UPWATCH, "probe", "--config", str(work / "status.yml")]
    started = time.perf_counter()
    subprocess.run([*command, "--push", "--now", now, "-q"], check=True, capture_output=True)
    return time.perf_counter() - started


def route_all(server: LocalServer, reply: Reply) -> None:
    for n in range(MONITORS):
        server.route(f"/m{n}", reply)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    none_added, ten_added, sent_counts, bases = [], [], [], []
    with (
        LocalServer() as monitored,
        LocalServer() as receiver,
        tempfile.TemporaryDirectory() as tmp,
    ):
        receiver.route("/hook", Reply())
        hook = f"json://127.0.0.1:{receiver.port}/hook"
        for run in range(args.runs):
            root = Path(tmp) / f"run{run}"
            root.mkdir()
            plain = make_repo(root, "plain", monitored, None)
            told = make_repo(root, "told", monitored, hook)
            route_all(monitored, Reply())
            probe(plain, 0), probe(told, 0)  # warm: first commits, caches
            base = probe(plain, 5)
            none_added.append(probe(told, 5) - base)
            bases.append(base)
            route_all(monitored, Reply(503))
            before = len(receiver.requests)
            ten_added.append(probe(told, 10) - probe(plain, 10))
            sent_counts.append(len(receiver.requests) - before)
    none, ten = statistics.median(none_added), statistics.median(ten_added)
    print(f"monitors {MONITORS}, runs {args.runs}, messages per 10-sent run: {sent_counts}")
    print(f"probe --push without a channel, nothing changing: {statistics.median(bases):.3f} s")
    print(
        f"added when nothing is sent: {none:.3f} s (target <= {TARGET_NONE} s): "
        f"{'met' if none <= TARGET_NONE else 'MISSED'}"
    )
    print(
        f"added when 10 are sent:     {ten:.3f} s (target <= {TARGET_TEN} s): "
        f"{'met' if ten <= TARGET_TEN else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
