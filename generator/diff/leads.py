"""What a change of definitions does to real leads: the same export scored on both sides."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..playbook import Playbook


@dataclass
class LeadImpact:
    """How the same lead records fare under the base and the head definitions."""

    scored: int = 0
    bad_rows: int = 0
    moves: dict = field(default_factory=dict)  # (what, old, new) -> count; what: stage, persona, track
    examples: list = field(default_factory=list)  # (lead id, what, old, new), the first few

    def sentences(self) -> list[str]:
        out = []
        for (what, old, new), n in sorted(self.moves.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"{n:,} of {self.scored:,} leads move {what} from {old or 'none'} to {new or 'none'}.")
        return out


def lead_impact(base: Playbook, head: Playbook, leads_path, as_of, mapping=None, keep: int = 20) -> LeadImpact:
    """Score every lead with both playbooks' compiled queries (DuckDB, the file read once) and
    count what moves."""
    from ..scoring.run import Needs, connect, load_file, scored_rows
    impact = LeadImpact()
    con = connect()
    try:
        loaded = load_file(con, leads_path, mapping or {}, Needs.of([base, head], as_of))
        impact.bad_rows = len(loaded.errors)
        for before, after in zip(scored_rows(loaded, base, as_of, lines=False),
                                 scored_rows(loaded, head, as_of, lines=False)):
            impact.scored += 1
            for what, a, b in (("stage", before.stage, after.stage), ("persona", before.persona, after.persona),
                               ("nurture track", before.nurture, after.nurture)):
                if a != b:
                    key = (what, a, b)
                    impact.moves[key] = impact.moves.get(key, 0) + 1
                    if len(impact.examples) < keep:
                        impact.examples.append((after.id, what, a, b))
    finally:
        con.close()
    return impact
