"""Show findings: grouped text for people, a stable JSON shape for tools.

JSON shape (version 1)::

    {"version": 1, "root": "<playbook folder>", "files_checked": 21,
     "summary": {"error": 0, "warning": 2},
     "findings": [{"code": "PB401", "name": "incomplete-persona", "severity": "warning",
                   "message": "...", "path": "personas/erin.yaml", "line": 3, "column": 1,
                   "entity": {"kind": "persona", "id": "erin"} or null}]}
"""

from __future__ import annotations

import json

import click

from .findings import Severity
from .rules import RULES

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(result) -> str:
    errors, warnings = result.counts.get("error", 0), result.counts.get("warning", 0)
    files = _plural(result.files_checked, "file")
    if not errors and not warnings:
        return f"No problems found in {files}."
    paths = len({f.location.path for f in result.findings})
    return (f"Found {_plural(errors, 'error')} and {_plural(warnings, 'warning')} "
            f"in {_plural(paths, 'file')} ({files} checked).")


def text_lines(result, colour: bool = False):
    """`path:line:col: CODE message`, grouped by file with a blank line between files."""
    current = None
    for f in result.findings:
        if current is not None and f.location.path != current:
            yield ""
        current = f.location.path
        where = f"{f.location}:"
        code = f.code
        if colour:
            where = click.style(where, bold=True)
            code = click.style(code, fg=_COLOURS.get(f.severity, "white"), bold=True)
        yield f"{where} {code} {f.message}"
    if result.findings:
        yield ""
    line = summary_line(result)
    if colour:
        fg = "red" if result.counts.get("error") else "yellow" if result.counts.get("warning") else "green"
        line = click.style(line, fg=fg)
    yield line


def to_json(result) -> str:
    return json.dumps({
        "version": 1,
        "root": str(result.playbook.root),
        "files_checked": result.files_checked,
        "summary": {"error": result.counts.get("error", 0), "warning": result.counts.get("warning", 0)},
        "findings": [finding_dict(f) for f in result.findings],
    }, indent=2, ensure_ascii=False)


def finding_dict(f) -> dict:
    return {
        "code": f.code,
        "name": RULES[f.code].name,
        "severity": f.severity.label,
        "message": f.message,
        "path": f.location.path,
        "line": f.location.line,
        "column": f.location.col,
        "entity": {"kind": f.entity[0], "id": f.entity[1]} if f.entity else None,
    }
