"""``playbook diff``: what a change to the playbook means, compared by meaning, not by line."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ..workspace import UsageFailure, locate_playbook, read_settings
from .options import as_of_option, config_option, format_option, map_option, playbook_path


@click.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@playbook_path
@format_option(["text", "markdown", "json"], "text")
@click.option("--fail-on", type=click.Choice(["breaking", "warning", "info", "never"]), default="never",
              show_default=True, help="Exit 1 when an impact reaches this grade.")
@click.option("--leads", "leads", type=click.Path(path_type=Path), default=None,
              help="Also score these lead records with both versions and count what moves.")
@as_of_option("Score the leads as of this day (default: today).")
@map_option("As for `playbook score`.")
@config_option
def diff(base, head, path, fmt, fail_on, leads, as_of, mappings, config_file):
    """Compare two states of the playbook by meaning, not by line.

    BASE and HEAD are git refs (a last argument that is a folder and not a ref is the playbook,
    PATH: `playbook diff sales/`, `playbook diff main sales/`); HEAD defaults to the working tree, BASE to the merge base of
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
    from .. import diff as semantic
    from ..gitrefs import GitError, checkout_copy, default_branch, merge_base, repo_root, resolve, short
    from ..playbook import build as build_playbook
    base, head, path = _folder_given(base, head, path)
    root, found, _ = locate_playbook(path)
    cfg = read_settings(config_file or found)
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
        raise UsageFailure(str(exc)) from None
    result = semantic.diff_playbooks(old, new, base_label, head_label, cfg.diff_grades)
    if leads is not None:
        from ..scoring.run import CRM_PRESETS, LeadError, UsageError, parse_mapping
        if not leads.is_file():
            raise UsageFailure(f"{leads}: no such file.")
        try:
            mapping = parse_mapping(mappings)
        except ValueError as exc:
            raise UsageFailure(f"--map {exc}.") from None
        mapping = {**(CRM_PRESETS[cfg.score_crm] if cfg.score_crm else {}), **cfg.score_map, **mapping}
        try:
            result.leads = semantic.lead_impact(old, new, leads, as_of or dt.date.today(), mapping)
        except (UsageError, LeadError) as exc:
            raise UsageFailure(f"{leads}: {exc}.") from None
    render = {"text": semantic.to_text, "markdown": semantic.to_markdown, "json": semantic.to_json}[fmt]
    click.echo(render(result), nl=False)
    if fail_on != "never" and result.worst() >= semantic.GRADE_RANK[fail_on]:
        sys.exit(1)


def _folder_given(base: str | None, head: str | None, path: str | None):
    """(BASE, HEAD, PATH) when the last argument given is a folder: with no PATH given, a folder
    that is not also a git ref is the playbook, not a ref to compare."""
    from ..gitrefs import GitError, repo_root, resolve
    last = head if head is not None else base
    if path is not None or last is None or not Path(last).is_dir():
        return base, head, path
    try:
        resolve(repo_root(Path(last)), last)
    except GitError:
        return (base, None, last) if head is not None else (None, None, last)
    folder = last if last.startswith((".", "/")) else f"./{last}"
    raise UsageFailure(f'"{last}" is both a folder here and a git ref. Write {folder} for the playbook in the '
                       f'folder, or refs/heads/{last.rstrip("/")} (or a commit) to compare the ref.')
