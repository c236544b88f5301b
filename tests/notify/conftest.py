"""Fixtures for notification tests: a status repository on a bare remote, probed monitors and
webhook receivers on 127.0.0.1 (tests/localserver.py), and the real CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner, Result
from localserver import LocalServer, Reply, Request

from generator.cli import main
from generator.publish import commit

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TOKEN = "s3cr3t-webhook-token-9f8e7d"  # the secret part of the webhook URL


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commit, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(commit, "PUSH_ATTEMPTS", 4)


@pytest.fixture
def receiver() -> Iterator[LocalServer]:
    """A webhook receiver that records every request and answers 200."""
    with LocalServer() as server:
        server.route(f"/hook/{TOKEN}", Reply())
        server.route("/form", Reply())
        yield server


@pytest.fixture
def monitored() -> Iterator[LocalServer]:
    """The endpoint the probe checks: /health answers whatever a test routes."""
    with LocalServer() as server:
        server.route("/health", Reply(503, "down"))
        server.route("/web", Reply())
        yield server


def status_yml(monitored: LocalServer, notify: str) -> str:
    """A config with two monitors (api fails fast into an incident) and these channels."""
    return (
        "site:\n  title: Acme Status\n  url: https://status.acme.test\n"
        "defaults:\n  failure_threshold: 1\n  success_threshold: 1\n  timeout: 2\n  retries: 0\n"
        "monitors:\n"
        f"  - id: api\n    name: Public API\n    url: {monitored.url('/health')}\n"
        f"  - id: web\n    name: Website\n    url: {monitored.url('/web')}\n    severity: minor\n"
        f"notify:\n{notify}"
    )


def hook_channel(name: str = "ops", extra: str = "") -> str:
    """A json:// channel whose whole URL is the ${HOOK} secret."""
    return f'  - url: "json://${{HOOK}}"\n    name: {name}\n{extra}'


def messages(server: LocalServer, path: str = f"/hook/{TOKEN}") -> list[dict[str, str]]:
    """The title and message of every notification the receiver got on a path."""
    return [_fields(r) for r in server.requests if r.path == path]


def titles(server: LocalServer, path: str = f"/hook/{TOKEN}") -> list[str]:
    return [m["title"] for m in messages(server, path)]


def _fields(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("application/json"):
        data = json.loads(request.body)
        return {"title": data["title"], "message": data["message"]}
    form = parse_qs(request.body.decode())
    return {k: v[0] for k, v in form.items()}


def upwatch(*args: str) -> Result:
    """The real CLI, in this process; a crash is a test failure, not an exit code."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result
