"""The lifecycle diagram as inline SVG, drawn at build time: no diagram library, no outside host.

Two drawings of the same graph: stages left to right for a wide screen, and top to bottom for a
phone, where a drawing 1,000 units wide would shrink its labels to a few pixels. The stylesheet
shows the one that fits (``.pb-lifecycle-wide`` / ``.pb-lifecycle-tall``). Every kind of move is
drawn (forward, recycle, disqualify, including a disqualification out of the lifecycle), and the
legend lists only the kinds that are drawn.
"""

from __future__ import annotations

from markupsafe import escape

BOX_W, BOX_H, GAP, TOP = 112, 58, 26, 70
TALL_W, TALL_BOX_W, TALL_BOX_H, TALL_GAP = 360, 200, 50, 30

KIND_CLASS = {"forward": "pb-edge", "recycle": "pb-recycle", "disqualify": "pb-disqualify"}
LEGEND = {"forward": "→ forward", "recycle": "⤺ recycle", "disqualify": "✕ disqualify"}


def _edges(pb, order):
    """(from, to or None, kind) once each: transitions, and handoffs as forward moves."""
    edges = []
    for t in pb.transitions:
        if t.from_ in order and (t.to in order or (t.to is None and t.type == "disqualify")):
            edges.append((t.from_, t.to if t.to in order else None, t.type))
    for h in pb.of("handoff"):
        if h.from_stage in order and h.to_stage in order:
            edges.append((h.from_stage, h.to_stage, "forward"))
    return list(dict.fromkeys(edges))


def _markers(suffix: str) -> str:
    out = []
    for kind, css in (("", "pb-arrowhead"), ("-recycle", "pb-arrowhead-recycle"),
                      ("-disqualify", "pb-arrowhead-disqualify")):
        out.append(f'<marker id="pb-arrow{kind}-{suffix}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                   f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="{css}"/></marker>')
    return "<defs>" + "".join(out) + "</defs>"


def _arrow(kind: str, suffix: str) -> str:
    return f'url(#pb-arrow{"" if kind == "forward" else "-" + kind}-{suffix})'


def _box(pb, s, x, y, w, h, href_of) -> str:
    team = pb.get("team", s.owner) if s.owner else None
    owner = team.name if team else (s.owner or "no owner")
    label = s.abbreviation or s.name
    css = "pb-stage pb-terminal" if s.terminal else "pb-stage"
    return (f'<a href="{escape(href_of(s) or "")}"><g class="{css}">'
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8"/>'
            f'<text x="{x + w / 2}" y="{y + h / 2 - 3}" text-anchor="middle" class="pb-stage-name">{escape(label[:22])}</text>'
            f'<text x="{x + w / 2}" y="{y + h / 2 + 14}" text-anchor="middle" class="pb-stage-owner">{escape(owner[:26])}</text>'
            f"<title>{escape(s.name)}</title></g></a>")


def _legend(kinds: list[str], x: float, y: float, step: float) -> str:
    parts = []
    for i, kind in enumerate(k for k in LEGEND if k in kinds):
        parts.append(f'<text x="{x + i * step}" y="{y}" class="pb-legend-{kind}">{LEGEND[kind]}</text>')
    return '<g class="pb-legend">' + "".join(parts) + "</g>"


