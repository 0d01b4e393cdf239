"""The entity kinds of a playbook, one row each.

Everything that differs from kind to kind and is not the shape of its YAML (that is the model
class in ``model.py``) is written here once: what readers call it, which section of which
definitions file holds it, where its page lives, what the navigation calls it, and the word
``playbook new`` takes. ``model.py`` derives its tables (``ENTITY_CLASSES``, ``KIND_LABELS``,
``SECTIONS``, ``FILE_KINDS``) from these rows, so a new kind is one row here, one model class
and one template.

The order of the rows is the order of the sections in a definitions file and of the kinds in a
playbook's listing (the checker, ``playbook diff``); the navigation has its own order,
``nav_rank``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    kind: str                  # the model's name for it (``Entity.KIND``); ids in findings use it
    label: str                 # what a reader calls one ("lifecycle stage")
    plural: str                # and several ("lifecycle stages")
    section: str | None        # the top-level key of a definitions file; None: a file of its own
    file: str | None           # the definitions file kind (its JSON Schema); None: persona files
    page: str                  # where an entity is shown; ``{id}`` is its slug
    anchored: bool             # True: a section of a shared page, reached by its id as anchor
    nav: str | None            # the navigation title of its page or group; None: on another's page
    nav_rank: int              # position in the navigation (after Home)
    template: str              # the template of its page (or of the shared page)
    new: str | None = None     # the word ``playbook new`` takes; None: not created that way
    many: bool = True          # False: the section holds one entity, not a list
    before: tuple[str, ...] = ()  # sections of other values written before this one in its file
    after: tuple[str, ...] = ()   # and after it

    def page_of(self, slug: str) -> str:
        return self.page.format(id=slug)


KINDS: tuple[Kind, ...] = (
    Kind("team", "team", "teams", "teams", "teams", "teams.md", True,
         "Teams", 12, "teams.md.j2", new="team"),
    Kind("commitment", "service commitment", "service commitments", "service_commitments",
         "service-commitments", "service-commitments.md", True, "Service commitments", 9,
         "commitments.md.j2", new="commitment", before=("metrics",), after=("out_of_scope",)),
    Kind("persona", "persona", "personas", None, None, "personas/{id}.md", False,
         "Personas", 0, "persona.md.j2", new="persona"),
    Kind("stage", "lifecycle stage", "lifecycle stages", "stages", "lifecycle", "lifecycle/{id}.md", False,
         "Lifecycle", 1, "stage.md.j2", new="stage", after=("transitions",)),
    Kind("reason", "reason code", "reason codes", "reason_codes", "lifecycle", "lifecycle/index.md", True,
         None, 1, "lifecycle.md.j2", new="reason-code"),
    Kind("handoff", "handoff", "handoffs", "handoffs", "handoffs", "handoffs.md", True,
         "Handoffs and SLAs", 2, "handoffs.md.j2", new="handoff"),
    Kind("nurture", "nurture track", "nurture tracks", "nurture_tracks", "nurture-tracks",
         "nurture-tracks.md", True, "Nurture tracks", 3, "nurture.md.j2", new="nurture-track"),
    Kind("scoring", "scoring model", "scoring models", "scoring", "scoring", "scoring.md", False,
         "Lead scoring", 4, "scoring.md.j2", many=False),
    Kind("proposition", "value proposition", "value propositions", "value_propositions",
         "value-propositions", "value-propositions/{id}.md", False, "Value propositions", 5,
         "proposition.md.j2", new="value-proposition"),
    Kind("question", "qualifying question", "qualifying questions", "qualifying_questions",
         "qualifying-questions", "qualifying-questions/index.md", True, "Qualifying questions", 6,
         "questions.md.j2", new="question", before=("frameworks",)),
    Kind("complaint", "complaint procedure", "complaint procedures", "complaint_procedures",
         "complaint-procedures", "complaints/{id}.md", False, "Complaint procedures", 7,
         "complaint.md.j2", new="complaint"),
    Kind("campaign", "campaign", "campaigns", "campaigns", "campaigns", "campaigns.md", True,
         "Campaigns", 11, "campaigns.md.j2", new="campaign"),
    Kind("goal", "goal", "goals", "goals", "goals", "goals.md", True,
         "Shared goals", 10, "goals.md.j2", new="goal"),
    Kind("term", "glossary term", "glossary terms", "glossary", "glossary", "glossary.md", True,
         "Glossary", 14, "glossary.md.j2", new="term"),
    Kind("meeting", "meeting", "meetings", "meetings", "meetings", "meetings.md", True,
         "Meetings", 13, "meetings.md.j2", new="meeting"),
)

BY_KIND: dict[str, Kind] = {k.kind: k for k in KINDS}

# Things shown and referred to like entities without being one: a team's roles live in its file.
OTHER_LABELS: dict[str, str] = {"role": "role"}
OTHER_PLACES: dict[str, tuple[str, bool]] = {"role": ("teams.md", True)}


def label(kind: str) -> str:
    """What a reader calls one entity of ``kind``; the kind itself for an unknown one."""
    row = BY_KIND.get(kind)
    return row.label if row else OTHER_LABELS.get(kind, kind)
