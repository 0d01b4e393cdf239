"""Evidence behind a persona: recorded, checked for age (PB408), shown on the persona's page."""

from __future__ import annotations

from click.testing import CliRunner

from generator.check import run_check
from generator.cli import main
from generator.config import Config
from generator.site import generate

from conftest import REPO, TODAY, write_playbook

TEAMS = """
    teams:
      - {id: sales, name: Sales}
    """


def persona(evidence: str = "", every: str = "") -> str:
    return f"""
        id: erin
        name: Erin
        owner: sales
        {every}
        {evidence}
        """


def pb408(tmp_path, text, config=None):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS, "personas/erin.yaml": text})
    result = run_check(root, config or Config(), TODAY)
    return [(f.location.path, f.location.line, f.message) for f in result.findings if f.code == "PB408"], result


def test_a_persona_without_evidence_is_flagged_at_its_id(tmp_path):
    found, _ = pb408(tmp_path, persona())
    assert [(p, line) for p, line, _ in found] == [("personas/erin.yaml", 1)]
    assert "records no evidence" in found[0][2]


def test_only_evidence_older_than_the_review_interval_is_flagged_at_the_newest(tmp_path):
    stale = persona("evidence:\n          - {source: survey, collected: 2025-01-10, size: 40}\n"
                    "          - {source: interviews, collected: 2025-03-02, size: 8}", "review_every_days: 180")
    found, _ = pb408(tmp_path, stale)
    assert [(p, line) for p, line, _ in found] == [("personas/erin.yaml", 7)]  # the 2025-03-02 entry
    assert "2025-03-02" in found[0][2] and "180 days" in found[0][2]


def test_evidence_within_the_interval_or_with_no_interval_is_fine(tmp_path):
    fresh = persona("evidence:\n          - {source: crm-analysis, collected: 2026-09-30, size: 146}",
                    "review_every_days: 180")
    assert pb408(tmp_path / "a", fresh)[0] == []
    no_interval = persona("evidence:\n          - {source: poll, collected: 2019-05-01}")
    assert pb408(tmp_path / "b", no_interval)[0] == []
    config = Config()
    config.review_every_days = 365  # the playbook's default interval applies when the persona has none
    assert [line for _, line, _ in pb408(tmp_path / "c", no_interval, config)[0]] == [6]


def test_a_wrong_source_or_date_is_a_located_error(tmp_path):
    _, result = pb408(tmp_path, persona("evidence:\n          - {source: gut-feeling, collected: last year}"))
    bad = [(f.code, f.location.line) for f in result.findings if f.code == "PB010"]
    assert bad and all(line == 6 for _, line in bad)


def test_the_persona_page_shows_the_evidence_or_the_gap(tmp_path):
    with_evidence = persona("evidence:\n          - {source: crm-analysis, collected: 2026-09-30, size: 1146, "
                            "notes: Won and lost deals}")
    _, result = pb408(tmp_path / "a", with_evidence)
    page = generate(result.playbook, Config(), TODAY).files["personas/erin.md"]
    assert "| CRM analysis | 2026-09-30 | 1,146 | Won and lost deals |" in page
    _, result = pb408(tmp_path / "b", persona())
    page = generate(result.playbook, Config(), TODAY).files["personas/erin.md"]
    assert "No evidence recorded" in page and "pb-gap" in page


def test_every_persona_of_both_example_playbooks_has_evidence():
    for root in (REPO, REPO / "tests" / "fixtures" / "ledger-saas"):
        result = CliRunner().invoke(main, ["check", str(root), "--today", "2026-11-22", "--format", "json"])
        assert "PB408" not in result.output, root


def test_init_dates_the_starters_evidence_today(tmp_path):
    target = tmp_path / "acme"
    assert CliRunner().invoke(main, ["init", str(target), "--today", "2031-05-05"]).exit_code == 0
    for path in (target / "personas").glob("*.yaml"):
        assert "collected: 2031-05-05" in path.read_text(encoding="utf-8"), path
