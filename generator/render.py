"""Render a :class:`Playbook` into a plain Markdown tree and its navigation.

Pure: the same playbook, configuration and day give the same bytes. The tree uses only
Python-Markdown extensions (abbr, attr_list, tables, admonition, toc) and inline SVG, never an
MkDocs plugin hook, so MkDocs, ProperDocs and Zensical all build it.

All user text reaches a page escaped: through :func:`~generator.render_words.md_escape` in
Markdown (HTML escaped, Markdown punctuation backslash-escaped), through
:meth:`Renderer.html_text` in the HTML blocks the heavy parts of the pages are written as (the
engine passes those through without parsing them as Markdown). So a ``<script>`` in a persona's
name is shown as text.

The renderer is put together from the parts in ``render_*``: words (:mod:`.render_words`),
links (:mod:`.render_links`), entity facts (:mod:`.render_facts`), computed views
(:mod:`.render_views`), the home page (:mod:`.render_home`) and tooltips
(:mod:`.render_tooltips`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, TemplateNotFound
from markupsafe import Markup, escape

from . import markdown_blocks
from . import model as m
from .config import Config
from .diff import show_value
from .playbook import Playbook
from .render_facts import Facts
from .render_home import Home
from .render_links import PLACES, Links
from .render_tooltips import Abbreviations, glossary_abbreviations
from .render_views import Views
from .render_words import (BUYING_ROLES, DIMENSION_WORDS, SEARCH_BOOST, SEARCH_SEPARATOR, SEARCH_STOP_WORDS,
                           TRANSITION_KINDS, dimension_label, duration_words, edit_link, first_sentence,
                           framework_label, md_escape, safe_slug, tooltip_text, value_text)
from .rules._util import exceeded_commitment, qualification_stage
from .units import Duration, describe

# what other modules and tests read from here
__all__ = ["NAV_LIMIT", "SEARCH_SEPARATOR", "SEARCH_STOP_WORDS", "Page", "Renderer", "edit_link", "md_escape",
           "safe_slug", "tooltip_text"]
_PLACES = PLACES

NAV_LIMIT = 30  # kinds with more entities than this list only their index page in the navigation


class _NoLinkLoader(FileSystemLoader):
    """The team's own templates, never through a symbolic link (it could read a file outside
    the playbook, such as a CI machine's secrets, into the site); the shipped one is used then."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        base = Path(self.searchpath[0])
        path = Path(filename)
        for part in (path, *path.parents):
            if part == base:
                break
            if part.is_symlink():
                raise TemplateNotFound(template)
        return source, filename, uptodate


@dataclass
class Page:
    path: str
    title: str
    template: str
    context: dict = field(default_factory=dict)
    search: dict | None = None  # the page's front matter for the site's search (boost, keywords)
    tooltips: bool = True  # whether the glossary's abbreviations show their definitions on the page



