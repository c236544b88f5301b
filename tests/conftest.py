"""Shared pytest set-up.

tests/ has no __init__.py: pytest puts this folder on sys.path, so test modules anywhere
below it import the helpers beside this file as `from localserver import ...`,
`from quality import ...` and `from helpers import sample, utc` (times and samples).
"""

from collections.abc import Iterator

import pytest

GITHUB_VARIABLES = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests see the plain output even when the suite itself runs in GitHub Actions (ci.yml):
    no annotations, no writes to the runner's job summary. Tests of those set them."""
    for name in GITHUB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield
