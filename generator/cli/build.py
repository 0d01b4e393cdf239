"""``playbook build`` and ``playbook serve``: the playbook's site, built or previewed."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ..check import run_check
from ..output import text_lines
from ..workspace import UsageFailure, locate_playbook, read_settings
from .options import color_option, config_option, engine_option, playbook_path, today_option


def published_history(root: Path, cfg, playbook):
    """What changed between published versions, and since the newest; None outside git."""
    from ..gitrefs import GitError, repo_root
    from ..publish import settings
    from ..versions import UNRELEASED, history, published
    try:
        repo = repo_root(root)
        versions = published(repo, settings(cfg, None, None)[0])
        if not versions:
            return None
        sub = root.resolve().relative_to(repo.resolve()).as_posix()
        return history(repo, sub, versions, playbook, UNRELEASED, cfg.max_file_bytes, cfg.diff_grades)
    except (GitError, ValueError):
        return None


def _report(result, colour: bool) -> None:
    for line in text_lines(result, colour):
        click.echo(line, color=colour)


@click.command()
@playbook_path
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to put the site (default: site/ in the playbook folder).")
@click.option("--strict", is_flag=True, help="Fail on broken links and Markdown warnings.")
@click.option("--allow-errors", is_flag=True, help="Build even when the check finds errors.")
@engine_option("The site engine that turns the Markdown tree into HTML.")
@click.option("--markdown-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also keep a copy of the generated Markdown tree here.")
@config_option
@today_option("Show review dates as of this day (YYYY-MM-DD).")
@color_option()
def build(path, site_dir, strict, allow_errors, engine, markdown_dir, config_file, today, color):
    """Check the playbook, then build its site (default: into site/).

    The site is built in a temporary folder and replaces the previous one only when the build
    succeeds. Check errors stop the build unless --allow-errors is given.

    \b
    Example:
      playbook build
      playbook build --strict --site-dir public
    """
    import time

    from ..outdir import OutputRefused, check_target
    from ..site import EngineConfigError, SiteError, build_site
    started = time.perf_counter()
    root, found, _ = locate_playbook(path)
    cfg = read_settings(config_file or found)
    target = site_dir or (root / "site")
    try:  # refuse a folder playbook may not replace before doing any work
        check_target(target, root, "site folder")
        if markdown_dir is not None:
            check_target(markdown_dir, root, "Markdown folder")
    except OutputRefused as exc:
        raise UsageFailure(str(exc)) from None
    day = today or dt.date.today()
    result = run_check(root, cfg, day)
    colour = sys.stdout.isatty() if color is None else color
    if result.findings:
        _report(result, colour)
    if result.counts.get("error") and not allow_errors:
        click.echo("The site was not built: fix the errors above, or build anyway with --allow-errors.",
                   err=True)
        sys.exit(1)
    try:
        built = build_site(result.playbook, cfg, target, day, strict=strict, engine=engine,
                           keep_docs=markdown_dir, history=published_history(root, cfg, result.playbook))
    except (OutputRefused, EngineConfigError) as exc:
        raise UsageFailure(str(exc)) from None
    except SiteError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for line in built.output.splitlines():
        if line.startswith("WARNING"):
            click.echo(line, err=True)
    click.echo(f"Built {built.pages} pages into {built.site} in {time.perf_counter() - started:.1f} s.")


@click.command()
@playbook_path
@click.option("-a", "--dev-addr", default="127.0.0.1:8000", show_default=True,
              help="Address and port to serve on.")
@engine_option("The site engine that serves the preview.")
@config_option
def serve(path, dev_addr, engine, config_file):
    """Preview the site locally; editing any YAML, template or page refreshes the browser.

    \b
    Example:
      playbook serve
      playbook serve -a 0.0.0.0:8080
    """
    from ..site import address_problem
    from ..site import serve as serve_site
    root, found, _ = locate_playbook(path)
    problem = address_problem(dev_addr)
    if problem:
        raise UsageFailure(problem)

    def load():
        cfg = read_settings(config_file or found)
        today = dt.date.today()
        result = run_check(root, cfg, today)
        return result.playbook, cfg, result, today

    sys.exit(serve_site(root, load, dev_addr, engine, echo=click.echo))
