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

from .changes import (GRADE_RANK, GRADES, IMPACTS, Diff, EntityChange, FieldChange, Impact, changed_scope,
                      diff_playbooks, flatten)
from .leads import LeadImpact, lead_impact
from .report import FOLD_AFTER, MARKDOWN_LIMIT, show_value, summary, to_json, to_markdown, to_text, word_diff

__all__ = ["FOLD_AFTER", "GRADES", "GRADE_RANK", "IMPACTS", "MARKDOWN_LIMIT", "Diff", "EntityChange", "FieldChange",
           "Impact", "LeadImpact", "changed_scope", "diff_playbooks", "flatten", "lead_impact", "show_value",
           "summary", "to_json", "to_markdown", "to_text", "word_diff"]