class Renderer(Links, Facts, Views, Home):
    """Renders the pages; ``current`` is the page being rendered (links are relative to it)."""

    def __init__(self, pb: Playbook, config: Config, today: dt.date, templates: Path | None = None,
                 history=None):
        self.pb, self.config, self.today = pb, config, today
        self.history = history
        loaders = []
        if templates is not None and templates.is_dir() and not templates.is_symlink():
            loaders.append(_NoLinkLoader(str(templates)))
        loaders.append(PackageLoader("generator", "templates"))
        self.env = Environment(loader=ChoiceLoader(loaders), finalize=self._finalize,
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True, autoescape=True)
        self.env.filters.update(t=md_escape, crit=self.criteria, short=self.short_criteria, cond=self.condition,
                                describe=lambda v: md_escape(describe(v)), date=self.date,
                                num=lambda v: Markup(f"{v:g}"), show=lambda v: md_escape(show_value(v)),
                                lines=lambda items: Markup("<br>").join(md_escape(i) for i in items))
        self.env.filters.update(dur=lambda v: md_escape(duration_words(v)), metric=self.metric_label,
                                words=self.value_words, dim=dimension_label, fw=framework_label,
                                role_label=lambda v: BUYING_ROLES.get(v, v), first_sentence=first_sentence, kind_label=lambda v: TRANSITION_KINDS.get(v, v))
        self.env.filters.update(h=self.html_text, hcond=self.condition_html,
                                hwords=lambda v: self.html_text(value_text(v)),
                                hmetric=lambda v: self.html_text(self.metric_label(v)),
                                hdur=lambda v: self.html_text(duration_words(v)),
                                hlines=lambda items: Markup("<br>").join(self.html_text(i) for i in items))
        self.env.globals.update(hlink=functools.partial(self.html_link, marked=True))
        self.env.globals.update(link=self.link, html_link=self.html_link, link_list=self.link_list,
                                referred_html=self.referred_html, meta=self.meta, page_meta=self.page_meta, also_called=self.also_called, referrers=self.referrers, pb=pb,
                                cfg=config, today=today, url=self.url, label=m.KIND_LABELS,
                                tags=self.tag_links, dim_words=DIMENSION_WORDS, anchor=lambda e: Markup(safe_slug(e.id)))
        self.current = "index.md"  # the page being rendered: links are relative to it
        # what every page asks again: where each entity is shown, relative addresses between two
        # pages, and the links of a page to an entity (an entity is linked from many pages)
        self._targets: dict[tuple[str, str], tuple[str, str] | None] = {}
        self._rel_cache: dict[tuple[str, str], str] = {}
        self._href_cache: dict[tuple[str, str], str] = {}
        self._link_cache: dict[tuple, Markup] = {}
        self._referrers: dict[tuple[str, str], list] = {}
        self._front_matter: dict[str, str] = {}
        self.abbr = Abbreviations(glossary_abbreviations(pb.of("term")))
        self.tooltips = True  # whether the page being rendered shows abbreviation tooltips
        self._by_persona: dict | None = None
        self._defined_terms: dict | None = None
        self._questions_for: dict | None = None
        self._scorers: dict = {}  # as_of -> Scorer, for worked examples

    @staticmethod
    def slug(ident: str) -> Markup:
        return Markup(safe_slug(ident))

    @staticmethod
    def _finalize(value):
        if isinstance(value, Markup):
            return value
        if value is None:
            return ""
        if isinstance(value, Duration):
            return md_escape(duration_words(value))
        return md_escape(value)

    def html_text(self, text) -> Markup:
        """User text for an HTML block: escaped, its spaces collapsed, and its glossary
        abbreviations marked as the abbr extension marks them in Markdown (whole words, longest
        first, each with its definition as a tooltip), since the engine leaves HTML blocks alone.
        No marks on a page without tooltips (the glossary)."""
        if isinstance(text, Markup):
            return text
        if text is None:
            return Markup("")
        text = " ".join(str(text).split())
        return self.abbr.marked(text) if self.tooltips else escape(text)

    def expectation_gaps(self, persona):
        rows = []
        for exp in persona.expectations:
            c = exceeded_commitment(self.pb, exp.metric, exp.value, exp.commitment)
            matching = None
            if exp.commitment:
                matching = self.pb.get("commitment", exp.commitment)
            elif exp.metric:
                matching = next((x for x in self.pb.of("commitment") if x.metric == exp.metric), None)
            rows.append((exp, matching, c is not None))
        return rows

    def qualification_stage(self):
        return qualification_stage(self.pb)

    def pages(self) -> list[Page]:
        pb = self.pb
        pages = [Page("index.md", self.config.name, "home.md.j2")]
        pages.append(Page("personas/index.md", "Personas", "personas.md.j2"))
        pages += [Page(f"personas/{safe_slug(p.id)}.md", p.name, "persona.md.j2", {"persona": p},
                       self._search_meta(p, SEARCH_BOOST["persona"]))
                  for p in sorted(pb.personas, key=lambda p: (p.kind != "buyer", p.name.lower()))]
        pages.append(Page("lifecycle/index.md", "Lifecycle", "lifecycle.md.j2"))
        pages += [Page(f"lifecycle/{safe_slug(s.id)}.md", self.title_of(s), "stage.md.j2", {"stage": s},
                       self._search_meta(s, SEARCH_BOOST["stage"]))
                  for s in pb.stages]
        pages.append(Page("handoffs.md", "Handoffs and SLAs", "handoffs.md.j2"))
        pages.append(Page("nurture-tracks.md", "Nurture tracks", "nurture.md.j2"))
        pages.append(Page("scoring.md", "Lead scoring", "scoring.md.j2"))
        pages.append(Page("value-propositions/index.md", "Value propositions", "propositions.md.j2"))
        pages += [Page(f"value-propositions/{safe_slug(v.id)}.md", v.name, "proposition.md.j2", {"vp": v},
                       self._search_meta(v, SEARCH_BOOST["proposition"]))
                  for v in sorted(pb.of("proposition"), key=lambda v: v.name.lower())]
        pages.append(Page("qualifying-questions/index.md", "Qualifying questions", "questions.md.j2",
                          search={"search": {"boost": SEARCH_BOOST["questions"]}}))
        # a call sheet repeats its persona's questions, which search finds where they are defined
        pages += [Page(f"qualifying-questions/call-sheet-{safe_slug(p.id)}.md", f"Call sheet: {p.name}",
                       "call-sheet.md.j2", {"persona": p}, {"search": {"exclude": True}})
                  for p in sorted(pb.personas, key=lambda p: p.name.lower()) if p.kind == "buyer"]
        pages.append(Page("complaints/index.md", "Complaint procedures", "complaints.md.j2"))
        pages += [Page(f"complaints/{safe_slug(c.id)}.md", c.name, "complaint.md.j2", {"proc": c},
                       self._search_meta(c, SEARCH_BOOST["complaint"]))
                  for c in sorted(pb.of("complaint"), key=lambda c: c.name.lower())]
        pages.append(Page("service-commitments.md", "Service commitments", "commitments.md.j2"))
        pages.append(Page("goals.md", "Shared goals", "goals.md.j2"))
        pages.append(Page("campaigns.md", "Campaigns", "campaigns.md.j2"))
        pages.append(Page("teams.md", "Teams", "teams.md.j2"))
        pages.append(Page("meetings.md", "Meetings", "meetings.md.j2"))
        pages.append(Page("glossary.md", "Glossary", "glossary.md.j2", search={"search": {"boost": SEARCH_BOOST["glossary"]}},
                          tooltips=False))
        # the tags page only repeats names that have pages of their own
        pages.append(Page("tags.md", "Tags", "tags.md.j2", search={"search": {"exclude": True}}))
        pages.append(Page("changelog.md", "What changed", "changelog.md.j2"))
        return pages

    def render(self, page: Page, extra: dict | None = None) -> str:
        self.current = page.path
        self.tooltips = page.tooltips
        template = self.env.get_template(page.template)
        context = dict(page.context, page=page, r=self, **(extra or {}))
        text = template.render(**context)
        text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        # a line break between the cells and items of HTML blocks (user text is escaped, so
        # every closing tag is the template's): the search engine reads "a</td><td>b" as one word
        text = _BETWEEN_TAGS.sub("\\1\n<", text)
        if page.path != "index.md":  # the home page holds the team's own Markdown
            text = markdown_blocks.wrap(text)
            if page.tooltips and self.abbr.abbreviations:
                text = markdown_blocks.each_block(text, self._mark_block)
        # the engine marks abbreviations in Markdown only: the HTML blocks mark their own (see
        # html_text), and the lists of links none; the glossary page writes every definition
        # out, so it needs no tooltips
        markdown = _LINK_LISTS.sub("", markdown_blocks.unmarked(text))
        tooltips = self.abbreviation_block(markdown) if page.tooltips else ""
        return self.front_matter(page) + text + tooltips

    def front_matter(self, page: Page) -> str:
        """What the site's search needs to know of a page, as YAML front matter: how much a
        defining page outranks pages that only mention it (``search.boost``), the other words
        its entity is called by (``tags``, which the search weighs like a title), or that the
        page is a list of links only (``search.exclude``). Words are data: angle brackets and
        ampersands become look-alikes, and YAML quotes them."""
        if not page.search:
            return ""
        key = repr(page.search)
        text = self._front_matter.get(key)
        if text is None:
            text = self._front_matter[key] = self._dump_front_matter(page.search)
        return text

    @staticmethod
    def _dump_front_matter(search: dict) -> str:
        meta = dict(search)
        if meta.get("tags"):
            meta["tags"] = [tooltip_text(t) for t in meta["tags"]]
        else:
            meta.pop("tags", None)
        return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000) + "---\n\n"

    @staticmethod
    def _search_meta(entity, boost: float) -> dict:
        return {"search": {"boost": boost}}

    def _mark_block(self, block: str) -> str:
        """The glossary's tooltips in an HTML block, as Markdown text has them; not in the
        lists of links and the questions' facts (they only repeat names, and had none), nor in
        the lifecycle diagram."""
        if block.startswith(('<div class="pb-diagram">', '<div class="pb-referred"', "<table>\n<tr data-search-exclude>")) or (
                block.startswith("<ul") and " data-search-exclude>" in block.split("\n", 1)[0]):
            return block
        return self.abbr.mark_block(block)

    def abbreviation_block(self, text: str) -> str:
        """The definitions of the glossary's abbreviations that occur in ``text``, for the end
        of a page (see :meth:`~generator.render_tooltips.Abbreviations.block`)."""
        return self.abbr.block(text)


# The HTML blocks of links that link_list and referred_html write (their text is escaped, so
# the first closing tag after the opening one is theirs)
_LINK_LISTS = re.compile(r'^<ul(?: class="[^"]*")? data-search-exclude>\n.*?\n</ul>$'
                         r'|^<div class="pb-referred" data-search-exclude>\n.*?\n</ul>\n</div>$', re.MULTILINE | re.DOTALL)


_BETWEEN_TAGS = re.compile(r"(</td>|</th>|</tr>|</li>|</dt>|</dd>|<tr>|<ul>|<ol>|</p>(?=<p|<ul)|</ul>(?=<p))<")

