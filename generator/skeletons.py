"""What ``playbook new`` writes for each kind: the command word, and a skeleton to fill in.

``skeleton`` gives the lines of a new entity, with TODOs where the team's own words go, and
any entries another section needs (a new stage's transition).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata

import yaml

from .model import ISO_10002_STEPS

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID = 64


def slugify(name: str) -> str:
    """Lowercase letters, digits and single hyphens: "Dr. Sam's clinic" -> "dr-sam-s-clinic"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def scalar(value) -> str:
    """``value`` as a YAML scalar: plain when that reads back as the same text, else quoted."""
    text = str(value)
    if text.lower() in ("y", "n"):  # booleans to YAML 1.1 readers
        return json.dumps(text)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 ,.'()/&+-]*", text) and not text.endswith((" ", ":")):
        try:
            if yaml.safe_load(f"k: {text}") == {"k": text}:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def has_control(text: str) -> bool:
    """Control characters, line breaks, or bytes that are not text (the shell passes bytes that
    are not UTF-8 as lone surrogates, which no file can hold)."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") for ch in text)


NEW_KINDS: dict[str, tuple[str, str | None]] = {
    "persona": ("persona", None),
    "stage": ("stage", "stages"),
    "reason-code": ("reason", "reason_codes"),
    "value-proposition": ("proposition", "value_propositions"),
    "question": ("question", "qualifying_questions"),
    "complaint": ("complaint", "complaint_procedures"),
    "campaign": ("campaign", "campaigns"),
    "goal": ("goal", "goals"),
    "term": ("term", "glossary"),
    "commitment": ("commitment", "service_commitments"),
    "team": ("team", "teams"),
    "nurture-track": ("nurture", "nurture_tracks"),
    "handoff": ("handoff", "handoffs"),
    "meeting": ("meeting", "meetings"),
}


def _role_of(pb, team_id: str | None) -> str | None:
    team = pb.get("team", team_id) if team_id else None
    if team is not None and team.roles:
        return team.roles[0].id
    return team_id


def _handoff_stages(pb):
    stages = pb.stages
    existing = {(h.from_stage, h.to_stage) for h in pb.of("handoff")}
    pairs = list(zip(stages, stages[1:]))
    for a, b in pairs:
        if a.owner and b.owner and a.owner != b.owner and (a.id, b.id) not in existing:
            return a, b
    for a, b in pairs:
        if a.owner and b.owner and a.owner != b.owner:
            return a, b
    return pairs[0] if pairs else (None, None)


def skeleton(pb, kind: str, ident: str, name: str, owner: str | None, today: dt.date,
             negative: bool = False) -> tuple[list[str], list]:
    """The lines of a new entity (first line ``id: ...``) and any extra edits it needs;
    ``negative`` makes a persona a negative (exclusion) persona."""
    todo = "TODO"
    common = [f"id: {scalar(ident)}"]
    if kind == "term":
        common.append(f"term: {scalar(name)}")
    else:
        common.append(f"name: {scalar(name)}")
    if owner:
        common.append(f"owner: {scalar(owner)}")
    common += ["status: draft", f"last_reviewed: {today.isoformat()}"]
    extra: list = []
    if kind == "persona" and negative:
        common.insert(2, "kind: negative")
        body = [f"summary: {scalar(todo + ': who we do not sell to, and why: in two or three sentences.')}",
                "red_flags:",
                f"  - text: {scalar(todo + ': what tells sales a lead is one of them')}"]
    elif kind == "persona":
        common.insert(2, "kind: buyer")
        body = [f"summary: {scalar(todo + ': who they are, in two or three sentences.')}"]
    elif kind == "stage":
        stages = pb.stages
        order = (stages[-1].order + 1) if stages else 1
        body = [f"order: {order}", "terminal: true",
                f"description: {scalar(todo + ': what a lead in this stage is, and who works it.')}"]
        if stages:
            extra.append(("transitions", [f"from: {scalar(stages[-1].id)}", f"to: {scalar(ident)}",
                                          f"trigger: {scalar(todo + ': what moves a lead on to this stage.')}"],
                          stages[-1].id))
    elif kind == "reason":
        body = [f"description: {scalar(todo + ': when sales uses this reason code.')}"]
    elif kind == "proposition":
        body = [f"statement: {scalar(todo + ': the promise, in the words marketing and sales both use.')}"]
    elif kind == "question":
        body = [f"question: {scalar(todo + ': the question, as sales asks it?')}",
                f"purpose: {scalar(todo + ': what the answer tells us.')}"]
    elif kind == "complaint":
        role = _role_of(pb, owner)
        body = [f"category: {scalar(ident)}"]
        if role:
            body += [f"case_owner: {scalar(role)}", f"spokesperson: {scalar(role)}"]
        body.append("steps:")
        body += [f"  - {{step: {step}, description: {scalar(todo)}}}" for step in ISO_10002_STEPS]
    elif kind == "campaign":
        starts = today + dt.timedelta(days=28)
        body = [f"starts: {starts.isoformat()}",
                f"offer: {scalar(todo + ': what prospects get.')}",
                "sales_briefing:",
                f"  date: {(starts - dt.timedelta(days=7)).isoformat()}"]
        if owner:
            body.append(f"  owner: {scalar(owner)}")
    elif kind == "goal":
        body = [f"metric: {scalar(todo + ': what is counted')}", f"target: {scalar(todo)}"]
    elif kind == "term":
        body = [f"definition: {scalar(todo + ': one sentence everyone agrees on.')}"]
    elif kind == "commitment":
        # a metric the checker knows keeps the new commitment valid; the TODO says to choose the right one
        body = ["metric: response_time  # TODO: the metric promised (playbook rule PB307 lists them)",
                f"value: {scalar(todo)}",
                f"details: {scalar(todo + ': what exactly we deliver, and when.')}"]
    elif kind == "team":
        body = [f"description: {scalar(todo + ': what this team does for the playbook.')}"]
    elif kind == "nurture":
        body = [f"description: {scalar(todo + ': who is nurtured here, and until when.')}"]
    elif kind == "handoff":
        a, b = _handoff_stages(pb)
        body = [f"from_stage: {scalar(a.id if a else todo)}", f"to_stage: {scalar(b.id if b else todo)}"]
        if a is not None and a.owner:
            body.append(f"from_team: {scalar(a.owner)}")
        if b is not None and b.owner:
            body.append(f"to_team: {scalar(b.owner)}")
        body += ["follow_up:", "  within: 1d business"]
    elif kind == "meeting":
        body = ["cadence: monthly", f"description: {scalar(todo + ': what this meeting decides.')}"]
    else:  # pragma: no cover - NEW_KINDS lists every kind handled above
        raise KeyError(kind)
    return common + body, extra


def name_of(entity) -> str:
    return getattr(entity, "term", None) or getattr(entity, "name", None) or getattr(entity, "question", "") or ""


def entity_named(pb, kind: str, name: str):
    """An entity of ``kind`` whose name is ``name`` (case and spaces aside), or None."""
    wanted = " ".join(name.split()).casefold()
    for entity in pb.of(kind):
        if " ".join(name_of(entity).split()).casefold() == wanted:
            return entity
    return None
