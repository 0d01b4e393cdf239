"""``playbook review``: the review agenda for the regular sales–marketing huddle.

What is due and the JSON shape are in ``generator/review.py``.
"""

from __future__ import annotations

import datetime as dt

import click

from ..model import MAX_REVIEW_EVERY_DAYS
from ..review import agenda, to_json, to_markdown, to_text
from ..workspace import locate_playbook, read_settings
from .options import config_option, format_option, playbook_path, today_option


@click.command()
@playbook_path
@format_option(["text", "markdown", "json"], "text", "text for a terminal, markdown for a meeting doc, json for tools.")
@today_option("Make the agenda as of this day (YYYY-MM-DD) instead of today.")
@click.option("--within", type=click.IntRange(min=0, max=MAX_REVIEW_EVERY_DAYS), default=None, metavar="DAYS",
              help=f"Also list what falls due in the next DAYS days (at most {MAX_REVIEW_EVERY_DAYS}).")
@config_option
def review(path, fmt, today, within, config_file):
    """List what is past its review date, by owner team: the agenda for the review huddle.

    An entity is due review_every_days (its own, or playbook.yaml's) after last_reviewed.
    Always exits 0 unless the command is used wrongly (2).

    \b
    Example:
      playbook review
      playbook review --within 14 --format markdown > agenda.md
    """
    from ..playbook import build
    root, found, scope = locate_playbook(path)
    cfg = read_settings(config_file or found)
    day = today or dt.date.today()
    pb = build(root, cfg.max_file_bytes)
    groups = agenda(pb, day, cfg.review_every_days, within, scope)
    if fmt == "json":
        click.echo(to_json(groups, cfg, day, within))
    elif fmt == "markdown":
        click.echo(to_markdown(groups, cfg.name, day, within))
    else:
        click.echo(to_text(groups, cfg.name, day, within))
