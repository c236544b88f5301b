"""`upwatch build` on fixture repositories: every pinned path, JSON shapes, escaping, links."""

from __future__ import annotations

import gzip
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from markupsafe import Markup
from site_repo import HOSTILE, NOW, UPGRADE, write_repo

from generator.cli import main
from generator.config.read import load_config
from generator.site.markdown import bracket_scans, render_markdown, too_costly
from generator.store.days import Sample, append_samples

ATOM = "{http://www.w3.org/2005/Atom}"


def build(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["build", "--config", str(config), "--now", "2026-11-23T12:00:00Z", *args]
    )
    return result.exit_code, result.output


@pytest.fixture
def site(tmp_path: Path) -> Path:
    code, output = build(write_repo(tmp_path))
    assert code == 0, output
    return tmp_path / "site"


def read_json(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


PINNED = [
    "index.html",
    "history.html",
    "feed.atom",
    ".nojekyll",
    "monitors/api.html",
    "monitors/evil.html",
    "monitors/db.html",
    "incidents/2026-11-22-api-outage.html",
    "incidents/2026-11-23-database-upgrade.html",
    "incidents/2026-11-30-network-work.html",
    "api/v2/summary.json",
    "api/v2/status.json",
    "api/v2/components.json",
    "api/v2/incidents.json",
    "api/v2/scheduled-maintenances.json",
    "api/v2/incidents/unresolved.json",
    "api/v2/scheduled-maintenances/upcoming.json",
    "api/v2/scheduled-maintenances/active.json",
    "api/monitors/api.json",
    "api/monitors/evil.json",
    "api/monitors/db.json",
    "badges/api.svg",
    "badges/api-uptime.svg",
    "badges/db.svg",
    "badges/db-uptime.svg",
    "badges/evil.svg",
    "badges/evil-uptime.svg",
]


def test_every_pinned_path_is_written(site: Path) -> None:
    missing = [name for name in PINNED if not (site / name).is_file()]
    assert missing == []
    assert not (site / "CNAME").exists()


def test_status_json_follows_statuspage(site: Path) -> None:
    summary = read_json(site / "api/v2/summary.json")
    assert list(summary) == ["page", "components", "incidents", "scheduled_maintenances", "status"]
    assert summary["page"] == {
        "id": "acme-status",
        "name": "Acme Status",
        "url": "",
        "time_zone": "Europe/Berlin",
        "updated_at": "2026-11-23T12:00:00.000Z",
    }
    # evil's latest sample is degraded; no open incident
    assert summary["status"] == {"indicator": "minor", "description": "Minor Service Outage"}
    assert summary["incidents"] == []
    assert [m["id"] for m in summary["scheduled_maintenances"]] == ["2026-11-30-network-work"]
    status = read_json(site / "api/v2/status.json")
    assert status == {"page": summary["page"], "status": summary["status"]}


def test_components(site: Path) -> None:
    components = read_json(site / "api/v2/components.json")["components"]
    by_id = {c["id"]: c for c in components}
    assert [c["id"] for c in components] == ["group-core", "api", "db", "evil"]
    assert by_id["group-core"]["group"] is True
    assert by_id["group-core"]["components"] == ["api", "db"]
    api = by_id["api"]
    assert set(api) == {
        "id", "name", "status", "created_at", "updated_at", "position", "description",
        "showcase", "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
        "no_data",  # an extra field; Statuspage clients ignore unknown ones
    }  # fmt: skip
    assert api["no_data"] is False
    assert (api["name"], api["status"], api["group_id"]) == (
        "Public API",
        "operational",
        "group-core",
    )
    assert api["updated_at"] == "2026-11-23T11:30:00.000Z"
    assert api["start_date"] == "2026-11-21"
    assert by_id["evil"]["name"] == HOSTILE
    assert by_id["evil"]["status"] == "degraded_performance"
    assert by_id["db"]["status"] == "operational"


def test_incidents_json(site: Path) -> None:
    incidents = read_json(site / "api/v2/incidents.json")["incidents"]
    assert [i["id"] for i in incidents] == ["2026-11-22-api-outage"]
    outage = incidents[0]
    assert outage["name"] == "API <em>outage</em>"
    assert outage["impact"] == "major"
    assert outage["status"] == "resolved"
    assert outage["shortlink"] == "incidents/2026-11-22-api-outage.html"
    assert outage["started_at"] == "2026-11-22T10:00:00.000Z"
    assert outage["resolved_at"] == "2026-11-22T11:30:00.000Z"
    assert outage["updated_at"] == "2026-11-22T11:30:00.000Z"
    assert [c["id"] for c in outage["components"]] == ["api"]
    update = outage["incident_updates"][0]
    assert set(update) == {
        "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
        "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
    }  # fmt: skip
    assert [u["status"] for u in outage["incident_updates"]] == ["resolved", "investigating"]


def test_scheduled_maintenances_json(site: Path) -> None:
    items = read_json(site / "api/v2/scheduled-maintenances.json")["scheduled_maintenances"]
    by_id = {m["id"]: m for m in items}
    upgrade = by_id["2026-11-23-database-upgrade"]
    assert upgrade["status"] == "completed"
    assert upgrade["scheduled_for"] == "2026-11-23T02:00:00.000Z"
    assert upgrade["scheduled_until"] == "2026-11-23T04:00:00.000Z"
    assert by_id["2026-11-30-network-work"]["status"] == "scheduled"


def test_monitor_json_exact_shape_and_values(site: Path) -> None:
    api = read_json(site / "api/monitors/api.json")
    assert list(api) == ["id", "name", "status", "uptime", "days", "stats"]  # no slo: none set
    assert list(api["uptime"]) == ["24h", "7d", "30d", "90d"]
    assert len(api["days"]) == 90
    assert api["days"][-3:] == [
        {"date": "2026-11-21", "uptime": 100.0, "samples": 24, "avg_ms": 100},  # from 12:00
        {"date": "2026-11-22", "uptime": 95.8333, "samples": 48, "avg_ms": 100},  # 2 down
        {"date": "2026-11-23", "uptime": 91.6667, "samples": 24, "avg_ms": 100},  # until 11:30
    ]
    # days with no samples are "no data", never 100 and never 0
    assert api["days"][0] == {"date": "2026-08-26", "uptime": None, "samples": 0, "avg_ms": None}
    assert api["uptime"]["24h"] == round(46 / 48 * 100, 4)


def test_maintenance_is_excluded_from_uptime(site: Path) -> None:
    db = read_json(site / "api/monitors/db.json")
    assert db["uptime"] == {"24h": 100.0, "7d": 100.0, "30d": 100.0, "90d": 100.0}
    assert db["days"][-1] == {"date": "2026-11-23", "uptime": 100.0, "samples": 20, "avg_ms": 5}


def test_days_without_samples_say_no_data(site: Path) -> None:
    page = (site / "monitors/api.html").read_text(encoding="utf-8")
    # each day takes keyboard focus without a script, and its text says the date and figure
    assert "<li tabindex=0 class=n>Aug 26: No data<li" in page
    assert page.count("<li tabindex=0") == 90  # the bar has one mark per day, all reachable
    assert ">Nov 22: 95.83%, partial outage; API &lt;em&gt;outage&lt;/em&gt;" in page


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in {"href", "src", "action"}]


