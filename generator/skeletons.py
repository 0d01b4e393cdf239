"""What ``playbook new`` writes for each kind: the command word, and a skeleton to fill in.

``skeleton`` gives the lines of a new entity, with TODOs where the team's own words go, and
any entries another section needs (a new stage's transition).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field

import yaml

from .kinds import KINDS
from .model import ENTITY_CLASSES, ISO_10002_STEPS, KIND_LABELS

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


# command word -> (model kind, section key; None for a persona file), from the kinds' table
NEW_KINDS: dict[str, tuple[str, str | None]] = {k.new: (k.kind, k.section) for k in KINDS if k.new}


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
    common = [f"id: {scalar(ident)}"]
    if kind == "term":
        common.append(f"term: {scalar(name)}")
    else:
        common.append(f"name: {scalar(name)}")
    if owner:
        common.append(f"owner: {scalar(owner)}")
    common += ["status: draft", f"last_reviewed: {today.isoformat()}"]
    if kind == "persona":
        common.insert(2, "kind: negative" if negative else "kind: buyer")
    new = _New(pb, ident, owner, today, negative, kind)
    body = _BODIES[kind](new) if kind in _BODIES else _from_model(new)
    return common + body, new.extra


@dataclass
class _New:
    """What a skeleton's body may use: the playbook, the new id, its owner, the day."""

    pb: object
    ident: str
    owner: str | None
    today: dt.date
    negative: bool
    kind: str = ""
    extra: list = field(default_factory=list)  # edits elsewhere: (section, lines, after id)


def _todo(text: str = "") -> str:
    return scalar(f"TODO: {text}" if text else "TODO")


def _body(kind: str):
    def register(fn):
        _BODIES[kind] = fn
        return fn
    return register


# the body of a new entity of each kind, after id, name, owner, status and last_reviewed; a kind
# without one gets its model's required fields and a description (_from_model)
_BODIES: dict = {}

_COMMON_FIELDS = {"id", "name", "term", "owner", "status", "last_reviewed", "kind"}


def _from_model(new: _New) -> list[str]:
    """A new entity of a kind with no body of its own: a TODO for each field its model class
    requires (text fields: any other type needs a body written for it), then a description."""
    cls = ENTITY_CLASSES[new.kind]
    lines = []
    for name, info in cls.model_fields.items():
        key = info.alias or name
        if key in _COMMON_FIELDS or not info.is_required():
            continue
        lines.append(f"{key}: {_todo()}")
    if "description" in cls.model_fields:
        lines.append(f"description: {_todo('what this ' + KIND_LABELS[new.kind] + ' is, in a sentence or two.')}")
    return lines


@_body("persona")
def _persona(new: _New) -> list[str]:
    if new.negative:
        return [f"summary: {_todo('who we do not sell to, and why: in two or three sentences.')}",
                "red_flags:", f"  - text: {_todo('what tells sales a lead is one of them')}"]
    return [f"summary: {_todo('who they are, in two or three sentences.')}"]


@_body("stage")
def _stage(new: _New) -> list[str]:
    stages = new.pb.stages
    if stages:
        new.extra.append(("transitions", [f"from: {scalar(stages[-1].id)}", f"to: {scalar(new.ident)}",
                                          f"trigger: {_todo('what moves a lead on to this stage.')}"],
                          stages[-1].id))
    return [f"order: {(stages[-1].order + 1) if stages else 1}", "terminal: true",
            f"description: {_todo('what a lead in this stage is, and who works it.')}"]


@_body("reason")
def _reason(new: _New) -> list[str]:
    return [f"description: {_todo('when sales uses this reason code.')}"]


@_body("proposition")
def _proposition(new: _New) -> list[str]:
    return [f"statement: {_todo('the promise, in the words marketing and sales both use.')}"]


@_body("question")
def _question(new: _New) -> list[str]:
    return [f"question: {_todo('the question, as sales asks it?')}",
            f"purpose: {_todo('what the answer tells us.')}"]


@_body("complaint")
def _complaint(new: _New) -> list[str]:
    role = _role_of(new.pb, new.owner)
    body = [f"category: {scalar(new.ident)}"]
    if role:
        body += [f"case_owner: {scalar(role)}", f"spokesperson: {scalar(role)}"]
    return body + ["steps:"] + [f"  - {{step: {step}, description: {_todo()}}}" for step in ISO_10002_STEPS]


@_body("campaign")
def _campaign(new: _New) -> list[str]:
    starts = new.today + dt.timedelta(days=28)
    body = [f"starts: {starts.isoformat()}", f"offer: {_todo('what prospects get.')}",
            "sales_briefing:", f"  date: {(starts - dt.timedelta(days=7)).isoformat()}"]
    if new.owner:
        body.append(f"  owner: {scalar(new.owner)}")
    return body


@_body("goal")
def _goal(new: _New) -> list[str]:
    return [f"metric: {_todo('what is counted')}", f"target: {_todo()}"]


@_body("term")
def _term(new: _New) -> list[str]:
    return [f"definition: {_todo('one sentence everyone agrees on.')}"]


@_body("commitment")
def _commitment(new: _New) -> list[str]:
    # a metric the checker knows keeps the new commitment valid; the TODO says to choose the right one
    return ["metric: response_time  # TODO: the metric promised (playbook rule PB307 lists them)",
            f"value: {_todo()}", f"details: {_todo('what exactly we deliver, and when.')}"]


@_body("team")
def _team(new: _New) -> list[str]:
    return [f"description: {_todo('what this team does for the playbook.')}"]


@_body("nurture")
def _nurture(new: _New) -> list[str]:
    return [f"description: {_todo('who is nurtured here, and until when.')}"]


@_body("handoff")
def _handoff(new: _New) -> list[str]:
    a, b = _handoff_stages(new.pb)
    body = [f"from_stage: {scalar(a.id if a else 'TODO')}", f"to_stage: {scalar(b.id if b else 'TODO')}"]
    if a is not None and a.owner:
        body.append(f"from_team: {scalar(a.owner)}")
    if b is not None and b.owner:
        body.append(f"to_team: {scalar(b.owner)}")
    return body + ["follow_up:", "  within: 1d business"]


@_body("meeting")
def _meeting(new: _New) -> list[str]:
    return ["cadence: monthly", f"description: {_todo('what this meeting decides.')}"]


def name_of(entity) -> str:
    return getattr(entity, "term", None) or getattr(entity, "name", None) or getattr(entity, "question", "") or ""


def entity_named(pb, kind: str, name: str):
    """An entity of ``kind`` whose name is ``name`` (case and spaces aside), or None."""
    wanted = " ".join(name.split()).casefold()
    for entity in pb.of(kind):
        if " ".join(name_of(entity).split()).casefold() == wanted:
            return entity
    return None
