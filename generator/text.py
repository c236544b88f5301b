"""Text helpers shared by every stage: the one slugifier."""

from __future__ import annotations

import re
import unicodedata

WORD_RE = re.compile(r"[a-z0-9]+")


def slugify(text: str, fallback: str, max_length: int | None = None) -> str:
    """Lower-case ASCII words joined by '-' (accents dropped); `fallback` when none is left.

    With `max_length`, whole words are kept while the slug stays under it (a first word
    longer than that is cut), so file names stay short.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = WORD_RE.findall(ascii_text.lower())
    if max_length is None:
        return "-".join(words) or fallback
    slug = ""
    for word in words:
        if slug and len(slug) + len(word) >= max_length:
            break
        slug = f"{slug}-{word}" if slug else word[:max_length]
    return slug or fallback
