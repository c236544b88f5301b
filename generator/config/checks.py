"""Checks for values read from YAML, collecting every problem as `path:line: key: message`."""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import Problem
from .yamlfile import LineDict, LineList

HOST_RE = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?\.?$")
DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"
)
SECRET_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"
SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
MIN_SECRET = 6  # characters: masking a shorter value would blank ordinary words
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ID_RULE = "lower-case letters, digits and '-', starting with a letter or digit"
MAX_ID = 64
ID_LENGTH = f"ids name files and URLs, so {MAX_ID} characters at most"
STATUS_RANGE_RE = re.compile(r"^[1-5]xx$")
AUTHOR_RE = re.compile(r"^[^<>]+ <[^<>\s]+@[^<>\s]+>$")

Check = Callable[[Any], str | None]  # an error text for a bad value, else None


class Checker:
    """Collects problems while reading one mapping at a time."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[Problem] = []

    def add(self, line: int | None, key: str, message: str) -> None:
        self.problems.append(Problem(self.where, line or None, f"{key}: {message}"))

    def mapping(self, value: Any, key: str, line: int | None, known: Iterable[str]) -> LineDict:
        """Check that value is a mapping with only known keys; return it (or an empty one)."""
        if value is None:
            value = LineDict()
            value.key_lines = {}
        if not isinstance(value, LineDict):
            self.add(line, key, f"must be a mapping, not {kind(value)}")
            empty = LineDict()
            empty.key_lines = {}
            return empty
        known = list(known)
        for name in value:
            if name not in known:
                tip = did_you_mean(name, known)
                self.add(value.key_lines[name], join(key, name), f"unknown key{tip}")
        return value

    def get(
        self,
        data: LineDict,
        key: str,
        name: str,
        check: Check,
        default: Any,
    ) -> Any:
        """Read data[name] through check (returns an error text or None)."""
        if name not in data:
            return default
        value = data[name]
        error = check(value)
        if error:
            self.add(data.key_lines.get(name, data.line), join(key, name), error)
            return default
        return value


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' hint when a close choice exists, else nothing."""
    hint = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {
        LineDict: "a mapping",
        LineList: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def text(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be text, not {kind(value)}"


def words(value: Any) -> str | None:
    """Text that shows as a heading or a link, so it must not be blank."""
    if not isinstance(value, str):
        return f"must be text, not {kind(value)}"
    return None if value.strip() else "must not be empty"


def flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, not {kind(value)}"


def whole(low: int, high: int | None = None) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, float):
            return f"must be a whole number, not {value:g}"
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, not {kind(value)}"
        if value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"{low} or more"
            return f"must be {span}, not {value}"
        return None

    return check


def positive(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number of seconds, not {kind(value)}"
    if not math.isfinite(value):
        return f"must be a finite number of seconds, not {value}"
    return None if value > 0 else f"must be greater than 0, not {value}"


def slo_target(value: Any) -> str | None:
    """A target uptime in percent: above 0 and below 100 (100 would leave no error budget)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"must be a percentage such as 99.9, not {kind(value)}"
    return None if 0 < value < 100 else f"must be above 0 and below 100, not {value:g}"


def one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value in choices:
            return None
        tip = did_you_mean(str(value), choices)
        return f"must be one of {', '.join(choices)}, not {value!r}{tip}"

    return check


def timezone(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a time zone name such as Europe/Berlin, not {kind(value)}"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use a name such as UTC or Europe/Berlin)"
    return None


def url_part(url: str, at: int) -> str:
    """Where in a URL template the text at `at` lands: literal, userinfo, path, query or fragment.

    A ${NAME} that opens the URL stands for the whole URL or its base, and one in the host
    or port for a host the user means as written: both are "literal".
    """
    scheme, opening = SCHEME_RE.match(url), SECRET_RE.match(url)
    if at == 0:
        return "literal"
    if scheme:
        authority_end = _first_of(url, "/?#", scheme.end())
        userinfo_end = url.rfind("@", scheme.end(), authority_end)
        if at < authority_end:
            return "userinfo" if at < userinfo_end else "literal"
    elif opening:  # "${BASE}/path": the placeholder holds scheme and host
        authority_end = opening.end()
    else:
        return "literal"
    query = _first_of(url, "?#", authority_end)
    fragment = _first_of(url, "#", authority_end)
    if at < query:
        return "path"
    return "query" if at < fragment else "fragment"


@dataclass(frozen=True)
class Use:
    """One `${NAME}` in a monitor: the key it is written under and the part its value fills."""

    key: str  # "url", "headers.X-Key" or "body"
    name: str
    part: str  # an encoder of `secrets.ENCODERS`, or "header name" (an error)
    start: int
    end: int


def scan(key: str, text: str, kind: str) -> list[Use]:
    """Each `${NAME}` in one field; in a url, with the part of the URL it stands in."""
    return [
        Use(key, m.group(1), url_part(text, m.start()) if kind == "url" else kind, *m.span())
        for m in SECRET_RE.finditer(text)
    ]


def _first_of(text: str, chars: str, start: int) -> int:
    """The index of the first of chars in text from start, or len(text)."""
    found = [i for i in (text.find(ch, start) for ch in chars) if i >= 0]
    return min(found, default=len(text))


def http_url(value: Any) -> str | None:
    """An http(s) URL that can be requested once its ${NAME}s are filled in."""
    if not isinstance(value, str):
        return f"must be text, not {kind(value)}"
    shown = SECRET_RE.sub(MASK, value)
    if SECRET_RE.match(value):  # "${HEALTH_URL}" or "${BASE}/health": judged at probe time
        return None if not any(ch.isspace() for ch in value) else f"is not a URL: {shown!r}"
    if not re.match(r"^https?://[^/\s]+", value):
        return f"must start with http:// or https:// and name a host, not {shown!r}"
    try:  # a ${NAME} may stand for a host or a port: "1" fits both
        parts = urlsplit(SECRET_RE.sub("1", value))
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc}): {shown!r}"
    if not parts.hostname or port == 0 or any(ch.isspace() for ch in parts.netloc):
        return f"must name a host (and a port from 1 to 65535), not {shown!r}"
    return None


def site_url(value: Any) -> str | None:
    """The page's own address: it goes into the feed as written, so only URL characters."""
    error = http_url(value)
    if error is None and re.search(r'[\s"<>\\^`{|}]', value):
        return f"must be a plain URL such as https://status.acme.com, not {value!r}"
    return error


def host(value: Any) -> str | None:
    """A bare host name or IP address, for tcp monitors."""
    if not isinstance(value, str):
        return f"must be text, not {kind(value)}"
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(value)
        return None
    if HOST_RE.match(value):
        return None
    hint = ""
    if "://" in value:
        hint = " (a tcp monitor takes a bare host; an http monitor takes url)"
    elif ":" in value:
        hint = " (put the port in port)"
    return f"must be a host name or IP address such as db.example.com, not {value!r}{hint}"


def domain(value: Any) -> str | None:
    """A domain name as GitHub Pages takes it in a CNAME file."""
    if not isinstance(value, str):
        return f"must be text, not {kind(value)}"
    if not DOMAIN_RE.match(value):
        return f"must be a bare domain name such as status.acme.com, not {value!r}"
    return None


def monitor_id(value: Any) -> str | None:
    if not isinstance(value, str) or not ID_RE.match(value):
        return f"{value!r} is not a valid id ({ID_RULE})"
    if len(value) > MAX_ID:
        return f"is {len(value)} characters long: {ID_LENGTH}"
    return None


def author(value: Any) -> str | None:
    if isinstance(value, str) and AUTHOR_RE.match(value):
        return None
    return "must look like 'Name <email@example.com>'"


# --- values made of parts, each problem located on its own ----------------------------------

Reader = Callable[[Checker, Any, str, int], Any]  # (checker, value, key, line) -> value


def read_statuses(c: Checker, value: Any, key: str, line: int) -> tuple[int | str, ...]:
    """Expected statuses: codes such as 200 and ranges such as '2xx' (2xx when none is good)."""
    statuses: list[int | str] = []
    for item in value if isinstance(value, list) else [value]:
        code = _status_code(item)
        if code is None:
            c.add(line, key, f"{item!r} is not a status code (100-599) or range like '2xx'")
        else:
            statuses.append(code)
    return tuple(statuses) or ("2xx",)


def _status_code(item: Any) -> int | str | None:
    """An expected status: a code such as 200, or a range such as '2xx'; None when neither."""
    if isinstance(item, str) and STATUS_RANGE_RE.match(item):
        return item
    if isinstance(item, str) and item.isdigit():
        item = int(item)
    if isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599:
        return item
    return None


def read_json_paths(c: Checker, value: Any, key: str, line: int) -> tuple[tuple[str, Any], ...]:
    """Dotted paths and the values expected there."""
    value = value or {}
    if not isinstance(value, dict):
        c.add(line, key, f"must map dotted paths to values, not {kind(value)}")
        return ()
    return tuple((str(k), plain(v)) for k, v in value.items())


def plain(value: Any) -> Any:
    """Strip the line-keeping wrappers from a YAML value."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def read_headers(c: Checker, value: Any, key: str, line: int) -> tuple[tuple[str, str], ...]:
    """Header names and their text, each bad value at its own line."""
    if not isinstance(value, LineDict):
        c.add(line, key, f"must be a mapping of header names to text, not {kind(value)}")
        return ()
    headers = []
    for name, text in value.items():
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            c.add(value.key_lines[name], f"{key}.{name}", f"must be text, not {kind(text)}")
            continue
        headers.append((name, str(text)))
    return tuple(headers)


NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def notify_url(value: Any) -> str | None:
    """An apprise URL (`scheme://...`) or a `${NAME}` holding one; apprise judges the rest."""
    if not isinstance(value, str):
        return f"must be text, not {kind(value)}"
    if SECRET_RE.match(value) or SCHEME_RE.match(value):
        return None if value.strip() == value and " " not in value else "must not hold spaces"
    return "must be an apprise URL such as json://host/path, or a ${NAME} that holds one"


def channel_name(value: Any) -> str | None:
    """A channel's name: one word, since the sent log and the job summary key by it."""
    if isinstance(value, str) and NAME_RE.match(value):
        return None
    return "must be one word of letters, digits, '.', '_' or '-' (64 characters at most)"


def read_choices(choices: Iterable[str] = ()) -> Reader:
    """A list of words (a single word too), each one of choices when choices are given."""
    known = tuple(choices)

    def read(c: Checker, value: Any, key: str, line: int) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        found: list[str] = []
        for item in items:
            if not isinstance(item, str) or not item:
                c.add(line, key, f"must be a list of words, not {kind(item)}")
            elif known and item not in known:
                tip = did_you_mean(item, known)
                c.add(line, key, f"must be among {', '.join(known)}, not {item!r}{tip}")
            elif item not in found:
                found.append(item)
        return tuple(found)

    return read