def _wide(pb, stages, edges, href_of) -> str:
    x_of = {s.id: 10 + i * (BOX_W + GAP) for i, s in enumerate(stages)}
    order = {s.id: i for i, s in enumerate(stages)}
    width = 20 + len(stages) * (BOX_W + GAP) - GAP
    parts, above, below, drawn = [], 0, 0, set()
    for a, b, kind in edges:
        x1 = x_of[a] + BOX_W / 2
        css, arrow = KIND_CLASS[kind], _arrow(kind, "w")
        if b is None:  # out of the lifecycle: up from the stage, clear of the recycles below
            x = x_of[a] + BOX_W - 16
            parts.append(f'<path class="{css}" d="M{x},{TOP} L{x},{TOP - 26}" fill="none" marker-end="{arrow}"/>'
                         f'<text x="{x}" y="{TOP - 34}" text-anchor="middle" class="pb-out">out</text>')
        elif kind == "forward" and order[b] == order[a] + 1:
            y = TOP + BOX_H / 2
            parts.append(f'<line class="{css}" x1="{x_of[a] + BOX_W}" y1="{y}" x2="{x_of[b] - 4}" y2="{y}" '
                         f'marker-end="{arrow}"/>')
        elif kind == "forward":
            above += 1
            lift = 18 + 12 * (above % 3)
            x2 = x_of[b] + BOX_W / 2
            parts.append(f'<path class="{css}" d="M{x1},{TOP} C{x1},{TOP - lift - 20} {x2},{TOP - lift - 20} {x2},{TOP - 4}" '
                         f'fill="none" marker-end="{arrow}"/>')
        else:
            below += 1
            drop = 22 + 14 * (below % 4)
            x2 = x_of[b] + BOX_W / 2 - 20
            y = TOP + BOX_H
            parts.append(f'<path class="{css}" d="M{x1 - 20},{y} C{x1 - 20},{y + drop + 20} {x2},{y + drop + 20} {x2},{y + 4}" '
                         f'fill="none" marker-end="{arrow}"/>')
        drawn.add(kind)
    parts += [_box(pb, s, x_of[s.id], TOP, BOX_W, BOX_H, href_of) for s in stages]
    height = TOP + BOX_H + 110
    return (f'<svg class="pb-lifecycle pb-lifecycle-wide" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="Lifecycle stages and how leads move between them" xmlns="http://www.w3.org/2000/svg">'
            + _markers("w") + "".join(parts) + _legend(sorted(drawn), 10, height - 8, 130) + "</svg>")


def _tall(pb, stages, edges, href_of) -> str:
    """Top to bottom, drawn at the width of a phone: forward moves on the right, recycles and
    disqualifications on the left."""
    left = (TALL_W - TALL_BOX_W) / 2
    y_of = {s.id: 20 + i * (TALL_BOX_H + TALL_GAP) for i, s in enumerate(stages)}
    order = {s.id: i for i, s in enumerate(stages)}
    parts, right_lanes, left_lanes, drawn = [], 0, 0, set()
    for a, b, kind in edges:
        css, arrow = KIND_CLASS[kind], _arrow(kind, "t")
        ya = y_of[a] + TALL_BOX_H / 2
        if b is None:
            x = left + TALL_BOX_W
            parts.append(f'<path class="{css}" d="M{x},{ya + 12} L{x + 34},{ya + 12}" fill="none" marker-end="{arrow}"/>'
                         f'<text x="{x + 40}" y="{ya + 17}" class="pb-out">out</text>')
        elif kind == "forward" and order[b] == order[a] + 1:
            x = left + TALL_BOX_W / 2
            parts.append(f'<line class="{css}" x1="{x}" y1="{y_of[a] + TALL_BOX_H}" x2="{x}" y2="{y_of[b] - 4}" '
                         f'marker-end="{arrow}"/>')
        elif kind == "forward":
            right_lanes += 1
            x = left + TALL_BOX_W
            reach = 24 + 10 * (right_lanes % 3)
            yb = y_of[b] + TALL_BOX_H / 2 - 8
            parts.append(f'<path class="{css}" d="M{x},{ya - 8} C{x + reach},{ya - 8} {x + reach},{yb} {x + 4},{yb}" '
                         f'fill="none" marker-end="{arrow}"/>')
        else:
            left_lanes += 1
            x = left
            reach = 26 + 12 * (left_lanes % 5)
            yb = y_of[b] + TALL_BOX_H / 2 + 8
            parts.append(f'<path class="{css}" d="M{x},{ya} C{x - reach},{ya} {x - reach},{yb} {x - 4},{yb}" '
                         f'fill="none" marker-end="{arrow}"/>')
        drawn.add(kind)
    parts += [_box(pb, s, left, y_of[s.id], TALL_BOX_W, TALL_BOX_H, href_of) for s in stages]
    height = 20 + len(stages) * (TALL_BOX_H + TALL_GAP) + 14
    return (f'<svg class="pb-lifecycle pb-lifecycle-tall" viewBox="0 0 {TALL_W} {height}" role="img" '
            f'aria-label="Lifecycle stages and how leads move between them" xmlns="http://www.w3.org/2000/svg">'
            + _markers("t") + "".join(parts) + _legend(sorted(drawn), 10, height - 6, 118) + "</svg>")


def lifecycle_svg(pb, href_of) -> str:
    """Both drawings of the lifecycle; ``href_of(stage)`` gives the link of a stage's page
    relative to the page showing the diagram."""
    stages = pb.stages
    if not stages:
        return ""
    order = {s.id: i for i, s in enumerate(stages)}
    edges = _edges(pb, order)
    return _wide(pb, stages, edges, href_of) + _tall(pb, stages, edges, href_of)
