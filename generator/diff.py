"""Semantic diff: two playbooks compared by entity, with graded impacts a reviewer cares about.

A line diff says "line 41 changed"; this says "the SQL entry threshold was lowered from 50 to
40, so more leads reach sales". Changes are grouped by entity (added, removed, renamed,
changed with each field old → new); impacts are graded breaking / warning / info, and the
grades can be changed in playbook.yaml (``diff: {grades: {threshold-lowered: breaking}}``).

References are judged on the new side: a removal or rename matters only while something there
still refers to the old id. An entity one side cannot read (invalid, or in a file with errors)
is "unreadable" there, with that side's located errors, never removed or added.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

from . import model as m
from .findings import Finding
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


# ---------------------------------------------------------------- impacts


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
            names = ", ".join(f'the {_label(c.kind)} "{c.id}"' for c in hidden[:10])
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


# ---------------------------------------------------------------- output

_SIGN = {"added": "+", "removed": "-", "changed": "~", "renamed": "→", "unreadable": "?"}

# GitHub refuses a comment over 65,536 characters (counted as JavaScript counts them, in UTF-16
# units). The pull-request workflow adds a marker line and cuts anything over 60,000 itself, so
# the Markdown stays within that; past FOLD_AFTER characters the rest is folded away.
MARKDOWN_LIMIT = 60_000
FOLD_AFTER = 20_000


def _show(value) -> str:
    """A value in a few words (for tables where a whole paragraph does not fit)."""
    text = _full(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _full(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _label(kind: str) -> str:
    return m.KIND_LABELS.get(kind, kind)


_WORDS = re.compile(r"\n|[^\s]+")


def _is_prose(old, new) -> bool:
    """Text long enough that marking the changed words says more than old → new."""
    return (isinstance(old, str) and isinstance(new, str)
            and any(len(_WORDS.findall(t)) >= 4 or "\n" in t for t in (old, new)))


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The new text as runs of (" ", kept), ("-", removed) and ("+", added) words; line breaks
    are kept, other whitespace is read as one space."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    runs: list[tuple[str, str]] = []

    def join(words):
        return " ".join(words).replace(" \n ", "\n").replace(" \n", "\n").replace("\n ", "\n")

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append((" ", join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("-", join(a[i1:i2])))
        if j2 > j1:
            runs.append(("+", join(b[j1:j2])))
    return runs


def _marked(runs, mark, keep=lambda text: text) -> str:
    """Runs joined with spaces, each changed run wrapped by ``mark(op, text)`` line by line."""
    out = []
    for op, text in runs:
        if op == " ":
            out.append(keep(text))
        else:
            out.append("\n".join(mark(op, line) if line else line for line in text.split("\n")))
    text = " ".join(out)
    return text.replace(" \n", "\n").replace("\n ", "\n")


def _text_mark(op, text):
    return f"[-{text}-]" if op == "-" else f"{{+{text}+}}"


def _md_mark(op, text):
    return f"~~{_md_escape(text)}~~" if op == "-" else f"**{_md_escape(text)}**"


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_~\[\]<>|#])", r"\\\1", text)


def summary(d: Diff) -> str:
    c = d.counts()
    if not d.changes:
        if d.head_errors:
            n = len(d.head_errors)
            return (f"No changes in meaning could be seen, but the head side has {n} error{'s' if n != 1 else ''} "
                    f"and what {'it hides' if n == 1 else 'they hide'} is not compared.")
        return "No changes in meaning."
    parts = [f"{c[k]} {k}" for k in ("added", "removed", "renamed", "changed", "unreadable") if c[k]]
    grades = [f"{c[g]} {g}" for g in GRADES if c[g]]
    n = len(d.changes)
    return f"{n} {'entity' if n == 1 else 'entities'} changed ({', '.join(parts)})" + (f"; impacts: {', '.join(grades)}." if grades else ".")


_ERRORS_TITLE = {
    "head": "Errors on the head side (fix them: what they hide is left out of this comparison, not removed)",
    "base": "Errors on the base side (what they hid there is shown as unreadable, not as added)",
}


def _where_hidden(c: EntityChange) -> str:
    first = c.errors[0] if c.errors else None
    at = f"; see {first.location} {first.code}" if first else ""
    return f"cannot be read on the {c.side} side{at}"


def to_text(d: Diff) -> str:
    lines = [f"Semantic diff: {d.base} → {d.head}", ""]
    for side, errors in (("head", d.head_errors), ("base", d.base_errors)):
        if errors:
            lines.append(_ERRORS_TITLE[side])
            for f in errors:
                lines.append(f"  {f.location} {f.code} {f.message}")
            lines.append("")
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
            hidden = f"  ({_where_hidden(c)})" if c.change == "unreadable" else ""
            lines.append(f"  {_SIGN[c.change]} {_label(c.kind)} {c.id}{extra}: {c.name}{where}{hidden}")
            for f in c.fields:
                if _is_prose(f.old, f.new):
                    lines.append(f"      {f.path}:")
                    for line in _marked(word_diff(f.old, f.new), _text_mark).split("\n"):
                        lines.append(f"        {line}".rstrip())
                else:
                    lines.append(f"      {f.path}: {_full(f.old)} → {_full(f.new)}")
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
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _size(text: str) -> int:
    """Length as GitHub counts a comment (UTF-16 units, like JavaScript)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Section:
    head: list[str]  # lines before the items: a heading, a table header
    items: list[str]  # one or more lines each; never split
    noun: tuple[str, str]  # what one item is, singular and plural


