"""The playbook's scoring definitions compiled to one SQL query.

:func:`scoring_query` turns the scoring model (groups, caps, limit, decay by event age), the
lifecycle stages' entry criteria, persona matching, red flags and nurture routing into ONE
``SELECT`` built from sqlglot expressions: every identifier and literal taken from the
definitions is quoted by sqlglot, never pasted into SQL text. The same expression is run by
DuckDB for ``playbook score``, for worked examples (PB801 and the site) and for ``playbook diff
--leads``, and can be written in any dialect sqlglot speaks (``expression.sql("spark")``).

Input contract
--------------
The query reads two tables:

``leads(lead_id, <field>, ...)``
    one row per lead. ``lead_id`` is text and unique. Then one column per field the definitions
    test, named exactly as the field (:func:`lead_fields` lists them with their kind):

    * ``number`` fields (compared with gte/gt/lte/lt somewhere): a numeric column (DOUBLE,
      DECIMAL or INTEGER); NULL when unknown.
    * ``text`` fields: a text column, compared trimmed and case-blind; NULL or blank when
      unknown. Yes/no facts are text too: ``yes`` or ``no`` (``true``/``false``, ``y``/``n``,
      ``1``/``0`` and a BOOLEAN column mean the same).
    * ``list`` fields (``confirmed``, the qualification dimensions confirmed so far): text,
      the items separated by ``;`` (spaces inside items are ignored), for example
      ``"budget; authority"``.
    * ``rejection_reason`` (when a handoff or lifecycle route recycles rejected leads): text,
      the reason code, case-blind.

``events(lead_id, event, occurred)``
    one row per activity: ``event`` is the event type as the scoring rules name it, in lower
    case without surrounding spaces (:func:`event_types` lists them; a type no rule names adds
    nothing), ``occurred`` a DATE. An event's
    age is the days from ``occurred`` to the scoring date, 0 for a later event.

Output: one row per lead of ``leads``, with the columns :data:`OUTPUT_COLUMNS`:

``lead_id``; ``fit_score``, ``engagement_score``, ``total_score`` (DOUBLE, rounded to 2 places, a
value exactly halfway to the even hundredth: 1.125 -> 1.12, as Python's ``round``);
``stage`` (the furthest stage whose entry criteria hold, NULL if none); ``persona`` (the persona
whose criteria all hold, a negative persona before a buyer one, then the one with more criteria,
then the first listed; NULL if none); ``negative`` (BOOLEAN: the persona is a negative one);
``red_flags`` (text: the red flags whose conditions hold, each text once, in the order the
personas list them, joined by ``"; "``; NULL if none); ``nurture_track`` (for a lead with a
``rejection_reason``: the track of the route that rejects leads at its stage for that reason,
else of the first route naming the reason); ``rules`` (text: the explanation, ``"rule-id
+points"`` items joined by ``"; "``; NULL if no rule contributed).

Arithmetic
----------
An attribute rule adds its points when its condition holds. An event rule adds, for each event
of its type, ``points x (1 - percent/100) ^ floor(age / period)`` (the rule's decay, else its
group's; no decay: the full points). A group's points are capped by its cap; the fit score adds up
the fit groups, the engagement score the others; the total is the sum, capped by the limit.
Stage criteria and persona criteria on scores see the unrounded scores.

The explanation lists the attribute rules of the fit groups, then of the other groups, in the
order the definitions list them, each with its points; then the event rules, each with the sum
of its decayed points, ordered by the day of their earliest event (or, when the caller names an
events column giving the order the events were recorded in, by the position of their first
event: ``playbook score`` passes the order the file lists them), then as the definitions list
them.
"""

from __future__ import annotations

import datetime as dt

from ..playbook import Playbook
from .definitions import (LIST_FIELDS, REASON_FIELD, EventRule, LeadField, event_rules, event_types,  # noqa: F401
                          lead_fields, nurture_routes, persona_ids, red_flag_texts, rule_text, stage_ids,
                          tested_conditions)
from .expressions import (NO_WORDS, YES_WORDS, Fields, all_of, any_of, as_of_value, column, cut, exp,  # noqa: F401
                          cents_points_text, ident, number, points_text, round2, rounded_points_text, string,
                          text_value, true_or_false, whole_cents)

OUTPUT_COLUMNS = ("lead_id", "fit_score", "engagement_score", "total_score", "stage", "persona", "negative",
                  "red_flags", "nurture_track", "rules")


