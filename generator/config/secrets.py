"""Secrets: `${NAME}` placeholders filled in at probe time, and the masker that hides them.

Each placeholder is encoded for the part of the request it fills (a URL's path, query or
userinfo, a form body, a header), and `Masker` replaces its value, in every form a server or
library may write it back, with `***` wherever text may reach a file or output.
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
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

from ..errors import ConfigError, Problem, display_path
from . import checks as ck
from .checks import MASK, MIN_SECRET, SECRET_RE, Use
from .schema import Monitor, Notify

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


def unset_warnings(
    monitors: Iterable[Monitor], config_path: Path, env: Mapping[str, str] | None = None
) -> list[Problem]:
    """A located warning for each `${NAME}` not set here: check goes on, the probe would refuse."""
    env = os.environ if env is None else env
    where = display_path(config_path)
    warnings = []
    for monitor in monitors:
        seen = set()
        for use in monitor.placeholders():
            if use.part == "header name" or use.name in env or (use.key, use.name) in seen:
                continue
            seen.add((use.key, use.name))
            key = f"{monitor.key or monitor.id}.{use.key}"
            message = f"{key}: environment variable {use.name} is not set here; the probe needs it"
            warnings.append(Problem(where, monitor.line_of(use.key), message))
    return warnings


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
        key: fill(text, ck.scan(key, text, kind), env)
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


# --- notification channels: their URLs hold tokens, so the URL is a secret as a whole ---


def channel_url(channel: Notify, env: Mapping[str, str] | None = None) -> str | None:
    """A channel's apprise URL with its `${NAME}`s filled in as written; None when one is unset
    or empty (a workflow passes an empty value for a secret the repository does not have)."""
    env = os.environ if env is None else env
    names = [m.group(1) for m in SECRET_RE.finditer(channel.url)]
    if not all(env.get(name) for name in names):
        return None
    return SECRET_RE.sub(lambda m: env[m.group(1)], channel.url)


def channel_problems(
    channels: Iterable[Notify], where: str, env: Mapping[str, str] | None = None
) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of the channels' `${NAME}`s: too short to mask, or unset here."""
    env = os.environ if env is None else env
    errors, warnings = [], []
    for channel in channels:
        key = f"notify[{channel.index}].url"
        for name in dict.fromkeys(m.group(1) for m in SECRET_RE.finditer(channel.url)):
            if not env.get(name):
                message = f"{key}: environment variable {name} is not set here; notify needs it"
                warnings.append(Problem(where, channel.line or None, message))
            elif len(env[name]) < MIN_SECRET:
                message = f"{key}: the value of ${{{name}}} is shorter than {MIN_SECRET} characters"
                errors.append(Problem(where, channel.line or None, message))
    return errors, warnings


def channel_secrets(channels: Iterable[Notify], env: Mapping[str, str] | None = None) -> list[str]:
    """What to mask of each channel URL: all of it, all after the scheme, and its token parts.

    The host alone is left readable (hooks.slack.com is no secret); its path, query, user and
    password are the token in every apprise URL scheme."""
    values = []
    for channel in channels:
        url = channel_url(channel, env)
        if not url:
            continue
        rest = url.split("://", 1)[-1]
        values += [url, rest]
        try:
            parts = urlsplit(url)
            pieces = [parts.username, parts.password, parts.path.strip("/"), parts.query]
        except ValueError:
            continue
        pieces += [seg for seg in parts.path.split("/") if len(seg) >= 12]
        pieces += [v for _, v in parse_qsl(parts.query)]
        values += [p for p in pieces if p and len(p) >= MIN_SECRET]
    return values


def with_channels(
    masker: Masker, channels: Iterable[Notify], env: Mapping[str, str] | None = None
) -> Masker:
    """The masker, also hiding the notification channels' URLs."""
    values = channel_secrets(channels, env)
    return Masker([*masker.secrets, *values]) if values else masker


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
        # Compiled when first needed: a pattern for every escape of every character is
        # costly, and most texts never hold a secret's letters.
        self.forms = [(_core(form), form) for form in forms]

    def __call__(self, text: str) -> str:
        if not self.forms:
            return text
        # Only an escape (%, \, &#) changes a letter or digit: without one, a form can only
        # be there if its longest run of letters and digits is. This keeps masking cheap.
        escaped = any(marker in text for marker in ESCAPE_MARKERS)
        folded = text.casefold()
        for core, form in self.forms:
            if escaped or core in folded:
                text = _form_regex(form).sub(MASK, text)
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
