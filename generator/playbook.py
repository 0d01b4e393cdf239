"""Build one :class:`Playbook` from a folder: load every file, validate, resolve references.

Nothing after this module reads YAML. Invalid entities are left out of the model, but their ids
are remembered so that references to them do not also show up as dangling.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from pydantic import TypeAdapter, ValidationError

from . import model as m
from .findings import Finding, Location
from .kinds import BY_KIND
from .metrics import registry
from .validation import unknown_message, validation_findings
from .load import DEFAULT_MAX_FILE_BYTES, LocDict, LocList, LoadedFile, load_file, locate, locate_key, read_text

PERSONA_DIR = "personas"
DEFINITIONS_DIR = "definitions"
HAND_WRITTEN_DIR = "playbook"  # hand-written Markdown pages: the team's reviewed text
TEMPLATES_DIR = "templates"  # the team's own page templates, overriding the shipped ones
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Reference:
    """``source`` refers to the entity (kind, target) at ``path`` inside the source."""

    source: m.Entity | m.Transition
    path: tuple
    kind: str
    target: str


class Playbook:
    """Every entity by kind and id, the reference graph, and what loading found wrong."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, LoadedFile] = {}
        self.pages: dict[str, str] = {}  # hand-written pages, by path inside playbook/
        self.findings: list[Finding] = []
        self.entities: dict[str, dict[str, m.Entity]] = {k: {} for k in m.ENTITY_CLASSES}
        self.all_entities: list[m.Entity] = []  # in file order, duplicates included
        self.known_ids: dict[str, set[str]] = defaultdict(set)
        self.transitions: list[m.Transition] = []
        self.frameworks: list[str] = []
        self.frameworks_at: Location | None = None
        self.out_of_scope: list[str] = []
        self.metric_declarations: list[m.MetricDeclaration] = []
        self._metrics: dict | None = None
        self.roles: dict[str, tuple[m.Team, m.Role]] = {}
        self.references: list[Reference] = []
        self.referrers: dict[tuple[str, str], list[Reference]] = defaultdict(list)

    # ------------------------------------------------------------ lookups

    def get(self, kind: str, id: str):
        return self.entities.get(kind, {}).get(id)

    def of(self, kind: str) -> list:
        return list(self.entities.get(kind, {}).values())

    @property
    def personas(self) -> list[m.Persona]:
        return self.of("persona")

    @property
    def stages(self) -> list[m.Stage]:
        """Stages sorted by their order."""
        return sorted(self.of("stage"), key=lambda s: (s.order, s.id))

    @property
    def scoring(self) -> m.ScoringModel | None:
        models = self.of("scoring")
        return models[0] if models else None

    @property
    def metrics(self) -> dict:
        """Metric name -> Metric: the catalogue with this playbook's declarations added."""
        if self._metrics is None:
            self._metrics = registry(self.metric_declarations)
        return self._metrics

    def referrers_of(self, entity: m.Entity) -> list[Reference]:
        return self.referrers.get((entity.KIND, entity.id), [])

    def exists(self, kind: str, id: str) -> bool:
        if kind == "role":
            return id in self.roles or id in self.known_ids["team"] or id in self.known_ids["role"]
        return id in self.known_ids[kind]

    def loc(self, obj, *path) -> Location:
        """Where ``path`` (YAML keys and indexes) inside an entity or transition was written."""
        raw = obj._raw
        found = locate(raw, obj._base + path) if raw is not None else None
        line, col = found or (1, 1)
        return Location(obj._file, line, col)

    def key_loc(self, obj, *path) -> Location:
        found = locate_key(obj._raw, obj._base + path) if obj._raw is not None else None
        line, col = found or (1, 1)
        return Location(obj._file, line, col)

    def finding(self, code: str, obj, path: Iterable = (), message: str = "") -> Finding:
        entity = (obj.KIND, obj.id) if isinstance(obj, m.Entity) else None
        return Finding(code, self.loc(obj, *path), message, entity=entity)

    def owner_of(self, entity) -> str | None:
        return getattr(entity, "owner", None)


# ---------------------------------------------------------------- building


