"""Read-only access to the playbook as it was at a git ref.

Nothing here changes the repository: no checkout, no stash, no new branch. A ref's files are
read with ``git archive`` into a temporary folder, and that folder is loaded like any playbook.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path

PLAYBOOK_PATHS = ("personas", "definitions", "playbook", "playbook.yaml", "mkdocs.yml", "templates")


class GitError(Exception):
    """A git problem stated so a user can act on it."""


def git(repo: Path, *args: str, check: bool = True, binary: bool = False):
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=not binary)
    except FileNotFoundError:
        raise GitError("git is not installed.") from None
    if check and proc.returncode != 0:
        err = proc.stderr if not binary else proc.stderr.decode("utf-8", "replace")
        raise GitError(err.strip() or f"git {' '.join(args)} failed")
    return proc


def repo_root(path: Path) -> Path:
    proc = git(path, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode != 0:
        raise GitError(f"{path} is not inside a git repository.")
    return Path(proc.stdout.strip())


def is_shallow(repo: Path) -> bool:
    return git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def resolve(repo: Path, ref: str) -> str:
    """The commit a ref names, or a GitError that says why not (shallow clones included)."""
    if ref.startswith("-"):
        raise GitError(f'"{ref}" is not a git ref.')
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if proc.returncode != 0:
        hint = ""
        if is_shallow(repo):
            hint = (" This is a shallow clone, so older commits and other branches are missing: "
                    "fetch the full history (in GitHub Actions: actions/checkout with fetch-depth: 0).")
        raise GitError(f'The git ref "{ref}" does not exist in this repository.{hint}')
    return proc.stdout.strip()


def default_branch(repo: Path) -> str:
    proc = git(repo, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", check=False)
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.strip()
    for name in ("main", "master", "origin/main", "origin/master"):
        if git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", check=False).returncode == 0:
            return name
    raise GitError("Cannot tell the main branch (no main, master or origin/HEAD); name the base ref.")


def merge_base(repo: Path, a: str, b: str) -> str:
    proc = git(repo, "merge-base", a, b, check=False)
    if proc.returncode != 0:
        hint = " This is a shallow clone; fetch the full history." if is_shallow(repo) else ""
        raise GitError(f'"{a}" and "{b}" have no common history.{hint}')
    return proc.stdout.strip()


def is_dirty(repo: Path) -> bool:
    return bool(git(repo, "status", "--porcelain", "--untracked-files=no").stdout.strip())


def short(repo: Path, commit: str) -> str:
    return git(repo, "rev-parse", "--short", commit).stdout.strip()


@contextmanager
def checkout_copy(repo: Path, commit: str, subdir: str = ""):
    """A temporary folder holding the playbook files of ``subdir`` at ``commit``."""
    tmp = Path(tempfile.mkdtemp(prefix="playbook-ref-"))
    try:
        prefix = f"{subdir.strip('/')}/" if subdir and subdir != "." else ""
        listed = git(repo, "ls-tree", "--name-only", commit, prefix or ".", check=False).stdout.split()
        present = [p for p in (prefix + name for name in PLAYBOOK_PATHS) if p in listed]
        if present:
            data = git(repo, "archive", "--format=tar", commit, "--", *present, binary=True).stdout
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                tar.extractall(tmp, filter="data")
        yield tmp / prefix if prefix else tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
