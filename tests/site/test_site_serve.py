"""`upwatch serve`: serves the built site on 127.0.0.1 and rebuilds when an input changes."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from site_repo import write_repo

from generator.config.read import load_config
from generator.site import build as site


def test_server_answers_on_localhost(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("hello", encoding="utf-8")
    server = site.start_server(tmp_path, 0)
    try:
        port = server.server_address[1]
        response = httpx.get(f"http://127.0.0.1:{port}/index.html", timeout=5)
        assert (response.status_code, response.text) == (200, "hello")
    finally:
        server.shutdown()
        server.server_close()


def test_watch_rebuilds_when_an_incident_changes(tmp_path: Path) -> None:
    config = load_config(write_repo(tmp_path))
    out = tmp_path / "site"
    site._rebuild(config, out)
    assert not (out / "incidents/2026-11-23-new.html").exists()
    watcher = threading.Thread(target=site.watch, args=(config, out, 0.05, 40))
    watcher.start()
    time.sleep(0.2)
    new = tmp_path / "incidents/2026-11-23-new.md"
    new.write_text("---\ntitle: New\nstarted: 2026-11-23T10:00:00Z\n---\nBody\n", encoding="utf-8")
    watcher.join(timeout=30)
    assert (out / "incidents/2026-11-23-new.html").is_file()


def test_failed_rebuild_keeps_the_last_good_site(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(write_repo(tmp_path))
    out = tmp_path / "site"
    site._rebuild(config, out)
    before = (out / "index.html").read_bytes()
    broken = tmp_path / "incidents/2026-11-23-broken.md"
    broken.write_text("---\ntitle: Broken\nseverity: huge\n---\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        site._rebuild(config, out)
    assert (out / "index.html").read_bytes() == before
    assert "build failed, still serving the last good site:" in caplog.text
    assert "severity: must be one of minor, major, critical, not 'huge'" in caplog.text


def test_serve_command_builds_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    command = [sys.executable, "-c", "from generator.cli import main; main()", "serve"]
    command += ["--config", str(config)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [*command, "--port", "0"], stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stderr is not None
        port = None
        for line in process.stderr:
            match = re.search(r"serving on http://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
                break
        assert port is not None
        response = httpx.get(f"http://127.0.0.1:{port}/index.html", timeout=5)
        assert response.status_code == 200
        assert "Acme Status" in response.text
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
