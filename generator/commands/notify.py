"""`upwatch notify`: tell each channel of the incident changes since a commit, once.

what changed in incidents/ between REV and HEAD, and the maintenance windows whose start or
end passed -> each channel's messages (one per incident), less what the sent log holds ->
claim them in the sent log and land that on the remote first, so two racing runs never both
claim one -> send, each within its deadline -> record sent or failed. A failed one is tried
again by later runs for an hour (ledger.RETRY_FOR), then reported as given up.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .. import incidents
from .. import notify as notifying
from ..config.read import Config, Masker, resolve_secrets
from ..config.secrets import channel_problems, channel_url, with_channels
from ..errors import ConfigError, Problem, display_path
from ..incidents import Incident
from ..incidents.validate import read_all
from ..notify import ledger
from ..notify.events import Event, Message

if TYPE_CHECKING:
    from ..publish import Range

log = logging.getLogger("upwatch")
# A window's start or end is told by the first run after it, if that run comes within this
# (the sent log makes it once); commit times are not used, as --now may differ from them.
TIMED_LOOKBACK = timedelta(hours=1)


@dataclass(frozen=True)
class Sent:
    """One delivery's outcome, as people read it."""

    channel: str
    title: str
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class NotifyRun:
    results: list[Sent] = field(default_factory=list)
    given_up: list[str] = field(default_factory=list)  # "channel event-key"

    def summary_lines(self) -> list[str]:
        """Each delivery on a line, then the totals."""
        lines = []
        for r in self.results:
            how = "sent" if r.ok else f"failed ({r.reason}); tried again by later runs for 1 h"
            lines.append(f"notify {r.channel}: {r.title}: {how}")
        lines += [
            f"notify {g.replace(' ', ': ', 1)}: given up after 1 h of failures"
            for g in self.given_up
        ]
        sent = sum(r.ok for r in self.results)
        failed = len(self.results) - sent
        lines.append(f"notify: {sent} sent, {failed} failed, {len(self.given_up)} given up")
        return lines


def notify(config: Config, since: str | None, now: datetime) -> NotifyRun:
    """Send what the incident changes since `since` (default HEAD) and the sent log call for."""
    if not config.notify:
        return NotifyRun()
    from .. import publish  # git is loaded only by runs that notify

    urls = channel_urls(config)
    span = publish.incident_changes(config, since)
    current = {i.id: i for i in incidents.load(config, strict=False)}
    events = derive(span, current, now)
    claim = functools.partial(_claim, config, urls, events, current, now)
    due, given_up = publish.land(config, [_log(config)], claim, "notify: claim messages")
    results = _deliver(config, due, urls, current, now)
    if results:
        done = functools.partial(_record, config, due, results, now)
        publish.land(config, [_log(config)], done, "notify: record deliveries")
    run = NotifyRun([_sent(o) for o in results], given_up)
    lines = run.summary_lines()[:-1]
    for ok, line in zip([r.ok for r in run.results] + [False] * len(given_up), lines, strict=True):
        (log.info if ok else log.warning)("%s", line)
    _summary_file(run)
    return run


def channel_urls(config: Config) -> dict[str, str]:
    """Each channel's URL by label; a channel whose `${NAME}` is unset here is left out."""
    urls = {}
    for channel in config.notify:
        url = channel_url(channel)
        if url is None:
            log.warning(
                "notify %s: its URL's secret is not set here, so it is skipped", channel.label
            )
        else:
            urls[channel.label] = url
    return urls


def derive(span: Range, current: dict[str, Incident], now: datetime) -> list[Event]:
    """The events of the changed files, then of windows starting or ending, none too old."""
    events: list[Event] = []
    for change in span.files:
        new, problems, _ = read_all(change.new, change.path)
        if new is None or problems:
            continue  # a broken file tells nothing; `upwatch check` names its problems
        old = read_all(change.old, change.path)[0] if change.old is not None else None
        events += notifying.changed(old, new)
    events += notifying.timed_events(current.values(), now - TIMED_LOOKBACK, now)
    return [e for e in events if _recent(e, current, now)]


def _recent(event: Event, current: dict[str, Incident], now: datetime) -> bool:
    """Whether an event is new enough to tell (a re-run weeks later must not repeat it)."""
    incident = current.get(event.incident_id)
    at = notifying.happened(event, incident) if incident is not None else None
    return at is None or now - at <= ledger.NEWEST


def _log(config: Config) -> Path:
    return ledger.path_of(config.data_dir)


