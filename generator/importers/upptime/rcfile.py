"""Upptime's .upptimerc.yml mapped to status.yml: monitors, the site, and every key left out.

Each site becomes a monitor (or is skipped, with the reason); each key is either mapped or
listed with why it has no upwatch meaning, in the report and as a comment in status.yml.
`$NAME` placeholders (Upptime's secrets) become `${NAME}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...config import checks as ck
from ...config.schema import METHODS
from ...config.yamlfile import LineDict, LineList, parse_yaml
from ...errors import Problem, UpwatchError, display_path
from ...incidents.text import yaml_text
from .slug import monitor_id, upptime_slug

RC_FILE = ".upptimerc.yml"
PLACEHOLDER_RE = re.compile(r"\$(?!\{)([A-Z_][A-Z0-9_]*)")
UPPTIME_STATUSES = "Upptime's default: 2xx and 3xx count as up"
DEFAULT_CODES = (*range(200, 209), 226, *range(300, 309))

# Top-level keys with no upwatch meaning, and what upwatch does instead.
TOP_LEFT_OUT = {
    "owner": "the repository is the one status.yml is in",
    "repo": "the repository is the one status.yml is in",
    "notifications": "add apprise URLs under notify: (see README, Notifications)",
    "i18n": "pages are in English",
    "workflowSchedule": "the probe workflow runs every 5 minutes",
    "commitMessages": "upwatch writes its own commit messages",
    "assignees": "incidents are files; nobody is assigned",
    "user-agent": "the probe sends upwatch's own User-Agent",
    "PAT": "the page makes no GitHub API calls",
    "delay": "checks run in parallel",
}
SITE_LEFT_OUT = {
    "icon": "no icons on the page",
    "assignees": "incidents are files; nobody is assigned",
    "tags": "no tags; use group:",
    "ipv6": "the probe uses what the host name resolves to",
    "__dangerous__body_degraded": "upwatch judges degraded by response time only",
    "__dangerous__body_degraded_if_text_missing": "upwatch judges degraded by response time only",
    "type": "checks run from the probe runner",
    "location": "checks run from the probe runner",
}
INSECURE = (
    "__dangerous__insecure",
    "__dangerous__disable_verify_peer",
    "__dangerous__disable_verify_host",
)
HANDLED = {
    "name", "url", "slug", "method", "headers", "body", "expectedStatusCodes", "maxResponseTime",
    "maxRedirects", "check", "port", "__dangerous__body_down",
    "__dangerous__body_down_if_text_missing", *INSECURE,
}  # fmt: skip


@dataclass
class SiteMap:
    """One Upptime site mapped to an upwatch monitor."""

    id: str
    name: str
    slug: str  # Upptime's slug for it (its history file and issue label)
    url: str  # as .upptimerc.yml writes it, for finding renamed sites' history
    lines: list[str] = field(default_factory=list)  # the monitor's YAML lines
    notes: list[str] = field(default_factory=list)  # what was not mapped, and why


@dataclass
class RcMap:
    """The whole .upptimerc.yml mapped."""

    title: str
    site_lines: list[str]
    notes: list[str]  # top-level keys left out
    monitors: list[SiteMap]
    skipped: list[str]  # sites not imported, with why
    secrets: list[str]  # ${NAME}s the probe will need


def read_rc(src: Path) -> RcMap:
    """Read and map SRC/.upptimerc.yml; raise UpwatchError naming file and line when it is unusable."""
    path = src / RC_FILE
    where = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UpwatchError(
            [Problem(where, None, "no such file: is SRC an Upptime repository?")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UpwatchError([Problem(where, None, f"cannot read: {exc}")]) from None
    raw, problems = parse_yaml(text, where)
    if problems:
        raise UpwatchError(problems)
    if not isinstance(raw, LineDict):
        raise UpwatchError([Problem(where, 1, "must be a mapping with owner, repo and sites")])
    sites = raw.get("sites")
    if not isinstance(sites, LineList) or not sites:
        line = raw.key_lines.get("sites", 1)
        raise UpwatchError([Problem(where, line, "sites: must be a list of sites")])
    mapped = map_sites(sites, where)
    title, site_lines, site_notes = map_website(raw.get("status-website"))
    notes = site_notes + [
        f"{key}: {TOP_LEFT_OUT.get(key, 'no upwatch meaning')}"
        for key in raw
        if key not in ("sites", "status-website")
    ]
    return RcMap(title, site_lines, notes, *mapped)


def map_sites(sites: LineList, where: str) -> tuple[list[SiteMap], list[str], list[str]]:
    """Every site mapped or skipped; a site without name or url is an error (all at once)."""
    problems, monitors, skipped, secrets = [], [], [], []
    taken: set[str] = set()
    for index, (site, line) in enumerate(zip(sites, sites.item_lines, strict=True)):
        if not isinstance(site, LineDict):
            problems.append(Problem(where, line, f"sites[{index}]: must be a mapping"))
            continue
        missing = [k for k in ("name", "url") if not isinstance(site.get(k), str | int)]
        if missing:
            problems.append(
                Problem(where, line, f"sites[{index}]: {' and '.join(missing)} required")
            )
            continue
        name, url = str(site["name"]), str(site["url"])
        slug = upptime_slug(name, str(site.get("slug") or "") or None)
        reason = unsupported(site)
        if reason:
            skipped.append(f"{name} ({slug}): {reason}; not imported")
            continue
        mid = unique(monitor_id(slug, ck.MAX_ID), taken)
        monitor = SiteMap(mid, name, slug, url)
        map_site(site, monitor)
        monitors.append(monitor)
        secrets += [n for n in PLACEHOLDER_RE.findall(json.dumps(site)) if n not in secrets]
    if problems:
        raise UpwatchError(problems)
    return monitors, skipped, secrets


def unique(base: str, taken: set[str]) -> str:
    mid, n = base, 1
    while mid in taken:
        n += 1
        mid = f"{base[: ck.MAX_ID - 4]}-{n}"
    taken.add(mid)
    return mid


def unsupported(site: LineDict) -> str | None:
    """Why a site cannot be an upwatch monitor, or None."""
    check = site.get("check", "http")
    if check not in ("http", "tcp-ping"):
        return f"check: {check} has no upwatch counterpart (http and tcp only)"
    if check == "tcp-ping":
        if ck.host(tcp_host(str(site["url"]))) is not None:
            return f"tcp-ping url {str(site['url'])!r} is not a host name or address"
        if ck.whole(1, 65535)(site.get("port")) is not None:
            return "tcp-ping needs a port from 1 to 65535"
        return None
    url = secrets(str(site["url"]))
    if ck.http_url(url) is not None:
        return f"url: {ck.http_url(url)}"
    return None


def tcp_host(url: str) -> str:
    """The host of a tcp-ping site's url: a bare host, or the host of a URL written for it."""
    if "://" in url:
        return urlsplit(url).hostname or url
    return url.rsplit(":", 1)[0] if url.count(":") == 1 else url