def scoring_query(pb: Playbook, as_of: dt.date | None, *, event_position: str | None = None,
                  as_of_parameter: str | None = None, event_sums: str | None = None) -> exp.Expression:
    """ONE query over the tables ``leads`` and ``events`` (see the module docstring for the input
    contract) giving one row per lead with :data:`OUTPUT_COLUMNS`. ``as_of`` is the day event
    ages are counted to (None: the engine's CURRENT_DATE). ``event_position`` optionally names a
    numeric column of ``events`` giving the order a lead's events were recorded in; the
    explanation then lists event rules in the order of their first event by that column.
    ``as_of_parameter`` names a query parameter (``$name`` in DuckDB) giving the scoring day
    instead, so one compiled text serves every day. ``event_sums`` names a table holding each
    lead's event points per rule already (:func:`event_sum_columns`, computed as the events are
    read): the query then reads it instead of ``events``."""
    read_once = {} if event_sums else None  # the query playbook score runs reads each field's value once
    fields = Fields(pb, "l", read_once)
    model = pb.scoring
    groups = list(model.groups) if model else []
    rules = event_rules(pb)
    ctes: list[tuple[str, exp.Expression]] = []

    # 1. event points per lead and event rule, then per lead: each group's sum and the explanation
    event_groups = list(dict.fromkeys(r.group_id for r in rules))
    if rules and event_sums:
        ctes += _summed_events(rules, event_groups, event_sums)
    elif rules:
        values = exp.Values(expressions=[
            exp.tuple_(string(r.event), exp.Literal.number(r.number), string(r.rule_id), string(r.group_id),
                       number(r.points), number(r.keep), number(r.every_days)) for r in rules],
            alias=exp.TableAlias(this=ident("r"), columns=[ident(c) for c in (
                "kind", "rule_no", "rule_id", "group_id", "points", "keep", "every_days")]))
        ctes.append(("_pb_event_rules", exp.select(exp.Star()).from_(values, copy=False)))
        age = exp.func("GREATEST", exp.DateDiff(this=as_of_value(as_of, as_of_parameter), expression=column("occurred", "e"),
                                                unit=exp.var("DAY")), exp.Literal.number(0))
        decayed = exp.Mul(this=column("points", "r"), expression=exp.Pow(
            this=column("keep", "r"),
            expression=exp.Floor(this=exp.Div(this=exp.cast(age, exp.DataType.build("DOUBLE")),
                                               expression=column("every_days", "r")))))
        per_rule = (exp.select(column("lead_id", "e"), column("rule_no", "r"),
                               exp.alias_(exp.Min(this=column("rule_id", "r")), "rule_id", quoted=True),
                               exp.alias_(exp.Min(this=column("group_id", "r")), "group_id", quoted=True),
                               exp.alias_(exp.Sum(this=decayed), "points", quoted=True),
                               exp.alias_(exp.Min(this=column(event_position or "occurred", "e")), "first_day", quoted=True))
                    .from_(exp.Table(this=ident("events"), alias=exp.TableAlias(this=ident("e"))), copy=False)
                    .join(exp.Table(this=ident("_pb_event_rules"), alias=exp.TableAlias(this=ident("r"))),
                          on=exp.EQ(this=column("event", "e"), expression=column("kind", "r")), copy=False)
                    .group_by(column("lead_id", "e"), column("rule_no", "r"), copy=False))
        ctes.append(("_pb_event_points", per_rule))
        explained_item = exp.DPipe(this=exp.DPipe(this=exp.DPipe(this=string("; "), expression=column("rule_id")),
                                                  expression=string(" ")), expression=points_text(column("points")))
        per_lead = exp.select(
            column("lead_id"),
            *[exp.alias_(exp.Sum(this=exp.Case(ifs=[exp.If(this=exp.EQ(this=column("group_id"), expression=string(g)),
                                                           true=column("points"))])),
                         f"_pb_events_{i}", quoted=True) for i, g in enumerate(event_groups)],
            exp.alias_(exp.GroupConcat(this=exp.Order(this=explained_item, expressions=[
                exp.Ordered(this=column("first_day")), exp.Ordered(this=column("rule_no"))]), separator=string("")),
                "_pb_explained", quoted=True),
        ).from_(ident("_pb_event_points"), copy=False).group_by(column("lead_id"), copy=False)
        ctes.append(("_pb_event_sums", per_lead))

    # 2. per lead: each group's points, capped
    attr_rules = [(r, g) for fit in (True, False) for g in groups if (g.kind == "fit") == fit
                  for r in g.rules if not r.event and r.when]
    group_points: dict[str, list[exp.Expression]] = {g.id: [] for g in groups}
    explanation: list[exp.Expression] = []
    fired = []  # with read_once: each rule's condition, a column computed once
    for r, g in attr_rules:
        fires = fields.condition(r.when, with_scores=False)
        if read_once is not None:
            fired.append(exp.alias_(fires, f"_pb_fires_{len(fired)}", quoted=True))
            fires = column(f"_pb_fires_{len(fired) - 1}", "l")
        group_points[g.id].append(exp.Case(ifs=[exp.If(this=fires, true=number(r.points))], default=number(0)))
        explanation.append(exp.Case(ifs=[exp.If(this=fires.copy(), true=string("; " + rule_text(r.id, r.points)))],
                                    default=string("")))
    for i, g in enumerate(event_groups):
        group_points[g].append(exp.func("COALESCE", column(f"_pb_events_{i}", "s"), number(0)))
    if rules:
        explanation.append(exp.func("COALESCE", column("_pb_explained", "s"), string("")))
    fit_parts, engagement_parts = [], []
    for g in groups:
        parts = group_points[g.id]
        points = parts[0] if parts else number(0)
        for p in parts[1:]:
            points = exp.Add(this=points, expression=p)
        if g.cap is not None:
            points = exp.Case(ifs=[exp.If(this=exp.GT(this=exp.paren(points), expression=number(g.cap)),
                                          true=number(g.cap))], default=exp.paren(points.copy()))
        (fit_parts if g.kind == "fit" else engagement_parts).append(exp.paren(points))

    def added(parts):
        total = parts[0] if parts else number(0)
        for p in parts[1:]:
            total = exp.Add(this=total, expression=p)
        return total

    explained = explanation[0] if explanation else string("")
    for part in explanation[1:]:
        explained = exp.DPipe(this=explained, expression=part)
    needed = [column(f.name, "l") for f in lead_fields(pb)]
    points_select = exp.select(
        column("lead_id", "l"), *needed,
        exp.alias_(added(fit_parts), "_pb_fit", quoted=True),
        exp.alias_(added(engagement_parts), "_pb_engagement", quoted=True),
        exp.alias_(explained, "_pb_explained_all", quoted=True),
    ).from_(exp.Table(this=ident("leads" if read_once is None else "_pb_fired"),
                      alias=exp.TableAlias(this=ident("l"))), copy=False)
    if rules:
        points_select = points_select.join(
            exp.Table(this=ident("_pb_event_sums"), alias=exp.TableAlias(this=ident("s"))),
            on=exp.EQ(this=column("lead_id", "s"), expression=column("lead_id", "l")), join_type="left", copy=False)
    ctes.append(("_pb_points", points_select))

    # 3. the total, capped by the limit
    total = exp.Add(this=column("_pb_fit"), expression=column("_pb_engagement"))
    if model and model.limit is not None:
        total = exp.Case(ifs=[exp.If(this=exp.GT(this=exp.paren(total), expression=number(model.limit)),
                                     true=number(model.limit))], default=exp.paren(total.copy()))
    ctes.append(("_pb_scores", exp.select(exp.Star(), exp.alias_(total, "_pb_total", quoted=True))
                 .from_(ident("_pb_points"), copy=False)))

    # 4. stage, persona, red flags
    lifecycle = Fields(pb, None, read_once)
    stage_ifs = []
    for s in reversed(pb.stages):
        stage_ifs.append(exp.If(this=exp.true() if s.entry is None else lifecycle.criteria(s.entry), true=string(s.id)))
    stage = exp.Case(ifs=stage_ifs) if stage_ifs else exp.null()
    personas = [(p, i) for i, p in enumerate(pb.personas) if p.criteria]
    personas.sort(key=lambda pi: (-(len(pi[0].criteria) + (1000 if pi[0].kind == "negative" else 0)), pi[1]))
    persona = exp.Case(ifs=[exp.If(this=all_of([lifecycle.condition(c) for c in p.criteria]), true=string(p.id))
                            for p, _ in personas]) if personas else exp.null()
    flags: dict[str, list] = {}
    for p in pb.personas:
        for f in p.red_flags:
            if f.when:
                flags.setdefault(f.text, []).append(lifecycle.condition(f.when))
    flag_text = None
    for text, conds in flags.items():
        piece = exp.Case(ifs=[exp.If(this=any_of(conds), true=string("; " + text))], default=string(""))
        flag_text = piece if flag_text is None else exp.DPipe(this=flag_text, expression=piece)
    red_flags = cut(flag_text) if flag_text is not None else exp.null()
    ctes.append(("_pb_classified", exp.select(
        exp.Star(), exp.alias_(stage, "_pb_stage", quoted=True), exp.alias_(persona, "_pb_persona", quoted=True),
        exp.alias_(red_flags, "_pb_red_flags", quoted=True)).from_(ident("_pb_scores"), copy=False)))

    # 5. nurture track of a rejected lead, and the output
    routes = nurture_routes(pb)
    at: dict[tuple[str, str], str] = {}
    by_reason: dict[str, str] = {}
    for stage_id, reasons, track in routes:
        for reason in reasons:
            by_reason.setdefault(reason.lower(), track)
            at.setdefault((stage_id, reason.lower()), track)
    if routes:
        reason = exp.Lower(this=text_value(REASON_FIELD))
        nurture = exp.Case(ifs=[
            *[exp.If(this=exp.and_(exp.EQ(this=reason.copy(), expression=string(r)),
                                   exp.EQ(this=column("_pb_stage"), expression=string(s))), true=string(t))
              for (s, r), t in at.items()],
            *[exp.If(this=exp.EQ(this=reason.copy(), expression=string(r)), true=string(t)) for r, t in by_reason.items()]])
    else:
        nurture = exp.null()
    negative_ids = [p.id for p, _ in personas if p.kind == "negative"]
    negative = exp.In(this=column("_pb_persona"), expressions=[string(i) for i in negative_ids]) if negative_ids else exp.false()
    query = exp.select(
        column("lead_id"),
        exp.alias_(round2(column("_pb_fit")), "fit_score", quoted=True),
        exp.alias_(round2(column("_pb_engagement")), "engagement_score", quoted=True),
        exp.alias_(round2(column("_pb_total")), "total_score", quoted=True),
        exp.alias_(column("_pb_stage"), "stage", quoted=True),
        exp.alias_(column("_pb_persona"), "persona", quoted=True),
        exp.alias_(true_or_false(negative), "negative", quoted=True),
        exp.alias_(column("_pb_red_flags"), "red_flags", quoted=True),
        exp.alias_(nurture, "nurture_track", quoted=True),
        exp.alias_(cut(column("_pb_explained_all")), "rules", quoted=True),
    ).from_(ident("_pb_classified"), copy=False)
    if read_once is not None:
        points_select.select(*[column(alias, "l") for alias in read_once], copy=False)
        ctes[:0] = [("_pb_fields", exp.select(exp.Star(), *read_once.values()).from_(
                        exp.Table(this=ident("leads"), alias=exp.TableAlias(this=ident("l"))), copy=False)),
                    ("_pb_fired", exp.select(exp.Star(), *fired).from_(
                        exp.Table(this=ident("_pb_fields"), alias=exp.TableAlias(this=ident("l"))), copy=False))]
    for name, body in ctes:
        query = query.with_(ident(name), as_=body, copy=False)
    return query


