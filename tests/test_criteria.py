"""The criteria module in words: how the pages read a condition out."""

from __future__ import annotations

import pytest

from generator.criteria import condition_text
from generator.model import Criteria


def cond(data: dict):
    return Criteria.model_validate({"all": [data]}).all[0]


@pytest.mark.parametrize("data, text", [
    ({"fit_score": {"gte": 30}}, "fit score ≥ 30"),
    ({"total_score": {"gt": 10.5, "lt": 99}}, "total score > 10.5 and total score < 99"),
    ({"employees": {"lte": 1000}}, "employees ≤ 1000"),
    ({"industry": {"eq": "retail"}}, "industry is retail"),
    ({"industry": {"ne": "retail"}}, "industry is not retail"),
    ({"industry": {"in": ["dtc", "ecommerce"]}}, "industry is one of dtc, ecommerce"),
    ({"country": {"not_in": "fr"}}, "country is none of fr"),
    ({"email_opt_in": {"exists": True}}, "email opt in is known"),
    ({"email_opt_in": {"exists": False}}, "email opt in is not known"),
])
def test_condition_text(data, text):
    assert condition_text(cond(data)) == text


def test_condition_text_leaves_escaping_to_the_page():
    assert condition_text(cond({"industry": {"eq": "<b>*x*</b>"}})) == "industry is <b>*x*</b>"
