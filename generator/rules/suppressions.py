"""Suppressions: inline ``# playbook: ignore[CODE] reason`` comments must be justified and real."""

from __future__ import annotations

from ..findings import Severity
from . import builtin

E, W = Severity.ERROR, Severity.WARNING

builtin("PB901", "suppression-without-reason", E, "An inline suppression gives no reason.", """
    ``# playbook: ignore[PB401] reason`` silences a finding on its line (or, on a line of its
    own, on the next line). The reason is required: a reviewer must see why the rule does not
    apply. A suppression without one does not silence anything.""",
    fail="""
    teams:
      - id: sales
        name: Sales
        last_reviewed: 2020-01-01  # playbook: ignore[PB704]
        review_every_days: 30
    """, ok="""
    teams:
      - id: sales
        name: Sales
        last_reviewed: 2020-01-01  # playbook: ignore[PB704] team is being merged into client services
        review_every_days: 30
    """, area="suppressions")

builtin("PB902", "suppression-unknown-code", E, "An inline suppression names a rule that does not exist.", """
    A typo in a suppression's rule code would silence nothing while looking as if it did.
    Use a code that ``playbook rules`` lists.""",
    fail="""
    teams:
      - id: sales
        name: Sales  # playbook: ignore[PB9999] old import
    """, ok="""
    teams:
      - id: sales
        name: Sales
    """, area="suppressions")

builtin("PB903", "unused-suppression", W, "An inline suppression silences nothing.", """
    When the problem a suppression was written for is fixed, the comment stays behind and would
    hide the next, unrelated finding on that line. Remove it.""",
    fail="""
    teams:
      - id: sales
        name: Sales  # playbook: ignore[PB704] reviewed in the offsite
    """, ok="""
    teams:
      - id: sales
        name: Sales
    """, area="suppressions")

builtin("PB999", "internal-error", E, "A rule failed on this playbook.", """
    A rule stopped with an unexpected error. The rest of the check still ran; please report the
    message with the file it names.""",
    fail="", ok="""
    teams:
      - id: sales
        name: Sales
    """, area="suppressions")
