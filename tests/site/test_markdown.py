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


@pytest.mark.parametrize("allow_html", [False, True])
def test_a_text_nested_past_the_recursion_limit_leaves_the_next_texts_rendered(
    allow_html: bool,
) -> None:
    # One process renders every incident of a build (and `serve` renders many builds): a
    # text python-markdown gives up on must not change how the texts after it render.
    nested = "\n".join("  " * depth + "- <b>x</b>" for depth in range(500))
    assert str(render_markdown(nested, allow_html)).startswith("<pre>")
    assert render_markdown("**bold**", allow_html) == "<p><strong>bold</strong></p>"
    assert render_markdown("a\n\n*b*", allow_html) == "<p>a</p>\n<p><em>b</em></p>"