def _walk(root: Path, folder: str, suffixes: tuple[str, ...]) -> tuple[list[tuple[Path, str]], list[Finding]]:
    """Files under ``root/folder`` with one of ``suffixes``, sorted, and a finding for every
    symbolic link among them (or to a folder): links are never followed, so no file outside
    the playbook can be read or published through one."""
    files: list[tuple[Path, str]] = []
    refused: list[Finding] = []
    base = root / folder

    def refuse(path: Path):
        rel = path.relative_to(root).as_posix()
        try:
            target = os.readlink(path)
        except OSError:
            target = "somewhere else"
        refused.append(Finding("PB003", Location(rel, 1, 1),
            f'This is a symbolic link (to "{target}"), not a file of the playbook; links are never '
            "followed, so it is not read or published. Put the file itself here instead."))

    if base.is_symlink():
        refuse(base)
        return files, refused
    if not base.is_dir():
        return files, refused
    for dirpath, dirnames, filenames in os.walk(base):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if (here / name).is_symlink():
                refuse(here / name)
        dirnames[:] = sorted(d for d in dirnames if not (here / d).is_symlink())
        for name in sorted(filenames):
            path = here / name
            if not name.endswith(suffixes):
                continue
            if path.is_symlink():
                refuse(path)
            elif path.is_file():
                files.append((path, path.relative_to(root).as_posix()))
    return sorted(files, key=lambda f: f[1]), refused


def discover(root: Path) -> list[tuple[Path, str]]:
    """Every playbook YAML file under root, as (absolute path, relative posix path), sorted.
    Symbolic links are left out (:func:`build` reports them)."""
    out = []
    for folder in (PERSONA_DIR, DEFINITIONS_DIR):
        out += _walk(root, folder, YAML_SUFFIXES)[0]
    return out


def build(root: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
          paths: list[tuple[Path, str]] | None = None) -> Playbook:
    pb = Playbook(root)
    if paths is None:
        paths = []
        for folder in (PERSONA_DIR, DEFINITIONS_DIR):
            found, refused = _walk(root, folder, YAML_SUFFIXES)
            paths += found
            pb.findings += refused
    for path, rel in paths:
        loaded = load_file(path, rel, max_file_bytes)
        pb.files[rel] = loaded
        pb.findings.extend(loaded.findings)
        if loaded.data is None:
            if not loaded.findings:
                pb.findings.append(Finding("PB011", loaded.location(),
                                           "This file is empty; remove it or add its content."))
            continue
        if rel.startswith(PERSONA_DIR + "/"):
            _add_persona(pb, loaded)
        else:
            _add_definitions(pb, loaded)
    pages, refused = _walk(root, HAND_WRITTEN_DIR, (".md",))
    pb.findings += refused
    pb.findings += _walk(root, TEMPLATES_DIR, ("",))[1]  # the team's templates: links are refused too
    for path, rel in pages:
        text, problem = read_text(path, rel, max_file_bytes, "Markdown")
        if problem is not None:
            pb.findings.append(problem)
        else:
            pb.pages[rel[len(HAND_WRITTEN_DIR) + 1:]] = text
    _index_roles(pb)
    _resolve(pb)
    return pb


def _add_persona(pb: Playbook, loaded: LoadedFile):
    data = loaded.data
    if not isinstance(data, LocDict):
        pb.findings.append(Finding("PB010", loaded.location(data.line if isinstance(data, LocList) else 1, 1),
                                   "A persona file holds one persona: a mapping of fields "
                                   "(id, name, kind ...), not a list or a single value."))
        return
    _add_entity(pb, m.Persona, data, loaded.path, ())


def _add_definitions(pb: Playbook, loaded: LoadedFile):
    data = loaded.data
    if not isinstance(data, LocDict):
        pb.findings.append(Finding("PB010", loaded.location(),
                                   "A definitions file is a mapping of sections such as "
                                   "stages:, value_propositions: or glossary:."))
        return
    for key, value in data.items():
        section = m.SECTIONS.get(key)
        where = Location(loaded.path, *data.key_locs[key])
        if section is None:
            pb.findings.append(Finding("PB012", where, unknown_message(key, m.SECTIONS, "section")))
            continue
        if section.value_type is not None:
            _add_setting(pb, section, value, data, loaded.path, where)
        elif section.many:
            if value is None:
                continue
            if not isinstance(value, LocList):
                pb.findings.append(Finding("PB010", where, f'"{key}" should be a list of '
                                           f"{BY_KIND[section.kind].plural}, each starting with '- id:'."))
                continue
            cls = m.ENTITY_CLASSES[section.kind]
            for index, item in enumerate(value):
                _add_entity(pb, cls, item, loaded.path, (key, index), root=data)
        else:
            _add_entity(pb, m.ENTITY_CLASSES[section.kind], value, loaded.path, (key,), root=data)


