"""What one monitor's endpoint sends stays with that monitor: cookies, bodies, crashes.

Every check runs against real servers on 127.0.0.1 (tests/localserver.py); the last-resort
handler is reached through httpx.MockTransport, the one way to make a library raise what no
handler expects.
"""

from __future__ import annotations

import asyncio
import csv
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from localserver import LocalServer, Reply, closed_port

from generator.cli import main
from generator.config.read import Config, Defaults, Expect, Masker, Monitor, Site
from generator.probe import run as probe
from generator.probe.http import BODY_CAP
from generator.probe.verdict import Result
from generator.store.days import Sample, read_day

NOW = datetime(2026, 11, 23, 10, 5, 0, tzinfo=UTC)
SECRET = "s3cr3t-token-value"


def http(url: str, **fields: Any) -> Monitor:
    fields.setdefault("timeout", 2.0)
    fields.setdefault("retries", 0)
    return Monitor(id=fields.pop("id", "api"), name="API", url=url, **fields)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


def run(*monitors: Monitor, concurrency: int = 200) -> list[Sample]:
    """Probe through the real run(), as `upwatch probe` does."""
    defaults = Defaults(concurrency=concurrency)
    config = Config(path=Path("status.yml"), site=Site("T"), defaults=defaults, monitors=monitors)
    return probe.run(config, list(monitors), NOW, "test")


def outcome(sample: Sample) -> tuple[str, int | None, str]:
    return sample.status, sample.code, sample.detail


def cookies_seen(server: LocalServer, path: str) -> list[str | None]:
    return [r.headers.get("cookie") for r in server.requests if r.path == path]


# --- cookies live for one check's redirect chain -----------------------------------------


def test_a_cookie_one_monitor_gets_reaches_no_other_monitor_and_no_retry(
    server: LocalServer,
) -> None:
    with LocalServer() as other_port:
        server.route("/a", Reply(503, headers={"Set-Cookie": "sid=from-a; Path=/"}), Reply(200))
        server.route("/b", Reply(200))
        other_port.route("/c", Reply(200))
        monitors = [
            http(server.url("/a"), id="a", retries=1),
            http(server.url("/b"), id="b"),
            http(other_port.url("/c"), id="c"),
        ]
        # One request at a time, in order: b and c start after a's answer set the cookie.
        samples = run(*monitors, concurrency=1)
        assert [s.status for s in samples] == ["up", "up", "up"]
        assert cookies_seen(server, "/a") == [None, None]  # the retry starts afresh too
        assert cookies_seen(server, "/b") == [None]
        assert cookies_seen(other_port, "/c") == [None]


def test_a_redirect_chain_carries_its_cookies_where_domain_and_path_allow(
    server: LocalServer,
) -> None:
    server.route("/start", Reply.redirect("/app/in", headers={"Set-Cookie": "scoped=1; Path=/app"}))
    server.route("/app/in", Reply.redirect("/out", headers={"Set-Cookie": "sid=2; Path=/"}))
    server.route("/out", Reply(200))
    assert run(http(server.url("/start"))).pop().status == "up"
    assert cookies_seen(server, "/app/in") == ["scoped=1"]
    assert cookies_seen(server, "/out") == ["sid=2"]  # the /app cookie stays on its path


def test_a_cookie_set_in_one_check_s_chain_is_not_sent_by_the_next_check(
    server: LocalServer,
) -> None:
    server.route("/login", Reply.redirect("/home?x", headers={"Set-Cookie": "sid=1; Path=/"}))
    server.route("/home", Reply(200))
    run(http(server.url("/login"), id="x"), http(server.url("/home?y"), id="y"), concurrency=1)
    sent = {r.target: r.headers.get("cookie") for r in server.requests}
    assert sent == {"/login": None, "/home?x": "sid=1", "/home?y": None}


# --- a secret body is not re-sent to another origin ---------------------------------------


