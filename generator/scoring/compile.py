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
import re
from dataclasses import dataclass

from .. import model as m
from ..units import Duration
from ..playbook import Playbook
from ..criteria import SCORE_FIELDS



class _Sqlglot:
    """sqlglot's expression module, imported when first used: a run that finds the compiled text
    it needs already kept (:mod:`generator.scoring.run`) never loads sqlglot."""

    def __getattr__(self, name: str):
        from sqlglot import exp as module
        globals()["exp"] = module
        return getattr(module, name)


exp = _Sqlglot()

LIST_FIELDS = ("confirmed",)
REASON_FIELD = "rejection_reason"
OUTPUT_COLUMNS = ("lead_id", "fit_score", "engagement_score", "total_score", "stage", "persona", "negative",
                  "red_flags", "nurture_track", "rules")
_DECAY_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*every\s+(.+)$", re.I)


@dataclass(frozen=True)
class LeadField:
    """A column the ``leads`` table must have: its name and kind (number, text or list)."""

    name: str
    kind: str


@dataclass(frozen=True)
class EventRule:
    """A scoring rule that counts events: which type, its points and decay (kept share, period in days)."""

    number: int      # its position among all the scoring rules
    rule_id: str
    group_id: str
    event: str       # lower case
    points: float
    keep: float      # the share of points left after each whole period (1.0: no decay)
    every_days: float


# ---------------------------------------------------------------- what the definitions use


def _scoring_conditions(pb: Playbook):
    """Every one-field condition scoring looks at: stage entries, attribute rules, persona
    criteria and red flags."""
    for stage in pb.stages:
        if stage.entry:
            yield from stage.entry.conditions()
    if pb.scoring:
        for g in pb.scoring.groups:
            for r in g.rules:
                if r.when and not r.event:
                    yield r.when
    for p in pb.personas:
        yield from p.criteria
        for f in p.red_flags:
            if f.when:
                yield f.when


def _routes(pb: Playbook) -> list[tuple[str, list[str], str]]:
    """(stage, reasons, track) of every route that sends rejected leads to a nurture track: a
    handoff's on_reject (from its from_stage), then recycle transitions."""
    routes = [(h.from_stage, route.reasons, route.recycle_to) for h in pb.of("handoff")
              for _, route in h.reject_routes if route.recycle_to]
    routes += [(t.from_, t.reasons, t.nurture_track) for t in pb.transitions
               if t.type == "recycle" and t.nurture_track]
    return routes


def tested_conditions(pb: Playbook) -> list[dict]:
    """Every one-field condition the query tests: stage entries, attribute rules, persona
    criteria and red flags."""
    return list(_scoring_conditions(pb))


def nurture_routes(pb: Playbook) -> list[tuple[str, list[str], str]]:
    """(stage, reasons, nurture track) of every route that recycles rejected leads, in the order
    the query tries them."""
    return _routes(pb)


def lead_fields(pb: Playbook) -> list[LeadField]:
    """The columns of ``leads`` (besides ``lead_id``) the query reads, sorted by name: each field
    a definition tests, ``confirmed`` when a stage asks for confirmed dimensions and
    ``rejection_reason`` when a route recycles rejected leads."""
    kinds: dict[str, str] = {}
    for cond in _scoring_conditions(pb):
        (name, ops), = cond.items()
        if name in SCORE_FIELDS:
            continue
        numeric = any(v is not None for v in (ops.gte, ops.gt, ops.lte, ops.lt))
        if name in LIST_FIELDS:
            kinds[name] = "list"
        elif numeric or kinds.get(name) == "number":
            kinds[name] = "number"
        else:
            kinds.setdefault(name, "text")
    if any(s.entry and s.entry.confirmed for s in pb.stages):
        kinds["confirmed"] = "list"
    if _routes(pb):
        kinds.setdefault(REASON_FIELD, "text")
    return [LeadField(name, kinds[name]) for name in sorted(kinds)]


def _decay_days(text: str | None):
    if not text:
        return None
    match = _DECAY_TEXT.match(text)
    if not match:
        return None
    return float(match.group(1)), Duration.parse(match.group(2)).calendar_hours / 24


