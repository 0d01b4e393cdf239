"""The ``playbook`` command line: a thin face over load → model → check.

One module per command or group of commands; the options they share are declared once in
``options.py``. Nothing outside this package imports it: what a command needs from the rest
of the playbook (finding the playbook, its settings, ``UsageFailure``) lives in
``generator/workspace.py``.

Exit codes: 0 clean (or findings below ``--fail-on``), 1 findings at or above ``--fail-on``,
2 usage or configuration errors.
"""

from __future__ import annotations

import click

from .. import __version__
from .build import build, serve
from .check import check
from .codeowners import codeowners
from .diff import diff
from .init import init
from .new import new
from .publish import publish, versions
from .review import review
from .rules import rule, rules, schema
from .score import score
from .sql import sql


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="playbook")
def main():
    """Keep the sales & marketing playbook as YAML, check it, and publish it."""


for _command in (check, build, serve, diff, publish, versions, score, rules, rule, schema,
                 review, codeowners, init, new, sql):
    main.add_command(_command)
