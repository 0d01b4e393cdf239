"""Where build output may be written, and how it replaces what was there.

A command may only replace a folder that is absent, empty, or was made by playbook: every
site and Markdown tree playbook writes holds a marker file, and a folder without one is
refused, as are the playbook itself, the folders above it, its source folders, the git work
tree's root, ``/`` and the home folder. A new tree is prepared beside its target and swapped in
under a lock, so a failed or concurrent build never leaves a half-written folder; leftovers of
a killed build are removed by the next one.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

MARKER = ".playbook-output"
MARKER_TEXT = ("This folder was made by playbook and is replaced as a whole by the next build.\n"
               "Do not keep your own files here.\n")
# Everything playbook puts beside an output folder (the build, the previous tree while it is
# deleted) starts with this prefix and the process id, so a .gitignore can name it and the
# next build can clean up what a killed one left.
WORK_PREFIX = ".playbook-build-"
_LEFTOVER = re.compile(r"^\.playbook-build-(?:old-)?(?P<pid>\d+)-.+$")

# Folders of a playbook that hold its sources; build output never goes into or over them.
SOURCE_DIRS = ("personas", "definitions", "playbook", "templates", "schemas", ".git", ".github")


class OutputRefused(Exception):
    """An output folder that playbook must not replace; the message says why and what to do."""


def _git_top(path: Path) -> Path | None:
    try:
        proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True)
    except OSError:
        return None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    return Path(proc.stdout.strip()).resolve()


def within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_target(target: Path, root: Path, what: str = "site folder") -> Path:
    """The resolved ``target`` if playbook may replace it, else :class:`OutputRefused`."""
    shown = str(target)
    if target.is_symlink():
        raise OutputRefused(f"The {what} {shown} is a symbolic link; name a real folder.")
    path = target.resolve()
    root = root.resolve()
    home = Path.home().resolve()
    if path == Path(path.anchor):
        raise OutputRefused(f"The {what} cannot be the root folder {shown}; name a new folder such as site/.")
    if path == home:
        raise OutputRefused(f"The {what} cannot be your home folder ({shown}); name a new folder such as site/.")
    if within(root, path):
        where = "the playbook's own folder" if path == root else "a folder that holds the playbook"
        raise OutputRefused(f"The {what} {shown} is {where}; building there would replace the playbook. "
                            "Name a new folder, such as site/.")
    for name in SOURCE_DIRS:
        source = root / name
        if within(path, source.resolve()) or within(source, path):
            raise OutputRefused(f"The {what} {shown} holds or is inside the playbook's {name}/ folder; "
                                "name a folder of its own, such as site/.")
    top = _git_top(path if path.exists() else path.parent)
    if top is not None and path == top:
        raise OutputRefused(f"The {what} {shown} is the root of a git work tree; name a folder inside it.")
    if path.exists():
        if not path.is_dir():
            raise OutputRefused(f"The {what} {shown} is a file, not a folder; name a folder.")
        try:
            entries = os.listdir(path)
        except OSError as exc:
            raise OutputRefused(f"The {what} {shown} cannot be read: {exc.strerror or exc}.") from None
        if entries and MARKER not in entries:
            raise OutputRefused(
                f"The {what} {shown} already holds files that playbook did not make, so it is left alone. "
                f"Name a new or empty folder. (If it is a site an earlier version of playbook built, "
                f"delete it once; every folder playbook makes now holds a {MARKER} file.)")
    return path


def mark(folder: Path) -> None:
    (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(parent: Path) -> list[str]:
    """Remove what killed builds left in ``parent`` (their process is gone); names removed."""
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        found = _LEFTOVER.match(name)
        if not found:
            continue
        path = parent / name
        if not path.is_dir() or path.is_symlink():
            continue
        if _alive(int(found.group("pid"))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(name)
    return removed


def work_folder(parent: Path) -> Path:
    """A new private folder beside the output, named so that a later build can clean it up."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise OutputRefused(f"Cannot write in {parent}: {exc.strerror or exc}.") from None


@contextmanager
def _locked(target: Path):
    """An exclusive lock on the folder that holds ``target`` (a lock on the folder itself, so
    nothing is left behind)."""
    try:
        fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise OutputRefused(f"Cannot write in {target.parent}: {exc.strerror or exc}.") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def replace(new: Path, target: Path, root: Path, what: str = "site folder") -> None:
    """Swap the finished tree ``new`` in at ``target``; the previous tree is deleted after.

    Holds a lock beside ``target`` so two builds of the same folder take turns, and checks the
    target again under the lock (it may have changed while the site was building).
    """
    mark(new)
    with _locked(target):
        check_target(target, root, what)
        old = None
        if target.exists():
            old = target.with_name(f"{WORK_PREFIX}old-{os.getpid()}-{secrets.token_hex(4)}-{target.name}")
            target.rename(old)
        try:
            new.rename(target)
        except OSError as exc:
            if old is not None:
                old.rename(target)
            reason = "it is on another disk" if exc.errno == errno.EXDEV else (exc.strerror or str(exc))
            raise OutputRefused(f"Cannot put the {what} at {target}: {reason}.") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
