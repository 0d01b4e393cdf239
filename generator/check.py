"""Run the rule catalogue over a playbook and decide what to report.

Rules only yield findings. Here each finding gets its severity from the configuration, and is
dropped when the configuration turns the rule off, a path ignore covers it, or an inline
``# playbook: ignore[CODE] reason`` comment suppresses it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import gc
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .findings import Finding, Location, Severity
from .playbook import Playbook, build
from .rules import RULES

_SUPPRESS = re.compile(r"(?:^|\s)#\s*playbook:\s*(ignore|ignore-file)\[([^\]]*)\]\s*(.*)$")


@dataclass
class Suppression:
    location: Location
    codes: list[str]
    reason: str
    whole_file: bool
    target_line: int
    used: bool = False


@dataclass
class CheckResult:
    playbook: Playbook
    findings: list[Finding]
    files_checked: int
    counts: dict[str, int] = field(default_factory=dict)

    def worst(self) -> Severity:
        return max((f.severity for f in self.findings), default=Severity.OFF)


# Lines as editors and GitHub count them, which is how findings are located.
_EDITOR_LINES = re.compile("\r\n|\r|\n")


def suppressions(path: str, text: str) -> tuple[list[Suppression], list[Finding]]:
    """The inline ``# playbook: ignore[...]`` comments of one file, and the findings about them."""
    out: list[Suppression] = []
    problems: list[Finding] = []
    if "playbook:" not in text:
        return out, problems
    lines = _EDITOR_LINES.split(text)  # not str.splitlines: it also breaks at U+2028, NEL ...
    for index, line in enumerate(lines):
        m = _SUPPRESS.search(line)
        if not m:
            continue
        col = m.start() + (1 if line[m.start()].isspace() else 0) + 1
        loc = Location(path, index + 1, col)
        codes = [c.strip().upper() for c in m.group(2).split(",") if c.strip()]
        reason = m.group(3).strip()
        unknown = [c for c in codes if c not in RULES]
        for code in unknown:
            problems.append(Finding("PB902", loc, f'The suppression names "{code}", which is not a rule; '
                                    '"playbook rules" lists them all.'))
        if not codes:
            problems.append(Finding("PB902", loc, "The suppression names no rule; write ignore[PB123]."))
        if not reason:
            problems.append(Finding("PB901", loc, "This suppression gives no reason; add one after the "
                                    "brackets so reviewers know why the rule does not apply."))
            continue
        target = index + 1
        if line[: m.start()].strip() == "":  # a comment on a line of its own covers the next line
            nxt = index + 1
            while nxt < len(lines) and (lines[nxt].strip() == "" or lines[nxt].lstrip().startswith("#")):
                nxt += 1
            target = nxt + 1
        known = [c for c in codes if c in RULES]
        if known:
            out.append(Suppression(loc, known, reason, m.group(1) == "ignore-file", target))
    return out, problems


def run_check(root: Path, config: Config, today: dt.date | None = None) -> CheckResult:
    # Loading creates hundreds of thousands of small objects and no reference cycles; the
    # cyclic garbage collector would otherwise spend more time scanning them than loading.
    # Freezing them afterwards keeps later collections from scanning them all once more.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_check(root, config, today)
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _run_check(root: Path, config: Config, today: dt.date | None) -> CheckResult:
    pb = build(root, config.max_file_bytes)
    pb.today = today or dt.date.today()
    pb.review_every_days = config.review_every_days
    raw: list[Finding] = list(pb.findings)
    for r in RULES.values():
        if r.check is None or config.severity(r.code) is Severity.OFF:
            continue
        try:
            raw.extend(r.check(pb))
        except Exception as exc:  # a rule bug must never hide the other findings
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            raw.append(Finding("PB999", Location(config.path.name if config.path else "playbook.yaml"),
                               f"The rule {r.code} ({r.name}) failed: {type(exc).__name__}: {exc} "
                               f"(at {Path(frame.filename).name}:{frame.lineno})."))

    by_file: dict[str, list[Suppression]] = {}
    for rel, loaded in pb.files.items():
        sups, problems = suppressions(rel, loaded.text)
        by_file[rel] = sups
        raw.extend(problems)

    kept: list[Finding] = []
    for f in raw:
        severity = config.severity(f.code)
        if severity is Severity.OFF or _ignored(config, f):
            continue
        if _suppressed(by_file.get(f.location.path, ()), f):
            continue
        f.severity = severity
        kept.append(f)
    if config.severity("PB903") is not Severity.OFF:
        for sups in by_file.values():
            for s in sups:
                if not s.used:
                    f = Finding("PB903", s.location, "This suppression silences nothing; remove it.",
                                severity=config.severity("PB903"))
                    if not _ignored(config, f):
                        kept.append(f)
    kept.sort(key=Finding.sort_key)
    kept = _dedupe(kept)
    counts = {"error": 0, "warning": 0}
    for f in kept:
        counts[f.severity.label] += 1
    return CheckResult(pb, kept, len(pb.files), counts)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    out, seen = [], set()
    for f in findings:
        key = (f.code, f.location, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _ignored(config: Config, f: Finding) -> bool:
    for ig in config.ignores:
        if ig.rules and f.code not in ig.rules:
            continue
        if any(fnmatch.fnmatch(f.location.path, pattern) for pattern in ig.paths):
            return True
    return False


def _suppressed(sups, f: Finding) -> bool:
    if f.code in ("PB901", "PB902"):
        return False
    for s in sups:
        if f.code in s.codes and (s.whole_file or s.target_line == f.location.line):
            s.used = True
            return True
    return False
