"""The pieces the compiled scoring query is built from, as sqlglot expressions: names and values
quoted by sqlglot, conditions on a lead's fields (TRUE or FALSE, never NULL), rounding to the even
hundredth and points written as the explanation writes them."""

from __future__ import annotations

import datetime as dt

from .. import model as m
from ..criteria import SCORE_FIELDS
from ..playbook import Playbook
from .definitions import lead_fields


class LazySqlglot:
    """sqlglot's expression module, imported when first used: a run that finds the compiled text
    it needs already kept (:mod:`generator.scoring.queries`) never loads sqlglot."""

    def __getattr__(self, name: str):
        from sqlglot import exp as module
        value = getattr(module, name)
        setattr(self, name, value)  # found directly from now on
        return value


exp = LazySqlglot()


# ---------------------------------------------------------------- expression helpers


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def column(name: str, table: str | None = None) -> exp.Column:
    return exp.column(ident(name), table=ident(table) if table else None)


def string(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def number(value: float) -> exp.Expression:
    """A number as a DOUBLE, so the arithmetic is the same in every engine."""
    value = float(value)
    literal = exp.Literal.number(repr(abs(value)))
    return exp.cast(exp.Neg(this=literal) if value < 0 else literal, exp.DataType.build("DOUBLE"))


def true_or_false(condition: exp.Expression) -> exp.Expression:
    """Never NULL: an unknown value does not meet a condition."""
    return exp.func("COALESCE", exp.paren(condition, copy=False), exp.false())


def all_of(parts: list[exp.Expression]) -> exp.Expression:
    return exp.and_(*parts) if parts else exp.true()


def any_of(parts: list[exp.Expression]) -> exp.Expression:
    return exp.or_(*parts) if parts else exp.false()


def text_value(name: str, table: str | None = None) -> exp.Expression:
    """A text field, trimmed, blank as NULL."""
    return exp.Nullif(this=exp.Trim(this=exp.cast(column(name, table), exp.DataType.build("VARCHAR"))),
                      expression=string(""))


YES_WORDS = ("yes", "true", "y", "1")
NO_WORDS = ("no", "false", "n", "0")


def yes_no(lowered: exp.Expression) -> exp.Expression:
    """A fact compared with yes or no, as CRMs and warehouses write it: true/false, 1/0, y/n and a
    BOOLEAN column (cast to text: true/false) mean yes/no, as ``playbook score`` reads them."""
    def one_of(words):
        return exp.paren(any_of([exp.EQ(this=lowered.copy(), expression=string(w)) for w in words]), copy=False)
    return exp.Case(ifs=[exp.If(this=one_of(YES_WORDS), true=string("yes")),
                         exp.If(this=one_of(NO_WORDS), true=string("no"))], default=lowered.copy())


def list_items(name: str, table: str | None = None) -> exp.Expression:
    """A list field as ';item;item;' in lower case without spaces, for a containment test."""
    squeezed = exp.func("REPLACE", exp.Lower(this=exp.cast(column(name, table), exp.DataType.build("VARCHAR"))),
                        string(" "), string(""))
    return exp.DPipe(this=exp.DPipe(this=string(";"), expression=squeezed), expression=string(";"))


def contains(name: str, item: str, table: str | None = None) -> exp.Expression:
    return contains_item(list_items(name, table), item)


def contains_item(items: exp.Expression, item: str) -> exp.Expression:
    """A list as :func:`list_items` writes it holds ``item``."""
    needle = ";" + item.lower().replace(" ", "") + ";"
    return exp.GT(this=exp.StrPosition(this=items, substr=string(needle)), expression=exp.Literal.number(0))


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


def points_text(value: exp.Expression) -> exp.Expression:
    """Points as the explanation writes them: a sign, 2 places without trailing zeros (+20, -2.5)."""
    return rounded_points_text(round2(value))


def rounded_points_text(rounded: exp.Expression) -> exp.Expression:
    """:func:`points_text` of points already rounded by :func:`round2`."""
    digits = exp.cast(exp.cast(rounded, exp.DataType.build("DECIMAL(18, 2)")), exp.DataType.build("VARCHAR"))
    trimmed = exp.Trim(this=exp.Trim(this=digits, expression=string("0"), position="TRAILING"),
                       expression=string("."), position="TRAILING")
    sign = exp.Case(ifs=[exp.If(this=exp.GTE(this=rounded.copy(), expression=exp.Literal.number(0)),
                                true=string("+"))], default=string(""))
    return exp.DPipe(this=sign, expression=trimmed)


def whole_cents(rounded: exp.Expression) -> exp.Expression:
    """Points rounded by :func:`round2` as a whole number of hundredths, without the sign."""
    return exp.Abs(this=exp.cast(exp.Mul(this=exp.cast(rounded, exp.DataType.build("DECIMAL(18, 2)")),
                                         expression=exp.Literal.number(100)), exp.DataType.build("BIGINT")))


def cents_points_text(rounded: exp.Expression, cents: exp.Expression) -> exp.Expression:
    """:func:`rounded_points_text` of the same points, from them and their :func:`whole_cents`
    (fewer string operations, the same text: DuckDB's query for ``playbook score`` writes it)."""
    def text(value):
        return exp.cast(value, exp.DataType.build("VARCHAR"))

    def mod(n):
        return exp.Mod(this=cents.copy(), expression=exp.Literal.number(n))

    sign = exp.Case(ifs=[exp.If(this=exp.GTE(this=rounded, expression=exp.Literal.number(0)), true=string("+"))],
                    default=string("-"))
    whole = text(exp.IntDiv(this=cents.copy(), expression=exp.Literal.number(100)))
    tenths = exp.DPipe(this=string("."), expression=text(exp.IntDiv(this=mod(100), expression=exp.Literal.number(10))))
    hundredths = exp.DPipe(this=string("."), expression=exp.func("LPAD", text(mod(100)), exp.Literal.number(2),
                                                                  string("0")))
    fraction = exp.Case(ifs=[exp.If(this=exp.EQ(this=mod(100), expression=exp.Literal.number(0)), true=string("")),
                             exp.If(this=exp.EQ(this=mod(10), expression=exp.Literal.number(0)), true=tenths)],
                        default=hundredths)
    return exp.DPipe(this=exp.DPipe(this=sign, expression=whole), expression=fraction)


# ---------------------------------------------------------------- conditions


class Fields:
    """Conditions on the fields of ``leads`` (read from ``table``, or unqualified) and on the scores."""

    def __init__(self, pb: Playbook, table: str | None, read_once: dict | None = None):
        self.kinds = {f.name: f.kind for f in lead_fields(pb)}
        self.table = table
        self.scores = {"fit_score": "_pb_fit", "engagement_score": "_pb_engagement", "total_score": "_pb_total"}
        # with read_once, a field's trimmed, lower-case (or yes/no) value is a column computed once
        # per lead (alias -> its expression over leads "l"), not written out in every condition
        self.read_once = read_once

    def _value(self, alias: str, build) -> exp.Expression:
        if self.read_once is None:
            return build(self.table)
        if alias not in self.read_once:
            self.read_once[alias] = exp.alias_(build("l"), alias, quoted=True)
        return column(alias, self.table)

    def _items(self, name: str) -> exp.Expression:
        return self._value(f"_pb_items_{name}", lambda table: list_items(name, table))

    def condition(self, cond: dict, with_scores: bool = True) -> exp.Expression:
        """A condition on one field, TRUE or FALSE (never NULL), as the checker and pages read it."""
        (name, ops), = cond.items()
        if name in SCORE_FIELDS:
            if not with_scores:  # a scoring rule sees no scores: as if the value were missing
                return exp.true() if ops.exists is False else exp.false()
            kind, value, present = "number", column(self.scores[name]), exp.true()
        else:
            kind = self.kinds.get(name, "text")
            if kind == "number":
                value = column(name, self.table)
                present = exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))
            elif kind == "list":
                value = None
                present = exp.NEQ(this=exp.func("REPLACE", self._items(name), string(";"), string("")),
                                  expression=string(""))
            elif self.read_once is not None:  # a text and its lower-case form are NULL together
                value = self._value(f"_pb_lower_{name}", lambda table: exp.Lower(
                    this=exp.cast(text_value(name, table), exp.DataType.build("VARCHAR"))))
                present = exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))
            else:
                value = text_value(name, self.table)
                present = exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))
        if ops.exists is False:
            return true_or_false(exp.Not(this=exp.paren(present)))
        parts = [present]
        lo = ops.gte if ops.gte is not None else ops.gt
        hi = ops.lte if ops.lte is not None else ops.lt
        if lo is not None or hi is not None:
            if kind != "number":
                return exp.false()
            if lo is not None:
                parts.append((exp.GTE if ops.gte is not None else exp.GT)(this=value.copy(), expression=number(lo)))
            if hi is not None:
                parts.append((exp.LTE if ops.lte is not None else exp.LT)(this=value.copy(), expression=number(hi)))
        if kind == "list":
            if ops.eq is not None:
                parts.append(self.contains(name, ops.eq))
            if ops.ne is not None:
                parts.append(exp.Not(this=self.contains(name, ops.ne)))
            if ops.in_ is not None:
                parts.append(any_of([self.contains(name, v) for v in ops.in_]))
            for v in ops.not_in or ():
                parts.append(exp.Not(this=self.contains(name, v)))
        else:
            wants_yes_no = any(v is not None and v.lower() in ("yes", "no")
                               for v in (ops.eq, ops.ne, *(ops.in_ or ()), *(ops.not_in or ())))
            if self.read_once is not None and kind != "number":
                lowered = value
                if wants_yes_no:
                    lowered = self._value(f"_pb_yes_no_{name}", lambda table: yes_no(exp.Lower(
                        this=exp.cast(text_value(name, table), exp.DataType.build("VARCHAR")))))
            else:
                lowered = exp.Lower(this=exp.cast(value.copy(), exp.DataType.build("VARCHAR")))
                if wants_yes_no:
                    lowered = yes_no(lowered)
            if ops.eq is not None:
                parts.append(exp.EQ(this=lowered.copy(), expression=string(ops.eq.lower())))
            if ops.ne is not None:
                parts.append(exp.NEQ(this=lowered.copy(), expression=string(ops.ne.lower())))
            # a chain of equalities rather than IN: engines turn a long IN list into a join per condition
            if ops.in_ is not None:
                parts.append(exp.paren(any_of([exp.EQ(this=lowered.copy(), expression=string(v.lower())) for v in ops.in_]), copy=False))
            if ops.not_in:
                parts.append(exp.Not(this=exp.paren(any_of([exp.EQ(this=lowered.copy(), expression=string(v.lower()))
                                                          for v in ops.not_in]), copy=False)))
        return true_or_false(all_of(parts))

    def criteria(self, crit: m.Criteria) -> exp.Expression:
        parts = [self.condition(c) for c in crit.all]
        if crit.any:
            parts.append(exp.paren(any_of([self.condition(c) for c in crit.any])))
        parts += [true_or_false(self.contains("confirmed", d)) for d in crit.confirmed]
        return all_of(parts)

    def contains(self, name: str, item: str) -> exp.Expression:
        """The list field ``name`` holds ``item``."""
        if self.read_once is None:
            return contains(name, item, self.table)
        return contains_item(self._items(name), item)


def as_of_value(as_of: dt.date | None, parameter: str | None = None) -> exp.Expression:
    if parameter:
        return exp.cast(exp.Placeholder(this=parameter), exp.DataType.build("DATE"))
    if as_of is None:
        return exp.CurrentDate()
    return exp.cast(string(as_of.isoformat()), exp.DataType.build("DATE"))


def cut(joined: exp.Expression) -> exp.Expression:
    """'; a; b' -> 'a; b'; '' -> NULL."""
    return exp.Nullif(this=exp.Substring(this=joined, start=exp.Literal.number(3)), expression=string(""))
