"""A site built from hostile names, Markdown and sample details, in a half-hour time zone.

One build through the real CLI, then: no markup from the inputs runs, every page passes the
Nu validator, every link and picture resolves to a file of the build (so it works from a
local folder and under any sub-path), and the machine files still parse.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from localserver import LocalServer, Reply
from quality import validate_html

from generator.cli import main

NOW = "2026-11-02T12:00:00Z"
XSS = "\"><img src=x onerror=alert(1)><script>alert(2)</script>'"

CONFIG = f"""\
site:
  title: '{XSS.replace("'", "''")} Status'
  description: '</title><script>alert(3)</script>'
  timezone: America/St_Johns
  url: https://status.acme.example/sub
  cname: status.acme.example
defaults: {{timeout: 1, retries: 0}}
monitors:
  - id: api
    name: '<script>alert(4)</script>'
    group: '"><svg onload=alert(5)>'
    description: 'javascript:alert(6) <iframe src=x>'
    url: http://127.0.0.1:1/
  - id: fresh
    name: "x' onclick='alert(7)"
    group: '</svg><script>alert(8)</script>'
    url: http://127.0.0.1:1/f
"""

INCIDENT = """\
---
title: '<script>alert(9)</script> "><img src=x onerror=alert(10)>'
status: identified
severity: critical
monitors: [api, fresh]
started: 2026-11-01T03:00:00Z
---
Story <script>alert(11)</script> [a](&#106;avascript:alert(12)) ![b](javascript:alert(13))
<div onclick="alert(14)">raw</div> [c](JaVaScRiPt:alert(15)) [d](data:text/html,x)
Invisible \x01 \x0c \x1b[31m \x7f \ufffe characters pasted from a terminal.

## Updates

### 2026-11-01 04:30 UTC — Identified

Timeline <img src=x onerror=alert(16)> [e](java&#x09;script:alert(17)) \x08
"""

DETAIL = '"detail, with ""quotes"" <script>alert(18)</script>\nand a new line \x01\x1b"'


def write_days(data: Path) -> None:
    """Hourly samples around the end of daylight time in St. John's, one day empty, the last down."""
    data.mkdir()
    header = "time,monitor,location,status,ms,code,detail\n"
    for day in ("2026-10-30", "2026-11-01", "2026-11-02"):
        rows = []
        for hour in range(0, 24 if day != "2026-11-02" else 12):
            down = (day, hour) in (("2026-11-01", 3), ("2026-11-01", 4), ("2026-11-02", 11))
            status, detail = ("down", DETAIL) if down else ("up", "")
            rows.append(f"{day}T{hour:02d}:00:00Z,api,default,{status},120,200,{detail}\n")
        (data / f"{day}.csv").write_text(header + "".join(rows))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "status.yml").write_text(CONFIG)
    (root / "incidents").mkdir()
    (root / "incidents" / "2026-11-01-xss.md").write_text(INCIDENT)
    write_days(root / "data")
    result = CliRunner().invoke(
        main,
        ["build", "--config", str(root / "status.yml"), "--now", NOW, "--out", str(root / "out")],
    )
    assert result.exit_code == 0, result.output
    return root / "out"


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: Path) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(page.read_text())
    return parser.tags


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_no_markup_from_the_inputs_runs(site: Path) -> None:
    assert len(pages(site)) == 6  # reliability.html too
    for page in pages(site):
        for tag, attrs in tags(page):
            assert tag not in ("iframe", "svg") or "onload" not in attrs, page
            assert not [name for name in attrs if name.startswith("on")], (page, tag, attrs)
            if tag == "script":
                assert (attrs.get("src") or "").split("?")[0].endswith("assets/live.js"), page
            if tag == "img":
                assert (attrs.get("src") or "").split("?")[0].endswith("assets/favicon.svg"), page
            for name in ("href", "src"):
                scheme = urlsplit(attrs.get(name) or "").scheme
                assert scheme in ("", "https"), (page, tag, attrs)


@pytest.mark.browser  # the Nu validator runs on Java
def test_every_page_is_valid_html(site: Path) -> None:
    assert validate_html(pages(site)) == []


def test_every_link_and_picture_is_relative_and_resolves(site: Path) -> None:
    for page in pages(site):
        for _tag, attrs in tags(page):
            for name in ("href", "src"):
                url = attrs.get(name)
                if url is None or url.startswith("#"):
                    continue
                parts = urlsplit(url)
                assert not parts.scheme and not parts.netloc and not url.startswith("/"), (
                    page,
                    url,
                )
                if parts.path:
                    assert (page.parent / unquote(parts.path)).resolve().is_file(), (page, url)


def test_machine_files_parse_and_keep_the_hostile_text_as_text(site: Path) -> None:
    for path in site.rglob("*"):
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix in (".svg", ".atom"):
            ElementTree.parse(path)
    components = json.loads((site / "api/v2/components.json").read_text())["components"]
    assert [c["name"] for c in components if not c["group"]] == [
        "<script>alert(4)</script>",
        "x' onclick='alert(7)",
    ]
    assert (site / "CNAME").read_text() == "status.acme.example\n"
    feed = (site / "feed.atom").read_text()
    assert "https://status.acme.example/sub/incidents/2026-11-01-xss.html" in feed
    assert "Invisible \ufffd \ufffd \ufffd[31m \ufffd \ufffd characters" in feed


def test_times_name_the_half_hour_zone_across_the_daylight_change(site: Path) -> None:
    text = (site / "incidents" / "2026-11-01-xss.html").read_text()
    assert "00:30 NDT" in text  # 03:00 UTC, still daylight time (UTC-2:30)
    assert "01:00 NST" in text  # 04:30 UTC, standard time again (UTC-3:30)
    assert "Times in America/St_Johns" in text


def test_a_day_without_samples_in_the_bar_says_no_data(site: Path) -> None:
    days = json.loads((site / "api/monitors/api.json").read_text())["days"]
    by_date = {d["date"]: d for d in days}
    assert by_date["2026-10-31"] == {
        "date": "2026-10-31",
        "uptime": None,
        "samples": 0,
        "avg_ms": None,
    }
    assert by_date["2026-11-01"]["uptime"] == pytest.approx(100 * 22 / 24)
    fresh = json.loads((site / "api/monitors/fresh.json").read_text())
    assert set(fresh["uptime"].values()) == {None}


def test_damaged_day_files_show_the_same_figures_after_compaction(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "status.yml").write_text(CONFIG)
    data = root / "data"
    data.mkdir()
    header = "time,monitor,location,status,ms,code,detail\n"
    for day in range(1, 13):
        if day in (4, 5):
            continue  # days without samples in the middle
        rows = [
            f'2026-10-{day:02d}T{hour:02d}:00:00Z,{monitor},default,{status},{ms},200,"a, ""b"""\n'
            for hour in range(0, 24, 3)
            for monitor, status, ms in (
                ("api", "down" if hour == day % 8 else "up", 10 + hour),
                ("gone", "up", 5),
            )
        ]
        rows = rows[::-1] + rows[:2]  # out of order, with duplicates from a union merge
        if day == 6:
            rows.insert(3, "<<<<<<< HEAD\n")
            rows.append(">>>>>>> theirs\n")
        text = header + "".join(rows)
        (data / f"2026-10-{day:02d}.csv").write_text(text[:-7] if day == 9 else text)

    def build() -> dict[str, bytes]:
        out = root / "site"
        result = CliRunner().invoke(
            main, ["build", "--config", str(root / "status.yml"), "--now", NOW]
        )
        assert result.exit_code == 0, result.output
        return {
            str(p.relative_to(out)): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and "assets" not in p.parts
        }

    before = build()
    days = {d["date"]: d for d in json.loads(before["api/monitors/api.json"])["days"]}
    assert (days["2026-10-03"]["uptime"], days["2026-10-04"]["uptime"]) == (87.5, None)
    result = CliRunner().invoke(
        main, ["compact", "--config", str(root / "status.yml"), "--keep-days", "5", "--now", NOW]
    )
    assert result.exit_code == 0, result.output
    # The day with merge markers was not read in full: compact keeps it, and says so.
    assert "2026-10-06.csv: kept as a day file" in result.output
    assert [p.name for p in data.glob("2026-10-*.csv")] == ["2026-10-06.csv"]
    assert build() == before


# --- allow_html: people's Markdown is trusted, nothing else is (item 23) ------------------

EVIL = "<script id=evil>1</script>"
TRUSTED_CONFIG = """\
site:
  title: '{xss} Status'
  description: '</title><script id=evil>3</script>'
  allow_html: {allow}
defaults: {{timeout: 2, retries: 0, failure_threshold: 1}}
monitors:
  - id: script
    name: '<script id=evil>4</script>'
    description: '<img id=evil src=x onerror=alert(5)> javascript:alert(6)'
    url: {url}/script
    expect: {{json: {{status: UP}}}}
  - id: link
    name: "x' onclick='alert(7)"
    url: {url}/link
    expect: {{json: {{status: UP}}}}
  - id: image
    name: Image
    url: {url}/image
    expect: {{json: {{status: UP}}}}
"""
# What a person wrote: raw HTML and a javascript: link pass with allow_html, as documented.
TRUSTED_INCIDENT = """\
---
title: '<script id=evil>9</script> "><img id=evil src=x onerror=alert(10)>'
status: identified
monitors: [script]
started: 2026-11-01T03:00:00Z
---
Story with <b class="human">trusted markup</b> and [a human link](javascript:void(0)).
"""
PROBED = {  # what each endpoint answers: its text goes into a sample's detail
    "/script": EVIL,
    "/link": "[x](javascript:alert('evil'))",
    "/image": "<img id=evil src=x onerror=alert(1)>",
}


@pytest.fixture(scope="module", params=[False, True], ids=["escaped", "allow_html"])
def modes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site probed from hostile endpoints and built with allow_html false, then true."""
    root = tmp_path_factory.mktemp("modes")
    (root / "incidents").mkdir()
    (root / "incidents" / "2026-11-01-person.md").write_text(TRUSTED_INCIDENT)
    with LocalServer() as server:
        for path, value in PROBED.items():
            server.route(path, Reply.json({"status": value}))
        allow = "true" if request.param else "false"
        xss = XSS.replace("'", "''")
        (root / "status.yml").write_text(
            TRUSTED_CONFIG.format(xss=xss, allow=allow, url=server.url("").rstrip("/"))
        )
        config = str(root / "status.yml")
        probed = CliRunner().invoke(main, ["probe", "--config", config, "--now", NOW])
        assert probed.exit_code == 0, probed.output
    assert len(list((root / "incidents").glob("*-is-down.md"))) == 3
    built = CliRunner().invoke(main, ["build", "--config", config, "--now", NOW])
    assert built.exit_code == 0, built.output
    return root / "site"


def unsafe(markup: list[tuple[str, dict[str, str | None]]]) -> list[object]:
    """Elements and attributes that would run or load something, but the site's own."""
    found: list[object] = []
    for tag, attrs in markup:
        found += [(tag, name) for name in attrs if name.startswith("on")]
        if attrs.get("id") == "evil" or tag in ("iframe", "object", "embed"):
            found.append((tag, attrs))
        if tag == "script" and not (attrs.get("src") or "").split("?")[0].endswith("live.js"):
            found.append((tag, attrs))
        if tag == "img" and not (attrs.get("src") or "").split("?")[0].endswith("favicon.svg"):
            found.append((tag, attrs))
        for name in ("href", "src"):
            if urlsplit(attrs.get(name) or "").scheme not in ("", "https"):
                found.append((tag, attrs))
    return found


def html_tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(text)
    return parser.tags


TRUSTED = [("b", {"class": "human"}), ("a", {"href": "javascript:void(0)"})]


def test_only_a_persons_markdown_passes_and_only_with_allow_html(modes: Path) -> None:
    allowed = "allow_html: true" in (modes.parent / "status.yml").read_text()
    for page in pages(modes):
        found = unsafe(tags(page))
        # With allow_html the person's javascript: link is all that passes, wherever the
        # story shows (its page, the index, the monitor's page).
        assert found == ([TRUSTED[1]] * len(found) if allowed else []), (page, found)
    person = tags(modes / "incidents" / "2026-11-01-person.html")
    assert all(element in person for element in TRUSTED) == allowed
    # The probed texts stand on the incident pages as text, in both modes.
    probed = "".join(p.read_text() for p in (modes / "incidents").glob("*-is-down.html"))
    assert "&lt;script id=evil&gt;1&lt;/script&gt;" in probed
    assert "[x](javascript:alert('evil'))" in probed  # as text, not a link
    assert "&lt;img id=evil src=x onerror=alert(1)&gt;" in probed


def test_the_feed_passes_only_a_persons_markdown_too(modes: Path) -> None:
    allowed = "allow_html: true" in (modes.parent / "status.yml").read_text()
    atom = "{http://www.w3.org/2005/Atom}"
    for entry in ElementTree.parse(modes / "feed.atom").getroot().iter(f"{atom}entry"):
        title = entry.findtext(f"{atom}title") or ""
        markup = html_tags(entry.findtext(f"{atom}content") or "")
        found = unsafe(markup)
        if allowed and "onerror=alert(10)" in title:  # the person's incident, title as text
            assert found == [TRUSTED[1]], found
        else:
            assert found == [], (title, found)


@pytest.mark.parametrize("allow", ["false", "true"])
def test_a_hostile_file_name_is_a_located_error_in_both_modes(tmp_path: Path, allow: str) -> None:
    (tmp_path / "status.yml").write_text(f"site: {{title: T, allow_html: {allow}}}\nmonitors: []\n")
    (tmp_path / "incidents").mkdir()
    name = '2026-11-01-"><script>alert(1)<\\script>.md'
    (tmp_path / "incidents" / name).write_text(TRUSTED_INCIDENT.replace("[script]", "[]"))
    result = CliRunner().invoke(
        main, ["build", "--config", str(tmp_path / "status.yml"), "--now", NOW]
    )
    assert result.exit_code == 1
    assert "file name must be YYYY-MM-DD-slug.md" in result.output
    assert not (tmp_path / "site").exists()


@pytest.mark.browser  # the Nu validator runs on Java
def test_pages_are_valid_html_in_both_modes(modes: Path) -> None:
    assert validate_html(pages(modes)) == []
