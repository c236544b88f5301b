"""Deliveries through apprise to real receivers on 127.0.0.1 (HTTP webhooks, an SMTP server),
and URL checks that send nothing (`upwatch check`)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import TOKEN, upwatch
from localserver import LocalServer, Reply

from generator.config.read import Masker
from generator.notify import Delivery, deliver, url_problem


class Mailbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def test_json_and_form_webhooks_get_title_and_text(receiver: LocalServer) -> None:
    base = f"127.0.0.1:{receiver.port}"
    outcomes = deliver(
        [
            Delivery("a", f"json://{base}/hook/{TOKEN}", "[Major outage] API is down", "State: x"),
            Delivery("b", f"form://{base}/form", "[Resolved] API is down", "Lasted 5 min"),
        ],
        Masker(),
    )
    assert [o.ok for o in outcomes] == [True, True]
    bodies = sorted(r.body.decode() for r in receiver.requests)
    assert '"title": "[Major outage] API is down"' in bodies[1]
    assert "title=%5BResolved%5D+API+is+down" in bodies[0]


def test_mail_goes_to_a_local_smtp_server(mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    url = f"mailto://127.0.0.1:{port}?to=ops@example.com&from=status@example.com&mode=insecure"
    [outcome] = deliver([Delivery("mail", url, "[Resolved] API is down", "Lasted 5 min")], Masker())
    assert outcome.ok, outcome.reason
    [message] = box.messages
    assert message["Subject"] == "[Resolved] API is down"
    assert message["To"].endswith("ops@example.com")
    assert "Lasted 5 min" in message.get_payload(decode=False) or any(
        "Lasted 5 min" in part.get_payload() for part in message.walk() if not part.is_multipart()
    )


def test_a_refusal_is_a_failure_with_its_reason_masked(receiver: LocalServer) -> None:
    receiver.route(f"/hook/{TOKEN}", Reply(403, "no"))
    url = f"json://127.0.0.1:{receiver.port}/hook/{TOKEN}"
    [outcome] = deliver([Delivery("a", url, "t", "b")], Masker([TOKEN]))
    assert not outcome.ok
    assert "403" in outcome.reason
    assert TOKEN not in outcome.reason


def test_url_checks_name_the_problem_and_send_nothing(receiver: LocalServer) -> None:
    assert url_problem(f"json://127.0.0.1:{receiver.port}/hook/{TOKEN}", Masker()) is None
    assert url_problem("slack://", Masker()) == "An invalid Slack (first) Token () was specified."
    assert url_problem("nosuch://x", Masker()) == (
        "apprise knows no 'nosuch' service (see the apprise wiki for URL forms)"
    )
    assert receiver.requests == []


CONFIG = """\
site:
  title: T
monitors:
  - id: api
    url: http://127.0.0.1:9/
notify:
  - url: "${HOOK}"
    name: ops
  - url: "discord://${DISCORD_ID}"
  - url: "json://127.0.0.1:9/fine"
"""


def test_check_reports_each_bad_url_on_its_line_with_the_secret_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK", f"nosuch://{TOKEN}")
    monkeypatch.delenv("DISCORD_ID", raising=False)
    config = tmp_path / "status.yml"
    config.write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    result = upwatch("check")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "status.yml:9: notify[1].url: environment variable DISCORD_ID is not set here;"
        " notify needs it",
        "status.yml:7: notify[0].url: apprise knows no 'nosuch' service"
        " (see the apprise wiki for URL forms)",
    ]
    monkeypatch.setenv("HOOK", f"slack://{TOKEN}")
    monkeypatch.setenv("DISCORD_ID", "123456")
    result = upwatch("check")
    assert TOKEN not in result.output
    assert "status.yml:7: notify[0].url: " in result.output
    assert "status.yml:9: notify[1].url: " in result.output