def secrets(text: str) -> str:
    """Upptime's `$NAME` placeholders as upwatch's `${NAME}`."""
    return PLACEHOLDER_RE.sub(r"${\1}", text)


def put(monitor: SiteMap, key: str, value: Any, comment: str = "") -> None:
    """One `key: value` line of the monitor (strings quoted as YAML reads them back)."""
    text = yaml_text(value) if isinstance(value, str) else json.dumps(value)
    monitor.lines.append(f"    {key}: {text}" + (f"  # {comment}" if comment else ""))


def map_site(site: LineDict, monitor: SiteMap) -> None:
    """Fill in the monitor's lines and notes from one Upptime site."""
    put(monitor, "name", monitor.name)
    if site.get("check") == "tcp-ping":
        put(monitor, "type", "tcp")
        put(monitor, "host", tcp_host(str(site["url"])))
        put(monitor, "port", int(site["port"]))
    else:
        map_http(site, monitor)
    if "maxResponseTime" in site:
        if ck.whole(1)(site["maxResponseTime"]) is None:
            put(monitor, "degraded_ms", int(site["maxResponseTime"]))
        else:
            monitor.notes.append(f"maxResponseTime: {site['maxResponseTime']!r} is not whole ms")
    else:
        monitor.notes.append(
            "maxResponseTime: not set; Upptime's default was 60000 ms, upwatch's degraded_ms is 2000"
        )
    for key in site:
        if key not in HANDLED:
            monitor.notes.append(f"{key}: {SITE_LEFT_OUT.get(key, 'no upwatch meaning')}")


