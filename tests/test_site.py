"""The site: Markdown rendering, the real MkDocs (and Zensical) build, and its safety nets."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import model as m
from generator.check import run_check
from generator.cli import main
from generator.config import find_config, load_config
from generator.render import Renderer, md_escape, safe_slug
from generator.render_tooltips import Abbreviations
from generator.site import generate

from conftest import REPO, TODAY, write_playbook


@pytest.fixture(scope="module")
def example():
    cfg = load_config(find_config(REPO))
    result = run_check(REPO, cfg, TODAY)
    return result.playbook, cfg


@pytest.fixture(scope="module")
def example_tree(example):
    pb, cfg = example
    return generate(pb, cfg, TODAY)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ---------------------------------------------------------------- rendering


def test_user_text_is_escaped():
    assert md_escape("<script>alert(1)</script>") == "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"
    assert md_escape("[click](javascript:alert(1))") == "\\[click\\]\\(javascript:alert\\(1\\)\\)"
    assert md_escape("- not a list") == "\\- not a list"
    assert md_escape("1. not a list") == "1\\. not a list"
    assert md_escape("a | b\nc") == "a \\| b c"


def test_ids_never_make_a_path_escape_its_folder():
    for bad in ("../../etc/passwd", "/abs", "a/b", "..", "Name With Spaces", ""):
        slug = safe_slug(bad)
        assert "/" not in slug and ".." not in slug and slug
    assert safe_slug("good-id") == "good-id"


def test_generation_is_deterministic(example):
    pb, cfg = example
    first = generate(pb, cfg, TODAY).files
    second = generate(run_check(REPO, cfg, TODAY).playbook, cfg, TODAY).files
    assert first == second


def test_every_page_kind_is_generated(example_tree, example):
    pb, _ = example
    files = example_tree.files
    for path in ("index.md", "personas/index.md", "lifecycle/index.md", "handoffs.md", "nurture-tracks.md",
                 "scoring.md", "value-propositions/index.md", "qualifying-questions/index.md",
                 "complaints/index.md", "service-commitments.md", "goals.md", "campaigns.md",
                 "teams.md", "meetings.md", "glossary.md", "tags.md", "deal-alignment.md",
                 "how-to-propose-a-change.md"):
        assert path in files, path
    for p in pb.personas:
        assert f"personas/{p.id}.md" in files
    for s in pb.stages:
        assert f"lifecycle/{s.id}.md" in files
    for v in pb.of("proposition"):
        assert f"value-propositions/{v.id}.md" in files
    for c in pb.of("complaint"):
        assert f"complaints/{c.id}.md" in files
    buyers = [p for p in pb.personas if p.kind == "buyer"]
    assert sum(1 for f in files if "call-sheet-" in f) == len(buyers)


def test_every_reference_is_a_link_both_ways(example):
    pb, cfg = example
    renderer = Renderer(pb, cfg, TODAY)
    pages = {p.path: p for p in renderer.pages()}
    texts = {path: renderer.render(page) for path, page in pages.items()}
    place = {kind: pattern for kind, (pattern, _) in __import__("generator.render", fromlist=["_PLACES"])._PLACES.items()}
    checked = 0
    for ref in pb.references:
        src = ref.source
        if not isinstance(src, m.Entity) or pb.get(ref.kind, ref.target) is None or ref.kind == "role":
            continue
        src_page = place[src.KIND].format(id=src.id)
        dst_page = place[ref.kind].format(id=ref.target)
        renderer.current = src_page
        forward = (f"]({renderer.url(ref.kind, ref.target)})", f'href="{renderer.html_url(ref.kind, ref.target)}"')
        renderer.current = dst_page
        # "Referred to by" is an HTML block: its links carry the built site's address
        backward = (f"]({renderer.url(src.KIND, src.id)})", f'href="{renderer.html_url(src.KIND, src.id)}"')
        assert any(f in texts[src_page] for f in forward), (src.id, ref.path, forward)
        assert any(b in texts[dst_page] for b in backward), (ref.target, "should link back to", src.id)
        checked += 1
    assert checked > 100


def test_html_links_reach_the_page_the_engine_serves(example):
    """Links written as HTML carry the address the engine gives a page (``x.md`` and
    ``x/index.md`` are served as ``x/``), relative to the page they are on."""
    pb, cfg = example
    r = Renderer(pb, cfg, TODAY)
    r.current = "value-propositions/scale-profitably.md"
    assert r.html_url("persona", "ecommerce-founder") == "../../personas/ecommerce-founder/"
    assert r.html_url("term", "mql") == "../../glossary/#mql"
    r.current = "teams.md"
    assert r.html_url("stage", "mql") == "../lifecycle/mql/"
    assert r.html_url("team", "sales") == "#sales"
    r.current = "index.md"
    assert r.html_url("question", "who-decides") == "qualifying-questions/#who-decides"
    r.current = "lifecycle/index.md"
    assert r.html_url("reason", next(iter(pb.known_ids["reason"]))).startswith("#")
    assert r.html_link("persona", "no-such-persona") == "<del>no-such-persona</del>"


def test_pages_carry_owner_status_review_and_abbreviations(example_tree):
    page = example_tree.files["personas/ecommerce-founder.md"]
    # the line is HTML, with the address the engine serves the teams page at
    assert '<p class="pb-meta" data-search-exclude><strong>Owner</strong> <a href="../../teams/#marketing">Marketing</a>' in page
    assert "<strong>Status</strong> approved" in page and "<strong>Last reviewed</strong> 2026-10-06" in page
    # tooltips: Markdown text gets the definitions of its words, HTML blocks mark their own
    assert "\n*[return on ad spend]: " in page
    assert '<abbr title="A lead with a fit score' in page and ">MQL</abbr>" in page
    assert ">discovery call</abbr>" in page  # multi-word terms too
    assert "\n*[Lead]: " not in page and ">Lead</abbr>" not in page  # single common words would be everywhere
    assert "\n*[Deal alignment]: " not in page  # only the words that occur on the page
    assert "\n*[MQL]: " not in page  # only the words of its Markdown
    assert "Propose a change" not in page  # no repository configured


def _html_with_abbreviations(text: str) -> str:
    import markdown
    return markdown.markdown(text, extensions=["abbr", "attr_list", "tables", "md_in_html", "def_list"])


def test_per_page_abbreviations_lose_no_tooltip(example, example_tree):
    """Listing only the words a page uses gives the same HTML as listing the whole glossary."""
    pb, cfg = example
    renderer = Renderer(pb, cfg, TODAY)
    full = "\n" + "\n".join(f"*[{a}]: {d}" for a, d in renderer.abbr.abbreviations) + "\n"
    compared = 0
    for path, text in example_tree.files.items():
        if not path.endswith(".md") or path == "glossary.md":
            continue
        body = text.split("\n*[", 1)[0].rstrip("\n") + "\n"
        assert _html_with_abbreviations(text) == _html_with_abbreviations(body + full), path
        compared += 1
    assert compared > 40
    # the glossary writes every definition out; tooltips there would repeat the page
    assert "\n*[" not in example_tree.files["glossary.md"]
    assert "\n*[MQL]: " in example_tree.files["handoffs.md"]
    assert sum(text.count("\n*[") for text in example_tree.files.values()) < compared * len(renderer.abbr.abbreviations) / 3


def test_abbreviation_finder_agrees_with_the_whole_glossary_pattern(example, example_tree):
    """The shortcut that looks only at abbreviations whose words occur finds every abbreviation
    that one pattern of the whole glossary (longest first, whole words, as the abbr extension
    builds it) marks, and nothing that does not occur as a whole word."""
    import random
    words = ["MQL", "MQLs", "SQL", "C++", "Q&A", "A/B test", "a/b test", "discovery call", "call",
             "Ünïcode term", "T0", "T01", "3PL", "e-commerce", "commerce", "&", "(x)", "Deal alignment",
             "test call", "B test"]
    abbr = Abbreviations(sorted((w, "meaning") for w in words))
    ordered = sorted(words, key=len, reverse=True)
    whole = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in ordered) + r")\b")
    alone = {w: re.compile(r"\b" + re.escape(w) + r"\b") for w in words}
    pieces = words + ["a", "b", "test", "x", "discovery", "Ünïcode", "MQ", "L", "T", "0", "++", "e", "-",
                      "/", "&amp;", " ", " ", ".", "(", ")", "\\", "_", "é", "²", "٣"]
    rng = random.Random(7)
    texts = ["".join(rng.choice(pieces) + rng.choice(["", " ", "", "-"]) for _ in range(rng.randint(1, 12)))
             for _ in range(3000)]
    texts += list(example_tree.files.values())
    found_any = covered = 0
    for text in texts:
        found = abbr.found_in(text)
        marked = set(whole.findall(text))
        assert marked <= found, text
        assert found == {w for w in words if alone[w].search(text)}, text
        found_any += bool(found)
        covered += found != marked
    assert found_any > 1000 and covered > 10  # some texts have an abbreviation inside a longer one


def test_each_abbreviation_definition_is_a_paragraph_of_its_own(example_tree):
    """The abbr extension reads one definition per pass over a paragraph; one paragraph of n
    definitions costs the engine n² work."""
    pages = 0
    for path, text in example_tree.files.items():
        lines = text.splitlines()
        defs = [i for i, line in enumerate(lines) if line.startswith("*[")]
        assert all(lines[i - 1] == "" for i in defs), path
        pages += len(defs) > 1
    assert pages > 10


def test_expectation_gaps_are_highlighted(example_tree):
    negative = example_tree.files["personas/always-on-client.md"]
    assert "pb-gap" in negative and "Gap: expects more than we deliver" in negative
    buyer = example_tree.files["personas/ecommerce-founder.md"]
    assert "pb-fit" in buyer and "pb-gap" not in buyer


def test_lifecycle_diagram_is_inline_svg(example_tree):
    page = example_tree.files["lifecycle/index.md"]
    assert '<div class="pb-diagram"><svg' in page
    for stage in ("subscriber", "mql", "customer"):
        assert f'href="{stage}/"' in page


def test_overdue_review_is_visible(example):
    pb, cfg = example
    import datetime as dt
    files = generate(pb, cfg, dt.date(2028, 1, 1)).files
    assert "Review overdue since" in files["personas/ecommerce-founder.md"]
    assert "## Overdue for review" in files["index.md"] and "pb-overdue" in files["index.md"]
    assert "Nothing is overdue" in generate(pb, cfg, TODAY).files["index.md"]


def test_edit_link_appears_when_configured(example):
    pb, cfg = example
    import copy
    cfg2 = copy.copy(cfg)
    cfg2.site = {"edit_url": "https://git.example.com/acme/playbook/edit/main/{path}"}
    page = generate(pb, cfg2, TODAY).files["personas/ecommerce-founder.md"]
    assert '<a class="pb-edit" href="https://git.example.com/acme/playbook/edit/main/personas/ecommerce-founder.yaml">Propose a change</a>' in page


def test_tags_index_links_entities(example_tree):
    tags = example_tree.files["tags.md"]
    assert "## Owner: Marketing { #tag-owner-marketing }" in tags
    assert "## Negative persona { #tag-persona-negative }" in tags
    assert '<a class="pb-tag" href="../../tags/#tag-owner-marketing">' in example_tree.files["personas/ecommerce-founder.md"]


def test_hand_written_page_cannot_replace_a_generated_one(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales}\n",
                                     "playbook/glossary.md": "# Mine\n"})
    result = invoke("build", root, "--site-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert "playbook/glossary.md has the same path as a generated page" in result.output
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- real builds


@pytest.fixture(scope="module")
def built_example(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    md = tmp_path_factory.mktemp("md") / "docs"
    result = invoke("build", REPO, "--site-dir", out, "--strict", "--today", "2026-11-22", "--markdown-dir", md)
    assert result.exit_code == 0, result.output
    return out, md


def test_example_builds_strictly_with_material(built_example, example_tree):
    out, md = built_example
    for path in example_tree.files:
        if path.endswith(".md"):
            html = out / (path[:-3].removesuffix("index") + "/index.html" if not path.endswith("index.md")
                          else path[:-len("index.md")] + "index.html")
            assert html.is_file(), html
    index = json.loads((out / "search" / "search_index.json").read_text())
    html = (out / "deal-alignment" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<abbr title="[^"]+">(MQL|deal alignment|Deal alignment)</abbr>', html)
    titles = {d["title"] for d in index["docs"]}
    assert "Sales Qualified Lead (SQL)" in titles
    assert any("daily calls" in d["text"].lower() for d in index["docs"] if d["location"].startswith("personas/always-on-client/"))
    # the Markdown copy is exactly what was generated
    assert (md / "personas" / "ecommerce-founder.md").read_text() == example_tree.files["personas/ecommerce-founder.md"]


def test_no_markdown_leaks_into_the_html(built_example):
    """A template slip (a table glued to a paragraph, an escaped marker) shows up as raw syntax."""
    out, _ = built_example
    for html in out.rglob("*.html"):
        text = re.sub(r"<(script|style)\b.*?</\1>", "", html.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"<[^>]+>", "", text)
        for leak in ("| --- |", "{: .", "{ #", "**", "](", "\\"):
            assert leak not in text, (html, leak, text[max(0, text.find(leak) - 80):text.find(leak) + 80])


def test_built_site_references_no_outside_host(built_example):
    out, _ = built_example
    for html in out.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for attr in re.findall(r'(?:src|href)="(https?://[^"]+)"', text):
            assert attr.startswith("https://git.example.com") or "fonts.g" not in attr
            assert not re.match(r"https?://[^/]+/.*\.(js|css|woff2?|png|svg)", attr), (html, attr)
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text
        assert "unpkg.com" not in text


def test_check_errors_block_the_build(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales}\n  - {id: sales, name: Again}\n"})
    result = invoke("build", root, "--site-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert "PB020" in result.output and "--allow-errors" in result.output
    assert not (tmp_path / "out").exists()
    result = invoke("build", root, "--site-dir", tmp_path / "out", "--allow-errors")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "index.html").is_file()


def test_failed_build_leaves_the_previous_site_intact(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales}\n",
                                            "playbook/guide.md": "# Guide\n\nSee [the plan](plan.md).\n"})
    out = tmp_path / "out"
    (root / "playbook" / "plan.md").write_text("# Plan\n")
    assert invoke("build", root, "--site-dir", out, "--strict").exit_code == 0
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (root / "playbook" / "plan.md").unlink()  # now the guide has a broken link
    result = invoke("build", root, "--site-dir", out, "--strict")
    assert result.exit_code == 1
    assert "previous site is unchanged" in result.output
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "pb"]  # no leftovers
    # without --strict the broken link is a warning and the site is rebuilt
    result = invoke("build", root, "--site-dir", out)
    assert result.exit_code == 0
    assert "plan.md" in result.output
    assert not (out / "plan" / "index.html").exists()


def test_zensical_builds_the_same_tree(tmp_path):
    if shutil.which("zensical") is None and not (Path(__import__("sys").executable).with_name("zensical")).exists():
        pytest.fail("zensical is not installed; pip install -e '.[test]'")
    out = tmp_path / "zsite"
    result = invoke("build", REPO, "--site-dir", out, "--engine", "zensical", "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    page = (out / "personas" / "ecommerce-founder" / "index.html").read_text(encoding="utf-8")
    assert "Erin, the growth-focused e-commerce founder" in page
    assert (out / "lifecycle" / "sql" / "index.html").is_file()
    assert "<svg" in (out / "lifecycle" / "index.html").read_text(encoding="utf-8")


def test_injected_markup_is_escaped_in_the_html(tmp_path):
    root = write_playbook(tmp_path / "pb", {
        "definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales}\n",
        "personas/evil.yaml": 'id: evil\nname: "</title><script>alert(1)</script> Evil"\ngoals: ["<img src=x onerror=alert(2)>"]\n'})
    out = tmp_path / "out"
    assert invoke("build", root, "--site-dir", out, "--allow-errors").exit_code == 0
    html = (out / "personas" / "evil" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "</title><script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "onerror=alert(2)" not in html.replace("&lt;img src=x onerror=alert(2)&gt;", "")


# ---------------------------------------------------------------- worked examples


def test_stage_pages_show_their_worked_examples_with_the_computed_stage(example_tree, example):
    pb, cfg = example
    renderer = Renderer(pb, cfg, TODAY)
    stages_with_examples = [s for s in pb.stages if s.examples]
    assert len(stages_with_examples) == len(pb.stages)  # the example playbook has one for every stage
    for stage in stages_with_examples:
        page = example_tree.files[f"lifecycle/{stage.id}.md"]
        assert "## Worked examples { #examples }" in page
        for index, ex in enumerate(stage.examples, start=1):
            scored = renderer.worked(ex)
            assert not isinstance(scored, str), scored
            assert scored.stage == (ex.expect.stage or stage.id)
            assert f"### {md_escape(ex.name)} {{ #example-{index} }}" in page
            target = pb.get("stage", scored.stage)
            assert f"- **Stage:** [{md_escape(renderer.title_of(target))}]({scored.stage}.md)" in page
            assert f"fit **{scored.fit:g}** + engagement **{scored.engagement:g}**" in page
            for event in ex.events:
                assert event.date.isoformat() in page
        assert "playbook check fails this example" not in page


def test_mql_example_lists_its_events_with_decay(example_tree):
    page = example_tree.files["lifecycle/mql.md"]
    assert "**The lead:** email opt in *yes*" in page
    assert "| Downloaded a guide or checklist | 2026-09-30 (53 days before) | 5 × 0.75 = 3.75 |" in page
    assert "| Requested the free ad-account audit | 2026-11-18 (4 days before) | +25 |" in page
    assert "fit **55** + engagement **28.75** = **83.75**" in page


def test_scoring_page_shows_the_decay_arithmetic(example_tree):
    page = example_tree.files["scoring.md"]
    assert "## Worked examples { #worked-example }" in page
    assert "loses 25% every 30 days" in page and "× 0.5625 from day 60" in page
    # the cooling dental practice: each event decayed by its age, then summed
    assert "| call\\_booked on 2026-10-01, 52 days old | 25 × 0.75 = 18.75 |" in page
    assert "| webinar\\_attended on 2026-10-10, 43 days old | 15 × 0.75 = 11.25 |" in page
    assert "| guide\\_downloaded on 2026-11-10, 12 days old | 5 × 1 = 5 |" in page
    assert "fit **45** + engagement **35** = **80** → band **Hot: likely MQL, check fit** → stage **[" in page
    # the busy founder: the engagement cap and the overall limit
    assert "over the cap of 50: 60 → 50 | **50** |" in page
    assert "= **105**, over the overall limit of 100, so **100**" in page
    # the agency: a negative event decays too, and the fit penalty outweighs everything
    assert "| careers\\_page\\_viewed on 2026-10-20, 33 days old | -15 × 0.75 = -11.25 |" in page
    assert "| **Sum** | within the cap of 60 | **-85** |" in page
    assert "band **Excluded: not someone we can serve**" in page


def test_scoring_page_keeps_the_persona_example_without_scoring_examples(tmp_path):
    root = write_playbook(tmp_path, {
        "definitions/scoring.yaml": """
            scoring:
              id: lead-score
              name: Lead score
              groups:
                - id: fit
                  kind: fit
                  rules:
                    - {id: shop, when: {industry: {eq: ecommerce}}, points: 30}
            """,
        "personas/shop.yaml": "id: shop\nname: Shop\nkind: buyer\ncriteria:\n  - industry: {eq: ecommerce}\n"})
    from generator.config import Config
    pb = run_check(root, Config(), TODAY).playbook
    page = generate(pb, Config(), TODAY).files["scoring.md"]
    assert "## Worked example { #worked-example }" in page
    assert "A lead who looks like" in page


def test_worked_examples_escape_user_text_and_flag_failures(tmp_path):
    root = write_playbook(tmp_path, {
        "definitions/scoring.yaml": """
            scoring:
              id: lead-score
              name: Lead score
              groups:
                - id: fit
                  kind: fit
                  rules:
                    - {id: shop, name: "Shop <b>owner</b>", when: {industry: {eq: ecommerce}}, points: 30}
                - id: engagement
                  kind: engagement
                  decay: {percent: 50, every: 30d}
                  rules:
                    - {id: call, event: call_booked, points: 20}
            """,
        "definitions/lifecycle.yaml": """
            stages:
              - id: lead
                name: Lead
                order: 1
              - id: mql
                name: MQL
                order: 2
                entry: {all: [{fit_score: {gte: 30}}, {engagement_score: {gte: 20}}]}
                examples:
                  - name: "<script>alert(1)</script> [x](javascript:alert(2))"
                    lead: {industry: "<img src=x onerror=alert(3)>", job_title: "*bold*"}
                    events: [{type: call_booked, date: 2026-09-01}]
                    as_of: 2026-11-01
                  - name: Unknown event
                    events: [{type: fax_sent, date: 2026-09-01}]
            """})
    from generator.config import Config
    pb = run_check(root, Config(), TODAY).playbook
    page = generate(pb, Config(), TODAY).files["lifecycle/mql.md"]
    assert "<script>" not in page and "<img" not in page and "](javascript" not in page
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in page
    assert "*\\*bold\\**" in page
    # two months old: 20 × 0.25 = 5, so the lead is not an MQL and the page says the check fails
    assert "20 × 0.25 = 5" in page
    assert '!!! failure "playbook check fails this example (PB801)"' in page
    assert "It expects the stage mql, but the definitions put it in lead." in page
    assert '!!! failure "This example cannot be scored"' in page
    assert "unknown event type" in page


def _asked(page: str) -> list[str]:
    # each question is an item of the sheet's numbered lists, in the order asked
    return re.findall(r'^<p><span class="pb-tick"></span><strong id="[^"]*">(.*?)</strong></p>$', page, re.MULTILINE)


def test_call_sheets_ask_in_the_order_written_with_an_explicit_order_first(tmp_path):
    files = {"definitions/teams.yaml": """
        teams:
          - id: sales
            name: Sales
        """, "definitions/lifecycle.yaml": """
        stages:
          - {id: lead, name: Lead, order: 1, owner: sales}
          - {id: call, name: Discovery call, order: 2, owner: sales}
        transitions:
          - {from: lead, to: call}
        """, "personas/buyer.yaml": """
        id: buyer
        name: Buyer
        owner: sales
        """, "definitions/qualifying-questions.yaml": """
        qualifying_questions:
          - {id: zebra, question: Zebra first written?, asked_at: call, owner: sales}
          - {id: apple, question: Apple second written?, asked_at: call, owner: sales}
          - {id: mango, question: Mango asked first?, asked_at: call, call_order: 1, owner: sales}
          - {id: kiwi, question: Kiwi at the earlier stage?, asked_at: lead, owner: sales}
        """}
    root = write_playbook(tmp_path, files)
    result = run_check(root, load_config(None), TODAY)
    page = generate(result.playbook, load_config(None), TODAY).files["qualifying-questions/call-sheet-buyer.md"]
    assert _asked(page) == ["Kiwi at the earlier stage?", "Mango asked first?", "Zebra first written?",
                            "Apple second written?"]


def test_the_examples_most_important_question_opens_its_stage(example_tree):
    page = example_tree.files["qualifying-questions/call-sheet-ecommerce-founder.md"]
    parts = re.split(r"^## At .*\\\((SAL|SQL)\\\) \{ #at-\w+ \}$", page, flags=re.MULTILINE)
    assert [parts[1], parts[3]] == ["SAL", "SQL"], "one section per stage, in the stages' order"
    sal, sql = _asked(parts[2]), _asked(parts[4])
    assert sal and sql
    assert sql[0] == "If we worked together, what do you think that relationship should look like?"
    assert sal[0].startswith("What&#39;s not working")  # the first question written, not the first id
    # one numbered list per stage, numbered on across the stages by the stylesheet's counter,
    # which the page resets once and each question of a top-level list counts
    assert [part.count("\n<ol>\n") for part in (parts[2], parts[4])] == [1, 1]
    assert page.count("<li>\n<p><span class=\"pb-tick\"></span><strong") == len(sal) + len(sql)
    css = example_tree.files["assets/playbook.css"]
    assert ".md-typeset:has(.pb-callsheet-intro) { counter-reset: pb-question; }" in css
    assert ".md-typeset:has(.pb-callsheet-intro) > ol > li { counter-increment: pb-question; }" in css


def test_a_script_or_stylesheet_from_another_host_is_warned_about_and_strict_refuses_it(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales}\n"})
    (root / "mkdocs.yml").write_text(
        "site_name: Ours\nsite_url: https://playbook.example.org/\n"
        "extra_javascript:\n  - js/local.js\n  - https://cdn.example.com/track.js\n"
        "  - https://playbook.example.org/own.js\n"
        "extra_css:\n  - //fonts.example.net/f.css\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("build", root, "--site-dir", out)
    assert result.exit_code == 0, result.output
    assert "mkdocs.yml:5:5: extra_javascript loads the script https://cdn.example.com/track.js from another host " \
           "(cdn.example.com)" in result.output
    assert "mkdocs.yml:8:5: extra_css loads the stylesheet //fonts.example.net/f.css" in result.output
    assert "local.js" not in result.output and "own.js" not in result.output  # its own files and host
    assert (out / "index.html").is_file()
    result = invoke("build", root, "--site-dir", tmp_path / "strict", "--strict")
    assert result.exit_code == 1
    assert "(--strict)" in result.output and "cdn.example.com" in result.output
    assert not (tmp_path / "strict").exists()
    (root / "mkdocs.yml").write_text("site_name: Ours\nextra_javascript: [js/local.js]\n", encoding="utf-8")
    result = invoke("build", root, "--site-dir", out)
    assert result.exit_code == 0 and "another host" not in result.output


def test_html_blocks_mark_the_abbreviations_the_engine_marks_in_markdown(example):
    """Text the pages write as HTML (which the abbr extension leaves alone) carries the same
    tooltips as the same text written as Markdown: the same words marked, with the same
    definitions, and the same text around them."""
    import html
    import markdown
    pb, cfg = example
    renderer = Renderer(pb, cfg, TODAY)
    full = "\n\n".join(f"*[{a}]: {d}" for a, d in renderer.abbr.abbreviations)
    texts = {str(t) for p in pb.personas for t in [*p.goals, *p.challenges, p.summary or ""]}
    texts |= {a.text for q in pb.of("question") for a in [*q.acceptable, *q.red_flags]}
    texts |= {o.response for p in pb.personas for o in p.objections if o.response}
    marked = 0

    def parts(fragment):
        return [(html.unescape(title), html.unescape(word)) for title, word in
                re.findall(r'<abbr title="([^"]*)">([^<]*)</abbr>', fragment)], html.unescape(re.sub(r"<[^>]+>", "", fragment))

    for text in sorted(texts):
        engine = markdown.markdown(f"{md_escape(text)}\n\n{full}", extensions=["abbr"])
        ours = f"<p>{renderer.html_text(text)}</p>"
        assert parts(ours) == parts(engine), text
        marked += "<abbr" in ours
    assert marked > 5
    renderer.tooltips = False  # the glossary page marks nothing
    assert all("<abbr" not in renderer.html_text(t) for t in texts)


def test_html_blocks_reach_the_page_as_written_without_being_parsed():
    """The generated pages' complete HTML blocks are marked, and the extension hands them to the
    page as they are: the same HTML as the Markdown engine makes of them without it. A block
    whose content is Markdown, one left open, and a paragraph that only starts with a tag are
    not marked."""
    import markdown
    from generator import markdown_blocks as mb
    text = ("# Title\n\n<table>\n<tr><td>a &amp; b</td></tr>\n</table>\n\n"
            "<div class=\"grid\" markdown>\n\n- **md**\n\n</div>\n\n"
            "<div>\nleft open\n\n</div>\n\n<span>inline</span> and **bold**\n\n"
            "<ul data-search-exclude>\n<li><a href=\"../x/\">x</a></li>\n</ul>\n")
    wrapped = mb.wrap(text)
    assert wrapped.count(mb.OPEN) == 2 and wrapped.count(mb.CLOSE) == 2
    assert f"{mb.OPEN}\n<table>" in wrapped and f"{mb.OPEN}\n<ul data-search-exclude>" in wrapped
    assert wrapped.endswith(f"</ul>\n{mb.CLOSE}\n")  # the page's last newline stays
    extensions = ["md_in_html", "attr_list", "tables"]
    plain = markdown.markdown(text, extensions=extensions)
    passed = markdown.markdown(wrapped, extensions=extensions + ["generator.markdown_blocks"])
    assert re.sub(r"\n+", "\n", passed) == re.sub(r"\n+", "\n", plain)  # up to blank lines
    # without the extension the marks are comments around the same blocks
    assert mb.OPEN in markdown.markdown(wrapped, extensions=extensions)


def test_the_engine_loads_the_html_block_extension(example, example_tree, tmp_path):
    from generator.site import engine_config
    pb, cfg = example
    conf = engine_config(pb, cfg, example_tree, tmp_path / "docs", tmp_path / "site")
    assert "generator.markdown_blocks" in conf["markdown_extensions"]
    page = example_tree.files["personas/ecommerce-founder.md"]
    assert page.count("<!-- pb-html -->") == page.count("<!-- /pb-html -->") > 5
    assert "<!-- pb-html -->" not in example_tree.files["index.md"]  # the team's own Markdown


def test_relative_addresses_are_those_posixpath_gives():
    import itertools
    import posixpath
    from generator.render_links import relative
    paths = [".", "a", "b", "a/b", "a/c", "a/b/c", "ab/b", "x/y/z"]
    for there, here in itertools.product(paths, paths):
        assert relative(there, here) == posixpath.relpath(there, here), (there, here)


def test_words_the_templates_write_in_html_blocks_carry_tooltips_too(example_tree):
    """A glossary word in a label of an HTML block has its tooltip, as it had in Markdown; the
    lists of links and the lifecycle diagram get none."""
    page = example_tree.files["personas/always-on-client.md"]
    assert re.search(r'<th><abbr title="[^"]*">Negative persona</abbr></th>', page)
    assert re.search(r'<p class="admonition-title"><abbr title="[^"]*">Negative persona</abbr>: we do not', page)
    referred = example_tree.files["personas/ecommerce-founder.md"].split('<div class="pb-referred"', 1)[1]
    assert "<abbr" not in referred.split("</div>", 1)[0]
    assert "<abbr" not in example_tree.files["lifecycle/index.md"].split('<div class="pb-diagram">', 1)[1].split("</svg>", 1)[0]
