"""Files in incidents/ and site_templates/ as a person, a merge or a crash leaves them.

Symlinks out of the repository, FIFOs and devices are refused with a located error and never
read; a huge or pathological incident file cannot stall a build; and a build killed at any
step leaves a whole site and no stray folder git would see. Commands that could block run in
a subprocess with a timeout, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from localserver import closed_port

from generator.site.build import exchange
from generator.site.html import BUILTIN

NOW = "2026-11-23T12:00:00Z"
LATER = "2026-11-23T12:05:00Z"
CODE = 'from generator.cli import main; main(prog_name="upwatch")'
SECRET = "root:x:0:0:secret-from-outside"
REPO_GITIGNORE = Path(__file__).resolve().parents[2] / ".gitignore"

INCIDENT = """\
---
title: API outage
status: resolved
monitors: [api]
started: 2026-11-22T10:00:00Z
resolved: 2026-11-22T11:30:00Z
---
{story}
"""


def repo(root: Path) -> Path:
    """A fixture repository with one monitor on a closed local port; returns status.yml."""
    (root / "incidents").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "incidents" / "2026-11-22-api-outage.md").write_text(INCIDENT.format(story="Fixed."))
    config = root / "status.yml"
    config.write_text(
        "site: {title: Files}\n"
        "defaults: {timeout: 1, retries: 0}\n"
        f"monitors:\n  - id: api\n    url: http://127.0.0.1:{closed_port()}/\n"
    )
    return config


def outside(tmp_path: Path) -> Path:
    """A file beside the repository that must never be published."""
    path = tmp_path / "passwd"
    path.write_text(f"{SECRET}\n")
    return path


def run(
    root: Path, *args: str, timeout: float = 60, code: str = CODE
) -> subprocess.CompletedProcess[str]:
    """Run upwatch in a subprocess from root; a hang fails the test with TimeoutExpired."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def site_text(site: Path) -> str:
    """Everything a build wrote, as one text."""
    return "".join(p.read_text(errors="replace") for p in sorted(site.rglob("*")) if p.is_file())


def own_templates(root: Path) -> Path:
    """A full copy of the built-in templates in the repository's site_templates/."""
    folder = root / "site_templates"
    shutil.copytree(BUILTIN, folder)
    return folder


# --- incidents/ (item 15) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p, out: p.symlink_to(out), "a symlink to a file outside the repository"),
        (lambda p, out: p.symlink_to("/dev/zero"), "a symlink to a file outside the repository"),
        (lambda p, out: os.mkfifo(p), "a FIFO, not a regular file"),
        (lambda p, out: p.symlink_to("missing.md"), "a broken symlink"),
        (lambda p, out: p.mkdir(), "a folder, not a regular file"),
    ],
    ids=["symlink-out", "dev-zero", "fifo", "broken-link", "folder"],
)
def test_check_and_build_refuse_an_unsafe_incident_file(
    tmp_path: Path, make: object, reason: str
) -> None:
    root = tmp_path / "repo"
    repo(root)
    make(root / "incidents" / "2026-11-23-leak.md", outside(tmp_path))  # type: ignore[operator]
    line = f"incidents/2026-11-23-leak.md: {reason}\n"
    checked = run(root, "check", timeout=20)
    assert (checked.returncode, checked.stderr) == (1, line)
    built = run(root, "build", "--now", NOW, timeout=20)
    assert (built.returncode, built.stderr) == (1, line)
    assert not (root / "site").exists()


