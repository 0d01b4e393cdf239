"""The site as its readers see it: names instead of ids, call sheets, the home page, the lifecycle
diagram on a phone, and search in the team's words.

The id scan builds the example and the second playbook (tests/fixtures/ledger-saas) with the real
engine and reads the visible text of every page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

import pytest
import yaml

from generator import model as m
from generator.check import run_check
from generator.config import Config, find_config, load_config
from generator.site import generate

from conftest import REPO, TODAY, invoke_in, write_playbook

LEDGER = REPO / "tests" / "fixtures" / "ledger-saas"


# ---------------------------------------------------------------- names, never ids

class _Visible(HTMLParser):
    """The text a reader sees: no code, no scripts, no attributes (links' targets hold ids)."""

    SKIP = {"code", "pre", "script", "style", "head"}

    def __init__(self):
        super().__init__()
        self.depth, self.out = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.out.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.out)


def _data_words(root: Path) -> str:
    """Text the team wrote that a page may show as written: sentences, lead field values, CRM
    values, event names, promised values, and the hand-written pages."""
    out = []

    def walk(value, key=None):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and (" " in value.strip() or key in (
                "in", "not_in", "eq", "ne", "event", "type", "hubspot", "salesforce", "value")):
            out.append(value)

    for path in sorted(root.glob("personas/*.yaml")) + sorted(root.glob("definitions/*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    out += [p.read_text(encoding="utf-8") for p in sorted(root.glob("playbook/*.md"))]
    return "\n".join(out)


def shown_ids(pb) -> dict[str, str]:
    """Every id that has a name for people -> what it is: entities, roles, severities, bands,
    scoring groups and rules, metrics, buying roles, frameworks and their dimensions."""
    ids: dict[str, str] = {}
    for e in pb.all_entities:
        ids[e.id] = e.KIND
        if isinstance(e, m.ScoringModel):
            for g in e.groups:
                ids[g.id] = "scoring group"
                ids.update({r.id: "scoring rule" for r in g.rules})
            ids.update({b.id: "band" for b in e.bands})
        if isinstance(e, m.ComplaintProcedure):
            ids.update({s.id: "severity" for s in e.severities})
        if isinstance(e, m.Team):
            ids.update({r.id: "role" for r in e.roles})
    ids.update({metric: "metric" for metric in pb.metrics})
    ids.update({v: "buying role" for v in get_args(get_args(m.Persona.model_fields["buying_role"].annotation)[0])})
    ids.update({v: "evidence source" for v in m.EVIDENCE_SOURCES})
    for fw, dims in m.FRAMEWORKS.items():
        ids[fw] = "framework"
        ids.update({d: "framework dimension" for d in dims})
    return ids


def id_pattern(root: Path, pb) -> tuple[re.Pattern, dict[str, str]]:
    """A pattern for the ids a reader should never see, in the forms they leak in.

    An id of several words (``economic-buyer``, ``response_time``) is looked for as written and
    in capitals (``DEAL-ALIGNMENT``); a one-word id of an entity or role (``mql``) as written.
    One-word vocabulary (``scope``, ``user``) is everyday English and not looked for. A form that
    the team's own text uses (a lead field value, a sentence) may appear.
    """
    data = _data_words(root)
    entity_kinds = set(m.ENTITY_CLASSES) | {"role"}
    forms = {}
    for ident, kind in shown_ids(pb).items():
        multi = bool(re.search(r"[-_]", ident))
        if not multi and kind not in entity_kinds:
            continue
        for form in ((ident, ident.upper()) if multi else (ident,)):
            if not re.search(r"(?<![\w-])" + re.escape(form) + r"(?![\w-])", data):
                forms[form] = kind
    alternatives = "|".join(sorted(map(re.escape, forms), key=len, reverse=True))
    return re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])"), forms


def leaked_ids(root: Path, site: Path, pb) -> list[str]:
    pattern, forms = id_pattern(root, pb)
    found = []
    for page in sorted(site.rglob("*.html")):
        text = visible_text(page.read_text(encoding="utf-8"))
        for hit in pattern.finditer(text):
            context = " ".join(text[max(0, hit.start() - 50):hit.end() + 30].split())
            found.append(f"{page.relative_to(site)}: {forms[hit.group(1)]} id {hit.group(1)!r} in …{context}…")
    return found


def _load(root: Path):
    cfg = load_config(find_config(root))
    return run_check(root, cfg, TODAY).playbook, cfg


@pytest.fixture(scope="module")
def example():
    return _load(REPO)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The example and the second playbook, each built once with the real engine."""
    sites = {}
    for name, root in (("example", REPO), ("ledger", LEDGER)):
        out = tmp_path_factory.mktemp(name) / "site"
        md = tmp_path_factory.mktemp(name + "-md") / "docs"
        result = invoke_in(root, "build", "--site-dir", out, "--today", TODAY.isoformat(), "--markdown-dir", md)
        assert result.exit_code == 0, result.output
        sites[name] = (root, out, md)
    return sites


@pytest.mark.parametrize("name", ["example", "ledger"])
def test_no_page_shows_an_id_that_has_a_name(built, name):
    root, site, _ = built[name]
    pb, _ = _load(root)
    pages = list(site.rglob("*.html"))
    assert len(pages) > 30
    leaks = leaked_ids(root, site, pb)
    assert not leaks, f"{len(leaks)} ids on the pages:\n" + "\n".join(leaks[:40])


def test_the_id_scan_finds_each_kind_of_leak(built):
    """The scan itself: ids in the forms they used to leak in are found, names are not."""
    root, _, _ = built["example"]
    pb, _ = _load(root)
    pattern, _ = id_pattern(root, pb)
    for leak in ("Tracking (operations-manager)", "Buying role economic-buyer", "owner: client-services",
                 "DEAL-ALIGNMENT: communication", "(response_time: 1d business)", "stage: mql",
                 "confirmed: response-time"):
        assert pattern.search(visible_text(f"<p>{leak}</p>")), leak
    for fine in ("Tracking (Operations manager)", "Buying role Economic buyer", "Owner: Client services",
                 "Deal alignment: Communication", "(Response time: 1 business day)", "Stage: MQL",
                 "<code>economic-buyer</code>", '<a href="../mql/">Marketing Qualified Lead</a>',
                 "industry is one of ecommerce, dtc"):
        assert not pattern.search(visible_text(f"<p>{fine}</p>")), fine


@pytest.mark.parametrize("name", ["example", "ledger"])
def test_no_empty_rows_or_placeholders(built, name):
    _, site, _ = built[name]
    for page in site.rglob("*.html"):
        text = " ".join(visible_text(page.read_text(encoding="utf-8")).split())
        for empty in ("not defined", "Volume committed —", "Cadence —", "Offer —", "Price —",
                      "Probes —", "HubSpot lifecycle stage —", "Back to —"):
            assert empty not in text, (page, empty)
        assert not re.search(r"-\d+–-?\d", text), (page, "a range written as -300–-1")


def test_values_and_vocabulary_read_as_words(built):
    _, _, md = built["example"]
    handoffs = (md / "handoffs.md").read_text()
    assert "**Follow up within** | 4 business hours" in handoffs
    persona = (md / "personas" / "ecommerce-founder.md").read_text()
    # the persona page's tables are HTML
    assert "<td><strong>Buying role</strong></td>\n<td>Economic buyer" in persona
    assert "(Time to reply: 1 business day)" in persona and "first-response\">" in persona
    assert "</a>: 1 business day</td>" in persona
    questions = (md / "qualifying-questions" / "index.md").read_text()
    assert "Deal alignment: Communication" in questions
    assert re.search(r"<td><strong>Authority</strong><br><small><abbr [^>]*>decision maker</abbr>, who decides", questions)
    complaint = (md / "complaints" / "billing-and-invoices.md").read_text()
    assert "**Tracking** — [Operations manager" in complaint
    scoring = (md / "scoring.md").read_text()
    assert re.search(r"\| Excluded[^|]*\| below 0 \|", scoring)
    tags = (md / "tags.md").read_text()
    assert "## Owner: Client services { #tag-owner-client-services }" in tags
    assert "## Stage: MQL { #tag-stage-mql }" in tags


# ---------------------------------------------------------------- search in the readers' words

from test_browser import CHROMIUM, LAUNCH_ARGS, is_local, open_search, static_server  # noqa: E402

from generator.render import SEARCH_STOP_WORDS  # noqa: E402


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def example_url(built):
    with static_server(built["example"][1]) as url:
        yield url


@pytest.fixture
def reader(chromium):
    """A desk-sized page that fails the test on any request off this machine."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    outside = []
    page.on("request", lambda request: None if is_local(request.url) else outside.append(request.url))
    try:
        yield page
    finally:
        context.close()
    assert not outside, outside


_GROUPS = """() => [...document.querySelectorAll('.md-search-result__list > li')].map(li =>
    [...li.querySelectorAll('a')].map(a => {
        const u = new URL(a.href); return {path: u.pathname + u.hash, h: u.searchParams.get('h') || '',
            preview: (a.querySelector('p') || {}).textContent || ''};
    }))"""


def search(page, query: str) -> list[list[dict]]:
    """The result groups (one per page, its sections after it) once ``query`` is answered."""
    box = open_search(page)
    box.fill("")
    box.press_sequentially(query, delay=30)
    words = [w for w in query.lower().split() if w not in SEARCH_STOP_WORDS]
    # Material puts the searched words in ?h=: results still shown for a half-typed query do not count
    page.wait_for_function("""(word) => [...document.querySelectorAll('.md-search-result__list > li a')].some(
        a => (new URL(a.href).searchParams.get('h') || '').toLowerCase().includes(word))""", arg=words[-1])
    return page.evaluate(_GROUPS)


# (query, where the answer lives, how many result groups may come before it)
READER_QUERIES = [
    ("what is a lead", ("/lifecycle/lead/", "/glossary/#lead"), 0),
    ("refund", ("/complaints/billing-and-invoices/",), 0),
    ("decision maker", ("/qualifying-questions/#who-decides",), 2),
    ("who decides", ("/qualifying-questions/#who-decides",), 0),
    ("MQL", ("/lifecycle/mql/",), 0),
    ("when does a lead become an MQL", ("/lifecycle/mql/",), 0),
    ("SLA", ("/handoffs/#mql-to-sal", "/glossary/#sla"), 0),
    ("nurture", ("/nurture-tracks/", "/glossary/#nurture-track"), 0),
    ("BANT", ("/glossary/#bant",), 0),
    ("credit note", ("/complaints/billing-and-invoices/", "/glossary/#credit-note"), 0),
]


@pytest.mark.parametrize("query, answers, before", READER_QUERIES, ids=[q for q, _, _ in READER_QUERIES])
def test_search_finds_what_a_reader_means(reader, example_url, query, answers, before):
    reader.goto(example_url + "/")
    groups = search(reader, query)
    ranked = [i for i, group in enumerate(groups) if any(item["path"] in answers for item in group)]
    shown = [[item["path"] for item in group[:2]] for group in groups[:4]]
    assert ranked and ranked[0] <= before, f"{query!r}: {answers} should be in the first {before + 1} groups, got {shown}"


@pytest.mark.parametrize("query", ["what is a lead", "nurture", "MQL"])
def test_search_previews_show_words_not_the_review_line(reader, example_url, query):
    reader.goto(example_url + "/")
    groups = search(reader, query)
    previews = [item["preview"] for group in groups[:5] for item in group]
    assert any(p.strip() for p in previews)
    for preview in previews:
        assert "Last reviewed" not in preview and "Next review" not in preview, preview
        assert not preview.startswith("Owner"), preview


def test_synonyms_reach_the_defining_page(built):
    """A glossary synonym is shown (and indexed) on the page of the entity that defines the
    term, and an entity's own aliases on its page; a page's search boost is front matter."""
    _, _, md = built["example"]
    def words(text):  # without the glossary's tooltips
        return re.sub(r"<abbr [^>]*>|</abbr>", "", text)

    handoffs = words((md / "handoffs.md").read_text())
    assert "<strong>Also called:</strong> SLA, service level agreement" in handoffs
    billing = words((md / "complaints" / "billing-and-invoices.md").read_text())
    assert billing.startswith("---\nsearch:\n  boost: ")
    assert "<strong>Also called:</strong> refund, credit note" in billing
    assert (md / "tags.md").read_text().startswith("---\nsearch:\n  exclude: true\n---\n")
    stage = (md / "lifecycle" / "lead.md").read_text()
    assert '<p class="pb-meta" data-search-exclude>' in stage and '<p class="pb-tags" data-search-exclude>' in stage


def test_aliases_and_synonyms_are_escaped(tmp_path):
    root = write_playbook(tmp_path, {
        "definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales}\n",
        "personas/p.yaml": "id: p\nname: P\nowner: sales\naliases: ['<img src=x onerror=alert(1)>', 'a & b']\n",
        "definitions/glossary.yaml": "glossary:\n  - {id: p-term, term: P, owner: sales, definition: D, "
                                     "synonyms: ['<b>bold</b>'], defined_by: {kind: persona, id: p}}\n"})
    pb = run_check(root, Config(), TODAY).playbook
    page = generate(pb, Config(), TODAY).files["personas/p.md"]
    assert "<img" not in page and "<b>" not in page
    # "Also called" is HTML: escaped, and shown as written (no Markdown backslash)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "a &amp; b" in page


# ---------------------------------------------------------------- the lifecycle diagram

def _svg_parts(svg: str) -> dict[str, str]:
    wide = svg[:svg.index('<svg class="pb-lifecycle pb-lifecycle-tall"')]
    return {"wide": wide, "tall": svg[len(wide):]}


def test_every_kind_of_move_is_drawn_and_only_drawn_kinds_are_in_the_legend(tmp_path):
    from generator.diagram import lifecycle_svg
    pb, _ = _load(REPO)
    moves = {kind: sum(1 for t in pb.transitions if t.type == kind) for kind in ("recycle", "disqualify")}
    assert moves["disqualify"] >= 4 and moves["recycle"] >= 4
    svg = lifecycle_svg(pb, lambda s: s.id + "/")
    for name, part in _svg_parts(svg).items():
        assert part.count('class="pb-disqualify"') == moves["disqualify"], name
        recycles = {(t.from_, t.to) for t in pb.transitions if t.type == "recycle"}
        assert part.count('class="pb-recycle"') == len(recycles), name
        for kind in ("forward", "recycle", "disqualify"):
            assert f'class="pb-legend-{kind}"' in part, (name, kind)
        assert ">Client services</text>" in part and ">client-services<" not in part  # team names
    # a lifecycle with forward moves only: no recycle or disqualify in the legend
    root = write_playbook(tmp_path, {
        "definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales team}\n",
        "definitions/lifecycle.yaml": "stages:\n  - {id: a, name: A, order: 1, owner: sales}\n"
                                      "  - {id: b, name: B, order: 2, owner: sales, terminal: true}\n"
                                      "transitions:\n  - {from: a, to: b}\n"})
    small = run_check(root, Config(), TODAY).playbook
    svg = lifecycle_svg(small, lambda s: s.id + "/")
    assert 'pb-legend-forward' in svg and "pb-legend-recycle" not in svg and "pb-legend-disqualify" not in svg
    assert ">Sales team</text>" in svg


@pytest.mark.parametrize("width, shown, hidden", [(390, "tall", "wide"), (1280, "wide", "tall")])
def test_lifecycle_is_readable_at_phone_and_desk_width(chromium, example_url, width, shown, hidden):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(example_url + "/lifecycle/", wait_until="networkidle")
        assert page.locator(f".pb-lifecycle-{shown}").is_visible()
        assert not page.locator(f".pb-lifecycle-{hidden}").is_visible()
        heights = page.eval_on_selector_all(f".pb-lifecycle-{shown} .pb-stage-name",
                                            "els => els.map(e => e.getBoundingClientRect().height)")
        assert len(heights) == 7
        assert min(heights) >= (12 if width < 500 else 9), heights  # rendered label height in CSS pixels
        # a stage box is a link to the stage's page
        page.locator(f".pb-lifecycle-{shown} a").nth(2).click()
        page.wait_for_url("**/lifecycle/mql/")
    finally:
        context.close()


PAGE_KINDS = ["/", "/personas/", "/personas/ecommerce-founder/", "/lifecycle/", "/lifecycle/mql/", "/handoffs/",
              "/nurture-tracks/", "/scoring/", "/value-propositions/", "/value-propositions/scale-profitably/",
              "/qualifying-questions/", "/qualifying-questions/call-sheet-ecommerce-founder/", "/complaints/",
              "/complaints/billing-and-invoices/", "/service-commitments/", "/goals/", "/campaigns/", "/teams/",
              "/meetings/", "/glossary/", "/tags/", "/changelog/", "/deal-alignment/"]


def test_no_page_kind_scrolls_sideways_on_a_phone(chromium, example_url):
    """Wide tables scroll inside their own box; the page itself fits a 390-px screen."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        for path in PAGE_KINDS:
            page.goto(example_url + path, wait_until="domcontentloaded")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
    finally:
        context.close()


def test_call_sheet_prints_tick_boxes_and_note_lines(chromium, example_url):
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(example_url + "/qualifying-questions/call-sheet-ecommerce-founder/", wait_until="networkidle")
        assert not page.locator(".pb-notes-line").first.is_visible()  # no writing lines on a screen
        ticks = page.locator("article ol > li > p .pb-tick")
        assert ticks.count() >= 10 and ticks.first.is_visible()
        badges = page.locator("article .pb-redflag")
        assert badges.count() >= 10 and badges.first.text_content() == "Red flag"
        page.emulate_media(media="print")
        assert page.locator(".pb-notes-line").first.is_visible()
        assert not page.locator(".md-header").is_visible() and not page.locator(".md-sidebar--primary").is_visible()
    finally:
        context.close()


# ---------------------------------------------------------------- the home page and indexes

def _section(markdown: str, heading: str) -> str:
    start = markdown.index(heading)
    end = markdown.find("\n## ", start + len(heading))
    return markdown[start:end if end >= 0 else None]


def test_every_place_where_to_start_names_is_a_link(built):
    _, _, md = built["example"]
    home = (md / "index.md").read_text()
    start = _section(home, "## Where to start")
    items = re.split(r"\n(?=\d+\. |Start with )", start)[1:]
    assert len(items) >= 11
    for item in items:
        assert re.search(r"\]\((?!https?:)[^)]+\)", item), f"no link in: {item[:80]}"
    targets = set(re.findall(r"\]\(([^)]+)\)", start))
    for target in ("personas/index.md", "personas/ecommerce-founder.md", "personas/course-creator.md",
                   "lifecycle/index.md", "scoring.md", "handoffs.md#mql-to-sal", "value-propositions/index.md",
                   "campaigns.md", "service-commitments.md", "qualifying-questions/index.md", "deal-alignment.md",
                   "lifecycle/index.md#reason-codes", "nurture-tracks.md", "complaints/index.md"):
        assert target in targets, target
    assert "### In marketing" in start and "[Deal alignment](deal-alignment.md)" in start  # as written


def test_place_links_leave_headings_code_and_links_alone(example):
    from generator.render import Renderer
    pb, cfg = example
    r = Renderer(pb, cfg, TODAY)
    text = ("# Personas and the lifecycle\n\nRead the personas, then the personas again.\n\n"
            "```\nthe lifecycle\n```\n\nSee `the glossary` or [the lifecycle](https://example.com/lifecycle).\n\n"
            "## Next\n\nThe personas and Priya.\n")
    out = str(r.link_places(text))
    assert out.startswith("# Personas and the lifecycle\n")
    assert out.count("[personas](personas/index.md)") == 2  # first mention in each section
    assert "```\nthe lifecycle\n```" in out and "`the glossary`" in out
    assert "[the lifecycle](https://example.com/lifecycle)" in out
    assert "[Priya](personas/dtc-marketing-manager.md)" in out


def test_a_new_teams_home_page_links_where_to_start(tmp_path):
    result = invoke_in(tmp_path, "init", "team")
    assert result.exit_code == 0, result.output
    root = tmp_path / "team"
    pb = run_check(root, load_config(find_config(root)), TODAY).playbook
    home = generate(pb, load_config(find_config(root)), TODAY).files["index.md"]
    start = _section(home, "## Where to start")
    lines = [line for line in start.splitlines() if line.startswith("- ")]
    assert len(lines) == len({e.owner for e in pb.all_entities if e.owner and e.KIND != "team"} & set(pb.known_ids["team"]))
    for line in lines:
        assert re.match(r"- \*\*[^*]+:\*\* \[", line), line


def test_personas_index_is_cards_with_quote_badge_and_role(built):
    _, site, md = built["example"]
    index = (md / "personas" / "index.md").read_text()
    assert '<div class="grid cards pb-persona-cards" markdown>' in index
    html = (site / "personas" / "index.html").read_text()
    cards = re.findall(r"<li>(.*?)</li>", html.split('pb-persona-cards')[1], flags=re.S)
    pb, _ = _load(REPO)
    assert len([c for c in html.split("pb-persona-cards")[1:]]) == 2  # buyers, and who we do not sell to
    assert html.count('class="pb-fit">Buyer</span>') == sum(p.kind == "buyer" for p in pb.personas)
    assert html.count("Negative: we do not sell to them") == sum(p.kind == "negative" for p in pb.personas)
    assert "<blockquote>" in cards[0] and "Economic buyer" in cards[0] and "call sheet" in cards[0]


def test_review_dates_once_per_page_and_badges_only_when_due(example):
    import datetime as dt
    pb, cfg = example
    glossary = generate(pb, cfg, TODAY).files["glossary.md"]
    assert glossary.count("<strong>Last reviewed</strong>") == 1 and "Review overdue" not in glossary
    later = generate(pb, cfg, dt.date(2028, 1, 1)).files["glossary.md"]
    terms = len(pb.of("term"))
    assert later.count("Review overdue since") == terms and f"{terms} overdue for review" in later
    # an entity page keeps its full line
    assert "<strong>Next review</strong>" in generate(pb, cfg, TODAY).files["personas/ecommerce-founder.md"]


def test_also_called_leaves_out_the_heading_it_is_shown_under(example, tmp_path):
    """The scoring page is headed "Lead scoring"; the glossary's synonym "lead scoring" is not
    repeated beside it, while another word for the model still is."""
    pb, cfg = example
    scoring = generate(pb, cfg, TODAY).files["scoring.md"]
    assert not re.search(r"<strong>Also called:</strong>[^\n]*lead scoring", scoring, re.IGNORECASE)
    root = write_playbook(tmp_path, {
        "definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales}\n",
        "definitions/scoring.yaml": "scoring:\n  id: points\n  name: Points\n  owner: sales\n"
                                    "  aliases: [lead scoring, points model]\n"
                                    "  groups:\n    - {id: fit, kind: fit, rules: [{id: r, points: 5, when: {size: {gte: 1}}}]}\n"})
    small = run_check(root, Config(), TODAY).playbook
    page = generate(small, Config(), TODAY).files["scoring.md"]
    assert "<strong>Also called:</strong> points model</p>\n" in page
