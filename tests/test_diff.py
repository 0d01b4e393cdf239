"""The semantic diff, on real git repositories."""

from __future__ import annotations

import json
import os
import re
import subprocess

from click.testing import CliRunner

from generator.cli import main

from conftest import git, invoke_in, repo_state


def run(repo, *args):
    return invoke_in(repo, "diff", *args)


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
    assert re.search(r'BREAKING\s+The value proposition "reports-you-can-read" was removed, but 3 definitions on '
                     r'the new side still refer to "reports-you-can-read" \(.*local-service-owner.*\)', result.output)
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


# ---------------------------------------------------------------- references judged on the new side


def check_json(repo):
    result = invoke_in(repo, "check", "--format", "json", "--today", "2026-11-22")
    return sorted((f["code"], f["location"]["path"] if isinstance(f.get("location"), dict) else f.get("path"),
                   f["location"]["line"] if isinstance(f.get("location"), dict) else f.get("line"))
                  for f in json.loads(result.output)["findings"])


def rename_team(repo, new_id, new_name=None, keep_in=()):
    """Rename the team client-services everywhere, except in the files ``keep_in``."""
    for folder in ("definitions", "personas"):
        for path in sorted((repo / folder).glob("*.yaml")):
            if path.relative_to(repo).as_posix() in keep_in:
                continue
            text = path.read_text()
            if new_name:
                text = text.replace("name: Client services", f"name: {new_name}")
            path.write_text(text.replace("client-services", new_id))


def test_team_replaced_with_every_reference_updated_is_not_breaking(example_repo):
    before = check_json(example_repo)
    rename_team(example_repo, "support", "Support")
    assert check_json(example_repo) == before  # the replacement leaves nothing dangling
    result = run(example_repo, "--fail-on", "breaking")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  - team client-services: Client services  definitions/teams.yaml" in lines
    assert "  + team support: Support  definitions/teams.yaml" in lines
    assert "      owner: client-services → support" in lines
    assert "BREAKING" not in result.output and "refer" not in result.output
    data = json.loads(run(example_repo, "--format", "json").output)
    assert [i for i in data["impacts"] if i["grade"] == "breaking"] == []
    assert data["summary"]["removed"] == 1 and data["summary"]["added"] == 1


def test_team_renamed_with_every_reference_updated_is_a_rename_without_grade(example_repo):
    rename_team(example_repo, "support")
    result = run(example_repo, "--fail-on", "warning")
    assert result.exit_code == 0, result.output
    assert "  → team support (was client-services): Client services  definitions/teams.yaml" \
        in result.output.splitlines()
    assert "Impacts" not in result.output


def test_rename_that_leaves_a_reference_behind_is_breaking_like_check(example_repo):
    rename_team(example_repo, "support", "Support", keep_in=("definitions/goals.yaml",))
    result = run(example_repo, "--fail-on", "breaking")
    assert result.exit_code == 1
    assert ('  BREAKING  The team "client-services" was removed, but 2 definitions on the new side still refer '
            'to "client-services" (case-studies, client-retention).  [referenced-entity-removed]'
            in result.output.splitlines()), result.output
    assert [f for f in check_json(example_repo) if f[0] == "PB023" and f[1] == "definitions/goals.yaml"]


def test_rename_that_leaves_a_reference_behind_says_so(example_repo):
    rename_team(example_repo, "support", keep_in=("personas/course-creator.yaml",))
    result = run(example_repo, "--fail-on", "breaking")
    assert result.exit_code == 1
    assert ('  BREAKING  The team "client-services" was renamed to "support", but 1 definition on the new side still '
            'refers to "client-services" (course-creator).  [referenced-entity-removed]'
            in result.output.splitlines()), result.output


# ---------------------------------------------------------------- an invalid entity is not removed


