"""The command line: the only code that prints and exits."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from nbpress import __version__
from nbpress.config import EXECUTE_MODES, Settings, load_settings
from nbpress.errors import Diagnostic, NbpressError, SettingsError


def _report(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        colour = "yellow" if diagnostic.severity == "warning" else "red"
        click.secho(str(diagnostic), fg=colour, err=True)


class ExecutionProgress:
    """Which notebooks run (and where) and which ended: a live line on a terminal, plain lines elsewhere."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.running: dict[str, str] = {}  # source -> the Dask worker running it ("" on this machine)
        self.counts = {"executed": 0, "cached": 0, "failed": 0}
        self.workers: dict[str, str] = {}  # source -> the Dask worker that ran it

    def __call__(self, source: str, status: str, seconds: float, where: str = "") -> None:
        if status == "queued":
            return
        if status == "running":
            self.running[source] = where
        else:
            self.running.pop(source, None)
            self.counts[status] = self.counts.get(status, 0) + 1
            if where:
                self.workers[source] = where
        on = f" on {where}" if where else ""
        said = f"{status:>8} {source}" + (f" ({seconds:.1f} s{on})" if seconds else on)
        if self.live:
            names = ", ".join(Path(s).name + (f"@{w}" if w else "") for s, w in sorted(self.running.items())) or "-"
            line = (f"running: {names} | executed {self.counts['executed']}, cached {self.counts['cached']}, "
                    f"failed {self.counts['failed']}")
            width = shutil.get_terminal_size().columns - 1
            click.echo("\r\x1b[K" + line[:width], nl=False, err=True)
            if status != "running":
                click.echo("\r\x1b[K", nl=False, err=True)
                click.echo(said, err=True)
        else:
            click.echo(said, err=True)

    def cluster(self) -> str:
        """How many notebooks ran on a Dask cluster, for the summary line ("" when none did)."""
        if not self.workers:
            return ""
        workers = len(set(self.workers.values()))
        return f"; {len(self.workers)} ran on the Dask cluster ({workers} worker{'s' * (workers != 1)})"

    def done(self) -> None:
        if self.live:
            click.echo("\r\x1b[K", nl=False, err=True)


