"""``playbook init``: a new playbook repository, ready to check, build and publish.

What it writes is the starter in ``generator/starter/``, copied by ``generator/scaffold.py``.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..scaffold import CI_FILES, detected_package, init_folder, init_playbook, undo_init
from ..schema import SchemaWriteError
from ..skeletons import has_control
from ..workspace import UsageFailure
from ..yamledit import reason
from .options import today_option, written_day


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--name", default="Sales & Marketing Playbook", show_default=True,
              help="The playbook's name, shown on every page of its site.")
@click.option("--package", default=None, metavar="SPEC",
              help="Where CI installs the playbook tool from (a git URL with a tag, or a wheel); "
                   "written into the CI file.")
@click.option("--ci", type=click.Choice(["github", "gitlab", "none"]), default="github", show_default=True,
              help="The CI pipeline to write: a GitHub Actions workflow, or a GitLab pipeline with a Code "
                   "Quality report and GitLab Pages.")
@today_option("Date the starter content as reviewed on this day (default: today).")
def init(directory, name, package, ci, today):
    """Create a new playbook repository in DIRECTORY, ready to check, build and publish.

    It holds a small but complete starter playbook (teams, lifecycle, scoring, personas,
    questions, complaints, campaigns, goals, glossary ...) to adapt, the JSON Schemas, editor
    settings, a pre-commit hook and a CI workflow. DIRECTORY must not exist or be empty.

    \b
    Example:
      playbook init acme-playbook --name "Acme — Sales & Marketing Playbook"
      playbook init acme-playbook --ci gitlab --package "git+https://gitlab.com/acme/playbook@v0.1.0"
    """
    name = name.strip()
    if not name or has_control(name):
        raise UsageFailure("--name should be one line of UTF-8 text.")
    package = detected_package() if package is None else package.strip()
    if has_control(package):
        raise UsageFailure("--package should be one line of UTF-8 text.")
    day = written_day(today)
    made = init_folder(directory)
    try:
        written = init_playbook(directory, name, day, package, ci)
    except (OSError, SchemaWriteError) as exc:
        undo_init(directory, made)
        why = reason(exc) if isinstance(exc, OSError) else str(exc)
        raise UsageFailure(f"The new playbook cannot be written into {directory}: {why} Nothing was left "
                     "behind.") from None
    click.echo(f"Created a new playbook in {directory} ({len(written)} files).")
    click.echo("")
    click.echo("Next:")
    click.echo(f"  cd {directory}")
    click.echo("  playbook check                 # it checks clean; now make it yours")
    click.echo("  playbook new persona \"Name\"    # add personas, stages, questions ...")
    click.echo("  playbook serve                 # preview the site while you edit")
    click.echo("  pre-commit install             # check before every commit")
    if not package and ci in CI_FILES:
        click.echo("")
        click.echo(f"Set PLAYBOOK_PACKAGE in {CI_FILES[ci]} to where CI installs the "
                   "playbook tool from (or run init with --package).")