def map_http(site: LineDict, monitor: SiteMap) -> None:
    """url, method, headers, body, expect, redirects and TLS of an http site."""
    put(monitor, "url", secrets(str(site["url"])))
    method = str(site.get("method", "GET")).upper()
    if method not in METHODS:
        monitor.notes.append(f"method: {method} is not one of {', '.join(METHODS)}; GET is used")
    elif method != "GET":
        put(monitor, "method", method)
    map_headers(site.get("headers"), monitor)
    body = site.get("body")
    if isinstance(body, str):
        put(monitor, "body", secrets(body))
    elif body is not None:
        monitor.notes.append("body: not text; left out")
    map_expect(site, monitor)
    redirects = site.get("maxRedirects")
    if redirects is not None:
        if ck.whole(0, 30)(redirects) is None:
            put(monitor, "max_redirects", int(redirects))
        else:
            monitor.notes.append(f"maxRedirects: {redirects!r} is not 0-30; upwatch's 5 is used")
    if any(site.get(k) for k in INSECURE):
        put(monitor, "verify_tls", False)


def map_headers(headers: Any, monitor: SiteMap) -> None:
    """`"Key: value"` strings as a mapping of header names to text."""
    if headers is None:
        return
    if not isinstance(headers, list):
        monitor.notes.append("headers: not a list of 'Key: value' texts; left out")
        return
    pairs = []
    for item in headers:
        name, colon, value = str(item).partition(":")
        if not colon or not name.strip():
            monitor.notes.append(f"headers: {str(item)!r} is not 'Key: value'; left out")
            continue
        pairs.append((name.strip(), secrets(value.strip())))
    if pairs:
        monitor.lines.append("    headers:")
        monitor.lines += [f"      {yaml_text(k)}: {yaml_text(v)}" for k, v in pairs]


def map_expect(site: LineDict, monitor: SiteMap) -> None:
    """expectedStatusCodes and the body rules as expect: status, contains, not_contains."""
    lines = []
    codes = site.get("expectedStatusCodes")
    if isinstance(codes, list) and codes and all(_code(c) for c in codes):
        lines.append(f"      status: {json.dumps([int(c) for c in codes])}")
    else:
        if codes is not None:
            monitor.notes.append(
                "expectedStatusCodes: not a list of HTTP codes; Upptime's default is used"
            )
        lines.append(f'      status: ["2xx", "3xx"]  # {UPPTIME_STATUSES}')
    for key, name in (
        ("__dangerous__body_down_if_text_missing", "contains"),
        ("__dangerous__body_down", "not_contains"),
    ):
        value = site.get(key)
        if isinstance(value, str) and value:
            lines.append(f"      {name}: {yaml_text(secrets(value))}")
    monitor.lines += ["    expect:", *lines]


def _code(value: Any) -> bool:
    return str(value).isdigit() and 100 <= int(value) <= 599


def map_website(website: Any) -> tuple[str, list[str], list[str]]:
    """The page title, the site: lines and the notes from `status-website`."""
    if not isinstance(website, dict):
        return (
            "Status",
            ["  title: Status"],
            ["status-website: not set; the page title is 'Status'"],
        )
    title = str(website.get("name") or "Status")
    lines = [f"  title: {yaml_text(title)}"]
    notes = []
    intro = website.get("introMessage")
    if isinstance(intro, str) and intro.strip():
        lines.append(f"  description: {yaml_text(' '.join(intro.split()))}")
    cname = website.get("cname")
    if isinstance(cname, str) and ck.domain(cname) is None:
        lines += [f"  url: https://{cname}", f"  cname: {cname}"]
    elif cname:
        notes.append(f"status-website.cname: {cname!r} is not a domain name; left out")
    for key in website:
        if key not in ("name", "cname", "introMessage"):
            why = (
                "GitHub Pages serves this repository's site"
                if key == "baseUrl"
                else "no upwatch meaning"
            )
            notes.append(f"status-website.{key}: {why}")
    return title, lines, notes
