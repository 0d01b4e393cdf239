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
from .output import FORMATS, in_scope, render, text_lines
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


def _parse_outputs(ctx, param, values) -> list[tuple[str, Path]]:
    """``-o FORMAT=FILE`` values → [(format, path)], checked before the playbook is read."""
    outputs: list[tuple[str, Path]] = []
    seen: dict[Path, str] = {}
    for value in values:
        fmt, sep, file = value.partition("=")
        fmt = fmt.strip().lower()
        if not sep or not fmt or not file:
            raise click.BadParameter(f'"{value}" should be FORMAT=FILE, for example sarif=results.sarif.',
                                     ctx, param)
        if fmt not in FORMATS:
            raise click.BadParameter(f'"{fmt}" is not a format; choose from {", ".join(FORMATS)}.', ctx, param)
        path = Path(file)
        parent = path.parent if str(path.parent) else Path(".")
        if path.is_dir():
            raise click.BadParameter(f"{file}: is a folder; name a file to write the {fmt} report to.",
                                     ctx, param)
        if not parent.is_dir():
            raise click.BadParameter(f"{file}: the folder {parent} does not exist.", ctx, param)
        key = path.resolve()
        if key in seen:
            raise click.BadParameter(f"{file}: named twice (for {seen[key]} and {fmt}).", ctx, param)
        seen[key] = fmt
        outputs.append((fmt, path))
    return outputs


def _path_prefix(root: Path) -> str:
    """The playbook root relative to the current folder ("" when it is the current folder or
    outside it), so CI reports name files as the repository does."""
    try:
        rel = root.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return ""
    return "" if rel == Path(".") else rel.as_posix() + "/"


def _write_report(path: Path, text: str, what: str) -> None:
    try:
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageFailure(f"{path}: cannot write the {what}: {exc.strerror or exc}.") from None


def _changed_since(root: Path, cfg, ref: str, head):
    """Entities changed since ``ref`` (semantic diff) and files changed since it (git)."""
    from .diff import changed_scope
    from .gitrefs import GitError, checkout_copy, git, repo_root, resolve
    from .playbook import build as build_playbook
    try:
        repo = repo_root(root)
        commit = resolve(repo, ref)
        sub = root.resolve().relative_to(repo.resolve()).as_posix()
        with checkout_copy(repo, commit, sub) as folder:
            base = build_playbook(folder, cfg.max_file_bytes)
        entities, files = changed_scope(base, head)
        listed = git(repo, "diff", "--name-only", commit, "--").stdout.split("\n")
        listed += git(repo, "ls-files", "--others", "--exclude-standard").stdout.split("\n")
    except GitError as exc:
        raise UsageFailure(str(exc)) from None
    prefix = "" if sub == "." else sub.rstrip("/") + "/"
    files |= {name[len(prefix):] for name in listed if name and name.startswith(prefix)}
    return entities, files


@main.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="How to show findings on standard output.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="FORMAT=FILE", callback=_parse_outputs,
              help="Also write the findings in FORMAT to FILE; repeat for several files.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error",
              show_default=True, help="Exit 1 when a finding reaches this severity.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"Use this configuration instead of the nearest {CONFIG_NAME}.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check review dates as of this day (YYYY-MM-DD) instead of today.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path), default=None,
              help="Hide the findings recorded in this baseline file; report only new ones.")
@click.option("--generate-baseline", "generate_file", type=click.Path(path_type=Path), default=None,
              help="Record the current findings in this baseline file and exit 0.")
@click.option("--changed-since", "changed_since", default=None, metavar="REF",
              help="Report only findings in entities (and files) changed since this git ref.")
