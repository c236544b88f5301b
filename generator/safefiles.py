"""Read files a person, a merge or a checkout put in the repository, and nothing else.

Incident files, templates, assets and day files are read from folders anyone with push
access can fill. A symlink there could publish /etc/passwd, a link to /dev/zero could be
read forever and a FIFO named `*.md` would block the reader. Every such read goes through
here: a symlink is followed only while it stays inside the repository (`root`, the folder
of status.yml), and only regular files are read, opened without blocking.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import display_path

__all__ = [
    "TooLargeError",
    "UnsafeFileError",
    "display",
    "read_bytes",
    "refusal",
    "regular_files",
    "size_text",
]

CHUNK = 1 << 16


class UnsafeFileError(ValueError):
    """A path that is not a regular file inside the repository; the message says why."""


class TooLargeError(UnsafeFileError):
    """A regular file that holds more than the reader accepts."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        shown = size_text(size)
        if shown == size_text(limit):  # just over: rounding would hide the difference
            shown = f"{size:,} bytes"
        super().__init__(f"{shown} is over the {size_text(limit)} limit")


def size_text(size: int) -> str:
    """A byte count as a person reads it: 512 bytes, 256 KB, 2.9 KB, 2.0 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _kind(mode: int) -> str | None:
    """Why a file of this mode is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a regular file"
    if stat.S_ISFIFO(mode):
        return "a FIFO, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "something else, not a regular file"


def _inside(path: Path, root: Path) -> bool:
    """Whether a resolved path lies in the resolved root."""
    return path == root or root in path.parents


def _target(path: Path, root: Path) -> tuple[Path | None, str | None]:
    """The real path behind a path, or why it is refused."""
    try:
        is_link = path.is_symlink()
        real = path.resolve(strict=True)
    except FileNotFoundError:
        return None, "a broken symlink" if path.is_symlink() else "no such file"
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on older Pythons
        return None, "a symlink that cannot be resolved"
    if _inside(real, root.resolve()):
        return real, None
    if not is_link:
        return None, "outside the repository, through a symlinked folder"
    return None, f"a symlink to a {'folder' if real.is_dir() else 'file'} outside the repository"


def refusal(path: Path, root: Path) -> str | None:
    """None for a regular file inside root (through a symlink inside root too), else why not."""
    real, reason = _target(path, root)
    if real is None:
        return reason
    try:
        mode = real.stat().st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    reason = _kind(mode)
    if reason and path.is_symlink():
        return f"a symlink to {reason}"
    return reason


def read_bytes(path: Path, root: Path, limit: int | None = None) -> bytes:
    """A regular file's bytes (at most limit); raises UnsafeFileError for anything else."""
    real, reason = _target(path, root)
    if real is None:
        raise UnsafeFileError(reason)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:  # ELOOP: the resolved file became a symlink since
        raise UnsafeFileError(f"cannot read: {exc.strerror or exc}") from exc
    try:
        return _read_regular(fd, limit)
    finally:
        os.close(fd)


def _read_regular(fd: int, limit: int | None) -> bytes:
    """Read an open file descriptor if it is a regular file, stopping past the limit."""
    info = os.fstat(fd)
    reason = _kind(info.st_mode)
    if reason:
        raise UnsafeFileError(reason)
    if limit is not None and info.st_size > limit:
        raise TooLargeError(info.st_size, limit)
    chunks, total = [], 0
    while chunk := os.read(fd, CHUNK):
        chunks.append(chunk)
        total += len(chunk)
        if limit is not None and total > limit:  # grew while being read
            raise TooLargeError(total, limit)
    return b"".join(chunks)


def display(path: Path, root: Path) -> str:
    """A path as the user named it, relative to the working directory or root, never its target."""
    return display_path(path, root)


def regular_files(folder: Path, pattern: str, root: Path) -> tuple[list[Path], list[str]]:
    """The paths a glob finds, by name: those safe to read, and `<path>: <reason>` for the rest."""
    readable, refused = [], []
    for path in sorted(folder.glob(pattern)):
        reason = refusal(path, root)
        if reason is None:
            readable.append(path)
        else:
            refused.append(f"{display(path, root)}: {reason}")
    return readable, refused
