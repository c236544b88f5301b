"""The words of a notification, and the sent log's bookkeeping."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import T0
from test_events import OPEN, RESOLVED, TWO_UPDATES, WINDOW

from generator.config.read import Config, Defaults, Monitor, Site
from generator.notify import Event, compose, ledger, plain_text
from generator.notify.ledger import Entry

CONFIG = Config(
    path=Path("status.yml"),
    site=Site(title="Acme", url="https://status.acme.test", timezone="Europe/Berlin"),
    defaults=Defaults(),
    monitors=(Monitor(id="api", name="Public API", url="http://127.0.0.1:9/"),),
)


def test_an_opening_names_state_severity_monitors_times_with_zone_and_link() -> None:
    text = compose(CONFIG, OPEN, Event(OPEN.id, "opened", "k"), T0 + timedelta(minutes=7))
    assert text.title == "[Partial outage] API is down"
    assert text.body.splitlines() == [
        "State: Investigating · Severity: major",
        "Affected: Public API",
        "Started: Nov 23, 11:00 CET · Ongoing for 7 min",
        "",
        "Investigating, Nov 23, 11:00 CET:",
        "Looking.",
        "",
        "https://status.acme.test/incidents/2026-11-23-api.html",
    ]


def test_an_update_quotes_its_own_entry_and_a_resolution_its_length() -> None:
    now = T0 + timedelta(minutes=30)
    update = compose(CONFIG, TWO_UPDATES, Event(OPEN.id, "updated", "k", 1), now)
    assert update.title == "[Identified] API is down"
    resolved = compose(CONFIG, RESOLVED, Event(OPEN.id, "resolved", "k"), now)
    assert resolved.title == "[Resolved] API is down"
    assert "Lasted 20 min" in resolved.body


def test_a_window_says_when_it_runs() -> None:
    now = T0 + timedelta(minutes=70)
    text = compose(CONFIG, WINDOW, Event(WINDOW.id, "started", "k"), now)
    assert text.title == "[Maintenance in progress] API is down"
    assert "State: In progress" in text.body
    assert "Window: Nov 23, 12:00 CET to Nov 23, 13:00 CET" in text.body


def test_without_site_url_there_is_no_link() -> None:
    bare = replace(CONFIG, site=Site(title="Acme"))
    text = compose(bare, OPEN, Event(OPEN.id, "opened", "k"), T0)
    assert "http" not in text.body
    assert "Started: Nov 23, 10:00 UTC" in text.body


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("The *database* ran `out` of **disk**.", "The database ran out of disk."),
        (
            "See [the graphs](https://grafana.test/d/1).",
            "See the graphs (https://grafana.test/d/1).",
        ),
        ("- one\n- two", "- one\n- two"),
        ("HTTP 503 &lt;html> &amp; \\*more\\*", "HTTP 503 <html> & *more*"),  # as the probe writes
        ("<b>raw</b> HTML", "raw HTML"),  # plain text carries no markup
    ],
)
def test_markdown_becomes_plain_text(markdown: str, plain: str) -> None:
    assert plain_text(markdown) == plain


def test_a_long_update_is_cut() -> None:
    long = replace(OPEN, updates=(replace(OPEN.updates[0], text="word " * 500),))
    body = compose(CONFIG, long, Event(OPEN.id, "opened", "k"), T0).body
    assert "…" in body and len(body) < 1300


# --- the sent log ----------------------------------------------------------------------


def at(minutes: int) -> object:
    return T0 + timedelta(minutes=minutes)


def test_the_log_keeps_two_weeks_and_reads_back_what_it_wrote(tmp_path: Path) -> None:
    old = Entry(T0, "sent", "ops", "a/opened")
    ledger.append(tmp_path, [old], T0)
    new = Entry(T0 + timedelta(days=15), "claimed", "ops", "b/opened")
    ledger.append(tmp_path, [new, new], T0 + timedelta(days=15))
    assert ledger.read(tmp_path) == [new]
    (tmp_path / "notified.log").write_text("junk line\n" + new.line() + "\n")
    assert ledger.read(tmp_path) == [new]


def test_standing_of_a_delivery_over_time() -> None:
    claimed = Entry(T0, "claimed", "ops", "k")
    failed = Entry(T0 + timedelta(seconds=5), "failed", "ops", "k")
    standing = ledger.standings([failed, claimed])[("ops", "k")]
    assert (standing.first, standing.last) == (T0, failed)
    assert not ledger.taken(standing, T0 + timedelta(minutes=1))
    assert ledger.taken(ledger.standings([claimed])[("ops", "k")], T0 + timedelta(minutes=5))
    # a claim with no outcome after CLAIM_TTL: its run was killed, so it is tried again
    assert not ledger.taken(ledger.standings([claimed])[("ops", "k")], T0 + timedelta(minutes=11))
    again, give_up = ledger.retries([claimed, failed], T0 + timedelta(minutes=30))
    assert (again, give_up) == ([failed], [])
    again, give_up = ledger.retries([claimed, failed], T0 + timedelta(minutes=61))
    assert (again, give_up) == ([], [failed])
    sent = Entry(T0 + timedelta(minutes=5), "sent", "ops", "k")
    assert ledger.retries([claimed, failed, sent], T0 + timedelta(minutes=90)) == ([], [])