def event_rules(pb: Playbook) -> list[EventRule]:
    """The scoring rules that count events, in the order the definitions list them."""
    out = []
    number = 0
    for g in (pb.scoring.groups if pb.scoring else []):
        group_decay = (g.decay.percent, g.decay.every.calendar_hours / 24) if g.decay else None
        for r in g.rules:
            if r.event:
                decay = _decay_days(r.decay) or group_decay
                keep, every = (1.0, 1.0)
                if decay is not None and decay[1] > 0:
                    keep, every = 1 - decay[0] / 100, decay[1]
                out.append(EventRule(number, r.id, g.id, r.event.strip().lower(), float(r.points), keep, every))
            number += 1
    return out


def event_types(pb: Playbook) -> list[str]:
    """The event types the scoring rules count (lower case, sorted); any other type adds nothing."""
    return sorted({r.event for r in event_rules(pb)})


def stage_ids(pb: Playbook) -> list[str]:
    """The lifecycle stages in order: the values ``stage`` can take (besides NULL)."""
    return [s.id for s in pb.stages]


def persona_ids(pb: Playbook) -> list[str]:
    """The personas a lead can match (those with criteria): the values ``persona`` can take."""
    return [p.id for p in pb.personas if p.criteria]


def red_flag_texts(pb: Playbook) -> list[str]:
    """Every red flag with a condition, each text once, in the order ``red_flags`` lists them."""
    return list(dict.fromkeys(f.text for p in pb.personas for f in p.red_flags if f.when))


def rule_text(rule: str, points: float) -> str:
    """A rule and its points as the explanation lists them: "budget-5k-plus +20"."""
    return ("%s %+.2f" % (rule, round(points, 2))).rstrip("0").rstrip(".")


# ---------------------------------------------------------------- expression helpers


def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(_id(name), table=_id(table) if table else None)


