"""The rule catalogue.

Each rule is a small unit: a stable code, a kebab-case name, a default severity, a one-line
summary, an explanation (the function's docstring) and a failing and a passing example. The
test suite runs every example, so a rule's documentation cannot drift from its behaviour.

Examples are small playbooks: files separated by ``# file: path`` lines.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Callable, Iterable

from ..findings import Finding, Severity


@dataclass
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    explanation: str
    fail: str
    ok: str
    check: Callable[..., Iterable[Finding]] | None = None  # None: reported while loading
    area: str = ""


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity, summary: str, *, fail: str, ok: str):
    """Register a rule; the decorated function receives the playbook and yields findings."""

    def register(func):
        _register(Rule(code, name, severity, summary, inspect.cleandoc(func.__doc__ or ""),
                       inspect.cleandoc(fail), inspect.cleandoc(ok), func,
                       func.__module__.rsplit(".", 1)[-1]))
        return func

    return register


def builtin(code, name, severity, summary, explanation, *, fail, ok, area="structure"):
    """Register a rule that the loader or the model reports (it has no check function)."""
    _register(Rule(code, name, severity, summary, inspect.cleandoc(explanation),
                   inspect.cleandoc(fail), inspect.cleandoc(ok), None, area))


def _register(r: Rule):
    if r.code in RULES:
        raise ValueError(f"rule code {r.code} registered twice")
    RULES[r.code] = r


def by_name_or_code(key: str) -> Rule | None:
    key = key.strip()
    if key.upper() in RULES:
        return RULES[key.upper()]
    for r in RULES.values():
        if r.name == key:
            return r
    return None


DEFAULT_EXAMPLE_FILE = "definitions/playbook.yaml"


def example_files(example: str) -> dict[str, bytes]:
    """Split a rule example into files: ``# file: path`` lines start a new file; a
    ``(latin-1)`` after the path writes that file in Latin-1 instead of UTF-8."""
    files: dict[str, list[str]] = {}
    encodings: dict[str, str] = {}
    current = DEFAULT_EXAMPLE_FILE
    for line in example.splitlines():
        if line.startswith("# file: "):
            spec = line[len("# file: "):].strip()
            current, _, enc = spec.partition(" (")
            encodings[current] = enc.rstrip(")") or "utf-8"
            files.setdefault(current, [])
            continue
        files.setdefault(current, []).append(line)
    return {path: ("\n".join(lines) + "\n").encode(encodings.get(path, "utf-8"))
            for path, lines in files.items() if any(l.strip() for l in lines)}


AREAS = ("structure", "lifecycle", "scoring", "qualification", "personas", "complaints",
         "campaigns", "governance", "examples", "suppressions")
AREA_TITLES = {
    "structure": "Structure and references", "lifecycle": "Lifecycle and handoff",
    "scoring": "Scoring", "qualification": "Qualification and deal alignment",
    "personas": "Personas and value propositions", "complaints": "Complaints",
    "campaigns": "Campaigns", "governance": "Goals, glossary, governance",
    "examples": "Worked examples",
    "suppressions": "Suppressions",
}

for _area in AREAS:
    importlib.import_module(f"{__name__}.{_area}")
