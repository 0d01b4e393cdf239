"""``playbook publish`` and ``playbook versions``: versions of the site on a site branch (mike)."""

from __future__ import annotations

import sys

import click

from ..workspace import UsageFailure, locate_playbook, read_settings
from .options import config_option, format_option, playbook_path, today_option


@click.command()
@click.argument("version", required=False)
@playbook_path
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
@config_option
@today_option("Show review dates as of this day (YYYY-MM-DD).")
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
    from ..gitrefs import GitError
    from ..publish import publish as do_publish
    from ..site import SiteError
    root, found, _ = locate_playbook(path)
    cfg = read_settings(config_file or found)
    version = version or cfg.version
    if not version:
        raise UsageFailure("Give a version (playbook publish 2026.4) or set version: in playbook.yaml.")
    try:
        do_publish(root, cfg, version, list(aliases), set_default=set_default, branch=branch, remote=remote,
                   push=push, force=force, title=title, today=today,
                   allow_errors=allow_errors, site_url=site_url, echo=click.echo)
    except GitError as exc:
        raise UsageFailure(str(exc)) from None
    except SiteError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@click.command()
@playbook_path
@click.option("--branch", default=None)
@format_option(["text", "json"], "text")
@config_option
def versions(path, branch, fmt, config_file):
    """List the published versions, newest first."""
    import json

    from ..gitrefs import GitError
    from ..publish import list_versions
    root, found, _ = locate_playbook(path)
    cfg = read_settings(config_file or found)
    try:
        branch, items = list_versions(root, cfg, branch)
    except GitError as exc:
        raise UsageFailure(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps([{"version": v.version, "title": v.title, "aliases": v.aliases, "commit": v.commit}
                               for v in items], indent=2))
        return
    for v in items:
        aliases = f" [{', '.join(v.aliases)}]" if v.aliases else ""
        commit = f"  from {v.commit[:10]}" if v.commit else ""
        click.echo(f"{v.version}{aliases}{commit}")
