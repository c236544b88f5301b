"""The probe engine against real servers on 127.0.0.1 that misbehave on purpose."""

from __future__ import annotations

import asyncio
import csv
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from localserver import Certificates, LocalServer, Reply, TcpListener, closed_port

from generator.cli import main
from generator.config.read import Config, Defaults, Expect, Masker, Monitor, Site
from generator.errors import ConfigError, UsageError
from generator.incidents import Change
from generator.probe import run as probe
from generator.probe.http import BODY_CAP, read_capped
from generator.probe.transport import make_client
from generator.probe.verdict import Result, dig
from generator.store.samples import Sample

NOW = datetime(2026, 11, 23, 10, 5, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def server(shared_server: LocalServer) -> LocalServer:
    shared_server.clear()
    return shared_server


@pytest.fixture(scope="module")
def certs() -> Certificates:
    return Certificates()


def http(url: str, **fields: Any) -> Monitor:
    fields.setdefault("timeout", 2.0)
    fields.setdefault("retries", 0)
    return Monitor(id=fields.pop("id", "api"), name="API", url=url, **fields)


def config_of(*monitors: Monitor, path: Path = Path("status.yml")) -> Config:
    return Config(path=path, site=Site("Test"), defaults=Defaults(), monitors=monitors)


def probe_one(monitor: Monitor) -> Sample:
    """Probe one monitor through the real run(), as `upwatch probe` does."""
    [sample] = probe.run(config_of(monitor), [monitor], NOW, "test")
    return sample


def outcome(sample: Sample) -> tuple[str, int | None, str]:
    return sample.status, sample.code, sample.detail


# --- up, and what makes a response down -----------------------------------------------------


def test_a_healthy_endpoint_is_up_with_its_time_and_code(server: LocalServer) -> None:
    server.route("/health", Reply(200, '{"status": "UP"}'))
    sample = probe_one(http(server.url("/health")))
    assert outcome(sample) == ("up", 200, "")
    assert sample.ms is not None and 0 <= sample.ms < 2000
    assert (sample.time, sample.monitor, sample.location) == (NOW, "api", "test")


def test_an_error_status_is_down(server: LocalServer) -> None:
    server.route("/health", Reply(503, "busy"))
    assert outcome(probe_one(http(server.url("/health")))) == ("down", 503, "HTTP 503")


@pytest.mark.parametrize(
    ("status", "expected", "verdict"),
    [
        (204, ("2xx",), "up"),
        (404, (200, "2xx"), "down"),
        (404, (200, 404), "up"),
        (301, ("3xx",), "up"),
        (500, ("5xx",), "up"),
        (200, (201,), "down"),
    ],
)
def test_expected_status_takes_codes_and_ranges(
    server: LocalServer, status: int, expected: tuple[int | str, ...], verdict: str
) -> None:
    server.route("/s", Reply(status, "", headers={"Location": "/elsewhere"}))
    monitor = http(server.url("/s"), expect=Expect(status=expected), max_redirects=0)
    assert probe_one(monitor).status == verdict


def test_contains_and_not_contains(server: LocalServer) -> None:
    server.route("/page", Reply(200, 'status: "ok" - all good'))
    good = http(server.url("/page"), expect=Expect(contains='"ok"', not_contains="maintenance"))
    assert probe_one(good).status == "up"
    server.route("/page", Reply(200, "status: fine"))
    assert outcome(probe_one(good)) == ("down", 200, "body lacks '\"ok\"'")
    server.route("/page", Reply(200, '"ok" but under maintenance'))
    assert outcome(probe_one(good)) == ("down", 200, "body contains 'maintenance'")


def test_json_dotted_paths_and_list_indexes(server: LocalServer) -> None:
    body = {"status": "UP", "checks": {"db": "UP"}, "items": [{"id": 7}], "ok": True}
    server.route("/j", Reply.json(body))
    wanted = (("status", "UP"), ("checks.db", "UP"), ("items.0.id", 7), ("ok", True))
    assert probe_one(http(server.url("/j"), expect=Expect(json=wanted))).status == "up"
    body["status"] = "DOWN"
    server.route("/j", Reply.json(body))
    sample = probe_one(http(server.url("/j"), expect=Expect(json=wanted)))
    assert outcome(sample) == ("down", 200, "json status: expected 'UP', got 'DOWN'")


@pytest.mark.parametrize(
    ("body", "wanted", "detail"),
    [
        ('{"checks": {}}', (("checks.db", "UP"),), "json checks.db: missing"),
        ("<html>oops</html>", (("status", "UP"),), "body is not JSON"),
        ('{"items": []}', (("items.0.id", 1),), "json items.0.id: missing"),
        ('{"ok": 1}', (("ok", True),), "json ok: expected True, got 1"),
    ],
)
def test_json_problems_are_named(
    server: LocalServer, body: str, wanted: tuple[tuple[str, Any], ...], detail: str
) -> None:
    server.route("/j", Reply(200, body))
    assert probe_one(http(server.url("/j"), expect=Expect(json=wanted))).detail == detail


def test_dig_prefers_a_key_that_holds_dots() -> None:
    assert dig({"checks.db": "UP", "checks": {"db": "DOWN"}}, "checks.db") == "UP"
    assert dig({"a": [{"b": [1, 2]}]}, "a.0.b.-1") == 2
    with pytest.raises(LookupError):
        dig({"a": [1]}, "a.5")


def test_a_slow_answer_is_degraded(server: LocalServer) -> None:
    server.route("/slow", Reply(200, delay=0.3))
    sample = probe_one(http(server.url("/slow"), degraded_ms=100))
    assert sample.status == "degraded"
    assert sample.ms is not None and sample.ms >= 300
    assert sample.detail == f"slow: {sample.ms} ms > 100 ms"


def test_head_reads_no_body(server: LocalServer) -> None:
    server.route("/h", Reply(200, "x" * 5000))
    assert outcome(probe_one(http(server.url("/h"), method="HEAD"))) == ("up", 200, "")
    assert server.requests[-1].method == "HEAD"


def test_method_headers_and_body_are_sent(server: LocalServer) -> None:
    server.route("/post", Reply(201))
    monitor = http(
        server.url("/post"), method="POST", headers=(("X-Check", "yes"),), body='{"ping": 1}'
    )
    assert probe_one(monitor).status == "up"
    request = server.requests[-1]
    assert (request.method, request.body) == ("POST", b'{"ping": 1}')
    assert request.headers["x-check"] == "yes"
    assert request.headers["user-agent"].startswith("upwatch/")


# --- a hard deadline, and retries ---------------------------------------------------------


@pytest.mark.parametrize("reply", [Reply.hang(), Reply.trickle(0.05), Reply(200, delay=5)])
def test_a_hanging_or_trickling_endpoint_ends_at_its_timeout(
    server: LocalServer, reply: Reply
) -> None:
    server.route("/stuck", reply)
    started = time.monotonic()
    sample = probe_one(http(server.url("/stuck"), timeout=0.5))
    elapsed = time.monotonic() - started
    assert (sample.status, sample.ms, sample.code, sample.detail) == (
        "down",
        500,
        None,
        "timeout after 0.5 s",
    )
    assert elapsed < 0.5 + 2.0  # a generous margin for a loaded CI machine, still < the 5 s reply


def test_retries_are_bounded_by_timeout_times_attempts(server: LocalServer) -> None:
    server.route("/stuck", Reply.hang())
    started = time.monotonic()
    sample = probe_one(http(server.url("/stuck"), timeout=0.3, retries=2))
    elapsed = time.monotonic() - started
    assert sample.detail == "timeout after 0.3 s"
    assert server.hits("/stuck") == 3
    assert elapsed < 0.3 * 3 + (0.2 + 0.4) + 2.0


def test_a_retry_turns_a_one_off_failure_into_up(server: LocalServer) -> None:
    server.route("/flaky", Reply(503), Reply(200))
    assert outcome(probe_one(http(server.url("/flaky"), retries=1))) == ("up", 200, "")
    assert server.hits("/flaky") == 2


def test_without_retries_a_one_off_failure_is_down(server: LocalServer) -> None:
    server.route("/flaky", Reply(503), Reply(200))
    assert probe_one(http(server.url("/flaky"), retries=0)).status == "down"
    assert server.hits("/flaky") == 1


def test_healthy_and_degraded_checks_are_not_retried(server: LocalServer) -> None:
    server.route("/ok", Reply(200))
    server.route("/slow", Reply(200, delay=0.15))
    probe_one(http(server.url("/ok"), retries=3))
    probe_one(http(server.url("/slow"), retries=3, degraded_ms=50))
    assert (server.hits("/ok"), server.hits("/slow")) == (1, 1)


def test_one_hanging_monitor_does_not_hold_the_others(server: LocalServer) -> None:
    server.route("/stuck", Reply.hang())
    server.route("/ok", Reply(200))
    monitors = [http(server.url("/stuck"), id="stuck", timeout=1.0)]
    monitors += [http(server.url("/ok"), id=f"ok-{i}") for i in range(20)]
    started = time.monotonic()
    samples = probe.run(config_of(*monitors), monitors, NOW, "test")
    assert time.monotonic() - started < 1.0 + 2.0
    assert [s.monitor for s in samples] == [m.id for m in monitors]
    assert [s.status for s in samples] == ["down"] + ["up"] * 20


# --- bodies ------------------------------------------------------------------------------


def test_a_huge_body_is_read_only_up_to_the_cap(server: LocalServer) -> None:
    server.route("/huge", Reply.huge(200 * 2**20))
    started = time.monotonic()
    sample = probe_one(http(server.url("/huge"), expect=Expect(contains="xxx")))
    assert outcome(sample) == ("up", 200, "")
    assert time.monotonic() - started < 5


def test_expectations_are_judged_on_what_was_read(server: LocalServer) -> None:
    tail = b"x" * BODY_CAP + b"the end"
    server.route("/long", Reply(200, tail))
    sample = probe_one(http(server.url("/long"), expect=Expect(contains="the end")))
    assert outcome(sample) == ("down", 200, "body lacks 'the end' in its first 1 MiB")


def test_read_capped_stops_at_the_cap(server: LocalServer) -> None:
    server.route("/huge", Reply.huge(50 * 2**20))

    async def read(path: str) -> tuple[bytes, bool]:
        async with make_client(4) as client:
            request = client.build_request("GET", server.url(path))
            response = await client.send(request, stream=True)
            try:
                return await read_capped(response, cap=100_000)
            finally:
                await response.aclose()

    body, cut = asyncio.run(read("/huge"))
    assert (len(body), cut) == (100_000, True)
    server.route("/exact", Reply(200, b"y" * 100_000))
    assert asyncio.run(read("/exact")) == (b"y" * 100_000, False)


# --- failures get a short, clear reason -----------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (Reply.reset(), "connection reset"),
        (Reply.close(), "connection closed without a response"),
        (Reply.garbage(), "not an HTTP response"),
    ],
)
def test_broken_answers_are_down_with_a_reason(
    server: LocalServer, reply: Reply, detail: str
) -> None:
    server.route("/broken", reply)
    sample = probe_one(http(server.url("/broken")))
    assert outcome(sample) == ("down", None, detail)
    assert "SSH" not in sample.detail