def _sections(d: Diff) -> list[_Section]:
    out: list[_Section] = []
    for side, errors in (("head", d.head_errors), ("base", d.base_errors)):
        if errors:
            out.append(_Section([f"#### {_md(_ERRORS_TITLE[side])}", ""],
                                [f"- `{_md(f.location)}` {f.code} {_md(f.message)}" for f in errors],
                                (f"error on the {side} side", f"errors on the {side} side")))
    if d.impacts:
        icon = {"breaking": "🔴 breaking", "warning": "🟠 warning", "info": "🔵 info"}
        out.append(_Section(["| Impact | What it means |", "| --- | --- |"],
                            [f"| {icon[i.grade]} | {_md(i.message)} |" for i in d.impacts], ("impact", "impacts")))
    items = []
    for c in d.changes:
        extra = f" (was `{c.old_id}`)" if c.old_id else ""
        hidden = f" ({_md(_where_hidden(c))})" if c.change == "unreadable" else ""
        lines = [f"- **{c.change}** {_label(c.kind)} `{c.id}`{extra}: {_md(c.name)}{hidden}"]
        for f in c.fields:
            if _is_prose(f.old, f.new):
                marked = _marked(word_diff(f.old, f.new), _md_mark, _md_escape)
                lines.append(f"  - `{f.path}`: {marked.replace(chr(10), '<br>')}")
            else:
                lines.append(f"  - `{f.path}`: {_md(_full(f.old))} → {_md(_full(f.new))}")
        items.append("\n".join(lines))
    if items:
        out.append(_Section(["#### Changes", ""], items, ("change", "changes")))
    if d.leads is not None:
        out.append(_Section([f"#### Impact on {d.leads.scored:,} leads", ""],
                            [f"- {_md(s)}" for s in d.leads.sentences() or
                             ["No lead changes stage, persona or nurture track."]], ("lead move", "lead moves")))
        if d.leads.examples:
            out.append(_Section(["| Lead | What | Before | After |", "| --- | --- | --- | --- |"],
                                [f"| {_md(ident)} | {what} | {_md(a or 'none')} | {_md(b or 'none')} |"
                                 for ident, what, a, b in d.leads.examples], ("example lead", "example leads")))
    return out


def _render(parts: list[tuple[_Section, list[str]]], continued: set[int] = frozenset()) -> list[str]:
    lines: list[str] = []
    for index, (sec, items) in enumerate(parts):
        if not items:
            continue
        head = list(sec.head)
        if id(sec) in continued and head and head[0].startswith("#### "):
            head[0] += " (continued)"
        lines += head + items + [""]
    return lines


def _counted(left: list[tuple[_Section, str]]) -> str:
    counts: dict[tuple[str, str], int] = {}
    for sec, _ in left:
        counts[sec.noun] = counts.get(sec.noun, 0) + 1
    said = [f"{n:,} {noun[0] if n == 1 else noun[1]}" for noun, n in counts.items()]
    return ", ".join(said[:-1]) + (" and " if len(said) > 1 else "") + said[-1]


