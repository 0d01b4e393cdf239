"""What the pages compute from the playbook: who each persona's propositions and questions are,
questions by stage and dimension, score thresholds and worked examples, goals and what
supports them, what each team owns, the tags index and the reviews overdue.
"""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup

from . import model as m
from .criteria import SCORE_FIELDS, lower_bound
from .diagram import lifecycle_svg
from .render_words import safe_slug, tag_anchor
from .rules.scoring import max_scores



class Views:
    """Computed views for :class:`~generator.render.Renderer` (its playbook, day and settings)."""

    def persona_propositions(self, persona):
        if self._by_persona is None:
            self._by_persona = {}
            for v in self.pb.of("proposition"):
                for pid in dict.fromkeys(v.personas):
                    self._by_persona.setdefault(pid, []).append(v)
        return self._by_persona.get(persona.id, [])

    def persona_questions(self, persona):
        if self._questions_for is None:
            # by stage; within a stage, an explicit call_order first, then the order written
            order = {s.id: s.order for s in self.pb.stages}
            written = {q.id: i for i, q in enumerate(self.pb.of("question"))}
            ranked = sorted(self.pb.of("question"), key=lambda q: (
                order.get(q.asked_at, 999), q.call_order or 10**6, written[q.id]))
            general = [q for q in ranked if not q.personas]
            self._questions_for = {"": general}
            for q in ranked:
                for pid in dict.fromkeys(q.personas):
                    self._questions_for.setdefault(pid, []).append(q)
            self._question_rank = {q.id: i for i, q in enumerate(ranked)}
        own = self._questions_for.get(persona.id, [])
        merged = {q.id: q for q in self._questions_for[""] + own}
        return sorted(merged.values(), key=lambda q: self._question_rank[q.id])

    @staticmethod
    def runs_by_stage(questions) -> list[tuple[str | None, list]]:
        """Questions in their order, grouped into runs asked at the same stage."""
        runs: list[tuple[str | None, list]] = []
        for q in questions:
            if not runs or runs[-1][0] != q.asked_at:
                runs.append((q.asked_at, []))
            runs[-1][1].append(q)
        return runs

    def questions_by_stage(self):
        out = []
        for stage in self.pb.stages:
            qs = [q for q in self.pb.of("question") if q.asked_at == stage.id]
            if qs:
                out.append((stage, qs))
        rest = [q for q in self.pb.of("question") if not self.pb.get("stage", q.asked_at or "")]
        if rest:
            out.append((None, rest))
        return out

    def questions_by_dimension(self):
        frameworks = list(self.pb.frameworks) or sorted({fw for q in self.pb.of("question") for fw in q.covers})
        out = []
        for fw in frameworks:
            dims = m.FRAMEWORKS.get(fw, ())
            rows = [(d, [q for q in self.pb.of("question") if d in q.covers.get(fw, [])]) for d in dims]
            out.append((fw, rows))
        return out

    def handoffs_of(self, stage):
        return [h for h in self.pb.of("handoff") if stage.id in (h.from_stage, h.to_stage)]

    def transitions_of(self, stage):
        return [t for t in self.pb.transitions if stage.id in (t.from_, t.to)]

    def thresholds(self):
        rows = []
        for stage in self.pb.stages:
            for f in SCORE_FIELDS:
                bound = lower_bound(stage.entry, f)
                if bound:
                    rows.append((stage, f, bound[0]))
        return rows

    def max_scores(self):
        return max_scores(self.pb.scoring) if self.pb.scoring else {}

    def band_range(self, band) -> Markup:
        """A band's range in words: "below 0" for the lowest band, "60 or more" for the highest
        (when it reaches the most a lead can score), "30 to 59" otherwise."""
        def n(v):
            return f"{v:g}".replace("-", "\u2212")
        bands = sorted(self.pb.scoring.bands, key=lambda b: b.min) if self.pb.scoring else []
        if len(bands) > 1 and band is bands[0] and bands[1].min == band.max + 1:
            return Markup(f"below {n(bands[1].min)}")
        best = self.max_scores()
        top = self.pb.scoring.limit if self.pb.scoring and self.pb.scoring.limit else (
            best.get("fit_score", 0) + best.get("engagement_score", 0) if best else None)
        if len(bands) > 1 and band is bands[-1] and top is not None and band.max >= top:
            return Markup(f"{n(band.min)} or more")
        return Markup(f"{n(band.min)} to {n(band.max)}")

    def worked_example(self):
        """A lead shaped like the first buyer persona: which rules fire and what it adds up to."""
        model = self.pb.scoring
        buyers = [p for p in self.pb.personas if p.kind == "buyer"]
        if model is None or not buyers:
            return None
        from .criteria import conditions_by_field, intersects, to_range
        persona = sorted(buyers, key=lambda p: p.id)[0]
        ranges = conditions_by_field(persona.criteria)
        lines, totals = [], {"fit": 0.0, "engagement": 0.0}
        for group in model.groups:
            got = 0.0
            picked = []
            for r in group.rules:
                if r.points <= 0:
                    continue
                if group.kind == "fit":
                    if not r.when:
                        continue
                    fieldname, ops = next(iter(r.when.items()))
                    if fieldname not in ranges or not intersects(ranges[fieldname], to_range(ops)):
                        continue
                elif len(picked) >= 3:
                    continue
                picked.append(r)
                got += r.points
            capped = min(got, group.cap) if group.cap is not None else got
            totals[group.kind] += capped
            lines.append((group, picked, got, capped))
        total = totals["fit"] + totals["engagement"]
        if model.limit is not None:
            total = min(total, model.limit)
        reached = None
        for stage in self.pb.stages:
            if not stage.entry or not any(lower_bound(stage.entry, f) for f in SCORE_FIELDS):
                continue
            ok = True
            for f, value in (("fit_score", totals["fit"]), ("engagement_score", totals["engagement"]),
                             ("total_score", total)):
                bound = lower_bound(stage.entry, f)
                if bound and (value < bound[0] or (value == bound[0] and not bound[1])):
                    ok = False
            if ok:
                reached = stage
        return {"persona": persona, "lines": lines, "fit": totals["fit"],
                "engagement": totals["engagement"], "total": total, "reached": reached}

    def worked(self, example):
        """Score a worked example the way `playbook check` does (PB801) and `playbook score`
        would, with the compiled scoring query: the :class:`~generator.scoring.run.Scored`
        result, or a sentence saying why the example cannot be scored."""
        from .scoring.run import score_examples
        results = getattr(self, "_worked_results", None)
        if results is None or id(example) not in results:
            results = self._worked_results = score_examples(self.pb, self.today)
        return results.get(id(example), "it is not one of the playbook's examples")

    def breakdown(self, example):
        """A worked example as a calculation: every rule that fired with its points (and, for an
        event, its date, age and decay factor), each group's sum and cap, the total, the band and
        the stage. Each event's points come from the compiled query too (the example's events
        scored one at a time), so it adds up to what `playbook score` says. A string when the
        example cannot be scored."""
        from .scoring.run import event_points
        got = self.worked(example)
        if isinstance(got, str):
            return got
        as_of = example.as_of or self.today
        model = self.pb.scoring
        groups = list(model.groups) if model else []
        rules = {(g.id, r.id): r for g in groups for r in g.rules}
        rows: dict[str, list[dict]] = {g.id: [] for g in groups}
        for rule_id, group_id, points in got.rules:
            rule = rules.get((group_id, rule_id))
            if rule is not None and not rule.event:
                rows[group_id].append({"rule": rule, "points": points, "base": rule.points, "event": None})
        events = [(e.type, e.date.isoformat()) for e in example.events]
        for (kind, day), contributions in zip(events, event_points(self.pb, as_of, events)):
            date = dt.date.fromisoformat(day)
            for rule_id, group_id, points in contributions:
                rule = rules.get((group_id, rule_id))
                if rule is None:
                    continue
                rows[group_id].append({"rule": rule, "points": points, "base": rule.points, "event": rule.event,
                                       "date": date, "age": (as_of - date).days,
                                       "factor": points / rule.points if rule.points else 1.0})
        lines = []
        for g in groups:
            total = sum(row["points"] for row in rows[g.id])
            capped = min(total, g.cap) if g.cap is not None else total
            lines.append({"group": g, "rows": rows[g.id], "sum": total, "capped": capped,
                          "cap_applied": g.cap is not None and total > g.cap})
        added = got.fit + got.engagement
        band = None
        for b in sorted(model.bands if model else [], key=lambda b: b.min):
            if b.min <= got.total:
                band = b
        events = [row for line in lines for row in line["rows"] if row["event"]]
        events.sort(key=lambda row: (row["date"] or as_of, row["rule"].id))
        return {"scored": got, "as_of": as_of, "groups": lines, "events": events, "fit": got.fit,
                "engagement": got.engagement, "added": round(added, 2), "total": got.total,
                "limited": round(added, 2) != got.total, "band": band}

    @staticmethod
    def example_problems(example, scored, stage: str | None = None, persona: str | None = None) -> list[str]:
        """Where the example's expectations and the definitions disagree (what PB801 reports)."""
        from .scoring.outputs import example_problems
        return example_problems(example.expect, scored, stage, persona)

    def goal_pairs(self):
        pairs = []
        goals = self.pb.of("goal")
        supporting: dict[str, list] = {}
        for x in goals:
            for target in dict.fromkeys(x.supports):
                supporting.setdefault(target, []).append(x)
        for g in goals:
            supporters = supporting.get(g.id, [])
            if supporters or not g.supports:
                pairs.append((g, supporters))
        return pairs

    def owned_by(self, team):
        return sorted((e for e in self.pb.all_entities if e.owner == team.id and e.KIND != "team"),
                      key=lambda e: (m.KIND_LABELS[e.KIND], self.title_of(e).lower()))

    def tag_index(self):
        out: dict[str, list] = {}
        for e in self.pb.all_entities:
            for t in self.tags_of(e):
                out.setdefault(t, []).append(e)
        return [(self.tag_label(t), Markup(tag_anchor(t)), sorted(es, key=lambda e: (e.KIND, e.id)))
                for t, es in sorted(out.items())]

    def overdue(self):
        rows = []
        for e in self.pb.all_entities:
            due = self.review_due(e)
            if due and due < self.today:
                rows.append((due, e))
        return sorted(rows, key=lambda r: (r[0], r[1].KIND, r[1].id))

    def lifecycle_svg(self) -> Markup:
        # a <div> is a raw HTML block to Markdown, so nothing (abbreviations included) touches the SVG
        svg = lifecycle_svg(self.pb, lambda s: safe_slug(s.id) + "/")
        return Markup(f'<div class="pb-diagram">{svg}</div>') if svg else Markup("")
