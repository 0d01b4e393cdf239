"""Every rule's documented failing example fires it, and its passing example does not."""

from __future__ import annotations

import re

import pytest

from generator.check import run_check
from generator.config import Config
from generator.rules import RULES, example_files

from conftest import TODAY

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