def test_a_secret_body_does_not_follow_a_307_to_another_origin(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN", SECRET)
    with LocalServer() as other:
        other.route("/landing", Reply(200))
        server.route("/post", Reply.redirect(other.url("/landing"), status=307))
        secret_body = http(server.url("/post"), method="POST", body='{"t": "${TOKEN}"}')
        sample = run(secret_body).pop()
        assert outcome(sample) == (
            "down",
            307,
            "redirect to another origin: not followed with a secret body",
        )
        assert other.requests == []
        plain = http(server.url("/post"), method="POST", body='{"t": "public"}')
        assert run(plain).pop().status == "up"
        assert [(r.method, r.body) for r in other.requests] == [("POST", b'{"t": "public"}')]


def test_a_secret_body_follows_a_307_on_the_same_origin(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN", SECRET)
    server.route("/post", Reply.redirect("/moved", status=308))
    server.route("/moved", Reply(201))
    monitor = http(server.url("/post"), method="PUT", body="token=${TOKEN}")
    assert run(monitor).pop().status == "up"
    assert [(r.method, r.path) for r in server.requests] == [("PUT", "/post"), ("PUT", "/moved")]
    assert server.requests[-1].body == f"token={SECRET}".encode()


# --- details a person reads ------------------------------------------------------------------


def test_a_failure_after_a_redirect_names_the_hop_with_secrets_masked(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN", SECRET)
    port = closed_port()
    server.route("/go", Reply.redirect(f"http://127.0.0.1:{port}/{SECRET}/x?more={SECRET}#f"))
    sample = run(http(server.url("/go?key=${TOKEN}"))).pop()
    assert outcome(sample) == (
        "down",
        None,
        f"after redirect to http://127.0.0.1:{port}/***/x: connection refused",
    )


def test_a_timeout_after_a_redirect_names_the_hop(server: LocalServer) -> None:
    server.route("/go", Reply.redirect("/stuck"))
    server.route("/stuck", Reply.hang())
    sample = run(http(server.url("/go"), timeout=0.5)).pop()
    assert outcome(sample) == (
        "down",
        None,
        f"after redirect to {server.url('/stuck')}: timeout after 0.5 s",
    )
    assert sample.ms == 500


@pytest.mark.parametrize(
    ("location", "code", "detail"),
    [
        ("", 302, "redirect without a target"),
        ("   ", 302, "redirect without a target"),
        ("http://127.0.0.1:99999/", 302, "redirect to an invalid port (99999)"),
        ("http://127.0.0.1:0/", 302, "redirect to an invalid port (0)"),
        # httpx parses the Location itself as it hands over the response, and fails there.
        ("http://[::1/", None, "redirect to an invalid URL"),
    ],
)
def test_a_redirect_nowhere_is_down_with_what_it_did(
    server: LocalServer, location: str, code: int | None, detail: str
) -> None:
    server.route("/r", Reply(302, "", headers={"Location": location}))
    assert outcome(run(http(server.url("/r"))).pop()) == ("down", code, detail)
    assert server.hits("/r") == 1


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (Reply(100, "", keep_alive=False), "1xx answer without a final response"),
        (Reply(100, ""), "1xx answer, then no final response within 0.5 s"),
    ],
)
def test_a_1xx_answer_with_no_final_response_says_so(
    server: LocalServer, reply: Reply, detail: str
) -> None:
    server.route("/interim", reply)
    sample = run(http(server.url("/interim"), timeout=0.5)).pop()
    assert (sample.status, sample.detail) == ("down", detail)


def test_json_expected_of_a_body_cut_at_the_cap_says_so(server: LocalServer) -> None:
    big = '{"status": "UP", "pad": "' + "x" * BODY_CAP + '"}'
    server.route("/big", Reply(200, big))
    monitor = http(server.url("/big"), expect=Expect(json=(("status", "UP"),)))
    assert outcome(run(monitor).pop()) == ("down", 200, "body cut at 1 MiB, not JSON")
    server.route("/big", Reply(200, "<html>" + "x" * 100))
    assert run(monitor).pop().detail == "body is not JSON"


# --- status codes outside 100-599 --------------------------------------------------------


@pytest.mark.parametrize("code", [999, 600])
def test_a_status_code_outside_100_599_is_down(server: LocalServer, code: int) -> None:
    server.route("/weird", Reply(code, "fine"))
    expect = Expect(status=("2xx", code))  # not even an expectation makes it a valid answer
    monitor = http(server.url("/weird"), expect=expect)
    sample = run(monitor).pop()
    assert outcome(sample) == ("down", code, f"HTTP {code}: not a valid status code")


# --- every check is total -------------------------------------------------------------------


def probe_cli(tmp_path: Path, monitors: str) -> list[dict[str, str]]:
    config = tmp_path / "status.yml"
    config.write_text(
        "site: {title: T}\ndefaults: {retries: 0, timeout: 5}\nmonitors:\n" + monitors
    )
    result = CliRunner().invoke(
        main, ["probe", "--config", str(config), "--now", "2026-11-23T10:05:00Z"]
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "data" / "2026-11-23.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_json_nested_past_the_recursion_limit_is_a_down_sample_and_others_are_kept(
    server: LocalServer, tmp_path: Path
) -> None:
    server.route("/deep", Reply(200, "[" * 1000 + "]" * 1000))
    server.route("/ok", Reply(200))
    rows = probe_cli(
        tmp_path,
        f"  - {{id: deep, url: '{server.url('/deep')}', expect: {{json: {{a: 1}}}}}}\n"
        f"  - {{id: ok, url: '{server.url('/ok')}'}}\n",
    )
    assert [(r["monitor"], r["status"], r["detail"]) for r in rows] == [
        ("deep", "down", "body is JSON nested too deeply to read"),
        ("ok", "up", ""),
    ]


def test_a_redirect_to_a_port_out_of_range_is_a_down_sample_and_others_are_kept(
    server: LocalServer, tmp_path: Path
) -> None:
    server.route("/r", Reply.redirect("http://127.0.0.1:99999/"))
    server.route("/ok", Reply(200))
    rows = probe_cli(
        tmp_path,
        f"  - {{id: bad, url: '{server.url('/r')}'}}\n  - {{id: ok, url: '{server.url('/ok')}'}}\n",
    )
    assert [(r["monitor"], r["status"], r["code"], r["detail"]) for r in rows] == [
        ("bad", "down", "302", "redirect to an invalid port (99999)"),
        ("ok", "up", "200", ""),
    ]


@pytest.mark.parametrize(
    ("code", "column", "detail"),
    [
        (999, "999", "HTTP 999: not a valid status code"),
        # h11 takes no status line below 100 (`HTTP/1.1 099`) as an answer at all
        (99, "", "not an HTTP response"),
        (0, "", "not an HTTP response"),
    ],
)
def test_a_weird_status_code_is_written_and_read_back(
    server: LocalServer, tmp_path: Path, code: int, column: str, detail: str
) -> None:
    server.route("/weird", Reply(code))
    rows = probe_cli(tmp_path, f"  - {{id: weird, url: '{server.url('/weird')}'}}\n")
    assert [(r["status"], r["code"]) for r in rows] == [("down", column)]
    [sample] = read_day(tmp_path / "data" / "2026-11-23.csv")
    assert outcome(sample) == ("down", int(column) if column else None, detail)


def test_an_error_no_handler_expects_is_a_masked_down_sample(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise ZeroDivisionError(f"a library bug that quotes {SECRET}")

    monitor = http("https://api.example.com/health")
    caplog.set_level(logging.DEBUG, logger="generator")

    async def go() -> Result:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await probe.check(monitor, client, Masker([SECRET]))

    result = asyncio.run(go())
    assert (result.status, result.detail) == ("down", "internal error: ZeroDivisionError")
    assert "Traceback" in caplog.text and "a library bug that quotes ***" in caplog.text
    assert SECRET not in caplog.text
