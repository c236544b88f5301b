"""The `upwatch` command line: thin wiring from flags to the stage modules."""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .config.read import Config, Masker, load_config, resolve_secrets
from .config.secrets import with_channels
from .errors import (
    Annotations,
    ConfigError,
    UpwatchError,
    UsageError,
    display_path,
    in_github_actions,
)
from .times import parse_time

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("upwatch")


class When(click.ParamType):  # type: ignore[type-arg]
    """An ISO 8601 time with Z or an offset."""

    name = "time"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_time(str(value))
        except ValueError as exc:
            self.fail(f"{value!r} is not an ISO 8601 time with Z or an offset ({exc})", param, ctx)


WHEN = When()

# A full disk (or quota, or file size limit) is the machine's state, not a bug: one clean line.
DISK_FULL = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large",
}


class Command(click.Command):
    """A command whose stages may raise UsageError: shown as click's usage error, exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            if exc.flag is None:
                raise click.UsageError(exc.message, ctx=ctx) from None
            raise click.BadParameter(exc.message, ctx=ctx, param_hint=f"'{exc.flag}'") from None


class Upwatch(click.Group):
    """The `upwatch` group: a disk that fills up ends any command with one line, exit 1."""

    command_class = Command
    group_class = type  # `upwatch incident` is an Upwatch group too
    leave_fast = False  # set by a command whose process has nothing left to do but exit

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        """Run the command line. A build run as its own process (no `args` given: not a test
        runner's or another program's call) then leaves at once, as mypy does: everything is
        written and flushed, and freeing its millions of objects one by one would add 4 % to it."""
        try:
            return super().main(args, *rest, **extra)
        except SystemExit as exc:
            if args is None and self.leave_fast and exc.code in (0, None):
                logging.shutdown()
                with contextlib.suppress(OSError, ValueError):  # a closed pipe: leave the usual
                    sys.stdout.flush()  # way, which says so (exit 120)
                    sys.stderr.flush()
                    os._exit(0)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno not in DISK_FULL:
                raise
            raise UpwatchError(_masker(ctx)(disk_full(exc))) from None


def disk_full(exc: OSError) -> str:
    """`no space left on device while writing data/2026-12-01.csv`."""
    reason = DISK_FULL[exc.errno or 0]
    if exc.filename is None:
        return reason
    return f"{reason} while writing {display_path(Path(os.fsdecode(exc.filename)))}"


def _load(config_path: Path) -> Config:
    """Load status.yml, and keep it for the error handler (which masks its secrets)."""
    config = load_config(config_path)
    click.get_current_context().find_root().ensure_object(dict)["config"] = config
    return config


def _masker(ctx: click.Context) -> Masker:
    """A masker for the secrets this environment sets (build and compact may run without them)."""
    config = ctx.ensure_object(dict).get("config")
    if config is None:
        return Masker()
    names = {n for m in config.monitors for n in m.secret_names if n in os.environ}
    usable = [m for m in config.monitors if set(m.secret_names) <= names]
    try:
        masker = resolve_secrets(usable, config.path)[1]
    except ConfigError:  # a value the probe would refuse: mask it as it stands
        masker = Masker(os.environ[n] for n in names)
    return with_channels(masker, config.notify)  # notification URLs are secrets too


def _set_verbosity(ctx: click.Context, _param: click.Parameter, value: int) -> int:
    """-v and -q may stand before or after the command name; the last seen wins."""
    if value:
        state = ctx.find_root().ensure_object(dict)
        state["verbosity"] = state.get("verbosity", 0) + value
        _configure_logging(state["verbosity"])
    return value


def _configure_logging(verbosity: int) -> None:
    level = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}[max(-1, min(1, verbosity))]
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level, force=True)
    if in_github_actions():  # located warnings show on their file in the run's annotations
        logging.getLogger().addHandler(Annotations())
    for noisy in ("httpx", "httpcore", "git", "asyncio", "markdown", "MARKDOWN"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def verbosity_options(f: F) -> F:
    """Add -v/--verbose and -q/--quiet."""
    f = click.option(
        "-v", "--verbose", count=True, expose_value=False, callback=_set_verbosity, help="Say more."
    )(f)
    f = click.option(
        "-q",
        "--quiet",
        count=True,
        expose_value=False,
        callback=lambda ctx, p, v: _set_verbosity(ctx, p, -v),
        help="Only warnings and errors.",
    )(f)
    return f


def config_option(f: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("status.yml"),
        show_default=True,
        help="The status.yml to use; data/, incidents/ and site/ sit beside it.",
    )(f)


def now_option(f: F) -> F:
    return click.option(
        "--now", type=WHEN, default=None, help="Act as if it were this time (ISO 8601)."
    )(f)


def _quiet() -> bool:
    """Whether -q was given: commands then print only their one-line result."""
    return bool(click.get_current_context().find_root().ensure_object(dict).get("verbosity", 0) < 0)


def _now(value: datetime | None) -> datetime:
    return (value or datetime.now(UTC)).replace(microsecond=0)


@click.group(cls=Upwatch, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="upwatch")
@verbosity_options
def main() -> None:
    """upwatch: a status page that lives in a git repository."""
    _configure_logging(click.get_current_context().ensure_object(dict).get("verbosity", 0))
    _tune_gc()


def _tune_gc() -> None:
    """Collect cycles less often: a command runs for seconds and makes millions of objects
    (rows, samples, page parts) that live to its end, which the default thresholds walk again
    and again (a tenth of a build). What the imports made is frozen out of every walk."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG, 50, 1000)


