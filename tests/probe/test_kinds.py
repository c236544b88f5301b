"""Every degraded or down sample carries its failure kind, decided by the probe's verdict.

Real servers on 127.0.0.1 misbehave in each way; the kind comes from what failed (the
exception's type, the status, the unmet expectation), so each case names the kind and the
reason the sample shows beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from localserver import Certificates, LocalServer, Reply, TcpListener, closed_port

from generator.config.read import Config, Defaults, Expect, Monitor, Site
from generator.probe import run as probe
from generator.store.samples import FAILURE_KINDS, Sample, derive_kind

NOW = datetime(2026, 11, 23, 10, 5, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


def http(url: str, **fields: Any) -> Monitor:
    fields.setdefault("timeout", 1.0)
    fields.setdefault("retries", 0)
    return Monitor(id="api", name="API", url=url, **fields)


def probe_one(monitor: Monitor) -> Sample:
    config = Config(
        path=Path("status.yml"), site=Site("T"), defaults=Defaults(), monitors=(monitor,)
    )
    [sample] = probe.run(config, [monitor], NOW, "test")
    return sample


CASES: list[tuple[str, Reply, dict[str, Any], str, str]] = [
    ("/503", Reply(503), {}, "down", "http_5xx"),
    ("/404", Reply(404), {}, "down", "http_4xx"),
    ("/204", Reply(204, ""), {"expect": Expect(status=(200,))}, "down", "http_other"),
    ("/moved", Reply.redirect("/elsewhere"), {"max_redirects": 0}, "down", "redirect"),
    ("/loop", Reply.redirect("/loop"), {"max_redirects": 2}, "down", "redirect"),
    ("/word", Reply(200, "hello"), {"expect": Expect(contains="ok")}, "down", "content"),
    (
        "/json",
        Reply.json({"status": "DOWN"}),
        {"expect": Expect(json=(("status", "UP"),))},
        "down",
        "content",
    ),
    ("/slow", Reply(200, delay=0.2), {"degraded_ms": 50}, "degraded", "slow"),
    ("/hang", Reply.hang(), {"timeout": 0.3}, "down", "timeout"),
    ("/garbage", Reply.garbage(), {}, "down", "protocol"),
    ("/close", Reply.close(), {}, "down", "protocol"),
    ("/reset", Reply.reset(), {}, "down", "connect"),
]


@pytest.mark.parametrize(("path", "reply", "fields", "status", "kind"), CASES)
def test_each_failure_has_its_kind(
    server: LocalServer, path: str, reply: Reply, fields: dict[str, Any], status: str, kind: str
) -> None:
    server.route(path, reply)
    sample = probe_one(http(server.url(path), **fields))
    assert (sample.status, sample.kind) == (status, kind)


def test_an_up_sample_has_no_kind(server: LocalServer) -> None:
    server.route("/ok", Reply(200))
    assert (probe_one(http(server.url("/ok"))).kind) == ""


def test_network_failures_have_their_kinds() -> None:
    assert probe_one(http(f"http://127.0.0.1:{closed_port()}/")).kind == "connect"
    assert probe_one(http("http://x.invalid/", timeout=5.0)).kind == "dns"


def test_tcp_monitors_have_kinds_too() -> None:
    refused = Monitor(
        id="db", name="DB", type="tcp", host="127.0.0.1", port=closed_port(), timeout=1.0
    )
    assert probe_one(refused).kind == "connect"
    with TcpListener() as listener:
        slow = Monitor(
            id="db", name="DB", type="tcp", host="127.0.0.1", port=listener.port, degraded_ms=-1
        )
        assert (probe_one(slow).status, probe_one(slow).kind) == ("degraded", "slow")


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch) -> Certificates:
    certs = Certificates()
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return certs


def tls_kind(context: Any, **fields: Any) -> tuple[str, str]:
    with LocalServer(tls=context) as tls:
        tls.route("/", Reply(200))
        sample = probe_one(http(tls.url("/"), **fields))
    return sample.status, sample.kind


def test_certificate_and_tls_failures_have_their_kinds(trust: Certificates) -> None:
    assert tls_kind(trust.self_signed()) == ("down", "tls")
    assert tls_kind(trust.expired(), verify_tls=False) == ("down", "cert")
    assert tls_kind(trust.expiring(days=5)) == ("degraded", "cert")


@pytest.mark.parametrize(
    ("status", "code", "detail", "kind"),
    [
        ("up", 200, "", ""),
        ("down", None, "timeout after 10 s", "timeout"),
        ("down", None, "1xx answer, then no final response within 10 s", "timeout"),
        ("down", None, "DNS lookup failed for x.invalid", "dns"),
        ("down", None, "connection refused", "connect"),
        ("down", None, "connection reset", "connect"),
        ("down", None, "network is unreachable", "connect"),
        ("down", None, "TLS: certificate verify failed: self-signed certificate", "tls"),
        ("down", 200, "certificate expired on 2026-11-01", "cert"),
        ("degraded", 200, "certificate expires in 5 days; slow: 2500 ms > 2000 ms", "cert"),
        ("degraded", 200, "slow: 2500 ms > 2000 ms", "slow"),
        ("down", 503, "HTTP 503", "http_5xx"),
        ("down", 404, "HTTP 404", "http_4xx"),
        ("down", 999, "HTTP 999: not a valid status code", "http_other"),
        ("down", 301, "HTTP 301", "redirect"),
        ("down", None, "too many redirects (5)", "redirect"),
        ("down", 302, "redirect without a target", "redirect"),
        ("down", None, "after redirect to http://h/x: connection refused", "connect"),
        ("down", 200, "body lacks 'ok'", "content"),
        ("down", 200, "json status: expected 'UP', got 'DOWN'", "content"),
        ("down", None, "not an HTTP response", "protocol"),
        ("down", None, "connection closed without a response", "protocol"),
        ("down", None, "internal error: KeyError", "protocol"),
    ],
)
def test_rows_of_older_files_get_their_kind_from_code_and_detail(
    status: str, code: int | None, detail: str, kind: str
) -> None:
    assert derive_kind(status, code, detail) == kind
    assert kind == "" or kind in FAILURE_KINDS
