"""What a rule is, the catalogue they are registered in, and how a rule reports.

A check function is registered with :func:`rule`, which names its code once: the function is
handed the playbook and a :class:`Report` bound to that code, so a rule cannot report a finding
under another rule's code.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from ..findings import Finding, Location, Severity


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
    raised_by: str = ""  # for a rule without a check function: what reports it


class Report:
    """A rule's way to report: findings under the rule's own code, located in the playbook."""

    __slots__ = ("code", "_pb")

    def __init__(self, code: str, pb):
        self.code, self._pb = code, pb

    def __call__(self, obj, path: Iterable = (), message: str = "") -> Finding:
        """A finding about ``obj`` (an entity, or a located value), at the field ``path`` in it."""
        return self._pb.finding(self.code, obj, path, message)

    def at(self, location: Location, message: str) -> Finding:
        """A finding at a location that belongs to no entity."""
        return Finding(self.code, location, message)


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity, summary: str, *, fail: str, ok: str):
    """Register a rule; the decorated function receives the playbook and the rule's
    :class:`Report`, and yields the findings it makes with it."""

    def register(func: Callable[..., Iterator[Finding]]):
        def check(pb) -> Iterator[Finding]:
            return func(pb, Report(code, pb))

        register_rule(Rule(code, name, severity, summary, inspect.cleandoc(func.__doc__ or ""),
                           inspect.cleandoc(fail), inspect.cleandoc(ok), check,
                           _area(func.__module__)))
        return func

    return register


def _area(module: str) -> str:
    """A rule's area is its module under ``rules`` (``rules.lifecycle.handoffs``: lifecycle)."""
    return module.partition(".rules.")[2].split(".")[0]


def register_rule(r: Rule) -> None:
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
