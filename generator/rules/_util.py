"""Shared helpers for rules: finding commitments and the promises measured against them.
(What criteria let through is in ``generator/criteria.py``.)"""

from __future__ import annotations

import difflib
from functools import lru_cache
from dataclasses import dataclass

from ..metrics import Measured, Metric, Unreadable, exceeds, read, read_prose
from ..criteria import SCORE_FIELDS, mentions_field, to_range

def fmt(number: float) -> str:
    return f"{number:g}"


def commitments_by_metric(pb) -> dict[str, list]:
    """Metric -> its commitments (worked out once per playbook: every promise asks for it)."""
    out = getattr(pb, "_commitments_by_metric", None)
    if out is None:
        out = {}
        for c in pb.of("commitment"):
            out.setdefault(c.metric, []).append(c)
        pb._commitments_by_metric = out
    return out


def _key(value):
    return tuple(value) if isinstance(value, list) else value


@lru_cache(maxsize=8192)
def _read(metric: Metric, value) -> Measured | Unreadable:
    return read(metric, list(value) if isinstance(value, tuple) else value)


def read_value(metric: Metric, value) -> Measured | Unreadable:
    """``value`` read for ``metric`` (cached: commitments are read once per promise)."""
    return _read(metric, _key(value))


@dataclass(frozen=True)
class Verdict:
    """How a promise compares with the commitments of its metric."""

    metric: Metric | None = None
    exceeded: object = None             # the commitment it asks more than
    within: object = None               # when it asks no more than any: the first commitment compared
    problem: tuple | None = None        # (code, path inside the item, message) when not compared


def judge(pb, metric_name: str | None, value, commitment_id: str | None = None, *,
          what: str = "this") -> Verdict:
    """Compare a promise (``metric_name``, ``value``, optional commitment id) with the commitments.

    ``what`` names the promise in messages ('the claim "Same-day reply"')."""
    named = pb.get("commitment", commitment_id) if commitment_id else None
    derived = metric_name is None and named is not None
    if derived:
        metric_name = named.metric
    if metric_name is None:
        return Verdict()
    metric = pb.metrics.get(metric_name)
    if metric is None and (derived or metric_name in pb.known_ids["metric"]):
        return Verdict()  # reported once, at the commitment or the invalid declaration
    if metric is None:
        return Verdict(problem=("PB307", ("metric",), unknown_metric_message(pb, metric_name, what)))
    if named is not None and named.metric != metric_name:
        others = [c.id for c in pb.of("commitment") if c.metric == metric_name]
        hint = f' (did you mean "{others[0]}"?)' if others else ""
        return Verdict(metric, problem=(
            "PB308", ("commitment",), f'{_cap(what)} measures {metric_name}, but the commitment "{named.id}" '
            f"it names measures {named.metric}; name a commitment of {metric_name}{hint} or correct the metric."))
    if value is None:
        return Verdict(metric)
    asked = read_value(metric, value)
    if isinstance(asked, Unreadable):
        return Verdict(metric, problem=("PB309", ("value",), f'{_cap(what)} cannot be compared: for {metric_name}, '
                                        f'"{show_value(value)}" {as_clause(asked.reason)}.'))
    candidates = [named] if named is not None else commitments_by_metric(pb).get(metric_name, [])
    if not candidates:
        return Verdict(metric, problem=("PB309", ("metric",), f"{_cap(what)} cannot be compared: no service "
                                        f"commitment measures {metric_name}. Add the commitment, or remove "
                                        "the metric if the business promises nothing on it."))
    compared = None
    for c in candidates:
        committed = read_value(metric, c.value)
        if isinstance(committed, Unreadable):
            continue  # PB311 reports it once, at the commitment
        compared = compared or c
        outcome = exceeds(metric, asked, committed)
        if isinstance(outcome, str):
            return Verdict(metric, problem=("PB309", ("value",), f'{_cap(what)} cannot be compared with the '
                                            f'commitment "{c.id}" ({show_value(c.value)}): {outcome}. Write both '
                                            "the same way."))
        if outcome:
            return Verdict(metric, exceeded=c)
    return Verdict(metric, within=compared)


