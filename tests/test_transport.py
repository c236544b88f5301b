"""The probe's transport against real servers on 127.0.0.1: bodies, names, addresses, proxies."""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard
from localserver import LocalServer, Reply

from generator import probe, transport
from generator.config import Config, Defaults, Expect, Monitor, Site
from generator.store import Sample

NOW = datetime(2026, 11, 23, 10, 5, 0, tzinfo=UTC)
TEXT = '{"status": "ok", "note": "' + "all systems go " * 200 + '"}'
WANTED = "all systems go " * 3  # repeats: compressed, it is never there as it is


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def server(shared_server: LocalServer) -> LocalServer:
    shared_server.clear()
    return shared_server


def http(url: str, **fields: Any) -> Monitor:
    fields.setdefault("timeout", 3.0)
    fields.setdefault("retries", 0)
    return Monitor(id=fields.pop("id", "api"), name="API", url=url, **fields)


def probe_all(*monitors: Monitor) -> list[Sample]:
    """Probe through the real run(), as `upwatch probe` does."""
    config = Config(
        path=Path("status.yml"), site=Site("Test"), defaults=Defaults(), monitors=monitors
    )
    return probe.run(config, list(monitors), NOW, "test")


def outcome(sample: Sample) -> tuple[str, int | None, str]:
    return sample.status, sample.code, sample.detail


# --- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("br", brotli.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
        ("gzip", gzip.compress),
    ],
)
def test_compressed_bodies_sent_unasked_are_decoded(
    server: LocalServer, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = compress(TEXT.encode())
    assert WANTED.encode() not in body
    server.route("/packed", Reply(200, body, headers={"Content-Encoding": encoding}))
    monitor = http(server.url("/packed"), expect=Expect(contains=WANTED))
    [sample] = probe_all(monitor)
    assert outcome(sample) == ("up", 200, "")


def test_the_probe_offers_br_and_zstd(server: LocalServer) -> None:
    server.route("/", Reply(200, "ok"))
    probe_all(http(server.url("/")))
    offered = {e.strip() for e in server.requests[-1].headers["accept-encoding"].split(",")}
    assert {"br", "zstd", "gzip"} <= offered


# --- names ----------------------------------------------------------------------------------

SECRET_LABEL = "S3cretHostLabel" + "x" * 60  # one label over 63 characters: not IDNA


def upwatch(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real `upwatch` console script in a process of its own."""
    script = Path(sys.executable).with_name("upwatch")
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_host_name_that_is_not_idna_is_down_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "status.yml").write_text(
        "site: {title: Names}\n"
        "defaults: {timeout: 2, retries: 0}\n"
        "monitors:\n"
        "  - id: idna\n"
        "    url: http://${SECRET_HOST}.example/\n"
    )
    done = upwatch(
        "-v",
        "probe",
        "--now",
        "2026-11-23T10:00:00Z",
        cwd=tmp_path,
        env={"SECRET_HOST": SECRET_LABEL},
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert "s3crethost" not in output.lower()
    assert re.search(r"^idna +down +invalid host name$", output, re.MULTILINE), output
    day = (tmp_path / "data" / "2026-11-23.csv").read_text()
    assert ",down,,,invalid host name" in day
    assert "s3crethost" not in day.lower()


def test_resolver_threads_are_not_named_after_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    names: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    asyncio.run(transport.resolve("localhost", 80))
    assert names == ["upwatch resolve"]
