"""Pages rendered by two processes are the pages one process renders, byte for byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from site_repo import NOW, write_repo

from generator.config.read import load_config
from generator.errors import UpwatchError
from generator.site import build as site
from generator.site import html


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_forked_share_of_the_pages_is_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_repo(tmp_path))
    monkeypatch.setattr(html, "PARALLEL_PAGES", 10**9)
    site.build(config, tmp_path / "one", NOW)
    forks = []
    real_fork = os.fork

    def counted_fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(html, "PARALLEL_PAGES", 1)
    monkeypatch.setattr(os, "fork", counted_fork)
    site.build(config, tmp_path / "two", NOW)
    assert forks == [1]  # the second build did render in two processes
    one, two = files_of(tmp_path / "one"), files_of(tmp_path / "two")
    assert len(one) > 10 and one == two


@pytest.mark.parametrize(
    ("template", "text"),
    [
        # monitor pages alone break: the fork renders every other page, so some of them
        ("monitor.html", "{{ state.no_such_field }}\n"),
        # the index is the fork's costliest page: its error is said here, once
        ("index.html", "{{ no_such_name }}\n"),
    ],
)
def test_a_template_error_in_either_share_is_reported_once_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: str, text: str
) -> None:
    root = write_repo(tmp_path).parent
    (root / "site_templates").mkdir()
    (root / "site_templates" / template).write_text(text)
    config = load_config(root / "status.yml")
    monkeypatch.setattr(html, "PARALLEL_PAGES", 1)
    with pytest.raises(UpwatchError) as caught:
        site.build(config, tmp_path / "out", NOW)
    assert template in caught.value.format_message()
    assert not (tmp_path / "out").exists()  # nothing half-written
