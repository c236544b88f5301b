"""Shields-style SVG badges: badges/<id>.svg (status) and badges/<id>-uptime.svg (30 days)."""

from __future__ import annotations

import html

from .. import status
from .model import Files, MonitorState, Summary, printable

# The one palette of solid colours under white text (4.5:1 or better): the same custom
# properties as the page's banner in assets/style.css, which a test checks against this table.
SOLID = {
    "--op-solid": "#1a7f37",
    "--deg-solid": "#8a5a00",
    "--part-solid": "#b13f00",
    "--maj-solid": "#b4232a",
    "--mnt-solid": "#1f5fbf",
    "--none-solid": "#4b535e",
    "--label-solid": "#444d56",
}
COLOURS = {
    status.OPERATIONAL: SOLID["--op-solid"],
    status.DEGRADED: SOLID["--deg-solid"],
    status.PARTIAL: SOLID["--part-solid"],
    status.MAJOR: SOLID["--maj-solid"],
    status.MAINTENANCE: SOLID["--mnt-solid"],
    "none": SOLID["--none-solid"],
}
LABEL_COLOUR = SOLID["--label-solid"]
NARROW = set("fijlrt1 .:,;'!|()[]")
WIDE = set("mwMW%@")


def files(summary: Summary) -> Files:
    """Both badges of every monitor."""
    out: Files = {}
    for state in summary.monitors:
        out[f"badges/{state.id}.svg"] = status_badge(state)
        out[f"badges/{state.id}-uptime.svg"] = uptime_badge(state)
    return out


def status_badge(state: MonitorState) -> bytes:
    words = status.COMPONENT_WORDS[state.status] if state.latest else "no data"
    colour = COLOURS[state.status] if state.latest else COLOURS["none"]
    return badge(state.monitor.name, words.lower(), colour)


def uptime_badge(state: MonitorState) -> bytes:
    value = state.uptime["30d"]
    colour = COLOURS["none"] if value is None else _uptime_colour(value)
    return badge("uptime 30d", status.format_uptime(value).lower(), colour)


def _uptime_colour(value: float) -> str:
    if value >= 99.5:
        return COLOURS[status.OPERATIONAL]
    return COLOURS[status.DEGRADED] if value >= 95 else COLOURS[status.MAJOR]


def text_width(text: str) -> int:
    """Approximate width in pixels of 11 px Verdana-like text."""
    return round(sum(4 if c in NARROW else 10 if c in WIDE else 7 for c in text))


def badge(label: str, value: str, colour: str) -> bytes:
    """A flat two-part badge with its text as <title> for screen readers and tooltips."""
    label, value = printable(label), printable(value)  # controls are not allowed in XML
    left, right = text_width(label) + 12, text_width(value) + 12
    total = left + right
    title = escape(f"{label}: {value}")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{escape(f"{label}: {value}").replace(chr(34), "&quot;")}">'
        f"<title>{title}</title>"
        f'<rect width="{left}" height="20" rx="3" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="20" rx="3" fill="{colour}"/>'
        f'<rect x="{left}" width="4" height="20" fill="{colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14" text-anchor="middle">{escape(label)}</text>'
        f'<text x="{left + right / 2}" y="14" text-anchor="middle">{escape(value)}</text>'
        "</g></svg>\n"
    )
    return svg.encode()


def escape(text: str) -> str:
    """Text for SVG: &, < and > escaped (quotes too where an attribute holds it)."""
    return html.escape(text, quote=False)
