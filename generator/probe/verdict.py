"""Verdicts on one probe attempt: judge a response, or explain a failure in a few words.

    judge(monitor, response, body, ms, expires, masker) -> Result (up, degraded or down)
    explain(exc, host) -> ("connect", "connection refused"), ("dns", "DNS lookup failed ..."), ...
    timed_out(exc, timeout) -> "timeout after 10 s"
    after_redirect(hop, reason) -> "after redirect to http://host/x: connection refused"

Reasons are short and never hold raw bytes from the other end. Values quoted from a body are
masked before they are shortened, so a cut can never leave part of a secret showing; the
probe masks the whole reason once more before it goes anywhere.

Every degraded or down Result carries its failure kind (store.samples.FAILURE_KINDS), decided
here from what failed (the exception's type, the status code, the unmet expectation), never
read back from the reason's words.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ..config.read import Masker, Monitor
from ..status import SampleStatus
from ..store.samples import Sample
from .connect import InvalidHostName
from .failures import (
    BodyCut,
    ClosedWithoutResponse,
    InvalidLocation,
    NoFinalResponse,
    TunnelRefused,
)

MIN_STATUS, MAX_STATUS = 100, 599  # what RFC 9110 defines; h11 passes any three digits
FAILURE_REASONS: tuple[tuple[type[Exception], str, str], ...] = (
    (NoFinalResponse, "protocol", "1xx answer without a final response"),
    (ClosedWithoutResponse, "protocol", "connection closed without a response"),
    (BodyCut, "protocol", "connection closed before the body ended"),
    (InvalidLocation, "redirect", "redirect to an invalid URL"),
)
Failure = tuple[str, str]  # (kind, reason)


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of checking one monitor (a Sample without time, monitor and location)."""

    status: SampleStatus
    ms: int | None = None
    code: int | None = None
    detail: str = ""
    kind: str = ""  # one of FAILURE_KINDS when degraded or down

    def sample(self, monitor: str, time: datetime, location: str) -> Sample:
        return Sample(
            time, monitor, location, self.status, self.ms, self.code, self.detail, self.kind
        )

    def __str__(self) -> str:
        parts: list[str] = [self.status]
        if self.ms is not None:
            parts.append(f"{self.ms} ms")
        if self.code is not None and not self.detail.startswith("HTTP "):
            parts.append(f"HTTP {self.code}")
        return " ".join([*parts, self.detail]).rstrip()


def down(kind: str, detail: str, ms: int | None = None, code: int | None = None) -> Result:
    return Result("down", ms, code, detail, kind)


# --- judging a response ----------------------------------------------------------------


def judge(
    monitor: Monitor,
    response: httpx.Response,
    body: bytes,
    ms: int,
    expires: datetime | None,
    masker: Masker | None = None,
    cut: bool = False,
) -> Result:
    """Down on the first unmet expectation; degraded when slow or the certificate is close.

    `cut` says the body went on past what was read: expectations are judged on the part read,
    and a reason says so when that part is why they fail.
    """
    code = response.status_code
    problem = body_problem(monitor, response, body, masker or Masker(), cut)
    if problem:
        return down(*problem, ms, code)
    notes = []
    if expires is not None:
        days = (expires - datetime.now(UTC)).total_seconds() / 86400
        if days < 0:
            return down("cert", f"certificate expired on {expires:%Y-%m-%d}", ms, code)
        if days < monitor.cert_expiry_days:
            notes.append(("cert", f"certificate expires in {_days(days)}"))
    return timed(monitor, ms, code, notes)


def timed(
    monitor: Monitor, ms: int, code: int | None = None, notes: Iterable[Failure] = ()
) -> Result:
    """Up, or degraded when slower than degraded_ms or when notes say why (the first, its kind)."""
    notes = list(notes)
    if ms > monitor.degraded_ms:
        notes.append(("slow", f"slow: {ms} ms > {monitor.degraded_ms} ms"))
    if notes:
        return Result("degraded", ms, code, "; ".join(n for _, n in notes), notes[0][0])
    return Result("up", ms, code)