def _str(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _num(value: float) -> exp.Expression:
    """A number as a DOUBLE, so the arithmetic is the same in every engine."""
    value = float(value)
    literal = exp.Literal.number(repr(abs(value)))
    return exp.cast(exp.Neg(this=literal) if value < 0 else literal, exp.DataType.build("DOUBLE"))


def _true_or_false(condition: exp.Expression) -> exp.Expression:
    """Never NULL: an unknown value does not meet a condition."""
    return exp.func("COALESCE", exp.paren(condition, copy=False), exp.false())


def _and(parts: list[exp.Expression]) -> exp.Expression:
    return exp.and_(*parts) if parts else exp.true()


def _or(parts: list[exp.Expression]) -> exp.Expression:
    return exp.or_(*parts) if parts else exp.false()


def _text(name: str, table: str | None = None) -> exp.Expression:
    """A text field, trimmed, blank as NULL."""
    return exp.Nullif(this=exp.Trim(this=exp.cast(_col(name, table), exp.DataType.build("VARCHAR"))),
                      expression=_str(""))


YES_WORDS = ("yes", "true", "y", "1")
NO_WORDS = ("no", "false", "n", "0")


def _yes_no(lowered: exp.Expression) -> exp.Expression:
    """A fact compared with yes or no, as CRMs and warehouses write it: true/false, 1/0, y/n and a
    BOOLEAN column (cast to text: true/false) mean yes/no, as ``playbook score`` reads them."""
    def one_of(words):
        return exp.paren(_or([exp.EQ(this=lowered.copy(), expression=_str(w)) for w in words]), copy=False)
    return exp.Case(ifs=[exp.If(this=one_of(YES_WORDS), true=_str("yes")),
                         exp.If(this=one_of(NO_WORDS), true=_str("no"))], default=lowered.copy())


def _items(name: str, table: str | None = None) -> exp.Expression:
    """A list field as ';item;item;' in lower case without spaces, for a containment test."""
    squeezed = exp.func("REPLACE", exp.Lower(this=exp.cast(_col(name, table), exp.DataType.build("VARCHAR"))),
                        _str(" "), _str(""))
    return exp.DPipe(this=exp.DPipe(this=_str(";"), expression=squeezed), expression=_str(";"))


def _contains(name: str, item: str, table: str | None = None) -> exp.Expression:
    needle = ";" + item.lower().replace(" ", "") + ";"
    return exp.GT(this=exp.StrPosition(this=_items(name, table), substr=_str(needle)), expression=exp.Literal.number(0))


def round2(value: exp.Expression) -> exp.Expression:
    """A number rounded to 2 places, a value exactly halfway going to the even hundredth
    (1.125 -> 1.12, 1.135 -> 1.14, as Python's round does), the same in every engine."""
    hundredths = exp.Mul(this=exp.paren(value), expression=exp.Literal.number(100))
    floor = exp.Floor(this=hundredths)
    half = exp.EQ(this=exp.Sub(this=hundredths.copy(), expression=floor.copy()), expression=exp.Literal.number(0.5))
    even = exp.EQ(this=exp.Sub(this=floor.copy(), expression=exp.Mul(this=exp.Literal.number(2), expression=exp.Floor(
        this=exp.Div(this=floor.copy(), expression=exp.Literal.number(2))))), expression=exp.Literal.number(0))
    rounded = exp.Case(ifs=[exp.If(this=exp.and_(half, even), true=floor.copy()),
                            exp.If(this=half.copy(), true=exp.Add(this=floor.copy(), expression=exp.Literal.number(1)))],
                       default=exp.Round(this=hundredths.copy()))
    return exp.Div(this=exp.paren(rounded), expression=exp.Literal.number(100))


def _fmt_points(value: exp.Expression) -> exp.Expression:
    """Points as the explanation writes them: a sign, 2 places without trailing zeros (+20, -2.5)."""
    rounded = round2(value)
    digits = exp.cast(exp.cast(rounded, exp.DataType.build("DECIMAL(18, 2)")), exp.DataType.build("VARCHAR"))
    trimmed = exp.Trim(this=exp.Trim(this=digits, expression=_str("0"), position="TRAILING"),
                       expression=_str("."), position="TRAILING")
    sign = exp.Case(ifs=[exp.If(this=exp.GTE(this=rounded.copy(), expression=exp.Literal.number(0)),
                                true=_str("+"))], default=_str(""))
    return exp.DPipe(this=sign, expression=trimmed)


# ---------------------------------------------------------------- conditions


class _Fields:
    def __init__(self, pb: Playbook, table: str | None):
        self.kinds = {f.name: f.kind for f in lead_fields(pb)}
        self.table = table
        self.scores = {"fit_score": "_pb_fit", "engagement_score": "_pb_engagement", "total_score": "_pb_total"}

    def condition(self, cond: dict, with_scores: bool = True) -> exp.Expression:
        """A condition on one field, TRUE or FALSE (never NULL), as the checker and pages read it."""
        (name, ops), = cond.items()
        if name in SCORE_FIELDS:
            if not with_scores:  # a scoring rule sees no scores: as if the value were missing
                return exp.true() if ops.exists is False else exp.false()
            kind, value, present = "number", _col(self.scores[name]), exp.true()
        else:
            kind = self.kinds.get(name, "text")
            if kind == "number":
                value = _col(name, self.table)
                present = exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))
            elif kind == "list":
                value = None
                present = exp.NEQ(this=exp.func("REPLACE", _items(name, self.table), _str(";"), _str("")),
                                  expression=_str(""))
            else:
                value = _text(name, self.table)
                present = exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))
        if ops.exists is False:
            return _true_or_false(exp.Not(this=exp.paren(present)))
        parts = [present]
        lo = ops.gte if ops.gte is not None else ops.gt
        hi = ops.lte if ops.lte is not None else ops.lt
        if lo is not None or hi is not None:
            if kind != "number":
                return exp.false()
            if lo is not None:
                parts.append((exp.GTE if ops.gte is not None else exp.GT)(this=value.copy(), expression=_num(lo)))
            if hi is not None:
                parts.append((exp.LTE if ops.lte is not None else exp.LT)(this=value.copy(), expression=_num(hi)))
        if kind == "list":
            if ops.eq is not None:
                parts.append(_contains(name, ops.eq, self.table))
            if ops.ne is not None:
                parts.append(exp.Not(this=_contains(name, ops.ne, self.table)))
            if ops.in_ is not None:
                parts.append(_or([_contains(name, v, self.table) for v in ops.in_]))
            for v in ops.not_in or ():
                parts.append(exp.Not(this=_contains(name, v, self.table)))
        else:
            lowered = exp.Lower(this=exp.cast(value.copy(), exp.DataType.build("VARCHAR")))
            if any(v is not None and v.lower() in ("yes", "no")
                   for v in (ops.eq, ops.ne, *(ops.in_ or ()), *(ops.not_in or ()))):
                lowered = _yes_no(lowered)
            if ops.eq is not None:
                parts.append(exp.EQ(this=lowered.copy(), expression=_str(ops.eq.lower())))
            if ops.ne is not None:
                parts.append(exp.NEQ(this=lowered.copy(), expression=_str(ops.ne.lower())))
            # a chain of equalities rather than IN: engines turn a long IN list into a join per condition
            if ops.in_ is not None:
                parts.append(exp.paren(_or([exp.EQ(this=lowered.copy(), expression=_str(v.lower())) for v in ops.in_]), copy=False))
            if ops.not_in:
                parts.append(exp.Not(this=exp.paren(_or([exp.EQ(this=lowered.copy(), expression=_str(v.lower()))
                                                          for v in ops.not_in]), copy=False)))
        return _true_or_false(_and(parts))

    def criteria(self, crit: m.Criteria) -> exp.Expression:
        parts = [self.condition(c) for c in crit.all]
        if crit.any:
            parts.append(exp.paren(_or([self.condition(c) for c in crit.any])))
        parts += [_true_or_false(_contains("confirmed", d, self.table)) for d in crit.confirmed]
        return _and(parts)


