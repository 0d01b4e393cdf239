"""Read playbook YAML files safely, keeping a file/line/column for every value.

Only plain data is accepted: mappings, sequences and scalars. Tags, anchors and aliases,
binary or non-UTF-8 files, files over the size limit and duplicate keys are refused with a
located finding. Scalars are kept as the text the author wrote (or ``None`` for an empty
value); the model decides what type a field is, so ``country: NO`` stays the text "NO".

Lines and columns are counted as editors and GitHub count them: only CR, LF and CR LF end a
line. libyaml also ends a line at NEL (U+0085), U+2028 and U+2029; in a file holding one of
those, every position it reports is mapped back to the editor's line and column.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.cyaml import CParser
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .findings import Finding, Location

DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024

_NULL = "null"
_STR = "str"
_EXPLICIT_STR = "tag:yaml.org,2002:str"
_NULL_WORDS = frozenset(("", "~", "null", "Null", "NULL"))


class LocDict(dict):
    """A mapping that remembers where each key and value was written (1-based line, column)."""

    __slots__ = ("line", "col", "key_locs", "value_locs")


class LocList(list):
    """A sequence that remembers where each item was written."""

    __slots__ = ("line", "col", "item_locs")


class _Parser(CParser):
    """libyaml parser whose resolver only tells empty values from text (fast and predictable)."""

    # The resolver protocol calls these for every node; C builtins are the cheapest no-ops.
    descend_resolver = staticmethod(slice)
    ascend_resolver = staticmethod(tuple)

    def resolve(self, kind, value, implicit):  # noqa: D102
        if kind is ScalarNode and implicit[0] and value in _NULL_WORDS:
            return _NULL
        return _STR


class _Refusal(Exception):
    def __init__(self, code: str, message: str, line: int, col: int):
        super().__init__(message)
        self.code, self.message, self.line, self.col = code, message, line, col


@dataclass
class LoadedFile:
    """One YAML file: its data (``None`` when it could not be read) and what went wrong."""

    path: str  # relative to the playbook root, with forward slashes
    data: object = None
    text: str = ""
    findings: list[Finding] = field(default_factory=list)

    def location(self, line: int = 1, col: int = 1) -> Location:
        return Location(self.path, line, col)


def read_text(path: Path, rel: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES,
              kind: str = "YAML") -> tuple[str | None, Finding | None]:
    """A playbook file's text, or the located reason it cannot be read (PB003): over the size
    limit, unreadable, binary, or not UTF-8. ``kind`` names what the file should hold."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, Finding("PB003", Location(rel, 1, 1),
                f"This file is {size:,} bytes, over the {max_bytes:,}-byte limit for one "
                "playbook file; split it into smaller files.")
        raw = path.read_bytes()
    except OSError as exc:
        return None, Finding("PB003", Location(rel, 1, 1), f"The file cannot be read: {exc.strerror or exc}.")
    return decode_text(raw, rel, kind)


def decode_text(raw: bytes, rel: str, kind: str = "YAML") -> tuple[str | None, Finding | None]:
    """``raw`` as UTF-8 text, or the located reason it is not text."""
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        return None, Finding("PB003", Location(rel, line, 1),
            f"This looks like a binary file, not {kind} text; remove it or save it as text.")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, Finding("PB003", Location(rel, line, col),
            f"This file is not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be read); save it as UTF-8.")