def test_a_refused_connection() -> None:
    sample = probe_one(http(f"http://127.0.0.1:{closed_port()}/"))
    assert outcome(sample) == ("down", None, "connection refused")
    assert sample.ms is None


def test_a_dns_failure_names_the_host() -> None:
    sample = probe_one(http("http://x.invalid/health", timeout=5.0))
    assert outcome(sample) == ("down", None, "DNS lookup failed for x.invalid")


# --- redirects ---------------------------------------------------------------------------


def test_redirects_are_followed(server: LocalServer) -> None:
    server.route("/old", Reply.redirect("/new", status=301))
    server.route("/new", Reply.redirect("/newest", status=307))
    server.route("/newest", Reply(200, "here"))
    sample = probe_one(http(server.url("/old"), expect=Expect(contains="here")))
    assert outcome(sample) == ("up", 200, "")
    assert [r.path for r in server.requests] == ["/old", "/new", "/newest"]


def test_a_redirect_loop_is_down(server: LocalServer) -> None:
    server.route("/loop", Reply.redirect("/loop"))
    sample = probe_one(http(server.url("/loop")))
    assert outcome(sample) == ("down", None, "too many redirects (5)")
    assert server.hits("/loop") == 6


def test_max_redirects_is_per_monitor(server: LocalServer) -> None:
    server.route("/a", Reply.redirect("/b"))
    server.route("/b", Reply.redirect("/c"))
    server.route("/c", Reply(200))
    assert probe_one(http(server.url("/a"), max_redirects=1)).detail == "too many redirects (1)"
    assert probe_one(http(server.url("/a"), max_redirects=2)).status == "up"


