"""safefiles: only regular files inside the repository are read, never blocking."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.safefiles import (
    TooLargeError,
    UnsafeFileError,
    read_bytes,
    refusal,
    regular_files,
    size_text,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "incidents").mkdir(parents=True)
    (tmp_path / "outside.md").write_text("secret from outside\n")
    return root


def test_a_regular_file_inside_is_read(repo: Path) -> None:
    path = repo / "incidents" / "a.md"
    path.write_bytes(b"hello\n")
    assert refusal(path, repo) is None
    assert read_bytes(path, repo) == b"hello\n"


def test_a_symlink_inside_the_repository_is_followed(repo: Path) -> None:
    (repo / "shared.md").write_bytes(b"shared\n")
    link = repo / "incidents" / "link.md"
    link.symlink_to("../shared.md")
    assert refusal(link, repo) is None
    assert read_bytes(link, repo) == b"shared\n"


def test_a_symlink_out_of_the_repository_is_refused(repo: Path) -> None:
    link = repo / "incidents" / "out.md"
    link.symlink_to(repo.parent / "outside.md")
    assert refusal(link, repo) == "a symlink to a file outside the repository"
    with pytest.raises(UnsafeFileError, match=r"^a symlink to a file outside the repository$"):
        read_bytes(link, repo)


def test_a_relative_symlink_climbing_out_is_refused(repo: Path) -> None:
    link = repo / "incidents" / "up.md"
    link.symlink_to("../../outside.md")
    assert refusal(link, repo) == "a symlink to a file outside the repository"


def test_a_symlinked_folder_out_of_the_repository_is_refused(repo: Path) -> None:
    (repo / "templates").symlink_to(repo.parent)
    path = repo / "templates" / "outside.md"
    assert refusal(path, repo) == "outside the repository, through a symlinked folder"
    with pytest.raises(UnsafeFileError):
        read_bytes(path, repo)


def test_a_fifo_is_refused_without_blocking(repo: Path) -> None:
    fifo = repo / "incidents" / "hang.md"
    os.mkfifo(fifo)
    assert refusal(fifo, repo) == "a FIFO, not a regular file"
    with pytest.raises(UnsafeFileError, match=r"^a FIFO, not a regular file$"):
        read_bytes(fifo, repo)


def test_a_symlink_to_a_fifo_inside_is_refused(repo: Path) -> None:
    os.mkfifo(repo / "pipe")
    link = repo / "incidents" / "pipe.md"
    link.symlink_to("../pipe")
    assert refusal(link, repo) == "a symlink to a FIFO, not a regular file"
    with pytest.raises(UnsafeFileError, match="FIFO"):
        read_bytes(link, repo)


def test_a_link_to_dev_zero_is_refused(repo: Path) -> None:
    link = repo / "incidents" / "zero.md"
    link.symlink_to("/dev/zero")
    assert refusal(link, repo) == "a symlink to a file outside the repository"
    with pytest.raises(UnsafeFileError):
        read_bytes(link, repo)


def test_a_device_inside_the_root_is_refused(tmp_path: Path) -> None:
    # /dev as the root: a device that is "inside" is still no regular file
    assert refusal(Path("/dev/zero"), Path("/dev")) == "a device, not a regular file"
    with pytest.raises(UnsafeFileError, match=r"^a device, not a regular file$"):
        read_bytes(Path("/dev/zero"), Path("/dev"))


def test_a_broken_symlink_is_refused(repo: Path) -> None:
    link = repo / "incidents" / "gone.md"
    link.symlink_to("nowhere.md")
    assert refusal(link, repo) == "a broken symlink"
    with pytest.raises(UnsafeFileError, match=r"^a broken symlink$"):
        read_bytes(link, repo)


def test_a_symlink_loop_is_refused(repo: Path) -> None:
    loop = repo / "incidents" / "loop.md"
    loop.symlink_to("loop.md")
    assert refusal(loop, repo) is not None
    with pytest.raises(UnsafeFileError):
        read_bytes(loop, repo)


def test_a_folder_named_md_is_refused(repo: Path) -> None:
    folder = repo / "incidents" / "2026-01-01-folder.md"
    folder.mkdir()
    assert refusal(folder, repo) == "a folder, not a regular file"
    with pytest.raises(UnsafeFileError, match=r"^a folder, not a regular file$"):
        read_bytes(folder, repo)


def test_the_limit_refuses_a_larger_file(repo: Path) -> None:
    path = repo / "incidents" / "big.md"
    path.write_bytes(b"x" * 3000)
    assert read_bytes(path, repo, limit=3000) == b"x" * 3000
    with pytest.raises(TooLargeError, match=r"^2.9 KB is over the 2 KB limit$") as caught:
        read_bytes(path, repo, limit=2048)
    assert (caught.value.size, caught.value.limit) == (3000, 2048)
    with pytest.raises(TooLargeError, match=r"^3,000 bytes is over the 2.9 KB limit$"):
        read_bytes(path, repo, limit=2999)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (3000, "2.9 KB"),
        (256 * 1024, "256 KB"),
        (2 * 1024 * 1024, "2.0 MB"),
    ],
)
def test_size_text(size: int, text: str) -> None:
    assert size_text(size) == text


def test_regular_files_splits_readable_from_refused(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    folder = repo / "incidents"
    (folder / "b.md").write_text("b")
    (folder / "a.md").write_text("a")
    (folder / "c.md").symlink_to(repo.parent / "outside.md")
    os.mkfifo(folder / "d.md")
    (folder / "e.md").mkdir()
    (folder / "notes.txt").write_text("not matched")
    readable, refused = regular_files(folder, "*.md", repo)
    assert readable == [folder / "a.md", folder / "b.md"]
    assert refused == [
        "incidents/c.md: a symlink to a file outside the repository",
        "incidents/d.md: a FIFO, not a regular file",
        "incidents/e.md: a folder, not a regular file",
    ]


def test_regular_files_of_a_missing_folder_is_empty(repo: Path) -> None:
    assert regular_files(repo / "missing", "*.md", repo) == ([], [])
