"""The ``playbook`` command line: a thin face over load → model → check.

Exit codes: 0 clean (or findings below ``--fail-on``), 1 findings at or above ``--fail-on``,
2 usage or configuration errors.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from . import __version__
from .check import run_check
from .config import CONFIG_NAME, ConfigError, find_config, load_config
from .findings import Severity
from .output import text_lines, to_json
from .playbook import DEFINITIONS_DIR, PERSONA_DIR
from .rules import AREA_TITLES, AREAS, RULES, by_name_or_code


class UsageFailure(click.ClickException):
    exit_code = 2


def locate_playbook(path: str | None) -> tuple[Path, Path | None, str | None]:
    """(playbook root, config file or None, the part of the playbook to report on or None)."""
    target = Path(path or ".")
    if not target.exists():
        raise UsageFailure(f"{target}: no such file or folder.")
    target = target.resolve()
    config = find_config(target)
    if config is not None:
        root = config.parent
    else:
        root = target if target.is_dir() else target.parent
    if not any((root / d).is_dir() for d in (PERSONA_DIR, DEFINITIONS_DIR)):
        raise UsageFailure(f"No playbook found in {root}: expected a {PERSONA_DIR}/ or "
                           f"{DEFINITIONS_DIR}/ folder, or a {CONFIG_NAME} above it.")
    scope = None
    if target != root:
        try:
            scope = target.relative_to(root).as_posix()
        except ValueError:
            scope = None
    return root, config, scope


def _config(config_file: Path | None):
    try:
        return load_config(config_file)
    except ConfigError as exc:
        raise UsageFailure(f"Configuration error: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="playbook")
def main():
    """Keep the sales & marketing playbook as YAML, check it, and publish it."""


@main.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to show findings.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error",
              show_default=True, help="Exit 1 when a finding reaches this severity.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"Use this configuration instead of the nearest {CONFIG_NAME}.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check review dates as of this day (YYYY-MM-DD) instead of today.")
@click.option("--color/--no-color", default=None, help="Colour the output (default: on a terminal).")
def check(path, fmt, fail_on, config_file, today, color):
    """Check the playbook in PATH (default: the current folder) for inconsistencies.

    \b
    Example:
      playbook check
      playbook check personas/ --format json
    """
    root, found, scope = locate_playbook(path)
    cfg = _config(config_file or found)
    result = run_check(root, cfg, today.date() if today else None)
    if scope:
        result.findings = [f for f in result.findings
                           if f.location.path == scope or f.location.path.startswith(scope.rstrip("/") + "/")]
        result.counts = {"error": 0, "warning": 0}
        for f in result.findings:
            result.counts[f.severity.label] += 1
    if fmt == "json":
        click.echo(to_json(result))
    else:
        colour = sys.stdout.isatty() if color is None else color
        for line in text_lines(result, colour):
            click.echo(line, color=colour)
    threshold = {"error": Severity.ERROR, "warning": Severity.WARNING, "never": None}[fail_on]
    if threshold is not None and result.findings and result.worst() >= threshold:
        sys.exit(1)


def _report(result, colour: bool) -> None:
    for line in text_lines(result, colour):
        click.echo(line, color=colour)


@main.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to put the site (default: site/ in the playbook folder).")
@click.option("--strict", is_flag=True, help="Fail on broken links and Markdown warnings.")
@click.option("--allow-errors", is_flag=True, help="Build even when the check finds errors.")
@click.option("--engine", type=click.Choice(["mkdocs", "zensical"]), default="mkdocs", show_default=True,
              help="The site engine that turns the Markdown tree into HTML.")
@click.option("--markdown-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also keep a copy of the generated Markdown tree here.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Show review dates as of this day (YYYY-MM-DD).")
@click.option("--color/--no-color", default=None)
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

    from .site import SiteError, build_site
    started = time.perf_counter()
    root, found, _ = locate_playbook(path)
    cfg = _config(config_file or found)
    day = today.date() if today else dt.date.today()
    result = run_check(root, cfg, day)
    colour = sys.stdout.isatty() if color is None else color
    if result.findings:
        _report(result, colour)
    if result.counts.get("error") and not allow_errors:
        click.echo("The site was not built: fix the errors above, or build anyway with --allow-errors.",
                   err=True)
        sys.exit(1)
    target = site_dir or (root / "site")
    try:
        built = build_site(result.playbook, cfg, target, day, strict=strict, engine=engine,
                           keep_docs=markdown_dir)
    except SiteError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for line in built.output.splitlines():
        if line.startswith("WARNING"):
            click.echo(line, err=True)
    click.echo(f"Built {built.pages} pages into {built.site} in {time.perf_counter() - started:.1f} s.")


@main.command()
@click.argument("path", required=False, type=click.Path())
@click.option("-a", "--dev-addr", default="127.0.0.1:8000", show_default=True,
              help="Address and port to serve on.")
@click.option("--engine", type=click.Choice(["mkdocs", "zensical"]), default="mkdocs", show_default=True)
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def serve(path, dev_addr, engine, config_file):
    """Preview the site locally; editing any YAML, template or page refreshes the browser.

    \b
    Example:
      playbook serve
      playbook serve -a 0.0.0.0:8080
    """
    from .site import serve as serve_site
    root, found, _ = locate_playbook(path)

    def load():
        cfg = _config(config_file or found)
        today = dt.date.today()
        result = run_check(root, cfg, today)
        return result.playbook, cfg, result, today

    sys.exit(serve_site(root, load, dev_addr, engine, echo=click.echo))


def _git_failure(exc) -> UsageFailure:
    return UsageFailure(str(exc))


@main.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@click.option("--path", "path", type=click.Path(), default=None,
              help="The playbook folder (default: the current folder).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
@click.option("--fail-on", type=click.Choice(["breaking", "warning", "info", "never"]), default="never",
              show_default=True, help="Exit 1 when an impact reaches this grade.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def diff(base, head, path, fmt, fail_on, config_file):
    """Compare two states of the playbook by meaning, not by line.

    BASE and HEAD are git refs; HEAD defaults to the working tree, BASE to the merge base of
    the main branch and HEAD.

    \b
    Example:
      playbook diff                      # this branch against main
      playbook diff v2026.3 v2026.4 --format markdown
    """
    from . import diff as semantic
    from .gitrefs import GitError, checkout_copy, default_branch, merge_base, repo_root, resolve, short
    from .playbook import build as build_playbook
    root, found, _ = locate_playbook(path)
    cfg = _config(config_file or found)
    try:
        repo = repo_root(root)
        sub = root.resolve().relative_to(repo.resolve()).as_posix()
        if base is None:
            main_branch = default_branch(repo)
            base_commit = merge_base(repo, main_branch, "HEAD")
            base_label = f"{main_branch} ({short(repo, base_commit)})"
        else:
            base_commit = resolve(repo, base)
            base_label = f"{base} ({short(repo, base_commit)})"
        head_commit = resolve(repo, head) if head else None
        head_label = f"{head} ({short(repo, head_commit)})" if head else "working tree"
        with checkout_copy(repo, base_commit, sub) as base_dir:
            old = build_playbook(base_dir, cfg.max_file_bytes)
        if head_commit:
            with checkout_copy(repo, head_commit, sub) as head_dir:
                new = build_playbook(head_dir, cfg.max_file_bytes)
        else:
            new = build_playbook(root, cfg.max_file_bytes)
    except GitError as exc:
        raise _git_failure(exc) from None
    result = semantic.diff_playbooks(old, new, base_label, head_label, cfg.diff_grades)
    render = {"text": semantic.to_text, "markdown": semantic.to_markdown, "json": semantic.to_json}[fmt]
    click.echo(render(result), nl=False)
    if fail_on != "never" and result.worst() >= semantic.GRADE_RANK[fail_on]:
        sys.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt):
    """List every rule: code, name, default severity and what it flags."""
    if fmt == "json":
        import json
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.label,
                                "area": r.area, "summary": r.summary} for r in RULES.values()], indent=2))
        return
    for area in AREAS:
        members = [r for r in RULES.values() if r.area == area]
        if not members:
            continue
        click.echo(AREA_TITLES[area])
        for r in members:
            click.echo(f"  {r.code}  {r.name:<32} {r.severity.label:<8} {r.summary}")
        click.echo("")


@main.command()
@click.argument("code")
def rule(code):
    """Explain one rule (by code or name) with its failing and passing example."""
    r = by_name_or_code(code)
    if r is None:
        raise UsageFailure(f'"{code}" is not a rule; "playbook rules" lists them all.')
    click.echo(f"{r.code} {r.name} ({r.severity.label} by default)")
    click.echo("")
    click.echo(r.summary)
    click.echo("")
    click.echo(r.explanation)
    for title, example in (("Fails:", r.fail), ("Passes:", r.ok)):
        if example:
            click.echo("")
            click.echo(title)
            for line in example.splitlines():
                click.echo("    " + line)


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def schema(folder):
    """Write a JSON Schema per playbook file kind into FOLDER (default: ./schemas).

    Editors that speak the YAML language server validate and autocomplete a file whose first
    line is "# yaml-language-server: $schema=../schemas/<kind>.schema.json".
    """
    from .schema import write_schemas
    folder = folder or Path("schemas")
    for path in write_schemas(folder):
        click.echo(str(path))


if __name__ == "__main__":  # pragma: no cover
    main()
