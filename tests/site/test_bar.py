"""The 90-day bar in a real browser: it fits a phone, and every day is reachable and readable.

A 375 px screen shows the newest 30 days instead of widening the page; a 1280 px screen shows
all 90. Tab reaches a day, whose text is its accessible name, and the text shown on hover or
focus stays inside the card.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.store.days import Sample, append_samples

BUILT = datetime.fromisoformat("2026-11-23T12:00:00+00:00")
CONFIG = """\
site:
  title: Solo
monitors:
  - id: web
    name: Web
    url: https://web.example.invalid/
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bar")
    (root / "status.yml").write_text(CONFIG, encoding="utf-8")
    # a sample on every fourth day, so the bar has both data and no-data days
    samples = [
        Sample(BUILT - timedelta(days=day, minutes=1), "web", "ci", "up" if day % 8 else "down", 90)
        for day in range(0, 90, 4)
    ]
    append_samples(root / "data", samples)
    result = CliRunner().invoke(
        main, ["build", "--config", str(root / "status.yml"), "--now", "2026-11-23T12:00:00Z"]
    )
    assert result.exit_code == 0, result.output
    return root / "site"


@pytest.fixture(params=["index.html", "monitors/web.html"])
def page_file(request: pytest.FixtureRequest, site: Path) -> Path:
    return site / str(request.param)


def open_page(browser: Any, page_file: Path, width: int, script: bool = True) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=script
    )
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.clock.set_fixed_time(BUILT + timedelta(minutes=5))
    page.goto(page_file.resolve().as_uri(), wait_until="load")
    return page


VISIBLE_DAYS = """() => [...document.querySelector('.bar').children]
    .filter(li => li.getBoundingClientRect().width > 0).length"""


@pytest.mark.browser
@pytest.mark.parametrize(("width", "days"), [(375, 30), (1280, 90)])
def test_the_bar_fits_the_screen(browser: Any, page_file: Path, width: int, days: int) -> None:
    page = open_page(browser, page_file, width)
    try:
        assert page.locator(".bar").first.locator("li").count() == 90  # all 90 are in the page
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate(VISIBLE_DAYS) == days
        # the newest day is always shown
        assert page.locator(".bar").first.locator("li").last.is_visible()
    finally:
        page.context.close()


# the label under each bar that the screen shows, with the bar's number of visible days
LABELS = """() => [...document.querySelectorAll('.bar-wrap')].map(wrap => {
    const days = [...wrap.querySelector('.bar').children]
        .filter(li => li.getBoundingClientRect().width > 0).length;
    const foot = wrap.closest('.mon, .card').querySelector('.mon-foot');
    const shown = [...foot.querySelectorAll('span span')]
        .filter(s => s.getClientRects().length > 0).map(s => s.textContent);
    return [days, shown];
})"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 600, 1280])
def test_the_label_under_the_bar_names_the_days_shown(
    browser: Any, page_file: Path, width: int
) -> None:
    page = open_page(browser, page_file, width)
    try:
        labels = page.evaluate(LABELS)
        assert labels  # one bar on a monitor page, one per monitor on the index
        for days, shown in labels:
            assert shown == [f"{days} days ago"], (width, days, shown)
        assert {days for days, _ in labels} == {{375: 30, 600: 60, 1280: 90}[width]}
    finally:
        page.context.close()


FIRST_SHOWN = """() => [...document.querySelector('.bar').children]
    .find(li => li.getBoundingClientRect().width > 0).textContent.split(':')[0]"""


def tab_to_a_day(page: Any) -> Any:
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.bar li')"):
            return page.locator(":focus")
    raise AssertionError("Tab never reached a day of the bar")


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_tab_reaches_a_day_and_its_text_is_read(browser: Any, page_file: Path, width: int) -> None:
    tab_to_a_day_and_read_it(browser, page_file, width, script=True)


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_without_a_script_a_monitor_page_day_takes_focus(
    browser: Any, site: Path, width: int
) -> None:
    tab_to_a_day_and_read_it(browser, site / "monitors/web.html", width, script=False)


def test_the_index_leaves_tab_stops_per_day_to_its_script_and_links_each_bar(site: Path) -> None:
    # 50 bars of 90 days: a tab stop a day would be 50 kB of the 150 kB the index may weigh
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "<li tabindex" not in index and ".bar li:not([tabindex])" in (
        site / "assets/live.js"
    ).read_text(encoding="utf-8")
    assert 'href="monitors/web.html"' in index
    assert (site / "monitors/web.html").read_text(encoding="utf-8").count("<li tabindex=0") >= 90


def tab_to_a_day_and_read_it(browser: Any, page_file: Path, width: int, script: bool) -> None:
    page = open_page(browser, page_file, width, script)
    try:
        day = tab_to_a_day(page)
        text = day.text_content()
        assert text and re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}: (No data|\d+\.\d\d%.*)", text), text
        # the first day Tab reaches is the oldest one the screen shows
        assert text.startswith(page.evaluate(FIRST_SHOWN)), text
        assert text_box(page, day)["width"] > 20  # focus shows the text, as hover does
        snapshot = page.locator(".bar").first.aria_snapshot()
        assert text in snapshot  # the text is in the accessibility tree, not only a tooltip
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    finally:
        page.context.close()


def text_box(page: Any, day: Any) -> dict[str, float]:
    """The box of a day's own text as drawn (a range over its text node)."""
    return dict(
        day.evaluate(
            """li => { const r = document.createRange(); r.selectNodeContents(li);
            const b = r.getBoundingClientRect();
            return {left: b.left, right: b.right, top: b.top, bottom: b.bottom, width: b.width}; }"""
        )
    )


# for each day of a bar, whether it is drawn (a box of its own, not visibility: hidden), as
# playwright's is_visible() says, in one call instead of one a day
DRAWN = """days => days.map(li => { const b = li.getBoundingClientRect();
    return b.width > 0 && b.height > 0 && getComputedStyle(li).visibility !== 'hidden'; })"""

# the monitor's row on the index, the bar's card on a monitor page
CARD = """li => { const b = li.closest('.mon, .card').getBoundingClientRect();
    return {x: b.x, y: b.y, width: b.width, height: b.height}; }"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_the_hover_text_stays_inside_the_card(browser: Any, page_file: Path, width: int) -> None:
    page = open_page(browser, page_file, width)
    try:
        days = page.locator(".bar").first.locator("li")
        visible = [i for i, shown in enumerate(days.evaluate_all(DRAWN)) if shown]
        assert len(visible) == {375: 30, 1280: 90}[width]
        for index in [*visible[::6], visible[-1]]:
            day = days.nth(index)
            day.hover()
            box = text_box(page, day)
            edge = dict(day.evaluate(CARD))
            assert box["width"] > 20, index  # the text is drawn, not font-size 0
            assert box["left"] >= edge["x"] - 0.5, (index, box, edge)
            assert box["right"] <= edge["x"] + edge["width"] + 0.5, (index, box, edge)
            assert box["bottom"] <= edge["y"] + edge["height"] + 0.5, (index, box, edge)
    finally:
        page.context.close()