def test_probe_warns_about_an_unsafe_incident_file_and_records_its_samples(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    repo(root)
    os.mkfifo(root / "incidents" / "2026-11-23-pipe.md")
    (root / "incidents" / "2026-11-23-leak.md").symlink_to(outside(tmp_path))
    probed = run(root, "probe", "--now", NOW, timeout=20)
    assert probed.returncode == 0, probed.stderr
    assert "incidents/2026-11-23-leak.md: a symlink to a file outside the repository" in (
        probed.stderr
    )
    assert "incidents/2026-11-23-pipe.md: a FIFO, not a regular file" in probed.stderr
    assert ",api,default,down," in (root / "data" / "2026-11-23.csv").read_text()
    assert SECRET not in "".join(p.read_text() for p in (root / "incidents").glob("*-down*.md"))


def test_a_symlink_inside_the_repository_is_read(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo(root)
    (root / "notes").mkdir()
    (root / "notes" / "story.md").write_text(INCIDENT.format(story="Shared story."))
    (root / "incidents" / "2026-11-22-shared.md").symlink_to("../notes/story.md")
    built = run(root, "build", "--now", NOW)
    assert built.returncode == 0, built.stderr
    assert "Shared story." in (root / "site/incidents/2026-11-22-shared.html").read_text()


def test_an_unsafe_incident_keeps_the_previous_site(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo(root)
    assert run(root, "build", "--now", NOW).returncode == 0
    before = site_text(root / "site")
    (root / "incidents" / "2026-11-23-leak.md").symlink_to(outside(tmp_path))
    assert run(root, "build", "--now", LATER).returncode == 1
    assert site_text(root / "site") == before
    assert SECRET not in before


def test_an_incidents_folder_linked_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo(root)
    elsewhere = tmp_path / "elsewhere"
    (root / "incidents").rename(elsewhere)
    (root / "incidents").symlink_to(elsewhere)
    checked = run(root, "check")
    assert (checked.returncode, checked.stderr) == (
        1,
        "incidents/2026-11-22-api-outage.md: outside the repository, through a symlinked folder\n",
    )


# --- site_templates/ (item 15) -----------------------------------------------------------


def test_an_asset_linked_out_of_the_repository_is_not_published(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo(root)
    (own_templates(root) / "assets" / "passwd.txt").symlink_to(outside(tmp_path))
    built = run(root, "build", "--now", NOW)
    assert (built.returncode, built.stderr) == (
        1,
        "site_templates/assets/passwd.txt: a symlink to a file outside the repository\n",
    )
    assert not (root / "site").exists()


def test_every_refused_template_and_incident_is_listed_at_once(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo(root)
    folder = own_templates(root)
    (folder / "history.html").unlink()
    (folder / "history.html").symlink_to(outside(tmp_path))
    os.mkfifo(folder / "assets" / "pipe.css")
    (folder / "assets" / "linked").symlink_to(tmp_path)
    (root / "incidents" / "2026-11-23-zero.md").symlink_to("/dev/zero")
    built = run(root, "build", "--now", NOW, timeout=20)
    assert built.returncode == 1
    assert built.stderr.splitlines() == [
        "incidents/2026-11-23-zero.md: a symlink to a file outside the repository",
        "site_templates/assets/linked: a symlink to a folder outside the repository",
        "site_templates/assets/pipe.css: a FIFO, not a regular file",
        "site_templates/history.html: a symlink to a file outside the repository",
    ]


def test_a_template_symlinked_inside_the_repository_is_used(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo(root)
    folder = own_templates(root)
    (root / "shared").mkdir()
    (root / "shared" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (folder / "assets" / "logo.svg").symlink_to("../../shared/logo.svg")
    built = run(root, "build", "--now", NOW)
    assert built.returncode == 0, built.stderr
    assert (root / "site/assets/logo.svg").read_text().startswith("<svg")


# --- size and Markdown bounds (item 21) --------------------------------------------------


def test_an_incident_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo(root)
    story = "All good. " * (2 * 1024 * 1024 // 10)
    (root / "incidents" / "2026-11-23-long.md").write_text(INCIDENT.format(story=story))
    line = "incidents/2026-11-23-long.md: 2.0 MB is over the 256 KB limit for an incident file\n"
    checked = run(root, "check")
    assert (checked.returncode, checked.stderr) == (1, line)
    built = run(root, "build", "--now", NOW)
    assert (built.returncode, built.stderr) == (1, line)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "story",
    [
        "[" * 12_000 + "]" * 12_000,
        "[" * 200_000,
        "[a](" * 60_000,
        "a\n=\n" * 60_000,
        "- - -\n" * 40_000,
        "\\\\" * 120_000,
        "*_`[<&" * 40_000,
    ],
    ids=["nested-brackets", "open-brackets", "open-links", "setext", "rules", "escapes", "mixed"],
)
def test_pathological_markdown_builds_as_plain_text(tmp_path: Path, story: str) -> None:
    root = tmp_path / "repo"
    repo(root)
    (root / "incidents" / "2026-11-23-odd.md").write_text(INCIDENT.format(story=story))
    # Each of these took from 20 s to many minutes before; a few seconds is the aim.
    built = run(root, "build", "--now", NOW, timeout=60)
    assert built.returncode == 0, built.stderr
    assert built.stderr.splitlines()[:1] == [
        "incidents/2026-11-23-odd.md: too complex to render as Markdown in time; "
        "shown as plain text"
    ]
    page = (root / "site/incidents/2026-11-23-odd.html").read_text()
    assert '<div class="md story"><pre>' in page


def test_an_ordinary_long_story_still_renders_as_markdown(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo(root)
    paragraph = "We saw errors on the [API](https://api.example/status) and *retried*.\n\n"
    (root / "incidents" / "2026-11-23-long.md").write_text(
        INCIDENT.format(story=paragraph * 2500)  # 180 KB
    )
    built = run(root, "build", "--now", NOW, timeout=60)
    assert built.returncode == 0, built.stderr
    assert "too complex" not in built.stderr
    page = (root / "site/incidents/2026-11-23-long.html").read_text()
    assert page.count('<a href="https://api.example/status">API</a>') == 2500


# --- the build swap (item 20) ------------------------------------------------------------

# Runs a build that SIGKILLs itself at one step of writing the site.
KILLED = """\
import os, shutil, signal, sys
from pathlib import Path
from generator.site import build as site
from generator.cli import main

step = sys.argv.pop(1)
real_rename, real_rmtree, real_write = Path.rename, shutil.rmtree, Path.write_bytes
written = []

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def write_bytes(self, data):
    written.append(self)
    if len(written) == 5:
        die()
    return real_write(self, data)

def exchange_then_die(a, b):
    if real_exchange(a, b):
        die()
    raise SystemExit("no exchange here")

def rename(self, target):
    result = real_rename(self, target)
    if step == "between-renames" and Path(target).name.endswith(".old"):
        die()
    return result

def rmtree(path, *args, **kwargs):
    if step == "after-renames" and Path(path).name.endswith(".old"):
        die()
    return real_rmtree(path, *args, **kwargs)

real_exchange = site.exchange
if step == "writing":
    Path.write_bytes = write_bytes
elif step == "before-swap":
    site.swap = lambda *args: die()
elif step == "after-exchange":
    site.exchange = exchange_then_die
else:  # the two-rename fallback of systems without an exchange
    site.exchange = lambda a, b: False
    Path.rename = rename
    shutil.rmtree = rmtree
main(prog_name="upwatch")
"""


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def exchange_works(root: Path) -> bool:
    """Whether this file system swaps two folders in one step (else the fallback is used)."""
    a, b = root / ".probe-a", root / ".probe-b"
    a.mkdir()
    b.mkdir()
    try:
        return exchange(a, b)
    finally:
        a.rmdir()
        b.rmdir()


@pytest.fixture(scope="module")
def built_once(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A git repository with a built site; the files of that build and of the next one."""
    folder = tmp_path_factory.mktemp("built")
    root = folder / "repo"
    repo(root)
    shutil.copy(REPO_GITIGNORE, root / ".gitignore")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fixture")
    for when, out in ((NOW, "old"), (LATER, "new")):
        assert run(root, "build", "--now", when, "--out", str(folder / out)).returncode == 0
    assert run(root, "build", "--now", NOW).returncode == 0
    return root, files_of(folder / "old"), files_of(folder / "new")


@pytest.fixture
def built(
    built_once: tuple[Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A copy of that repository (git folder, site and all) for one test to change."""
    source, old, new = built_once
    root = tmp_path / "repo"
    shutil.copytree(source, root, symlinks=True)
    return root, old, new


@pytest.mark.parametrize("step", ["writing", "before-swap", "after-exchange", "after-renames"])
def test_a_build_killed_at_any_step_leaves_a_whole_site(
    built: tuple[Path, dict[str, bytes], dict[str, bytes]], step: str
) -> None:
    root, old, new = built
    if step == "after-exchange" and not exchange_works(root):
        pytest.skip("this file system cannot exchange two folders in one step")
    killed = run(root, step, "build", "--now", LATER, code=KILLED)
    assert killed.returncode == -9, killed.stderr
    assert files_of(root / "site") in (old, new)
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    again = run(root, "build", "--now", LATER)
    assert again.returncode == 0, again.stderr
    assert files_of(root / "site") == new
    assert sorted(p.name for p in root.iterdir()) == [
        ".git",
        ".gitignore",
        "data",
        "incidents",
        "site",
        "status.yml",
    ]


def test_a_build_killed_between_the_two_renames_is_put_back_by_the_next(
    built: tuple[Path, dict[str, bytes], dict[str, bytes]],
) -> None:
    root, old, new = built
    killed = run(root, "between-renames", "build", "--now", LATER, code=KILLED)
    assert killed.returncode == -9, killed.stderr
    # Without an exchange there is an instant with no site/: the old one waits beside it.
    assert files_of(root / ".upwatch-tmp" / "site.old") == old
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    again = run(root, "build", "--now", LATER)
    assert again.returncode == 0, again.stderr
    assert "site: put back the site an interrupted build had moved aside" in again.stderr
    assert files_of(root / "site") == new
    assert not (root / ".upwatch-tmp").exists()


def test_a_failed_build_after_a_kill_still_puts_the_old_site_back(
    built: tuple[Path, dict[str, bytes], dict[str, bytes]],
) -> None:
    root, old, _ = built
    assert run(root, "between-renames", "build", "--now", LATER, code=KILLED).returncode == -9
    (root / "incidents" / "2026-11-23-broken.md").write_text("no front matter\n")
    assert run(root, "build", "--now", LATER).returncode == 1
    assert files_of(root / "site") == old


def test_folders_left_by_earlier_versions_are_removed(
    built: tuple[Path, dict[str, bytes], dict[str, bytes]],
) -> None:
    root, _, new = built
    for name in (".site-k2j_9x0a", ".site-old-123456789"):
        (root / name).mkdir()
        (root / name / "index.html").write_text("half a site")
    (root / ".site-notes").mkdir()  # not a name upwatch ever used: kept
    assert run(root, "build", "--now", LATER).returncode == 0
    assert sorted(p.name for p in root.glob(".site*")) == [".site-notes"]
    assert files_of(root / "site") == new


def test_a_build_elsewhere_leaves_nothing_beside_its_output(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo(root)
    public = tmp_path / "public"
    assert run(root, "build", "--now", NOW, "--out", str(public)).returncode == 0
    assert run(root, "build", "--now", LATER, "--out", str(public)).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "repo"]
