"""Failure kinds in words, for pages: "timeouts, then HTTP 5xx errors", "timeouts 60%"."""

from __future__ import annotations

from collections.abc import Iterable

KIND_WORDS = {
    "dns": "DNS failures",
    "connect": "connection failures",
    "tls": "TLS errors",
    "cert": "certificate problems",
    "timeout": "timeouts",
    "http_5xx": "HTTP 5xx errors",
    "http_4xx": "HTTP 4xx errors",
    "http_other": "unexpected HTTP statuses",
    "redirect": "redirect problems",
    "content": "unexpected content",
    "slow": "slow answers",
    "protocol": "broken answers",
}


def kind_words(kind: str) -> str:
    """A kind as a page says it; one the vocabulary lacks (a hand edit) as written."""
    return KIND_WORDS.get(kind, kind)


def in_turn(kinds: Iterable[str]) -> str:
    """Kinds in the order they were seen: "timeouts, then HTTP 5xx errors"."""
    said = ", then ".join(kind_words(k) for k in dict.fromkeys(kinds))
    return sentence(said)


def sentence(text: str) -> str:
    """The first letter upper case, the rest as written ("HTTP" stays)."""
    return text[:1].upper() + text[1:]


def shares(kinds: Iterable[tuple[str, int]]) -> list[tuple[str, str, float]]:
    """(kind, words, percent) of each kind, most first, from (kind, samples) pairs."""
    pairs = list(kinds)
    total = sum(n for _, n in pairs)
    return [(k, kind_words(k), round(n * 100 / total, 1)) for k, n in pairs if total]
