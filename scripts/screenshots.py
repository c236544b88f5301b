"""Screenshots of the demo site for docs/: every page type at 1280 and 375 px, light and dark.

    python scripts/screenshots.py [--out docs]

The recipe: `upwatch demo --no-serve --out DIR` -> serve DIR on 127.0.0.1 -> open each page
in the system Chromium through playwright -> docs/<page>-<width>-<scheme>.png, and
docs/screenshot.png (the index at 1280 px, light) that the README shows. Nothing leaves
this machine: the demo probes its own local endpoints and the browser reads 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from generator.site.build import start_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTHS = {1280: 800, 375: 812}  # width -> viewport height
SCHEMES = ("light", "dark")
FULL_PAGE_LIMIT = 400_000  # bytes: a taller index shot than this falls back to the viewport


def build_demo(out: Path) -> None:
    """The demo site, built by the real command."""
    command = [sys.executable, "-c", "from generator.cli import main; main()", "demo"]
    command += ["--no-serve", "--out", str(out)]
    subprocess.run(command, check=True, timeout=120)


def page_paths(site: Path) -> dict[str, str]:
    """The five page types, by the name their screenshots take."""
    story = next((site / "incidents").glob("*-public-api-is-down.html"))
    return {
        "index": "index.html",
        "monitor": "monitors/api.html",
        "incident": f"incidents/{story.name}",
        "history": "history.html",
        "reliability": "reliability.html",
    }


def shoot(page: Page, url: str, target: Path, full_page: bool) -> None:
    """One screenshot; a full-page one that comes out too heavy is taken again as the viewport."""
    page.goto(url, wait_until="networkidle")
    page.screenshot(path=str(target), full_page=full_page)
    if full_page and target.stat().st_size > FULL_PAGE_LIMIT:
        page.screenshot(path=str(target), full_page=False)


def take_all(base: str, pages: dict[str, str], out: Path) -> list[Path]:
    """Every page at every width and scheme; return the files written."""
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for width, height in WIDTHS.items():
                for scheme in SCHEMES:
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        color_scheme=scheme,  # type: ignore[arg-type]
                    )
                    page = context.new_page()
                    for name, path in pages.items():
                        target = out / f"{name}-{width}-{scheme}.png"
                        full = name == "index" and width == 1280
                        shoot(page, f"{base}/{path}", target, full)
                        written.append(target)
                    context.close()
        finally:
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="upwatch-shots-") as tmp:
        site = Path(tmp) / "site"
        build_demo(site)
        server = start_server(site, 0)
        try:
            base = f"http://127.0.0.1:{server.server_address[1]}"
            written = take_all(base, page_paths(site), args.out)
        finally:
            server.shutdown()
            server.server_close()
    readme_shot = args.out / "screenshot.png"
    readme_shot.write_bytes((args.out / "index-1280-light.png").read_bytes())
    for path in [*written, readme_shot]:
        print(f"{path}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