def page_urls(path: Path) -> list[str]:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.urls


PERSON_WRITTEN_LINK = "https://tracker.example.invalid/p.png"  # in the incident's Markdown


def test_links_are_relative_and_resolve(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 9  # reliability.html too
    for page in pages:
        for url in page_urls(page):
            if url == PERSON_WRITTEN_LINK:
                continue
            assert not re.match(r"^(/|[a-z]+:)", url), f"{page.name}: {url}"
            target = url.split("#")[0].split("?")[0]
            if target:
                assert (page.parent / target).resolve().is_file(), f"{page.name}: {url}"


def test_probe_and_config_text_is_escaped(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<img src=x" not in text
        assert "<script>" not in text
        assert "<b>bold" not in text
    evil = (site / "monitors/evil.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Evil &amp; Co" in evil
    assert "&lt;script&gt;x&lt;/script&gt; &#34;slow&#34;" in evil
    badge = ElementTree.parse(site / "badges/evil.svg").getroot()
    assert (
        badge.find("{http://www.w3.org/2000/svg}title").text == f"{HOSTILE}: degraded performance"
    )  # type: ignore[union-attr]


def test_incident_markdown_escapes_raw_html(site: Path) -> None:
    page = (site / "incidents/2026-11-22-api-outage.html").read_text(encoding="utf-8")
    assert '&lt;script&gt;alert("story")&lt;/script&gt;' in page
    assert "Fixed &lt;b&gt;for good&lt;/b&gt;." in page
    assert "javascript:" not in page
    assert '<a href="https://tracker.example.invalid/p.png">chart</a>' in page
    assert "<img" not in page.replace('<img src="../assets/favicon.svg', "")


def test_allow_html_keeps_raw_html(tmp_path: Path) -> None:
    code, output = build(write_repo(tmp_path, extra="  allow_html: true"))
    assert code == 0, output
    page = (tmp_path / "site/incidents/2026-11-22-api-outage.html").read_text(encoding="utf-8")
    assert "Fixed <b>for good</b>." in page


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("**bold**", "<p><strong>bold</strong></p>"),
        ("a <script>x</script>", "<p>a &lt;script&gt;x&lt;/script&gt;</p>"),
        ("<div>\nblock\n</div>", "<p>&lt;div&gt;\nblock\n&lt;/div&gt;</p>"),
        ("[x](JavaScript:alert(1))", "<p><a>x</a></p>"),
        ("[x](https://ok.example/)", '<p><a href="https://ok.example/">x</a></p>'),
        ("![local](pic.png)", '<p><img alt="local" src="pic.png"></p>'),
    ],
)
def test_render_markdown(text: str, html: str) -> None:
    assert render_markdown(text) == html


def test_feed_is_atom_with_absolute_links_when_url_is_set(tmp_path: Path) -> None:
    config = write_repo(
        tmp_path, extra="  url: https://status.acme.example\n  cname: status.acme.example"
    )
    code, output = build(config)
    assert code == 0, output
    site = tmp_path / "site"
    assert (site / "CNAME").read_text() == "status.acme.example\n"
    feed = ElementTree.parse(site / "feed.atom").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "https://status.acme.example/"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "[Scheduled] Network work",
        "[Completed] Database upgrade",
        "[Resolved] API <em>outage</em>",
    ]
    for entry in entries:
        for tag in ("id", "title", "updated", "content"):
            assert entry.find(f"{ATOM}{tag}") is not None
    link = entries[2].find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == "https://status.acme.example/incidents/2026-11-22-api-outage.html"
    # pages stay relative even when the site has a url
    assert all(not u.startswith("http") for u in page_urls(site / "index.html"))