@click.option("--color/--no-color", default=None, help="Colour the output (default: on a terminal).")
def check(path, fmt, outputs, fail_on, config_file, today, baseline_file, generate_file, changed_since, color):
    """Check the playbook in PATH (default: the current folder) for inconsistencies.

    \b
    Formats: text, json, github (workflow annotations), sarif, junit,
    gitlab (code quality), markdown.

    \b
    Example:
      playbook check
      playbook check personas/ --format json
      playbook check --format github -o sarif=results.sarif -o junit=junit.xml
      playbook check --generate-baseline .playbook-baseline.json
      playbook check --baseline .playbook-baseline.json
      playbook check --changed-since origin/main
    """
    from .baseline import BaselineError, apply_baseline, load_baseline, write_baseline
    if baseline_file and generate_file:
        raise UsageFailure("--baseline and --generate-baseline cannot be used together; "
                           "--generate-baseline alone records every current finding.")
    if generate_file is not None:
        parent = generate_file.parent if str(generate_file.parent) else Path(".")
        if generate_file.is_dir() or not parent.is_dir():
            raise UsageFailure(f"{generate_file}: cannot write the baseline there "
                               f"({'it is a folder' if generate_file.is_dir() else 'no such folder'}).")
        if generate_file.exists() and not generate_file.is_file():
            raise UsageFailure(f"Baseline error: {generate_file} is not a regular file; name a file to "
                               "record the baseline in.")
    root, found, scope = locate_playbook(path)
    cfg = _config(config_file or found)
    accepted = None
    if baseline_file is not None:
        try:
            accepted = load_baseline(baseline_file)
        except BaselineError as exc:
            raise UsageFailure(f"Baseline error: {exc}") from None
    result = run_check(root, cfg, today.date() if today else None)
    if scope:
        result.findings = [f for f in result.findings if in_scope(f.location.path, scope)]
    if changed_since:
        entities, files = _changed_since(root, cfg, changed_since, result.playbook)
        result.findings = [f for f in result.findings
                           if (f.entity in entities if f.entity else f.location.path in files)]
    hidden = None
    if accepted is not None:
        result.findings, hidden = apply_baseline(result.findings, accepted)
    if scope or accepted is not None or changed_since:
        result.counts = {"error": 0, "warning": 0}
        for f in result.findings:
            result.counts[f.severity.label] += 1
    prefix = _path_prefix(root)
    for out_fmt, out_path in outputs:
        _write_report(out_path, render(out_fmt, result, prefix=prefix, hidden=hidden, scope=scope),
                      f"{out_fmt} report")
    if generate_file is not None:
        try:
            data = write_baseline(generate_file, result.findings)
        except BaselineError as exc:
            raise UsageFailure(f"Baseline error: {exc}") from None
        except OSError as exc:
            raise UsageFailure(f"{generate_file}: cannot write the baseline: {exc.strerror or exc}.") from None
        n = len(result.findings)
        click.echo(f"Recorded {n} finding{'' if n == 1 else 's'} ({len(data['findings'])} distinct) "
                   f"in the baseline {generate_file}.")
        return
    colour = (sys.stdout.isatty() if color is None else color) and fmt == "text"
    click.echo(render(fmt, result, colour=colour, prefix=prefix, hidden=hidden, scope=scope), color=colour)
    threshold = {"error": Severity.ERROR, "warning": Severity.WARNING, "never": None}[fail_on]
    if threshold is not None and result.findings and result.worst() >= threshold:
        sys.exit(1)


def _published_history(root: Path, cfg, playbook):
    """What changed between published versions, and since the newest; None outside git."""
    from .gitrefs import GitError, repo_root
    from .publish import settings
    from .versions import UNRELEASED, history, published
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


