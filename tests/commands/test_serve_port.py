"""`upwatch serve` on a port that is already taken: one line, exit 1, nothing built."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

CONFIG = """\
site:
  title: Port Test
monitors:
  - {id: web, name: Web, url: "http://127.0.0.1:9/"}
"""


def test_serve_with_its_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "status.yml").write_text(CONFIG)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            main, ["serve", "--config", str(tmp_path / "status.yml"), "--port", str(port)]
        )
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    match = re.fullmatch(rf"upwatch: port {port} is in use; try --port (\d+)", lines[0])
    assert match and int(match[1]) > port
    assert not (tmp_path / "site").exists()  # the port is checked before any build


def test_the_suggested_port_is_free(tmp_path: Path) -> None:
    (tmp_path / "status.yml").write_text(CONFIG)
    with socket.socket() as busy, socket.socket() as next_one:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        try:
            next_one.bind(("127.0.0.1", port + 1))
            next_one.listen()
        except OSError:
            pass  # taken by someone else already: busy all the same
        result = CliRunner().invoke(
            main, ["serve", "--config", str(tmp_path / "status.yml"), "--port", str(port)]
        )
    match = re.search(r"try --port (\d+)", result.output)
    assert match and int(match[1]) > port + 1, result.output