def exceeded_commitment(pb, metric: str | None, value, commitment_id: str | None = None):
    """The commitment that ``value`` (for ``metric``) asks more than, or None.

    More is judged by the metric's kind and direction: a longer trial, a shorter reply time, a
    higher uptime, a lower price. Values that cannot be compared give None here; the rules
    PB307-PB309 report them."""
    if value is None:
        return None
    return judge(pb, metric, value, commitment_id).exceeded


def show_value(value) -> str:
    """A value as a message shows it: a list as its items joined by commas."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def as_clause(reason: str) -> str:
    """A verdict's reason ("it exceeds ...") as the clause after a value ("exceeds ...")."""
    return reason[3:] if reason.startswith("it ") else reason


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def unknown_metric_message(pb, name: str, what: str) -> str:
    """The PB307 message for ``what`` naming the metric ``name`` that nothing declares."""
    known = sorted((set(pb.metrics) | {c.metric for c in pb.of("commitment")}) - {name})
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    return (f'{_cap(what)} names the metric "{name}", which is neither in the catalogue nor declared '
            f"under metrics:, so it is compared with nothing.{hint} Otherwise declare it under "
            "metrics: with its kind and which value is more for the client.")


def promises(pb):
    """Every item that may name a metric or a commitment: (entity, path, item, what)."""
    for persona in pb.personas:
        for index, exp in enumerate(persona.expectations):
            yield persona, ("expectations", index), exp, f'the expectation "{exp.text}"'
    for q in pb.of("question"):
        for index, answer in enumerate(q.acceptable):
            yield q, ("acceptable", index), answer, f'the acceptable answer "{answer.text}"'
        for index, flag in enumerate(q.red_flags):
            yield q, ("red_flags", index), flag, f'the red flag "{flag.text}"'
    for vp in pb.of("proposition"):
        for index, claim in enumerate(vp.claims):
            yield vp, ("claims", index), claim, f'the claim "{claim.text}"'
    for proc in pb.of("complaint"):
        for index, remedy in enumerate(proc.remedies):
            yield proc, ("remedies", index), remedy, f'the remedy "{remedy.text}"'
    for campaign in pb.of("campaign"):
        for index, promise in enumerate(campaign.promises):
            yield campaign, ("promises", index), promise, f'the campaign promise "{promise.text}"'


def promise_verdicts(pb) -> list:
    """(entity, path, item, verdict) for every promise, judged once per playbook."""
    out = getattr(pb, "_promise_verdicts", None)
    if out is None:
        out = [(entity, path, item, judge(pb, item.metric, item.value, commitment_of(entity, item), what=what))
               for entity, path, item, what in promises(pb)]
        pb._promise_verdicts = out
    return out


def commitment_of(entity, item) -> str | None:
    """The commitment an item names; an acceptable answer without a metric is compared with the
    first commitment its question probes."""
    named = getattr(item, "commitment", None)
    if named:
        return named
    probes = getattr(entity, "probes", None)
    if probes and item.metric is None and item.value is not None:
        return probes[0]
    return None


def qualification_stage(pb):
    """The marketing-qualified stage: the first stage whose entry needs a score."""
    for stage in pb.stages:
        if stage.entry and any(mentions_field(stage.entry, f) for f in SCORE_FIELDS):
            return stage
    return None



@dataclass(frozen=True)
class Fact:
    """What a criteria's conditions say about one non-numeric field: the values it takes, the
    values it may not take, and whether it must be given (None when not said)."""

    allowed: frozenset | None = None
    excluded: frozenset = frozenset()
    given: bool | None = None

    def describe(self, field: str) -> str:
        quoted = lambda values: ", ".join(f'"{v}"' for v in sorted(values))  # noqa: E731
        if self.given is False:
            return f"{field} is not given"
        if self.allowed is not None:
            if not self.allowed:
                return f"{field} has no possible value"
            one = len(self.allowed) == 1
            return f"{field} is {quoted(self.allowed)}" if one else f"{field} is one of {quoted(self.allowed)}"
        if self.excluded:
            return f"{field} is not {quoted(self.excluded)}" if len(self.excluded) == 1 else \
                f"{field} is none of {quoted(self.excluded)}"
        return f"{field} is given"


