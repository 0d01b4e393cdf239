"""Criteria, signals, metrics and promises: the structured conditions and values entities hold."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, field_validator

from ..metrics import ALL_DIRECTIONS, CATALOGUE, DIRECTIONS, KINDS
from .base import CommitmentRef, Model


class Ops(Model):
    """One comparison on a field: ``{gte: 30}``, ``{in: [ecommerce, dtc]}``."""

    gte: float | None = None
    gt: float | None = None
    lte: float | None = None
    lt: float | None = None
    eq: str | None = None
    ne: str | None = None
    in_: list[str] | None = Field(None, alias="in")
    not_in: list[str] | None = None
    exists: bool | None = None

    @field_validator("in_", "not_in", mode="before")
    @classmethod
    def _listify(cls, v):
        return [v] if isinstance(v, str) else v


def _one_field(cond: dict) -> dict:
    if len(cond) != 1:
        raise ValueError("a condition names exactly one field, like {fit_score: {gte: 30}}")
    return cond


Condition = Annotated[dict[str, Ops], AfterValidator(_one_field)]


class Criteria(Model):
    """Structured criteria: all of / any of the conditions, dimensions confirmed, and a sentence."""

    all: list[Condition] = Field(default_factory=list)
    any: list[Condition] = Field(default_factory=list)
    confirmed: list[str] = Field(default_factory=list, description="Qualification dimensions that must be confirmed "
                                 "(for example authority, budget).")
    description: str | None = None

    def conditions(self):
        yield from self.all
        yield from self.any


class Signal(Model):
    """A good-fit signal or red flag: a sentence, optionally as a condition on lead facts."""

    text: str
    when: Condition | None = None


# Editors offer the catalogue's metric names; a playbook's own names are allowed too.
METRIC_HELP = dict(description="What is measured: a metric from the catalogue (`playbook rule PB307` "
                    "lists it) or one declared in the playbook's metrics: section.",
                    json_schema_extra={"examples": sorted(CATALOGUE)})


METRIC_NAME = r"^[a-z][a-z0-9_]*$"
VALUE_HELP = ('Written as people do, in the kind of its metric: "2d business", "same day", "30 days", '
               '"1 year", "forever"; "weekly", "twice a month"; "5", "24/7"; "$750", "29 USD per seat/month"; '
               '"99.9%"; [email, phone]; yes or no.')


class MetricDeclaration(Model):
    """A metric the playbook declares or overrides: its name, kind and which value is more."""

    KIND: ClassVar[str] = "metric"
    id: str = Field(description="The metric's name as promises write it, for example trial_period.",
                    json_schema_extra={"examples": sorted(CATALOGUE), "pattern": METRIC_NAME})
    name: str | None = Field(None, description="How people call it, for example Free trial.")
    kind: Literal[KINDS]
    more: Literal[ALL_DIRECTIONS] | None = Field(None, description="Which value is more for the client: "
                                                 "shorter or longer (duration), more-often or less-often "
                                                 "(cadence), higher or lower (count, money, percentage), "
                                                 "superset (set), yes or no (yes/no).")
    keywords: list[str] = Field(default_factory=list, description="Words that name this metric in prose "
                                "(statements, offers, remedies), for example [trial, try]; a value next to "
                                "one is read as a promise (PB312). A catalogue metric keeps its own words "
                                "unless these are given.")
    description: str | None = None

    @field_validator("id")
    @classmethod
    def _metric_name(cls, value):
        if not re.fullmatch(METRIC_NAME, value):
            raise ValueError(f'is "{value}", which is not a metric name; write it in lowercase words '
                             "joined by underscores, like trial_period")
        return value

    @field_validator("more")
    @classmethod
    def _more_fits_kind(cls, value, info):
        kind = info.data.get("kind")
        if value is not None and kind in DIRECTIONS and value not in DIRECTIONS[kind]:
            raise ValueError(f'is "{value}", which is not a direction of a {kind}; use '
                             + " or ".join(DIRECTIONS[kind]))
        return value


class Promise(Model):
    """Something asked for or promised: a sentence and, to compare, a metric and a value."""

    text: str
    metric: str | None = Field(None, **METRIC_HELP)
    value: str | list[str] | None = Field(None, description=VALUE_HELP)
    commitment: CommitmentRef | None = None
