"""The kinds, sections and files of a playbook, derived from ``generator/kinds.py``."""

from __future__ import annotations

from typing import Literal

from .. import kinds as entity_kinds
from .base import Entity
from .criteria import MetricDeclaration
from . import entities
from .parts import FRAMEWORKS, Transition


def _classes() -> dict[str, type[Entity]]:
    found = {c.KIND: c for c in vars(entities).values()
             if isinstance(c, type) and issubclass(c, Entity) and c.KIND}
    missing = [k.kind for k in entity_kinds.KINDS if k.kind not in found]
    unlisted = sorted(set(found) - set(entity_kinds.BY_KIND))
    if missing or unlisted:  # pragma: no cover - a kind is one row in kinds.py and one class here
        raise RuntimeError(f"entity kinds without a model class: {missing}; classes without a row in "
                           f"kinds.py: {unlisted}")
    return {k.kind: found[k.kind] for k in entity_kinds.KINDS}


# every entity class by its kind, in the order of kinds.KINDS
ENTITY_CLASSES: dict[str, type[Entity]] = _classes()

KIND_LABELS: dict[str, str] = {k.kind: k.label for k in entity_kinds.KINDS} | entity_kinds.OTHER_LABELS


class Section:
    """A top-level key of a definitions file and what it holds."""

    def __init__(self, key: str, kind: str | None, many: bool = True, value_type=None, file: str | None = None):
        self.key, self.kind, self.many, self.value_type, self.file = key, kind, many, value_type, file


# sections that hold values rather than entities, by key: their type (the file is their kind's)
_VALUE_SECTIONS = {
    "metrics": list[MetricDeclaration],
    "out_of_scope": list[str],
    "transitions": list[Transition],
    "frameworks": list[Literal[tuple(FRAMEWORKS)]],
}


def _sections() -> dict[str, Section]:
    out: dict[str, Section] = {}
    for k in entity_kinds.KINDS:
        if k.section is None:
            continue
        for key in k.before:
            out[key] = Section(key, None, value_type=_VALUE_SECTIONS[key], file=k.file)
        out[k.section] = Section(k.section, k.kind, many=k.many, file=k.file)
        for key in k.after:
            out[key] = Section(key, None, value_type=_VALUE_SECTIONS[key], file=k.file)
    return out


SECTIONS: dict[str, Section] = _sections()

# File kinds for JSON Schema: the sections each kind of definitions file holds, in their order.
FILE_KINDS: dict[str, tuple[str, ...]] = {
    file: tuple(s.key for s in SECTIONS.values() if s.file == file)
    for file in dict.fromkeys(s.file for s in SECTIONS.values())}
