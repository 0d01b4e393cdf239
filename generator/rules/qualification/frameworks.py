"""Qualification frameworks: every dimension of the chosen framework is asked, by the stage that needs it."""

from __future__ import annotations

from ...findings import Severity
from ...model import FRAMEWORKS
from ..registry import rule

E, W = Severity.ERROR, Severity.WARNING


@rule("PB301", "uncovered-dimension", E, "A dimension of the chosen framework is asked by no question.",
      fail="""
      frameworks: [bant]
      qualifying_questions:
        - id: budget
          question: What monthly budget have you set aside for ads?
          covers: {bant: [budget]}
        - id: decision
          question: Who else will decide on this?
          covers: {bant: [authority]}
        - id: timing
          question: When do you want campaigns live?
          covers: {bant: [timeline]}
      """, ok="""
      frameworks: [bant]
      qualifying_questions:
        - id: budget
          question: What monthly budget have you set aside for ads?
          covers: {bant: [budget]}
        - id: decision
          question: Who else will decide on this?
          covers: {bant: [authority]}
        - id: timing
          question: When do you want campaigns live?
          covers: {bant: [timeline]}
        - id: problem
          question: What is not working in your ads today?
          covers: {bant: [need]}
      """)
def uncovered_dimension(pb, report):
    """The playbook names the qualification frameworks sales uses (``frameworks: [bant]``).
    Every dimension of each one must be covered by at least one question, or sales has no
    agreed way to learn it."""
    covered = {(fw, d) for q in pb.of("question") for fw, dims in q.covers.items() for d in dims}
    for fw in pb.frameworks:
        missing = [d for d in FRAMEWORKS[fw] if (fw, d) not in covered]
        if missing and pb.frameworks_at:
            yield report.at(pb.frameworks_at,
                            f'No qualifying question covers {", ".join(missing)} of the {fw.upper()} '
                            "framework; add a question for each.")


@rule("PB302", "dimension-outside-framework", E, "A question cites a dimension its framework does not have.",
      fail="""
      qualifying_questions:
        - id: urgency
          question: How soon does this need to be fixed?
          covers: {bant: [urgency]}
      """, ok="""
      qualifying_questions:
        - id: urgency
          question: How soon does this need to be fixed?
          covers: {anum: [urgency]}
      """)
def dimension_outside_framework(pb, report):
    """Each framework has fixed dimensions (BANT: budget, authority, need, timeline). A question
    that cites a dimension the framework does not have, or an unknown framework, is filed
    under the wrong heading and coverage reports go wrong."""
    for q in pb.of("question"):
        for fw, dims in q.covers.items():
            if fw not in FRAMEWORKS:
                yield report(q, ("covers", fw), f'"{fw}" is not a framework the playbook '
                                 "knows; use one of: " + ", ".join(FRAMEWORKS) + ".")
                continue
            for index, d in enumerate(dims):
                if d not in FRAMEWORKS[fw]:
                    yield report(q, ("covers", fw, index),
                                     f'"{d}" is not a dimension of {fw.upper()} (it has '
                                     + ", ".join(FRAMEWORKS[fw]) + ").")


@rule("PB303", "exit-dimension-unasked", E, "A stage needs a dimension no question asks by then.",
      fail="""
      stages:
        - {id: sal, name: SAL, order: 1}
        - {id: sql, name: SQL, order: 2, exit: {confirmed: [budget, authority]}}
        - {id: opportunity, name: Opportunity, order: 3}
      qualifying_questions:
        - {id: budget, question: What is your monthly ad budget?, covers: {bant: [budget]}, asked_at: sal}
        - {id: decision, question: Who signs the contract?, covers: {bant: [authority]}, asked_at: opportunity}
      """, ok="""
      stages:
        - {id: sal, name: SAL, order: 1}
        - {id: sql, name: SQL, order: 2, exit: {confirmed: [budget, authority]}}
        - {id: opportunity, name: Opportunity, order: 3}
      qualifying_questions:
        - {id: budget, question: What is your monthly ad budget?, covers: {bant: [budget]}, asked_at: sal}
        - {id: decision, question: Who signs the contract?, covers: {bant: [authority]}, asked_at: sql}
      """)
def exit_dimension_unasked(pb, report):
    """If leaving a stage requires a confirmed dimension (Authority before a lead becomes an
    opportunity), some question must ask it at that stage or earlier; otherwise sales must
    confirm something the playbook never tells them to ask."""
    asked: dict[str, list[int]] = {}
    for q in pb.of("question"):
        stage = pb.get("stage", q.asked_at) if q.asked_at else None
        if stage is None:
            continue
        for dims in q.covers.values():
            for d in dims:
                asked.setdefault(d, []).append(stage.order)
    for stage in pb.stages:
        for part in ("entry", "exit"):
            criteria = getattr(stage, part)
            if criteria is None:
                continue
            for index, d in enumerate(criteria.confirmed):
                if not any(order <= stage.order for order in asked.get(d, [])):
                    yield report(stage, (part, "confirmed", index),
                                     f'The stage "{stage.id}" needs {d} confirmed, but no qualifying '
                                     f'question asks about {d} at "{stage.id}" or earlier.')