def fact_condition(criteria, field: str):
    """(Fact, index in criteria.all of its first condition) for the non-numeric conditions
    (eq, ne, in, not_in, exists) on ``field`` in ``criteria.all``, or None when there are none."""
    if criteria is None:
        return None
    allowed, excluded, given, first = None, set(), None, None
    for index, cond in enumerate(criteria.all):
        ops = cond.get(field)
        if ops is None:
            continue
        if ops.eq is None and ops.ne is None and ops.in_ is None and ops.not_in is None and ops.exists is None:
            continue
        first = index if first is None else first
        r = to_range(ops)
        if r.allowed is not None:
            allowed = r.allowed if allowed is None else allowed & r.allowed
        excluded |= r.excluded
        if ops.exists is not None:
            given = ops.exists if given is None else (given and ops.exists)
    if first is None:
        return None
    if allowed is not None:  # a listed value is a given one, and excluded values are simply not listed
        return Fact(frozenset(allowed - excluded), frozenset(), True if given is None else given), first
    return Fact(None, frozenset(excluded), given), first


def unreadable_commitments(pb) -> list:
    """(commitment, metric, reason) for every commitment whose value cannot be read as its metric."""
    out = []
    for c in pb.of("commitment"):
        metric = pb.metrics.get(c.metric)
        if metric is None:
            continue
        value = read_value(metric, c.value)
        if isinstance(value, Unreadable):
            out.append((c, metric, value.reason))
    return out


def prose_texts(pb):
    """Prose that may promise: (entity, path, text, who, metric name or None to read every metric).

    Value-proposition statements (and their marketing and sales wording), campaign offers, and
    the text of claims, remedies and campaign promises that give no value of their own."""
    for vp in pb.of("proposition"):
        seen = set()
        texts = [(("statement",), vp.statement)]
        if vp.statements:
            texts += [(("statements", "marketing"), vp.statements.marketing),
                      (("statements", "sales"), vp.statements.sales)]
        for path, text in texts:
            key = " ".join((text or "").split()).lower()
            if text and key not in seen:
                seen.add(key)
                yield vp, path, text, f'The value proposition "{vp.id}"', None
        for index, claim in enumerate(vp.claims):
            if claim.value is None:
                yield vp, ("claims", index, "text"), claim.text, f'The claim "{claim.text}"', _metric_of(pb, claim)
    for proc in pb.of("complaint"):
        for index, remedy in enumerate(proc.remedies):
            if remedy.value is None:
                yield proc, ("remedies", index, "text"), remedy.text, f'The remedy "{remedy.text}"', \
                    _metric_of(pb, remedy)
    for campaign in pb.of("campaign"):
        if campaign.offer:
            yield campaign, ("offer",), campaign.offer, f'The offer of the campaign "{campaign.id}"', None
        for index, promise in enumerate(campaign.promises):
            if promise.value is None:
                yield campaign, ("promises", index, "text"), promise.text, \
                    f'The campaign promise "{promise.text}"', _metric_of(pb, promise)


def _metric_of(pb, item) -> str | None:
    if item.metric:
        return item.metric
    named = pb.get("commitment", item.commitment) if item.commitment else None
    return named.metric if named is not None else None


def prose_promises(pb):
    """(entity, path, who, text, ProsePromise, commitment it exceeds) for every promise read from prose
    that asks more than a commitment of its metric."""
    committed = [pb.metrics[name] for name in commitments_by_metric(pb) if name in pb.metrics]
    if not committed:
        return
    for entity, path, text, who, only in prose_texts(pb):
        metrics = committed if only is None else [m for m in committed if m.id == only]
        for promise in read_prose(text, metrics):
            verdict = judge(pb, promise.metric.id, promise.value)
            if verdict.exceeded is not None and verdict.problem is None:
                yield entity, path, who, text, promise, verdict.exceeded


def campaign_price_verdict(pb, campaign) -> Verdict | None:
    """A campaign's price compared with the price commitments; None when either is missing."""
    if campaign.price is None or not commitments_by_metric(pb).get("price"):
        return None
    return judge(pb, "price", campaign.price.text, what=f'the price of the campaign "{campaign.id}"')


def metric_words(metric) -> str:
    """A metric's label inside a sentence: "free trial", "time until a firm works in Ledgerly"."""
    label = metric.label
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]
