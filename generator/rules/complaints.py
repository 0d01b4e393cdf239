"""Complaints: ISO 10002 steps, consistent deadlines, a real escalation ladder and one voice."""

from __future__ import annotations

from ..findings import Severity
from ..model import ISO_10002_STEPS
from ..units import describe
from .registry import rule
from ._util import exceeded_commitment

E, W = Severity.ERROR, Severity.WARNING

_TEAMS = """
      teams:
        - id: client-services
          name: Client services
          roles:
            - {id: account-manager, name: Account manager}
            - {id: founder, name: Founder}
"""


@rule("PB501", "missing-iso-step", W, "A complaint procedure skips an ISO 10002 step.",
      fail="""
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          steps:
            - {step: receipt}
            - {step: response}
      """, ok="""
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          steps:
            - {step: receipt}
            - {step: tracking}
            - {step: acknowledgement}
            - {step: assessment}
            - {step: investigation}
            - {step: response}
            - {step: communication}
            - {step: closing}
      """)
def missing_iso_step(pb, report):
    """ISO 10002 describes complaint handling as receipt, tracking, acknowledgement, initial
    assessment, investigation, response, communicating the decision and closing. A skipped step
    is where complaints get lost (no tracking) or customers are left guessing (no
    acknowledgement)."""
    for proc in pb.of("complaint"):
        have = {s.step for s in proc.steps}
        missing = [s for s in ISO_10002_STEPS if s not in have]
        if missing:
            yield report(proc, ("steps",) if proc.steps else ("id",),
                         f'The complaint procedure "{proc.id}" is missing the ISO 10002 step'
                         + ("s" if len(missing) > 1 else "") + ": " + ", ".join(missing) + ".")


@rule("PB502", "acknowledge-after-resolve", E, "A severity is acknowledged later than it must be resolved.",
      fail="""
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          severities:
            - {id: minor, acknowledge_within: 3d, resolve_within: 2d}
      """, ok="""
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          severities:
            - {id: minor, acknowledge_within: 1d, resolve_within: 5d}
      """)
def acknowledge_after_resolve(pb, report):
    """A complaint cannot be resolved before it is acknowledged; the acknowledgement time must
    be shorter than the resolution time."""
    for proc in pb.of("complaint"):
        for index, sev in enumerate(proc.severities):
            if sev.acknowledge_within and sev.resolve_within and \
                    sev.acknowledge_within.calendar_hours > sev.resolve_within.calendar_hours:
                yield report(proc, ("severities", index, "acknowledge_within"),
                             f'In "{proc.id}", "{sev.id}" complaints are acknowledged within '
                             f"{sev.acknowledge_within} but resolved within {sev.resolve_within}.")


@rule("PB503", "escalation-after-resolve", E, "An escalation comes after every resolution deadline.",
      fail=_TEAMS + """
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          severities:
            - {id: minor, acknowledge_within: 1d, resolve_within: 5d}
          escalation:
            - {level: 1, after: 10d, role: founder}
      """, ok=_TEAMS + """
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          severities:
            - {id: minor, acknowledge_within: 1d, resolve_within: 5d}
          escalation:
            - {level: 1, after: 3d, role: founder}
      """)
def escalation_after_resolve(pb, report):
    """Escalation exists to rescue a complaint before its deadline. An escalation step that
    only happens after the longest resolution deadline has already passed rescues nothing."""
    for proc in pb.of("complaint"):
        deadlines = [s.resolve_within.calendar_hours for s in proc.severities if s.resolve_within]
        if not deadlines:
            continue
        latest = max(deadlines)
        for index, level in enumerate(proc.escalation):
            if level.after.calendar_hours > latest:
                yield report(proc, ("escalation", index, "after"),
                             f'In "{proc.id}", escalation level {level.level} comes after {level.after}, '
                             "later than every resolution deadline.")


@rule("PB504", "escalation-not-increasing", E, "The escalation ladder does not climb in level and time.",
      fail=_TEAMS + """
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          escalation:
            - {level: 1, after: 2d, role: account-manager}
            - {level: 2, after: 1d, role: founder}
      """, ok=_TEAMS + """
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          escalation:
            - {level: 1, after: 1d, role: account-manager}
            - {level: 2, after: 2d, role: founder}
      """)
def escalation_not_increasing(pb, report):
    """An escalation ladder goes up one level at a time, each later than the one before;
    otherwise the founder hears about a complaint before the account manager does."""
    for proc in pb.of("complaint"):
        for index, (a, b) in enumerate(zip(proc.escalation, proc.escalation[1:]), start=1):
            if b.level <= a.level or b.after.calendar_hours <= a.after.calendar_hours:
                yield report(proc, ("escalation", index),
                             f'In "{proc.id}", escalation level {b.level} (after {b.after}) does not '
                             f"come after level {a.level} (after {a.after}).")


@rule("PB505", "severity-without-targets", E, "A complaint severity has no acknowledge or resolve time.",
      fail="""
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          severities:
            - {id: major, resolve_within: 2d}
      """, ok="""
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          severities:
            - {id: major, acknowledge_within: 4h business, resolve_within: 2d}
      """)