def load_file(path: Path, rel: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> LoadedFile:
    """Load one YAML file; never raises for bad content, reports findings instead."""
    loaded = LoadedFile(rel)
    text, problem = read_text(path, rel, max_bytes)
    if problem is not None:
        loaded.findings.append(problem)
        return loaded
    return _load_text(text, loaded)


def load_bytes(raw: bytes, rel: str, loaded: LoadedFile | None = None) -> LoadedFile:
    loaded = loaded or LoadedFile(rel)
    text, problem = decode_text(raw, rel)
    if problem is not None:
        loaded.findings.append(problem)
        return loaded
    return _load_text(text, loaded)


def _load_text(text: str, loaded: LoadedFile) -> LoadedFile:
    loaded.text = text
    loaded.data = _parse(text, loaded)
    return loaded


# Line breaks for libyaml, and for editors and GitHub.
_YAML_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_EDITOR_BREAKS = re.compile("\r\n|[\r\n]")


class LineMap:
    """Maps libyaml's (line, column) to the editor's, for text where the two count differently.

    Both are 1-based. A libyaml position is turned into an offset in the text through the
    starts of libyaml's lines, and the offset into a line and column through the editor's."""

    def __init__(self, text: str):
        self.yaml_starts = [0] + [m.end() for m in _YAML_BREAKS.finditer(text)]
        self.editor_starts = [0] + [m.end() for m in _EDITOR_BREAKS.finditer(text)]

    def __call__(self, line: int, col: int) -> tuple[int, int]:
        if not 1 <= line <= len(self.yaml_starts):
            return line, col
        offset = self.yaml_starts[line - 1] + col - 1
        index = bisect_right(self.editor_starts, offset) - 1
        return index + 1, offset - self.editor_starts[index] + 1


def line_map(text: str) -> LineMap | None:
    """A :class:`LineMap` when libyaml would count lines differently from an editor, else None."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        return LineMap(text)
    return None


def _identity(line: int, col: int) -> tuple[int, int]:
    return line, col


def _within(text: str, line: int, col: int) -> tuple[int, int]:
    """A position inside the text: libyaml puts the end of a text that does not end with a line
    break on the line after its last, which an editor does not have; that is the end of the last line."""
    lines = _EDITOR_BREAKS.split(text)
    if line > len(lines):
        return len(lines), len(lines[-1]) + 1
    return line, min(col, len(lines[line - 1]) + 1)


def _remap(value, fix) -> None:
    """Move every position recorded in loaded data through ``fix``."""
    if isinstance(value, LocDict):
        value.line, value.col = fix(value.line, value.col)
        value.key_locs = {k: fix(*loc) for k, loc in value.key_locs.items()}
        value.value_locs = {k: fix(*loc) for k, loc in value.value_locs.items()}
        for item in value.values():
            _remap(item, fix)
    elif isinstance(value, LocList):
        value.line, value.col = fix(value.line, value.col)
        value.item_locs = [fix(*loc) for loc in value.item_locs]
        for item in value:
            _remap(item, fix)


def _parse(text: str, loaded: LoadedFile):
    fix = line_map(text)
    parser = _Parser(text)
    try:
        node = parser.get_single_node()
    except yaml.MarkedYAMLError as exc:
        at = fix or _identity
        mark = exc.problem_mark or exc.context_mark
        line, col = _within(text, *at(mark.line + 1, mark.column + 1)) if mark else (1, 1)
        problem = exc.problem or exc.context or "this is not valid YAML"
        if exc.context and exc.context_mark and exc.problem:
            started = at(exc.context_mark.line + 1, exc.context_mark.column + 1)[0]
            problem += f" ({exc.context} that starts on line {started})"
        loaded.findings.append(Finding("PB001", loaded.location(line, col),
            f"The YAML cannot be read here: {problem}. Check the indentation and quotes."))
        return None
    except yaml.YAMLError as exc:  # reader errors (control characters) and the like
        loaded.findings.append(Finding("PB001", loaded.location(),
            f"The YAML cannot be read: {exc}."))
        return None
    finally:
        parser.dispose()
    if node is None:
        return None
    walker = _Walker(loaded, track_aliases=("*" in text), fix=fix)
    try:
        data = walker.value(node, 0)
    except _Refusal as ref:
        line, col = fix(ref.line, ref.col) if fix else (ref.line, ref.col)
        loaded.findings.append(Finding(ref.code, loaded.location(line, col), ref.message))
        return None
    if fix is not None:
        _remap(data, fix)
    return data


_MAX_DEPTH = 60


class _Walker:
    """Turns a composed node tree into LocDict / LocList / str / None."""

    def __init__(self, loaded: LoadedFile, track_aliases: bool, fix: LineMap | None = None):
        self.loaded = loaded
        self.seen: set[int] | None = set() if track_aliases else None
        self.fix = fix or _identity  # positions kept in the data are mapped once, after the walk

    def value(self, node, depth, used_at=None):
        if self.seen is not None:
            key = id(node)
            if key in self.seen:
                m = node.start_mark
                line, col = used_at or (m.line + 1, m.column + 1)
                raise _Refusal("PB002", "Aliases (*name) that repeat an anchored value (&name) are "
                               "not allowed in a playbook: write the value out in full.", line, col)
            self.seen.add(key)
        tag = node.tag
        cls = node.__class__
        if cls is ScalarNode:
            if tag is _STR:
                return node.value
            if tag is _NULL:
                return None
            if tag == _EXPLICIT_STR:
                return node.value
            self._refuse_tag(node)
        if depth > _MAX_DEPTH:
            m = node.start_mark
            raise _Refusal("PB002", f"Values are nested more than {_MAX_DEPTH} levels deep; "
                           "a playbook never needs that.", m.line + 1, m.column + 1)
        if tag is not _STR:
            self._refuse_tag(node)
        if cls is MappingNode:
            return self.mapping(node, depth)
        if cls is SequenceNode:
            out = LocList()
            m = node.start_mark
            out.line, out.col = m.line + 1, m.column + 1
            locs = []
            for item in node.value:
                im = item.start_mark
                locs.append((im.line + 1, im.column + 1))
                out.append(self.value(item, depth + 1))
            out.item_locs = locs
            return out
        self._refuse_tag(node)  # pragma: no cover - no other node kinds exist

    def mapping(self, node, depth):
        out = LocDict()
        m = node.start_mark
        out.line, out.col = m.line + 1, m.column + 1
        key_locs: dict[str, tuple[int, int]] = {}
        value_locs: dict[str, tuple[int, int]] = {}
        seen = self.seen
        for key_node, value_node in node.value:
            km = key_node.start_mark
            if key_node.__class__ is not ScalarNode:
                raise _Refusal("PB010", "A key must be a plain word, not a list or mapping.",
                               km.line + 1, km.column + 1)
            if seen is not None:
                seen.add(id(key_node))
            if key_node.tag is not _STR and key_node.tag is not _NULL:
                self._refuse_tag(key_node)
            key = key_node.value
            if key in out:
                first = self.fix(*key_locs[key])
                self.loaded.findings.append(Finding("PB013", self.loaded.location(
                    *self.fix(km.line + 1, km.column + 1)),
                    f'The key "{key}" appears twice in this mapping (first on line {first[0]}); '
                    "YAML would silently keep only the last one. Remove one of them."))
                continue
            vm = value_node.start_mark
            key_locs[key] = kl = (km.line + 1, km.column + 1)
            value_locs[key] = (vm.line + 1, vm.column + 1)
            # plain text is by far the most common value: take it without a call
            if value_node.__class__ is ScalarNode and value_node.tag is _STR and seen is None:
                out[key] = value_node.value
            else:
                out[key] = self.value(value_node, depth + 1, kl)
        out.key_locs = key_locs
        out.value_locs = value_locs
        return out

    def _refuse_tag(self, node):
        m = node.start_mark
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise _Refusal("PB002", f'The YAML tag "{tag}" is not allowed in a playbook: '
                       "write plain values without tags.", m.line + 1, m.column + 1)


def locate(data, path) -> tuple[int, int] | None:
    """The line and column of the value at ``path`` (keys and indexes) inside loaded data.

    Falls back to the deepest part of the path that exists, so a finding about a missing field
    points at the mapping that should hold it.
    """
    best = None
    if isinstance(data, (LocDict, LocList)):
        best = (data.line, data.col)
    node = data
    for step in path:
        if isinstance(node, LocDict) and isinstance(step, str) and step in node:
            best = node.value_locs.get(step, best)
            node = node[step]
        elif isinstance(node, LocList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_locs[step]
            node = node[step]
        else:
            break
    return best


def locate_key(data, path) -> tuple[int, int] | None:
    """Like :func:`locate`, but points at the key of the last step (for unknown fields)."""
    if not path:
        return locate(data, path)
    parent = data
    for step in path[:-1]:
        if isinstance(parent, LocDict) and isinstance(step, str) and step in parent:
            parent = parent[step]
        elif isinstance(parent, LocList) and isinstance(step, int) and 0 <= step < len(parent):
            parent = parent[step]
        else:
            return locate(data, path)
    last = path[-1]
    if isinstance(parent, LocDict) and last in parent.key_locs:
        return parent.key_locs[last]
    return locate(data, path)
