"""The commit message of a probe run: what changed, in a subject git tools show whole."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from ..config.read import Masker
from ..incidents import Change
from ..store import Sample
from ..store.samples import sample_key

# The commit message: a subject git tools show whole, a body that stays readable.
SUBJECT_MAX = 71
BODY_LINES = 50
BODY_BYTES = 4096


def commit_message(
    samples: Iterable[Sample],
    changes: Iterable[Change],
    mask: Masker | None = None,
    earlier: Sequence[str] = (),
) -> str:
    """A subject under 72 characters ('api down (HTTP 503); 41 up', '3 down, 88 up'), then a
    body with each incident change, each monitor not up and the files an earlier run left."""
    mask = mask or Masker()
    samples = list(samples)
    latest = {s.monitor: s for s in sorted(samples, key=sample_key)}
    events = [_event(c, latest, mask) for c in changes if c.kind in ("opened", "resolved")]
    subject, whole = _subject(events, _tally(samples))
    trouble = sorted(
        (s for s in latest.values() if s.status != "up"),
        key=lambda s: (s.status != "down", s.monitor),
    )
    paragraphs = [
        [] if whole else [text for _, _, text in events],
        [f"{s.monitor}: {s.status} ({_reason(s, mask)})" for s in trouble],
        [f"left uncommitted by an earlier run: {name}" for name in earlier],
    ]
    body = _capped([p for p in paragraphs if p])
    return f"{subject}\n\n{body}" if body else subject


def _event(change: Change, latest: dict[str, Sample], mask: Masker) -> tuple[str, str, str]:
    """(monitor, what happened, the whole line): ('api', 'down', 'api down (HTTP 503)')."""
    if change.kind == "opened":
        last = latest.get(change.monitor)
        state = "degraded" if last and last.status == "degraded" else "down"
        return change.monitor, state, f"{change.monitor} {state} ({_reason(last, mask)})"
    after = f" {_one_line(mask(change.detail))}" if change.detail else ""
    return change.monitor, "recovered", f"{change.monitor} recovered{after}"


def _tally(samples: list[Sample]) -> str:
    """'41 up, 1 down' or 'no samples'."""
    counts = Counter(s.status for s in samples)
    parts = [f"{counts[k]} {k}" for k in ("up", "degraded", "down") if counts[k]]
    return ", ".join(parts) or "no samples"


def _subject(events: list[tuple[str, str, str]], tally: str) -> tuple[str, bool]:
    """The first subject that fits: every event in full, then by kind, then counted; and
    whether it holds every event in full (the body then need not repeat them)."""
    if not events:
        return f"probe: {tally}", True
    kinds: dict[str, list[str]] = {}
    for monitor, kind, _ in events:
        kinds.setdefault(kind, []).append(monitor)
    opened = sum(len(m) for k, m in kinds.items() if k != "recovered")
    resolved = len(kinds.get("recovered", []))
    tries = [
        [text for _, _, text in events],
        [f"{', '.join(monitors)} {kind}" for kind, monitors in kinds.items()],
        [_counted(opened, resolved)],
    ]
    for number, parts in enumerate(tries):
        subject = "; ".join([*parts, tally])
        if len(subject) <= SUBJECT_MAX:
            return subject, number == 0
    return tally, False


def _counted(opened: int, resolved: int) -> str:
    """'3 incidents opened, 1 resolved' or '1 incident resolved'."""
    parts = [f"{n} {verb}" for n, verb in ((opened, "opened"), (resolved, "resolved")) if n]
    noun = " incident " if (opened or resolved) == 1 else " incidents "
    return ", ".join([parts[0].replace(" ", noun, 1), *parts[1:]])


def _capped(paragraphs: list[list[str]]) -> str:
    """The body's paragraphs, cut to BODY_LINES lines and BODY_BYTES bytes with '… and N more'."""
    lines = [line for p in paragraphs for line in ["", *p]][1:]
    if len(lines) <= BODY_LINES and len("\n".join(lines).encode()) <= BODY_BYTES:
        return "\n".join(lines)
    kept: list[str] = []
    size = len("… and 99999 more".encode())
    for line in lines[: BODY_LINES - 1]:
        size += len(line.encode()) + 1
        if size > BODY_BYTES:
            break
        kept.append(line)
    more = sum(1 for line in lines[len(kept) :] if line)
    return "\n".join([*kept, f"… and {more} more"])


def _one_line(text: str) -> str:
    """Text on one line: runs of white space and control characters become one space."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _reason(sample: Sample | None, mask: Masker) -> str:
    """A short reason for a bad sample, secrets masked: the HTTP status, else the detail."""
    if sample is None:
        return "no sample"
    if sample.code is not None and sample.code >= 400:
        return f"HTTP {sample.code}"
    detail = _one_line(mask(sample.detail or "")) or (
        f"HTTP {sample.code}" if sample.code else sample.status
    )
    return detail if len(detail) <= 80 else detail[:77] + "..."
