"""The options several commands share, each declared once as a decorator.

``@playbook_path`` is the one way a command takes the playbook: an optional PATH argument (the
playbook's folder, or a file or folder inside it; default: the current folder). The ``--path``
option that ``diff``, ``publish``, ``versions`` and ``score`` once took still works, hidden
from the help, so scripts written for it keep running.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import click

from ..config import CONFIG_NAME
from ..workspace import UsageFailure

ENGINES = ("properdocs", "mkdocs", "zensical")
_DAY = click.DateTime(formats=["%Y-%m-%d"])


def _as_date(ctx, param, value):
    return value.date() if value is not None else None


def playbook_path(command):
    """PATH, the playbook (argument), with ``--path`` as a hidden alias of old."""
    @functools.wraps(command)
    def run(*args, path=None, path_option=None, **kwargs):
        if path_option is not None:
            if path is not None and Path(path).resolve() != Path(path_option).resolve():
                raise UsageFailure(f"PATH {path} and --path {path_option} name two playbooks; give PATH alone.")
            path = path_option
        return command(*args, path=path, **kwargs)
    run = click.option("--path", "path_option", type=click.Path(), default=None, hidden=True,
                       help="The playbook folder; the same as PATH, kept for scripts written for it.")(run)
    return click.argument("path", required=False, type=click.Path())(run)


def config_option(command):
    return click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help=f"Use this configuration instead of the nearest {CONFIG_NAME}.")(command)


def today_option(help: str):
    """``--today YYYY-MM-DD``, handed to the command as a date (None: not given)."""
    return click.option("--today", type=_DAY, default=None, callback=_as_date, help=help)


def as_of_option(help: str):
    """``--as-of YYYY-MM-DD``, handed to the command as ``as_of``, a date (None: not given)."""
    return click.option("--as-of", "as_of", type=_DAY, default=None, callback=_as_date, help=help)


def format_option(choices, default: str, help: str | None = None):
    """``--format``, handed to the command as ``fmt``."""
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True,
                        help=help)


def engine_option(help: str):
    return click.option("--engine", type=click.Choice(ENGINES), default=ENGINES[0], show_default=True, help=help)


def color_option(help: str | None = "Colour the output (default: on a terminal)."):
    return click.option("--color/--no-color", default=None, help=help)


def map_option(help: str):
    return click.option("--map", "mappings", multiple=True, metavar="COLUMN=FIELD", help=help)


def written_day(today) -> dt.date:
    """The day from --today (default: today) that ``init`` and ``new`` write as last_reviewed,
    so it must leave the next review on the calendar."""
    from ..model import LATEST_REVIEWED
    day = today or dt.date.today()
    if day > LATEST_REVIEWED:
        raise UsageFailure(f"--today should be no later than {LATEST_REVIEWED.isoformat()}: it is written as "
                           "last_reviewed, and the next review must still fall on the calendar.")
    return day
