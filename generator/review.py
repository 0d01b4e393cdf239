"""The review agenda for the regular sales–marketing huddle (``playbook review``).

An entity is due for review ``review_every_days`` after its ``last_reviewed`` date (its own
interval, or the configuration's ``review_every_days``), exactly as rule PB704 counts it.
Entities without ``last_reviewed`` or without any interval are never due and are not listed.
The agenda lists the entities past their review date and, with ``--within N``, those due in the
next N days, grouped by owner team and sorted by due date.

JSON shape (stable; new keys may be added, none removed or renamed)::

    {
      "playbook": "Brightside Ads — Sales & Marketing Playbook",   # playbook.yaml name
      "version": "2026.4",                                         # playbook.yaml version or ""
      "today": "2026-11-22",                                       # the day the agenda is for
      "within_days": 14,                                           # --within, or null
      "counts": {"overdue": 3, "upcoming": 2, "total": 5},
      "groups": [                                                  # teams by name, "No owner" last
        {
          "owner": "marketing",                                    # team id, or null
          "owner_name": "Marketing",                               # team name, or "No owner"
          "items": [                                               # by due date, kind, id
            {
              "kind": "persona",                                   # model kind (persona, stage ...)
              "kind_label": "persona",                             # words for people
              "id": "ecommerce-founder",
              "name": "Erin, the growth-focused e-commerce founder",
              "owner": "marketing",                                # or null
              "path": "personas/ecommerce-founder.yaml",           # relative to the playbook root
              "line": 7,                                           # the last_reviewed line
              "last_reviewed": "2026-01-10",
              "review_every_days": 180,                            # the interval that applies
              "due": "2026-07-09",
              "days_overdue": 136,                                 # negative: due in that many days
              "state": "overdue",                                  # "overdue" or "upcoming"
              "deferred": null                                     # reason of an inline
            }                                                      # ignore[PB704], or null
          ]
        }
      ]
    }

Exit codes: 0 always, 2 for a usage or configuration error.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from .model import KIND_LABELS, review_due
from .text import markdown_text

NO_OWNER = "No owner"


@dataclass
class Item:
    kind: str
    id: str
    name: str
    owner: str | None
    path: str
    line: int
    last_reviewed: dt.date
    every: int
    due: dt.date
    days_overdue: int
    deferred: str | None

    @property
    def state(self) -> str:
        return "overdue" if self.days_overdue > 0 else "upcoming"

    def as_json(self) -> dict:
        return {"kind": self.kind, "kind_label": KIND_LABELS.get(self.kind, self.kind), "id": self.id,
                "name": self.name, "owner": self.owner, "path": self.path, "line": self.line,
                "last_reviewed": self.last_reviewed.isoformat(), "review_every_days": self.every,
                "due": self.due.isoformat(), "days_overdue": self.days_overdue, "state": self.state,
                "deferred": self.deferred}


@dataclass
class Group:
    owner: str | None
    owner_name: str
    items: list[Item]


def display_name(entity) -> str:
    for attr in ("name", "term", "question"):
        value = getattr(entity, attr, None)
        if value:
            return str(value)
    return entity.id


def _deferrals(pb) -> dict[tuple[str, int], str]:
    """(file, line) -> reason, for every inline suppression of PB704."""
    from .check import suppressions
    out: dict[tuple[str, int], str] = {}
    for rel, loaded in pb.files.items():
        if "PB704" not in (loaded.text or ""):
            continue
        sups, _ = suppressions(rel, loaded.text)
        for s in sups:
            if "PB704" in s.codes:
                if s.whole_file:
                    out[(rel, 0)] = s.reason
                else:
                    out[(rel, s.target_line)] = s.reason
    return out


def agenda(pb, today: dt.date, default_days: int | None, within: int | None,
           scope: str | None = None) -> list[Group]:
    """The entities overdue (and, with ``within``, due within that many days), by owner team."""
    horizon = None
    if within is not None:  # a horizon past the end of the calendar takes in every due date
        horizon = (review_due(today, within) or dt.date.max) if within else today
    deferred = _deferrals(pb)
    seen: set[tuple[str, str]] = set()
    items: list[Item] = []
    for entity in pb.all_entities:
        key = (entity.KIND, entity.id)
        if key in seen:  # a duplicate id is reported by the check; list the first one only
            continue
        seen.add(key)
        every = entity.review_every(default_days)
        due = entity.review_due(default_days)
        if due is None:
            continue
        if not (due < today or (horizon is not None and due <= horizon)):
            continue
        loc = pb.loc(entity, "last_reviewed")
        if scope and not (loc.path == scope or loc.path.startswith(scope.rstrip("/") + "/")):
            continue
        reason = deferred.get((loc.path, loc.line)) or deferred.get((loc.path, 0))
        items.append(Item(entity.KIND, entity.id, display_name(entity), entity.owner, loc.path, loc.line,
                          entity.last_reviewed, every, due, (today - due).days, reason))
    by_owner: dict[str | None, list[Item]] = {}
    for item in items:
        by_owner.setdefault(item.owner, []).append(item)
    groups = []
    for owner, members in by_owner.items():
        team = pb.get("team", owner) if owner else None
        name = display_name(team) if team is not None else (owner or NO_OWNER)
        members.sort(key=lambda i: (i.due, i.kind, i.id))
        groups.append(Group(owner, name, members))
    groups.sort(key=lambda g: (g.owner is None, g.owner_name.lower(), g.owner or ""))
    return groups


def _counts(groups: list[Group]) -> dict[str, int]:
    items = [i for g in groups for i in g.items]
    overdue = sum(1 for i in items if i.state == "overdue")
    return {"overdue": overdue, "upcoming": len(items) - overdue, "total": len(items)}


def _when(item: Item) -> str:
    d = item.days_overdue
    if d > 0:
        return f"{d} day{'s' if d != 1 else ''} overdue"
    if d == 0:
        return "due today"
    return f"due in {-d} day{'s' if d != -1 else ''}"


def _summary(counts: dict[str, int], within: int | None) -> str:
    if not counts["total"]:
        if within is None:
            return "Nothing is past its review date."
        return f"Nothing is past its review date or due in the next {within} days."
    parts = [f"{counts['overdue']} overdue"]
    if within is not None:
        parts.append(f"{counts['upcoming']} due in the next {within} days")
    return ", ".join(parts) + "."


def to_text(groups: list[Group], title: str, today: dt.date, within: int | None) -> str:
    counts = _counts(groups)
    lines = [f"Review agenda for {title} on {today.isoformat()}: {_summary(counts, within)}"]
    for group in groups:
        label = group.owner_name if group.owner is None or group.owner_name == group.owner \
            else f"{group.owner_name} ({group.owner})"
        lines += ["", f"{label} — {len(group.items)} item{'s' if len(group.items) != 1 else ''}"]
        for item in group.items:
            lines.append(f"  {KIND_LABELS.get(item.kind, item.kind)} \"{item.name}\" ({item.id}) — {_when(item)}")
            lines.append(f"      {item.path}:{item.line}  last reviewed {item.last_reviewed}, "
                         f"due {item.due}")
            if item.deferred:
                lines.append(f"      deferred: {item.deferred}")
    return "\n".join(lines)



def to_markdown(groups: list[Group], title: str, today: dt.date, within: int | None) -> str:
    counts = _counts(groups)
    lines = [f"## Review agenda — {markdown_text(title)}, {today.isoformat()}", "", _summary(counts, within)]
    for group in groups:
        lines += ["", f"### {markdown_text(group.owner_name)}", "",
                  "| Done | What | Kind | File | Last reviewed | Due | Status |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for item in group.items:
            status = _when(item)
            status = f"**{status}**" if item.state == "overdue" else status
            if item.deferred:
                status += f" (deferred: {markdown_text(item.deferred)})"
            kind = markdown_text(KIND_LABELS.get(item.kind, item.kind))
            lines.append(f"| ☐ | {markdown_text(item.name)} (`{item.id}`) | {kind} "
                         f"| `{item.path}:{item.line}` | {item.last_reviewed} | {item.due} | {status} |")
    return "\n".join(lines)


def to_json(groups: list[Group], cfg, today: dt.date, within: int | None) -> str:
    return json.dumps({
        "playbook": cfg.name, "version": cfg.version, "today": today.isoformat(), "within_days": within,
        "counts": _counts(groups),
        "groups": [{"owner": g.owner, "owner_name": g.owner_name, "items": [i.as_json() for i in g.items]}
                   for g in groups],
    }, indent=2, ensure_ascii=False)

