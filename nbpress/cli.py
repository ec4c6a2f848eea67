"""The command line: the only code that prints and exits."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from nbpress import __version__
from nbpress.config import EXECUTE_MODES, Settings, load_settings
from nbpress.errors import Diagnostic, NbpressError


def _report(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        colour = "yellow" if diagnostic.severity == "warning" else "red"
        click.secho(str(diagnostic), fg=colour, err=True)


def _settings(site: str, **overrides: Any) -> Settings:
    settings, warnings = load_settings(site, overrides)
    _report(warnings)
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="nbpress")
def cli() -> None:
    """Publish Jupyter notebooks, jupytext notebooks and Markdown posts as a static site."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")


@cli.command()
@click.option("--site", default=".", show_default=True, type=click.Path(file_okay=False), help="The site folder.")
@click.option("--output", default=None, help="Where to write the site (default: output/ in the site).")
@click.option("--execute", type=click.Choice(EXECUTE_MODES), default=None, help="Which notebooks to run.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Notebooks run at once (default: cores).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds a cell may run.")
@click.option("--drafts", is_flag=True, default=None, help="Include drafts.")
@click.option("--base-url", default=None, help="Path or URL the site is served under, e.g. /repo/.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def build(site: str, output: str | None, execute: str | None, jobs: int | None, timeout: float | None,
          drafts: bool | None, base_url: str | None, strict: bool) -> None:
    """Build the site into the output folder."""
    from nbpress.build import build as run_build

    settings = _settings(site, execute=execute, jobs=jobs, timeout=timeout, drafts=drafts, base_url=base_url)
    if output is not None:
        from nbpress.config import replace

        settings = replace(settings, output_dir=str(Path(output).resolve()))
    result = run_build(settings, strict=strict)
    _report(result.warnings)
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
    from nbpress.build import check_output

    check_output(settings)
    targets = [settings.output_path] + ([settings.state_path] if cache else [settings.state_path / "state"])
    for target in targets:
        if target.exists():
            shutil.rmtree(target)
            click.echo(f"removed {_shown(target)}")


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
    except KeyboardInterrupt:
        sys.exit(130)
