"""Property tests: generated incidents survive parse -> write; no text crashes the validator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.errors import Problem
from generator.incidents import Incident, Update, parse, patch, read, render
from generator.incidents.model import SEVERITIES, STATES, UPDATE_STATES
from generator.times import format_time

PATH = Path("incidents/2026-06-19-generated.md")
IDS = ("api", "db", "web-1")

times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
# Any character a person may type on one line, the line-ending ones aside.
line_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")
line = st.text(line_chars, max_size=40).filter(
    lambda s: not s.lstrip(" ").startswith(("#", "```", "~~~"))
)
paragraph = (
    st.lists(line, min_size=1, max_size=6)
    .map("\n".join)
    .filter(
        lambda s: (
            s.strip() != "" and s.split("\n")[0].strip() != "" and s.split("\n")[-1].strip() != ""
        )
    )
)
texts = st.one_of(st.just(""), paragraph)
titles = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60).filter(
    lambda s: s.strip() != ""
)
updates = st.lists(st.builds(Update, times, st.sampled_from(UPDATE_STATES), texts), max_size=5).map(
    lambda us: tuple(sorted(us, key=lambda u: u.time))
)


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    common = dict(
        id=PATH.stem,
        path=PATH,
        title=draw(titles),
        monitors=tuple(draw(st.lists(st.sampled_from(IDS), max_size=3))),
        body=draw(texts),
        updates=draw(updates),
    )
    if draw(st.booleans()):
        start = draw(times)
        end = start + timedelta(seconds=draw(st.integers(1, 10**6)))
        return Incident(
            type="maintenance",
            start=start,
            end=end,
            status=draw(st.sampled_from(STATES[:-1])),
            severity=draw(st.sampled_from(SEVERITIES)),
            **common,  # type: ignore[arg-type]
        )
    started = draw(times)
    resolved = draw(
        st.one_of(st.none(), st.integers(0, 10**6).map(lambda s: started + timedelta(seconds=s)))
    )
    status = "resolved" if resolved else draw(st.sampled_from(STATES[:-1]))
    return Incident(
        started=started,
        resolved=resolved,
        status=status,
        severity=draw(st.sampled_from(SEVERITIES)),
        auto=draw(st.booleans()),
        **common,  # type: ignore[arg-type]
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(incidents())
def test_write_then_parse_then_write_is_identical(incident: Incident) -> None:
    text = render(incident)
    again = parse(text, PATH, IDS)
    assert again == incident
    assert render(again) == text


@settings(max_examples=150, deadline=None)
@given(incidents(), st.integers(0, 10**6), times, texts)
def test_resolving_a_written_incident_keeps_it_canonical(
    incident: Incident, lasted: int, at: datetime, note: str
) -> None:
    assume(incident.is_open and incident.started is not None)
    assert incident.started is not None
    resolved = incident.started + timedelta(seconds=lasted)
    values = {"status": "resolved", "resolved": format_time(resolved)}
    text = patch(render(incident), values, Update(at, "resolved", note))
    done = parse(text, PATH, IDS)
    assert (done.status, done.resolved, done.body) == ("resolved", resolved, incident.body)
    if at >= max(u.time for u in incident.updates or [Update(at, "", "")]):
        assert render(done) == text  # appended in time order: exactly the canonical form


FRAGMENTS = st.sampled_from(
    [
        "---",
        "...",
        "title: x",
        "titel: x",
        "type: maintenance",
        "status: resolved",
        "severity: minor",
        "monitors: [api, nope]",
        "monitors: api",
        "started: 2026-06-19T15:57:00Z",
        "started: 2026-02-30T10:00:00Z",
        "resolved: 2026-06-19T15:00:00Z",
        "start: 2026-06-19 10:00",
        "end: 2026-06-19T11:00:00+02:00",
        "auto: true",
        "a: &x [*x]",
        "? [a, b]\n: c",
        "- item",
        "## Updates",
        "## Timeline",
        "## Postmortem",
        "### 2026-06-19 15:57 UTC — Investigating",
        "### 2026-06-19T15:57 - resolved",
        "### 2026-13-45 99:99 UTC — Fixed",
        "### — ",
        "###",
        "```",
        "~~~",
        "",
        "text",
    ]
)
documents = st.one_of(
    st.text(),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=10)), max_size=25).map("\n".join),
)


@settings(max_examples=500, deadline=None)
@given(documents, st.sampled_from(["2026-06-19-x.md", "x.md", "2026-02-30-y.md"]))
def test_the_validator_never_crashes(text: str, name: str) -> None:
    incident, problems = read(text, Path(name), IDS)
    assert all(isinstance(p, Problem) and p.message for p in problems)
    assert incident is not None or problems
    if incident is not None and not problems:
        assert parse(render(incident), Path(name), IDS) == incident
