"""Workflow commands for teams keeping a playbook: review, codeowners, init and new.

Each module defines one or more click commands; ``generator/cli.py`` registers them.
"""