def test_feed_links_are_relative_without_url(site: Path) -> None:
    feed = ElementTree.parse(site / "feed.atom").getroot()
    assert feed.findtext(f"{ATOM}id") == "urn:upwatch:acme-status"
    hrefs = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert "incidents/2026-11-22-api-outage.html" in hrefs


def test_index_shows_times_in_the_site_zone(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    # absolute at build time (live.js makes it relative), so a page nobody rebuilds stays true
    assert (
        'Last checked <time datetime="2026-11-23T12:00:00Z" data-ago>Nov 23, 13:00 CET</time>'
        in index
    )
    assert "Times in Europe/Berlin" in index
    assert "13:00 CET" in index  # built at 12:00 UTC


def test_broken_incident_fails_the_build_and_writes_nothing(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    code, _ = build(config)
    assert code == 0
    before = (tmp_path / "site/index.html").read_bytes()
    (tmp_path / "incidents/2026-11-23-broken.md").write_text(
        "---\ntitle: Broken\nseverity: huge\n---\nText\n", encoding="utf-8"
    )
    code, output = build(config, "--now", "2026-11-23T12:05:00Z")
    assert code == 1
    assert output == (
        "incidents/2026-11-23-broken.md:1: started: is required, such as started: 2026-06-19T15:57:00Z\n"
        "incidents/2026-11-23-broken.md:3: severity: must be one of minor, major, critical, not 'huge'\n"
    )
    assert (tmp_path / "site/index.html").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "incidents", "site", "status.yml"]


def test_broken_incident_on_first_build_leaves_no_folder(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    (tmp_path / "incidents/2026-11-23-broken.md").write_text(
        "---\ntitle: [\n---\n", encoding="utf-8"
    )
    code, _ = build(config, "--out", str(tmp_path / "public"))
    assert code == 1
    assert not (tmp_path / "public").exists()


def test_index_for_fifty_monitors_stays_small(tmp_path: Path) -> None:
    lines = ["site:", "  title: Big", "monitors:"]
    for n in range(50):
        lines += [
            f"  - id: service-{n}",
            f"    name: Service number {n}",
            f"    group: Group {n % 5}",
        ]
        lines += [f"    url: https://s{n}.example.invalid/health"]
    (tmp_path / "status.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    samples = [
        Sample(NOW - timedelta(days=day, minutes=m), f"service-{n}", "ci", "up", 120 + m, 200)
        for n in range(50)
        for day in range(90)
        for m in range(0, 24 * 60, 240)
    ]
    append_samples(tmp_path / "data", samples)
    code, output = build(tmp_path / "status.yml")
    assert code == 0, output
    page = (tmp_path / "site/index.html").read_bytes()
    # SPEC: <= 150 kB (the index's 4500 bar days get their tab stops from live.js)
    assert len(page) <= 150_000, len(page)
    assert len(gzip.compress(page)) <= 15_000, len(gzip.compress(page))


def test_templates_come_from_the_config_folder(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    builtin = load_config(config).templates_dir
    own = tmp_path / "site_templates"
    own.mkdir()
    for path in builtin.rglob("*"):
        if path.is_file():
            target = own / path.relative_to(builtin)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    (own / "history.html").write_text("custom {{ site.title }}", encoding="utf-8")
    code, output = build(config)
    assert code == 0, output
    assert (tmp_path / "site/history.html").read_text(encoding="utf-8") == "custom Acme Status"


def one_monitor_repo(root: Path) -> Path:
    config = root / "status.yml"
    config.write_text(
        "site:\n  title: Solo\nmonitors:\n  - id: web\n    name: Web\n"
        "    url: https://web.example.invalid/\n",
        encoding="utf-8",
    )
    return config


def test_a_page_without_data_is_not_green(tmp_path: Path) -> None:
    code, output = build(one_monitor_repo(tmp_path))
    assert code == 0, output
    index = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert '<p class="banner-words">No status data yet</p>' in index
    assert "All Systems Operational" not in index
    assert read_json(tmp_path / "site/api/monitors/web.json")["uptime"]["90d"] is None


def test_stale_data_says_how_old_instead_of_operational(tmp_path: Path) -> None:
    config = one_monitor_repo(tmp_path)
    append_samples(tmp_path / "data", [Sample(NOW - timedelta(hours=2), "web", "ci", "up", 90)])
    code, output = build(config)
    assert code == 0, output
    index = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert '<p class="banner-words">Status unknown</p>' in index
    assert "Heads up: status data is 2 h old." in index
    assert ">Nov 23, 10:00 UTC</time>" in index


def test_maintenance_in_progress(tmp_path: Path) -> None:
    config = write_repo(tmp_path)
    (tmp_path / "incidents/2026-11-23-rebuild.md").write_text(
        UPGRADE.replace("02:00", "11:00").replace("04:00", "13:00").replace("upgrade", "rebuild"),
        encoding="utf-8",
    )
    code, output = build(config)
    assert code == 0, output
    site = tmp_path / "site"
    components = {c["id"]: c for c in read_json(site / "api/v2/components.json")["components"]}
    assert components["db"]["status"] == "under_maintenance"
    active = read_json(site / "api/v2/scheduled-maintenances/active.json")
    assert [m["id"] for m in active["scheduled_maintenances"]] == ["2026-11-23-rebuild"]
    upcoming = read_json(site / "api/v2/scheduled-maintenances/upcoming.json")
    assert [m["id"] for m in upcoming["scheduled_maintenances"]] == ["2026-11-30-network-work"]
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<span class="tag">In progress</span>' in index
    assert "Under maintenance</span>" in index


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("line one\n{{ nope }}\n", "site_templates/history.html:2: 'nope' is undefined"),
        (
            "{% if %}\n",
            "site_templates/history.html:1: Expected an expression, got 'end of statement block'",
        ),
    ],
)
def test_a_broken_template_is_reported_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: str, message: str
) -> None:
    config = write_repo(tmp_path)
    own = tmp_path / "site_templates"
    own.mkdir()
    (own / "history.html").write_text(template, encoding="utf-8")  # overrides this one only
    monkeypatch.chdir(tmp_path)
    code, output = build(config)
    assert (code, output) == (1, message + "\n")
    assert not (tmp_path / "site").exists()


