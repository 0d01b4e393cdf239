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
import time
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


def _git(path: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(path), "rev-parse", *args], capture_output=True, text=True)
    except OSError:
        return None
    out = proc.stdout.strip()
    return out if proc.returncode == 0 and out else None


def _git_dirs(root: Path) -> list[Path]:
    """The git folders of the repository holding the playbook (a subfolder's .git is higher up)."""
    out = []
    for arg in ("--absolute-git-dir", "--git-common-dir"):
        found = _git(root, arg)
        if found:
            folder = Path(found)
            out.append((folder if folder.is_absolute() else root / folder).resolve())
    return out


def within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def is_marked(folder: Path) -> bool:
    """Whether ``folder`` holds playbook's marker: a small regular file with the marker's text."""
    marker = folder / MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > 4096:
            return False
        return marker.read_text(encoding="utf-8").startswith(MARKER_TEXT)
    except (OSError, UnicodeDecodeError):
        return False


def _looks_like_sources(folder: Path, entries: list[str]) -> str | None:
    """Why ``folder`` must never be replaced even with a marker, or None."""
    names = set(entries)
    if {"HEAD", "objects", "refs"} <= names:
        return "a git repository's own folder"
    if "playbook.yaml" in names:
        return "a playbook"
    for sources in {"personas", "definitions"} & names:
        try:
            if any(n.endswith((".yaml", ".yml")) for n in os.listdir(folder / sources)):
                return "a playbook"
        except OSError:
            pass
    return None


def check_target(target: Path, root: Path, what: str = "site folder", example: str = "site/") -> Path:
    """The resolved ``target`` if playbook may replace it, else :class:`OutputRefused`; the
    messages call it ``what`` and suggest a folder such as ``example``."""
    try:
        return _check_target(target, root, what, example)
    except (OSError, RuntimeError) as exc:  # a name too long, a loop of symbolic links ...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OutputRefused(f"The {what} {target} cannot be used: {reason}.") from None


def _check_target(target: Path, root: Path, what: str, example: str = "site/") -> Path:
    shown = str(target)
    if target.is_symlink():
        raise OutputRefused(f"The {what} {shown} is a symbolic link; name a real folder.")
    path = target.resolve(strict=False)
    root = root.resolve()
    home = Path.home().resolve()
    if path == Path(path.anchor):
        raise OutputRefused(f"The {what} cannot be the root folder {shown}; name a new folder such as {example}.")
    if path == home:
        raise OutputRefused(f"The {what} cannot be your home folder ({shown}); name a new folder such as {example}.")
    if within(root, path):
        where = "the playbook's own folder" if path == root else "a folder that holds the playbook"
        raise OutputRefused(f"The {what} {shown} is {where}; writing there would replace the playbook. "
                            f"Name a new folder, such as {example}.")
    for name in SOURCE_DIRS:
        source = root / name
        if within(path, source.resolve()) or within(source, path):
            raise OutputRefused(f"The {what} {shown} holds or is inside the playbook's {name}/ folder; "
                                f"name a folder of its own, such as {example}.")
    for git_dir in _git_dirs(root):
        if within(path, git_dir) or within(git_dir, path):
            raise OutputRefused(f"The {what} {shown} is inside git's own folder ({git_dir}); "
                                f"name a folder of its own, such as {example}.")
    top = _git(path if path.exists() else path.parent, "--show-toplevel")
    if top is not None and path == Path(top).resolve():
        raise OutputRefused(f"The {what} {shown} is the root of a git work tree; name a folder inside it.")
    if path.exists():
        if not path.is_dir():
            raise OutputRefused(f"The {what} {shown} is a file, not a folder; name a folder.")
        try:
            entries = os.listdir(path)
        except OSError as exc:
            raise OutputRefused(f"The {what} {shown} cannot be read: {exc.strerror or exc}.") from None
        sources = _looks_like_sources(path, entries)
        if sources:
            raise OutputRefused(f"The {what} {shown} is {sources}; name a new or empty folder.")
        if entries and not is_marked(path):
            raise OutputRefused(
                f"The {what} {shown} already holds files that playbook did not make, so it is left alone. "
                "Name a new or empty folder." + (
                    f" (If it is a site an earlier version of playbook built, delete it once; every folder "
                    f"playbook makes now holds a {MARKER} file.)" if example == "site/" else ""))
    return path


def mark(folder: Path, owner: bool = False) -> None:
    """Write the marker; ``owner`` adds which process owns the folder while it works in it."""
    text = MARKER_TEXT + (f"process: {_namespace()} {os.getpid()}\n" if owner else "")
    (folder / MARKER).write_text(text, encoding="utf-8")


def _namespace() -> str:
    """This process's pid namespace: a process id means the same process only within it."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError, OSError):
        return pid < 2**22  # not ours to judge: a real pid is alive, a made-up one is not
    return True


# A folder from another pid namespace (another container on a shared workspace) is removed
# only when it has not changed for this long: its process cannot be asked whether it lives.
_FOREIGN_AGE_SECONDS = 24 * 3600


def _abandoned(path: Path) -> bool:
    if not is_marked(path):
        return False
    try:
        text = (path / MARKER).read_text(encoding="utf-8")
        age = time.time() - path.stat().st_mtime
    except OSError:
        return False
    found = re.search(r"^process: (\S+) (\d{1,10})$", text, re.MULTILINE)
    if not found:
        return False
    namespace, pid = found.group(1), int(found.group(2))
    if namespace != _namespace() or namespace == "-":
        return age > _FOREIGN_AGE_SECONDS
    return not _alive(pid)


def clean_leftovers(parent: Path) -> list[str]:
    """Remove what killed builds left in ``parent``: folders named and marked by playbook whose
    process is gone. Names removed."""
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in sorted(names):
        if not _LEFTOVER.match(name):
            continue
        path = parent / name
        if path.is_symlink() or not path.is_dir() or not _abandoned(path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(name)
    return removed


def work_folder(parent: Path) -> Path:
    """A new private folder beside the output, named and marked so a later build can clean it up."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-", dir=parent))
        mark(work, owner=True)
        return work
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
    target again under the lock (it may have changed while the site was building). A target
    that cannot be renamed (a mount point, as in a container) is emptied and filled in place.
    """
    mark(new)
    with _locked(target):
        check_target(target, root, what)
        old = None
        if target.exists():
            old = target.with_name(f"{WORK_PREFIX}old-{os.getpid()}-{secrets.token_hex(4)}-{target.name}")
            try:
                target.rename(old)
            except OSError as exc:
                if exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES):
                    raise OutputRefused(f"Cannot replace the {what} {target}: {exc.strerror or exc}.") from None
                _fill_in_place(new, target, what)
                return
            mark(old, owner=True)  # if this process dies now, the next build removes it
        try:
            new.rename(target)
        except OSError as exc:
            if old is not None:
                old.rename(target)
            reason = "it is on another disk" if exc.errno == errno.EXDEV else (exc.strerror or str(exc))
            raise OutputRefused(f"Cannot put the {what} at {target}: {reason}.") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _fill_in_place(new: Path, target: Path, what: str) -> None:
    """Replace the contents of ``target`` (empty or made by playbook: checked) with ``new``'s."""
    try:
        for entry in os.listdir(target):
            path = target / entry
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        for entry in os.listdir(new):
            shutil.move(str(new / entry), str(target / entry))
    except OSError as exc:
        raise OutputRefused(f"Cannot write the {what} {target}: {exc.strerror or exc}.") from None
