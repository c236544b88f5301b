"""Per-monitor Atom feeds (feeds/<id>.atom) beside feed.atom, and og:url on every page.

Each feed is parsed as XML and held to what Atom 1.0 requires: a feed id, title, updated and
author; each entry an id, title, updated and a link. Relative links must resolve from the
feed's own folder to files the build wrote.
"""

from __future__ import annotations

import posixpath
import re
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from site_repo import write_repo

from generator.cli import main

ATOM = "{http://www.w3.org/2005/Atom}"
URL = "https://status.acme.example"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def build(tmp_path: Path, extra: str = "") -> Path:
    config = write_repo(tmp_path, extra=extra)
    args = ["build", "--config", str(config), "--now", "2026-11-23T12:00:00Z"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return tmp_path / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("feeds"))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("published"), extra=f"  url: {URL}")


def parse(path: Path) -> ElementTree.Element:
    root = ElementTree.parse(path).getroot()
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{tag}") or "").strip(), (path, tag)
    assert root.findtext(f"{ATOM}author/{ATOM}name")
    assert RFC3339.fullmatch(root.findtext(f"{ATOM}updated") or "")
    for entry in root.iter(f"{ATOM}entry"):
        for tag in ("id", "title", "updated", "published"):
            assert (entry.findtext(f"{ATOM}{tag}") or "").strip(), (path, tag)
        assert RFC3339.fullmatch(entry.findtext(f"{ATOM}updated") or "")
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    return root


def titles(feed: ElementTree.Element) -> list[str]:
    return [e.findtext(f"{ATOM}title") or "" for e in feed.iter(f"{ATOM}entry")]


def links(feed: ElementTree.Element) -> list[str]:
    return [link.get("href") or "" for link in feed.iter(f"{ATOM}link")]


def test_every_monitor_has_a_feed_of_its_own_incidents(site: Path) -> None:
    assert sorted(p.name for p in (site / "feeds").iterdir()) == [
        "api.atom",
        "db.atom",
        "evil.atom",
    ]
    assert titles(parse(site / "feeds/api.atom")) == [
        "[Scheduled] Network work",
        "[Resolved] API <em>outage</em>",
    ]
    assert titles(parse(site / "feeds/db.atom")) == ["[Completed] Database upgrade"]
    assert titles(parse(site / "feeds/evil.atom")) == []
    assert parse(site / "feeds/api.atom").findtext(f"{ATOM}title") == (
        "Acme Status: Public API: incidents and maintenance"
    )


def test_an_entry_is_the_same_in_the_monitors_feed_and_the_sites(site: Path) -> None:
    everything = {
        e.findtext(f"{ATOM}id"): e for e in parse(site / "feed.atom").iter(f"{ATOM}entry")
    }
    for entry in parse(site / "feeds/api.atom").iter(f"{ATOM}entry"):
        same = everything[entry.findtext(f"{ATOM}id")]
        for tag in ("title", "published", "updated", "content"):
            assert entry.findtext(f"{ATOM}{tag}") == same.findtext(f"{ATOM}{tag}"), tag


def test_relative_links_resolve_from_the_feeds_folder(site: Path) -> None:
    feed = parse(site / "feeds/api.atom")
    assert feed.findtext(f"{ATOM}id") == "urn:upwatch:acme-status:monitor:api"
    hrefs = links(feed)
    assert "../incidents/2026-11-22-api-outage.html" in hrefs
    assert "../monitors/api.html" in hrefs
    assert "../feeds/api.atom" in hrefs  # its self link
    for href in hrefs:
        assert not href.startswith(("http:", "https:", "/")), href
        assert (site / posixpath.normpath(posixpath.join("feeds", href))).is_file(), href


def test_links_and_ids_are_absolute_with_a_site_url(published: Path) -> None:
    feed = parse(published / "feeds/api.atom")
    assert feed.findtext(f"{ATOM}id") == f"{URL}/feeds/api.atom"
    assert f"{URL}/feeds/api.atom" in links(feed)
    assert f"{URL}/monitors/api.html" in links(feed)
    assert all(href.startswith(f"{URL}/") for href in links(feed))
    ids = [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")]
    assert ids == [
        f"{URL}/incidents/2026-11-30-network-work.html",
        f"{URL}/incidents/2026-11-22-api-outage.html",
    ]


def test_a_feed_is_as_new_as_its_newest_entry(site: Path) -> None:
    def updated(element: ElementTree.Element) -> datetime:
        return datetime.fromisoformat(
            (element.findtext(f"{ATOM}updated") or "").replace("Z", "+00:00")
        )

    api = parse(site / "feeds/api.atom")
    assert updated(api) == max(updated(e) for e in api.iter(f"{ATOM}entry"))
    # without entries, as new as the site's feed: it depends on incidents only
    assert updated(parse(site / "feeds/evil.atom")) == updated(parse(site / "feed.atom"))


def test_a_monitor_page_links_its_feed(site: Path) -> None:
    page = (site / "monitors/api.html").read_text(encoding="utf-8")
    head = page.split("</head>", 1)[0]
    assert (
        '<link rel="alternate" type="application/atom+xml" '
        'title="Public API: incidents and maintenance" href="../feeds/api.atom">'
    ) in head
    body = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert '<a href="../feeds/api.atom">Follow Public API: Atom feed' in body
    # another monitor's page links its own feed, not this one
    db = (site / "monitors/db.html").read_text(encoding="utf-8").split("</head>", 1)[0]
    assert 'href="../feeds/db.atom"' in db and 'href="../feeds/api.atom"' not in db


def test_the_footer_lists_every_monitors_feed(site: Path) -> None:
    for name, root in (("index.html", ""), ("history.html", ""), ("monitors/db.html", "../")):
        foot = (site / name).read_text(encoding="utf-8").split('<footer class="foot">', 1)[1]
        found = re.findall(r'<a href="([^"]+\.atom)">', foot)
        assert found == [
            f"{root}feed.atom",
            *(f"{root}feeds/{m}.atom" for m in ("api", "evil", "db")),
        ]


def test_every_page_has_its_absolute_og_url_with_a_site_url(published: Path) -> None:
    pages = sorted(published.rglob("*.html"))
    assert len(pages) == 9  # reliability.html too
    for path in pages:
        name = path.relative_to(published).as_posix()
        expected = f"{URL}/" if name == "index.html" else f"{URL}/{name}"
        text = path.read_text(encoding="utf-8")
        assert f'<meta property="og:url" content="{expected}">' in text, name
        assert text.count('property="og:url"') == 1


def test_no_og_url_without_a_site_url(site: Path) -> None:
    assert all("og:url" not in p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
