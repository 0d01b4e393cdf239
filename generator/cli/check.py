"""``playbook check``: report the playbook's inconsistencies, on the terminal and as CI reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..check import run_check
from ..findings import Severity
from ..output import FORMATS, in_scope, render
from ..workspace import UsageFailure, locate_playbook, read_settings
from .options import color_option, config_option, format_option, playbook_path, today_option

# Formats a CI runner reads from standard output: printed even when -o also writes them to a file.
STDOUT_FORMATS = ("text", "github")


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


def path_prefix(root: Path) -> str:
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
    from ..diff import changed_scope
    from ..gitrefs import GitError, checkout_copy, git, repo_root, resolve
    from ..playbook import build as build_playbook
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


def _check_generate_target(generate_file: Path) -> None:
    parent = generate_file.parent if str(generate_file.parent) else Path(".")
    if generate_file.is_dir() or not parent.is_dir():
        raise UsageFailure(f"{generate_file}: cannot write the baseline there "
                           f"({'it is a folder' if generate_file.is_dir() else 'no such folder'}).")
    if generate_file.exists() and not generate_file.is_file():
        raise UsageFailure(f"Baseline error: {generate_file} is not a regular file; name a file to "
                           "record the baseline in.")


@click.command()
@playbook_path
@format_option(FORMATS, "text", "How to show findings on standard output.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="FORMAT=FILE", callback=_parse_outputs,
              help="Also write the findings in FORMAT to FILE; repeat for several files.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error",
              show_default=True, help="Exit 1 when a finding reaches this severity.")
@config_option
@today_option("Check review dates as of this day (YYYY-MM-DD) instead of today.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path), default=None,
              help="Hide the findings recorded in this baseline file; report only new ones.")
@click.option("--generate-baseline", "generate_file", type=click.Path(path_type=Path), default=None,
              help="Record the current findings in this baseline file and exit 0.")
@click.option("--changed-since", "changed_since", default=None, metavar="REF",
              help="Report only findings in entities (and files) changed since this git ref.")
@color_option()
def check(path, fmt, outputs, fail_on, config_file, today, baseline_file, generate_file, changed_since, color):
    """Check the playbook in PATH (default: the current folder) for inconsistencies.

    \b
    Formats: text, json, github (workflow annotations), sarif, junit,
    gitlab (code quality), markdown. A format -o writes to a file is not
    printed as well: standard output gets the text report instead (github
    annotations excepted, which the runner reads from standard output).

    \b
    Example:
      playbook check
      playbook check personas/ --format json
      playbook check --format github -o sarif=results.sarif -o junit=junit.xml
      playbook check --generate-baseline .playbook-baseline.json
      playbook check --baseline .playbook-baseline.json
      playbook check --changed-since origin/main
    """
    from ..baseline import BaselineError, apply_baseline, load_baseline, write_baseline
    if baseline_file and generate_file:
        raise UsageFailure("--baseline and --generate-baseline cannot be used together; "
                           "--generate-baseline alone records every current finding.")
    if generate_file is not None:
        _check_generate_target(generate_file)
    root, found, scope = locate_playbook(path)
    cfg = read_settings(config_file or found)
    accepted = None
    if baseline_file is not None:
        try:
            accepted = load_baseline(baseline_file)
        except BaselineError as exc:
            raise UsageFailure(f"Baseline error: {exc}") from None
    result = run_check(root, cfg, today)
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
    prefix = path_prefix(root)
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
    if fmt not in STDOUT_FORMATS and fmt in {out_fmt for out_fmt, _ in outputs}:
        fmt = "text"  # the report is in its file; the log gets what a person reads
    colour = (sys.stdout.isatty() if color is None else color) and fmt == "text"
    click.echo(render(fmt, result, colour=colour, prefix=prefix, hidden=hidden, scope=scope), color=colour)
    threshold = {"error": Severity.ERROR, "warning": Severity.WARNING, "never": None}[fail_on]
    if threshold is not None and result.findings and result.worst() >= threshold:
        sys.exit(1)
