"""Hostile input through the real CLI: secrets that come back changed, script-like links,
odd incident files, broken config values and damaged day files.

Every test writes a fixture repository in tmp_path and runs `upwatch` on it; servers are
on 127.0.0.1 only, and the one host name looked up ends in `.invalid` (fails without traffic).
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from localserver import Certificates, LocalServer, Reply

from generator.cli import main
from generator.config.read import Masker
from generator.site.markdown import render_markdown
from generator.status import format_uptime
from generator.store.days import read_day

HEADER = "time,monitor,location,status,ms,code,detail\n"


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run upwatch in-process; exit code and everything it printed (stdout and stderr)."""
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def repo(root: Path, monitors: str, site: str = "site: {title: Hostile}\n") -> Path:
    """A fixture repository with the given monitors block; returns its status.yml."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "incidents").mkdir(exist_ok=True)
    config = root / "status.yml"
    config.write_text(
        site + "defaults: {timeout: 1, retries: 0, failure_threshold: 1}\n" + monitors
    )
    return config


def every_text(root: Path) -> str:
    """All text below root (data, incidents, site, git objects excluded), joined."""
    return "\n".join(
        p.read_text(errors="replace")
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    )


# --- secrets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "text", "masked"),
    [
        (
            "MyHiddenHost",
            "DNS lookup failed for myhiddenhost.invalid",
            "DNS lookup failed for ***.invalid",
        ),
        ("Sec ret/Val", "GET http://h/?k=Sec%20ret%2FVal", "GET http://h/?k=***"),
        ("Sec ret/Val", "GET http://h/Sec%20ret/Val", "GET http://h/***"),
        ("Sec ret/Val", "form k=Sec+ret%2Fval", "form k=***"),
        ('quo"te\\back', "got 'quo\"te\\\\back'", "got '***'"),
        (
            "bücher",
            "DNS lookup failed for xn--bcher-kva.invalid",
            "DNS lookup failed for ***.invalid",
        ),
    ],
)
def test_masker_masks_a_secret_in_the_forms_it_comes_back_in(
    secret: str, text: str, masked: str
) -> None:
    assert Masker([secret])(text) == masked


def test_masker_masks_the_longest_secret_whole_and_leaves_other_text() -> None:
    mask = Masker(["abc", "abcdef"])
    assert mask("x abcdef y ABC z") == "x *** y *** z"
    assert Masker()("nothing to hide") == "nothing to hide"


def test_a_secret_host_name_never_reaches_files_or_output(tmp_path: Path) -> None:
    config = repo(tmp_path, "monitors:\n  - id: dns\n    url: http://${HOST_SECRET}.invalid/\n")
    env = {"HOST_SECRET": "MyHiddenHost"}
    code, output = cli(
        "-v", "probe", "--config", str(config), "--now", "2026-11-23T10:00:00Z", env=env
    )
    assert code == 0, output
    built, build_output = cli("build", "--config", str(config), "--now", "2026-11-23T10:01:00Z")
    assert built == 0, build_output
    assert "DNS lookup failed for ***.invalid" in output
    everything = (output + every_text(tmp_path)).lower()
    assert "myhiddenhost" not in everything
    assert "DNS lookup failed for ***.invalid" in (tmp_path / "data" / "2026-11-23.csv").read_text()


def test_a_tls_error_naming_a_secret_host_shows_it_masked(tmp_path: Path) -> None:
    certs = Certificates()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certs.ca.issue_cert("127.0.0.1").configure_cert(context)  # not valid for "localhost"
    with LocalServer(tls=context) as server:
        port = urlsplit(server.url("/")).port
        config = repo(tmp_path, f"monitors:\n  - id: tls\n    url: https://${{HOST}}:{port}/\n")
        env = {"HOST": "LocalHost", "SSL_CERT_FILE": str(certs.ca_file)}
        now = "2026-11-23T10:00:00Z"
        code, output = cli("-v", "probe", "--config", str(config), "--now", now, env=env)
    assert code == 0, output
    reason = (
        "TLS: certificate verify failed: Hostname mismatch, certificate is not valid for '***'."
    )
    assert f"tls  down    {reason}" in output
    assert "localhost" not in (output + every_text(tmp_path)).lower()


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_secrets_echoed_by_a_server_stay_out_of_samples_commits_and_site(tmp_path: Path) -> None:
    secret = "Tok en/42"
    with LocalServer() as server:
        server.route("/echo", Reply.json({"status": f"Bearer {secret}"}))
        server.route("/gone", Reply.redirect(f"http://127.0.0.1:1/x?t={secret}"))
        config = repo(
            tmp_path,
            "monitors:\n"
            f"  - id: echo\n    url: {server.url('/echo')}?k=${{TOKEN}}\n"
            '    headers: {Authorization: "Bearer ${TOKEN}"}\n'
            "    expect: {json: {status: UP}}\n"
            f"  - id: gone\n    url: {server.url('/gone')}\n"
            '    headers: {X-Key: "${TOKEN}"}\n'
            f"  - id: form\n    url: {server.url('/echo')}\n    method: POST\n"
            '    body: "token=${TOKEN}"\n    expect: {contains: nope}\n',
        )
        git(tmp_path, "init", "-q")
        git(tmp_path, "commit", "-q", "--allow-empty", "-m", "start")
        for minute in ("00", "05"):
            now = f"2026-11-23T10:{minute}:00Z"
            code, output = cli(
                "-v",
                "probe",
                "--commit",
                "--config",
                str(config),
                "--now",
                now,
                env={"TOKEN": secret},
            )
            assert code == 0, output
            assert secret not in output
        sent = [(r.target, r.headers.get("authorization", ""), r.body) for r in server.requests]
        assert ("/echo?k=Tok%20en/42", f"Bearer {secret}", b"") in sent
        assert ("/echo", "", f"token={secret}".encode()) in sent
    assert cli("build", "--config", str(config), "--now", "2026-11-23T10:06:00Z")[0] == 0
    history = git(tmp_path, "log", "-p", "--format=%B")
    assert "got 'Bearer ***'" in history
    for text in (history, every_text(tmp_path)):
        for form in (secret, "Tok%20en", "Tok+en", "en/42"):
            assert form.lower() not in text.lower()


# --- script-like links in incident Markdown ---------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript:alert(1))",
        "[x](java&#x09;script:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](vbscript:alert(1))",
        "[x](data:text/html,hi)",
        "![x](javascript:alert(1))",
        "![x](&#106;avascript:alert(1))",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_script_like_link_targets_lose_their_href(markdown: str) -> None:
    html = str(render_markdown(markdown))
    assert "href" not in html and "src" not in html, html


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("![x](//evil.example/p.png)", '<p><a href="//evil.example/p.png">x</a></p>'),
        ("![x](/\\evil.example/p.png)", '<p><a href="/\\evil.example/p.png">x</a></p>'),
        ("![x](img/p.png)", '<p><img alt="x" src="img/p.png"></p>'),
        ("[ok](https://example.com/a)", '<p><a href="https://example.com/a">ok</a></p>'),
        ("[ok](../history.html)", '<p><a href="../history.html">ok</a></p>'),
    ],
)
def test_pictures_from_other_hosts_become_links_and_safe_links_stay(
    markdown: str, html: str
) -> None:
    assert str(render_markdown(markdown)) == html


# --- odd incident files ------------------------------------------------------------------


def front(title: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\nstarted: 2026-11-01T10:00:00Z\n{extra}---\nbody\n"


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(tmp_path: Path) -> None:
    config = repo(tmp_path, "monitors: []\n")
    incidents = tmp_path / "incidents"
    (incidents / "2026-11-01-bom.md").write_bytes(b"\xef\xbb\xbf" + front("BOM").encode())
    crlf = front("CRLF") + "\n## Updates\n\n### 2026-11-01 10:05 UTC \u2014 Identified\n\ntext\n"
    (incidents / "2026-11-02-crlf.md").write_bytes(crlf.replace("\n", "\r\n").encode())
    code, output = cli("check", "--config", str(config))
    assert (code, output) == (0, f"{config}: 0 monitors and 2 incident files are valid\n")


def test_check_lists_every_problem_of_every_hostile_incident_file(tmp_path: Path) -> None:
    config = repo(tmp_path, "monitors:\n  - id: api\n    url: http://127.0.0.1:1/\n")
    files = {
        "2026-11-01-empty.md": b"",
        "2026-11-05-tabs.md": b"---\ntitle:\tTabs\n---\n",
        "2026-11-06-unknown.md": front("U", "foo: bar\nseverty: minor\n").encode(),
        "2026-11-09-dup.md": (
            front("D") + "\n## Updates\n\n### 2026-11-01 10:05 UTC - Identified\n\nx\n"
            "\n## Updates\n\n### 2026-11-01 10:06 UTC - Monitoring\n\ny\n"
        ).encode(),
        "2026-11-10-gone.md": front("G", "monitors: [gone]\n").encode(),
        "2026-11-11-naive.md": b"---\ntitle: N\nstarted: 2026-11-01 10:00:00\n---\n",
        "2026-11-13-unclosed.md": b"---\ntitle: x\nno end\n",
        "2026-11-18-latin1.md": front("L").encode() + b"line five \xff\n",
        "2026-11-20-dupkey.md": front("A", "title: B\n").encode(),
        "2026-11-22-entry.md": (
            front("E") + "\n## Updates\n\n### 2026-11-01 10:05 UTC \u2014 Exploded\n\nx\n"
        ).encode(),
        "notes.md": b"---\ntitle: x\n---\n",
    }
    for name, data in files.items():
        (tmp_path / "incidents" / name).write_bytes(data)
    code, output = cli("check", "--config", str(config))
    want = """\
