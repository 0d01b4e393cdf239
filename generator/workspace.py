"""Where a command finds the playbook and its settings, and how it refuses what it was asked.

Every command takes the playbook's folder (or a file or folder inside it) and reads the nearest
``playbook.yaml`` unless ``--config`` names one. What goes wrong on the way is the user's to fix:
``UsageFailure`` carries the one sentence to show and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from .config import CONFIG_NAME, Config, ConfigError, find_config, load_config
from .playbook import DEFINITIONS_DIR, PERSONA_DIR


class UsageFailure(click.ClickException):
    """The command was used wrongly, or its input or configuration cannot be used: exit 2."""

    exit_code = 2


def locate_playbook(path: str | Path | None) -> tuple[Path, Path | None, str | None]:
    """(playbook root, config file or None, the part of the playbook to report on or None)."""
    target = Path(path or ".")
    if not target.exists():
        raise UsageFailure(f"{target}: no such file or folder.")
    target = target.resolve()
    config = find_config(target)
    if config is not None:
        root = config.parent
    else:
        root = target if target.is_dir() else target.parent
    if not any((root / d).is_dir() for d in (PERSONA_DIR, DEFINITIONS_DIR)):
        raise UsageFailure(f"No playbook found in {root}: expected a {PERSONA_DIR}/ or "
                           f"{DEFINITIONS_DIR}/ folder, or a {CONFIG_NAME} above it.")
    scope = None
    if target != root:
        try:
            scope = target.relative_to(root).as_posix()
        except ValueError:
            scope = None
    return root, config, scope


def read_settings(config_file: str | Path | None) -> Config:
    """The configuration in ``config_file`` (defaults when None); a bad one is a usage failure."""
    try:
        return load_config(Path(config_file) if config_file is not None else None)
    except ConfigError as exc:
        raise UsageFailure(f"Configuration error: {exc}") from None