GC_YOUNG = 200_000  # allocations between young collections (Python's default: 700)


@main.command()
@config_option
@now_option
@click.option("--only", multiple=True, metavar="ID", help="Probe only these monitors (repeatable).")
@click.option("--shard", default=None, metavar="K/N", help="Probe the K-th of N stable slices.")
@click.option(
    "--commit", is_flag=True, help="Commit the samples and incident changes (one commit)."
)
@click.option("--push", is_flag=True, help="Push the commit; on refusal fetch, re-apply and retry.")
@verbosity_options
def probe(
    config_path: Path,
    now: datetime | None,
    only: tuple[str, ...],
    shard: str | None,
    commit: bool,
    push: bool,
) -> None:
    """Check monitors, append samples, open and resolve incidents."""
    from .commands.probe import probe as run_probe

    result = run_probe(_load(config_path), _now(now), only, shard, commit, push)
    lines = result.summary_lines()
    for line in lines[-1:] if _quiet() and not result.skipped else lines:
        click.echo(line)


@main.command()
@config_option
@click.option("--title", default=None, help="The page title (default: Status).")
@click.option("--force", is_flag=True, help="Overwrite a status.yml that is not the example.")
@click.argument("urls", nargs=-1, metavar="[URL]...")
@verbosity_options
def init(config_path: Path, title: str | None, force: bool, urls: tuple[str, ...]) -> None:
    """Write a fresh status.yml: one monitor per URL, or a commented skeleton."""
    from .commands.init import init as run_init

    for line in run_init(config_path, urls, title, force):
        click.echo(line)


@main.command()
@config_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: site/ beside the config).",
)
@now_option
@verbosity_options
def build(config_path: Path, out: Path | None, now: datetime | None) -> None:
    """Build the static site."""
    from .commands.build import build as run_build

    run_build(_load(config_path), out, _now(now))
    root = click.get_current_context().find_root().command
    if isinstance(root, Upwatch):
        root.leave_fast = True


@main.command()
@config_option
@verbosity_options
def check(config_path: Path) -> None:
    """Validate status.yml, every incident file and the files under data/.

    A data file no reader takes is an error (exit 1); a line the readers skip is a warning,
    since the page still builds without it.
    """
    from .commands.check import check as run_check
    from .commands.check import valid_text

    config = _load(config_path)
    problems = []
    if config.notify:  # each channel URL judged by apprise; nothing is sent
        from .commands.notify import check_channels

        problems = check_channels(config)
    try:
        count = run_check(config)
    except UpwatchError as exc:
        raise UpwatchError(problems + exc.problems) from None
    if problems:
        raise UpwatchError(problems)
    click.echo(valid_text(config_path, len(config.monitors), count))