incidents/2026-11-10-gone.md:4: warning: monitors: 'gone' is not in status.yml (retired?); shown by its id without a link
incidents/2026-11-01-empty.md:1: missing front matter: the file must start with '---', then lines such as 'title: API outage', then '---'
incidents/2026-11-05-tabs.md:2: column 7: YAML syntax error: found character '\\t' that cannot start any token (use spaces, not tabs)
incidents/2026-11-06-unknown.md:4: foo: unknown key
incidents/2026-11-06-unknown.md:5: severty: unknown key (did you mean 'severity'?)
incidents/2026-11-09-dup.md:13: timeline: a second Updates section (use one)
incidents/2026-11-11-naive.md:3: started: 2026-11-01 10:00:00 has no time zone (add Z or an offset)
incidents/2026-11-13-unclosed.md:1: front matter is not closed: add a '---' line after it
incidents/2026-11-18-latin1.md:6: not UTF-8 text (save the file as UTF-8)
incidents/2026-11-20-dupkey.md:4: title: duplicate key
incidents/2026-11-22-entry.md:9: timeline: unknown state 'Exploded': use Investigating, Identified, Monitoring, Resolved
incidents/notes.md: file name must be YYYY-MM-DD-slug.md, e.g. 2026-06-19-api-outage.md
incidents/notes.md:1: started: is required, such as started: 2026-06-19T15:57:00Z
"""
    assert code == 1
    assert output.replace(str(tmp_path) + "/", "") == want


# --- config values ------------------------------------------------------------------------


def test_infinite_timeouts_and_fractional_counts_are_config_errors(tmp_path: Path) -> None:
    config = repo(
        tmp_path,
        "monitors:\n  - id: a\n    url: http://127.0.0.1:1/\n"
        "    timeout: .inf\n    degraded_ms: 1.5\n    retries: .nan\n",
    )
    code, output = cli("check", "--config", str(config))
    assert code == 1
    assert output.replace(str(tmp_path) + "/", "").splitlines() == [
        "status.yml:6: monitors[0] (a).timeout: must be a finite number of seconds, not inf",
        "status.yml:7: monitors[0] (a).degraded_ms: must be a whole number, not 1.5",
        "status.yml:8: monitors[0] (a).retries: must be a whole number, not nan",
    ]


def test_a_config_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    config.write_bytes(b"site: {title: T}\nmonitors: []\n# caf\xe9\n")
    assert cli("check", "--config", str(config)) == (
        1,
        f"{config}:3: not UTF-8 text (save the file as UTF-8)\n",
    )


# --- damaged day files -------------------------------------------------------------------


def test_conflict_markers_duplicates_and_a_torn_line_still_build(tmp_path: Path) -> None:
    config = repo(
        tmp_path,
        "monitors:\n  - id: api\n    url: http://127.0.0.1:1/\n"
        "  - id: fresh\n    name: Fresh\n    url: http://127.0.0.1:1/f\n",
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "2026-11-20.csv").write_text(HEADER)
    (data / "2026-11-21.csv").write_text(
        HEADER + "2026-11-21T10:05:00Z,api,default,up,100,200,\n"
        "2026-11-21T10:00:00Z,api,default,down,,503,HTTP 503\n"
        "2026-11-21T10:05:00Z,api,default,up,100,200,\n"
        "2026-11-21T10:00:00Z,removed,default,up,5,200,\n"
    )
    (data / "2026-11-22.csv").write_text(
        HEADER + "<<<<<<< HEAD\n2026-11-22T10:00:00Z,api,default,up,100,200,\n=======\n"
        "2026-11-22T10:00:00Z,api,default,down,,,timeout after 10 s\n>>>>>>> theirs\n"
        "2026-11-22T10:05:00Z,api,default,up,10"
    )
    code, output = cli("build", "--config", str(config), "--now", "2026-11-22T12:00:00Z")
    assert code == 0, output
    assert "data/2026-11-22.csv:2: expected 7 fields, found 1 (line skipped)" in output
    api = json.loads((tmp_path / "site" / "api" / "monitors" / "api.json").read_text())
    assert api["uptime"] == {"24h": 50.0, "7d": 50.0, "30d": 50.0, "90d": 50.0}
    assert [d["samples"] for d in api["days"][-3:]] == [0, 2, 2]
    fresh = json.loads((tmp_path / "site" / "api" / "monitors" / "fresh.json").read_text())
    assert set(fresh["uptime"].values()) == {None}
    assert not (tmp_path / "site" / "monitors" / "removed.html").exists()


def test_a_shortened_body_value_never_shows_part_of_a_secret(tmp_path: Path) -> None:
    secret = "SuperSecretToken123"
    with LocalServer() as server:
        server.route("/echo", Reply.json({"status": "Bearer " + "a" * 40 + secret}))
        config = repo(
            tmp_path,
            f"monitors:\n  - id: echo\n    url: {server.url('/echo')}\n"
            '    headers: {Authorization: "Bearer ${TOKEN}"}\n'
            "    expect: {json: {status: UP}}\n",
        )
        now = "2026-11-23T10:00:00Z"
        code, output = cli("probe", "--config", str(config), "--now", now, env={"TOKEN": secret})
    assert code == 0, output
    for text in (output, every_text(tmp_path)):
        assert "json status: expected 'UP'" in text
        assert "SuperSec" not in text


@pytest.mark.parametrize("cname", ["https://status.acme.com/", "'a b'", "localhost"])
def test_cname_must_be_a_bare_domain(tmp_path: Path, cname: str) -> None:
    config = repo(tmp_path, "monitors: []\n", site=f"site:\n  title: T\n  cname: {cname}\n")
    code, output = cli("check", "--config", str(config))
    shown = cname.strip("'")
    assert (code, output) == (
        1,
        f"{config}:3: site.cname: must be a bare domain name such as status.acme.com, not {shown!r}\n",
    )


# --- the output folder ----------------------------------------------------------------------


@pytest.mark.parametrize("out", [".", "..", "data", "incidents", "data/deeper"])
def test_build_never_replaces_the_repository_or_its_folders(tmp_path: Path, out: str) -> None:
    root = tmp_path / "repo"
    config = repo(root, "monitors: []\n")
    (root / "data").mkdir()
    (root / "data" / "2026-11-23.csv").write_text(HEADER)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    target = (root / out).resolve()
    code, output = cli("build", "--config", str(config), "--out", str(target))
    assert (code, output) == (
        1,
        f"{target}: cannot build here: the site replaces this whole folder, and it holds"
        " the repository's own files (use site/)\n",
    )
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_build_replaces_an_earlier_build_but_not_a_folder_of_other_files(tmp_path: Path) -> None:
    config = repo(tmp_path / "repo", "monitors: []\n")
    other = tmp_path / "docs"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    code, output = cli("build", "--config", str(config), "--out", str(other))
    assert (code, output) == (
        1,
        f"{other}: cannot build here: the site replaces this whole folder, and it holds"
        " other files (use a new or empty one)\n",
    )
    assert (other / "notes.txt").read_text() == "mine"
    site = tmp_path / "repo" / "site"
    for _ in range(2):
        assert cli("build", "--config", str(config), "--out", str(site))[0] == 0
    assert (site / "index.html").is_file()


def test_impossible_values_and_names_in_data_are_skipped_with_their_line(tmp_path: Path) -> None:
    config = repo(tmp_path, "monitors:\n  - id: api\n    url: http://127.0.0.1:1/\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "2026-13-45.csv").write_text(HEADER)
    (data / "2026-11-18.csv").mkdir()
    (data / "2026-11-20.csv").write_text(
        HEADER + "2026-11-20T10:00:00Z,api,default,up,-5,200,\n"
        "2026-11-20T10:01:00Z,api,default,up,99999999999,200,\n"
        "2026-11-20T10:02:00Z,api,default,up,abc,200,\n"
        "2026-11-20T10:03:00Z,api,default,up,5,2000,\n"
        "2026-11-20T10:04:00Z,api,default,up,7,200,\n"
    )
    code, output = cli("build", "--config", str(config), "--now", "2026-11-21T00:00:00Z")
    assert code == 0, output
    shown = output.replace(str(tmp_path) + "/", "")
    for line in (
        "data/2026-13-45.csv: no such day; file ignored",
        "data/2026-11-20.csv:2: ms must be a whole number from 0 to 86400000, not '-5' (line skipped)",
        "data/2026-11-20.csv:3: ms must be a whole number from 0 to 86400000, not '99999999999'"
        " (line skipped)",
        "data/2026-11-20.csv:4: ms must be a whole number from 0 to 86400000, not 'abc' (line skipped)",
        "data/2026-11-20.csv:5: code must be an HTTP status from 100 to 999, not '2000' (line skipped)",
    ):
        assert line in shown.splitlines()
    api = json.loads((tmp_path / "site" / "api" / "monitors" / "api.json").read_text())
    assert api["days"][-2] == {"date": "2026-11-20", "uptime": 100.0, "samples": 1, "avg_ms": 7}


def test_a_rollup_with_merge_conflict_markers_is_read_around_them(tmp_path: Path) -> None:
    config = repo(tmp_path, "monitors:\n  - id: api\n    url: http://127.0.0.1:1/\n")
    data = tmp_path / "data"
    data.mkdir()
    for day in ("01", "02", "03"):
        (data / f"2026-10-{day}.csv").write_text(
            HEADER + f"2026-10-{day}T10:00:00Z,api,default,up,10,200,\n"
            f"2026-10-{day}T10:05:00Z,api,default,down,,,timeout after 1 s\n"
        )
    now = ("--now", "2026-10-20T00:00:00Z")
    assert cli("compact", "--config", str(config), "--keep-days", "5", *now)[0] == 0
    month = data / "rollup" / "2026-10.csv"
    header, first, second, third = month.read_text().splitlines()
    month.write_text(
        f"{header}\n{first}\n<<<<<<< HEAD\n{second}\n=======\n{third}\n>>>>>>> theirs\n{third[:9]}"
    )
    code, output = cli("build", "--config", str(config), *now)
    assert code == 0, output
    shown = output.replace(str(tmp_path) + "/", "").splitlines()
    assert [line for line in shown if "damaged" in line] == [
        f"data/rollup/2026-10.csv:{n}: damaged rollup row (line skipped)" for n in (3, 5, 7, 8)
    ]
    days = json.loads((tmp_path / "site" / "api" / "monitors" / "api.json").read_text())["days"]
    assert [d["uptime"] for d in days if d["date"] < "2026-10-04"][-3:] == [50.0, 50.0, 50.0]


def test_body_text_in_an_auto_incident_stays_text_even_with_allow_html(tmp_path: Path) -> None:
    hostile = "<img src=x onerror=alert(1)> [a](javascript:alert(2))"
    with LocalServer() as server:
        server.route("/echo", Reply.json({"status": hostile}))
        config = repo(
            tmp_path,
            f"monitors:\n  - id: echo\n    url: {server.url('/echo')}\n"
            "    expect: {json: {status: UP}}\n",
            site="site: {title: T, allow_html: true}\n",
        )
        assert cli("probe", "--config", str(config), "--now", "2026-11-23T10:00:00Z")[0] == 0
    assert cli("build", "--config", str(config), "--now", "2026-11-23T10:01:00Z")[0] == 0
    (incident,) = (tmp_path / "incidents").glob("*.md")
    assert (
        "got '&lt;img src=x onerror=alert(1)> \\[a\\](javascript:alert(2))'" in incident.read_text()
    )
    page = (tmp_path / "site" / "incidents" / f"{incident.stem}.html").read_text()
    assert "got '&lt;img src=x onerror=alert(1)&gt; [a](javascript:alert(2))'" in page
    assert "<img src=x" not in page and 'href="javascript' not in page


# --- another working directory -------------------------------------------------------------


def test_every_command_works_from_another_folder_with_a_relative_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo(tmp_path / "status", "monitors:\n  - id: api\n    url: http://127.0.0.1:1/\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = "../status/status.yml"
    for minute in ("00", "05"):
        assert cli("probe", "--config", config, "--now", f"2026-11-23T10:{minute}:00Z")[0] == 0
    assert (
        cli("incident", "new", "Planned work", "--config", config, "--now", "2026-11-23T10:06:00Z")[
            0
        ]
        == 0
    )
    assert cli("check", "--config", config) == (
        0,
        f"{config}: 1 monitor and 2 incident files are valid\n",
    )
    assert cli("build", "--config", config, "--now", "2026-11-23T10:07:00Z")[0] == 0
    assert cli("compact", "--config", config, "--now", "2026-12-23T10:00:00Z")[0] == 0
    assert list(elsewhere.iterdir()) == []
    root = tmp_path / "status"
    assert (root / "site" / "index.html").is_file()
    assert sorted(p.name for p in (root / "incidents").iterdir()) == [
        "2026-11-23-api-is-down.md",
        "2026-11-23-planned-work.md",
    ]
    assert [p.name for p in (root / "data").iterdir()] == ["rollup"]


def test_times_outside_sensible_years_are_errors_not_overflows(tmp_path: Path) -> None:
    config = repo(
        tmp_path, "monitors: []\n", site="site: {title: T, timezone: Pacific/Kiritimati}\n"
    )
    (tmp_path / "incidents" / "2026-11-01-far.md").write_text(
        "---\ntitle: t\nstarted: 0001-01-01T00:00:00Z\n---\n\n## Updates\n\n"
        "### 9999-12-31 23:59 UTC \u2014 Identified\n\ntext\n"
    )
    code, output = cli("build", "--config", str(config), "--now", "2026-11-02T00:00:00Z")
    assert code == 1
    assert output.replace(str(tmp_path) + "/", "").splitlines() == [
        "incidents/2026-11-01-far.md:3: started: time '0001-01-01T00:00:00+00:00' is not between 1970 and 2999",
        "incidents/2026-11-01-far.md:8: timeline: time '9999-12-31 23:59 UTC' is not between 1970 and 2999",
    ]
    code, output = cli("build", "--config", str(config), "--now", "9999-12-31T23:00:00Z")
    assert code == 2
    assert "time '9999-12-31T23:00:00Z' is not between 1970 and 2999" in output


def test_yaml_that_nests_or_expands_without_end_is_a_clean_error(tmp_path: Path) -> None:
    config = tmp_path / "status.yml"
    config.write_text("site: {title: T}\nmonitors: []\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    assert cli("check", "--config", str(config)) == (1, f"{config}: values are nested too deeply\n")
    config = repo(tmp_path, "monitors: []\n")
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (tmp_path / "incidents" / "2026-11-01-laughs.md").write_text(
        "---\ntitle: t\nstarted: 2026-11-01T10:00:00Z\n" + "\n".join(laughs) + "\n---\n"
    )
    code, output = cli("check", "--config", str(config))
    assert (code, output.replace(str(tmp_path) + "/", "")) == (
        1,
        "incidents/2026-11-01-laughs.md: more than 1,000,000 values (do YAML aliases repeat a list?)\n",
    )


@pytest.mark.parametrize(
    ("up", "total", "shown"),
    [(23, 125, "18.40%"), (29, 50, "58.00%"), (28799, 28800, "99.99%"), (1, 100000, "0.00%")],
)
def test_uptime_is_floored_without_float_error(up: int, total: int, shown: str) -> None:
    assert format_uptime(up * 100 / total) == shown


def test_floored_uptime_matches_exact_arithmetic_for_every_small_fraction() -> None:
    for total in range(1, 400):
        for up in range(total):
            whole, cents = divmod(up * 10000 // total, 100)
            assert format_uptime(up * 100 / total) == f"{whole}.{cents:02d}%"


def test_a_day_file_added_on_both_sides_of_a_conflict_keeps_both_sides(tmp_path: Path) -> None:
    config = repo(tmp_path, "monitors:\n  - id: api\n    url: http://127.0.0.1:1/\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "2026-11-20.csv").write_text(
        f"<<<<<<< HEAD\n{HEADER}2026-11-20T10:00:00Z,api,default,up,5,200,\n"
        f"=======\n{HEADER}2026-11-20T10:05:00Z,api,default,down,,,boom\n>>>>>>> theirs\n"
    )
    code, output = cli("build", "--config", str(config), "--now", "2026-11-20T11:00:00Z")
    assert code == 0, output
    assert sorted(output.replace(str(tmp_path) + "/", "").splitlines()[:3]) == [
        "data/2026-11-20.csv:1: merge conflict marker (line skipped)",
        "data/2026-11-20.csv:4: expected 7 fields, found 1 (line skipped)",
        "data/2026-11-20.csv:7: expected 7 fields, found 1 (line skipped)",
    ]
    api = json.loads((tmp_path / "site" / "api" / "monitors" / "api.json").read_text())
    assert (api["status"], api["days"][-1]["samples"]) == ("major_outage", 2)
    assert [s.status for s in read_day(data / "2026-11-20.csv", [])] == ["up", "down"]


@pytest.mark.parametrize("name", ["data", "incidents"])
def test_a_file_where_a_folder_belongs_is_a_clean_error(tmp_path: Path, name: str) -> None:
    config = repo(tmp_path, "monitors:\n  - id: api\n    url: http://127.0.0.1:1/\n")
    (tmp_path / "incidents").rmdir()
    (tmp_path / name).write_text("not a folder")
    code, output = cli("probe", "--config", str(config), "--now", "2026-11-23T10:00:00Z")
    assert code == 1
    assert (
        output.replace(str(tmp_path) + "/", "").splitlines()[-1]
        == f"{name}: is a file; it must be a folder"
    )


def test_a_person_resolving_mid_outage_gets_no_second_incident(tmp_path: Path) -> None:
    with LocalServer() as server:
        config = repo(tmp_path, f"monitors:\n  - id: api\n    url: {server.url('/api')}\n")

        def probe(minute: int, reply: Reply) -> str:
            server.route("/api", reply)
            now = f"2026-11-23T10:{minute:02d}:00Z"
            code, output = cli("probe", "--config", str(config), "--now", now)
            assert code == 0, output
            return output

        probe(0, Reply(503))
        (path,) = (tmp_path / "incidents").glob("*.md")
        # The natural first edit leaves the file broken: `resolved:` is still missing.
        path.write_text(path.read_text().replace("status: investigating", "status: resolved"))
        assert "skipped until it is fixed" in probe(5, Reply(503))
        assert list((tmp_path / "incidents").iterdir()) == [path]
        text = path.read_text().replace("auto: true", "resolved: 2026-11-23T10:06:00Z\nauto: true")
        path.write_text(text)
        for minute in (10, 15):
            probe(minute, Reply(503))
        assert list((tmp_path / "incidents").iterdir()) == [path]
        assert path.read_text() == text  # the person's resolution stands
        for minute in (20, 25, 30):
            probe(minute, Reply(200))
        assert "opened 1 incident" in probe(35, Reply(503))
    assert len(list((tmp_path / "incidents").iterdir())) == 2


def test_a_redirect_status_without_location_is_a_verdict_not_a_crash(tmp_path: Path) -> None:
    with LocalServer() as server:
        server.route("/moved", Reply(302, ""))
        server.route("/ok", Reply(200, "ok"))
        config = repo(
            tmp_path,
            f"monitors:\n  - id: moved\n    url: {server.url('/moved')}\n"
            f"  - id: ok\n    url: {server.url('/ok')}\n",
        )
        code, output = cli("probe", "--config", str(config), "--now", "2026-11-23T10:00:00Z")
    assert code == 0, output
    rows = (tmp_path / "data" / "2026-11-23.csv").read_text().splitlines()[1:]
    assert [row.split(",")[1:4] + row.split(",")[5:] for row in rows] == [
        ["moved", "default", "down", "302", "redirect", "HTTP 302"],
        ["ok", "default", "up", "200", "", ""],
    ]


def test_a_blank_title_monitor_name_or_group_is_a_config_error(tmp_path: Path) -> None:
    config = repo(
        tmp_path,
        "monitors:\n  - {id: api, name: ' ', group: '', url: 'http://127.0.0.1:1/'}\n",
        site="site: {title: ''}\n",
    )
    code, output = cli("check", "--config", str(config))
    assert (code, output.splitlines()) == (
        1,
        [
            f"{config}:1: site.title: must not be empty",
            f"{config}:4: monitors[0] (api).name: must not be empty",
            f"{config}:4: monitors[0] (api).group: must not be empty",
        ],
    )


def test_markdown_nested_past_the_recursion_limit_is_shown_as_text() -> None:
    text = "\n".join("  " * depth + "- <b>x</b>" for depth in range(500))
    html = str(render_markdown(text))
    assert html.startswith("<pre>- &lt;b&gt;x&lt;/b&gt;\n  - &lt;b&gt;x")
    assert html.endswith("</pre>")


def test_a_tcp_host_that_can_never_connect_is_a_config_error(tmp_path: Path) -> None:
    config = repo(
        tmp_path,
        "monitors:\n"
        "  - {id: a, host: '', port: 1}\n"
        "  - {id: b, host: 'http://db.example.com', port: 1}\n"
        "  - {id: c, host: '127.0.0.1:5432', port: 1}\n"
        "  - {id: ok, host: '::1', port: 1}\n"
        "  - {id: ok2, host: db_1.internal., port: 1}\n",
    )
    code, output = cli("check", "--config", str(config))
    rule = "host: must be a host name or IP address such as db.example.com, not"
    assert (code, output.splitlines()) == (
        1,
        [
            f"{config}:4: monitors[0] (a).{rule} ''",
            f"{config}:5: monitors[1] (b).{rule} 'http://db.example.com'"
            " (a tcp monitor takes a bare host; an http monitor takes url)",
            f"{config}:6: monitors[2] (c).{rule} '127.0.0.1:5432' (put the port in port)",
        ],
    )


def test_a_url_that_cannot_be_requested_is_a_config_error(tmp_path: Path) -> None:
    config = repo(
        tmp_path,
        "monitors:\n"
        "  - {id: a, url: 'http://api.example.com:99999/'}\n"
        "  - {id: b, url: 'http://[::1/health'}\n"
        "  - {id: c, url: 'http://api example.com/'}\n"
        "  - {id: d, url: 'https://${HOST}:${PORT}/'}\n"
        "  - {id: ok, url: 'https://${HOST}/${PATH}?k=${KEY}'}\n",
    )
    code, output = cli("check", "--config", str(config))
    assert (code, output.splitlines()) == (
        1,
        [
            f"{config}:4: monitors[0] (a).url: is not a valid URL (Port out of range 0-65535):"
            " 'http://api.example.com:99999/'",
            f"{config}:5: monitors[1] (b).url: is not a valid URL (Invalid IPv6 URL):"
            " 'http://[::1/health'",
            f"{config}:6: monitors[2] (c).url: must name a host (and a port from 1 to 65535),"
            " not 'http://api example.com/'",
        ],
    )


def test_the_probe_resolves_a_file_saved_with_a_bom_and_windows_line_endings(
    tmp_path: Path,
) -> None:
    with LocalServer() as server:
        config = repo(tmp_path, f"monitors:\n  - id: api\n    url: {server.url('/api')}\n")
        server.route("/api", Reply(503))
        assert cli("probe", "--config", str(config), "--now", "2026-11-23T10:00:00Z")[0] == 0
        (path,) = (tmp_path / "incidents").glob("*.md")
        edited = path.read_text().replace("\n", "\r\n") + "Edited on Windows.\r\n"
        path.write_bytes(b"\xef\xbb\xbf" + edited.encode())
        server.route("/api", Reply(200))
        for minute in ("05", "10"):
            assert (
                cli("probe", "--config", str(config), "--now", f"2026-11-23T10:{minute}:00Z")[0]
                == 0
            )
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf---\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode()
    assert "\r\nstatus: resolved\r\n" in text and "\r\nresolved: 2026-11-23T10:05:00Z\r\n" in text
    assert "Edited on Windows." in text and "Resolved after 5 min." in text
    assert cli("check", "--config", str(config))[0] == 0


def test_basic_credentials_made_from_a_url_password_are_masked_too(tmp_path: Path) -> None:
    secret = "hunter2"
    sent = base64.b64encode(f"admin:{secret}".encode()).decode()
    with LocalServer() as server:
        server.route("/echo", Reply.json({"auth": f"Basic {sent}"}))
        url = server.url("/echo").replace("http://", "http://admin:${PASSWORD}@")
        config = repo(
            tmp_path,
            f"monitors:\n  - id: echo\n    url: {url}\n    expect: {{json: {{auth: none}}}}\n",
        )
        now = "2026-11-23T10:00:00Z"
        code, output = cli(
            "-v", "probe", "--config", str(config), "--now", now, env={"PASSWORD": secret}
        )
        assert server.requests[-1].headers["authorization"] == f"Basic {sent}"
    assert code == 0, output
    assert "json auth: expected 'none', got 'Basic ***'" in output
    for text in (output, every_text(tmp_path)):
        assert sent not in text and secret not in text


def test_an_id_too_long_for_a_file_name_is_a_config_error(tmp_path: Path) -> None:
    config = repo(
        tmp_path,
        f"monitors:\n  - {{id: {'a' * 300}, url: 'http://127.0.0.1:1/'}}\n"
        f"  - {{id: {'b' * 64}, url: 'http://127.0.0.1:1/'}}\n",
    )
    assert cli("check", "--config", str(config)) == (
        1,
        f"{config}:4: monitors[0].id: is 300 characters long:"
        " ids name files and URLs, so 64 characters at most\n",
    )


def test_group_component_ids_never_collide(tmp_path: Path) -> None:
    config = repo(
        tmp_path,
        "monitors:\n"
        "  - {id: group-core, group: 'Core', url: 'http://127.0.0.1:1/a'}\n"
        "  - {id: b, group: 'core', url: 'http://127.0.0.1:1/b'}\n"
        "  - {id: c, group: '日本', url: 'http://127.0.0.1:1/c'}\n"
        "  - {id: d, group: 'Ελλάδα', url: 'http://127.0.0.1:1/d'}\n",
    )
    assert cli("build", "--config", str(config), "--now", "2026-11-23T10:00:00Z")[0] == 0
    components = json.loads((tmp_path / "site/api/v2/components.json").read_text())["components"]
    ids = [c["id"] for c in components]
    assert ids == [
        "group-core-2", "group-core", "group-core-3", "b",
        "group-unnamed", "c", "group-unnamed-2", "d",
    ]  # fmt: skip
    assert [c["group_id"] for c in components if not c["group"]] == [
        "group-core-2", "group-core-3", "group-unnamed", "group-unnamed-2",
    ]  # fmt: skip


def test_incident_new_keeps_a_hostile_title_as_one_line_of_text(tmp_path: Path) -> None:
    config = repo(tmp_path, "monitors:\n  - {id: api, url: 'http://127.0.0.1:1/'}\n")
    title = 'API: "down" & <b>out</b>\n  #1 \t{x: [y]} *again*'
    code, output = cli(
        "incident", "new", title, "--config", str(config), "--now", "2026-11-23T10:00:00Z"
    )
    path = Path(output.strip())
    assert (code, path.name) == (0, "2026-11-23-api-down-b-out-b-1-x-y-again.md")
    assert (
        path.read_text().splitlines()[1]
        == 'title: "API: \\"down\\" & <b>out</b> #1 {x: [y]} *again*"'
    )
    assert cli("build", "--config", str(config), "--now", "2026-11-23T10:01:00Z")[0] == 0
    page = (tmp_path / "site" / "incidents" / path.name.replace(".md", ".html")).read_text()
    assert "API: &#34;down&#34; &amp; &lt;b&gt;out&lt;/b&gt; #1 {x: [y]} *again*" in page


@pytest.mark.parametrize("url", ['https://status.acme.com/a"b', "https://status.acme.com/{x}"])
def test_site_url_must_be_a_plain_url_because_the_feed_repeats_it(tmp_path: Path, url: str) -> None:
    config = repo(tmp_path, "monitors: []\n", site=f"site: {{title: T, url: '{url}'}}\n")
    assert cli("check", "--config", str(config)) == (
        1,
        f"{config}:1: site.url: must be a plain URL such as https://status.acme.com, not {url!r}\n",
    )
