"""The one slugifier."""

from __future__ import annotations

import pytest

from generator.text import slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Acme Status", "acme-status"),
        ("  API -- outage!! ", "api-outage"),
        ("Café crème", "cafe-creme"),
        ("日本", "status"),
        ("", "status"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text, "status") == slug


def test_slugify_keeps_whole_words_under_the_limit() -> None:
    title = "database primary failover took longer than expected in region west"
    assert slugify(title, "incident", 50) == "database-primary-failover-took-longer-than"
    assert slugify("x" * 80, "incident", 50) == "x" * 50
    assert slugify("!!!", "incident", 50) == "incident"
