"""Load and validate status.yml into plain, frozen values.

Every problem is collected first and reported at once as `path:line: key: message`. What
each key takes comes from `schema`; `${NAME}` placeholders stay in the loaded values, and
`secrets.resolve_secrets` fills them in at probe time.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError, Problem, display_path
from . import checks as ck
from .checks import Checker
from .schema import (
    Config,
    Defaults,
    Expect,
    Monitor,
    Notify,
    Option,
    Publish,
    Site,
    keys,
    options,
)
from .secrets import Masker, resolve_secrets, secret_problems, unset_warnings
from .yamlfile import LineDict, LineList, parse_yaml

__all__ = [
    "Config",
    "Defaults",
    "Expect",
    "Masker",
    "Monitor",
    "Notify",
    "Publish",
    "Site",
    "load_config",
    "resolve_secrets",
    "unset_warnings",
    "validate",
]

T = TypeVar("T")
ARTICLES = {"http": "an http", "tcp": "a tcp"}
WRONG_TYPE = {  # by the monitor's type, for a key only the other type takes
    "http": "belongs to tcp monitors (set type: tcp)",
    "tcp": "belongs to http monitors (tcp monitors take host and port)",
}


def _read_options(
    c: Checker,
    data: LineDict,
    key: str,
    opts: Iterable[Option],
    line: int,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A section's values by key: missing required keys first, then each value or default."""
    opts, base = list(opts), base or {}
    for opt in opts:
        if opt.required and opt.name not in data:
            needed = f" for {ARTICLES[opt.only]} monitor" if opt.only else ""
            c.add(data.line or line, ck.join(key, opt.name), f"is required{needed}")
    return {o.name: _read_option(c, data, key, o, base.get(o.name, o.default)) for o in opts}


def _read_option(c: Checker, data: LineDict, key: str, opt: Option, default: Any) -> Any:
    """One key's value: checked and converted, read part by part, or a nested section."""
    if opt.name not in data:
        return default
    name, line = ck.join(key, opt.name), data.key_lines[opt.name]
    if opt.section is not None:
        sub = c.mapping(data[opt.name], name, line, keys(opt.section))
        return opt.section(**_read_options(c, sub, name, options(opt.section), line))
    if opt.read is not None:
        return opt.read(c, data[opt.name], name, line)
    value = c.get(data, key, opt.name, opt.check or _anything, default)
    return opt.convert(value) if opt.convert else value


def _anything(value: Any) -> None:
    """The check of a key whose value any YAML may be."""


def _read_section(c: Checker, raw: LineDict, name: str, cls: type[T], line: int) -> T:
    """A top-level section such as `site`: an empty one when left out."""
    data = c.mapping(raw.get(name), name, line, keys(cls))
    return cls(**_read_options(c, data, name, options(cls), line))


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
    by_name = _monitor_options()
    mid = None
    if value.get("id") is None:
        c.add(value.line, f"{key}.id", "is required")
    else:
        mid = _read_option(c, value, key, by_name["id"], None)
    if mid:
        key = f"monitors[{index}] ({mid})"
    data = c.mapping(value, key, line, by_name)
    guess = "tcp" if "host" in data and "url" not in data else "http"
    kind = _read_option(c, data, key, by_name["type"], guess)
    for opt in by_name.values():
        if opt.only not in ("", kind) and opt.name in data:
            c.add(data.key_lines[opt.name], ck.join(key, opt.name), WRONG_TYPE[kind])
    own = _monitor_options(kind).values()
    base = {o.name: getattr(defaults, o.name) for o in own if o.inherited}
    values = _read_options(c, data, key, own, line, base | {"name": mid or ""})
    if not mid:
        return None
    lines = tuple(_key_lines(data).items())
    return Monitor(id=mid, type=kind, **values, line=line, key=key, lines=lines)


@functools.cache
def _monitor_options(kind: str = "") -> Mapping[str, Option]:
    """A monitor's options by name: all of them, or those read for a type beside id and type."""
    opts = options(Monitor)
    if kind:
        opts = tuple(o for o in opts if o.name not in ("id", "type") and o.only in ("", kind))
    return {o.name: o for o in opts}


def _key_lines(data: LineDict) -> dict[str, int]:
    """The lines of a monitor's url, body and each header, for errors about their secrets."""
    lines = {k: data.key_lines[k] for k in ("url", "body") if k in data}
    headers = data.get("headers")
    if isinstance(headers, LineDict):
        lines |= {f"headers.{name}": line for name, line in headers.key_lines.items()}
    return lines


def _read_notify(c: Checker, raw: LineDict, monitor_ids: list[str]) -> tuple[Notify, ...]:
    """The `notify` list: each channel's keys, its monitors among the configured ones."""
    items = raw.get("notify")
    if items is None:
        return ()
    if not isinstance(items, LineList):
        c.add(raw.key_lines["notify"], "notify", f"must be a list, not {ck.kind(items)}")
        return ()
    channels: list[Notify] = []
    names: dict[str, int] = {}
    for index, (item, line) in enumerate(zip(items, items.item_lines, strict=True)):
        key = f"notify[{index}]"
        if not isinstance(item, LineDict):
            c.add(line, key, f"must be a mapping with at least url, not {ck.kind(item)}")
            continue
        data = c.mapping(item, key, line, keys(Notify))
        values = _read_options(c, data, key, options(Notify), line)
        for monitor_id in values["monitors"]:
            if monitor_id not in monitor_ids:
                tip = ck.did_you_mean(monitor_id, monitor_ids)
                c.add(
                    data.key_lines["monitors"], f"{key}.monitors", f"no monitor {monitor_id!r}{tip}"
                )
        url_line = data.key_lines.get("url", line)  # where a check of the URL points
        channel = Notify(**values, line=url_line, index=index)
        if channel.label in names:
            message = f"two channels named {channel.label!r} (first on line {names[channel.label]})"
            c.add(data.key_lines.get("name", line), f"{key}.name", message)
        names.setdefault(channel.label, line)
        channels.append(channel)
    return tuple(channels)


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
    c.mapping(raw, "", 1, keys(Config))
    line = raw.line
    site = _read_section(c, raw, "site", Site, line)
    defaults = _read_section(c, raw, "defaults", Defaults, line)
    publish = _read_section(c, raw, "publish", Publish, line)
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
    channels = _read_notify(c, raw, [m.id for m in monitors])
    if c.problems:
        return None, c.problems
    config = Config(
        path=Path(where),
        site=site,
        defaults=defaults,
        monitors=tuple(monitors),
        publish=publish,
        notify=channels,
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
