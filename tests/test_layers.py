"""The import contract in pyproject.toml: stages import only downward, and no cycles.

It runs the real `lint-imports` over the package, then over a copy with one import added
against the contract, to show that the contract would catch it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with the pyproject.toml of `root` over the generator package in it."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package and its pyproject.toml, copied so one test may add a bad import."""
    shutil.copytree(
        ROOT / "generator", tmp_path / "generator", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(module: Path, line: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_package_keeps_the_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_an_import_back_up_the_layers_breaks_it(copy: Path) -> None:
    add_import(copy / "generator" / "status.py", "from .site import build as _site  # noqa")
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "stages import only downward BROKEN" in result.stdout
    assert "generator.status is not allowed to import generator.site" in result.stdout


def test_a_cycle_inside_a_package_breaks_it(copy: Path) -> None:
    # store.rollup imports store.days; one import back makes a cycle between siblings.
    add_import(copy / "generator" / "store" / "days.py", "from . import rollup as _rollup  # noqa")
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "no import cycles among sibling modules BROKEN" in result.stdout