def severity_without_targets(pb, report):
    """Each severity exists to set how fast we acknowledge and resolve; one without both times
    gives the customer no promise and the team no deadline."""
    for proc in pb.of("complaint"):
        for index, sev in enumerate(proc.severities):
            missing = [f for f in ("acknowledge_within", "resolve_within") if getattr(sev, f) is None]
            if missing:
                yield report(proc, ("severities", index),
                             f'In "{proc.id}", the severity "{sev.id}" has no ' + " and no ".join(missing) + ".")


@rule("PB506", "escalation-to-nobody", E, "An escalation goes to an undefined role or team.",
      fail=_TEAMS + """
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          escalation:
            - {level: 1, after: 1d, role: head-of-delivery}
      """, ok=_TEAMS + """
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          escalation:
            - {level: 1, after: 1d, role: founder}
      """)
def escalation_to_nobody(pb, report):
    """Escalation steps name who takes over: a role defined in a team's ``roles``, or a team.
    An escalation to someone the playbook does not define reaches nobody."""
    def check(obj, path, level):
        if not level.team and not level.role:
            yield report(obj, path, "This escalation names no team and no role to escalate to.")
        if level.team and not pb.exists("team", level.team):
            yield report(obj, path + ("team",), f'The escalation goes to the team '
                         f'"{level.team}", which is not defined.')
        if level.role and not pb.exists("role", level.role):
            yield report(obj, path + ("role",), f'The escalation goes to the role '
                         f'"{level.role}", which no team defines.')

    for proc in pb.of("complaint"):
        for index, level in enumerate(proc.escalation):
            yield from check(proc, ("escalation", index), level)
    for h in pb.of("handoff"):
        if h.escalation:
            yield from check(h, ("escalation",), h.escalation)


@rule("PB507", "no-case-owner", E, "A complaint procedure has no case owner.",
      fail=_TEAMS + """
      complaint_procedures:
        - {id: results, name: Results below expectation, category: campaign-results, spokesperson: account-manager}
      """, ok=_TEAMS + """
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          case_owner: account-manager
          spokesperson: account-manager
      """)
def no_case_owner(pb, report):
    """One person owns each complaint from receipt to closing; without a case owner, everyone
    assumes someone else is handling it."""
    for proc in pb.of("complaint"):
        if not proc.case_owner:
            yield report(proc, ("id",), f'The complaint procedure "{proc.id}" has no case '
                         'owner; add "case_owner:" with a role.')


@rule("PB508", "not-one-voice", E, "A complaint category has no single spokesperson.",
      fail=_TEAMS + """
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          case_owner: account-manager
          spokesperson: [account-manager, founder]
      """, ok=_TEAMS + """
      complaint_procedures:
        - id: results
          name: Results below expectation
          category: campaign-results
          case_owner: account-manager
          spokesperson: account-manager
      """)
def not_one_voice(pb, report):
    """A complaining customer must hear one answer from one person. Two spokespeople for one
    category is how sales promises one fix and marketing announces another."""
    for proc in pb.of("complaint"):
        voices = proc.spokesperson if isinstance(proc.spokesperson, list) else (
            [proc.spokesperson] if proc.spokesperson else [])
        if len(set(voices)) > 1:
            yield report(proc, ("spokesperson",), f'"{proc.id}" has {len(set(voices))} '
                         "spokespeople (" + ", ".join(voices) + "); name one.")
        elif not voices:
            yield report(proc, ("id",), f'"{proc.id}" names no spokesperson; add '
                         '"spokesperson:" so the customer hears one voice.')


@rule("PB509", "duplicate-category", E, "Two complaint procedures claim one category.",
      fail="""
      complaint_procedures:
        - {id: results, name: Results, category: campaign-results}
        - {id: poor-results, name: Poor results, category: campaign-results}
      """, ok="""
      complaint_procedures:
        - {id: results, name: Results, category: campaign-results}
        - {id: billing, name: Billing, category: billing}
      """)
def duplicate_category(pb, report):
    """Each complaint category is handled by exactly one procedure; two procedures for one
    category give two different answers to the same complaint."""
    first = {}
    for proc in pb.of("complaint"):
        key = proc.category.lower()
        if key in first:
            yield report(proc, ("category",), f'The category "{proc.category}" is already '
                         f'handled by "{first[key].id}".')
        else:
            first[key] = proc


@rule("PB510", "remedy-exceeds-commitment", W, "A complaint remedy promises more than our commitments.",
      fail="""
      service_commitments:
        - {id: meetings, name: Monthly call, metric: meeting_cadence, value: monthly}
      complaint_procedures:
        - id: results
          name: Results
          category: campaign-results
          remedies:
            - {text: Daily check-in calls until results recover, metric: meeting_cadence, value: daily}
      """, ok="""
      service_commitments:
        - {id: meetings, name: Monthly call, metric: meeting_cadence, value: monthly}
      complaint_procedures:
        - id: results
          name: Results
          category: campaign-results
          remedies:
            - {text: An extra review call this month, metric: meeting_cadence, value: monthly}
      """)
def remedy_exceeds_commitment(pb, report):
    """Remedies offered to an unhappy client are promises too. Promising more than the service
    commitments allow fixes one complaint by creating the next."""
    for proc in pb.of("complaint"):
        for index, remedy in enumerate(proc.remedies):
            c = exceeded_commitment(pb, remedy.metric, remedy.value, remedy.commitment)
            if c:
                yield report(proc, ("remedies", index), f'The remedy "{remedy.text}" '
                             f'({describe(remedy.value)}) exceeds the commitment "{c.id}" ({describe(c.value)}).')