@main.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to put the site (default: site/ in the playbook folder).")
@click.option("--strict", is_flag=True, help="Fail on broken links and Markdown warnings.")
@click.option("--allow-errors", is_flag=True, help="Build even when the check finds errors.")
@click.option("--engine", type=click.Choice(["properdocs", "mkdocs", "zensical"]), default="properdocs",
              show_default=True, help="The site engine that turns the Markdown tree into HTML.")
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

    from .outdir import OutputRefused, check_target
    from .site import EngineConfigError, SiteError, build_site
    started = time.perf_counter()
    root, found, _ = locate_playbook(path)
    cfg = _config(config_file or found)
    target = site_dir or (root / "site")
    try:  # refuse a folder playbook may not replace before doing any work
        check_target(target, root, "site folder")
        if markdown_dir is not None:
            check_target(markdown_dir, root, "Markdown folder")
    except OutputRefused as exc:
        raise UsageFailure(str(exc)) from None
    day = today.date() if today else dt.date.today()
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
                           keep_docs=markdown_dir, history=_published_history(root, cfg, result.playbook))
    except (OutputRefused, EngineConfigError) as exc:
        raise UsageFailure(str(exc)) from None
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
@click.option("--engine", type=click.Choice(["properdocs", "mkdocs", "zensical"]), default="properdocs",
              show_default=True, help="The site engine that serves the preview.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def serve(path, dev_addr, engine, config_file):
    """Preview the site locally; editing any YAML, template or page refreshes the browser.

    \b
    Example:
      playbook serve
      playbook serve -a 0.0.0.0:8080
    """
    from .site import address_problem
    from .site import serve as serve_site
    root, found, _ = locate_playbook(path)
    problem = address_problem(dev_addr)
    if problem:
        raise UsageFailure(problem)

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
@click.option("--leads", "leads", type=click.Path(path_type=Path), default=None,
              help="Also score these lead records with both versions and count what moves.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Score the leads as of this day (default: today).")
@click.option("--map", "mappings", multiple=True, metavar="COLUMN=FIELD", help="As for `playbook score`.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def diff(base, head, path, fmt, fail_on, leads, as_of, mappings, config_file):
    """Compare two states of the playbook by meaning, not by line.

    BASE and HEAD are git refs; HEAD defaults to the working tree, BASE to the merge base of
    the main branch and HEAD. References are judged on the HEAD side: a removal is breaking
    only while something there still refers to it. A side with errors (a file that does not
    parse, an invalid entity) has its errors listed; what they hide is shown as unreadable,
    never as removed or added, and errors on the HEAD side are graded breaking.

    \b
    Example:
      playbook diff                      # this branch against main
      playbook diff v2026.3 v2026.4 --format markdown
      playbook diff --leads leads/sample-export.csv   # which real leads the change moves
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
    if leads is not None:
        from .scoring.run import LeadError, UsageError, parse_mapping
        if not leads.is_file():
            raise UsageFailure(f"{leads}: no such file.")
        try:
            mapping = parse_mapping(mappings)
        except ValueError as exc:
            raise UsageFailure(f"--map {exc}.") from None
        from .scoring.run import CRM_PRESETS
        mapping = {**(CRM_PRESETS[cfg.score_crm] if cfg.score_crm else {}), **cfg.score_map, **mapping}
        try:
            result.leads = semantic.lead_impact(old, new, leads, as_of.date() if as_of else dt.date.today(), mapping)
        except (UsageError, LeadError) as exc:
            raise UsageFailure(f"{leads}: {exc}.") from None
    render = {"text": semantic.to_text, "markdown": semantic.to_markdown, "json": semantic.to_json}[fmt]
    click.echo(render(result), nl=False)
    if fail_on != "never" and result.worst() >= semantic.GRADE_RANK[fail_on]:
        sys.exit(1)


@main.command()
@click.argument("version", required=False)
@click.option("--path", "path", type=click.Path(), default=None, help="The playbook folder.")
@click.option("--alias", "aliases", multiple=True, help="Also publish under this alias (e.g. latest).")
@click.option("--set-default", is_flag=True, help="Make this version the one the site opens on.")
@click.option("--branch", default=None, help="Branch to publish to (default: gh-pages, or publish.branch).")
@click.option("--remote", default=None, help="Remote to push to (default: origin).")
@click.option("--push", is_flag=True, help="Push the branch after publishing.")
@click.option("--force", is_flag=True, help="Replace a version that is already published.")
@click.option("--title", default=None, help="Title shown in the version selector.")
@click.option("--site-url", default=None, metavar="URL",
              help="The address the site is published at (default: site.url in playbook.yaml).")
@click.option("--allow-errors", is_flag=True)
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def publish(version, path, aliases, set_default, branch, remote, push, force, title, site_url, allow_errors,
            config_file, today):
    """Publish the site as VERSION (default: the version in playbook.yaml) with mike.

    The default version (--set-default) is also published as "latest"; every other version
    shows a banner linking to the same page there.

    \b
    Example:
      playbook publish 2026.4 --alias latest --set-default
      playbook publish --push
    """
    from .gitrefs import GitError
    from .publish import publish as do_publish
    from .site import SiteError
    root, found, _ = locate_playbook(path)
    cfg = _config(config_file or found)
    version = version or cfg.version
    if not version:
        raise UsageFailure("Give a version (playbook publish 2026.4) or set version: in playbook.yaml.")
    try:
        do_publish(root, cfg, version, list(aliases), set_default=set_default, branch=branch, remote=remote,
                   push=push, force=force, title=title, today=today.date() if today else None,
                   allow_errors=allow_errors, site_url=site_url, echo=click.echo)
    except GitError as exc:
        raise _git_failure(exc) from None
    except SiteError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@main.command()
@click.option("--path", "path", type=click.Path(), default=None, help="The playbook folder.")
@click.option("--branch", default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def versions(path, branch, fmt):
    """List the published versions, newest first."""
    import json

    from .gitrefs import GitError
    from .publish import list_versions
    root, found, _ = locate_playbook(path)
    cfg = _config(found)
    try:
        branch, items = list_versions(root, cfg, branch)
    except GitError as exc:
        raise _git_failure(exc) from None
    if fmt == "json":
        click.echo(json.dumps([{"version": v.version, "title": v.title, "aliases": v.aliases, "commit": v.commit}
                               for v in items], indent=2))
        return
    for v in items:
        aliases = f" [{', '.join(v.aliases)}]" if v.aliases else ""
        commit = f"  from {v.commit[:10]}" if v.commit else ""
        click.echo(f"{v.version}{aliases}{commit}")


@main.command()
@click.argument("leads", type=click.Path(path_type=Path))
@click.option("--path", "path", type=click.Path(), default=None, help="The playbook folder.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Score (and decay engagement) as of this day (default: today).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--map", "mappings", multiple=True, metavar="COLUMN=FIELD",
              help="Read the export's COLUMN as the playbook's FIELD (repeatable).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Write the scored leads to FILE, as CSV, JSON or Parquet by its extension "
                   "(.csv, .json, .parquet); the summary goes to the terminal.")
@click.option("--crm", type=click.Choice(["hubspot", "salesforce"]), default=None,
              help="Read the column names of this CRM's report exports (Record ID, Create Date ...); --map goes over them.")
@click.option("--memory-limit", "memory_limit", default=None, metavar="SIZE",
              help="At most this much memory for the engine (for example 1GB); beyond it, it spills to --temp-dir.")
@click.option("--temp-dir", "temp_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the engine spills when a file needs more memory than --memory-limit.")
def score(leads, path, as_of, fmt, mappings, config_file, output, crm, memory_limit, temp_dir):
    """Score lead records exported from a CRM with the playbook's definitions.

    For each lead: fit and engagement scores with the rules that contributed, the lifecycle
    stage its entry criteria reach, the matching persona (negative ones included), its red flags
    and, for a rejected lead, the nurture track it returns to. Then counts per stage and persona.
    Bad rows are reported with their row numbers and skipped (exit 1); good rows are scored.

    \b
    Example:
      playbook score leads/sample-export.csv
      playbook score export.csv --map "Record ID=id" --map "Monthly ad budget=monthly_ad_budget"
    """
    import json

    import duckdb

    from .scoring.outputs import CSV_COLUMNS, TABLE_HEADER, Summary, as_json, table_line
    from .scoring.run import (CRM_PRESETS, LeadError, Needs, UsageError, connect, counts, csv_lines, load_file,
                              parquet_file, parse_mapping, score_all, scored_rows)
    root, found, _ = locate_playbook(path)
    cfg = _config(config_file or found)
    if not leads.is_file():
        raise UsageFailure(f"{leads}: no such file.")
    try:
        mapping = parse_mapping(mappings)
    except ValueError as exc:
        raise UsageFailure(f"--map {exc}.") from None
    crm = crm or cfg.score_crm
    mapping = {**(CRM_PRESETS[crm] if crm else {}), **cfg.score_map, **mapping}
    shown = fmt  # what the terminal gets: the leads, or with --output only the summary
    if output is not None:
        kinds = {".csv": "csv", ".json": "json", ".parquet": "parquet"}
        if output.suffix.lower() not in kinds:
            raise UsageFailure(f"--output {output}: the name should end in .csv, .json or .parquet.")
        if output.resolve() == leads.resolve():
            raise UsageFailure(f"--output {output} is the file being scored; write the results elsewhere.")
        fmt, shown = kinds[output.suffix.lower()], "table"
    result = run_check(root, cfg, dt.date.today())
    if result.counts.get("error"):
        click.echo(f"Note: the playbook has {result.counts['error']} error(s); scores may not mean what the "
                   "team agreed. Run `playbook check`.", err=True)
    pb = result.playbook
    day = as_of.date() if as_of else dt.date.today()
    try:
        con = connect(memory_limit, str(temp_dir) if temp_dir else None, progress=sys.stdout.isatty())
    except Exception as exc:  # a size DuckDB cannot read, say
        raise UsageFailure(f"--memory-limit {memory_limit}: {str(exc).splitlines()[0]}") from None
    try:
        try:
            loaded = load_file(con, leads, mapping, Needs.of([pb], day))
        except UsageError as exc:
            raise UsageFailure(f"{leads}: {exc}.") from None
        except LeadError as exc:
            click.echo(f"{leads.name}: {exc}", err=True)
            sys.exit(1)
        except duckdb.OutOfMemoryException as exc:
            raise _out_of_memory(leads, memory_limit, exc) from None
        summary = Summary()
        errors = []
        for row, message in loaded.errors:
            summary.bad += 1
            click.echo(f"{leads.name}:row {row}: {message}", err=True)
            if len(errors) < 1000:
                errors.append({"row": row, "message": message})
        for row, note in loaded.notes:
            click.echo(f"{leads.name}:row {row}: {note}" if row else f"{leads.name}: {note}", err=True)
        out = sys.stdout
        if output is not None and fmt != "parquet":
            try:
                out = open(output, "w", encoding="utf-8", newline="")
            except OSError as exc:
                raise UsageFailure(f"--output {output}: {exc.strerror}.") from None
        try:
            score_all(loaded, pb, day)
        except duckdb.OutOfMemoryException as exc:
            raise _out_of_memory(leads, memory_limit, exc) from None
        if fmt == "parquet":
            pass
        elif fmt == "table":
            out.write(TABLE_HEADER + "\n")
        elif fmt == "csv":
            out.write(",".join(CSV_COLUMNS) + "\n")
        else:
            out.write('{"leads": [\n')
        if fmt == "parquet":
            parquet_file(loaded, output)
        elif fmt == "csv":
            for text in csv_lines(loaded):
                out.write(text)
        else:
            first = True
            parts: list[str] = []
            for scored in scored_rows(loaded, pb, day, lines=fmt == "json"):
                if fmt == "table":
                    parts.append(table_line(scored) + "\n")
                else:
                    parts.append(("" if first else ",\n") + json.dumps(as_json(scored), ensure_ascii=False))
                    first = False
                if len(parts) >= 10_000:
                    out.write("".join(parts))
                    parts.clear()
            out.write("".join(parts))
        summary.by_stage, summary.by_persona = counts(loaded)
        summary.scored = sum(summary.by_stage.values())
    finally:
        con.close()
    data = summary.as_dict([s.id for s in pb.stages])
    if fmt == "json":
        out.write('\n], "summary": ' + json.dumps(data, ensure_ascii=False) + ', "errors": '
                  + json.dumps(errors, ensure_ascii=False) + "}\n")
    if out is not sys.stdout:
        out.close()
        out = sys.stdout
    if shown != "json":
        target = sys.stdout if shown == "table" else sys.stderr
        print("", file=target)
        print(f"Scored {data['scored']} lead(s)" + (f"; {data['bad_rows']} bad row(s) skipped" if data["bad_rows"] else "")
              + f" as of {day}.", file=target)
        print("By stage:   " + ", ".join(f"{k} {v}" for k, v in data["by_stage"].items()), file=target)
        print("By persona: " + ", ".join(f"{k} {v}" for k, v in data["by_persona"].items()), file=target)
    out.flush()
    if summary.bad:
        sys.exit(1)


def _out_of_memory(leads: Path, memory_limit: str | None, exc: Exception) -> click.ClickException:
    """A file too large for the memory the engine may use: say so, and what to change."""
    click.echo(f"{leads.name}: scoring needs more memory than "
               + (f"--memory-limit {memory_limit}" if memory_limit else "this machine has")
               + f" ({str(exc).splitlines()[0]}); raise --memory-limit or give --temp-dir on a disk with room.",
               err=True)
    return click.exceptions.Exit(1)


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
    from .schema import SchemaWriteError, write_schemas
    folder = folder or Path("schemas")
    try:
        paths = write_schemas(folder)
    except SchemaWriteError as exc:
        raise UsageFailure(str(exc)) from None
    for path in paths:
        click.echo(str(path))


from .commands import review as _review  # noqa: E402
from .commands import codeowners as _codeowners  # noqa: E402
from .commands import scaffold as _scaffold  # noqa: E402
from .commands import sql as _sql  # noqa: E402

main.add_command(_review.review)
main.add_command(_codeowners.codeowners)
main.add_command(_scaffold.init)
main.add_command(_scaffold.new)
main.add_command(_sql.sql)


if __name__ == "__main__":  # pragma: no cover
    main()
