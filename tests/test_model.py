"""The model: typed entities, lookups by kind and id, and the resolved reference graph."""

from __future__ import annotations

import pytest

from generator.playbook import build
from generator.units import Cadence, Duration, Money, demands_more

from conftest import write_playbook

FILES = {
    "personas/erin.yaml": """
        id: erin
        name: Erin
        objections:
          - {objection: Too expensive, value_proposition: small-team}
        """,
    "definitions/all.yaml": """
        teams:
          - id: marketing
            name: Marketing
            roles: [{id: campaign-manager, name: Campaign manager}]
        stages:
          - {id: lead, name: Lead, order: 1, owner: marketing}
        transitions:
          - {from: lead, to: ghost}
        value_propositions:
          - {id: small-team, name: Small team, statement: Two people run your ads., personas: [erin]}
        complaint_procedures:
          - {id: results, name: Results, category: results, case_owner: campaign-manager}
        """,
}


def test_lookups_and_reference_graph(tmp_path):
    pb = build(write_playbook(tmp_path, FILES))
    assert pb.findings == []
    erin = pb.get("persona", "erin")
    vp = pb.get("proposition", "small-team")
    assert erin.name == "Erin" and vp.statement == "Two people run your ads."
    assert [s.id for s in pb.stages] == ["lead"]
    # each entity knows what refers to it
    assert [(r.source.id, r.path) for r in pb.referrers_of(erin)] == [("small-team", ("personas", 0))]
    assert [(r.source.id, r.path) for r in pb.referrers_of(vp)] == [("erin", ("objections", 0, "value_proposition"))]
    team = pb.get("team", "marketing")
    assert {r.source.id for r in pb.referrers_of(team)} == {"lead"}
    assert pb.exists("role", "campaign-manager") and not pb.exists("role", "nobody")
    # transitions are part of the graph too, dangling or not
    kinds = {(r.kind, r.target) for r in pb.references}
    assert ("stage", "ghost") in kinds and ("stage", "lead") in kinds


def test_locations_point_into_the_source(tmp_path):
    pb = build(write_playbook(tmp_path, FILES))
    vp = pb.get("proposition", "small-team")
    loc = pb.loc(vp, "personas", 0)
    assert (loc.path, loc.line) == ("definitions/all.yaml", 10)
    t = pb.transitions[0]
    assert pb.loc(t, "to").line == 8


def test_invalid_entity_is_left_out_but_its_id_is_known(tmp_path):
    pb = build(write_playbook(tmp_path, {"definitions/x.yaml": """
        stages:
          - {id: lead, name: Lead, order: one}
        """}))
    assert pb.get("stage", "lead") is None
    assert pb.exists("stage", "lead")
    assert [f.code for f in pb.findings] == ["PB010"]


@pytest.mark.parametrize("text,hours,business", [
    ("4h business", 4, True), ("1d business", 8, True), ("2d", 48, False), ("30m", 0.5, False),
    ("1 week", 168, False), ("3 business days", 24, True), ("1w business", 40, True)])
def test_durations(text, hours, business):
    d = Duration.parse(text)
    assert d.hours == hours and d.business is business and str(d) == text


def test_bad_duration_says_how_to_write_it():
    with pytest.raises(ValueError, match="24h business"):
        Duration.parse("soon")


def test_cadences_and_money():
    assert Cadence.parse("weekly").per_year > Cadence.parse("monthly").per_year
    assert Cadence.parse("every 2 weeks").per_year == Cadence.parse("fortnightly").per_year
    money = Money.parse("$1,500/month")
    assert (money.amount, money.currency, money.per) == (1500.0, "USD", "month")
    assert Money.parse("EUR 900 per month").currency == "EUR"
    with pytest.raises(ValueError):
        Money.parse("1500")


def test_demands_more_compares_like_with_like():
    assert demands_more("2h", "1d business") is True
    assert demands_more("2d business", "1d business") is False
    assert demands_more("daily", "weekly") is True
    assert demands_more(["email", "phone"], ["email"]) is True
    assert demands_more(["email"], ["email", "portal"]) is False
    assert demands_more("weekly", "24h") is None