def test_a_303_after_post_turns_into_get(server: LocalServer) -> None:
    server.route("/submit", Reply.redirect("/result", status=303))
    server.route("/result", Reply(200))
    assert probe_one(http(server.url("/submit"), method="POST", body="x=1")).status == "up"
    assert [(r.method, r.path, r.body) for r in server.requests] == [
        ("POST", "/submit", b"x=1"),
        ("GET", "/result", b""),
    ]


def test_credentials_do_not_follow_a_redirect_to_another_origin(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", "s3cr3t-key")
    with LocalServer() as other:
        other.route("/landing", Reply(200))
        server.route("/same", Reply.redirect("/go"))
        server.route("/go", Reply.redirect(other.url("/landing")))
        headers = (("Authorization", "Bearer abc"), ("X-Key", "${API_KEY}"), ("X-Plain", "1"))
        assert probe_one(http(server.url("/same"), headers=headers)).status == "up"
        same_origin = server.requests[-1].headers
        assert (same_origin["authorization"], same_origin["x-key"]) == ("Bearer abc", "s3cr3t-key")
        landed = other.requests[-1].headers
        assert "authorization" not in landed
        assert "x-key" not in landed
        assert landed["x-plain"] == "1"


# --- TLS ---------------------------------------------------------------------------------


@pytest.fixture
def trust(certs: Certificates, monkeypatch: pytest.MonkeyPatch) -> Certificates:
    """Make the default client trust the test CA (httpx reads SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return certs


def tls_probe(context: Any, **fields: Any) -> Sample:
    with LocalServer(tls=context) as server:
        server.route("/", Reply(200))
        return probe_one(http(server.url("/"), **fields))


def test_a_valid_certificate_is_up(trust: Certificates) -> None:
    assert outcome(tls_probe(trust.valid())) == ("up", 200, "")


def test_a_certificate_close_to_expiry_is_degraded(trust: Certificates) -> None:
    context = trust.expiring(days=5)
    assert outcome(tls_probe(context)) == ("degraded", 200, "certificate expires in 5 days")
    assert outcome(tls_probe(context, cert_expiry_days=3)) == ("up", 200, "")


def test_expiry_is_read_without_verification_too(trust: Certificates) -> None:
    sample = tls_probe(trust.expiring(days=5), verify_tls=False)
    assert outcome(sample) == ("degraded", 200, "certificate expires in 5 days")


def test_an_expired_certificate_is_down(trust: Certificates) -> None:
    context = trust.expired()
    assert outcome(tls_probe(context)) == (
        "down",
        None,
        "TLS: certificate verify failed: certificate has expired",
    )
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    unverified = tls_probe(context, verify_tls=False)
    assert outcome(unverified) == ("down", 200, f"certificate expired on {yesterday}")


def test_a_self_signed_certificate_is_down_unless_verification_is_off(
    trust: Certificates,
) -> None:
    context = trust.self_signed()
    assert outcome(tls_probe(context)) == (
        "down",
        None,
        "TLS: certificate verify failed: self-signed certificate",
    )
    assert tls_probe(context, verify_tls=False).status == "up"


def test_a_slow_answer_and_a_close_expiry_are_both_said(trust: Certificates) -> None:
    with LocalServer(tls=trust.expiring(days=2)) as server:
        server.route("/", Reply(200, delay=0.2))
        sample = probe_one(http(server.url("/"), degraded_ms=100))
    assert sample.status == "degraded"
    assert re.fullmatch(r"certificate expires in 2 days; slow: \d+ ms > 100 ms", sample.detail)


# --- TCP ---------------------------------------------------------------------------------


def tcp(host: str, port: int, **fields: Any) -> Monitor:
    return Monitor(id="db", name="DB", type="tcp", host=host, port=port, timeout=2.0, **fields)


def test_tcp_connect() -> None:
    with TcpListener() as listener:
        sample = probe_one(tcp("127.0.0.1", listener.port))
    assert outcome(sample) == ("up", None, "")
    assert sample.ms is not None


def test_tcp_refused_and_unresolvable() -> None:
    assert probe_one(tcp("127.0.0.1", closed_port())).detail == "connection refused"
    assert probe_one(tcp("db.invalid", 5432)).detail == "DNS lookup failed for db.invalid"


# --- secrets -----------------------------------------------------------------------------

SECRET = "hunter2-very-secret"


def test_secrets_are_sent_but_never_written_or_logged(
    server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TOKEN", SECRET)
    caplog.set_level(logging.DEBUG)
    server.route("/api", Reply(503))
    monitors = [
        http(
            server.url("/api?key=${TOKEN}"),
            id="query",
            headers=(("Authorization", "Bearer ${TOKEN}"),),
        ),
        http("http://${TOKEN}.invalid/", id="host", timeout=5.0),
        http(server.url("/api"), id="body", method="POST", body='{"token": "${TOKEN}"}'),
    ]
    samples = probe.run(config_of(*monitors), monitors, NOW, "test")
    assert server.requests[0].target == f"/api?key={SECRET}"
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert [s.detail for s in samples] == [
        "HTTP 503",
        "DNS lookup failed for ***.invalid",
        "HTTP 503",
    ]
    lines = probe.summary_lines(samples, [])
    logged = caplog.text + "".join(capsys.readouterr())
    assert "probed" in logged or "query" in logged
    for text in (logged, repr(samples), "\n".join(lines)):
        assert SECRET not in text


def test_a_missing_secret_is_a_config_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NOT_SET_TOKEN", raising=False)
    monitor = http("https://api.example.com/?t=${NOT_SET_TOKEN}")
    with pytest.raises(ConfigError) as raised:
        probe.run(config_of(monitor, path=tmp_path / "status.yml"), [monitor], NOW, "test")
    assert "environment variable NOT_SET_TOKEN is not set" in str(raised.value)


def test_check_masks_what_it_reports() -> None:
    monitor = http("http://topsecret.invalid/", timeout=5.0)

    async def go() -> Result:
        async with make_client(4) as client:
            return await probe.check(monitor, client, Masker(["topsecret"]))

    assert asyncio.run(go()).detail == "DNS lookup failed for ***.invalid"


def test_check_takes_any_client_such_as_a_mock_transport() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "UP"})

    monitor = http("https://api.example.com/health", expect=Expect(json=(("status", "UP"),)))

    async def go() -> Result:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await probe.check(monitor, client, Masker())

    result = asyncio.run(go())
    assert (result.status, result.code) == ("up", 200)


# --- choosing monitors: --only and --shard -------------------------------------------------


def many(count: int) -> Config:
    return config_of(*(http(f"http://127.0.0.1:9/{i}", id=f"m{i}") for i in range(count)))


def test_only_picks_monitors_in_config_order() -> None:
    config = many(5)
    assert [m.id for m in probe.select(config, ("m3", "m1"), None)] == ["m1", "m3"]
    assert [m.id for m in probe.select(config, ("m4,m0",), None)] == ["m0", "m4"]


def test_an_unknown_only_id_is_bad_usage_with_a_hint() -> None:
    config = config_of(http("http://a/", id="api"), http("http://b/", id="web"))
    with pytest.raises(UsageError) as raised:
        probe.select(config, ("apo",), None)
    assert raised.value.flag == "--only"
    assert raised.value.message == "no monitor 'apo' in the config (did you mean 'api'?)"


def test_shards_are_disjoint_and_cover_every_monitor() -> None:
    config = many(300)
    shards = [{m.id for m in probe.select(config, (), f"{k}/4")} for k in range(1, 5)]
    assert sum(len(s) for s in shards) == 300
    assert set().union(*shards) == {m.id for m in config.monitors}
    assert all(40 < len(s) < 110 for s in shards)


def test_adding_a_monitor_moves_no_other_between_shards() -> None:
    before = many(100)
    after = replace(before, monitors=(http("http://x/", id="newcomer"), *before.monitors))
    for k in range(1, 4):
        old = {m.id for m in probe.select(before, (), f"{k}/3")}
        new = {m.id for m in probe.select(after, (), f"{k}/3")} - {"newcomer"}
        assert old == new


@pytest.mark.parametrize("shard", ["0/2", "3/2", "1/0", "x", "1/", "-1/2", "1/2/3"])
def test_a_bad_shard_is_bad_usage(shard: str) -> None:
    with pytest.raises(UsageError, match="is not K/N with 1 <= K <= N"):
        probe.select(many(3), (), shard)


# --- run(): stamping, progress, log lines ---------------------------------------------------


def test_samples_are_stamped_with_now_in_whole_utc_seconds(server: LocalServer) -> None:
    server.route("/ok", Reply(200))
    monitor = http(server.url("/ok"))
    local = datetime(2026, 11, 23, 12, 5, 0, 987654).astimezone()
    [sample] = probe.run(config_of(monitor), [monitor], local, "eu-west")
    assert sample.time == local.astimezone(UTC).replace(microsecond=0)
    assert sample.time.tzinfo == UTC
    assert sample.location == "eu-west"


def test_progress_and_debug_lines_are_logged(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(probe, "PROGRESS_EVERY", 0.0)
    caplog.set_level(logging.DEBUG, logger="generator")
    server.route("/ok", Reply(200))
    monitors = [http(server.url("/ok"), id=f"m{i}") for i in range(3)]
    probe.run(config_of(*monitors), monitors, NOW, "test")
    messages = [r.getMessage() for r in caplog.records]
    assert "probed 1/3" in messages
    assert any(
        re.fullmatch(rf"m0 {re.escape(server.url('/ok'))}: up \d+ ms HTTP 200", m) for m in messages
    )


# --- the summary ----------------------------------------------------------------------------


def sample(monitor: str, status: str, ms: int | None, code: int | None, detail: str = "") -> Sample:
    return Sample(NOW, monitor, "test", status, ms, code, detail)


def test_summary_is_an_aligned_table_and_a_totals_line() -> None:
    samples = [
        sample("api", "up", 182, 200),
        sample("database", "down", 10000, None, "timeout after 10 s"),
        sample("web", "degraded", 2500, 200, "slow: 2500 ms > 2000 ms"),
    ]
    changes = [Change("opened", "2026-11-23-database-down", "database")]
    assert probe.summary_lines(samples, changes) == [
        "api       up          182 ms  200",
        "database  down      10000 ms  timeout after 10 s",
        "web       degraded   2500 ms  slow: 2500 ms > 2000 ms",
        "3 monitors: 1 up, 1 degraded, 1 down; opened 1 incident",
    ]


def test_summary_of_a_big_run_lists_only_monitors_not_up() -> None:
    samples = [sample(f"m{i}", "up", 20, 200) for i in range(60)]
    samples.append(sample("tcp", "down", None, None, "connection refused"))
    changes = [
        Change("resolved", "a", "m1"),
        Change("resolved", "b", "m2"),
        Change("opened", "c", "tcp"),
    ]
    assert probe.summary_lines(samples, changes) == [
        "tcp  down    connection refused",
        "(60 monitors up, not listed)",
        "61 monitors: 60 up, 0 degraded, 1 down; resolved 2 incidents, opened 1 incident",
    ]


# --- the command, end to end ---------------------------------------------------------------


def test_upwatch_probe_writes_the_day_file(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route("/api", Reply(200, '{"status": "UP"}'))
    server.route("/web", Reply(503))
    monkeypatch.setenv("UPWATCH_LOCATION", "ci")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site").mkdir()
    config = tmp_path / "site" / "status.yml"
    config.write_text(
        "site:\n  title: Test\n"
        "defaults:\n  retries: 0\n  timeout: 2\n"
        "monitors:\n"
        f"  - id: api\n    url: {server.url('/api')}\n    expect:\n      json: {{status: UP}}\n"
        f"  - id: web\n    url: {server.url('/web')}\n"
    )
    result = CliRunner().invoke(
        main, ["probe", "--config", str(config), "--now", "2026-11-23T10:05:00Z"]
    )
    assert result.exit_code == 0, result.output
    assert "2 monitors: 1 up, 0 degraded, 1 down" in result.output
    day = tmp_path / "site" / "data" / "2026-11-23.csv"
    with day.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [
        (r["time"], r["monitor"], r["location"], r["status"], r["code"], r["detail"]) for r in rows
    ] == [
        ("2026-11-23T10:05:00Z", "api", "ci", "up", "200", ""),
        ("2026-11-23T10:05:00Z", "web", "ci", "down", "503", "HTTP 503"),
    ]
    assert all(r["ms"].isdigit() for r in rows)


def test_upwatch_probe_only_and_shard_usage_errors(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    config.write_text("site: {title: T}\nmonitors:\n  - {id: api, url: 'http://127.0.0.1:9/'}\n")
    runner = CliRunner()
    result = runner.invoke(main, ["probe", "--config", str(config), "--only", "apx"])
    assert result.exit_code == 2
    assert "no monitor 'apx' in the config (did you mean 'api'?)" in result.output
    result = runner.invoke(main, ["probe", "--config", str(config), "--shard", "3/2"])
    assert result.exit_code == 2
    assert "'3/2' is not K/N with 1 <= K <= N" in result.output
    assert not (tmp_path / "data").exists()


# --- the shared client's transport -----------------------------------------------------------


def fetch_all(urls: list[str], pause: float = 0.0) -> list[httpx.Response]:
    """GET each URL in turn through one probe client, reading every body."""

    async def go() -> list[httpx.Response]:
        responses = []
        async with make_client(4) as client:
            for url in urls:
                response = await client.get(url)
                responses.append(response)
                await asyncio.sleep(pause)
        return responses

    return asyncio.run(go())


def test_connections_are_kept_alive_between_requests(server: LocalServer) -> None:
    server.route("/a", Reply(200, "one"))
    server.route("/b", Reply(200, "two"))
    responses = fetch_all([server.url("/a"), server.url("/b"), server.url("/a")])
    assert [r.text for r in responses] == ["one", "two", "one"]
    assert len({r.peer for r in server.requests}) == 1


def test_a_connection_the_server_closed_is_not_reused(server: LocalServer) -> None:
    server.route("/bye", Reply(200, "ok", keep_alive=False))
    responses = fetch_all([server.url("/bye")] * 3, pause=0.05)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len({r.peer for r in server.requests}) == 3


@pytest.mark.parametrize("framing", ["chunked", "close"])
def test_chunked_and_close_delimited_bodies(server: LocalServer, framing: str) -> None:
    server.route("/body", Reply(200, "a body of some thirty bytes...", framing=framing))
    [response] = fetch_all([server.url("/body")])
    assert response.text == "a body of some thirty bytes..."


def test_a_compressed_body_is_judged_decoded(server: LocalServer) -> None:
    import gzip

    server.route(
        "/gz", Reply(200, gzip.compress(b'{"status": "UP"}'), {"Content-Encoding": "gzip"})
    )
    monitor = http(server.url("/gz"), expect=Expect(contains='"UP"', json=(("status", "UP"),)))
    assert outcome(probe_one(monitor)) == ("up", 200, "")


def test_a_body_cut_short_is_down(server: LocalServer) -> None:
    server.route("/short", Reply(200, "half", headers={"Content-Length": "100"}, keep_alive=False))
    sample = probe_one(http(server.url("/short")))
    assert outcome(sample) == ("down", None, "connection closed before the body ended")


def test_an_unsupported_scheme_in_a_redirect_is_down(server: LocalServer) -> None:
    server.route("/ftp", Reply.redirect("ftp://example.com/file"))
    detail = probe_one(http(server.url("/ftp"))).detail
    assert detail == "after redirect to ftp://example.com/file: unsupported URL scheme"


def test_a_kept_alive_connection_closed_as_it_is_reused_is_retried_once(
    server: LocalServer,
) -> None:
    server.route("/bye", Reply(200, "ok", keep_alive=False))
    responses = fetch_all([server.url("/bye")] * 5)
    assert [r.status_code for r in responses] == [200] * 5


def test_a_dns_server_that_never_answers_holds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import threading

    release = threading.Event()
    real = socket.getaddrinfo

    def stuck(host: str, *args: Any, **kwargs: Any) -> Any:
        if host.endswith(".stuck.example") and kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")  # no query
        if host.endswith(".stuck.example"):
            release.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    monitors = [
        http("http://api.stuck.example/", id="http-dns", timeout=0.5),
        replace(tcp("db.stuck.example", 5432), timeout=0.5),
    ]
    started = time.monotonic()
    try:
        samples = probe.run(config_of(*monitors), monitors, NOW, "test")
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert [s.detail for s in samples] == ["timeout after 0.5 s"] * 2
    assert elapsed < 0.5 + 2.0  # a generous margin for a loaded CI machine, still < the 5 s reply