# ---------------------------------------------------------------- event points summed as they are read


def event_sum_columns(pb: Playbook, as_of: dt.date | None, *, event_position: str | None = None,
                      as_of_parameter: str | None = None) -> list[exp.Expression]:
    """The aggregates that sum a lead's rows of ``events`` per event rule, for ``GROUP BY
    lead_id``: ``_pb_points_<n>`` (the rule's decayed points, NULL without an event of its type)
    and ``_pb_first_<n>`` (its first event, by ``event_position`` or by day). A table of them
    per lead is what :func:`scoring_query` reads with ``event_sums``; rows of ``events`` whose
    type no rule counts add nothing."""
    out = []
    for r in event_rules(pb):
        age = exp.func("GREATEST", exp.DateDiff(this=as_of_value(as_of, as_of_parameter), expression=column("occurred"),
                                                unit=exp.var("DAY")), exp.Literal.number(0))
        decayed = exp.Mul(this=number(r.points), expression=exp.Pow(
            this=number(r.keep), expression=exp.Floor(this=exp.Div(this=exp.cast(age, exp.DataType.build("DOUBLE")),
                                                                   expression=number(r.every_days)))))
        this_rule = exp.EQ(this=column("event"), expression=string(r.event))
        out.append(exp.alias_(exp.Sum(this=exp.Case(ifs=[exp.If(this=this_rule, true=decayed)])),
                              f"_pb_points_{r.number}", quoted=True))
        out.append(exp.alias_(exp.Min(this=exp.Case(ifs=[exp.If(this=this_rule.copy(),
                                                                 true=column(event_position or "occurred"))])),
                              f"_pb_first_{r.number}", quoted=True))
    return out