_ADAPTERS: dict[str, TypeAdapter] = {}


def _add_metrics(pb: Playbook, value, data, path: str, where: Location):
    """Each metric declaration on its own, so one mistake does not hide the others."""
    if value is None:
        return
    if not isinstance(value, LocList):
        pb.findings.append(Finding("PB010", where, '"metrics" should be a list of metric declarations, '
                                   "each like {id: fitting_time, kind: duration, more: shorter}."))
        return
    for index, item in enumerate(value):
        if not isinstance(item, LocDict):
            line, col = locate(data, ("metrics", index)) or (1, 1)
            pb.findings.append(Finding("PB010", Location(path, line, col), "Each metric declaration should be "
                                       "a mapping like {id: fitting_time, kind: duration, more: shorter}."))
            continue
        ident = item.get("id")
        ident = ident if isinstance(ident, str) else None
        if ident:
            pb.known_ids["metric"].add(ident)
        try:
            declaration = m.MetricDeclaration.model_validate(item)
        except ValidationError as exc:
            pb.findings.extend(validation_findings(exc, data, path, ("metrics", index), m.MetricDeclaration,
                                                    "metric declaration", ident))
            continue
        declaration._raw, declaration._file, declaration._base = data, path, ("metrics", index)
        first = next((d for d in pb.metric_declarations if d.id == declaration.id), None)
        if first is not None:
            pb.findings.append(pb.finding("PB020", declaration, ("id",), f'The metric "{declaration.id}" is '
                                          f'already declared at {pb.loc(first, "id")}; keep one declaration.'))
            continue
        pb.metric_declarations.append(declaration)


def _add_setting(pb: Playbook, section: m.Section, value, data, path: str, where: Location):
    if section.key == "metrics":
        _add_metrics(pb, value, data, path, where)
        return
    adapter = _ADAPTERS.setdefault(section.key, TypeAdapter(section.value_type))
    try:
        parsed = adapter.validate_python(value if value is not None else [])
    except ValidationError as exc:
        pb.findings.extend(validation_findings(exc, data, path, (section.key,), None, section.key))
        return
    if section.key == "transitions":
        for index, transition in enumerate(parsed):
            transition._raw, transition._file, transition._base = data, path, ("transitions", index)
            pb.transitions.append(transition)
    elif section.key == "frameworks":
        pb.frameworks.extend(parsed)
        pb.frameworks_at = where
    elif section.key == "out_of_scope":
        pb.out_of_scope.extend(parsed)


def _add_entity(pb: Playbook, cls: type[m.Entity], raw, path: str, base: tuple, root=None):
    root = raw if root is None else root
    label = m.KIND_LABELS[cls.KIND]
    if not isinstance(raw, LocDict):
        line, col = locate(root, base) or (1, 1)
        pb.findings.append(Finding("PB010", Location(path, line, col),
                                   f"Each {label} should be a mapping of fields starting with 'id:'."))
        return
    ident = raw.get("id")
    if isinstance(ident, str):
        pb.known_ids[cls.KIND].add(ident)
    try:
        entity = cls.model_validate(raw)
    except ValidationError as exc:
        pb.findings.extend(validation_findings(exc, root, path, base, cls, label,
                                                ident if isinstance(ident, str) else None))
        return
    entity._raw, entity._file, entity._base = root, path, base
    pb.all_entities.append(entity)
    pb.entities[cls.KIND].setdefault(entity.id, entity)


def _index_roles(pb: Playbook):
    for team in pb.of("team"):
        for role in team.roles:
            pb.roles.setdefault(role.id, (team, role))
            pb.known_ids["role"].add(role.id)


def _resolve(pb: Playbook):
    sources: list = list(pb.all_entities) + list(pb.transitions)
    for source in sources:
        for path, kind, target in m.iter_refs(source):
            ref = Reference(source, path, kind, target)
            pb.references.append(ref)
            pb.referrers[(kind, target)].append(ref)
    # a role reference may name a whole team; index it under the team as well
    for (kind, target), refs in list(pb.referrers.items()):
        if kind == "role" and target not in pb.roles and target in pb.known_ids["team"]:
            pb.referrers[("team", target)].extend(refs)
