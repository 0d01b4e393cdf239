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


def invoke_in(folder: Path, *args: str):
    """Run the playbook CLI with ``folder`` as the current folder, as a user in that folder would."""
    import os

    from click.testing import CliRunner

    from generator.cli import main
    old = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(old)


def git(repo: Path, *args: str) -> str:
    import subprocess
    env = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": __import__("os").environ["PATH"],
           "HOME": str(repo)}
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def repo_state(repo: Path) -> tuple:
    """Everything a read-only command must leave as it was."""
    return (git(repo, "status", "--porcelain", "--untracked-files=all"), git(repo, "branch", "-a"),
            git(repo, "stash", "list"), git(repo, "rev-parse", "HEAD"), git(repo, "log", "--all", "--oneline"))


@pytest.fixture
def example_repo(tmp_path):
    """A git repository holding a copy of the example playbook, committed on main."""
    import shutil
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("personas", "definitions", "playbook"):
        shutil.copytree(REPO / name, repo / name)
    shutil.copy(REPO / "playbook.yaml", repo / "playbook.yaml")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Example playbook")
    return repo
