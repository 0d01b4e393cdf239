"""Write a synthetic playbook of N personas and M other entities, for benchmarks.

    python benchmarks/synthetic.py OUT_DIR [--personas 1000] [--entities 10000]

The content is shaped like the example playbook (same fields, references between entities)
so that loading, checking and rendering do representative work.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

PER_FILE = 500
INDUSTRIES = ["ecommerce", "dtc", "fitness", "dental", "saas", "education", "real-estate", "beauty"]


def persona(i: int, rng: random.Random, propositions: int) -> str:
    negative = i % 10 == 9
    industry = rng.choice(INDUSTRIES)
    budget = "{lt: 2000}" if negative else "{gte: 2000}"
    return f"""id: persona-{i}
name: Persona {i}, {industry} {'bargain hunter' if negative else 'owner'}
kind: {'negative' if negative else 'buyer'}
buying_role: economic-buyer
owner: marketing
last_reviewed: 2026-10-01
review_every_days: 180
summary: Runs a {industry} business with {rng.randint(2, 50)} people and wants predictable sales from ads.
demographics: {{age_range: 30-45, role: Founder, location: United States}}
firmographics: {{industry: {industry}, company_size: 2-50}}
criteria:
  - monthly_ad_budget: {budget}
psychographics:
  values: [Growth, Transparency]
  interests: [Podcasts on entrepreneurship]
goals:
  - Grow online revenue by {rng.randint(10, 60)}% this year
  - Stop guessing which ads work
challenges:
  - Ad costs rise every quarter
  - No time to read reports
objections:
  - objection: We tried an agency before and never heard from them.
    response: You get one named account manager and a weekly report.
    value_proposition: vp-{i % propositions}
watering_holes: [Facebook groups, Shopify community]
expectations:
  - {{text: A weekly report, metric: reporting_cadence, value: weekly}}
good_fit_signals:
  - {{text: Has a product that already sells, when: {{monthly_revenue: {{gte: 10000}}}}}}
red_flags:
  - {{text: Expects daily calls, when: {{expected_contact_cadence: {{in: [daily]}}}}}}
journey:
  - {{stage: awareness, touchpoints: [Facebook ad, Blog post], owner: marketing}}
  - {{stage: decision, touchpoints: [Discovery call, Proposal], owner: sales}}
"""


def header(kind: str) -> str:
    return f"# yaml-language-server: $schema=../schemas/{kind}.schema.json\n"


def write(out: Path, personas: int, entities: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    (out / "personas").mkdir(parents=True, exist_ok=True)
    (out / "definitions").mkdir(parents=True, exist_ok=True)
    (out / "playbook.yaml").write_text("name: Synthetic playbook\nversion: '1.0'\n")
    counts = {"value_propositions": max(1, int(entities * 0.2)), "goals": max(2, int(entities * 0.1))}
    for i in range(personas):
        (out / "personas" / f"persona-{i}.yaml").write_text(
            header("persona") + persona(i, rng, counts["value_propositions"]))
    fixed = """teams:
  - {id: marketing, name: Marketing, side: marketing, roles: [{id: campaign-manager, name: Campaign manager}]}
  - {id: sales, name: Sales, side: sales, roles: [{id: head-of-sales, name: Head of sales}]}
service_commitments:
  - {id: reporting, name: Weekly report, metric: reporting_cadence, value: weekly, owner: sales}
stages:
  - {id: lead, name: Lead, order: 1, owner: marketing}
  - {id: mql, name: MQL, order: 2, owner: marketing, entry: {all: [{fit_score: {gte: 20}}, {engagement_score: {gte: 10}}]}}
  - {id: sql, name: SQL, order: 3, owner: sales, terminal: true}
transitions:
  - {from: lead, to: mql}
  - {from: mql, to: sql}
"""
    (out / "definitions" / "core.yaml").write_text(fixed)
    kinds = [("value_propositions", "value-propositions", 0.2), ("qualifying_questions", "qualifying-questions", 0.3),
             ("glossary", "glossary", 0.3), ("campaigns", "campaigns", 0.1), ("goals", "goals", 0.1)]
    for section, kind, share in kinds:
        count = counts.get(section, int(entities * share))
        for start in range(0, count, PER_FILE):
            lines = [header(kind).rstrip("\n"), f"{section}:"]
            for i in range(start, min(count, start + PER_FILE)):
                lines.append(_entity(section, i, personas, rng, counts))
            (out / "definitions" / f"{kind}-{start // PER_FILE:03d}.yaml").write_text("\n".join(lines) + "\n")


def _entity(section: str, i: int, personas: int, rng: random.Random, counts: dict) -> str:
    n = i % personas
    p = f"persona-{n - 1 if n % 10 == 9 else n}"  # buyer personas only
    owner = "sales" if section == "goals" and i % 2 else "marketing"
    common = f"    owner: {owner}\n    last_reviewed: 2026-10-01\n    review_every_days: 180"
    if section == "value_propositions":
        return f"""  - id: vp-{i}
    name: Value proposition {i}
    statement: You talk to the two people who run your ads, every week.
    personas: [{p}]
    claims:
      - {{text: A weekly report, metric: reporting_cadence, value: weekly}}
{common}"""
    if section == "qualifying_questions":
        return f"""  - id: q-{i}
    question: What would a good month of results look like for you ({i})?
    covers: {{bant: [need]}}
    asked_at: mql
    personas: [{p}]
    probes: [reporting]
    acceptable:
      - {{text: Weekly report, metric: reporting_cadence, value: weekly}}
    red_flags:
      - {{text: Daily calls, metric: reporting_cadence, value: daily}}
{common}"""
    if section == "glossary":
        return f"""  - id: term-{i}
    term: Term {i}
    definition: What term {i} means to marketing and sales alike.
    synonyms: [T{i}]
{common}"""
    if section == "campaigns":
        return f"""  - id: campaign-{i}
    name: Campaign {i}
    starts: 2027-03-01
    personas: [{p}]
    value_propositions: [vp-{i % counts["value_propositions"]}]
    sales_briefing: {{date: 2027-02-20, owner: marketing}}
{common}"""
    return f"""  - id: goal-{i}
    name: Goal {i}
    metric: closed deals
    target: +10%
    supports: [goal-{(i + 1) % counts["goals"]}]
{common}"""


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--personas", type=int, default=1000)
    parser.add_argument("--entities", type=int, default=10000)
    args = parser.parse_args()
    write(args.out, args.personas, args.entities)
