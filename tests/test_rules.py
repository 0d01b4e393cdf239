"""Every rule's documented failing example fires it, and its passing example does not."""

from __future__ import annotations

import re

import pytest

from generator.check import run_check
from generator.config import Config
from generator.rules import RULES, example_files

from conftest import REPO, TODAY

EXAMPLE_RULES = [r for r in RULES.values() if r.code != "PB999"]


def _run(tmp_path, example: str):
    for rel, data in example_files(example).items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (tmp_path / "definitions").mkdir(exist_ok=True)
    return run_check(tmp_path, Config(), TODAY)


@pytest.mark.parametrize("rule", EXAMPLE_RULES, ids=lambda r: f"{r.code}-{r.name}")
def test_failing_example_fires_the_rule(tmp_path, rule):
    result = _run(tmp_path, rule.fail)
    codes = [f.code for f in result.findings]
    assert rule.code in codes, f"{rule.code} did not fire on its failing example: {codes}"
    assert "PB999" not in codes
    for f in result.findings:
        if f.code == rule.code:
            assert f.location.line >= 1 and f.location.col >= 1
            assert f.severity == rule.severity
            assert f.message and f.message[0].isupper() or f.message.startswith('"')


@pytest.mark.parametrize("rule", EXAMPLE_RULES, ids=lambda r: f"{r.code}-{r.name}")
def test_passing_example_does_not_fire_the_rule(tmp_path, rule):
    result = _run(tmp_path, rule.ok)
    codes = [f.code for f in result.findings]
    assert rule.code not in codes, [f.message for f in result.findings if f.code == rule.code]
    assert "PB999" not in codes


