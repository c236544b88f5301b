"""Upptime's site slugs: how it names history/<slug>.yml and labels a site's issues.

Upptime takes `slug` when a site sets one, else slugifies the name (splitting camelCase and
transliterating to ASCII). The history file names are the truth; this only finds a site's
file when the name alone must say which it is.
"""

from __future__ import annotations

import re
import unicodedata

from ...text import slugify

REPLACEMENTS = (("&", " and "), ("♥", " love "), ("🦄", " unicorn "))
CAMEL = (
    (re.compile(r"([A-Z]{2,})(\d+)"), r"\1 \2"),
    (re.compile(r"([a-z\d]+)([A-Z]{2,})"), r"\1 \2"),
    (re.compile(r"([a-z\d])([A-Z])"), r"\1 \2"),
    (re.compile(r"([A-Z]+)([A-Z][a-rt-z\d]+)"), r"\1 \2"),
)
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def upptime_slug(name: str, explicit: str | None = None) -> str:
    """The slug Upptime gives a site: its own `slug`, else its name slugified."""
    if explicit and explicit.strip():
        return explicit.strip()
    text = name
    for old, new in REPLACEMENTS:
        text = text.replace(old, new)
    for pattern, repl in CAMEL:
        text = pattern.sub(repl, text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def monitor_id(slug: str, max_length: int) -> str:
    """An upwatch id for a slug: the slug itself when it is one, else its ASCII words."""
    if ID_RE.match(slug) and len(slug) <= max_length:
        return slug
    return slugify(slug, "site", max_length=max_length)
