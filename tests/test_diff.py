"""The semantic diff, on real git repositories."""

from __future__ import annotations

import json
import os
import re
import subprocess

from click.testing import CliRunner

from generator.cli import main

from conftest import git, repo_state


def run(repo, *args):
    old = os.getcwd()
    os.chdir(repo)
    try:
        return CliRunner().invoke(main, ["diff", *args])
    finally:
        os.chdir(old)


def edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def test_no_changes(example_repo):
    result = run(example_repo)
    assert result.exit_code == 0
    assert "No changes in meaning." in result.output


def test_lowered_threshold_is_reported_as_more_leads_reaching_sales(example_repo):
    edit(example_repo / "definitions/lifecycle.yaml", "fit_score: {gte: 45}", "fit_score: {gte: 40}", 4)
    result = run(example_repo)
    assert result.exit_code == 0, result.output
    assert "SQL entry threshold lowered: fit_score 45 → 40; more leads reach sales." in result.output
    assert "entry.all[0].fit_score.gte: 45 → 40" in result.output
    assert "main (" in result.output and "→ working tree" in result.output


def test_removed_proposition_that_others_reference_is_breaking(example_repo):
    path = example_repo / "definitions/value-propositions.yaml"
    text = path.read_text()
    start = text.index("  - id: reports-you-can-read")
    end = text.index("  - id: ", start + 10)
    path.write_text(text[:start] + text[end:])
    result = run(example_repo, "--fail-on", "breaking")
    assert result.exit_code == 1
    assert re.search(r'BREAKING\s+The value proposition "reports-you-can-read" was removed, but 3 other '
                     r"definitions refer to it \(.*local-service-owner.*\)", result.output)
    assert run(example_repo).exit_code == 0  # --fail-on defaults to never


def test_complaint_and_commitment_changes_are_graded(example_repo):
    edit(example_repo / "definitions/complaint-procedures.yaml", "acknowledge_within: 1d business",
         "acknowledge_within: 2d business")
    edit(example_repo / "definitions/service-commitments.yaml", "value: 1d business", "value: 2d business")
    data = json.loads(run(example_repo, "--format", "json").output)
    by_code = {i["code"]: i for i in data["impacts"]}
    assert by_code["complaint-deadline-lengthened"]["grade"] == "warning"
    assert "acknowledgement time lengthened from 1d business to 2d business" in \
        by_code["complaint-deadline-lengthened"]["message"]
    assert by_code["commitment-weakened"]["grade"] == "breaking"
    assert data["summary"]["changed"] == 2 and data["summary"]["breaking"] == 1
    change = next(c for c in data["changes"] if c["kind"] == "complaint")
    assert change["fields"][0]["old"] == "1d business" and change["fields"][0]["new"] == "2d business"


def test_rename_added_removed_and_markdown(example_repo):
    os.rename(example_repo / "personas/course-creator.yaml", example_repo / "personas/online-educator.yaml")
    edit(example_repo / "personas/online-educator.yaml", "id: course-creator", "id: online-educator")
    (example_repo / "personas/new-persona.yaml").write_text("id: new-persona\nname: A new persona\nowner: marketing\n")
    result = run(example_repo, "--format", "markdown")
    assert result.exit_code == 0
    assert result.output.startswith("### Playbook changes: `main (")
    assert "- **renamed** persona `online-educator` (was `course-creator`)" in result.output
    assert "- **added** persona `new-persona`: A new persona" in result.output


def test_persona_losing_its_last_question(example_repo):
    # make every question persona-specific but never for the negative persona's buyer neighbours
    path = example_repo / "definitions/qualifying-questions.yaml"
    text = path.read_text()
    text = re.sub(r"(\n  - id: [a-z0-9-]+\n)", r"\1    personas: [ecommerce-founder]\n", text)
    text = re.sub(r"\n    personas: \[ecommerce-founder\]\n((?:    .*\n)*?)    personas: \[[^\]]*\]\n",
                  r"\n    personas: [ecommerce-founder]\n\1", text)
    path.write_text(text)
    result = run(example_repo)
    assert 'The persona "Dr. Sam' in result.output and "lost its last qualifying question" in result.output


def test_two_refs_and_config_grades(example_repo):
    git(example_repo, "tag", "v1")
    edit(example_repo / "definitions/lifecycle.yaml", "fit_score: {gte: 45}", "fit_score: {gte: 40}", 4)
    git(example_repo, "commit", "-qam", "lower SQL")
    assert "threshold lowered" in run(example_repo, "v1", "HEAD").output
    assert run(example_repo, "v1", "HEAD", "--fail-on", "breaking").exit_code == 0
    with open(example_repo / "playbook.yaml", "a") as fh:
        fh.write("diff:\n  grades:\n    threshold-lowered: breaking\n")
    result = run(example_repo, "v1", "HEAD", "--fail-on", "breaking")
    assert result.exit_code == 1 and "BREAKING" in result.output


