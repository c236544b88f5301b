"""The status.yml schema: each key declared once, on the dataclass field that holds it.

A field's metadata carries an `Option`: its check, one doc line and how the README shows its
default. The readers take known keys, defaults and "did you mean" from it, and `docs` makes
the README's configuration tables from it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from . import checks as ck
from .checks import MASK, SECRET_RE, Check, Reader

OPTION = "upwatch.option"  # the metadata key an Option rides under
FORM_TYPE = "application/x-www-form-urlencoded"
SEVERITIES = ("minor", "major", "critical")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class Option:
    """How one key of status.yml is read and documented."""

    doc: str
    check: Check | None = None  # returns an error text, or None when the value is fine
    read: Reader | None = None  # for a value made of parts, each located on its own
    convert: Callable[[Any], Any] | None = None  # applied to a value that passed its check
    shown: str = ""  # the default as the README shows it, when the value alone does not say it
    only: str = ""  # "http" or "tcp": the only monitor type that takes the key
    required: bool = False
    inherited: bool = False  # a monitor's own value for the `defaults` key of the same name
    name: str = ""  # filled in by `options` from the field
    default: Any = None  # filled in by `options` from the field
    section: type | None = None  # filled in by `options`: the dataclass of a nested mapping


def option(doc: str, check: Check | None = None, **how: Any) -> Mapping[str, Option]:
    """Field metadata declaring a key: `field(default=..., metadata=option(doc, check))`."""
    return {OPTION: Option(doc, check, **how)}


# Set on a monitor's own value for a `defaults` key: that key's check, conversion and default.
PER_MONITOR = option("per-monitor overrides", shown="from `defaults`", inherited=True)


def _method(value: Any) -> str | None:
    return ck.one_of(*METHODS)(str(value).upper())


@dataclass(frozen=True)
class Site:
    title: str = field(metadata=option("the page title", ck.words, required=True))
    description: str = field(
        default="", metadata=option("a line under the title and in the feed", ck.text)
    )
    url: str = field(
        default="",
        metadata=option(
            "the published address, for absolute links in the Atom feed"
            " (the site itself uses relative links)",
            ck.site_url,
            convert=lambda url: url.rstrip("/"),
        ),
    )
    cname: str = field(
        default="", metadata=option("custom domain; the build writes `site/CNAME`", ck.domain)
    )
    timezone: str = field(
        default="UTC",
        metadata=option("how times are shown, an IANA name such as `Europe/Berlin`", ck.timezone),
    )
    allow_html: bool = field(
        default=False,
        metadata=option(
            "raw HTML inside incident Markdown is escaped unless this is true (see below)",
            ck.flag,
        ),
    )


@dataclass(frozen=True)
class Defaults:
    timeout: float = field(
        default=10.0,
        metadata=option(
            "seconds for one whole attempt: connect, TLS, headers and body",
            ck.positive,
            convert=float,
        ),
    )
    retries: int = field(
        default=1,
        metadata=option("quick re-tries within one run before a sample is `down`", ck.whole(0, 10)),
    )
    degraded_ms: int = field(
        default=2000,
        metadata=option("slower than this (but otherwise fine) is `degraded`", ck.whole(1)),
    )
    failure_threshold: int = field(
        default=2,
        metadata=option("consecutive down samples before an incident opens", ck.whole(1)),
    )
    success_threshold: int = field(
        default=2,
        metadata=option("consecutive non-down samples before it auto-resolves", ck.whole(1)),
    )
    severity: str = field(
        default="major",
        metadata=option(
            "of auto-opened incidents: `minor`, `major` or `critical`", ck.one_of(*SEVERITIES)
        ),
    )
    incident_on_degraded: bool = field(
        default=False,
        metadata=option("also open incidents for streaks of degraded samples", ck.flag),
    )
    slo: float | None = field(
        default=None,
        metadata=option(
            "target uptime in percent over the rolling 30 days, e.g. `99.9`: pages show the"
            " error budget in minutes and its burn rate",
            ck.slo_target,
            convert=lambda value: None if value is None else float(value),
            shown="none",
        ),
    )
    concurrency: int = field(
        default=500,
        metadata=option(
            "requests in flight at once over all hosts (defaults only)", ck.whole(1, 10000)
        ),
    )
    per_host: int = field(
        default=6,
        metadata=option(
            "requests in flight to one host:port at once across all monitors, tcp checks"
            " included, as browsers do (defaults only); waiting for a turn counts neither in"
            " `ms` nor against `timeout`, and `upwatch -v probe` prints the run's worst case"
            " at the start",
            ck.whole(1, 1000),
        ),
    )


@dataclass(frozen=True)
class Expect:
    status: tuple[int | str, ...] = field(
        default=("2xx",),
        metadata=option(
            'codes (`200`) or ranges (`"2xx"`) that count as up', read=ck.read_statuses
        ),
    )
    contains: str | None = field(
        default=None, metadata=option("the body must contain this text", ck.text)
    )
    not_contains: str | None = field(
        default=None, metadata=option("the body must not contain this text", ck.text)
    )
    json: tuple[tuple[str, Any], ...] = field(
        default=(),
        metadata=option(
            'dotted path -> expected value, e.g. `{status: UP, "checks.db": UP}`',
            read=ck.read_json_paths,
        ),
    )

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
    id: str = field(
        metadata=option(
            "`[a-z0-9][a-z0-9-]*`, unique; names files and URLs", ck.monitor_id, required=True
        )
    )
    name: str = field(metadata=option("shown on the page", ck.words, shown="the id"))
    type: str = field(
        default="http",
        metadata=option(
            "`http` or `tcp`",
            ck.one_of("http", "tcp"),
            shown="`http` (`tcp` when only `host` is given)",
        ),
    )
    group: str = field(default="", metadata=option("groups monitors on the page", ck.words))
    description: str = field(default="", metadata=option("shown on the monitor page", ck.text))
    url: str = field(
        default="",
        metadata=option("`http://` or `https://` address", ck.http_url, only="http", required=True),
    )
    method: str = field(
        default="GET",
        metadata=option(
            "`GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` or `OPTIONS`",
            _method,
            convert=lambda method: str(method).upper(),
            only="http",
        ),
    )
    headers: tuple[tuple[str, str], ...] = field(
        default=(),
        metadata=option("a mapping of header names to text", read=ck.read_headers, only="http"),
    )
    body: str | None = field(
        default=None, metadata=option("request body text", ck.text, only="http")
    )
    expect: Expect = field(default_factory=Expect, metadata=option("", only="http"))
    max_redirects: int = field(
        default=5, metadata=option("redirects followed (0-30)", ck.whole(0, 30), only="http")
    )
    verify_tls: bool = field(
        default=True, metadata=option("check the certificate", ck.flag, only="http")
    )
    cert_expiry_days: int = field(
        default=14,
        metadata=option(
            "https: degraded when the certificate expires sooner, down when expired",
            ck.whole(0),
            only="http",
        ),
    )
    host: str = field(
        default="",
        metadata=option("where a tcp monitor connects", ck.host, only="tcp", required=True),
    )
    port: int = field(
        default=0,
        metadata=option(
            "where a tcp monitor connects", ck.whole(1, 65535), only="tcp", required=True
        ),
    )
    timeout: float = field(default=Defaults.timeout, metadata=PER_MONITOR)
    retries: int = field(default=Defaults.retries, metadata=PER_MONITOR)
    degraded_ms: int = field(default=Defaults.degraded_ms, metadata=PER_MONITOR)
    failure_threshold: int = field(default=Defaults.failure_threshold, metadata=PER_MONITOR)
    success_threshold: int = field(default=Defaults.success_threshold, metadata=PER_MONITOR)
    severity: str = field(default=Defaults.severity, metadata=PER_MONITOR)
    incident_on_degraded: bool = field(default=Defaults.incident_on_degraded, metadata=PER_MONITOR)
    slo: float | None = field(default=Defaults.slo, metadata=PER_MONITOR)
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

    def placeholders(self) -> list[ck.Use]:
        """Every `${NAME}` of this monitor, with the key and URL part it is written in."""
        return [use for key, text, kind in self.secret_fields() for use in ck.scan(key, text, kind)]

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
    author: str = field(
        default="upwatch <upwatch@users.noreply.github.com>",
        metadata=option("author and committer of the probe's commits, `Name <email>`", ck.author),
    )


NOTIFY_EVENTS = ("opened", "updated", "resolved", "maintenance")


@dataclass(frozen=True)
class Notify:
    """One notification channel: an apprise URL and what it is told."""

    url: str = field(
        default="",
        metadata=option(
            "an apprise URL (Slack, Discord, e-mail, JSON webhook, ...), normally a `${SECRET}`",
            ck.notify_url,
            required=True,
        ),
    )
    events: tuple[str, ...] = field(
        default=NOTIFY_EVENTS,
        metadata=option(
            "any of `opened`, `updated`, `resolved`, `maintenance`",
            read=ck.read_choices(NOTIFY_EVENTS),
            shown="all four",
        ),
    )
    monitors: tuple[str, ...] = field(
        default=(),
        metadata=option(
            "monitor ids whose incidents it is told of",
            read=ck.read_choices(),
            shown="every monitor (and general notices)",
        ),
    )
    min_severity: str = field(
        default="minor",
        metadata=option(
            "incidents below this severity are not sent: `minor`, `major` or `critical`",
            ck.one_of(*SEVERITIES),
        ),
    )
    name: str = field(
        default="",
        metadata=option(
            "how logs, the job summary and data/notified.log name it",
            ck.channel_name,
            shown="`notify-N`",
        ),
    )
    line: int = field(default=0, compare=False, repr=False)  # where status.yml defines it
    index: int = field(default=0, compare=False, repr=False)  # its place in the list

    @property
    def label(self) -> str:
        """The channel's name in logs and in the sent log: its `name`, else `notify-N`."""
        return self.name or f"notify-{self.index + 1}"