# Every code point XML 1.0 forbids, and some it discourages, as YAML escapes.
UNWANTED = [
    "\\0",
    "\\x01",
    "\\b",
    "\\x1b",
    "\\x7f",
    "\\x85",
    "\\x9f",
    "\\ud800",
    "\\ufffe",
    "\\uffff",
]


def test_every_badge_is_well_formed_xml_whatever_the_monitor_name(tmp_path: Path) -> None:
    lines = ["site:", "  title: Badges", "monitors:"]
    for n, code in enumerate(UNWANTED):
        lines += [f"  - id: m{n}", f'    name: "a{code}b & <c>"', f"    url: https://m{n}.invalid/"]
    config = tmp_path / "status.yml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    append_samples(tmp_path / "data", [Sample(NOW, "m0", "ci", "up", 100, 200)])
    code, output = build(config)
    assert code == 0, output
    badges = sorted((tmp_path / "site/badges").glob("*.svg"))
    assert len(badges) == 2 * len(UNWANTED)
    svg = "{http://www.w3.org/2000/svg}"
    for path in badges:
        root = ElementTree.parse(path).getroot()  # raises on a character XML forbids
        title = root.find(f"{svg}title").text or ""  # type: ignore[union-attr]
        if "uptime" not in path.name:
            assert re.fullmatch(r"a(\ufffd|\x85)b & <c>: (operational|no data)", title), title
    for path in (tmp_path / "site/api").rglob("*.json"):
        json.loads(path.read_bytes().decode("utf-8"))  # a lone surrogate would not encode