def test_stage_with_a_typo_is_unreadable_with_its_error_not_removed(example_repo):
    path = example_repo / "definitions/lifecycle.yaml"
    text = path.read_text()
    assert text.count("    order: 3\n") == 1
    path.write_text(text.replace("    order: 3\n", "    order: three\n"))
    line = text[:text.index("    order: 3\n")].count("\n") + 1
    result = run(example_repo)
    assert result.exit_code == 0  # --fail-on defaults to never
    assert result.output.splitlines() == [
        "Semantic diff: " + result.output.splitlines()[0].split("diff: ", 1)[1],
        "",
        "Errors on the head side (fix them: what they hide is left out of this comparison, not removed)",
        f'  definitions/lifecycle.yaml:{line}:12 PB010 In the lifecycle stage "mql", "order" should be a whole '
        'number (it is "three").',
        "",
        "Impacts",
        '  BREAKING  The head side has 1 error (listed under "Errors"): the lifecycle stage "mql" cannot be read '
        "there; it is left out of this comparison, not removed.  [errors-on-head]",
        "",
        "Changes",
        "  ? lifecycle stage mql: Marketing Qualified Lead  definitions/lifecycle.yaml  (cannot be read on the "
        f"head side; see definitions/lifecycle.yaml:{line}:12 PB010)",
        "",
        "1 entity changed (1 unreadable); impacts: 1 breaking.",
    ]
    assert run(example_repo, "--fail-on", "breaking").exit_code == 1
    data = json.loads(run(example_repo, "--format", "json").output)
    assert data["changes"] == [{"kind": "stage", "id": "mql", "name": "Marketing Qualified Lead",
                                "change": "unreadable", "path": "definitions/lifecycle.yaml", "old_id": None,
                                "side": "head", "fields": []}]
    assert data["errors"]["head"] == [{"code": "PB010", "path": "definitions/lifecycle.yaml", "line": line,
                                       "col": 12, "message": 'In the lifecycle stage "mql", "order" should be '
                                       'a whole number (it is "three").'}]
    assert "stage-removed" not in {i["code"] for i in data["impacts"]}
    md = run(example_repo, "--format", "markdown").output
    assert f"- `definitions/lifecycle.yaml:{line}:12` PB010 In the lifecycle stage \"mql\", \"order\" should be " \
        'a whole number (it is "three").' in md.splitlines()
    assert "- **unreadable** lifecycle stage `mql`: Marketing Qualified Lead (cannot be read on the head side; " \
        f"see definitions/lifecycle.yaml:{line}:12 PB010)" in md.splitlines()


