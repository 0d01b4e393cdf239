"""Semantic diff: two playbooks compared by entity, with graded impacts a reviewer cares about.

A line diff says "line 41 changed"; this says "the SQL entry threshold was lowered from 50 to
40, so more leads reach sales". Changes are grouped by entity (added, removed, renamed,
changed with each field old → new); impacts are graded breaking / warning / info, and the
grades can be changed in playbook.yaml (``diff: {grades: {threshold-lowered: breaking}}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import model as m
from .playbook import Playbook
from .rules._util import SCORE_FIELDS, lower_bound
from .metrics import asks_more
from .units import Duration, describe

GRADES = ("breaking", "warning", "info")
GRADE_RANK = {"off": -1, "info": 0, "warning": 1, "breaking": 2}

# impact code -> (default grade, what it means)
IMPACTS: dict[str, tuple[str, str]] = {
    "threshold-lowered": ("warning", "A stage's score threshold went down: more leads reach it."),
    "threshold-raised": ("info", "A stage's score threshold went up: fewer leads reach it."),
    "stage-removed": ("breaking", "A lifecycle stage was removed; reports and the CRM mapping change."),
    "stage-added": ("info", "A lifecycle stage was added."),
    "referenced-entity-removed": ("breaking", "Something other definitions refer to was removed."),
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
    change: str  # added, removed, changed, renamed
    path: str = ""
    old_id: str | None = None
    fields: list[FieldChange] = field(default_factory=list)


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

    def worst(self) -> int:
        return max((GRADE_RANK[i.grade] for i in self.impacts), default=-1)

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0, "renamed": 0}
        for c in self.changes:
            out[c.change] += 1
        for g in GRADES:
            out[g] = sum(1 for i in self.impacts if i.grade == g)
        return out


# ---------------------------------------------------------------- flattening


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


def _entity_changes(base: Playbook, head: Playbook) -> list[EntityChange]:
    changes: list[EntityChange] = []
    for kind in m.ENTITY_CLASSES:
        old = base.entities.get(kind, {})
        new = head.entities.get(kind, {})
        removed = {i: old[i] for i in old if i not in new}
        added = {i: new[i] for i in new if i not in old}
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
    rank = {"removed": 0, "renamed": 1, "changed": 2, "added": 3}
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
        out.append(EntityChange("transition", k, k, "removed", old[k]._file))
    for k in sorted(set(new) - set(old)):
        out.append(EntityChange("transition", k, k, "added", new[k]._file))
    for k in sorted(set(old) & set(new)):
        fields = _field_changes(flatten(_plain(old[k])), flatten(_plain(new[k])))
        if fields:
            out.append(EntityChange("transition", k, k, "changed", new[k]._file, fields=fields))
    return out


# ---------------------------------------------------------------- impacts


def _impacts(base: Playbook, head: Playbook, changes: list[EntityChange], grades: dict[str, str]) -> list[Impact]:
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
        if c.change == "removed" and c.kind in m.ENTITY_CLASSES:
            old = base.get(c.kind, c.id)
            users = sorted({r.source.id for r in base.referrers_of(old)
                            if isinstance(r.source, m.Entity) and head.get(r.source.KIND, r.source.id)})
            if users:
                label = m.KIND_LABELS[c.kind]
                add("referenced-entity-removed",
                    f'The {label} "{c.id}" was removed, but {len(users)} other definition'
                    f'{"s" if len(users) > 1 else ""} refer{"" if len(users) > 1 else "s"} to it ({", ".join(users)}).',
                    c.kind, c.id)
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

    for persona in head.personas:
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
    return Diff(base_label, head_label, changes, _impacts(base, head, changes, grades or {}))


# ---------------------------------------------------------------- output

_SIGN = {"added": "+", "removed": "-", "changed": "~", "renamed": "→"}


def _show(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _label(kind: str) -> str:
    return m.KIND_LABELS.get(kind, kind)


def summary(d: Diff) -> str:
    c = d.counts()
    if not d.changes:
        return "No changes in meaning."
    parts = [f"{c[k]} {k}" for k in ("added", "removed", "renamed", "changed") if c[k]]
    grades = [f"{c[g]} {g}" for g in GRADES if c[g]]
    return f"{len(d.changes)} entities changed ({', '.join(parts)})" + (f"; impacts: {', '.join(grades)}." if grades else ".")


def to_text(d: Diff) -> str:
    lines = [f"Semantic diff: {d.base} → {d.head}", ""]
    if d.impacts:
        lines.append("Impacts")
        for i in d.impacts:
            lines.append(f"  {i.grade.upper():<9} {i.message}  [{i.code}]")
        lines.append("")
    if d.changes:
        lines.append("Changes")
        for c in d.changes:
            extra = f" (was {c.old_id})" if c.old_id else ""
            where = f"  {c.path}" if c.path else ""
            lines.append(f"  {_SIGN[c.change]} {_label(c.kind)} {c.id}{extra}: {c.name}{where}")
            for f in c.fields:
                lines.append(f"      {f.path}: {_show(f.old)} → {_show(f.new)}")
        lines.append("")
    if d.leads is not None:
        lines.append(f"On {d.leads.scored:,} leads" + (f" ({d.leads.bad_rows} bad rows skipped)" if d.leads.bad_rows else ""))
        for sentence in d.leads.sentences() or ["No lead changes stage, persona or nurture track."]:
            lines.append(f"  {sentence}")
        for ident, what, a, b in d.leads.examples:
            lines.append(f"    {ident}: {what} {a or 'none'} → {b or 'none'}")
        lines.append("")
    lines.append(summary(d))
    return "\n".join(lines) + "\n"


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(d: Diff) -> str:
    lines = [f"### Playbook changes: `{d.base}` → `{d.head}`", "", summary(d), ""]
    if d.impacts:
        lines += ["| Impact | What it means |", "| --- | --- |"]
        icon = {"breaking": "🔴 breaking", "warning": "🟠 warning", "info": "🔵 info"}
        for i in d.impacts:
            lines.append(f"| {icon[i.grade]} | {_md(i.message)} |")
        lines.append("")
    for c in d.changes:
        extra = f" (was `{c.old_id}`)" if c.old_id else ""
        lines.append(f"- **{c.change}** {_label(c.kind)} `{c.id}`{extra}: {_md(c.name)}")
        for f in c.fields:
            lines.append(f"  - `{f.path}`: {_md(_show(f.old))} → {_md(_show(f.new))}")
    if d.leads is not None:
        lines += ["", f"#### Impact on {d.leads.scored:,} leads", ""]
        for sentence in d.leads.sentences() or ["No lead changes stage, persona or nurture track."]:
            lines.append(f"- {_md(sentence)}")
        if d.leads.examples:
            lines += ["", "| Lead | What | Before | After |", "| --- | --- | --- | --- |"]
            for ident, what, a, b in d.leads.examples:
                lines.append(f"| {_md(ident)} | {what} | {_md(a or 'none')} | {_md(b or 'none')} |")
    return "\n".join(lines).rstrip() + "\n"


def to_json(d: Diff) -> str:
    def value(v):
        return list(v) if isinstance(v, tuple) else v

    return json.dumps({
        "version": 1, "base": d.base, "head": d.head, "summary": d.counts(),
        "impacts": [{"code": i.code, "grade": i.grade, "message": i.message, "kind": i.kind, "id": i.id}
                    for i in d.impacts],
        "changes": [{"kind": c.kind, "id": c.id, "name": c.name, "change": c.change, "path": c.path,
                     "old_id": c.old_id,
                     "fields": [{"path": f.path, "old": value(f.old), "new": value(f.new)} for f in c.fields]}
                    for c in d.changes],
        "leads": None if d.leads is None else {
            "scored": d.leads.scored, "bad_rows": d.leads.bad_rows,
            "moves": [{"what": w, "from": a, "to": b, "count": n}
                      for (w, a, b), n in sorted(d.leads.moves.items(), key=lambda kv: (-kv[1], kv[0]))],
            "examples": [{"id": i, "what": w, "from": a, "to": b} for i, w, a, b in d.leads.examples]},
    }, indent=2, ensure_ascii=False) + "\n"


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


# ---------------------------------------------------------------- impact on real leads


@dataclass
class LeadImpact:
    """How the same lead records fare under the base and the head definitions."""

    scored: int = 0
    bad_rows: int = 0
    moves: dict = field(default_factory=dict)  # (what, old, new) -> count; what: stage, persona, track
    examples: list = field(default_factory=list)  # (lead id, what, old, new), the first few

    def sentences(self) -> list[str]:
        out = []
        for (what, old, new), n in sorted(self.moves.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"{n:,} of {self.scored:,} leads move {what} from {old or 'none'} to {new or 'none'}.")
        return out


def lead_impact(base: Playbook, head: Playbook, leads_path, as_of, mapping=None, keep: int = 20) -> LeadImpact:
    """Score every lead with both playbooks (one streaming pass) and count what moves."""
    from .score import Scorer, read_leads
    old_scorer, new_scorer = Scorer(base, as_of), Scorer(head, as_of)
    impact = LeadImpact()
    for lead in read_leads(leads_path, mapping or {}, new_scorer):
        if isinstance(lead, Exception):
            impact.bad_rows += 1
            continue
        before, after = old_scorer.score(lead), new_scorer.score(lead)
        impact.scored += 1
        for what, a, b in (("stage", before.stage, after.stage), ("persona", before.persona, after.persona),
                           ("nurture track", before.nurture, after.nurture)):
            if a != b:
                key = (what, a, b)
                impact.moves[key] = impact.moves.get(key, 0) + 1
                if len(impact.examples) < keep:
                    impact.examples.append((lead.id, what, a, b))
    return impact
