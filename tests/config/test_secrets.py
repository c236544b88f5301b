"""Secrets: the server receives exactly the value, and no form of it comes back out.

Servers are real and on 127.0.0.1 only; `upwatch` runs in-process through its CLI. The
forms a secret may come back in are built here with the standard library, independently
of the masker, so a form the masker misses makes a test fail.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, unquote, unquote_plus, urlsplit

import pytest
from click.testing import CliRunner
from localserver import LocalServer, Reply, Request, closed_port

from generator.cli import main
from generator.config.read import Masker, load_config, resolve_secrets
from generator.errors import ConfigError

# Every character a URL, a form or a header treats specially, a space and a non-ASCII letter.
SECRET = "k3y+Pl5s/Sl4sh== a&b=c%41?#@x;é"
NOW = "2026-11-23T10:00:00Z"


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run upwatch in-process; its exit code and everything it printed."""
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def repo(root: Path, monitors: str) -> Path:
    """A fixture repository with these monitors; returns its status.yml."""
    (root / "incidents").mkdir(parents=True, exist_ok=True)
    config = root / "status.yml"
    config.write_text(
        "site: {title: Secrets}\n"
        "defaults: {timeout: 2, retries: 0, failure_threshold: 1}\n" + monitors,
        encoding="utf-8",
    )
    return config


# --- the server receives exactly the secret -----------------------------------------------


