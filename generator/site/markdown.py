"""Incident Markdown as HTML: raw HTML escaped unless allowed, safe links, a guard on cost.

A person writes the Markdown, but a hand-edited file may hold anything: script-like link
targets are dropped, pictures from other hosts become links (no request to another host when
a page loads), and a text python-markdown would take far longer than linear time on is shown
as written.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import threading
from urllib.parse import urlsplit
from xml.etree import ElementTree

import markdown
from markdown.extensions.sane_lists import SaneListExtension
from markupsafe import Markup

SAFE_SCHEMES = {"", "http", "https", "mailto"}
URL_NOISE_RE = re.compile(r"[\x00-\x20\x7f]")  # browsers strip or ignore these in a URL
CONVERTING = threading.Lock()  # a converter holds one text's state while it works


class _SafeLinks(markdown.treeprocessors.Treeprocessor):
    """Drops script-like link targets and turns images on other hosts into plain links."""

    def run(self, root: ElementTree.Element) -> None:
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "img" and not _local_url(child.get("src", "")):
                    # A picture from another host would make every visit call that host.
                    child.tag = "a"
                    child.text = child.get("alt") or child.get("src")
                    child.attrib = {"href": child.get("src", "")}
                if child.tag == "a" and not _safe_url(child.get("href", "")):
                    child.attrib.pop("href", None)


def _as_browser_reads(url: str) -> str:
    """A link target as a browser takes it: entities decoded, spaces dropped, \\ read as /."""
    return URL_NOISE_RE.sub("", html.unescape(url)).replace("\\", "/")


def _safe_url(url: str) -> bool:
    return urlsplit(_as_browser_reads(url)).scheme.lower() in SAFE_SCHEMES


def _local_url(url: str) -> bool:
    parts = urlsplit(_as_browser_reads(url))
    return not parts.scheme and not parts.netloc


class _EscapeHtml(markdown.Extension):
    """Treat raw HTML in Markdown as text, so it is shown escaped instead of run."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)


@functools.lru_cache(maxsize=512)  # the page and the feed show the same text
def render_markdown(text: str, allow_html: bool = False) -> Markup:
    """Incident Markdown as HTML; raw HTML escaped unless the site allows it."""
    if too_costly(text):
        return Markup("<pre>{}</pre>").format(text)
    with CONVERTING:
        try:
            html = _converter(allow_html).reset().convert(text)
        except RecursionError:  # lists or quotes nested past Python's limit: show it as is
            _converter.cache_clear()  # a converter left mid-text is not used again
            return Markup("<pre>{}</pre>").format(text)
    return Markup(html)


@functools.cache
def _converter(allow_html: bool) -> markdown.Markdown:
    """One converter of each kind, reset before each text (making one costs more than most
    texts do). Its extensions are given as objects: a name would be looked up among every
    installed package's entry points."""
    extensions: list[markdown.Extension] = [SaneListExtension()]
    if not allow_html:
        extensions.append(_EscapeHtml())
    return markdown.Markdown(extensions=extensions, output_format="html")


# --- the cost of Markdown --------------------------------------------------------------
#
# python-markdown does work that grows faster than the text: each bracket scans to its
# match (or to the end of its block), each split of a block copies the rest of it, each
# inline match rebuilds its block's text, and the list of blocks shifts for every block.
# The weights are nanoseconds per step, measured with markdown 3.11 on hostile inputs and
# rounded up; a text estimated over COST_PER_CHAR per character is shown as written, so an
# incident file of MAX_FILE_BYTES renders in about 2 s at worst, whatever it holds.

BLOCK_SPLIT_RE = re.compile(r"\n[ \t]*\n")
SPLITTING_LINE_RE = re.compile(r"^ {0,3}(?:=+|-+|(?:[-*_][ \t]*){3,})[ \t]*$", re.MULTILINE)
INLINE_RE = re.compile(r"[\\`*_<>&!#\[]")  # what can start an inline match
BRACKET_RE = re.compile(r"[\[\]()]")
QUOTE_RE = re.compile(r"[\"']")
PER_CHAR, PER_BLOCK, PER_BLOCK_PAIR = 1200, 25_000, 0.5
PER_SPLIT, PER_INLINE, PER_SCAN = 15, 0.4, 170
COST_PER_CHAR = 8000
SMALL_TEXT = 4096  # characters: a budget of 33 ms, far above what such a text costs


@functools.lru_cache(maxsize=512)
def too_costly(text: str) -> bool:
    """Whether python-markdown would take far longer than linear time on this text."""
    # Below a few KB nothing renders slowly; the fixed cost per block would flag short texts.
    return markdown_cost(text) > COST_PER_CHAR * max(len(text), SMALL_TEXT)


def markdown_cost(text: str) -> float:
    """An upper estimate, in nanoseconds, of python-markdown's work on a text (linear time)."""
    blocks = BLOCK_SPLIT_RE.split(text)
    cost = PER_CHAR * len(text) + PER_BLOCK_PAIR * len(blocks) ** 2
    for block in blocks:
        splits = len(SPLITTING_LINE_RE.findall(block))
        inline = len(INLINE_RE.findall(block))
        cost += PER_BLOCK + len(block) * (PER_SPLIT * splits + PER_INLINE * inline)
        cost += PER_SCAN * bracket_scans(block)
    return cost


def bracket_scans(block: str) -> int:
    """Characters python-markdown's link patterns scan: from each [ to its ], from ]( to )."""
    size = len(block)
    quotes = [m.start() for m in QUOTE_RE.finditer(block)]
    brackets: list[int] = []
    parens: list[tuple[int, bool]] = []
    scanned = 0
    for match in BRACKET_RE.finditer(block):
        at, char = match.start(), match.group()
        if char == "[":
            brackets.append(at)
        elif char == "]":
            scanned += at - brackets.pop() if brackets else 0
        elif char == "(":
            parens.append((at, at > 0 and block[at - 1] == "]"))
        elif parens:
            start, link = parens.pop()
            # A quote inside a link's parentheses makes it look for a title to the block's end.
            quoted = bisect.bisect_left(quotes, start) < bisect.bisect_left(quotes, at)
            scanned += (size - start if quoted else at - start) if link else 0
    unclosed = [*brackets, *(start for start, link in parens if link)]
    return scanned + sum(size - start for start in unclosed)
