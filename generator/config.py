"""Load and validate status.yml into plain, frozen values.

Every problem is collected first and reported at once as `path:line: key: message`.
`${NAME}` placeholders stay in the loaded values; `resolve_secrets` fills them in at
probe time, and `Masker` keeps their values out of every output.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

from . import checks as ck
from .checks import MASK, SECRET_RE, Checker
from .errors import ConfigError, Problem, display_path
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
    concurrency: int = 200
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

    def secret_uses(self) -> list[tuple[str, str]]:
        """(key, variable name) for each `${NAME}` in url, headers and body."""
        texts = [("url", self.url), *((f"headers.{k}", v) for k, v in self.headers)]
        texts.append(("body", self.body or ""))
        return [
            (key, name) for key, text in texts for name in dict.fromkeys(SECRET_RE.findall(text))
        ]

    @property
    def secret_names(self) -> list[str]:
        """Names of the environment variables this monitor's url, headers or body use."""
        texts = [self.url, self.body or "", *(k + v for k, v in self.headers)]
        return sorted({m for t in texts for m in SECRET_RE.findall(t)})

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
        own = self.root / "site_templates"
        return own if own.is_dir() else builtin_templates_dir()

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    def monitor(self, monitor_id: str) -> Monitor:
        return next(m for m in self.monitors if m.id == monitor_id)


def builtin_templates_dir() -> Path:
    """The templates shipped with upwatch, used when a config folder has none of its own."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "site_templates", here.parent / "site_templates"):
        if candidate.is_dir():
            return candidate
    return here.parent / "site_templates"


class Masker:
    """Replaces secret values with *** in any text that may reach a file or output.

    A secret may come back changed: a host name lower-cased, a URL percent-encoded, a value
    escaped by repr(). Each of those forms is masked too, in any letter case.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        forms = {form for s in self.secrets for form in _secret_forms(s)}
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(forms, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE)

    def __call__(self, text: str) -> str:
        if not self.secrets:
            return text
        return self.pattern.sub(MASK, text)

    def __bool__(self) -> bool:
        return bool(self.secrets)


def _secret_forms(secret: str) -> set[str]:
    """The ways a secret value may be written back by a URL, a library or repr()."""
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret, safe="/:@!$&'()*+,;="),
        quote_plus(secret),
        secret.encode("unicode_escape").decode("ascii"),
        repr(secret)[1:-1],
    }
    with contextlib.suppress(UnicodeError):
        forms.add(secret.encode("idna").decode("ascii"))  # a host name as DNS sees it
    return {f for f in forms if f}


def resolve_secrets(
    monitors: Iterable[Monitor], config_path: Path, environ: Mapping[str, str] | None = None
) -> tuple[list[Monitor], Masker]:
    """Fill `${NAME}` placeholders from the environment; a missing one is a ConfigError."""
    env = os.environ if environ is None else environ
    monitors = list(monitors)
    where = display_path(config_path)
    missing = [
        Problem(
            where, m.line or None, f"{m.key or m.id}.{key}: environment variable {name} is not set"
        )
        for m in monitors
        for key, name in m.secret_uses()
        if name not in env
    ]
    if missing:
        raise ConfigError(missing)

    def fill(text: str) -> str:
        return SECRET_RE.sub(lambda m: env[m.group(1)], text)

    used = {n for m in monitors for n in m.secret_names}
    resolved = [
        replace(
            m,
            url=fill(m.url),
            headers=tuple((k, fill(v)) for k, v in m.headers),
            body=None if m.body is None else fill(m.body),
        )
        if m.secret_names
        else m
        for m in monitors
    ]
    derived = [_basic_credentials(m.url) for m in resolved if "@" in m.url]
    return resolved, Masker([*(env[n] for n in used), *(d for d in derived if d)])


def _basic_credentials(url: str) -> str | None:
    """The Basic credentials a client sends for user:password@ in a URL, as they go out."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return None
    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    return base64.b64encode(pair.encode()).decode("ascii")


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
    return Monitor(id=mid, type=kind, **fields, **probe, line=line, key=key)


def _read_publish(c: Checker, raw: LineDict, line: int) -> Publish:
    data = c.mapping(raw.get("publish"), "publish", line, ("author",))

    def author(value: Any) -> str | None:
        if isinstance(value, str) and re.match(r"^[^<>]+ <[^<>\s]+@[^<>\s]+>$", value):
            return None
        return "must look like 'Name <email@example.com>'"

    return Publish(author=c.get(data, "publish", "author", author, Publish().author))


def validate(raw: Any, where: str) -> tuple[Config | None, list[Problem]]:
    """Check parsed status.yml data; return the Config (when sound) and every problem found."""
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
    config, problems = validate(raw, where)
    if config is None:
        raise ConfigError(sorted(problems, key=lambda p: p.line or 0))
    return replace(config, path=path.resolve())
