"""A site made by two processes is the site one process makes, byte for byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from site_repo import NOW, write_repo

from generator.config.read import load_config
from generator.errors import UpwatchError
from generator.site import build as site
from generator.site import shares


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_forked_share_of_the_pages_is_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_repo(tmp_path))
    monkeypatch.setattr(shares, "PARALLEL_FROM", 10**9)
    site.build(config, tmp_path / "one", NOW)
    forks = []
    real_fork = os.fork

    def counted_fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(shares, "PARALLEL_FROM", 1)
    monkeypatch.setattr(os, "fork", counted_fork)
    site.build(config, tmp_path / "two", NOW)
    assert forks == [1, 1]  # the reliability figures gathered ahead, then the site in two shares
    one, two = files_of(tmp_path / "one"), files_of(tmp_path / "two")
    assert len(one) > 10 and one == two


@pytest.mark.parametrize(
    ("template", "text"),
    [
        # monitor pages alone break: each process renders some of them
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
    monkeypatch.setattr(shares, "PARALLEL_FROM", 1)
    with pytest.raises(UpwatchError) as caught:
        site.build(config, tmp_path / "out", NOW)
    assert template in caught.value.format_message()
    assert not (tmp_path / "out").exists()  # nothing half-written


@pytest.mark.parametrize(
    ("costs", "mine", "theirs"),
    [
        ([1, 1, 1, 1], [1, 3], [0, 2]),
        ([10, *[1] * 10], list(range(1, 11)), [0]),  # the index beside ten monitor pages
        ([3, 3, 2, 2, 2], [1, 3], [0, 2, 4]),  # the fork takes the odd one
        ([0, 5], [0], [1]),
        ([], [], []),
    ],
)
def test_the_shares_are_of_about_equal_cost(
    costs: list[float], mine: list[int], theirs: list[int]
) -> None:
    assert shares.split(costs) == (mine, theirs)


def test_a_value_made_ahead_is_the_forks_or_made_here_when_the_fork_fails() -> None:
    here = os.getpid()
    assert shares.ahead(lambda: ("made", os.getpid() != here))() == ("made", True)

    def only_here() -> int:
        if os.getpid() != here:
            raise RuntimeError("the fork fails")
        return 42

    assert shares.ahead(only_here)() == 42