def code_kind(code: int) -> str:
    """The kind of an unexpected status code: http_5xx, http_4xx, redirect or http_other."""
    return {5: "http_5xx", 4: "http_4xx", 3: "redirect"}.get(code // 100, "http_other")


def body_problem(
    monitor: Monitor, response: httpx.Response, body: bytes, masker: Masker, cut: bool = False
) -> Failure | None:
    """What the status or body fails to meet (kind, reason), or None when every expectation holds."""
    expect = monitor.expect
    code = response.status_code
    if not MIN_STATUS <= code <= MAX_STATUS:
        return "http_other", f"HTTP {code}: not a valid status code"
    if not expect.status_ok(code):
        return code_kind(code), f"HTTP {code}"
    if expect.contains is None and expect.not_contains is None and not expect.json:
        return None
    text = _text(response, body)
    if expect.contains is not None and expect.contains not in text:
        where = f" in its first {size_text(len(body))}" if cut else ""
        return "content", f"body lacks {_short(expect.contains, masker)}{where}"
    if expect.not_contains is not None and expect.not_contains in text:
        return "content", f"body contains {_short(expect.not_contains, masker)}"
    if expect.json:
        problem = json_problem(text, expect.json, masker, size_text(len(body)) if cut else None)
        return ("content", problem) if problem else None
    return None


def json_problem(
    text: str, wanted: Iterable[tuple[str, Any]], masker: Masker, cut_at: str | None = None
) -> str | None:
    """Compare dotted paths of a JSON body with expected values (cut_at: where it was cut)."""
    try:
        data = json.loads(text)
    except RecursionError:
        return "body is JSON nested too deeply to read"
    except ValueError:
        return f"body cut at {cut_at}, not JSON" if cut_at else "body is not JSON"
    for path, want in wanted:
        try:
            got = dig(data, path)
        except LookupError:
            return f"json {path}: missing"
        if got != want or isinstance(got, bool) != isinstance(want, bool):
            return f"json {path}: expected {_short(want, masker)}, got {_short(got, masker)}"
    return None


def dig(data: Any, path: str) -> Any:
    """data at a dotted path: `checks.db` for nested keys, `items.0.id` for list items."""
    if isinstance(data, dict) and path in data:
        return data[path]  # a key that itself holds dots
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.lstrip("-").isdigit():
            node = node[int(part)]  # IndexError is a LookupError
        else:
            raise KeyError(path)
    return node


def _text(response: httpx.Response, body: bytes) -> str:
    try:
        return body.decode(response.charset_encoding or "utf-8", errors="replace")
    except (LookupError, ValueError):  # no such codec, or one that is not for text (idna)
        return body.decode("utf-8", errors="replace")


def _short(value: Any, masker: Masker, limit: int = 60) -> str:
    try:
        text = masker(repr(value))
    except RecursionError:
        return "a value nested too deeply to show"
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def size_text(size: int) -> str:
    """1048576 -> '1 MiB', 65536 -> '64 KiB', 1000 -> '1000 bytes'."""
    for unit, name in ((1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} bytes"


def _days(days: float) -> str:
    whole = round(days)
    if whole < 1:
        return "less than a day"
    return "1 day" if whole == 1 else f"{whole} days"


# --- explaining failures -----------------------------------------------------------------


def explain(exc: BaseException, host: str) -> Failure:
    """The kind of a failed attempt and a short reason: never raw bytes from the other end."""
    for cause in causes(exc):
        found = _os_reason(cause, host)
        if found:
            return found
    for exc_type, kind, reason in FAILURE_REASONS:
        if isinstance(exc, exc_type):
            return kind, reason
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol", "not an HTTP response"
    if isinstance(exc, httpx.InvalidURL | UnicodeError | httpx.LocalProtocolError):
        return "protocol", "invalid request (check the url and headers)"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "protocol", "unsupported URL scheme"
    if isinstance(exc, TunnelRefused):
        return "connect", f"proxy refused the tunnel (HTTP {exc.code})"
    if isinstance(exc, httpx.ProxyError):
        return "connect", "proxy error"
    if isinstance(exc, httpx.DecodingError):
        return "protocol", "body could not be decoded"
    if isinstance(exc, httpx.ConnectError):
        return "connect", "connection failed"
    if isinstance(exc, httpx.NetworkError):
        return "connect", "connection failed while talking"
    return "protocol", type(exc).__name__


def timed_out(exc: BaseException, timeout: float) -> str:
    """The reason for an attempt that ran out of time, and what it had got by then."""
    if any(isinstance(cause, NoFinalResponse) for cause in causes(exc)):
        return f"1xx answer, then no final response within {timeout:g} s"
    return f"timeout after {timeout:g} s"


def after_redirect(hop: httpx.URL | None, reason: str) -> str:
    """Name the redirect target when a failure happened there, not at the monitor's URL."""
    return f"after redirect to {shown_url(hop)}: {reason}" if hop else reason


def shown_url(url: httpx.URL, limit: int = 100) -> str:
    """A URL fit for a sample: no user info, query or fragment, and not too long."""
    text = f"{url.scheme}://{url.netloc.decode('ascii')}{url.raw_path.split(b'?')[0].decode()}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _os_reason(exc: BaseException, host: str) -> Failure | None:
    """The kind and reason an OS or TLS error gives, in the probe's words."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "tls", f"TLS: certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return "tls", "TLS: " + (exc.reason or "handshake failed").replace("_", " ").lower()
    if isinstance(exc, socket.gaierror):
        return "dns", f"DNS lookup failed for {host}"
    if isinstance(exc, InvalidHostName):  # no DNS query can carry it
        return "dns", "invalid host name"
    if isinstance(exc, ConnectionRefusedError):
        return "connect", "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connect", "connection reset"
    if isinstance(exc, OSError) and exc.strerror:
        return "connect", exc.strerror.lower()
    return None


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from, exception groups opened."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