@main.group()
@verbosity_options
def incident() -> None:
    """Write incident and maintenance files."""


@incident.command("new")
@click.argument("title")
@click.option(
    "--monitor", "monitors", multiple=True, metavar="ID", help="An affected monitor (repeatable)."
)
@click.option("--severity", type=click.Choice(["minor", "major", "critical"]), default=None)
@click.option(
    "--maintenance", is_flag=True, help="Write a maintenance window instead of an incident."
)
@click.option("--start", type=WHEN, default=None, help="Maintenance start (ISO 8601).")
@click.option("--end", type=WHEN, default=None, help="Maintenance end (ISO 8601).")
@config_option
@now_option
@verbosity_options
def incident_new(
    title: str,
    monitors: tuple[str, ...],
    severity: str | None,
    maintenance: bool,
    start: datetime | None,
    end: datetime | None,
    config_path: Path,
    now: datetime | None,
) -> None:
    """Open a new incident (or maintenance) file, ready to edit."""
    from .commands import incident as command

    window = command.maintenance_window(maintenance, start, end)
    path = command.new(_load(config_path), title, _now(now), monitors, severity, window)
    click.echo(str(path))


@main.group("import")
@verbosity_options
def import_group() -> None:
    """Move from another status page tool, history included."""


@import_group.command("upptime")
@click.argument("src", type=click.Path(file_okay=False, exists=True, path_type=Path))
@config_option
@click.option(
    "--issues",
    "issues_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Status issues exported with `gh issue list ... --json ...` (see README).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing status.yml.")
@verbosity_options
def import_upptime(src: Path, config_path: Path, issues_path: Path | None, force: bool) -> None:
    """Write status.yml, history and incidents from a clone of an Upptime repository."""
    from .commands.import_upptime import import_upptime as run_import

    for line in run_import(src, config_path, issues_path, force):
        click.echo(line)


@main.command()
@config_option
@click.option(
    "--since",
    default=None,
    metavar="REV",
    help="Tell of incident changes from this commit to HEAD (default: only retries and windows).",
)
@now_option
@verbosity_options
def notify(config_path: Path, since: str | None, now: datetime | None) -> None:
    """Send notifications for incident changes since REV, each once per channel."""
    from .commands.notify import notify as run_notify

    lines = run_notify(_load(config_path), since, _now(now)).summary_lines()
    click.echo(lines[-1])


@main.command()
@config_option
@click.option(
    "--keep-days",
    type=click.IntRange(min=2),
    default=14,
    show_default=True,
    help="Days kept as raw files.",
)
@now_option
@verbosity_options
def compact(config_path: Path, keep_days: int, now: datetime | None) -> None:
    """Roll old day files into rollups (git history keeps the originals)."""
    from .commands.compact import compact as run_compact

    run_compact(_load(config_path), keep_days, _now(now))


@main.command()
@config_option
@click.option("--month", default=None, metavar="YYYY-MM", help="Default: the last complete month.")
@now_option
@click.option(
    "--format", "fmt", type=click.Choice(["md", "json", "csv"]), default="md", show_default=True
)
@verbosity_options
def report(config_path: Path, month: str | None, now: datetime | None, fmt: str) -> None:
    """Print one month's reliability figures per monitor (for an SLA report)."""
    from .commands.report import report as run_report

    click.echo(run_report(_load(config_path), month, _now(now), fmt), nl=False)


@main.command()
@config_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@verbosity_options
def serve(config_path: Path, port: int) -> None:
    """Build, serve on 127.0.0.1 and rebuild on change."""
    from .commands.serve import serve as run_serve

    run_serve(load_config(config_path), port)


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to build (default: a temporary folder).",
)
@click.option("--no-serve", is_flag=True, help="Build and exit instead of serving.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@verbosity_options
def demo(out: Path | None, no_serve: bool, port: int) -> None:
    """A complete demo site on built-in data: no network, no config."""
    from .commands import demo as demo_mod

    demo_mod.run(out, serve=not no_serve, port=port)
