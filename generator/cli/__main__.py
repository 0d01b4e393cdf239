"""``python -m generator.cli``: the ``playbook`` command."""

from . import main

main(prog_name="playbook")
