"""Shared pytest set-up.

tests/ has no __init__.py: pytest puts this folder on sys.path, so test modules anywhere
below it import the helpers beside this file as `from localserver import ...`,
`from quality import ...` and `from helpers import sample, utc` (times and samples).
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from quality import AxePage, launch_chromium

GITHUB_VARIABLES = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` starts one worker more than there are cores: many tests wait on a real
    server's timeout, git or a child process, and the extra worker runs tests meanwhile
    (2 cores: 3 workers). PYTEST_XDIST_AUTO_NUM_WORKERS still decides when it is set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests see the plain output even when the suite itself runs in GitHub Actions (ci.yml):
    no annotations, no writes to the runner's job summary. Tests of those set them."""
    for name in GITHUB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the tests of a module; each test opens its own context.

    Module scope, not session: while playwright's sync API is started it marks its event
    loop as running in this thread, so a later test's asyncio.run (the probe) would refuse
    to start. pytest ends a module's fixtures before the next module's tests run."""
    yield from launch_chromium()


@pytest.fixture(scope="module")
def axe(browser: Any) -> Iterator[Callable[..., dict[str, Any]]]:
    """axe-core's findings on a page in a colour scheme at a width, as `axe(page, "dark", 375)`.

    A page is loaded once for the module (quality.AxePage) and audited once per width in
    both schemes: a test of one scheme runs it, the test of the other reads what it found."""
    opened: dict[Path, AxePage] = {}
    audits: dict[tuple[Path, int], dict[str, dict[str, Any]]] = {}

    def audit(page: Path, scheme: str, width: int = 1280) -> dict[str, Any]:
        if (page, width) not in audits:
            if page not in opened:
                opened[page] = AxePage(browser, page, width)
            audits[page, width] = opened[page].audit(width)
        return audits[page, width][scheme]

    try:
        yield audit
    finally:
        for page in opened.values():
            page.close()