@dataclass(frozen=True)
class Config:
    path: Path
    site: Site = field(metadata=option("the page"))
    defaults: Defaults = field(metadata=option("what every monitor takes unless it overrides"))
    monitors: tuple[Monitor, ...] = field(metadata=option("the endpoints to check"))
    publish: Publish = field(default_factory=Publish, metadata=option("the probe's commits"))
    notify: tuple[Notify, ...] = field(
        default=(), metadata=option("where incident notifications go")
    )

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


def options(cls: type) -> tuple[Option, ...]:
    """The keys a section's dataclass declares, in order, each with its name and default."""
    return _options(cls)


@functools.cache  # read once per section and monitor: keep it to one pass over the fields
def _options(cls: type) -> tuple[Option, ...]:
    found = []
    for f in fields(cls):
        if OPTION not in f.metadata:
            continue
        declared: Option = f.metadata[OPTION]
        if declared.inherited:  # the check and conversion of the defaults key
            base = next(o for o in options(Defaults) if o.name == f.name)
            declared = replace(declared, check=base.check, convert=base.convert)
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        default = None if default is MISSING else default
        section = type(default) if is_dataclass(default) else None
        found.append(replace(declared, name=f.name, default=default, section=section))
    return tuple(found)


def keys(cls: type) -> list[str]:
    """The known keys of a section, for unknown-key errors and their hints."""
    return [o.name for o in options(cls)]
