"""Findings: what a rule reports, and where."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    OFF = 0
    WARNING = 1
    ERROR = 2

    @classmethod
    def parse(cls, text: str) -> "Severity":
        return cls[str(text).strip().upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass
class Finding:
    code: str
    location: Location
    message: str
    severity: Severity | None = None  # filled in from the rule and the configuration
    entity: tuple[str, str] | None = None  # (kind, id) the finding is about, when there is one
    extra: dict = field(default_factory=dict)

    def sort_key(self):
        loc = self.location
        return (loc.path, loc.line, loc.col, self.code, self.message)