def as_parsed(request: Request) -> dict[str, str]:
    """What a web framework hands its application for this request, decoded as it would."""
    path, _, query = request.target.partition("?")
    user, _, password = (
        base64.b64decode(request.headers["authorization"].removeprefix("Basic "))
        .decode()
        .partition(":")
    )
    form = parse_qs(request.body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    params = parse_qs(query, keep_blank_values=True, strict_parsing=True)
    return {
        "segment": unquote(path.split("/")[2]),
        "segments": str(len(path.split("/"))),
        "query": params["key"][0],
        "query keys": ",".join(sorted(params)),
        "user": user,
        "password": password,
        "form": form["token"][0],
        "form keys": ",".join(sorted(form)),
    }


def test_the_server_receives_exactly_the_secret_wherever_it_stands(tmp_path: Path) -> None:
    with LocalServer() as server:
        server.route(f"/seg/{quote(SECRET, safe='')}/end", Reply(200))
        url = server.url("/seg/${TOKEN}/end?key=${TOKEN}&other=1#${TOKEN}")
        config = repo(
            tmp_path,
            "monitors:\n  - id: exact\n"
            f"    url: '{url.replace('http://', 'http://admin:${TOKEN}@')}'\n"
            "    method: POST\n"
            "    headers: {content-type: 'Application/X-WWW-Form-Urlencoded'}\n"
            "    body: 'token=${TOKEN}&other=2'\n",
        )
        code, output = cli("probe", "--config", str(config), "--now", NOW, env={"TOKEN": SECRET})
        assert code == 0, output
        assert "exact  up" in output
        (request,) = server.requests
    assert as_parsed(request) == {
        "segment": SECRET,
        "segments": "4",
        "query": SECRET,
        "query keys": "key,other",
        "user": "admin",
        "password": SECRET,
        "form": SECRET,
        "form keys": "other,token",
    }


def test_headers_and_other_bodies_carry_the_secret_as_it_is(tmp_path: Path) -> None:
    # A header value goes out as UTF-8 bytes, as servers decode it.
    with LocalServer() as server:
        server.route("/json", Reply(200))
        config = repo(
            tmp_path,
            f"monitors:\n  - id: json\n    url: {server.url('/json')}\n    method: POST\n"
            "    headers: {Content-Type: application/json, Authorization: 'Bearer ${TOKEN}'}\n"
            '    body: \'{"token": "${TOKEN}"}\'\n',
        )
        code, output = cli("probe", "--config", str(config), "--now", NOW, env={"TOKEN": SECRET})
        assert code == 0, output
        (request,) = server.requests
    assert json.loads(request.body.decode()) == {"token": SECRET}
    assert request.headers["authorization"].encode("latin-1").decode() == f"Bearer {SECRET}"


def test_a_whole_url_or_a_whole_host_is_used_as_written(tmp_path: Path) -> None:
    with LocalServer() as server:
        server.route("/health", Reply(200))
        port = urlsplit(server.url()).port
        config = repo(
            tmp_path,
            "monitors:\n"
            "  - {id: whole, url: '${HEALTH_URL}'}\n"
            "  - {id: base, url: '${BASE}/health?via=base'}\n"
            "  - {id: host, url: 'http://${HOST_PORT}/health?via=host'}\n"
            f"  - {{id: name, url: 'http://${{HOST}}:{port}/health?via=name'}}\n",
        )
        env = {
            "HEALTH_URL": server.url("/health?via=whole&sig=a%2Bb"),
            "BASE": server.url(""),
            "HOST_PORT": f"127.0.0.1:{port}",
            "HOST": "127.0.0.1",
        }
        code, output = cli("probe", "--config", str(config), "--now", NOW, env=env)
        assert code == 0, output
        targets = sorted(r.target for r in server.requests)
    assert targets == [
        "/health?via=base",
        "/health?via=host",
        "/health?via=name",
        "/health?via=whole&sig=a%2Bb",
    ]


VALUE = "a/b c+d&e=f#g?h@é"
AS_SEGMENT = "a%2Fb%20c%2Bd%26e%3Df%23g%3Fh%40%C3%A9"
AS_QUERY = "a/b%20c%2Bd%26e%3Df%23g?h@%C3%A9"  # "/", "?" and "@" may stand in a query


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://h/api/${V}/x", f"http://h/api/{AS_SEGMENT}/x"),
        ("http://h/api/v-${V}.json", f"http://h/api/v-{AS_SEGMENT}.json"),
        ("http://h/?k=${V}&${V}=1", f"http://h/?k={AS_QUERY}&{AS_QUERY}=1"),
        ("http://h/#${V}", f"http://h/#{AS_QUERY}"),
        ("http://${V}:${V}@h/", f"http://{AS_SEGMENT}:{AS_SEGMENT}@h/"),
        ("http://u@h/@${V}", f"http://u@h/@{AS_SEGMENT}"),
        ("${URL}", "https://api.example.com/x?k=a%2Bb"),
        ("${URL}/more?k=${V}", f"https://api.example.com/x?k=a%2Bb/more?k={AS_QUERY}"),
        ("https://${HOST}/x", "https://api.example.com:8443/x"),
        ("https://${HOST}.internal/x", "https://api.example.com:8443.internal/x"),
    ],
)
def test_each_part_of_a_url_gets_its_own_encoding(tmp_path: Path, url: str, sent: str) -> None:
    (tmp_path / "status.yml").write_text(
        "site: {title: T}\nmonitors:\n  - {id: a, url: 'http://h/'}\n"
    )
    config = load_config(tmp_path / "status.yml")
    monitor = replace(config.monitors[0], url=url)
    env = {"V": VALUE, "URL": "https://api.example.com/x?k=a%2Bb", "HOST": "api.example.com:8443"}
    (resolved,), _masker = resolve_secrets([monitor], config.path, env)
    assert resolved.url == sent


# --- config errors about secrets -----------------------------------------------------------


