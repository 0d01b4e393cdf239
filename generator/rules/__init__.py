"""The rule catalogue.

Each rule is a small unit: a stable code, a kebab-case name, a default severity, a one-line
summary, an explanation (the function's docstring) and a failing and a passing example. The
test suite runs every example, so a rule's documentation cannot drift from its behaviour.
Check functions live in one module per area (``registry.rule`` registers them); the rules the
loader, the model and the check pipeline report are rows of the table in ``builtin``.

Examples are small playbooks: files separated by ``# file: path`` lines.
"""

from __future__ import annotations

import importlib

from .registry import RULES, Report, Rule, by_name_or_code, rule

__all__ = ["AREAS", "AREA_TITLES", "RULES", "Report", "Rule", "by_name_or_code", "example_files", "rule"]

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

# The modules holding check functions; the loader's and the pipeline's rules are in builtin.
_CHECK_MODULES = ("structure", "lifecycle", "scoring", "qualification", "personas", "complaints",
                  "campaigns", "governance", "examples")


def _load_catalogue() -> None:
    from .builtin import BUILTIN
    from .registry import register_rule
    for module in _CHECK_MODULES:
        importlib.import_module(f"{__name__}.{module}")
    for r in BUILTIN:
        register_rule(r)
    # The catalogue reads (and the check runs) by area, then by code.
    ordered = sorted(RULES.values(), key=lambda r: (AREAS.index(r.area), r.code))
    RULES.clear()
    RULES.update((r.code, r) for r in ordered)


_load_catalogue()