def event_sums_query(pb: Playbook, as_of: dt.date | None, *, event_position: str | None = None,
                     as_of_parameter: str | None = None) -> exp.Expression:
    """The table :func:`scoring_query` reads with ``event_sums``, from ``events``."""
    columns = event_sum_columns(pb, as_of, event_position=event_position, as_of_parameter=as_of_parameter)
    return exp.select(column("lead_id"), *columns).from_(ident("events"), copy=False).group_by(column("lead_id"),
                                                                                                  copy=False)


def _summed_events(rules: list[EventRule], event_groups: list[str], table: str) -> list[tuple[str, exp.Expression]]:
    """Each group's event points and the explanation's event part per lead, as the general query's
    ``_pb_event_sums`` has them, from a table of points per rule (:func:`event_sum_columns`). The
    rules are listed in the order of their first event, then as the definitions list them: a
    rule's place is the number of rules present whose first event comes before its own."""
    def first(r):
        return column(f"_pb_first_{r.number}")

    ranked = [column("lead_id")]
    texts = [exp.Star()]
    for r in rules:
        before = [exp.Case(ifs=[exp.If(this=(exp.LTE if o.number < r.number else exp.LT)(this=first(o), expression=first(r)),
                                       true=exp.Literal.number(1))], default=exp.Literal.number(0))
                  for o in rules if o is not r]
        place = exp.Literal.number(0)
        for b in before:
            place = exp.Add(this=place, expression=b)
        present = exp.Not(this=exp.Is(this=first(r), expression=exp.null()))
        ranked += [column(f"_pb_points_{r.number}"),
                   exp.alias_(exp.Case(ifs=[exp.If(this=present, true=place)]), f"_pb_place_{r.number}", quoted=True),
                   exp.alias_(round2(column(f"_pb_points_{r.number}")), f"_pb_rounded_{r.number}", quoted=True),
                   exp.alias_(whole_cents(round2(column(f"_pb_points_{r.number}"))), f"_pb_cents_{r.number}", quoted=True)]
        text = exp.DPipe(this=string(f"; {r.rule_id} "), expression=cents_points_text(
            column(f"_pb_rounded_{r.number}"), column(f"_pb_cents_{r.number}")))
        texts.append(exp.alias_(exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=column(f"_pb_place_{r.number}"),
                                                                               expression=exp.null())), true=text)]),
                                f"_pb_text_{r.number}", quoted=True))
    sums = [column("lead_id")]
    for i, g in enumerate(event_groups):
        total = None
        for r in rules:
            if r.group_id == g:
                part = exp.func("COALESCE", column(f"_pb_points_{r.number}"), number(0))
                total = part if total is None else exp.Add(this=total, expression=part)
        sums.append(exp.alias_(exp.paren(total), f"_pb_events_{i}", quoted=True))
    explained = None
    for k in range(len(rules)):
        slot = exp.func("COALESCE", exp.Case(ifs=[
            exp.If(this=exp.EQ(this=column(f"_pb_place_{r.number}"), expression=exp.Literal.number(k)),
                   true=column(f"_pb_text_{r.number}")) for r in rules]), string(""))
        explained = slot if explained is None else exp.DPipe(this=explained, expression=slot)
    sums.append(exp.alias_(explained, "_pb_explained", quoted=True))
    return [("_pb_event_ranked", exp.select(*ranked).from_(ident(table), copy=False)),
            ("_pb_event_texts", exp.select(*texts).from_(ident("_pb_event_ranked"), copy=False)),
            ("_pb_event_sums", exp.select(*sums).from_(ident("_pb_event_texts"), copy=False))]
