"""Short incident texts always render as Markdown (the cost guard is for big pathological ones)."""

from __future__ import annotations

import pytest

from generator.site.markdown import render_markdown, too_costly

SHORT = [
    "Resolved after 20 min.",
    "",
    "x",
    "HTTP 503",
    "**Identified:** the database ran out of disk.\n\n- moved\n- resized\n\n---\n",
    "\n\n".join(["one paragraph"] * 40),
]


@pytest.mark.parametrize("text", SHORT)
def test_a_short_text_is_never_too_costly(text: str) -> None:
    assert not too_costly(text)
    assert not str(render_markdown(text)).startswith("<pre>")
