"""Two playbooks compared entity by entity, and the impacts of what changed, graded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import model as m
from ..findings import Finding
from ..kinds import label as kind_label
from ..playbook import Playbook
from ..criteria import SCORE_FIELDS, lower_bound
from ..metrics import asks_more
from ..units import Duration, describe

if TYPE_CHECKING:
    from .leads import LeadImpact


GRADES = ("breaking", "warning", "info")
GRADE_RANK = {"off": -1, "info": 0, "warning": 1, "breaking": 2}

# impact code -> (default grade, what it means)
IMPACTS: dict[str, tuple[str, str]] = {
    "threshold-lowered": ("warning", "A stage's score threshold went down: more leads reach it."),
    "threshold-raised": ("info", "A stage's score threshold went up: fewer leads reach it."),
    "stage-removed": ("breaking", "A lifecycle stage was removed; reports and the CRM mapping change."),
    "stage-added": ("info", "A lifecycle stage was added."),
    "referenced-entity-removed": ("breaking", "Something the new side still refers to was removed or renamed."),
    "errors-on-head": ("breaking", "The new side has errors: what they hide cannot be compared (it is not removed)."),
    "errors-on-base": ("info", "The old side had errors: what they hid is shown as unreadable there, not as added."),
    "persona-lost-last-question": ("warning", "A persona has no qualifying question any more."),
    "persona-lost-last-proposition": ("warning", "A persona has no value proposition any more."),
    "negative-persona-removed": ("warning", "A negative persona was removed: those clients are no longer screened out."),
    "complaint-deadline-lengthened": ("warning", "A complaint is acknowledged or resolved more slowly."),
    "complaint-deadline-shortened": ("info", "A complaint is acknowledged or resolved faster."),
    "commitment-weakened": ("breaking", "A service commitment now promises less than before."),
    "commitment-strengthened": ("warning", "A service commitment now promises more: can we deliver it?"),
    "sla-lengthened": ("warning", "A handoff SLA gives the receiving team more time."),
    "sla-shortened": ("info", "A handoff SLA gives the receiving team less time."),
    "scoring-changed": ("info", "Scoring points, caps or decay changed."),
    "statement-changed": ("warning", "A value proposition's statement changed: marketing and sales must both update their wording."),
    "definition-changed": ("info", "A glossary definition changed."),
}


@dataclass
class FieldChange:
    path: str
    old: object = None
    new: object = None


@dataclass
class EntityChange:
    kind: str
    id: str
    name: str
    change: str  # added, removed, changed, renamed, unreadable
    path: str = ""
    old_id: str | None = None
    fields: list[FieldChange] = field(default_factory=list)
    side: str = ""  # for "unreadable": the side ("base" or "head") on which it cannot be read
    errors: list[Finding] = field(default_factory=list)  # the errors that hide it there


@dataclass
class Impact:
    code: str
    grade: str
    message: str
    kind: str = ""
    id: str = ""


@dataclass
class Diff:
    base: str
    head: str
    changes: list[EntityChange]
    impacts: list[Impact]
    leads: "LeadImpact | None" = None
    base_errors: list[Finding] = field(default_factory=list)  # what made parts of a side unreadable
    head_errors: list[Finding] = field(default_factory=list)

    def worst(self) -> int:
        return max((GRADE_RANK[i.grade] for i in self.impacts), default=-1)

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0, "renamed": 0, "unreadable": 0}
        for c in self.changes:
            out[c.change] += 1
        for g in GRADES:
            out[g] = sum(1 for i in self.impacts if i.grade == g)
        return out


def _plain(value):
    if isinstance(value, m.Model):
        return {k: _plain(v) for k, v in value.model_dump(mode="json", by_alias=True,
                                                           exclude_defaults=True).items()}
    return value


def flatten(value, prefix: str = "") -> dict[str, object]:
    """path -> scalar or sorted tuple (lists of plain values are compared as sets)."""
    out: dict[str, object] = {}
    if isinstance(value, dict):
        for key in sorted(value):
            out.update(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            out[prefix] = tuple(value)
        elif all(isinstance(v, dict) and "id" in v for v in value):
            for v in value:
                out.update(flatten({k: x for k, x in v.items() if k != "id"}, f"{prefix}[{v['id']}]"))
        else:
            for i, v in enumerate(value):
                out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def _fields(entity) -> dict[str, object]:
    data = entity.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.pop("id", None)
    return flatten(data)


def _title(entity) -> str:
    return getattr(entity, "term", None) or entity.name or getattr(entity, "question", "") or entity.id


def _hidden_by(pb: Playbook, kind: str, ident: str, path: str) -> list[Finding] | None:
    """The errors on ``pb``'s side that hide an entity seen on the other side in ``path``, or None
    when nothing hides it (it really is not there). An entity is hidden when it is there but
    invalid (its id is known, the entity is not), or when its file has errors that may have
    swallowed it (a YAML syntax error drops the whole file)."""
    here = [f for f in pb.findings if f.location.path == path]
    invalid = ident in pb.known_ids.get(kind, ()) and ident not in pb.entities.get(kind, {})
    if not here and not invalid:
        return None
    return sorted(here or pb.findings, key=Finding.sort_key)


def _entity_changes(base: Playbook, head: Playbook) -> list[EntityChange]:
    changes: list[EntityChange] = []
    for kind in m.ENTITY_CLASSES:
        old = base.entities.get(kind, {})
        new = head.entities.get(kind, {})
        removed = {i: old[i] for i in old if i not in new}
        added = {i: new[i] for i in new if i not in old}
        # an entity the other side cannot read is neither removed nor added
        for rid, r in list(removed.items()):
            hidden = _hidden_by(head, kind, rid, r._file)
            if hidden is not None:
                changes.append(EntityChange(kind, rid, _title(r), "unreadable", r._file, side="head", errors=hidden))
                del removed[rid]
        for aid, a in list(added.items()):
            hidden = _hidden_by(base, kind, aid, a._file)
            if hidden is not None:
                changes.append(EntityChange(kind, aid, _title(a), "unreadable", a._file, side="base", errors=hidden))
                del added[aid]
        # a removed and an added entity with the same name or the same content is a rename
        for rid, r in list(removed.items()):
            rf = _fields(r)
            for aid, a in list(added.items()):
                if (r.name and r.name == a.name) or rf == _fields(a):
                    fields = _field_changes(rf, _fields(a))
                    changes.append(EntityChange(kind, aid, _title(a), "renamed", a._file, rid, fields))
                    del removed[rid], added[aid]
                    break
        for rid, r in removed.items():
            changes.append(EntityChange(kind, rid, _title(r), "removed", r._file))
        for aid, a in added.items():
            changes.append(EntityChange(kind, aid, _title(a), "added", a._file))
        for ident in sorted(set(old) & set(new)):
            fields = _field_changes(_fields(old[ident]), _fields(new[ident]))
            if fields:
                changes.append(EntityChange(kind, ident, _title(new[ident]), "changed", new[ident]._file,
                                            fields=fields))
    order = {k: i for i, k in enumerate(m.ENTITY_CLASSES)}
    rank = {"unreadable": 0, "removed": 1, "renamed": 2, "changed": 3, "added": 4}
    return sorted(changes, key=lambda c: (order[c.kind], rank[c.change], c.id))


def _field_changes(old: dict, new: dict) -> list[FieldChange]:
    out = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a != b:
            out.append(FieldChange(path, a, b))
    return out


def _transition_changes(base: Playbook, head: Playbook) -> list[EntityChange]:
    def key(t):
        return f"{t.from_}→{t.to or 'out'} ({t.type})"

    old = {key(t): t for t in base.transitions}
    new = {key(t): t for t in head.transitions}
    out = []
    for k in sorted(set(old) - set(new)):
        hidden = _hidden_by(head, "transition", k, old[k]._file)
        if hidden is not None:
            out.append(EntityChange("transition", k, k, "unreadable", old[k]._file, side="head", errors=hidden))
        else:
            out.append(EntityChange("transition", k, k, "removed", old[k]._file))
    for k in sorted(set(new) - set(old)):
        hidden = _hidden_by(base, "transition", k, new[k]._file)
        if hidden is not None:
            out.append(EntityChange("transition", k, k, "unreadable", new[k]._file, side="base", errors=hidden))
        else:
            out.append(EntityChange("transition", k, k, "added", new[k]._file))
    for k in sorted(set(old) & set(new)):
        fields = _field_changes(flatten(_plain(old[k])), flatten(_plain(new[k])))
        if fields:
            out.append(EntityChange("transition", k, k, "changed", new[k]._file, fields=fields))
    return out


def _still_referring(head: Playbook, kind: str, ident: str) -> list[str]:
    """What on the new side still refers to ``ident``: what ``playbook check`` reports as dangling."""
    kinds = ("team", "role") if kind == "team" else (kind,)  # a role reference may name a whole team
    names = set()
    for k in kinds:
        for ref in head.referrers.get((k, ident), []):
            src = ref.source
            names.add(src.id if isinstance(src, m.Entity) else f"{src.from_}→{src.to or 'out'} ({src.type})")
    return sorted(names)


def _impacts(base: Playbook, head: Playbook, changes: list[EntityChange], grades: dict[str, str],
             base_errors: list[Finding] = (), head_errors: list[Finding] = ()) -> list[Impact]:
    out: list[Impact] = []

    def add(code, message, kind="", ident=""):
        grade = grades.get(code, IMPACTS[code][0])
        if grade != "off":
            out.append(Impact(code, grade, message, kind, ident))

    for c in changes:
        if c.kind == "stage" and c.change == "removed":
            add("stage-removed", f'The stage "{c.name}" was removed.', c.kind, c.id)
        elif c.kind == "stage" and c.change == "added":
            add("stage-added", f'The stage "{c.name}" was added.', c.kind, c.id)
        if c.change in ("removed", "renamed") and c.kind in m.ENTITY_CLASSES:
            gone = c.old_id if c.change == "renamed" else c.id
            old = base.get(c.kind, gone)
            users = _still_referring(head, c.kind, gone)
            if users:
                label = m.KIND_LABELS[c.kind]
                what = (f'was renamed to "{c.id}"' if c.change == "renamed" else "was removed")
                add("referenced-entity-removed",
                    f'The {label} "{gone}" {what}, but {len(users)} definition{"s" if len(users) > 1 else ""} '
                    f'on the new side still refer{"" if len(users) > 1 else "s"} to "{gone}" ({", ".join(users)}).',
                    c.kind, gone)
            if c.change != "removed":
                continue
            if c.kind == "persona" and old.kind == "negative":
                add("negative-persona-removed", f'The negative persona "{c.name}" was removed: those '
                    "clients are no longer screened out.", c.kind, c.id)

    # stage thresholds
    for stage in head.stages:
        before = base.get("stage", stage.id)
        if before is None:
            continue
        for f in SCORE_FIELDS:
            a, b = lower_bound(before.entry, f), lower_bound(stage.entry, f)
            if a and b and b[0] != a[0]:
                team = stage.owner or "the next team"
                label = stage.abbreviation or stage.name
                if b[0] < a[0]:
                    add("threshold-lowered", f"{label} entry threshold lowered: {f} {a[0]:g} → {b[0]:g}; "
                        f"more leads reach {team}.", "stage", stage.id)
                else:
                    add("threshold-raised", f"{label} entry threshold raised: {f} {a[0]:g} → {b[0]:g}; "
                        f"fewer leads reach {team}.", "stage", stage.id)

    # personas losing their last question or proposition
    def served(pb, pid):
        vps = sum(1 for v in pb.of("proposition") if pid in v.personas)
        qs = sum(1 for q in pb.of("question") if not q.personas or pid in q.personas)
        return vps, qs

    unreadable = {c.kind for c in changes if c.change == "unreadable" and c.side == "head"}
    for persona in head.personas:
        if unreadable & {"question", "proposition"}:
            break  # what the head cannot read is not lost
        if base.get("persona", persona.id) is None or persona.kind != "buyer":
            continue
        (v0, q0), (v1, q1) = served(base, persona.id), served(head, persona.id)
        if q0 and not q1:
            add("persona-lost-last-question", f'The persona "{persona.name}" lost its last qualifying question.',
                "persona", persona.id)
        if v0 and not v1:
            add("persona-lost-last-proposition", f'The persona "{persona.name}" lost its last value proposition.',
                "persona", persona.id)

    # complaints
    for proc in head.of("complaint"):
        before = base.get("complaint", proc.id)
        if before is None:
            continue
        old_sev = {s.id: s for s in before.severities}
        for sev in proc.severities:
            prev = old_sev.get(sev.id)
            if prev is None:
                continue
            for attr, word in (("acknowledge_within", "acknowledgement"), ("resolve_within", "resolution")):
                a, b = getattr(prev, attr), getattr(sev, attr)
                if a and b and a.calendar_hours != b.calendar_hours:
                    code = "complaint-deadline-lengthened" if b.calendar_hours > a.calendar_hours else "complaint-deadline-shortened"
                    verb = "lengthened" if code.endswith("lengthened") else "shortened"
                    add(code, f'"{proc.name}" ({sev.name or sev.id}): complaint {word} time {verb} from {a} to {b}.',
                        "complaint", proc.id)

    # commitments
    for c in head.of("commitment"):
        before = base.get("commitment", c.id)
        if before is None or before.value == c.value:
            continue
        metric = head.metrics.get(c.metric) if before.metric == c.metric else None
        if asks_more(metric, before.value, c.value):
            add("commitment-weakened", f'The commitment "{c.name}" now promises less: {describe(before.value)} → '
                f"{describe(c.value)}.", "commitment", c.id)
        elif asks_more(metric, c.value, before.value):
            add("commitment-strengthened", f'The commitment "{c.name}" now promises more: {describe(before.value)} → '
                f"{describe(c.value)}. Can every team deliver it?", "commitment", c.id)

    # handoff SLAs
    for h in head.of("handoff"):
        before = base.get("handoff", h.id)
        if before is None:
            continue
        pairs = [("follow-up", before.follow_up.within if before.follow_up else None,
                  h.follow_up.within if h.follow_up else None),
                 ("accept-or-reject", before.accept_within, h.accept_within)]
        for word, a, b in pairs:
            if isinstance(a, Duration) and isinstance(b, Duration) and a.calendar_hours != b.calendar_hours:
                code = "sla-lengthened" if b.calendar_hours > a.calendar_hours else "sla-shortened"
                add(code, f'"{h.name}": {word} time {"lengthened" if code == "sla-lengthened" else "shortened"} '
                    f"from {a} to {b}.", "handoff", h.id)

    for side, errors in (("head", head_errors), ("base", base_errors)):
        hidden = [c for c in changes if c.change == "unreadable" and c.side == side]
        if not errors and not hidden:
            continue
        n = len(errors)
        said = f'The {side} side {"has" if side == "head" else "had"} {n} error{"s" if n != 1 else ""} (listed under "Errors")'
        if hidden:
            names = ", ".join(f'the {kind_label(c.kind)} "{c.id}"' for c in hidden[:10])
            more = f" and {len(hidden) - 10} more" if len(hidden) > 10 else ""
            verb = "cannot be read there; it is" if len(hidden) == 1 else "cannot be read there; they are"
            fate = ("left out of this comparison, not removed" if side == "head"
                    else "shown as unreadable there, not as added")
            said += f": {names}{more} {verb} {fate}."
        else:
            said += f"; what {'it hides' if n == 1 else 'they hide'} cannot be compared."
        add(f"errors-on-{side}", said, "", "")

    for c in changes:
        if c.kind == "scoring" and c.change == "changed":
            paths = ", ".join(f.path for f in c.fields[:4]) + ("…" if len(c.fields) > 4 else "")
            add("scoring-changed", f"The scoring model changed ({paths}); scores and stages of existing leads move.",
                "scoring", c.id)
        if c.kind == "proposition" and c.change == "changed" and any(f.path == "statement" for f in c.fields):
            add("statement-changed", f'The statement of "{c.name}" changed; marketing copy and sales pitch must '
                "both use the new words.", "proposition", c.id)
        if c.kind == "term" and c.change == "changed" and any(f.path == "definition" for f in c.fields):
            add("definition-changed", f'The glossary definition of "{c.name}" changed.', "term", c.id)
    return sorted(out, key=lambda i: (-GRADE_RANK[i.grade], i.kind, i.id, i.message))


def diff_playbooks(base: Playbook, head: Playbook, base_label: str = "base", head_label: str = "head",
                   grades: dict[str, str] | None = None) -> Diff:
    changes = _entity_changes(base, head) + _transition_changes(base, head)
    head_errors = sorted(head.findings, key=Finding.sort_key)
    still = {(f.code, f.location, f.message) for f in head_errors}
    # an error both sides have is listed once, on the head side, where it has to be fixed
    base_errors = sorted((f for f in base.findings if (f.code, f.location, f.message) not in still),
                         key=Finding.sort_key)
    impacts = _impacts(base, head, changes, grades or {}, base_errors, head_errors)
    return Diff(base_label, head_label, changes, impacts, base_errors=base_errors, head_errors=head_errors)


def changed_scope(base: Playbook, head: Playbook) -> tuple[set[tuple[str, str]], set[str]]:
    """The entities (kind, id) added, renamed or changed from ``base`` to ``head``, and their files."""
    entities, files = set(), set()
    for c in _entity_changes(base, head):
        if c.change == "removed":
            continue
        entities.add((c.kind, c.id))
        if c.path:
            files.add(c.path)
    return entities, files
