"""``python -m generator``: the ``playbook`` command."""

from .cli import main

main(prog_name="playbook")
