"""Read-only access to the playbook as it was at a git ref.

Nothing here changes the repository: no checkout, no stash, no new branch. A ref's files are
read from git's objects into a temporary folder, and that folder is loaded like any playbook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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


def _safe_parts(path: str) -> list[str] | None:
    """The parts of a path read from a git tree, or None when one could leave the copy."""
    parts = path.split("/")
    if any(p in ("", ".", "..") or p.lower() == ".git" for p in parts):
        return None
    return parts


@contextmanager
def checkout_copy(repo: Path, commit: str, subdir: str = ""):
    """A temporary folder holding the playbook files of ``subdir`` exactly as ``commit`` has them.

    Each file is read as the blob the commit records (no ``.gitattributes`` filter, nothing
    from the working tree). A symbolic link is never written or followed: a commit holding one
    among the playbook's files is refused with a :class:`GitError` naming it.
    """
    if not commit or commit.startswith("-"):
        raise GitError(f'"{commit}" is not a git commit.')
    tmp = Path(tempfile.mkdtemp(prefix="playbook-ref-"))
    try:
        prefix = f"{subdir.strip('/')}/" if subdir and subdir not in (".", "./") else ""
        listed = git(repo, "--literal-pathspecs", "ls-tree", "-z", "--name-only", commit, prefix or ".", check=False, binary=True)
        if listed.returncode != 0:
            raise GitError(f'git cannot read the commit "{commit}" in this repository.')
        names = {os.fsdecode(n) for n in listed.stdout.split(b"\0") if n}
        present = [p for p in (prefix + name for name in PLAYBOOK_PATHS) if p in names]
        if present:
            _copy_tree(repo, commit, prefix, present, tmp)
        yield tmp / prefix if prefix else tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _copy_tree(repo: Path, commit: str, prefix: str, present: list[str], dest: Path) -> None:
    listing = git(repo, "--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", commit, "--", *present,
                  binary=True).stdout
    blobs: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw = entry.partition(b"\t")
        mode, kind, oid = meta.decode("ascii").split()
        path = os.fsdecode(raw)
        shown = path[len(prefix):] if path.startswith(prefix) else path
        if mode == "120000":
            target = git(repo, "cat-file", "blob", oid, binary=True).stdout.decode("utf-8", "replace")
            target = "".join(c if c.isprintable() else "?" for c in target)[:200]
            raise GitError(f'{shown}: in commit {short(repo, commit)} this is a symbolic link (to "{target}"). '
                           "The playbook never follows symbolic links, so that nothing outside it can be "
                           "read or published through one; replace the link with the file itself and "
                           "commit that.")
        if kind != "blob":  # a submodule: nothing of the playbook's own
            continue
        if _safe_parts(path) is None:
            raise GitError(f'{shown}: commit {short(repo, commit)} holds a file whose name cannot be '
                           "written safely; the playbook cannot be read from it.")
        blobs.append((path, oid))
    if not blobs:
        return
    proc = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], capture_output=True,
                          input=b"".join(oid.encode("ascii") + b"\n" for _, oid in blobs))
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or "git cat-file failed")
    data, pos = proc.stdout, 0
    for path, oid in blobs:
        end = data.find(b"\n", pos)
        header = data[pos:end].split() if end >= 0 else []
        if len(header) != 3 or header[1] != b"blob" or not header[2].isdigit():
            raise GitError(f"{path}: git could not read this file from commit {short(repo, commit)}.")
        size = int(header[2])
        target = dest.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data[end + 1:end + 1 + size])
        pos = end + 1 + size + 1