class Interrupted(BaseException):
    """SIGINT or SIGTERM during a build; not an Exception, so that nothing on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM unwind the build, which stops every kernel (SIGTERM would end it on the spot)."""
    previous = {number: signal.signal(number, _interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _settings(site: str, **overrides: Any) -> Settings:
    settings, warnings = load_settings(site, overrides)
    _report(warnings)
    return settings


def _checked_executor(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Checked here, so that a bad value names the option or the environment variable it came from."""
    from nbpress.config import validate

    try:
        validate({"executor": value} if value is not None else {})
    except SettingsError as exc:
        raise click.BadParameter(exc.diagnostics[0].message.removeprefix("setting 'executor' ")) from None
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="nbpress")
def cli() -> None:
    """Publish Jupyter notebooks, jupytext notebooks and Markdown posts as a static site."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(name)s: %(message)s")
    if os.environ.get("NBPRESS_DEBUG"):  # stage timings
        logging.getLogger("nbpress").setLevel(logging.DEBUG)
    else:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_not_dask)


def _not_dask(record: logging.LogRecord) -> bool:
    """The Dask client logs a lost scheduler with tracebacks; the build's errors say what it means instead."""
    return not record.name.startswith(("distributed.", "tornado."))


@cli.command()
@click.option("--site", default=".", show_default=True, type=click.Path(file_okay=False), help="The site folder.")
@click.option("--output", default=None, help="Where to write the site (default: output/ in the site).")
@click.option("--execute", type=click.Choice(EXECUTE_MODES), default=None,
              help="Which notebooks to run. auto (default): only notebooks never run (jupytext text notebooks, "
                   ".ipynb saved without outputs); one holding any output or execution count is published as "
                   "saved. cache: every notebook, through the cache. force: every notebook, afresh. off: none.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Notebooks run at once (default: cores; on a Dask cluster, as many as it has room for).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds a cell may run.")
@click.option("--executor", default=None, envvar="NBPRESS_EXECUTOR", show_envvar=True, metavar="local|ADDRESS",
              callback=_checked_executor,
              help="Where notebooks run: this machine (local), or the Dask scheduler at ADDRESS "
                   "(dask://HOST:8786, tls://HOST:8786).")
@click.option("--drafts", is_flag=True, default=None, help="Include drafts.")
@click.option("--base-url", default=None, help="Path or URL the site is served under, e.g. /repo/.")
@click.option("--site-url", default=None, help="The site's address, e.g. https://user.github.io/repo/.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--no-wait", is_flag=True, help="Fail (exit 2) instead of waiting when another build writes the site.")
def build(site: str, output: str | None, execute: str | None, jobs: int | None, timeout: float | None,
          executor: str | None, drafts: bool | None, base_url: str | None, site_url: str | None,
          strict: bool, no_wait: bool) -> None:
    """Build the site into the output folder."""
    from nbpress.build import build as run_build

    settings = _settings(site, execute=execute, jobs=jobs, timeout=timeout, executor=executor, drafts=drafts,
                         base_url=base_url, site_url=site_url)
    if output is not None:
        from nbpress.config import replace

        settings = replace(settings, output_dir=str(Path(output).resolve()))
    progress = ExecutionProgress()
    try:
        with _interruptible():
            result = run_build(settings, progress=progress, strict=strict, wait=not no_wait,
                               waiting=lambda message: click.echo(message + " ...", err=True))
    finally:
        progress.done()
    for note in result.notes:
        click.echo(note, err=True)
    _report(result.warnings)
    ran = result.executed
    if ran and ran["executed"] + ran["cached"] + ran["failed"]:
        click.echo(f"notebooks: executed {ran['executed']:g}, from cache {ran['cached']:g}, failed {ran['failed']:g}, "
                   f"in {ran['seconds']:.1f} s{progress.cluster()}")
    where = _shown(settings.output_path)
    if result.unchanged:
        click.echo(f"nothing changed: {where} is up to date ({result.seconds:.2f} s)")
    else:
        click.echo(f"built {result.pages} pages, {result.rendered} rendered, {result.written} files written "
                   f"to {where} in {result.seconds:.2f} s")


@cli.command()
@click.option("--site", default=".", show_default=True, type=click.Path(file_okay=False), help="The site folder.")
@click.option("--cache", is_flag=True, help="Also remove the executed-notebook cache.")
def clean(site: str, cache: bool) -> None:
    """Remove the output folder (and with --cache, .nbpress/)."""
    settings = _settings(site)
    from nbpress.build import clean as run_clean

    for target in run_clean(settings, cache=cache):
        click.echo(f"removed {_shown(target)}")


@cli.command()
@click.option("--site", default=".", show_default=True, type=click.Path(file_okay=False), help="The site folder.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every network).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option("--execute", type=click.Choice(EXECUTE_MODES), default=None,
              help="Which notebooks to run (as for build; auto: only notebooks saved without outputs).")
@click.option("--drafts", is_flag=True, default=None, help="Include drafts.")
def serve(site: str, host: str, port: int, execute: str | None, drafts: bool | None) -> None:
    """Serve the site, rebuild what a change affects and reload the browser."""
    from nbpress.serve import ServeEvent
    from nbpress.serve import serve as run_serve

    overrides = {"execute": execute, "drafts": drafts}
    settings = _settings(site, **overrides)
    progress = ExecutionProgress()
    told: list[Diagnostic] = []

    def report(event: ServeEvent) -> None:
        if event.kind == "serving":
            click.echo(f"serving {event.url} — Ctrl+C to stop")
            return
        if event.kind == "building":
            return
        if event.kind == "waiting":
            click.echo(event.text + " ...", err=True)
            return
        progress.done()
        names = list(event.changed)
        changed = (", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "") + ": "
                   if names else "")
        if event.kind == "crashed":
            click.echo(event.text, err=True, nl=False)
            click.secho(f"{changed}nbpress failed with a bug (traceback above); still serving the last good site",
                        fg="red", err=True)
        elif event.kind == "failed":
            _report(list(event.diagnostics))
            click.secho(f"{changed}build failed: {len(event.diagnostics)} error(s); still serving the last good site",
                        fg="red", err=True)
        elif event.result is not None:
            result = event.result
            for note in result.notes:
                click.echo(note, err=True)
            _report(list(event.diagnostics) + [w for w in result.warnings if w not in told])
            told[:] = result.warnings  # a warning is said again only after a build without it
            ran = result.executed
            if ran and ran["executed"] + ran["failed"]:
                click.echo(f"notebooks: executed {ran['executed']:g}, from cache {ran['cached']:g}, "
                           f"failed {ran['failed']:g}, in {ran['seconds']:.1f} s")
            if result.unchanged:
                click.echo(f"{changed}nothing to rebuild ({result.seconds:.2f} s)")
            else:
                click.echo(f"{changed}built {result.pages} pages, {result.rendered} rendered, {result.written} files "
                           f"written in {result.seconds:.2f} s")

    def running(source: str, status: str, seconds: float, where: str = "") -> None:
        if status != "cached":  # every rebuild takes the unchanged notebooks from the cache: not news
            progress(source, status, seconds, where)

    run_serve(settings, host=host, port=port, report=report, overrides=overrides, progress=running)
    progress.done()
    click.echo("stopped")


_PUBLISH = {
    "github": "To publish it, push it to GitHub and choose Settings > Pages > Source: GitHub Actions.",
    "gitlab": "To publish it, push it to GitLab: .gitlab-ci.yml builds it and GitLab Pages serves it.",
    "none": "To publish it, copy output/ to any web server (nbpress build --base-url /path/ for a sub-folder).",
}


@cli.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Also write into a folder that has files (existing files are kept).")
@click.option("--ci", type=click.Choice(["github", "gitlab", "none"]), default="github", show_default=True,
              help="The workflow that publishes the site: GitHub Pages, GitLab Pages, or none.")
def init(folder: str, force: bool, ci: str) -> None:
    """Make a new site in FOLDER: settings, a post, a notebook and a workflow that publishes it."""
    import shlex
    from typing import cast

    from nbpress.scaffold import CiKind, init_site, is_release, requirement

    written = init_site(folder, force=force, ci=cast("CiKind", ci))
    root = Path(folder)
    for item in written:
        click.echo(f"{item.status:>8} {_shown(root / item.path)}")
    go = "" if root.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(folder)} && "
    steps = [(f"{go}nbpress serve", "preview it; saving a post rebuilds it"),
             ('nbpress new "My first post"', "write a post (--notebook, --py for a notebook)")]
    width = max(len(command) for command, _ in steps)
    where = "this folder" if not go else _shown(root.resolve())
    if not any(item.status == "created" for item in written):
        click.echo(f"nothing to add: the site's files are already in {where}")
        return
    click.echo(f"\nA new nbpress site in {where}. Next:")
    for command, what in steps:
        click.echo(f"  {command:<{width}}   {what}")
    click.echo(_PUBLISH[ci])
    if ci != "none" and not is_release(__version__):
        click.secho(f"warning: nbpress {__version__} is a development version that no package index has; "
                    f"the workflow installs {requirement()}: pin a released version before you push",
                    fg="yellow", err=True)


