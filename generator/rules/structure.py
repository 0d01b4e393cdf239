"""Structure and references: files that are not data, wrong fields, ids and references."""

from __future__ import annotations

import difflib
import re

from ..findings import Severity
from ..model import ENTITY_CLASSES, KIND_LABELS
from .registry import rule

E, W = Severity.ERROR, Severity.WARNING

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@rule("PB020", "duplicate-id", E, "Two entities of one kind share an id.",
      fail="""
      teams:
        - id: sales
          name: Sales
        - id: sales
          name: Inside sales
      """, ok="""
      teams:
        - id: sales
          name: Sales
        - id: inside-sales
          name: Inside sales
      """)
def duplicate_id(pb, report):
    """Ids are how everything refers to an entity; two with one id make every reference
    ambiguous. The first definition is kept, later ones are reported."""
    first: dict[tuple[str, str], object] = {}
    for entity in pb.all_entities:
        key = (entity.KIND, entity.id)
        if key in first:
            prev = first[key]
            yield report(entity, ("id",),
                         f'The {KIND_LABELS[entity.KIND]} id "{entity.id}" is already used at '
                         f'{pb.loc(prev, "id")}; give this one its own id.')
        else:
            first[key] = entity


@rule("PB021", "invalid-id", E, "An id is not a slug.",
      fail="""
      teams:
        - id: Sales Team
          name: Sales
      """, ok="""
      teams:
        - id: sales-team
          name: Sales
      """)
def invalid_id(pb, report):
    """Ids become file names and web addresses, so they are restricted to lowercase letters,
    digits and single hyphens (at most 64 characters). This also means no id can point
    outside its folder."""
    for entity in pb.all_entities:
        if not SLUG.match(entity.id) or len(entity.id) > 64:
            suggestion = re.sub(r"[^a-z0-9]+", "-", entity.id.lower()).strip("-")[:64]
            hint = f' (for example "{suggestion}")' if suggestion else ""
            yield report(entity, ("id",),
                         f'The id "{entity.id}" should use only lowercase letters, digits '
                         f"and hyphens{hint}.")


@rule("PB022", "file-name-mismatch", E, "A persona's file name does not match its id.",
      fail="""
      # file: personas/erin.yaml
      id: erin-ecommerce-founder
      name: Erin, the e-commerce founder
      """, ok="""
      # file: personas/erin-ecommerce-founder.yaml
      id: erin-ecommerce-founder
      name: Erin, the e-commerce founder
      """)
def file_name_mismatch(pb, report):
    """Where one file holds one entity (personas), the file is named after the id, so a
    reader can find a persona's file from its id and two files never hold the same one."""
    for persona in pb.of("persona"):
        stem = persona._file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if stem != persona.id:
            yield report(persona, ("id",),
                         f'The persona id "{persona.id}" does not match its file name '
                         f'"{stem}"; rename the file to "{persona.id}.yaml" or change the id.')


def _suggest(pb, kind, target) -> str:
    pool = sorted(pb.roles) + sorted(pb.known_ids["team"]) if kind == "role" else sorted(pb.known_ids[kind])
    close = difflib.get_close_matches(target, pool, n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""


def _describe_source(source) -> str:
    if hasattr(source, "KIND") and source.KIND:
        return f'The {KIND_LABELS[source.KIND]} "{source.id}"'
    return "This transition"


# Reference fields that a more specific rule explains better.
_SPECIFIC = {("complaint", "escalation"), ("handoff", "escalation")}


@rule("PB023", "dangling-reference", E, "A reference to an entity that does not exist.",
      fail="""
      value_propositions:
        - id: small-team-focus
          name: Small team focus
          statement: You always talk to the people running your ads.
          personas: [erin-ecomerce-founder]
      """, ok="""
      # file: personas/erin-ecommerce-founder.yaml
      id: erin-ecommerce-founder
      name: Erin
      # file: definitions/value-propositions.yaml
      value_propositions:
        - id: small-team-focus
          name: Small team focus
          statement: You always talk to the people running your ads.
          personas: [erin-ecommerce-founder]
      """)
def dangling_reference(pb, report):
    """Every reference by id must name an existing entity of the right kind: a persona's value
    proposition, a stage's owner team, a handoff's nurture track. A dangling reference is a
    broken link on the site and a gap in the process."""
    for ref in pb.references:
        src_kind = getattr(ref.source, "KIND", "")
        if (src_kind, ref.path[0]) in _SPECIFIC:
            continue
        if not pb.exists(ref.kind, ref.target):
            yield report(ref.source, ref.path,
                         f'{_describe_source(ref.source)} refers to the {KIND_LABELS[ref.kind]} '
                         f'"{ref.target}", which does not exist.{_suggest(pb, ref.kind, ref.target)}')
    for term in pb.of("term"):
        link = term.defined_by
        if link is None:
            continue
        if link.kind not in ENTITY_CLASSES:
            yield report(term, ("defined_by", "kind"),
                         f'The glossary term "{term.term}" is defined by a "{link.kind}", which is '
                         "not a kind of entity; use one of: " + ", ".join(sorted(ENTITY_CLASSES)) + ".")
        elif not pb.exists(link.kind, link.id):
            yield report(term, ("defined_by", "id"),
                         f'The glossary term "{term.term}" is defined by the {KIND_LABELS[link.kind]} '
                         f'"{link.id}", which does not exist.{_suggest(pb, link.kind, link.id)}')


@rule("PB024", "orphan-entity", W, "An entity nothing uses where something should.",
      fail="""
      value_propositions:
        - id: monthly-report-call
          name: Monthly report call
          statement: Every month we walk you through your results on a call.
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      # file: definitions/value-propositions.yaml
      value_propositions:
        - id: monthly-report-call
          name: Monthly report call
          statement: Every month we walk you through your results on a call.
          personas: [erin]
      """)
def orphan_entity(pb, report):
    """Some entities only matter through what uses them: a value proposition no persona is
    targeted with, a qualifying question asked at no stage, a nurture track nothing sends leads
    to, a reason code no transition uses. They are usually left over from an old process."""
    used_reasons = set()
    for t in pb.transitions:
        used_reasons.update(t.reasons)
    for h in pb.of("handoff"):
        for _, route in h.reject_routes:
            used_reasons.update(route.reasons)
    for vp in pb.of("proposition"):
        if not vp.personas and not pb.referrers_of(vp):
            yield report(vp, ("id",), f'The value proposition "{vp.id}" targets no '
                         "persona and nothing refers to it; add the personas it is for.")
    for q in pb.of("question"):
        if q.asked_at is None:
            yield report(q, ("id",), f'The qualifying question "{q.id}" is asked at no '
                         'stage; add "asked_at" with the stage where sales asks it.')
    for track in pb.of("nurture"):
        if not pb.referrers_of(track):
            yield report(track, ("id",), f'No transition, handoff or persona sends '
                         f'leads to the nurture track "{track.id}".')
    for reason in pb.of("reason"):
        if reason.id not in used_reasons:
            yield report(reason, ("id",), f'No transition or handoff uses the reason '
                         f'code "{reason.id}".')