def _local_command(d: Diff) -> str:
    refs = []
    for label in (d.base, d.head):
        found = re.search(r"\(([0-9a-f]{4,64})\)$", label)
        if found:
            refs.append(found.group(1))
        elif label != "working tree":
            refs.append(label)
    return " ".join(["playbook diff", *refs])


def to_markdown(d: Diff, limit: int = MARKDOWN_LIMIT, fold_after: int = FOLD_AFTER) -> str:
    top = [f"### Playbook changes: `{d.base}` → `{d.head}`", "", summary(d), ""]
    flat = [(sec, item) for sec in _sections(d) for item in sec.items]

    def group(pairs):
        parts: list[tuple[_Section, list[str]]] = []
        for sec, item in pairs:
            if parts and parts[-1][0] is sec:
                parts[-1][1].append(item)
            else:
                parts.append((sec, [item]))
        return parts

    def cost(pairs, seen):
        """Characters the items add, headings of sections not yet started included."""
        total = 0
        for sec, item in pairs:
            if id(sec) not in seen:
                seen.add(id(sec))
                total += _size("\n".join(sec.head)) + 2
            total += _size(item) + 1
        return total

    whole = "\n".join(top + _render(group(flat))).rstrip() + "\n"
    if _size(whole) <= fold_after:
        return whole
    # the first part stays open, the rest is folded; what does not fit at all is left out
    shown, used, seen = [], _size("\n".join(top)), set()
    for pair in flat:
        extra = cost([pair], set(seen))
        if used + extra > fold_after:
            break
        used += extra
        cost([pair], seen)
        shown.append(pair)
    rest = flat[len(shown):]
    started = set(seen)
    room = limit - used - 700  # the <details> wrapper and the sentences around it
    folded, seen = [], set()
    for pair in rest:
        extra = cost([pair], set(seen))
        if extra > room:
            break
        room -= extra
        cost([pair], seen)
        folded.append(pair)
    left = rest[len(folded):]
    lines = top + _render(group(shown))
    if folded:
        lines += ["<details>",
                  f"<summary>More: {_counted(folded)}, folded to keep this comment readable (click to open)</summary>",
                  "", *_render(group(folded), started), "</details>", ""]
    if left:
        lines += [f"**Left out:** {_counted(left)} did not fit in a pull-request comment (GitHub's limit is "
                  f"65,536 characters). Run `{_local_command(d)}` locally to see everything "
                  "(`--format json` for tools)."]
    return "\n".join(lines).rstrip() + "\n"


def to_json(d: Diff) -> str:
    def value(v):
        return list(v) if isinstance(v, tuple) else v

    return json.dumps({
        "version": 1, "base": d.base, "head": d.head, "summary": d.counts(),
        "impacts": [{"code": i.code, "grade": i.grade, "message": i.message, "kind": i.kind, "id": i.id}
                    for i in d.impacts],
        "errors": {side: [{"code": f.code, "path": f.location.path, "line": f.location.line,
                           "col": f.location.col, "message": f.message} for f in errors]
                   for side, errors in (("base", d.base_errors), ("head", d.head_errors))},
        "changes": [{"kind": c.kind, "id": c.id, "name": c.name, "change": c.change, "path": c.path,
                     "old_id": c.old_id, **({"side": c.side} if c.change == "unreadable" else {}),
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
    """Score every lead with both playbooks' compiled queries (DuckDB, the file read once) and
    count what moves."""
    from .scoring.run import Needs, connect, load_file, scored_rows
    impact = LeadImpact()
    con = connect()
    try:
        loaded = load_file(con, leads_path, mapping or {}, Needs.of([base, head], as_of))
        impact.bad_rows = len(loaded.errors)
        for before, after in zip(scored_rows(loaded, base, as_of, lines=False),
                                 scored_rows(loaded, head, as_of, lines=False)):
            impact.scored += 1
            for what, a, b in (("stage", before.stage, after.stage), ("persona", before.persona, after.persona),
                               ("nurture track", before.nurture, after.nurture)):
                if a != b:
                    key = (what, a, b)
                    impact.moves[key] = impact.moves.get(key, 0) + 1
                    if len(impact.examples) < keep:
                        impact.examples.append((after.id, what, a, b))
    finally:
        con.close()
    return impact