# --- the Markdown cost guard ------------------------------------------------------------

ORDINARY = [
    "We saw errors on the [API](https://api.example/status) and *retried*.\n\n" * 2500,
    "- item with [a link](https://x.example/) and `code`\n" * 4000,
    "2026-01-01 10:00 [INFO] GET /api -> 200 (12 ms)\n" * 300,
    "One [stray bracket, then a long paragraph. " + "words " * 20_000,
    "# Heading\n\nText.\n\n---\n\n> quoted\n\n    code\n" * 2000,
]
PATHOLOGICAL = [
    "[" * 12_000 + "]" * 12_000,
    "[" * 24_000,
    "![" * 12_000,
    "[a](" * 6_000,
    '[a](b"c) ' * 3_000,
    "a\n=\n" * 20_000,
    "- - -\n" * 15_000,
    "\\\\" * 60_000,
]


@pytest.mark.parametrize("text", ORDINARY, ids=["story", "list", "log", "stray", "blocks"])
def test_ordinary_markdown_is_rendered(text: str) -> None:
    assert not too_costly(text)
    assert not render_markdown(text).startswith("<pre>")


@pytest.mark.parametrize(
    "text",
    PATHOLOGICAL,
    ids=["nested", "open", "images", "links", "titles", "setext", "rules", "escapes"],
)
def test_markdown_that_would_take_superlinear_time_is_shown_as_text(text: str) -> None:
    assert too_costly(text)
    assert render_markdown(text, allow_html=True) == Markup("<pre>{}</pre>").format(text)


def test_the_guard_counts_what_the_link_patterns_scan() -> None:
    assert bracket_scans("[a](b) [c]") == 2 + 2 + 2
    assert bracket_scans("[[[x") == 4 + 3 + 2  # each [ scans to the end of its block
    assert bracket_scans('[a](b"c) and more') == 2 + (17 - 3)  # a title looks to the end