def test_a_file_that_no_longer_parses_removes_nothing(example_repo):
    path = example_repo / "definitions/teams.yaml"
    path.write_text(path.read_text().replace("teams:\n", "teams:\n  oops: [\n", 1))
    result = run(example_repo, "--fail-on", "breaking", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["summary"]["removed"] == 0
    assert {c["change"] for c in data["changes"]} == {"unreadable"}
    assert {c["id"] for c in data["changes"]} >= {"client-services", "sales", "marketing", "leadership"}
    assert [i["code"] for i in data["impacts"]] == ["errors-on-head"]
    assert data["errors"]["head"] and data["errors"]["head"][0]["path"] == "definitions/teams.yaml"


def test_a_new_file_that_does_not_parse_is_reported_not_ignored(example_repo):
    (example_repo / "definitions/extra.yaml").write_text("glossary:\n  - id: extra\n    term: [unclosed\n")
    result = run(example_repo, "--fail-on", "breaking")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[2] == "Errors on the head side (fix them: what they hide is left out of this comparison, not removed)"
    assert lines[3] == ("  definitions/extra.yaml:4:1 PB001 The YAML cannot be read here: did not find expected ',' "
                        "or ']' (while parsing a flow sequence that starts on line 3). Check the indentation and "
                        "quotes.")
    assert '  BREAKING  The head side has 1 error (listed under "Errors"); what it hides cannot be compared.  ' \
        "[errors-on-head]" in lines
    assert lines[-1] == ("No changes in meaning could be seen, but the head side has 1 error and what it hides "
                         "is not compared.")


def test_a_stage_fixed_on_this_branch_is_not_added_and_not_breaking(example_repo):
    path = example_repo / "definitions/lifecycle.yaml"
    text = path.read_text()
    path.write_text(text.replace("    order: 3\n", "    order: three\n"))
    git(example_repo, "commit", "-qam", "a typo on main")
    path.write_text(text)
    result = run(example_repo, "--fail-on", "warning")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert '  INFO      The base side had 1 error (listed under "Errors"): the lifecycle stage "mql" cannot be read ' \
        "there; it is shown as unreadable there, not as added.  [errors-on-base]" in lines
    assert lines[2] == "Errors on the base side (what they hid there is shown as unreadable, not as added)"
    assert "stage-added" not in result.output and "+ lifecycle stage" not in result.output


# ---------------------------------------------------------------- changed text in full


def test_changed_statement_is_shown_in_full_with_the_changed_words_marked(example_repo):
    path = example_repo / "definitions/value-propositions.yaml"
    edit(path, "they are the only people you deal with. You get a real answer within one business day.\n"
               "    statements:",
         "they are the only people you ever deal with. You get a real answer within four business hours.\n"
         "    statements:")
    lines = run(example_repo).output.splitlines()
    at = lines.index("      statement:")
    assert lines[at + 1] == (
        "        Two named people run your account, your account manager and your campaign manager, and they are "
        "the only people you {+ever+} deal with. You get a real answer within [-one-] {+four+} business "
        "[-day.-] {+hours.+}")
    md = run(example_repo, "--format", "markdown").output.splitlines()
    assert ("  - `statement`: Two named people run your account, your account manager and your campaign manager, "
            "and they are the only people you **ever** deal with. You get a real answer within ~~one~~ **four** "
            "business ~~day.~~ **hours.**") in md


def test_marked_words_keep_line_breaks_and_escape_markdown():
    from generator.diff.report import _marked, _md_escape, _md_mark, _text_mark, word_diff
    runs = word_diff("First line *stays*\nsecond line goes", "First line *stays*\nsecond line comes back")
    assert _marked(runs, _text_mark) == "First line *stays*\nsecond line [-goes-] {+comes back+}"
    assert _marked(runs, _md_mark, _md_escape) == "First line \\*stays\\*\nsecond line ~~goes~~ **comes back**"


# ---------------------------------------------------------------- a comment GitHub accepts


def utf16(text):
    return len(text.encode("utf-16-le")) // 2


def big_glossary(n, words):
    out = ["glossary:"]
    for i in range(n):
        out += [f"  - id: big-term-{i}", f"    term: Big term {i}", "    owner: marketing",
                f"    definition: {words(i)}"]
    return "\n".join(out) + "\n"


def test_huge_change_set_is_folded_then_cut_under_the_comment_limit(example_repo):
    path = example_repo / "definitions/big-glossary.yaml"
    n = 600
    path.write_text(big_glossary(n, lambda i: " ".join(f"word{i}x{k}" for k in range(30))))
    git(example_repo, "add", "-A")
    git(example_repo, "commit", "-qm", "a big glossary")
    path.write_text(big_glossary(n, lambda i: " ".join(f"word{i}x{k}" if k % 3 else f"new{i}y{k}"
                                                        for k in range(30))))
    result = run(example_repo, "main", "--format", "markdown")
    assert result.exit_code == 0
    md = result.output
    assert utf16(md) <= 60_000 < 65_536
    head, _, rest = md.partition("<details>\n")
    assert 15_000 < utf16(head) <= 20_000
    folded, _, tail = rest.partition("</details>\n")
    assert folded.startswith("<summary>")
    shown = head.count("\n- **changed** glossary term")
    hidden = folded.count("\n- **changed** glossary term")
    shown_impacts, hidden_impacts = head.count("\n| 🔵 info |"), folded.count("\n| 🔵 info |")
    assert shown == 0 and shown_impacts > 0  # the impacts come first
    folded_said = f"{hidden_impacts} impacts and {hidden} changes" if hidden else f"{hidden_impacts} impacts"
    assert folded.splitlines()[0] == (f"<summary>More: {folded_said}, folded to keep this comment readable "
                                      "(click to open)</summary>")
    left_impacts, left = n - shown_impacts - hidden_impacts, n - hidden
    assert left > 0 and hidden_impacts > 0
    left_said = f"{left_impacts} impacts and {left} changes" if left_impacts else f"{left} changes"
    sha = re.search(r"`main \(([0-9a-f]+)\)`", md).group(1)
    assert tail.strip() == (f"**Left out:** {left_said} did not fit in a pull-request comment (GitHub's "
                            f"limit is 65,536 characters). Run `playbook diff {sha}` locally to see "
                            "everything (`--format json` for tools).")
    # every change is still in the text output
    assert run(example_repo, "main").output.count("  ~ glossary term big-term-") == n


def test_a_long_but_acceptable_change_set_is_folded_and_complete(example_repo):
    path = example_repo / "definitions/big-glossary.yaml"
    n = 60
    path.write_text(big_glossary(n, lambda i: " ".join(f"word{i}x{k}" for k in range(30))))
    git(example_repo, "add", "-A")
    git(example_repo, "commit", "-qm", "a big glossary")
    path.write_text(big_glossary(n, lambda i: " ".join(f"word{i}x{k}" if k % 3 else f"new{i}y{k}"
                                                        for k in range(30))))
    md = run(example_repo, "--format", "markdown").output
    assert 20_000 < utf16(md) <= 60_000
    assert "<details>" in md and "Left out" not in md
    assert md.count("- **changed** glossary term") == n


# ---------------------------------------------------------------- the playbook in a folder of the repository


def test_a_folder_as_the_last_argument_is_the_playbook_not_a_ref(tmp_path):
    import shutil
    from conftest import REPO
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "tests" / "fixtures" / "ledger-saas", repo / "sales")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "start")
    glossary = next((repo / "sales" / "definitions").glob("glossary.yaml"))
    text = glossary.read_text()
    first_definition = next(line for line in text.splitlines() if "definition:" in line)
    glossary.write_text(text.replace(first_definition, first_definition + " Now longer.", 1))
    for args in (["sales/"], ["main", "sales"], ["main", "sales/"]):
        result = run(repo, *args)
        assert result.exit_code == 0, (args, result.output)
        assert "Semantic diff: main (" in result.output and "→ working tree" in result.output
        assert "changed" in result.output and "glossary term" in result.output
    # a branch with the folder's name: which one is meant is asked, never guessed
    git(repo, "branch", "sales")
    result = run(repo, "sales")
    assert result.exit_code == 2
    assert '"sales" is both a folder here and a git ref' in result.output and "./sales" in result.output
    assert "changed" in run(repo, "./sales").output
    assert run(repo, "refs/heads/sales", "HEAD", "sales").exit_code == 0
