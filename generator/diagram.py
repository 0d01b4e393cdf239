"""The lifecycle diagram as inline SVG, drawn at build time: no diagram library, no outside host."""

from __future__ import annotations

from markupsafe import escape

BOX_W, BOX_H, GAP, TOP = 124, 54, 34, 70


def lifecycle_svg(pb, href_of) -> str:
    """Stages left to right by order; forward moves above, recycles and disqualifications below.

    ``href_of(stage)`` gives the link of a stage's page relative to the page showing the diagram.
    """
    stages = pb.stages
    if not stages:
        return ""
    x_of = {s.id: 10 + i * (BOX_W + GAP) for i, s in enumerate(stages)}
    order = {s.id: i for i, s in enumerate(stages)}
    width = 20 + len(stages) * (BOX_W + GAP) - GAP
    parts = []
    arcs_above, arcs_below = 0, 0
    edges = []
    for t in pb.transitions:
        if t.from_ in order and t.to in order:
            edges.append((t.from_, t.to, t.type))
    for h in pb.of("handoff"):
        if h.from_stage in order and h.to_stage in order:
            edges.append((h.from_stage, h.to_stage, "forward"))
    seen = set()
    for a, b, kind in edges:
        if (a, b, kind) in seen:
            continue
        seen.add((a, b, kind))
        x1 = x_of[a] + BOX_W / 2
        x2 = x_of[b] + BOX_W / 2
        if kind == "forward" and order[b] == order[a] + 1:
            y = TOP + BOX_H / 2
            parts.append(f'<line class="pb-edge" x1="{x_of[a] + BOX_W}" y1="{y}" x2="{x_of[b] - 4}" y2="{y}" '
                         'marker-end="url(#pb-arrow)"/>')
            continue
        if kind == "forward":
            arcs_above += 1
            lift = 18 + 12 * (arcs_above % 3)
            y = TOP
            parts.append(f'<path class="pb-edge" d="M{x1},{y} C{x1},{y - lift - 20} {x2},{y - lift - 20} {x2},{y - 4}" '
                         'fill="none" marker-end="url(#pb-arrow)"/>')
        else:
            arcs_below += 1
            drop = 22 + 14 * (arcs_below % 4)
            y = TOP + BOX_H
            css = "pb-recycle" if kind == "recycle" else "pb-disqualify"
            parts.append(f'<path class="{css}" d="M{x1},{y} C{x1},{y + drop + 20} {x2},{y + drop + 20} {x2},{y + 4}" '
                         f'fill="none" marker-end="url(#pb-arrow-{kind})"/>')
    for s in stages:
        x = x_of[s.id]
        label = s.abbreviation or s.name
        team = pb.get("team", s.owner) if s.owner else None
        owner = team.name if team else (s.owner or "no owner")
        css = "pb-stage pb-terminal" if s.terminal else "pb-stage"
        parts.append(
            f'<a href="{escape(href_of(s) or "")}"><g class="{css}">'
            f'<rect x="{x}" y="{TOP}" width="{BOX_W}" height="{BOX_H}" rx="8"/>'
            f'<text x="{x + BOX_W / 2}" y="{TOP + 23}" text-anchor="middle" class="pb-stage-name">{escape(label[:18])}</text>'
            f'<text x="{x + BOX_W / 2}" y="{TOP + 41}" text-anchor="middle" class="pb-stage-owner">{escape(owner[:20])}</text>'
            f"<title>{escape(s.name)}</title></g></a>")
    height = TOP + BOX_H + 90
    defs = ('<defs>'
            '<marker id="pb-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="pb-arrowhead"/></marker>'
            '<marker id="pb-arrow-recycle" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="pb-arrowhead-recycle"/></marker>'
            '<marker id="pb-arrow-disqualify" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="pb-arrowhead-disqualify"/></marker>'
            '</defs>')
    legend = (f'<g class="pb-legend"><text x="10" y="{height - 8}">→ forward</text>'
              f'<text x="110" y="{height - 8}" class="pb-legend-recycle">⤺ recycle to nurture</text>'
              f'<text x="290" y="{height - 8}" class="pb-legend-disqualify">⤺ disqualify</text></g>')
    return (f'<svg class="pb-lifecycle" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="Lifecycle stages and transitions" xmlns="http://www.w3.org/2000/svg">'
            + defs + "".join(parts) + legend + "</svg>")