def test_default_base_is_the_merge_base_with_main(example_repo):
    git(example_repo, "checkout", "-qb", "feature")
    edit(example_repo / "definitions/lifecycle.yaml", "fit_score: {gte: 45}", "fit_score: {gte: 50}", 4)
    git(example_repo, "commit", "-qam", "raise SQL")
    git(example_repo, "checkout", "-q", "main")
    edit(example_repo / "definitions/glossary.yaml", "term: Deal alignment", "term: Deal fit")
    git(example_repo, "commit", "-qam", "rename term on main")
    git(example_repo, "checkout", "-q", "feature")
    out = run(example_repo).output
    assert "threshold raised: fit_score 45 → 50" in out
    assert "Deal fit" not in out  # main moved on after the branch point; not this branch's change


def test_bad_refs_and_places_exit_two_and_change_nothing(example_repo, tmp_path):
    before = repo_state(example_repo)
    for args in (["nope"], ["main", "nope"], ["--", "-x"]):
        result = run(example_repo, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    assert 'The git ref "nope" does not exist' in run(example_repo, "nope").output
    assert repo_state(example_repo) == before
    # not a git repository
    plain = tmp_path / "plain"
    (plain / "definitions").mkdir(parents=True)
    result = run(plain)
    assert result.exit_code == 2 and "not inside a git repository" in result.output


def test_shallow_clone_without_the_base(example_repo, tmp_path):
    git(example_repo, "tag", "v1")
    for i in range(3):
        edit(example_repo / "playbook.yaml", "version:", f"# change {i}\nversion:")
        git(example_repo, "commit", "-qam", f"change {i}")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{example_repo}", str(clone)], check=True)
    before = repo_state(clone)
    result = run(clone, "v1")
    assert result.exit_code == 2
    assert "shallow clone" in result.output and "fetch-depth: 0" in result.output
    assert repo_state(clone) == before


def test_check_changed_since_reports_only_changed_entities(example_repo):
    import os as _os
    # two problems: one in an entity this branch changes, one in an untouched entity
    with open(example_repo / "definitions/goals.yaml", "a") as fh:
        fh.write("  - {id: lonely-goal, name: A goal nobody supports, owner: sales, metric: calls, target: +5%}\n")
    git(example_repo, "commit", "-qam", "an old problem")
    git(example_repo, "checkout", "-qb", "feature")
    edit(example_repo / "definitions/lifecycle.yaml", "fit_score: {gte: 45}", "fit_score: {gte: 40}", 1)
    path = example_repo / "definitions/teams.yaml"
    old = _os.getcwd()
    _os.chdir(example_repo)
    try:
        everything = CliRunner().invoke(main, ["check", "--format", "json", "--today", "2026-11-22"])
        scoped = CliRunner().invoke(main, ["check", "--format", "json", "--today", "2026-11-22",
                                           "--changed-since", "main"])
        bad = CliRunner().invoke(main, ["check", "--changed-since", "nope"])
    finally:
        _os.chdir(old)
    all_entities = {(f["entity"] or {}).get("id") for f in json.loads(everything.output)["findings"]}
    scoped_findings = json.loads(scoped.output)["findings"]
    assert "lonely-goal" in all_entities
    assert scoped_findings, "the changed stage's own contradiction must still be reported"
    assert {f["entity"]["id"] for f in scoped_findings if f["entity"]} <= {"sal", "sql"}
    assert bad.exit_code == 2 and 'The git ref "nope" does not exist' in bad.output
    assert path.exists()


LEADS = """id,email_opt_in,company_website,industry,monthly_ad_budget,job_title,runs_meta_ads,expected_contact_cadence,events
near-threshold,yes,a.example,ecommerce,3000,founder,no,,call_booked:2026-11-15
well-above,yes,b.example,ecommerce,6000,founder,yes,weekly,call_booked:2026-11-15;audit_requested:2026-11-16
just-a-lead,yes,c.example,dental,2500,practice-owner,,,
"""


def test_impact_preview_on_real_leads(example_repo):
    leads = example_repo / "leads.csv"
    leads.write_text(LEADS)
    git(example_repo, "add", "leads.csv")
    git(example_repo, "commit", "-qm", "leads")
    baseline = run(example_repo, "--leads", "leads.csv", "--as-of", "2026-11-22")
    assert "No lead changes stage, persona or nurture track." in baseline.output
    path = example_repo / "definitions/lifecycle.yaml"
    path.write_text(path.read_text().replace("fit_score: {gte: 30}", "fit_score: {gte: 40}"))
    result = run(example_repo, "--leads", "leads.csv", "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert "On 3 leads" in result.output
    assert "1 of 3 leads move stage from mql to lead." in result.output
    assert "near-threshold: stage mql → lead" in result.output
    data = json.loads(run(example_repo, "--leads", "leads.csv", "--as-of", "2026-11-22", "--format", "json").output)
    assert data["leads"]["moves"] == [{"what": "stage", "from": "mql", "to": "lead", "count": 1}]
    md = run(example_repo, "--leads", "leads.csv", "--as-of", "2026-11-22", "--format", "markdown").output
    assert "#### Impact on 3 leads" in md and "| near-threshold | stage | mql | lead |" in md
    missing = run(example_repo, "--leads", "nope.csv")
    assert missing.exit_code == 2 and "no such file" in missing.output
