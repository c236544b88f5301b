"""The wheel is the product: it ships the templates and assets, and `upwatch demo` runs from it.

The wheel is built from a copy of the repository (a build writes build/ and *.egg-info beside
its sources) and installed with `pip --target` into a folder of its own, which comes first
on PYTHONPATH: the editable install of the checkout must not be what runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "generator/site/templates"
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "generator")


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of the repository, built without network or build isolation."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(path, source / name, ignore=ignore)
        elif path.exists():
            shutil.copy2(path, source / name)
    out = tmp_path_factory.mktemp("wheel")
    pip = (sys.executable, "-m", "pip")
    run(
        *pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", ".", "-w", out, cwd=source
    )
    [built] = out.glob("upwatch-*.whl")
    return built


def test_the_wheel_ships_every_template_and_asset(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        path.relative_to(REPO).as_posix()
        for path in [*TEMPLATES.glob("*.html"), *(TEMPLATES / "assets").iterdir()]
    }
    assert {
        "generator/site/templates/index.html",
        "generator/site/templates/assets/style.css",
    } <= expected
    assert expected - names == set()


def test_demo_runs_from_the_installed_wheel_in_another_folder(wheel: Path, tmp_path: Path) -> None:
    target, elsewhere, out = tmp_path / "installed", tmp_path / "elsewhere", tmp_path / "demo"
    elsewhere.mkdir()
    run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-index",
        "--target",
        target,
        wheel,
        cwd=tmp_path,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = run(
        sys.executable, "-c", "import generator; print(generator.__file__)", cwd=elsewhere, env=env
    )
    assert Path(where.strip()).resolve() == (target / "generator/__init__.py").resolve()
    demo = "from generator.cli import main; main()"
    run(sys.executable, "-c", demo, "demo", "--no-serve", "--out", out, cwd=elsewhere, env=env)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "banner" in page and (out / "assets/style.css").is_file()
    assert (out / "api/v2/summary.json").is_file()
