"""Load and validate status.yml into plain, frozen values.

Every problem is collected first and reported at once as `path:line: key: message`.
`${NAME}` placeholders stay in the loaded values; `resolve_secrets` fills them in at
probe time, and `Masker` keeps their values out of every output.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import logging
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

from ..errors import ConfigError, Problem, display_path
from . import checks as ck
from .checks import MASK, MIN_SECRET, SECRET_RE, Checker
from .yamlfile import LineDict, LineList, parse_yaml

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
STATUS_RANGE_RE = re.compile(r"^[1-5]xx$")
SEVERITIES = ("minor", "major", "critical")
ID_RULE = "lower-case letters, digits and '-', starting with a letter or digit"
MAX_ID = 64
ID_LENGTH = f"ids name files and URLs, so {MAX_ID} characters at most"


@dataclass(frozen=True)
class Site:
    title: str
    description: str = ""
    url: str = ""
    cname: str = ""
    timezone: str = "UTC"
    allow_html: bool = False


@dataclass(frozen=True)
class Defaults:
    timeout: float = 10.0
    retries: int = 1
    degraded_ms: int = 2000
    failure_threshold: int = 2
    success_threshold: int = 2
    severity: str = "major"
    concurrency: int = 500
    per_host: int = 6
    incident_on_degraded: bool = False


@dataclass(frozen=True)
class Expect:
    status: tuple[int | str, ...] = ("2xx",)
    contains: str | None = None
    not_contains: str | None = None
    json: tuple[tuple[str, Any], ...] = ()

    def status_ok(self, code: int) -> bool:
        """Whether an HTTP status code matches one of the expected codes or ranges."""
        for want in self.status:
            if isinstance(want, int) and code == want:
                return True
            if isinstance(want, str) and str(code)[0] == want[0]:
                return True
        return False


@dataclass(frozen=True)
class Monitor:
    id: str
    name: str
    type: str = "http"
    group: str = ""
    description: str = ""
    url: str = ""
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    expect: Expect = field(default_factory=Expect)
    max_redirects: int = 5
    verify_tls: bool = True
    cert_expiry_days: int = 14
    host: str = ""
    port: int = 0
    # The probe settings default to those of an empty `defaults:` section.
    timeout: float = Defaults.timeout
    retries: int = Defaults.retries
    degraded_ms: int = Defaults.degraded_ms
    failure_threshold: int = Defaults.failure_threshold
    success_threshold: int = Defaults.success_threshold
    severity: str = Defaults.severity
    incident_on_degraded: bool = Defaults.incident_on_degraded
    line: int = field(default=0, compare=False, repr=False)  # where status.yml defines it
    key: str = field(default="", compare=False, repr=False)  # e.g. "monitors[0] (api)"
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False, repr=False)

    def line_of(self, key: str) -> int | None:
        """The status.yml line of a key such as "url" or "headers.X-Key" (else the monitor's)."""
        return dict(self.lines).get(key, self.line) or None

    def secret_fields(self) -> list[tuple[str, str, str]]:
        """(key, text, kind) of every field a `${NAME}` may be written in, header names too."""
        body_kind = "form" if self.form_body else "body"
        return [
            ("url", self.url, "url"),
            *((f"headers.{k}", k, "header name") for k, _ in self.headers),
            *((f"headers.{k}", v, "header") for k, v in self.headers),
            ("body", self.body or "", body_kind),
        ]

    def placeholders(self) -> list[Use]:
        """Every `${NAME}` of this monitor, with the key and URL part it is written in."""
        return [use for key, text, kind in self.secret_fields() for use in scan(key, text, kind)]

    @property
    def secret_names(self) -> list[str]:
        """Names of the environment variables this monitor's url, headers or body use."""
        return sorted({use.name for use in self.placeholders()})

    @property
    def form_body(self) -> bool:
        """Whether the body is sent as application/x-www-form-urlencoded."""
        kinds = [v for k, v in self.headers if k.lower() == "content-type"]
        return any(v.split(";")[0].strip().lower() == FORM_TYPE for v in kinds)

    @property
    def target(self) -> str:
        """What the monitor checks, with any secret shown as ***, safe to publish."""
        if self.type == "tcp":
            return f"{self.host}:{self.port}"
        return SECRET_RE.sub(MASK, self.url)


@dataclass(frozen=True)
class Publish:
    author: str = "upwatch <upwatch@users.noreply.github.com>"


@dataclass(frozen=True)
class Config:
    path: Path
    site: Site
    defaults: Defaults
    monitors: tuple[Monitor, ...]
    publish: Publish = field(default_factory=Publish)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def incidents_dir(self) -> Path:
        return self.root / "incidents"

    @property
    def templates_dir(self) -> Path:
        """The user's overrides: any template or asset here replaces the built-in one."""
        return self.root / "site_templates"

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    def monitor(self, monitor_id: str) -> Monitor:
        return next(m for m in self.monitors if m.id == monitor_id)


FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_SAFE = "/?:@"  # RFC 3986 allows these in a query and no form parser splits on them


def _quoted(safe: str) -> Callable[[str], str]:
    return lambda value: quote(value, safe=safe, errors="surrogateescape")


ENCODERS: dict[str, Callable[[str], str]] = {
    "literal": str,  # the whole URL, its base, or a host: meant as written
    "userinfo": _quoted(""),
    "path": _quoted(""),  # one segment: a "/" in the value stays inside it
    "query": _quoted(QUERY_SAFE),
    "fragment": _quoted(QUERY_SAFE),
    "header": str,
    "body": str,
    "form": lambda value: quote_plus(value, safe="", errors="surrogateescape"),
}


@dataclass(frozen=True)
class Use:
    """One `${NAME}` in a monitor: the key it is written under and the part its value fills."""

    key: str  # "url", "headers.X-Key" or "body"
    name: str
    part: str  # a key of ENCODERS, or "header name" (an error)
    start: int
    end: int


def scan(key: str, text: str, kind: str) -> list[Use]:
    """Each `${NAME}` in one field; in a url, with the part of the URL it stands in."""
    return [
        Use(key, m.group(1), ck.url_part(text, m.start()) if kind == "url" else kind, *m.span())
        for m in SECRET_RE.finditer(text)
    ]


def fill(text: str, uses: Iterable[Use], env: Mapping[str, str]) -> str:
    """The text with each placeholder replaced by its value, encoded for where it stands."""
    pieces, at = [], 0
    for use in uses:
        pieces += [text[at : use.start], ENCODERS[use.part](env[use.name])]
        at = use.end
    return "".join([*pieces, text[at:]])


def secret_problems(
    monitor: Monitor, where: str, env: Mapping[str, str], required: bool = True
) -> list[Problem]:
    """What is wrong with a monitor's `${NAME}`s here; a missing one only when required."""
    problems = []
    seen = set()
    for use in monitor.placeholders():
        message = _use_problem(use, env, required)
        if message and (use.key, message) not in seen:
            seen.add((use.key, message))
            key = f"{monitor.key or monitor.id}.{use.key}"
            problems.append(Problem(where, monitor.line_of(use.key), f"{key}: {message}"))
    return problems


def _use_problem(use: Use, env: Mapping[str, str], required: bool) -> str | None:
    if use.part == "header name":
        return f"a header name cannot hold ${{{use.name}}} (put the secret in the value)"
    if use.name not in env:
        return f"environment variable {use.name} is not set" if required else None
    if len(env[use.name]) < MIN_SECRET:
        return (
            f"the value of ${{{use.name}}} is shorter than {MIN_SECRET} characters;"
            " masking it would blank ordinary text"
        )
    return None


def resolve_secrets(
    monitors: Iterable[Monitor], config_path: Path, environ: Mapping[str, str] | None = None
) -> tuple[list[Monitor], Masker]:
    """Fill `${NAME}` placeholders from the environment, each encoded for where it stands.

    A missing or too short value, or a placeholder in a header name, is a ConfigError.
    """
    env = os.environ if environ is None else environ
    monitors = list(monitors)
    where = display_path(config_path)
    problems = [p for m in monitors for p in secret_problems(m, where, env)]
    if problems:
        raise ConfigError(problems)
    resolved = [_resolve(m, env) for m in monitors]
    problems = [
        p for m, r in zip(monitors, resolved, strict=True) for p in _url_problem(m, r, where)
    ]
    if problems:
        raise ConfigError(problems)
    return resolved, Masker(_masked_values(monitors, resolved, env))


def _resolve(monitor: Monitor, env: Mapping[str, str]) -> Monitor:
    """The monitor with its placeholders filled in."""
    if not monitor.secret_names:
        return monitor
    texts = {
        key: fill(text, scan(key, text, kind), env)
        for key, text, kind in monitor.secret_fields()
        if kind != "header name"
    }
    return replace(
        monitor,
        url=texts["url"],
        headers=tuple((k, texts[f"headers.{k}"]) for k, _ in monitor.headers),
        body=None if monitor.body is None else texts["body"],
    )


def _url_problem(monitor: Monitor, resolved: Monitor, where: str) -> list[Problem]:
    """A url that opens with `${NAME}` must still make an http(s) URL once it is filled."""
    opening = SECRET_RE.match(monitor.url)
    if opening is None:
        return []
    if ck.http_url(resolved.url) is None and not SECRET_RE.match(resolved.url):
        return []
    message = f"the value of ${{{opening.group(1)}}} does not make an http(s) URL with a host"
    return [Problem(where, monitor.line_of("url"), f"{monitor.key or monitor.id}.url: {message}")]


def _masked_values(
    monitors: list[Monitor], resolved: list[Monitor], env: Mapping[str, str]
) -> list[str]:
    """The secret values, and what they make that may come back on its own."""
    values = []
    for monitor, filled in zip(monitors, resolved, strict=True):
        for use in monitor.placeholders():
            values.append(env[use.name])
            if use.part == "literal":
                values += _url_pieces(env[use.name])
        if monitor.secret_names:
            values += _basic_credentials(filled.url)
    return values


def _url_pieces(value: str) -> list[str]:
    """Parts of a secret URL or host:port that may come back alone, like a host in a DNS error."""
    try:
        parts = urlsplit(value if "://" in value else f"//{value}")
        pieces = [parts.hostname, parts.username, parts.password, parts.path, parts.query]
    except ValueError:
        return []
    pieces += [v for _, v in parse_qsl(parts.query)]
    return [p for p in pieces if p and len(p) >= MIN_SECRET]


def _basic_credentials(url: str) -> list[str]:
    """The Basic credentials a client sends for user:password@ in a URL, as they go out."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return []
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
    except (ValueError, UnicodeError):
        return []
    encoded = {base64.b64encode(pair).decode(), base64.urlsafe_b64encode(pair).decode()}
    # Unpadded too, so the same credentials inside longer base64 text are found.
    return [*encoded, *(e.rstrip("=") for e in encoded)]


class Masker:
    """Replaces secret values with *** in any text that may reach a file or output.

    A secret may come back changed: decoded by a server, percent-encoded (either case),
    escaped by JSON, repr() or HTML, read as Latin-1, lower-cased as a host name. Each
    character of a secret matches any of the escapes that may carry it (see `_char_pattern`),
    so mixed and nested forms are masked too.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        forms = [form for s in self.secrets for form in _secret_forms(s)]
        self.patterns = [(_core(form), _form_regex(form)) for form in forms]

    def __call__(self, text: str) -> str:
        if not self.patterns:
            return text
        # Only an escape (%, \, &#) changes a letter or digit: without one, a form can only
        # be there if its longest run of letters and digits is. This keeps masking cheap.
        escaped = any(marker in text for marker in ESCAPE_MARKERS)
        folded = text.casefold()
        for core, pattern in self.patterns:
            if escaped or core in folded:
                text = pattern.sub(MASK, text)
        return text

    def __bool__(self) -> bool:
        return bool(self.secrets)

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Mask every error that escapes while it is active: tracebacks, thread and log output."""
        if not self:
            yield
            return
        hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook)
        handlers = [h for h in (*logging.getLogger().handlers, logging.lastResort) if h]
        records = _MaskRecords(self)
        sys.excepthook, threading.excepthook = self._excepthook, self._thread_excepthook
        sys.unraisablehook = self._unraisablehook
        for handler in handlers:
            handler.addFilter(records)
        try:
            yield
        except Exception as exc:
            self.mask_exception(exc)
            raise
        finally:
            sys.excepthook, threading.excepthook, sys.unraisablehook = hooks
            for handler in handlers:
                handler.removeFilter(records)

    def mask_exception(self, exc: BaseException) -> None:
        """Mask the text of an exception and of those it was raised from, in place."""
        seen = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            exc = current
            seen.add(id(exc))
            exc.args = tuple(self(a) if isinstance(a, str) else a for a in exc.args)
            if hasattr(exc, "__notes__"):
                exc.__notes__ = [self(str(n)) for n in exc.__notes__]
            if isinstance(exc, OSError):
                for name in ("strerror", "filename", "filename2"):
                    if isinstance(getattr(exc, name), str):
                        setattr(exc, name, self(getattr(exc, name)))
            current = exc.__cause__ or exc.__context__

    def _write(self, text: str) -> None:
        if sys.stderr is not None:
            sys.stderr.write(self(text))
            sys.stderr.flush()

    def _excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        self._write("".join(traceback.format_exception(kind, exc, tb)))

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread else threading.get_ident()
        trace = traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        self._write(f"Exception in thread {name}:\n" + "".join(trace))

    def _unraisablehook(self, unraisable: sys.UnraisableHookArgs) -> None:
        where = f"{unraisable.err_msg or 'Exception ignored in'}: {unraisable.object!r}\n"
        kind = unraisable.exc_type
        trace = traceback.format_exception(kind, unraisable.exc_value, unraisable.exc_traceback)
        self._write(where + "".join(trace))


class _MaskRecords(logging.Filter):
    """Masks a log record's message, traceback and stack before a handler formats it."""

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.masker(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.masker(record.exc_text)
        if record.stack_info:
            record.stack_info = self.masker(record.stack_info)
        return True


ESCAPE_MARKERS = ("%", "\\", "&#")


def _secret_forms(secret: str) -> list[str]:
    """A secret as written and as a server decodes it; each is matched in every escape."""
    forms = [secret, unquote(secret), html.unescape(secret)]
    with contextlib.suppress(UnicodeError):
        forms.append(secret.encode("idna").decode("ascii"))  # a host name as DNS sees it
    return [f for f in dict.fromkeys(forms) if f]


@functools.lru_cache(maxsize=1024)  # the probe and the commit mask with the same secrets
def _form_regex(form: str) -> re.Pattern[str]:
    return re.compile("".join(map(_char_pattern, form)), re.IGNORECASE)


def _core(form: str) -> str:
    """The longest run of ASCII letters and digits in a form, case-folded ("" if none)."""
    return max(re.findall("[A-Za-z0-9]+", form), key=len, default="").casefold()


HTML_NAMES = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos"}
CONTROL_ESCAPES = {"\n": "n", "\r": "r", "\t": "t", "\b": "b", "\f": "f"}


@functools.lru_cache(maxsize=4096)
def _char_pattern(ch: str, nested: bool = False) -> str:
    """One character of a secret in any escape that may carry it (hex digits in any case).

    Each escape is itself matched percent-encoded, so `%5C%22` (a URL holding JSON's `\\"`)
    is found as well as `\\"`.
    """
    forms = ["".join(_atom(c, c == ch) for c in form) for form in _escapes(ch)]
    raw = ch.encode("utf-8", "surrogateescape")
    if ord(ch) > 0x7F and not nested:  # its UTF-8 bytes read as Latin-1
        forms.append("".join(_char_pattern(chr(b), True) for b in raw))
    return "(?:" + "|".join(forms) + ")"


def _escapes(ch: str) -> list[str]:
    """The ways JSON, repr(), HTML and form encoding write one character."""
    code = ord(ch)
    forms = [ch, f"&#{code};", f"&#x{code:x};", f"\\U{code:08x}"]
    if code < 0x10000:
        forms.append(f"\\u{code:04x}")
    else:  # JSON's surrogate pair
        forms.append(f"\\u{0xD800 + ((code - 0x10000) >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    if code < 0x100:
        forms.append(f"\\x{code:02x}")
    if ch in HTML_NAMES:
        forms.append(f"&{HTML_NAMES[ch]};")
    if ch in "'\"/\\":
        forms.append("\\" + ch)  # repr()'s \\', JSON's \\" and \\/
    if ch in CONTROL_ESCAPES:
        forms.append("\\" + CONTROL_ESCAPES[ch])
    forms += {" ": ["+"], "+": [" "]}.get(ch, [])  # a form decoder reads + as a space
    return forms


@functools.lru_cache(maxsize=4096)
def _atom(ch: str, plain: bool = False) -> str:
    """One character of an escape, as written or percent-encoded (perhaps twice).

    The letters and digits inside an escape (`u00e9`, `amp`) are taken as written.
    """
    if ch.isascii() and ch.isalnum() and not plain:
        return re.escape(ch)
    encoded = "".join(f"%(?:25)*{b:02x}" for b in ch.encode("utf-8", "surrogateescape"))
    pattern = f"(?:{re.escape(ch)}|{encoded})"
    if ch == "\\":  # an escape escaped again doubles its backslash
        return pattern + "+"
    if ch == "&":  # and HTML-escaped again adds amp;
        return pattern + f"(?:amp{_atom(';')})*"
    return pattern


SITE_KEYS = ("title", "description", "url", "cname", "timezone", "allow_html")
PROBE_KEYS = (
    "timeout",
    "retries",
    "degraded_ms",
    "failure_threshold",
    "success_threshold",
    "severity",
    "incident_on_degraded",
)
DEFAULT_KEYS = (*PROBE_KEYS, "concurrency", "per_host")
HTTP_KEYS = (
    "url",
    "method",
    "headers",
    "body",
    "expect",
    "max_redirects",
    "verify_tls",
    "cert_expiry_days",
)
MONITOR_KEYS = (
    "id",
    "name",
    "type",
    "group",
    "description",
    *HTTP_KEYS,
    "host",
    "port",
    *PROBE_KEYS,
)
EXPECT_KEYS = ("status", "contains", "not_contains", "json")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

PROBE_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "timeout": ck.positive,
    "retries": ck.whole(0, 10),
    "degraded_ms": ck.whole(1),
    "failure_threshold": ck.whole(1),
    "success_threshold": ck.whole(1),
    "severity": ck.one_of(*SEVERITIES),
    "incident_on_degraded": ck.flag,
    "concurrency": ck.whole(1, 10000),
    "per_host": ck.whole(1, 1000),
}


def _read_site(c: Checker, raw: LineDict, line: int) -> Site:
    data = c.mapping(raw.get("site"), "site", line, SITE_KEYS)
    if "title" not in data:
        c.add(data.line or line, "site.title", "is required")
    title = c.get(data, "site", "title", ck.words, "Status")
    return Site(
        title=title,
        description=c.get(data, "site", "description", ck.text, ""),
        url=c.get(data, "site", "url", ck.site_url, "").rstrip("/"),
        cname=c.get(data, "site", "cname", ck.domain, ""),
        timezone=c.get(data, "site", "timezone", ck.timezone, "UTC"),
        allow_html=c.get(data, "site", "allow_html", ck.flag, False),
    )


def _read_defaults(c: Checker, raw: LineDict, line: int) -> Defaults:
    data = c.mapping(raw.get("defaults"), "defaults", line, DEFAULT_KEYS)
    base = Defaults()
    values = {
        k: c.get(data, "defaults", k, PROBE_CHECKS[k], getattr(base, k)) for k in DEFAULT_KEYS
    }
    values["timeout"] = float(values["timeout"])
    return Defaults(**values)


def _read_expect(c: Checker, value: Any, key: str, line: int) -> Expect:
    data = c.mapping(value, key, line, EXPECT_KEYS)
    statuses: list[int | str] = []
    raw_status = data.get("status", ["2xx"])
    items = raw_status if isinstance(raw_status, list) else [raw_status]
    for item in items:
        code = _status_code(item)
        if code is None:
            where = data.key_lines.get("status", data.line or line)
            c.add(
                where,
                f"{key}.status",
                f"{item!r} is not a status code (100-599) or range like '2xx'",
            )
        else:
            statuses.append(code)
    json_data = data.get("json") or {}
    if not isinstance(json_data, dict):
        c.add(
            data.key_lines["json"],
            f"{key}.json",
            f"must map dotted paths to values, not {ck.kind(json_data)}",
        )
        json_data = {}
    return Expect(
        status=tuple(statuses) or ("2xx",),
        contains=c.get(data, key, "contains", ck.text, None),
        not_contains=c.get(data, key, "not_contains", ck.text, None),
        json=tuple((str(k), _plain(v)) for k, v in json_data.items()),
    )


def _status_code(item: Any) -> int | str | None:
    """An expected status: a code such as 200, or a range such as '2xx'; None when neither."""
    if isinstance(item, str) and STATUS_RANGE_RE.match(item):
        return item
    if isinstance(item, str) and item.isdigit():
        item = int(item)
    if isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599:
        return item
    return None


def _plain(value: Any) -> Any:
    """Strip the line-keeping wrappers from a YAML value."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _read_headers(c: Checker, value: Any, key: str, line: int) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, LineDict):
        c.add(line, key, f"must be a mapping of header names to text, not {ck.kind(value)}")
        return ()
    headers = []
    for name, text in value.items():
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            c.add(value.key_lines[name], f"{key}.{name}", f"must be text, not {ck.kind(text)}")
            continue
        headers.append((name, str(text)))
    return tuple(headers)


def _read_monitor(
    c: Checker, value: Any, index: int, line: int, defaults: Defaults
) -> Monitor | None:
    key = f"monitors[{index}]"
    if not isinstance(value, LineDict):
        c.add(
            line,
            key,
            f"must be a mapping with at least id and url (or host and port), not {ck.kind(value)}",
        )
        return None
    mid = value.get("id")
    if mid is None:
        c.add(value.line, f"{key}.id", "is required")
    elif not isinstance(mid, str) or not ID_RE.match(mid):
        c.add(value.key_lines["id"], f"{key}.id", f"{mid!r} is not a valid id ({ID_RULE})")
        mid = None
    elif len(mid) > MAX_ID:
        c.add(value.key_lines["id"], f"{key}.id", f"is {len(mid)} characters long: {ID_LENGTH}")
        mid = None
    if mid:
        key = f"monitors[{index}] ({mid})"
    data = c.mapping(value, key, line, MONITOR_KEYS)
    kind = c.get(
        data,
        key,
        "type",
        ck.one_of("http", "tcp"),
        "tcp" if "host" in data and "url" not in data else "http",
    )
    probe = {k: c.get(data, key, k, PROBE_CHECKS[k], getattr(defaults, k)) for k in PROBE_KEYS}
    probe["timeout"] = float(probe["timeout"])
    fields: dict[str, Any] = {
        "name": c.get(data, key, "name", ck.words, mid or ""),
        "group": c.get(data, key, "group", ck.words, ""),
        "description": c.get(data, key, "description", ck.text, ""),
    }
    if kind == "http":
        for wrong in ("host", "port"):
            if wrong in data:
                c.add(
                    data.key_lines[wrong],
                    f"{key}.{wrong}",
                    "belongs to tcp monitors (set type: tcp)",
                )
        if "url" not in data:
            c.add(data.line, f"{key}.url", "is required for an http monitor")
        method = c.get(data, key, "method", lambda v: ck.one_of(*METHODS)(str(v).upper()), "GET")
        fields |= {
            "url": c.get(data, key, "url", ck.http_url, ""),
            "method": str(method).upper(),
            "headers": _read_headers(
                c, data["headers"], f"{key}.headers", data.key_lines["headers"]
            )
            if "headers" in data
            else (),
            "body": c.get(data, key, "body", ck.text, None),
            "expect": _read_expect(
                c, data.get("expect"), f"{key}.expect", data.key_lines.get("expect", data.line)
            ),
            "max_redirects": c.get(data, key, "max_redirects", ck.whole(0, 30), 5),
            "verify_tls": c.get(data, key, "verify_tls", ck.flag, True),
            "cert_expiry_days": c.get(data, key, "cert_expiry_days", ck.whole(0), 14),
        }
    else:
        for wrong in HTTP_KEYS:
            if wrong in data:
                c.add(
                    data.key_lines[wrong],
                    f"{key}.{wrong}",
                    "belongs to http monitors (tcp monitors take host and port)",
                )
        for needed in ("host", "port"):
            if needed not in data:
                c.add(data.line, f"{key}.{needed}", "is required for a tcp monitor")
        fields |= {
            "host": c.get(data, key, "host", ck.host, ""),
            "port": c.get(data, key, "port", ck.whole(1, 65535), 0),
        }
    if not mid:
        return None
    lines = tuple(_key_lines(data).items())
    return Monitor(id=mid, type=kind, **fields, **probe, line=line, key=key, lines=lines)


def _key_lines(data: LineDict) -> dict[str, int]:
    """The lines of a monitor's url, body and each header, for errors about their secrets."""
    lines = {k: data.key_lines[k] for k in ("url", "body") if k in data}
    headers = data.get("headers")
    if isinstance(headers, LineDict):
        lines |= {f"headers.{name}": line for name, line in headers.key_lines.items()}
    return lines


def _read_publish(c: Checker, raw: LineDict, line: int) -> Publish:
    data = c.mapping(raw.get("publish"), "publish", line, ("author",))

    def author(value: Any) -> str | None:
        if isinstance(value, str) and re.match(r"^[^<>]+ <[^<>\s]+@[^<>\s]+>$", value):
            return None
        return "must look like 'Name <email@example.com>'"

    return Publish(author=c.get(data, "publish", "author", author, Publish().author))


def validate(
    raw: Any, where: str, environ: Mapping[str, str] | None = None
) -> tuple[Config | None, list[Problem]]:
    """Check parsed status.yml data; return the Config (when sound) and every problem found.

    With environ, the `${NAME}`s set there are judged too (an unset one is no error here).
    """
    c = Checker(where)
    if not isinstance(raw, LineDict):
        c.add(1, "status.yml", "must be a mapping with site and monitors")
        return None, c.problems
    c.mapping(raw, "", 1, ("site", "defaults", "monitors", "publish"))
    line = raw.line
    site = _read_site(c, raw, line)
    defaults = _read_defaults(c, raw, line)
    publish = _read_publish(c, raw, line)
    monitors: list[Monitor] = []
    items = raw.get("monitors")
    if items is None:
        c.add(line, "monitors", "is required (a list of monitors to check)")
        items = LineList()
        items.item_lines = []
    elif not isinstance(items, LineList):
        c.add(raw.key_lines["monitors"], "monitors", f"must be a list, not {ck.kind(items)}")
        items = LineList()
        items.item_lines = []
    seen: dict[str, int] = {}
    for index, (item, item_line) in enumerate(zip(items, items.item_lines, strict=True)):
        monitor = _read_monitor(c, item, index, item_line, defaults)
        if monitor is None:
            continue
        if monitor.id in seen:
            c.add(
                item_line,
                f"monitors[{index}].id",
                f"duplicate id {monitor.id!r} (first used on line {seen[monitor.id]})",
            )
            continue
        seen[monitor.id] = item_line
        monitors.append(monitor)
        c.problems += secret_problems(monitor, where, environ or {}, required=False)
    if c.problems:
        return None, c.problems
    config = Config(
        path=Path(where), site=site, defaults=defaults, monitors=tuple(monitors), publish=publish
    )
    return config, []


def load_config(path: Path | str = "status.yml") -> Config:
    """Read and validate a status.yml; raise ConfigError listing every problem."""
    path = Path(path)
    where = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [Problem(where, None, "no such file (create it, or pass --config)")]
        ) from None
    except OSError as exc:
        raise ConfigError([Problem(where, None, f"cannot read: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            [Problem(where, line, "not UTF-8 text (save the file as UTF-8)")]
        ) from None
    raw, problems = parse_yaml(text, where)
    if problems:
        raise ConfigError(problems)
    config, problems = validate(raw, where, os.environ)
    if config is None:
        raise ConfigError(sorted(problems, key=lambda p: p.line or 0))
    return replace(config, path=path.resolve())