# ---------------------------------------------------------------- the query


def _as_of(as_of: dt.date | None, parameter: str | None = None) -> exp.Expression:
    if parameter:
        return exp.cast(exp.Placeholder(this=parameter), exp.DataType.build("DATE"))
    if as_of is None:
        return exp.CurrentDate()
    return exp.cast(_str(as_of.isoformat()), exp.DataType.build("DATE"))


def scoring_query(pb: Playbook, as_of: dt.date | None, *, event_position: str | None = None,
                  as_of_parameter: str | None = None) -> exp.Expression:
    """ONE query over the tables ``leads`` and ``events`` (see the module docstring for the input
    contract) giving one row per lead with :data:`OUTPUT_COLUMNS`. ``as_of`` is the day event
    ages are counted to (None: the engine's CURRENT_DATE). ``event_position`` optionally names a
    numeric column of ``events`` giving the order a lead's events were recorded in; the
    explanation then lists event rules in the order of their first event by that column.
    ``as_of_parameter`` names a query parameter (``$name`` in DuckDB) giving the scoring day
    instead, so one compiled text serves every day."""
    fields = _Fields(pb, "l")
    model = pb.scoring
    groups = list(model.groups) if model else []
    rules = event_rules(pb)
    ctes: list[tuple[str, exp.Expression]] = []

    # 1. event points per lead and event rule, then per lead: each group's sum and the explanation
    if rules:
        values = exp.Values(expressions=[
            exp.tuple_(_str(r.event), exp.Literal.number(r.number), _str(r.rule_id), _str(r.group_id),
                       _num(r.points), _num(r.keep), _num(r.every_days)) for r in rules],
            alias=exp.TableAlias(this=_id("r"), columns=[_id(c) for c in (
                "kind", "rule_no", "rule_id", "group_id", "points", "keep", "every_days")]))
        ctes.append(("_pb_event_rules", exp.select(exp.Star()).from_(values, copy=False)))
        age = exp.func("GREATEST", exp.DateDiff(this=_as_of(as_of, as_of_parameter), expression=_col("occurred", "e"),
                                                unit=exp.var("DAY")), exp.Literal.number(0))
        decayed = exp.Mul(this=_col("points", "r"), expression=exp.Pow(
            this=_col("keep", "r"),
            expression=exp.Floor(this=exp.Div(this=exp.cast(age, exp.DataType.build("DOUBLE")),
                                               expression=_col("every_days", "r")))))
        per_rule = (exp.select(_col("lead_id", "e"), _col("rule_no", "r"),
                               exp.alias_(exp.Min(this=_col("rule_id", "r")), "rule_id", quoted=True),
                               exp.alias_(exp.Min(this=_col("group_id", "r")), "group_id", quoted=True),
                               exp.alias_(exp.Sum(this=decayed), "points", quoted=True),
                               exp.alias_(exp.Min(this=_col(event_position or "occurred", "e")), "first_day", quoted=True))
                    .from_(exp.Table(this=_id("events"), alias=exp.TableAlias(this=_id("e"))), copy=False)
                    .join(exp.Table(this=_id("_pb_event_rules"), alias=exp.TableAlias(this=_id("r"))),
                          on=exp.EQ(this=_col("event", "e"), expression=_col("kind", "r")), copy=False)
                    .group_by(_col("lead_id", "e"), _col("rule_no", "r"), copy=False))
        ctes.append(("_pb_event_points", per_rule))
        event_groups = list(dict.fromkeys(r.group_id for r in rules))
        explained_item = exp.DPipe(this=exp.DPipe(this=exp.DPipe(this=_str("; "), expression=_col("rule_id")),
                                                  expression=_str(" ")), expression=_fmt_points(_col("points")))
        per_lead = exp.select(
            _col("lead_id"),
            *[exp.alias_(exp.Sum(this=exp.Case(ifs=[exp.If(this=exp.EQ(this=_col("group_id"), expression=_str(g)),
                                                           true=_col("points"))])),
                         f"_pb_events_{i}", quoted=True) for i, g in enumerate(event_groups)],
            exp.alias_(exp.GroupConcat(this=exp.Order(this=explained_item, expressions=[
                exp.Ordered(this=_col("first_day")), exp.Ordered(this=_col("rule_no"))]), separator=_str("")),
                "_pb_explained", quoted=True),
        ).from_(_id("_pb_event_points"), copy=False).group_by(_col("lead_id"), copy=False)
        ctes.append(("_pb_event_sums", per_lead))
    else:
        event_groups = []

    # 2. per lead: each group's points, capped
    attr_rules = [(r, g) for fit in (True, False) for g in groups if (g.kind == "fit") == fit
                  for r in g.rules if not r.event and r.when]
    group_points: dict[str, list[exp.Expression]] = {g.id: [] for g in groups}
    explanation: list[exp.Expression] = []
    for r, g in attr_rules:
        fires = fields.condition(r.when, with_scores=False)
        group_points[g.id].append(exp.Case(ifs=[exp.If(this=fires, true=_num(r.points))], default=_num(0)))
        explanation.append(exp.Case(ifs=[exp.If(this=fires.copy(), true=_str("; " + rule_text(r.id, r.points)))],
                                    default=_str("")))
    for i, g in enumerate(event_groups):
        group_points[g].append(exp.func("COALESCE", _col(f"_pb_events_{i}", "s"), _num(0)))
    if rules:
        explanation.append(exp.func("COALESCE", _col("_pb_explained", "s"), _str("")))
    fit_parts, engagement_parts = [], []
    for g in groups:
        parts = group_points[g.id]
        points = parts[0] if parts else _num(0)
        for p in parts[1:]:
            points = exp.Add(this=points, expression=p)
        if g.cap is not None:
            points = exp.Case(ifs=[exp.If(this=exp.GT(this=exp.paren(points), expression=_num(g.cap)),
                                          true=_num(g.cap))], default=exp.paren(points.copy()))
        (fit_parts if g.kind == "fit" else engagement_parts).append(exp.paren(points))

    def added(parts):
        total = parts[0] if parts else _num(0)
        for p in parts[1:]:
            total = exp.Add(this=total, expression=p)
        return total

    explained = explanation[0] if explanation else _str("")
    for part in explanation[1:]:
        explained = exp.DPipe(this=explained, expression=part)
    needed = [_col(f.name, "l") for f in lead_fields(pb)]
    points_select = exp.select(
        _col("lead_id", "l"), *needed,
        exp.alias_(added(fit_parts), "_pb_fit", quoted=True),
        exp.alias_(added(engagement_parts), "_pb_engagement", quoted=True),
        exp.alias_(explained, "_pb_explained_all", quoted=True),
    ).from_(exp.Table(this=_id("leads"), alias=exp.TableAlias(this=_id("l"))), copy=False)
    if rules:
        points_select = points_select.join(
            exp.Table(this=_id("_pb_event_sums"), alias=exp.TableAlias(this=_id("s"))),
            on=exp.EQ(this=_col("lead_id", "s"), expression=_col("lead_id", "l")), join_type="left", copy=False)
    ctes.append(("_pb_points", points_select))

    # 3. the total, capped by the limit
    total = exp.Add(this=_col("_pb_fit"), expression=_col("_pb_engagement"))
    if model and model.limit is not None:
        total = exp.Case(ifs=[exp.If(this=exp.GT(this=exp.paren(total), expression=_num(model.limit)),
                                     true=_num(model.limit))], default=exp.paren(total.copy()))
    ctes.append(("_pb_scores", exp.select(exp.Star(), exp.alias_(total, "_pb_total", quoted=True))
                 .from_(_id("_pb_points"), copy=False)))

    # 4. stage, persona, red flags
    lifecycle = _Fields(pb, None)
    stage_ifs = []
    for s in reversed(pb.stages):
        stage_ifs.append(exp.If(this=exp.true() if s.entry is None else lifecycle.criteria(s.entry), true=_str(s.id)))
    stage = exp.Case(ifs=stage_ifs) if stage_ifs else exp.null()
    personas = [(p, i) for i, p in enumerate(pb.personas) if p.criteria]
    personas.sort(key=lambda pi: (-(len(pi[0].criteria) + (1000 if pi[0].kind == "negative" else 0)), pi[1]))
    persona = exp.Case(ifs=[exp.If(this=_and([lifecycle.condition(c) for c in p.criteria]), true=_str(p.id))
                            for p, _ in personas]) if personas else exp.null()
    flags: dict[str, list] = {}
    for p in pb.personas:
        for f in p.red_flags:
            if f.when:
                flags.setdefault(f.text, []).append(lifecycle.condition(f.when))
    flag_text = None
    for text, conds in flags.items():
        piece = exp.Case(ifs=[exp.If(this=_or(conds), true=_str("; " + text))], default=_str(""))
        flag_text = piece if flag_text is None else exp.DPipe(this=flag_text, expression=piece)
    red_flags = _cut(flag_text) if flag_text is not None else exp.null()
    ctes.append(("_pb_classified", exp.select(
        exp.Star(), exp.alias_(stage, "_pb_stage", quoted=True), exp.alias_(persona, "_pb_persona", quoted=True),
        exp.alias_(red_flags, "_pb_red_flags", quoted=True)).from_(_id("_pb_scores"), copy=False)))

    # 5. nurture track of a rejected lead, and the output
    routes = _routes(pb)
    at: dict[tuple[str, str], str] = {}
    by_reason: dict[str, str] = {}
    for stage_id, reasons, track in routes:
        for reason in reasons:
            by_reason.setdefault(reason.lower(), track)
            at.setdefault((stage_id, reason.lower()), track)
    if routes:
        reason = exp.Lower(this=_text(REASON_FIELD))
        nurture = exp.Case(ifs=[
            *[exp.If(this=exp.and_(exp.EQ(this=reason.copy(), expression=_str(r)),
                                   exp.EQ(this=_col("_pb_stage"), expression=_str(s))), true=_str(t))
              for (s, r), t in at.items()],
            *[exp.If(this=exp.EQ(this=reason.copy(), expression=_str(r)), true=_str(t)) for r, t in by_reason.items()]])
    else:
        nurture = exp.null()
    negative_ids = [p.id for p, _ in personas if p.kind == "negative"]
    negative = exp.In(this=_col("_pb_persona"), expressions=[_str(i) for i in negative_ids]) if negative_ids else exp.false()
    query = exp.select(
        _col("lead_id"),
        exp.alias_(round2(_col("_pb_fit")), "fit_score", quoted=True),
        exp.alias_(round2(_col("_pb_engagement")), "engagement_score", quoted=True),
        exp.alias_(round2(_col("_pb_total")), "total_score", quoted=True),
        exp.alias_(_col("_pb_stage"), "stage", quoted=True),
        exp.alias_(_col("_pb_persona"), "persona", quoted=True),
        exp.alias_(_true_or_false(negative), "negative", quoted=True),
        exp.alias_(_col("_pb_red_flags"), "red_flags", quoted=True),
        exp.alias_(nurture, "nurture_track", quoted=True),
        exp.alias_(_cut(_col("_pb_explained_all")), "rules", quoted=True),
    ).from_(_id("_pb_classified"), copy=False)
    for name, body in ctes:
        query = query.with_(_id(name), as_=body, copy=False)
    return query


def _cut(joined: exp.Expression) -> exp.Expression:
    """'; a; b' -> 'a; b'; '' -> NULL."""
    return exp.Nullif(this=exp.Substring(this=joined, start=exp.Literal.number(3)), expression=_str(""))
