"""The probe's transport against real servers on 127.0.0.1: bodies, names, addresses, proxies."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard
from localserver import LocalServer, Reply

from generator import probe
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
