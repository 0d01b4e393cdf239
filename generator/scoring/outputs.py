"""How scored leads are written: table, CSV and JSON, the summary, and worked-example checks."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from .run import Scored, number_text

CSV_COLUMNS = ("id", "fit_score", "engagement_score", "total_score", "stage", "persona", "negative",
               "red_flags", "nurture_track", "rules")
TABLE_HEADER = f"{'lead':<28} {'fit':>5} {'engage':>6} {'total':>6}  {'stage':<12} persona"


def rule_text(rule: str, points: float) -> str:
    """A rule and its points as the `rules` cell lists them: "budget-5k-plus +20"."""
    return ("%s %+.2f" % (rule, points)).rstrip("0").rstrip(".")


def as_csv_row(s: Scored) -> list:
    """The values of the CSV output's columns (CSV_COLUMNS), for a csv.writer."""
    return [s.id, number_text(s.fit), number_text(s.engagement), number_text(s.total), s.stage or "",
            s.persona or "", "yes" if s.negative else "no", "; ".join(s.red_flags), s.nurture or "",
            "; ".join([rule_text(rule, points) for rule, _, points in s.rules])]


def as_row(s: Scored) -> dict:
    return dict(zip(CSV_COLUMNS, as_csv_row(s)))


def as_json(s: Scored) -> dict:
    return {"id": s.id, "row": s.row, "fit_score": s.fit, "engagement_score": s.engagement,
            "total_score": s.total, "stage": s.stage, "persona": s.persona, "negative": s.negative,
            "red_flags": s.red_flags, "nurture_track": s.nurture,
            "rules": [{"rule": r, "group": g, "points": p} for r, g, p in s.rules]}


def table_line(s: Scored) -> str:
    flags = f"  ⚑ {len(s.red_flags)} red flag{'s' if len(s.red_flags) != 1 else ''}" if s.red_flags else ""
    nurture = f"  → {s.nurture}" if s.nurture else ""
    persona = (s.persona or "—") + (" (negative)" if s.negative else "")
    return (f"{s.id[:28]:<28} {number_text(s.fit):>5} {number_text(s.engagement):>6} {number_text(s.total):>6}  "
            f"{(s.stage or '—'):<12} {persona}{flags}{nurture}")


def csv_line(fields: list[str]) -> str:
    """One CSV line, as csv.writer(lineterminator="\\n") writes it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


@dataclass
class Summary:
    scored: int = 0
    bad: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)
    by_persona: dict[str, int] = field(default_factory=dict)

    def add(self, s: Scored) -> None:
        self.scored += 1
        stage = s.stage or "(no stage)"
        persona = s.persona or "(no persona)"
        self.by_stage[stage] = self.by_stage.get(stage, 0) + 1
        self.by_persona[persona] = self.by_persona.get(persona, 0) + 1

    def as_dict(self, stage_order: list[str]) -> dict:
        order = {s: i for i, s in enumerate(stage_order)}
        return {"scored": self.scored, "bad_rows": self.bad,
                "by_stage": dict(sorted(self.by_stage.items(), key=lambda kv: (order.get(kv[0], 999), kv[0]))),
                "by_persona": dict(sorted(self.by_persona.items()))}


def example_problems(expect, scored: Scored, stage: str | None = None, persona: str | None = None) -> list[str]:
    """Where a worked example's expectations and the definitions disagree (rule PB801, the site)."""
    problems = []
    want = expect.stage or stage
    if want and scored.stage != want:
        problems.append(f"expects the stage {want}, but the definitions put it in {scored.stage or 'no stage'}")
    want = expect.persona or persona
    if want and scored.persona != want:
        problems.append(f"expects the persona {want}, but it matches {scored.persona or 'no persona'}")
    for name, value in (("fit_score", scored.fit), ("engagement_score", scored.engagement),
                        ("total_score", scored.total)):
        wanted = getattr(expect, name)
        if wanted is not None and abs(wanted - value) > 0.01:
            problems.append(f"expects a {name.replace('_', ' ')} of {wanted:g}, but it scores {value:g}")
    if expect.nurture_track and scored.nurture != expect.nurture_track:
        problems.append(f"expects the nurture track {expect.nurture_track}, but it goes to {scored.nurture or 'none'}")
    if expect.red_flags is not None and len(scored.red_flags) != expect.red_flags:
        problems.append(f"expects {expect.red_flags} red flag(s), but it shows {len(scored.red_flags)}")
    return problems
