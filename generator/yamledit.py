"""Add entries to a playbook's YAML files without re-serialising them (``playbook new``).

A persona gets a new file; any other entity is written as a new list item after the last item
of its section (at the end of the file when the section is the file's last), so every byte
already in the file stays as it was. Files are never written through a symbolic link, and a
write that fails half-way puts back what was there.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .load import LocDict, LocList, load_bytes
from .model import FILE_KINDS
from .playbook import DEFINITIONS_DIR
from .workspace import UsageFailure

MODELINE = "# yaml-language-server: $schema={}"
_BREAKS = re.compile(r"[^\r\n\x85\u2028\u2029]*(?:\r\n|[\r\n\x85\u2028\u2029])|[^\r\n\x85\u2028\u2029]+$")


def reason(exc: OSError) -> str:
    """What the operating system said, in words."""
    return exc.strerror or str(exc)


def lines_of(text: str) -> list[str]:
    """The lines of ``text`` with their line breaks, split where the YAML parser counts lines."""
    return _BREAKS.findall(text)


def write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``; never replaces a file and never follows a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o666)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def file_kind_of(section: str) -> str:
    for kind, sections in FILE_KINDS.items():
        if section in sections:
            return kind
    raise KeyError(section)  # pragma: no cover - every entity section has a file kind


@dataclass
class Edit:
    """Text to insert into one file at one offset (``offset`` None: a new file)."""

    rel: str
    offset: int | None
    text: str
    order: int = 0


@dataclass
class Plan:
    edits: list[Edit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def file_text(root: Path, rel: str) -> tuple[bytes, str]:
    raw = (root / rel).read_bytes()
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    return bom, raw[len(bom):].decode("utf-8")


def section_file(pb, root: Path, section: str) -> str:
    """The definitions file a new item of ``section`` goes into."""
    kind = file_kind_of(section)
    canonical = [f"{DEFINITIONS_DIR}/{kind}.yaml", f"{DEFINITIONS_DIR}/{kind}.yml"]

    def holds(rel):
        data = pb.files[rel].data if rel in pb.files else None
        return isinstance(data, LocDict) and section in data

    for rel in canonical:
        if holds(rel):
            return rel
    for rel in sorted(pb.files):
        if rel.startswith(DEFINITIONS_DIR + "/") and holds(rel):
            return rel
    for rel in canonical:
        if rel in pb.files:
            return rel
    return canonical[0]


def _item_text(item: list[str], indent: str, newline: str) -> str:
    return "".join(f"{indent}{'- ' if i == 0 else '  '}{line}{newline}" for i, line in enumerate(item))


def check_target(root: Path, rel: str) -> None:
    """Refuse to write ``rel`` when it, or a folder on the way to it, is a symbolic link, or when
    it is there but is not a regular file: ``new`` writes only files inside the playbook."""
    parts = Path(rel).parts
    path = root
    for index, part in enumerate(parts):
        path = path / part
        shown = "/".join(parts[:index + 1])
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return
        except OSError as exc:
            raise UsageFailure(f"{shown} cannot be read: {reason(exc)}; nothing was changed.") from None
        if stat.S_ISLNK(mode):
            raise UsageFailure(f"{shown} is a symbolic link, and playbook does not write through links; replace "
                         "it with the file itself or add the entry by hand. Nothing was changed.")
        last = index == len(parts) - 1
        if last and not stat.S_ISREG(mode):
            raise UsageFailure(f"{shown} is not a regular file; nothing was changed.")
        if not last and not stat.S_ISDIR(mode):
            raise UsageFailure(f"{shown} is not a folder; nothing was changed.")


def plan_item(root: Path, pb, rel: str, section: str, item: list[str], order: int = 0) -> Edit:
    """Where and how to add ``item`` (lines of one list item, without indentation) to ``section``."""
    path = root / rel
    check_target(root, rel)
    if not os.path.lexists(path):
        kind = file_kind_of(section)
        body = _item_text(item, "  ", "\n")
        text = f"{MODELINE.format(f'../schemas/{kind}.schema.json')}\n\n{section}:\n{body}"
        return Edit(rel, None, text, order)
    loaded = pb.files.get(rel)
    bom, text = file_text(root, rel)
    if loaded is None:
        loaded = load_bytes(bom + text.encode("utf-8"), rel)
    if loaded.findings or not (loaded.data is None or isinstance(loaded.data, LocDict)):
        raise UsageFailure(f"{rel} cannot be read as a playbook file; fix it first (playbook check {rel}).")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = lines_of(text)
    data = loaded.data if isinstance(loaded.data, LocDict) else LocDict()
    if section not in data:
        body = _item_text(item, "  ", newline)
        prefix = "" if not text or text.endswith(("\n", "\r")) else newline
        blank = newline if text.strip() else ""
        return Edit(rel, len(text), f"{prefix}{blank}{section}:{newline}{body}", order)

    keys = list(data)
    key_line = data.key_locs[section][0]
    value = data[section]
    if value is None:
        rest = lines[key_line - 1].split(":", 1)[1] if ":" in lines[key_line - 1] else ""
        if rest.split("#", 1)[0].strip():
            raise UsageFailure(f'{rel}:{key_line}: "{section}:" is written as an empty value; '
                         "make it an empty line and run the command again.")
        offset = sum(len(line) for line in lines[:key_line])
        prefix = "" if lines[key_line - 1].endswith(("\n", "\r", "\x85", "\u2028", "\u2029")) else newline
        body = _item_text(item, "  ", newline)
        return Edit(rel, offset, prefix + body, order)
    vline, vcol = data.value_locs[section]
    at = lines[vline - 1][vcol - 1:vcol] if vline - 1 < len(lines) else ""
    if not isinstance(value, LocList) or at != "-":
        raise UsageFailure(f'{rel}:{vline}: "{section}" is not written as a list of "- " items '
                     "(for example [a, b] on one line); add the new entry by hand.")
    indent = " " * (vcol - 1)
    # the section ends where the next top-level key starts; trailing blank lines and top-level
    # comments before that key belong to what follows
    index = keys.index(section)
    end = data.key_locs[keys[index + 1]][0] - 1 if index + 1 < len(keys) else len(lines)
    last = end
    while last > key_line:
        stripped = lines[last - 1].strip()
        if stripped and not lines[last - 1].startswith("#"):
            break
        last -= 1
    offset = sum(len(line) for line in lines[:last])
    prefix = "" if last == 0 or lines[last - 1].endswith(("\n", "\r", "\x85", "\u2028", "\u2029")) else newline
    item_line = value.item_locs[-1][0] if value.item_locs else vline
    spaced = item_line >= 2 and not lines[item_line - 2].strip() and item_line - 1 > key_line
    body = _item_text(item, indent, newline)
    return Edit(rel, offset, prefix + (newline if spaced else "") + body, order)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _overwrite(fd: int, data: bytes) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    write_all(fd, data)
    os.ftruncate(fd, len(data))


def apply(root: Path, edits: list[Edit]) -> dict[str, bytes | None]:
    """Write the edits; returns each touched file's previous bytes (None: it did not exist).

    Every file is opened for writing before any is changed, never through a symbolic link, so
    a file that cannot be written stops the command with nothing changed; a write that fails
    half-way puts back what was there.
    """
    before: dict[str, bytes | None] = {}
    after: dict[str, bytes] = {}
    by_file: dict[str, list[Edit]] = {}
    for e in edits:
        by_file.setdefault(e.rel, []).append(e)
    for rel, group in by_file.items():
        check_target(root, rel)
        path = root / rel
        if os.path.lexists(path):
            before[rel] = path.read_bytes()
            bom, text = file_text(root, rel)
        else:
            before[rel] = None
            bom, text = b"", ""
        new_files = [e for e in group if e.offset is None]
        inserts = sorted((e for e in group if e.offset is not None), key=lambda e: (e.offset, e.order),
                         reverse=True)
        for e in inserts:
            text = text[:e.offset] + e.text + text[e.offset:]
        for e in new_files:
            text = e.text + text
        after[rel] = bom + text.encode("utf-8")
    fds: dict[str, int] = {}
    made: list[Path] = []
    rel = ""
    try:
        for rel in after:
            path = root / rel
            if before[rel] is None:
                missing = [p for p in (path.parent, *path.parent.parents) if not os.path.lexists(p)]
                path.parent.mkdir(parents=True, exist_ok=True)
                made += missing
                fds[rel] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
                made.insert(0, path)
            else:
                fds[rel] = os.open(path, os.O_WRONLY | _NOFOLLOW)
        for rel, data in after.items():
            _overwrite(fds[rel], data)
    except OSError as exc:
        for old_rel, fd in fds.items():
            if before[old_rel] is not None:
                try:
                    _overwrite(fd, before[old_rel])
                except OSError:
                    pass
        _close(fds)
        _remove(made)
        raise UsageFailure(f"{rel} cannot be written: {reason(exc)}. Nothing was changed.") from None
    _close(fds)
    return before


def _close(fds: dict[str, int]) -> None:
    for fd in fds.values():
        try:
            os.close(fd)
        except OSError:
            pass
    fds.clear()


def _remove(paths: list[Path]) -> None:
    """Remove the files and (empty) folders a failed command made, newest first."""
    for path in paths:
        try:
            path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
        except OSError:
            pass


def restore(root: Path, before: dict[str, bytes | None]) -> None:
    for rel, raw in before.items():
        path = root / rel
        if raw is None:
            path.unlink(missing_ok=True)
            continue
        fd = os.open(path, os.O_WRONLY | _NOFOLLOW)
        try:
            _overwrite(fd, raw)
        finally:
            os.close(fd)


def added_lines(root: Path, before: dict[str, bytes | None]) -> dict[str, set[int]]:
    """Line numbers (1-based) of the lines the edits added, per file."""
    import difflib
    out: dict[str, set[int]] = {}
    for rel, raw in before.items():
        new = lines_of(file_text(root, rel)[1])
        old = lines_of(raw.decode("utf-8-sig")) if raw is not None else []
        lines: set[int] = set()
        for op, _a1, _a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if op in ("insert", "replace"):
                lines.update(range(b1 + 1, b2 + 1))
        out[rel] = lines
    return out