def test_catalogue_is_well_formed():
    names = set()
    for code, r in RULES.items():
        assert re.fullmatch(r"PB\d{3}", code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", r.name), r.name
        assert r.name not in names
        names.add(r.name)
        assert r.summary.endswith(".")
        assert len(r.explanation) > 40, f"{code} needs an explanation"
        assert r.ok.strip()
        if code != "PB999":
            assert r.fail.strip()
    assert len(RULES) >= 70


def test_rule_severity_can_be_turned_off(tmp_path):
    rule = RULES["PB401"]
    for rel, data in example_files(rule.fail).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    from generator.findings import Severity
    cfg = Config(severities={"PB401": Severity.OFF, "PB407": Severity.ERROR})
    result = run_check(tmp_path, cfg, TODAY)
    codes = {f.code: f.severity for f in result.findings}
    assert "PB401" not in codes
    assert codes["PB407"] == Severity.ERROR


def _located(result, code):
    return [(f.location.path, f.location.line, f.location.col, f.message) for f in result.findings
            if f.code == code]


def test_reject_route_example_names_the_handoffs_reason(tmp_path):
    assert _located(_run(tmp_path, RULES["PB116"].fail), "PB116") == [
        ("definitions/playbook.yaml", 20, 27,
         'The handoff "mql-to-sal" (MQL → SAL) sends a lead rejected for "bad-timing" to the "long-cycle" '
         'track, but the lifecycle disqualifies a lead in "mql" for that reason; make them tell one story.')]


def test_reject_route_leaves_undefined_reasons_to_pb113(tmp_path):
    example = RULES["PB116"].ok.replace("reasons: [bad-timing], recycle_to", "reasons: [bad-timing, bad-timming], "
                                        "recycle_to")
    result = _run(tmp_path, example)
    assert _located(result, "PB116") == []
    assert [(f.code, f.location.line) for f in result.findings if f.code == "PB113"] == [("PB113", 21)]


def test_reject_route_is_judged_from_the_stage_the_lead_was_handed_from(tmp_path):
    # the same reason recycled from "sal" (the receiving stage) does not tell what happens to a rejected MQL
    example = RULES["PB116"].ok.replace("{from: mql, to: lead, type: recycle", "{from: sal, to: lead, type: recycle")
    assert example != RULES["PB116"].ok
    assert [line for _, line, _, _ in _located(_run(tmp_path, example), "PB116")] == [21]


def test_fact_exit_example_names_the_exit_condition(tmp_path):
    assert _located(_run(tmp_path, RULES["PB117"].fail), "PB117") == [
        ("definitions/playbook.yaml", 5, 18,
         '"mql" exits when sales_accepted is "yes" but "sal" is entered when sales_accepted is "no"; '
         "make the two conditions the same.")]


@pytest.mark.parametrize("exit_, entry, message", [
    ('{exists: true}', '{eq: "yes"}', 'exits when sales_accepted is given but "sal" is entered when sales_accepted '
     'is "yes"'),
    ('{ne: "no"}', '{exists: false}', 'exits when sales_accepted is not "no" but "sal" is entered when '
     "sales_accepted is not given"),
    ('{in: [yes, pending]}', '{not_in: [no, pending]}', 'exits when sales_accepted is one of "pending", "yes" '
     'but "sal" is entered when sales_accepted is none of "no", "pending"'),
])
def test_fact_exit_and_entry_written_as_different_conditions(tmp_path, exit_, entry, message):
    example = RULES["PB117"].fail.replace('{eq: "yes"}', exit_).replace('{eq: "no"}', entry)
    assert [m for _, _, _, m in _located(_run(tmp_path, example), "PB117")] == [
        f'"mql" {message}; make the two conditions the same.']


@pytest.mark.parametrize("exit_, entry", [
    ('{eq: "yes"}', '{eq: "YES"}'),
    ('{in: [yes]}', '{eq: "yes"}'),
    ('{in: [yes, no], ne: "no"}', '{eq: "yes"}'),
])
def test_fact_exit_and_entry_saying_the_same_are_not_flagged(tmp_path, exit_, entry):
    example = RULES["PB117"].fail.replace('{eq: "yes"}', exit_).replace('{eq: "no"}', entry)
    assert _located(_run(tmp_path, example), "PB117") == []


def test_numeric_thresholds_stay_with_pb108(tmp_path):
    example = RULES["PB108"].fail
    result = _run(tmp_path, example)
    assert _located(result, "PB117") == [] and len(_located(result, "PB108")) == 1


FIXTURES = REPO / "tests" / "fixtures"


@pytest.mark.parametrize("root", [FIXTURES / "broken", FIXTURES / "ledger-saas", REPO],
                         ids=["broken", "ledger-saas", "example"])
def test_a_rule_reports_only_under_its_own_code(root):
    pb = run_check(root, Config(), TODAY).playbook
    seen = set()
    for r in RULES.values():
        if r.check is None:
            continue
        codes = {f.code for f in r.check(pb)}
        assert codes <= {r.code}, f"{r.code} reported {codes}"
        seen |= codes
    if root.name == "broken":
        assert len(seen) > 40  # the fixture fires most rules, so the check above looked at them


def test_the_rule_modules_report_only_through_the_report_they_are_handed():
    modules = sorted((REPO / "generator" / "rules").rglob("*.py"))
    assert len(modules) > 10
    for path in modules:
        if path.name == "registry.py":  # where Report makes them
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bpb\.finding\(|\bFinding\(", text), f"{path.name} makes a finding itself"


def _raised_outside_the_rules() -> dict[str, set[str]]:
    """Code -> the generator modules (outside generator/rules) that make a finding with it."""
    raised: dict[str, set[str]] = {}
    for path in sorted((REPO / "generator").rglob("*.py")):
        if "rules" in path.relative_to(REPO / "generator").parts[:1]:
            continue
        text = path.read_text(encoding="utf-8")
        for code in re.findall(r'(?:Finding|_Refusal)\(\s*"(PB\d{3})"|code = "(PB\d{3})"', text):
            raised.setdefault(next(c for c in code if c), set()).add(path.relative_to(REPO).as_posix())
    return raised


def test_the_rules_raised_by_the_loader_and_pipeline_are_the_table_in_builtin():
    from generator.rules.builtin import BUILTIN
    raised = _raised_outside_the_rules()
    table = {r.code: r for r in BUILTIN}
    assert set(raised) == set(table), "every code the loader, model or pipeline reports is one row, and no more"
    for code, r in table.items():
        assert r.check is None and RULES[code] is r
        for module in raised[code]:
            assert module in r.raised_by, f"{code} is raised in {module}; its row says {r.raised_by!r}"
    assert {r.code for r in RULES.values() if r.check is None} == set(table)