def test_a_secret_shorter_than_6_characters_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo(
        tmp_path,
        "monitors:\n  - id: api\n    url: 'http://127.0.0.1:1/?k=${SHORT}'\n"
        "    headers: {X-Key: '${LONG_ENOUGH}'}\n",
    )
    expected = (
        "status.yml:5: monitors[0] (api).url: the value of ${SHORT} is shorter than 6"
        " characters; masking it would blank ordinary text\n"
    )
    env = {"SHORT": "abc12", "LONG_ENOUGH": "abc123"}
    assert cli("check", "--config", "status.yml", env=env) == (1, expected)
    assert cli("probe", "--config", "status.yml", "--now", NOW, env=env) == (1, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incidents", "status.yml"]
    # Unset, it is no error for check (CI sets it), but probe names it.
    assert cli("check", "--config", "status.yml", env={"SHORT": None})[0] == 0


def test_a_placeholder_in_a_header_name_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo(
        tmp_path,
        "monitors:\n  - id: api\n    url: 'http://127.0.0.1:1/'\n"
        "    headers:\n      X-${NAME}: value\n",
    )
    expected = (
        "status.yml:7: monitors[0] (api).headers.X-${NAME}: a header name cannot hold ${NAME}"
        " (put the secret in the value)\n"
    )
    assert cli("check", "--config", "status.yml") == (1, expected)
    assert cli("probe", "--config", "status.yml", "--now", NOW, env={"NAME": "secret"}) == (
        1,
        expected,
    )


def test_a_whole_url_secret_that_is_no_url_is_named_without_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo(tmp_path, "monitors:\n  - id: api\n    url: '${HEALTH_URL}'\n")
    code, output = cli("probe", "--config", "status.yml", env={"HEALTH_URL": "not a url at all"})
    assert (code, output) == (
        1,
        "status.yml:5: monitors[0] (api).url: the value of ${HEALTH_URL} does not make"
        " an http(s) URL with a host\n",
    )


def test_resolve_secrets_refuses_a_header_name_placeholder_it_is_handed(tmp_path: Path) -> None:
    (tmp_path / "status.yml").write_text(
        "site: {title: T}\nmonitors:\n  - {id: a, url: 'http://h/', headers: {X-Key: '${K}'}}\n"
    )
    config = load_config(tmp_path / "status.yml")
    renamed = [replace(m, headers=(("X-${K}", "v"),)) for m in config.monitors]
    with pytest.raises(ConfigError) as raised:
        resolve_secrets(renamed, config.path, {"K": "long-value"})
    assert "a header name cannot hold ${K}" in str(raised.value)


# --- every form a secret comes back in is masked ------------------------------------------

LEAKY = "Pa+ss w/rd&k=v%41?#@it's\"é<"
BASIC = base64.b64encode(f"admin:{LEAKY}".encode()).decode()


def echoed_forms(secret: str) -> dict[str, str]:
    """The ways servers, libraries and templates write a secret back, by name."""
    percent = quote(secret, safe="")
    return {
        "as is": secret,
        "upper-case percent": percent,
        "lower-case percent": percent.replace("%C3%A9", "%c3%a9").replace("%2B", "%2b"),
        "form-encoded": quote_plus(secret),
        "+ read as a space": secret.replace("+", " "),
        "percent-decoded": unquote(secret),
        "form-decoded": unquote_plus(secret),
        "JSON": json.dumps(secret)[1:-1],
        "JSON, not ASCII": json.dumps(secret, ensure_ascii=False)[1:-1],
        "JSON with \\/": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "JSON as Go writes it": json.dumps(secret)[1:-1]
        .replace("&", "\\u0026")
        .replace("<", "\\u003c"),
        "repr": repr(secret)[1:-1],
        "ascii": ascii(secret)[1:-1],
        "HTML (html.escape)": html.escape(secret),
        "HTML (&#39; and &#34;)": secret.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;"),
        "UTF-8 read as Latin-1": secret.encode().decode("latin-1"),
        "JSON in a URL": quote(json.dumps(secret)[1:-1], safe=""),
        "HTML in a URL": quote(html.escape(secret), safe=""),
        "form-decoded, then in a URL": quote(unquote_plus(secret), safe=""),
        "twice percent-encoded": quote(percent, safe=""),
        "Basic credentials": BASIC,
    }


@pytest.mark.parametrize(("name", "form"), list(echoed_forms(LEAKY).items()))
def test_the_masker_masks_each_form(name: str, form: str) -> None:
    masker = Masker([LEAKY, BASIC])
    assert masker(f"got <{form}> back") == "got <***> back", name


def test_the_masker_masks_escapes_of_escapes_and_spares_other_text() -> None:
    masker = Masker([LEAKY])
    twice = repr(json.dumps(LEAKY))  # JSON inside a Python repr: doubled backslashes
    assert masker(f"got {twice}") == "got '\"***\"'"
    assert masker(html.escape(html.escape(LEAKY))) == "***"
    assert masker("Pa+ss w/rd and other text") == "Pa+ss w/rd and other text"


def forms_in(data: bytes, forms: dict[str, str]) -> list[str]:
    """The names of the forms found in data, in any letter case."""
    lowered = data.lower()
    return [name for name, form in forms.items() if form.lower().encode() in lowered]


def test_no_form_of_a_secret_reaches_files_commits_or_output(tmp_path: Path) -> None:
    forms = echoed_forms(LEAKY)
    refused = closed_port()
    with LocalServer() as server:
        monitors = ["monitors:\n"]
        for index, form in enumerate(forms.values()):
            ascii_form = form.encode("ascii", "backslashreplace").decode()
            header = {"X-Echo": ascii_form.replace("\r", "").replace("\n", "")}
            server.route(f"/json/{index}", Reply.json({"status": form}, headers=header))
            server.route(f"/body/{index}", Reply(200, f"before {form} after", headers=header))
            where = quote(form, safe="%&=+:@")
            server.route(f"/away/{index}", Reply.redirect(f"http://127.0.0.1:{refused}/{where}"))
            url = server.url("").replace("http://", "http://admin:${LEAKY}@")
            monitors += [
                f"  - id: json-{index}\n    url: '{url}/json/{index}'\n"
                "    expect: {json: {status: UP}}\n",
                f"  - id: body-{index}\n    url: '{url}/body/{index}'\n"
                "    expect: {contains: nope}\n",
                f"  - id: away-{index}\n    url: '{url}/away/{index}'\n",
            ]
        config = repo(tmp_path, "".join(monitors))
        subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
        probed, probe_output = cli(
            "-v", "probe", "--commit", "--config", str(config), "--now", NOW, env={"LEAKY": LEAKY}
        )
        assert probed == 0, probe_output
        assert len(server.requests) == 3 * len(forms)
    built, build_output = cli("-v", "build", "--config", str(config), "--now", NOW)
    assert built == 0, build_output
    # The details would carry the forms: the test sees them.
    assert "got '***'" in probe_output
    assert f"after redirect to http://127.0.0.1:{refused}/***: connection refused" in probe_output
    history = subprocess.run(
        ["git", "log", "-p", "--format=%B"], cwd=tmp_path, check=True, capture_output=True
    ).stdout
    leaks = {
        "output": forms_in((probe_output + build_output).encode(), forms),
        "history": forms_in(history, forms),
    }
    for folder in ("data", "incidents", "site"):
        for path in sorted((tmp_path / folder).rglob("*")):
            if path.is_file():
                leaks[str(path.relative_to(tmp_path))] = forms_in(path.read_bytes(), forms)
    assert len(leaks) > 10
    assert {where: found for where, found in leaks.items() if found} == {}


# --- errors nobody catches ---------------------------------------------------------------


def test_a_thread_traceback_naming_a_secret_is_masked(capfd: pytest.CaptureFixture[str]) -> None:
    masker = Masker([LEAKY])
    before = threading.excepthook

    def fail() -> None:
        raise ValueError(f"bad host {LEAKY.lower()}")

    with masker.guard():
        thread = threading.Thread(target=fail, name=f"resolve {quote(LEAKY)}")
        thread.start()
        thread.join()
    err = capfd.readouterr().err
    assert "Exception in thread resolve ***:" in err
    assert "ValueError: bad host ***" in err
    assert forms_in(err.encode(), echoed_forms(LEAKY)) == []
    assert threading.excepthook is before


def test_an_exception_leaving_the_guard_is_masked_and_keeps_its_type() -> None:
    masker = Masker([LEAKY])
    before = sys.excepthook
    with pytest.raises(KeyError) as raised, masker.guard():
        try:
            raise OSError(2, "No such file", f"/tmp/{LEAKY}")
        except OSError as exc:
            raise KeyError(repr(LEAKY)) from exc
    assert str(raised.value) == "\"'***'\""
    assert str(raised.value.__cause__) == "[Errno 2] No such file: '/tmp/***'"
    assert sys.excepthook is before


def test_log_records_and_their_tracebacks_are_masked_inside_the_guard(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("somewhere.deep")
    with Masker([LEAKY]).guard():
        try:
            raise RuntimeError(f"failed with {json.dumps(LEAKY)}")
        except RuntimeError:
            log.exception("while sending %s", quote_plus(LEAKY))
    assert caplog.text.count("***") >= 2
    assert forms_in(caplog.text.encode(), echoed_forms(LEAKY)) == []
