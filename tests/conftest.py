"""Shared helpers: write small playbooks into temporary folders."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from generator.check import run_check
from generator.config import Config

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 22)


def write_playbook(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    (root / "definitions").mkdir(exist_ok=True)
    return root


@pytest.fixture
def make_playbook(tmp_path):
    def make(files: dict[str, str | bytes]) -> Path:
        return write_playbook(tmp_path, files)
    return make


@pytest.fixture
def check_files(tmp_path):
    """Write files and return the findings of a check as (code, path, line) triples and the result."""
    def run(files: dict[str, str | bytes], config: Config | None = None):
        root = write_playbook(tmp_path, files)
        return run_check(root, config or Config(), TODAY)
    return run