def _claim(
    config: Config,
    urls: dict[str, str],
    events: list[Event],
    current: dict[str, Incident],
    now: datetime,
) -> tuple[list[Message], list[str]]:
    """Claim every due message in the sent log (re-read each time: a retry sees the others')."""
    entries = ledger.read(config.data_dir)
    standing = ledger.standings(entries)
    again, give_up = ledger.retries(entries, now)
    retry: dict[str, list[Event]] = {}
    for entry in again:
        incident = current.get(entry.key.split("/")[0])
        event = notifying.from_key(entry.key, incident) if incident is not None else None
        if event is None:
            give_up.append(entry)  # the file no longer holds it
        else:
            retry.setdefault(entry.channel, []).append(event)
    due: list[Message] = []
    for channel in config.notify:
        if channel.label in urls:
            fresh = [e for e in events if (channel.label, e.key) not in standing]
            due += notifying.messages(channel, [*fresh, *retry.get(channel.label, [])], current)
    lines = [ledger.Entry(now, "claimed", m.channel, key) for m in due for key in m.keys]
    lines += [ledger.Entry(now, "given-up", e.channel, e.key) for e in give_up]
    if lines:
        ledger.append(config.data_dir, lines, now)
    return due, [f"{e.channel} {e.key}" for e in give_up]


def _deliver(
    config: Config,
    due: list[Message],
    urls: dict[str, str],
    current: dict[str, Incident],
    now: datetime,
) -> list[notifying.Outcome]:
    """Send each claimed message, secrets masked in its words and in anything logged."""
    masker = _masker(config)
    deliveries = []
    for message in due:
        text = notifying.compose(config, current[message.event.incident_id], message.event, now)
        url = urls[message.channel]
        deliveries.append(
            notifying.Delivery(message.channel, url, masker(text.title), masker(text.body))
        )
    with masker.guard():
        return notifying.deliver(deliveries, masker)


def _record(
    config: Config, due: list[Message], results: list[notifying.Outcome], now: datetime
) -> None:
    """Each claimed key sent or failed, as its delivery went."""
    lines = [
        ledger.Entry(now, "sent" if outcome.ok else "failed", message.channel, key)
        for message, outcome in zip(due, results, strict=True)
        for key in message.keys
    ]
    ledger.append(config.data_dir, lines, now)


def _sent(outcome: notifying.Outcome) -> Sent:
    d = outcome.delivery
    return Sent(d.channel, d.title, outcome.ok, outcome.reason)


def _masker(config: Config) -> Masker:
    """The secrets of the monitors set here and of every channel URL."""
    try:
        masker = resolve_secrets(config.monitors, config.path)[1]
    except ConfigError:  # a notify run (pages.yml) need not have the probe's secrets
        masker = Masker()
    return with_channels(masker, config.notify)


def _summary_file(run: NotifyRun) -> None:
    """The run's lines in the job summary ($GITHUB_STEP_SUMMARY), when there is one."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path and (run.results or run.given_up):
        with open(path, "a", encoding="utf-8") as f:
            f.write(
                "\n".join(["## upwatch notify", "", *(f"- {line}" for line in run.summary_lines())])
                + "\n"
            )


def check_channels(config: Config) -> list[Problem]:
    """What `upwatch check` says of the channels: each URL judged by apprise, nothing sent."""
    where = display_path(config.path)
    errors, warnings = channel_problems(config.notify, where)
    for warning in warnings:
        log.warning("%s", warning)
    masker = _masker(config)
    for channel in config.notify:
        url = channel_url(channel)
        if url is None:
            continue
        problem = notifying.url_problem(url, masker)
        if problem:
            key = f"notify[{channel.index}].url"
            errors.append(Problem(where, channel.line or None, masker(f"{key}: {problem}")))
    return errors


def would_send(config: Config, changes: list[incidents.Change], now: datetime) -> list[str]:
    """What a probe run without --push would tell each channel, as lines (nothing is sent)."""
    current = {i.id: i for i in incidents.load(config, strict=False)}
    events = [
        Event(c.incident_id, c.kind, f"{c.incident_id}/{c.kind}")
        for c in changes
        if c.kind in ("opened", "resolved") and c.incident_id in current
    ]
    lines = []
    for channel in config.notify:
        for message in notifying.messages(channel, events, current):
            text = notifying.compose(config, current[message.event.incident_id], message.event, now)
            lines.append(f"would notify {channel.label}: {text.title}")
    return lines