@cli.command()
@click.argument("title")
@click.option("--markdown", "kind", flag_value="markdown", default=True, help="A Markdown post, .md (the default).")
@click.option("--notebook", "kind", flag_value="notebook", help="A Jupyter notebook, .ipynb.")
@click.option("--py", "kind", flag_value="py", help="A jupytext percent script, .py.")
@click.option("--category", default=None, metavar="NAME", help="The post's category.")
@click.option("--site", default=".", show_default=True, type=click.Path(file_okay=False), help="The site folder.")
def new(title: str, kind: str, category: str | None, site: str) -> None:
    """Start a post called TITLE in notebooks/, its front matter filled in."""
    from typing import cast

    from nbpress.scaffold import PostKind, new_post

    path = new_post(_settings(site), title, cast("PostKind", kind), category)
    click.echo(f"created {_shown(path)}")


@cli.command()
@click.option("--site", default=".", show_default=True, type=click.Path(file_okay=False), help="The site folder.")
@click.option("--output", default=None, help="The built site to check (default: output/ in the site).")
@click.option("--base-url", default=None,
              help="The base_url the site was built with (default: what the build recorded).")
def check(site: str, output: str | None, base_url: str | None) -> None:
    """Check the built site offline: links, anchors, images, scripts, titles, feeds."""
    from nbpress.check import check_site, html_files
    from nbpress.output.guard import read_marker

    settings = _settings(site)
    folder = Path(output).resolve() if output is not None else settings.output_path
    if not folder.is_dir():
        # click.ClickException, not NbpressError: main() adds "build failed ... previous output" to the latter.
        raise click.ClickException(f"no built site at {_shown(folder)}/: run nbpress build first")
    built = read_marker(folder) or {}
    recorded = built.get("base_url") if isinstance(built.get("base_url"), str) else None
    problems = check_site(folder, base_url or recorded or settings.base_url)
    _report(problems)
    pages = len(html_files(folder))
    summary = f"checked {pages} page{'s' * (pages != 1)}: {len(problems)} problem{'s' * (len(problems) != 1)}"
    if any(p.severity == "error" for p in problems):
        raise click.ClickException(summary)  # exit status 1; warnings alone pass
    click.echo(summary)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(path)


def main() -> None:
    """Entry point: content errors exit 1, bad usage or settings exit 2, no tracebacks for either."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except NbpressError as exc:
        _report(exc.diagnostics)
        if exc.exit_code == 1:
            click.secho(f"build failed: {len(exc.diagnostics)} error(s); the previous output was left as it was",
                        fg="red", err=True)
        sys.exit(exc.exit_code)
    except Interrupted as exc:
        name = signal.Signals(exc.signum).name
        click.secho(f"build interrupted ({name}): every notebook was stopped; the previous output was left as it was",
                    fg="red", err=True)
        sys.exit(128 + exc.signum)  # the shell's convention: 130 for SIGINT, 143 for SIGTERM
    except KeyboardInterrupt:
        sys.exit(130)
