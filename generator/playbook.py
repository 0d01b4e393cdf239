"""Build one :class:`Playbook` from a folder: load every file, validate, resolve references.

Nothing after this module reads YAML. Invalid entities are left out of the model, but their ids
are remembered so that references to them do not also show up as dangling.
"""

from __future__ import annotations

import difflib
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from pydantic import BaseModel, TypeAdapter, ValidationError

from . import model as m
from .findings import Finding, Location
from .kinds import BY_KIND
from .metrics import registry
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
            pb.findings.append(Finding("PB012", where, _unknown(key, m.SECTIONS, "section")))
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
            pb.findings.extend(_validation_findings(exc, data, path, ("metrics", index), m.MetricDeclaration,
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
        pb.findings.extend(_validation_findings(exc, data, path, (section.key,), None, section.key))
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
        pb.findings.extend(_validation_findings(exc, root, path, base, cls, label,
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


# ---------------------------------------------------------------- validation messages


def _unknown(key: str, allowed, what: str = "field") -> str:
    msg = f'Unknown {what} "{key}".'
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    if close:
        msg += f' Did you mean "{close[0]}"?'
    elif allowed:
        names = sorted(allowed)
        if len(names) <= 12:
            msg += " Allowed here: " + ", ".join(names) + "."
    return msg


def _field_names(cls) -> list[str]:
    return [info.alias or name for name, info in cls.model_fields.items()]


def _class_at(cls, loc: tuple):
    """The model class found by following ``loc`` from ``cls`` (for "did you mean")."""
    from typing import get_args, get_origin
    current = cls
    for step in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        if isinstance(step, int):
            continue
        field = None
        for name, info in current.model_fields.items():
            if step in (name, info.alias):
                field = info
        if field is None:
            return None
        annotation = field.annotation
        while True:
            origin = get_origin(annotation)
            args = [a for a in get_args(annotation) if a is not type(None)]
            if origin is list and args:
                annotation = args[0]
                continue
            if origin is not None and args and not (isinstance(annotation, type)):
                models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
                if models:
                    annotation = models[0]
                    continue
                inner = [a for a in args if get_origin(a) is list]
                if inner:
                    annotation = inner[0]
                    continue
            break
        current = annotation
    return current


_TYPE_WORDS = {
    "int_parsing": "should be a whole number", "int_type": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_parsing": "should be a number", "float_type": "should be a number",
    "bool_parsing": "should be true or false", "bool_type": "should be true or false",
    "date_parsing": "should be a date like 2026-03-31", "date_from_datetime_parsing":
    "should be a date like 2026-03-31", "date_type": "should be a date like 2026-03-31",
    "string_type": "should be text", "list_type": "should be a list",
    "dict_type": "should be a mapping of fields", "model_type": "should be a mapping of fields",
    "model_attributes_type": "should be a mapping of fields",
}


def _validation_findings(exc: ValidationError, root, path: str, base: tuple, cls, label: str,
                         ident: str | None = None) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple] = set()
    what = f'{label} "{ident}"' if ident else (f"this {label}" if cls else f'"{label}"')
    for err in exc.errors():
        loc = tuple(err["loc"])
        # drop union branch names and other steps that are not in the YAML
        steps, node = [], root
        for step in base:
            node = node[step] if isinstance(node, (LocDict, LocList)) else None
        for step in loc:
            if isinstance(node, LocDict) and isinstance(step, str) and step in node:
                steps.append(step)
                node = node[step]
            elif isinstance(node, LocList) and isinstance(step, int) and 0 <= step < len(node):
                steps.append(step)
                node = node[step]
            elif err["type"] in ("missing", "extra_forbidden") and step == loc[-1]:
                steps.append(step)
                break
            else:
                if not isinstance(step, (str, int)) or isinstance(node, (LocDict, LocList)):
                    continue
                break
        steps_t = tuple(steps)
        field = ".".join(str(s) if isinstance(s, str) else f"[{s}]" for s in steps_t).replace(".[", "[")
        kind = err["type"]
        if kind == "missing":
            code = "PB011"
            where = locate(root, base + steps_t[:-1])
            msg = f'The {what} is missing the required field "{steps_t[-1] if steps_t else "?"}".'
        elif kind == "extra_forbidden":
            code = "PB012"
            where = locate_key(root, base + steps_t)
            owner = _class_at(cls, steps_t[:-1]) if cls else None
            allowed = _field_names(owner) if isinstance(owner, type) and issubclass(owner, BaseModel) else []
            msg = _unknown(str(steps_t[-1]) if steps_t else "?", allowed) + f" (in the {what})"
        else:
            code = "PB010"
            where = locate(root, base + steps_t)
            if kind in _TYPE_WORDS:
                problem = _TYPE_WORDS[kind]
            elif kind == "literal_error":
                problem = "should be one of: " + err.get("ctx", {}).get("expected", "").replace("'", "")
            elif kind == "value_error":
                problem = str(err["msg"]).removeprefix("Value error, ")
            elif kind in ("greater_than", "greater_than_equal", "less_than_equal", "less_than"):
                problem = str(err["msg"]).replace("Input should be", "should be")
            else:
                problem = str(err["msg"]).replace("Input should be", "should be")
            got = err.get("input")
            shown = f' (it is "{got}")' if isinstance(got, str) and len(got) < 60 and kind != "value_error" else ""
            msg = f'In the {what}, "{field or label}" {problem}{shown}.'
        line, col = where or (1, 1)
        key = (code, line, col)
        if key in seen:
            continue
        seen.add(key)
        out.append(Finding(code, Location(path, line, col), msg,
                           entity=(cls.KIND, ident) if cls and ident else None))
    return out
