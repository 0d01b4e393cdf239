"""The rules the loader, the model and the check pipeline report, in one table.

These findings are raised where the problem is found (reading a file, building the model,
reading suppressions, running the rules), so they have no check function of their own; each
row documents one of them for ``playbook rules`` and ``playbook rule CODE`` and names what
raises it. The examples in the rows are run by the test suite like every other rule's.
"""

from __future__ import annotations

import inspect

from ..findings import Severity
from .registry import Rule

E, W = Severity.ERROR, Severity.WARNING


def builtin(code: str, name: str, severity: Severity, summary: str, *, raised_by: str, explanation: str,
            fail: str, ok: str, area: str = "structure") -> Rule:
    """One row of the table: a rule reported by ``raised_by`` rather than by a check function."""
    return Rule(code, name, severity, summary, inspect.cleandoc(explanation), inspect.cleandoc(fail),
                inspect.cleandoc(ok), None, area, raised_by)


BUILTIN: tuple[Rule, ...] = (
    builtin("PB001", "invalid-yaml", E, "The file is not valid YAML.",
            raised_by="the loader, generator/load.py",
            explanation="""
            The file could not be read as YAML at all, usually because of indentation or an unclosed
            quote. Nothing in the file is checked until it parses.""",
            fail="""
            teams:
              - id: sales
                name: "Sales
            """,
            ok="""
            teams:
              - id: sales
                name: "Sales"
            """),

    builtin("PB002", "not-plain-data", E, "The file uses YAML tags, anchors or aliases.",
            raised_by="the loader, generator/load.py",
            explanation="""
            A playbook holds plain data. YAML tags (``!!python/object``, ``!include``) can run code or
            pull in other files, and anchors with aliases can expand into gigabytes ("billion laughs").
            Write values out in full instead.""",
            fail="""
            teams:
              - id: sales
                name: !!python/name:os.system Sales
            """,
            ok="""
            teams:
              - id: sales
                name: Sales
            """),

    builtin("PB003", "unreadable-file", E, "The file is binary, not UTF-8, too large, unreadable or a symbolic link.",
            raised_by="the loader and the folder walk, generator/load.py and generator/playbook.py",
            explanation="""
            Playbook files (YAML under personas/ and definitions/, Markdown pages under playbook/) are
            UTF-8 text below a size limit (2 MB unless the configuration says otherwise). Binary files,
            other encodings, huge files and files that cannot be read are refused before parsing.
            Symbolic links are never followed: a link could pull a file from outside the playbook into
            the site and its search index.""",
            fail="""
            # file: definitions/teams.yaml (latin-1)
            teams:
              - id: sales
                name: "Café team"
            """,
            ok="""
            # file: definitions/teams.yaml
            teams:
              - id: sales
                name: "Café team"
            """),

    builtin("PB010", "invalid-value", E, "A value has the wrong type or form.",
            raised_by="the loader and the model, generator/load.py, generator/playbook.py and generator/validation.py",
            explanation="""
            The field exists but its value is not what the playbook expects: text where a number is
            needed, a duration without a unit, a status outside draft/approved/deprecated.""",
            fail="""
            stages:
              - id: lead
                name: Lead
                order: first
            """,
            ok="""
            stages:
              - id: lead
                name: Lead
                order: 1
            """),

    builtin("PB011", "missing-field", E, "A required field is missing.",
            raised_by="the model, generator/playbook.py and generator/validation.py",
            explanation="""
            Every entity needs at least an ``id`` and a ``name``; some kinds need more (a stage needs
            its ``order``, a value proposition its ``statement``).""",
            fail="""
            value_propositions:
              - id: small-team-focus
                name: A small team that knows your account
            """,
            ok="""
            value_propositions:
              - id: small-team-focus
                name: A small team that knows your account
                statement: The two people who set up your ads are the two people you talk to.
            """),

    builtin("PB012", "unknown-field", E, "A field or section the playbook does not know.",
            raised_by="the model, generator/playbook.py and generator/validation.py",
            explanation="""
            Usually a typo: the value would be silently ignored, so it is refused and the closest known
            name is suggested.""",
            fail="""
            teams:
              - id: sales
                name: Sales
                leed: Dana
            """,
            ok="""
            teams:
              - id: sales
                name: Sales
                lead: Dana
            """),

    builtin("PB013", "duplicate-key", E, "The same key appears twice in one mapping.",
            raised_by="the loader, generator/load.py",
            explanation="""
            YAML keeps only the last of two equal keys without a word, so half of what was written is
            lost. Remove or rename one.""",
            fail="""
            teams:
              - id: sales
                name: Sales
                name: Sales team
            """,
            ok="""
            teams:
              - id: sales
                name: Sales team
            """),

    builtin("PB901", "suppression-without-reason", E, "An inline suppression gives no reason.",
            raised_by="the suppression reader, generator/check.py",
            explanation="""
            ``# playbook: ignore[PB401] reason`` silences a finding on its line (or, on a line of its
            own, on the next line). The reason is required: a reviewer must see why the rule does not
            apply. A suppression without one does not silence anything.""",
            fail="""
            teams:
              - id: sales
                name: Sales
                last_reviewed: 2020-01-01  # playbook: ignore[PB704]
                review_every_days: 30
            """,
            ok="""
            teams:
              - id: sales
                name: Sales
                last_reviewed: 2020-01-01  # playbook: ignore[PB704] team is being merged into client services
                review_every_days: 30
            """, area="suppressions"),

    builtin("PB902", "suppression-unknown-code", E, "An inline suppression names a rule that does not exist.",
            raised_by="the suppression reader, generator/check.py",
            explanation="""
            A typo in a suppression's rule code would silence nothing while looking as if it did.
            Use a code that ``playbook rules`` lists.""",
            fail="""
            teams:
              - id: sales
                name: Sales  # playbook: ignore[PB9999] old import
            """,
            ok="""
            teams:
              - id: sales
                name: Sales
            """, area="suppressions"),

    builtin("PB903", "unused-suppression", W, "An inline suppression silences nothing.",
            raised_by="the check pipeline, generator/check.py",
            explanation="""
            When the problem a suppression was written for is fixed, the comment stays behind and would
            hide the next, unrelated finding on that line. Remove it.""",
            fail="""
            teams:
              - id: sales
                name: Sales  # playbook: ignore[PB704] reviewed in the offsite
            """,
            ok="""
            teams:
              - id: sales
                name: Sales
            """, area="suppressions"),

    builtin("PB999", "internal-error", E, "A rule failed on this playbook.",
            raised_by="the check pipeline when a rule raises, generator/check.py",
            explanation="""
            A rule stopped with an unexpected error. The rest of the check still ran; please report the
            message with the file it names.""",
            fail="",
            ok="""
            teams:
              - id: sales
                name: Sales
            """, area="suppressions"),
)
