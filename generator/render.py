"""Render a :class:`Playbook` into a plain Markdown tree and its navigation.

Pure: the same playbook, configuration and day give the same bytes. The tree uses only
Python-Markdown extensions (abbr, attr_list, tables, admonition, toc) and inline SVG, never an
MkDocs plugin hook, so MkDocs, ProperDocs and Zensical all build it.

All user text reaches the page through :func:`md_escape`: HTML is escaped and Markdown
punctuation is backslash-escaped, so a ``<script>`` in a persona's name is shown as text.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import yaml
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, TemplateNotFound
from markupsafe import Markup, escape

from . import model as m
from .config import Config
from .diagram import lifecycle_svg
from .kinds import KINDS, OTHER_PLACES
from .playbook import Playbook
from .criteria import SCORE_FIELDS, lower_bound
from .rules._util import exceeded_commitment, qualification_stage
from .rules.scoring import max_scores
from .diff import show_value as _show_value
from .units import Duration, describe

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~^])")
_WORD = re.compile(r"\w+")
NAV_LIMIT = 30  # kinds with more entities than this list only their index page in the navigation


def md_escape(text) -> Markup:
    """User text as inert inline Markdown: HTML escaped, Markdown punctuation escaped."""
    if isinstance(text, Markup):
        return text
    if text is None:
        return Markup("")
    return _md_escape(str(text))


@functools.lru_cache(maxsize=1 << 16)
def _md_escape(text: str) -> Markup:
    # names, ids and labels recur on many pages: each distinct text is escaped once
    s = str(escape(text))
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = re.sub(r"^(\s*)([-=])", r"\1\\\2", s)  # no accidental list items or setext headings
    s = re.sub(r"^(\s*\d+)\.", r"\1\\.", s)  # no accidental ordered lists
    return Markup(re.sub(r"\s+", " ", s))


def tooltip_text(text: str) -> str:
    """Text for a ``title`` attribute that Material turns into a tooltip.

    Material's tooltips put the attribute's decoded value into the page as HTML, and the
    Markdown engine writes an entity such as ``&lt;`` into the attribute as it is. So entities
    are decoded first, angle brackets become look-alikes, and an ampersand that could start an
    entity becomes a full-width one: no tag can form, however the text is encoded.
    """
    text = html.unescape(" ".join(str(text).split()))
    text = text.replace("<", "\u2039").replace(">", "\u203a")
    return re.sub(r"&(?=#?\w+;)", "\uff06", text)


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


def edit_link(pattern: str, path: str) -> str | None:
    """``site.edit_url`` with ``{path}`` filled in, percent-encoded; None unless it is http(s).

    Only http(s) links are made from configuration and data, so no file name can turn the
    link into ``javascript:`` or break out of the Markdown link.
    """
    url = pattern.replace("{path}", quote(path, safe="/")).replace("(", "%28").replace(")", "%29")
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https") or any(c in url for c in "<>\"\n\r\t "):
        return None
    return url


def safe_slug(ident: str) -> str:
    """An id usable as a file name: the id itself when it is a slug, else a slug plus a hash."""
    if SLUG.match(ident) and len(ident) <= 64:
        return ident
    base = re.sub(r"[^a-z0-9]+", "-", ident.lower()).strip("-")[:40] or "entity"
    return f"{base}-{hashlib.sha1(ident.encode()).hexdigest()[:8]}"


@dataclass
class Page:
    path: str
    title: str
    template: str
    context: dict = field(default_factory=dict)
    search: dict | None = None  # the page's front matter for the site's search (boost, keywords)
    tooltips: bool = True  # whether the glossary's abbreviations show their definitions on the page


# Where each kind lives: (page pattern, anchored?) — anchored kinds are sections of one page.
_PLACES = {k.kind: (k.page, k.anchored) for k in KINDS} | OTHER_PLACES

# How readers call the built-in qualification frameworks, and the everyday words for each
# dimension: shown beside it, so a search for "decision maker" finds the questions on authority.
FRAMEWORK_LABELS = {"bant": "BANT", "champ": "CHAMP", "anum": "ANUM", "meddic": "MEDDIC",
                    "meddpicc": "MEDDPICC", "gpctba-ci": "GPCTBA/C&I", "deal-alignment": "Deal alignment"}
DIMENSION_WORDS = {
    "budget": "money set aside, can they afford it",
    "money": "budget, can they afford it",
    "authority": "decision maker, who decides, who signs",
    "economic-buyer": "who signs, who pays, decision maker",
    "champion": "who pushes for us inside",
    "need": "the problem to solve, pain",
    "identify-pain": "the problem to solve",
    "challenges": "problems, pains",
    "timeline": "when, by what date",
    "urgency": "how soon, why now",
    "prioritization": "how important, why now",
    "decision-criteria": "how they will choose",
    "decision-process": "how they decide, who is involved",
    "paper-process": "contract, purchasing, legal",
    "competition": "other options, competitors",
    "metrics": "how success is measured",
    "goals": "what they want to achieve",
    "plans": "how they mean to get there",
    "negative-consequences": "cost of doing nothing",
    "positive-implications": "what success brings",
    "communication": "how and how often we talk",
    "reporting": "reports, how results are shown",
    "response-time": "how fast we reply",
    "scope": "what we do and do not do",
}
BUYING_ROLES = {"economic-buyer": "Economic buyer (signs and pays)", "champion": "Champion",
                "evaluator": "Evaluator", "user": "User", "influencer": "Influencer"}
TRANSITION_KINDS = {"forward": "Forward", "recycle": "Recycle", "disqualify": "Disqualify"}
_UNIT_WORDS = {"m": "minute", "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
               "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour",
               "d": "day", "day": "day", "days": "day", "w": "week", "wk": "week", "week": "week", "weeks": "week"}


def duration_words(value) -> str:
    """A duration as people say it: "4 business hours", "1 business day", "30 minutes"; any
    other value as written."""
    if isinstance(value, str):
        try:
            value = Duration.parse(value)
        except ValueError:
            return value
    if not isinstance(value, Duration):
        return describe(value)
    unit = _UNIT_WORDS.get(value.unit, value.unit)
    amount = f"{value.amount:g}"
    plural = "" if value.amount == 1 else "s"
    return f"{amount} {'business ' if value.business else ''}{unit}{plural}"


def first_sentence(text: str) -> str:
    """The first sentence of a text (up to 200 characters), for a one-line summary."""
    text = " ".join(str(text).split())
    found = re.search(r"^.{20,}?[.!?](?=\s+[A-Z\"'(])", text)
    text = found.group(0) if found else text
    return text if len(text) <= 200 else text[:199].rsplit(" ", 1)[0] + "…"


def dimension_label(dim: str) -> str:
    return dim.replace("-", " ").replace("_", " ").capitalize()


def framework_label(fw: str) -> str:
    return FRAMEWORK_LABELS.get(fw, fw.replace("-", " ").upper())


# How much a page that defines something outranks pages that only mention it in the site's
# search (measured with the reader queries in tests/test_readers.py; 1 is an ordinary page).
SEARCH_BOOST = {"stage": 2.0, "glossary": 2.0, "persona": 1.5, "proposition": 1.5, "complaint": 1.5,
                "questions": 2.0}

# The search engine's stop words (lunr's English list) also separate words: a question such as
# "what is a lead" then searches for "lead" alone, not for every word starting with "a".
SEARCH_STOP_WORDS = (
    "a able about across after all almost also am among an and any are as at be because been but by can "
    "cannot could dear did do does either else ever every for from get got had has have he her hers him his "
    "how however i if in into is it its just least let like likely may me might most must my neither no nor "
    "not of off often on only or other our own rather said say says she should since so some than that the "
    "their them then there these they this tis to too twas us wants was we were what when where which while "
    "who whom why will with would yet you your").split()
SEARCH_SEPARATOR = (r'[\s\u200b\-_,:!=\[\]()"`/]+|\.(?!\d)|&[lg]t;|(?!\b)(?=[A-Z][a-z])|\b(?:'
                    + "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in sorted(SEARCH_STOP_WORDS, key=len, reverse=True))
                    + r")\b")

STAGE_WORDS = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "is", "ne": "is not",
               "in_": "is one of", "not_in": "is none of", "exists": "is known"}


class Renderer:
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
                                num=lambda v: Markup(f"{v:g}"), show=lambda v: md_escape(_show_value(v)),
                                lines=lambda items: Markup("<br>").join(md_escape(i) for i in items))
        self.env.filters.update(dur=lambda v: md_escape(duration_words(v)), metric=self.metric_label,
                                words=self.value_words, dim=dimension_label, fw=framework_label,
                                role_label=lambda v: BUYING_ROLES.get(v, v), first_sentence=first_sentence, kind_label=lambda v: TRANSITION_KINDS.get(v, v))
        self.env.globals.update(link=self.link, html_link=self.html_link, link_list=self.link_list,
                                referred_html=self.referred_html, meta=self.meta, page_meta=self.page_meta, also_called=self.also_called, referrers=self.referrers, pb=pb,
                                cfg=config, today=today, url=self.url, label=m.KIND_LABELS,
                                tags=self.tag_links, dim_words=DIMENSION_WORDS, anchor=lambda e: Markup(safe_slug(e.id)))
        self.current = "index.md"
        self._rel_cache: dict[tuple[str, str], str] = {}
        self._href_cache: dict[tuple[str, str], str] = {}
        self.abbreviations = self._abbreviations()
        self._abbr_definitions = dict(self.abbreviations)
        self._abbr_words: dict[str, list[tuple[str, frozenset[str], bool]]] | None = None
        self._by_persona: dict | None = None
        self._defined_terms: dict | None = None
        self._questions_for: dict | None = None
        self._scorers: dict = {}  # as_of -> Scorer, for worked examples

    # ------------------------------------------------------------ escaping and helpers

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

    # ------------------------------------------------------------ names for ids and vocabulary

    def metric_label(self, metric: str | None) -> str:
        """A metric's name for people: "Response time", never response_time."""
        if not metric:
            return ""
        found = self.pb.metrics.get(metric)
        text = found.label if found is not None else metric.replace("_", " ")
        return text[:1].upper() + text[1:]

    def value_words(self, value) -> Markup:
        """A promised or expected value in words: durations spelled out, sets joined."""
        if isinstance(value, (list, tuple)):
            return md_escape(", ".join(str(v) for v in value))
        return md_escape(duration_words(value))

    def who(self, text: str | None) -> Markup:
        """A person in a procedure step: the role's or team's name (linked) when it is an id,
        else the words as written."""
        if not text:
            return Markup("")
        if text in self.pb.roles or text in self.pb.known_ids["team"]:
            return self.link("role", text)
        return md_escape(text)

    def band_range(self, band) -> Markup:
        """A band's range in words: "below 0" for the lowest band, "60 or more" for the highest
        (when it reaches the most a lead can score), "30 to 59" otherwise."""
        def n(v):
            return f"{v:g}".replace("-", "\u2212")
        bands = sorted(self.pb.scoring.bands, key=lambda b: b.min) if self.pb.scoring else []
        if len(bands) > 1 and band is bands[0] and bands[1].min == band.max + 1:
            return Markup(f"below {n(bands[1].min)}")
        best = self.max_scores()
        top = self.pb.scoring.limit if self.pb.scoring and self.pb.scoring.limit else (
            best.get("fit_score", 0) + best.get("engagement_score", 0) if best else None)
        if len(bands) > 1 and band is bands[-1] and top is not None and band.max >= top:
            return Markup(f"{n(band.min)} or more")
        return Markup(f"{n(band.min)} to {n(band.max)}")

    def also_called(self, entity, heading: str | None = None) -> list[str]:
        """Other words for an entity: its own aliases, and the abbreviation and synonyms of the
        glossary terms it formally defines (``defined_by``); without repeats, its own name or the
        ``heading`` it is shown under (the scoring page is headed "Lead scoring")."""
        if self._defined_terms is None:
            self._defined_terms = {}
            for term in self.pb.of("term"):
                if term.defined_by:
                    self._defined_terms.setdefault((term.defined_by.kind, term.defined_by.id), []).append(term)
        words = list(entity.aliases)
        for term in self._defined_terms.get((entity.KIND, entity.id), []):
            words += [term.term, term.abbreviation or "", *term.synonyms, *term.aliases]
        if isinstance(entity, m.Term):
            words += entity.synonyms
        own = {self.title_of(entity).lower(), (entity.name or "").lower(),
               (getattr(entity, "abbreviation", None) or "").lower(), (heading or "").lower(), ""}
        out = {}
        for w in words:
            w = " ".join(str(w).split())
            if w.lower() not in own:
                out.setdefault(w.lower(), w)
        return list(out.values())

    # ------------------------------------------------------------ the home page

    # Pages a hand-written home page names in everyday words, and where they are.
    PLACE_WORDS = (
        ("personas", "personas/index.md"), ("buyer personas", "personas/index.md"),
        ("negative personas", "personas/index.md"), ("lifecycle", "lifecycle/index.md"),
        ("lifecycle stages", "lifecycle/index.md"), ("lead score", "scoring.md"), ("lead scoring", "scoring.md"),
        ("scoring model", "scoring.md"), ("handoffs", "handoffs.md"), ("handoff", "handoffs.md"),
        ("SLAs", "handoffs.md"), ("nurture tracks", "nurture-tracks.md"), ("nurture track", "nurture-tracks.md"),
        ("value propositions", "value-propositions/index.md"), ("qualifying questions", "qualifying-questions/index.md"),
        ("call sheets", "qualifying-questions/index.md"), ("complaint procedures", "complaints/index.md"),
        ("service commitments", "service-commitments.md"), ("shared goals", "goals.md"),
        ("campaign briefs", "campaigns.md"), ("campaigns", "campaigns.md"), ("glossary", "glossary.md"),
        ("reason codes", "lifecycle/index.md#reason-codes"), ("meetings", "meetings.md"),
    )
    _PROTECTED = re.compile(r"!?\[[^\]]*\]\([^)]*\)|!?\[[^\]]*\]\[[^\]]*\]|`[^`]*`|<[^>]+>|https?://\S+")
    _HEADING = re.compile(r" {0,3}#{1,6}\s")

    def _places(self):
        """(pattern, {phrase: page}) for the places a home page may name: the generated pages
        in everyday words, and every entity by its name (names of two words or more)."""
        if getattr(self, "_place_pattern", None) is None:
            where = {" ".join(w.lower().split()): path for w, path in self.PLACE_WORDS}
            for e in self.pb.all_entities:
                name = self.title_of(e)
                if e.KIND in ("term", "team") or len(name.split()) < 2 or len(name) > 80:
                    continue
                place = _PLACES.get(e.KIND)
                if place:
                    path = place[0].format(id=safe_slug(e.id)) + ("#" + safe_slug(e.id) if place[1] else "")
                    for text in {name, e.name or name}:
                        where.setdefault(" ".join(text.lower().split()), path)
            # a persona named "Priya, the in-house marketing manager ..." is also "Priya"
            short: dict[str, set] = {}
            for p in self.pb.personas:
                head, comma, _ = p.name.partition(",")
                if comma and 2 <= len(head.strip()) <= 30:
                    short.setdefault(" ".join(head.lower().split()), set()).add(
                        _PLACES["persona"][0].format(id=safe_slug(p.id)))
            for head, paths in short.items():
                if len(paths) == 1:
                    where.setdefault(head, paths.pop())
            phrases = sorted(where, key=len, reverse=True)
            body = "|".join(r"\s+".join(re.escape(part) for part in ph.split()) for ph in phrases)
            self._place_pattern = (re.compile(r"(?<![\w-])(" + body + r")(?![\w-])", re.IGNORECASE), where)
        return self._place_pattern

    def link_places(self, text: str) -> Markup:
        """A hand-written home page with the places it names made links: "the personas" leads to
        the personas, "Erin, the growth-focused e-commerce founder" to her page. Each place is
        linked at its first mention in each section; headings, code, links and HTML stay as
        written. So a new team's home page links its places without anyone writing a link."""
        pattern, where = self._places()
        out, block, fenced, seen = [], [], False, set()

        def flush():
            if block:
                out.append(self._link_block("\n".join(block), pattern, where, seen))
                block.clear()

        for line in str(text).split("\n"):
            stripped = line.lstrip()
            if stripped.startswith(("```", "~~~")):
                flush()
                fenced = not fenced
                out.append(line)
            elif fenced or self._HEADING.match(line) or line.startswith("*["):
                flush()
                if not fenced and self._HEADING.match(line):
                    seen.clear()  # each section links its places again
                out.append(line)
            else:
                block.append(line)
        flush()
        return Markup("\n".join(out))

    def _link_block(self, text, pattern, where, seen) -> str:
        protected = [(m.start(), m.end()) for m in self._PROTECTED.finditer(text)]
        pieces, last = [], 0
        for hit in pattern.finditer(text):
            if any(a < hit.end() and hit.start() < b for a, b in protected):
                continue
            target = where[" ".join(hit.group(1).lower().split())]
            if target in seen:
                continue
            seen.add(target)
            path, _, anchor = target.partition("#")
            href = self._rel(path) + ("#" + anchor if anchor else "")
            pieces += [text[last:hit.start()], f"[{hit.group(1)}]({href})"]
            last = hit.end()
        pieces.append(text[last:])
        return "".join(pieces)

    START_PAGES = (("persona", "Personas", "personas/index.md"), ("stage", "Lifecycle", "lifecycle/index.md"),
                   ("scoring", "Lead scoring", "scoring.md"), ("handoff", "Handoffs and SLAs", "handoffs.md"),
                   ("nurture", "Nurture tracks", "nurture-tracks.md"),
                   ("proposition", "Value propositions", "value-propositions/index.md"),
                   ("question", "Qualifying questions", "qualifying-questions/index.md"),
                   ("commitment", "Service commitments", "service-commitments.md"),
                   ("complaint", "Complaint procedures", "complaints/index.md"),
                   ("campaign", "Campaigns", "campaigns.md"), ("goal", "Shared goals", "goals.md"),
                   ("meeting", "Meetings", "meetings.md"), ("term", "Glossary", "glossary.md"))

    def where_to_start(self) -> list[tuple[m.Team, list[Markup]]]:
        """For each team, links to the pages of what it owns, in reading order: a "Where to
        start" for a home page that does not write its own."""
        out = []
        for team in self.pb.of("team"):
            kinds = {e.KIND for e in self.pb.all_entities if e.owner == team.id}
            links = [self.page_link(path, label) for kind, label, path in self.START_PAGES if kind in kinds]
            if links:
                out.append((team, links))
        return out

    @staticmethod
    def has_where_to_start(text) -> bool:
        return bool(re.search(r"^#{1,6}\s+Where to start\b", str(text or ""), re.MULTILINE | re.IGNORECASE))

    def covers(self, question) -> Markup:
        parts = []
        for fw, dims in question.covers.items():
            parts.append(f"{md_escape(framework_label(fw))}: " + ", ".join(
                md_escape(dimension_label(d)) + (f" ({md_escape(DIMENSION_WORDS[d])})" if d in DIMENSION_WORDS else "")
                for d in dims))
        return Markup("; ".join(parts))

    def covers_html(self, question) -> Markup:
        """:meth:`covers` for an HTML block: the same words, escaped for HTML only."""
        parts = []
        for fw, dims in question.covers.items():
            parts.append(f"{escape(framework_label(fw))}: " + ", ".join(
                str(escape(dimension_label(d))) + (f" ({escape(DIMENSION_WORDS[d])})" if d in DIMENSION_WORDS else "")
                for d in dims))
        return Markup("; ".join(parts))

    def date(self, value) -> Markup:
        return Markup(value.isoformat()) if value else Markup("")

    def url(self, kind: str, ident: str) -> str | None:
        """The Markdown path (with #anchor) of an entity, relative to the current page."""
        place = _PLACES.get(kind)
        if place is None:
            return None
        if kind == "role":
            if ident not in self.pb.roles:
                kind = "team"
                if ident not in self.pb.known_ids["team"]:
                    return None
            else:
                return self._rel("teams.md") + "#role-" + safe_slug(ident)
        elif self.pb.get(kind, ident) is None:
            return None
        pattern, anchored = _PLACES[kind]
        target = pattern.format(id=safe_slug(ident))
        rel = self._rel(target)
        return rel + "#" + safe_slug(ident) if anchored else rel

    def html_url(self, kind: str, ident: str) -> str | None:
        """The address of an entity as the built site has it (``../personas/erin/``, relative
        to the current page), for links written as HTML; None when it has no page."""
        md = self.url(kind, ident)
        if md is None:
            return None
        path, _, anchor = md.partition("#")
        here = posixpath.dirname(self.current) or "."
        return self._page_href(posixpath.normpath(posixpath.join(here, path)), anchor)

    def _page_href(self, target: str, anchor: str = "") -> str:
        """The built site's relative address of the page ``target`` (a path in the Markdown
        tree) from the current page: a page ``x.md`` is served as ``x/``, ``x/index.md`` as ``x/``."""
        key = (self.current, target)
        rel = self._href_cache.get(key)
        if rel is None:
            here, there = _served(self.current), _served(target)
            if here == there:
                rel = ""
            else:
                rel = posixpath.relpath(there or ".", here or ".")
                rel = "./" if rel == "." else rel + "/"
            self._href_cache[key] = rel
        return rel + ("#" + anchor if anchor else "") if rel or anchor else "./"

    def html_link(self, kind, ident=None, text=None) -> Markup:
        """:meth:`link` written as HTML, for lists of links a page shows as an HTML block (the
        Markdown engine passes those through instead of parsing them): the text escaped, the
        address computed here; struck through when the entity does not exist."""
        if isinstance(kind, m.Entity):
            entity = kind
            kind, ident = entity.KIND, entity.id
            text = text if text is not None else self.title_of(entity)
        elif text is None:
            entity = self.pb.get(kind, ident) if ident else None
            if kind == "role" and ident in self.pb.roles:
                text = self.pb.roles[ident][1].name
            else:
                text = self.title_of(entity) if entity else ident
        href = self.html_url(kind, ident) if ident else None
        shown = escape(" ".join(str(text).split()))
        if href is None:
            return Markup(f"<del>{shown}</del>")
        return Markup(f'<a href="{escape(href)}">{shown}</a>')

    def link_list(self, entities, labelled: bool = False, css: str = "") -> Markup:
        """A list of links to ``entities`` as one HTML block (each item "Kind: name" when
        ``labelled``), left out of the search index: it only repeats names that have pages of
        their own."""
        items = []
        for e in entities:
            label = f"{escape(m.KIND_LABELS[e.KIND].capitalize())}: " if labelled else ""
            items.append(f"<li>{label}{self.html_link(e)}</li>")
        if not items:
            return Markup("")
        cls = f' class="{css}"' if css else ""
        return Markup(f'<ul{cls} data-search-exclude>\n' + "\n".join(items) + "\n</ul>")

    def referred_html(self, entity) -> Markup:
        """The "Referred to by" block of an entity as HTML, left out of the search index (the
        referring entities are found on their own pages)."""
        refs = self.referrers(entity, html=True)
        if not refs:
            return Markup("")
        items = "\n".join(f"<li>{a} ({escape(kind)})</li>" for a, kind in refs)
        return Markup(f'<div class="pb-referred" data-search-exclude>\n<p><strong>Referred to by</strong></p>\n'
                      f"<ul>\n{items}\n</ul>\n</div>")

    def _rel(self, target: str) -> str:
        here = posixpath.dirname(self.current) or "."
        key = (here, target)
        rel = self._rel_cache.get(key)
        if rel is None:
            rel = self._rel_cache[key] = posixpath.relpath(target, here)
        return rel

    def link(self, kind, ident=None, text=None) -> Markup:
        """A Markdown link to an entity; plain text (struck through) when it does not exist."""
        if isinstance(kind, m.Entity):
            entity = kind
            kind, ident = entity.KIND, entity.id
            text = text if text is not None else self.title_of(entity)
        else:
            entity = self.pb.get(kind, ident) if ident else None
            if text is None:
                if kind == "role" and ident in self.pb.roles:
                    text = self.pb.roles[ident][1].name
                else:
                    text = self.title_of(entity) if entity else ident
        href = self.url(kind, ident) if ident else None
        if href is None:
            return Markup(f"~~{md_escape(text)}~~")
        return Markup(f"[{md_escape(text)}]({href})")

    def page_link(self, path: str, text: str) -> Markup:
        return Markup(f"[{md_escape(text)}]({self._rel(path)})")

    @staticmethod
    def title_of(entity) -> str:
        if isinstance(entity, m.Term):
            return entity.term
        if isinstance(entity, m.Question):
            return entity.name or entity.question
        if isinstance(entity, m.Stage) and entity.abbreviation:
            return f"{entity.name} ({entity.abbreviation})"
        return entity.name or entity.id

    def referrers(self, entity, html: bool = False) -> list[tuple[Markup, str]]:
        """(link to the referring entity, what kind it is), sorted and without repeats; the
        links as HTML when ``html``."""
        link = self.html_link if html else self.link
        found = {}
        for ref in self.pb.referrers_of(entity):
            if isinstance(ref.source, m.Entity):
                found[(ref.source.KIND, ref.source.id)] = ref.source
        if isinstance(entity, m.Team):
            for ref in self.pb.referrers.get(("role", entity.id), []):
                if isinstance(ref.source, m.Entity):
                    found[(ref.source.KIND, ref.source.id)] = ref.source
        ranked = sorted(found.items(), key=lambda item: (m.KIND_LABELS[item[1].KIND], self.title_of(item[1]).lower(),
                                                         item[1].id, item[0]))
        return [(link(src), m.KIND_LABELS[src.KIND]) for _, src in ranked]

    def review_due(self, entity) -> dt.date | None:
        return m.review_due(entity.last_reviewed, entity.review_every_days or self.config.review_every_days)

    def edit_url(self, entity) -> str | None:
        pattern = self.config.site.get("edit_url") if self.config.site else None
        if not pattern or not isinstance(pattern, str):
            return None
        return edit_link(pattern, entity._file)

    DUE_SOON_DAYS = 14  # a review falling due within this many days shows as a badge

    def _review_badge(self, entity) -> str | None:
        due = self.review_due(entity)
        if due and due < self.today:
            return f'<span class="pb-overdue">Review overdue since {due.isoformat()}</span>'
        if due and (due - self.today).days <= self.DUE_SOON_DAYS:
            return f'<span class="pb-gap">Review due {due.isoformat()}</span>'
        return None

    def meta(self, entity, short: bool = False) -> Markup:
        """The owner / status / review line shown under an entity's title.

        ``short`` is for an entity that is one section of a page of many (glossary terms,
        teams, handoffs ...): the page says the review dates once (:meth:`page_meta`), and the
        section shows its owner, a status other than approved, and a badge only when its
        review is due or overdue.
        """
        parts = []
        if entity.owner:
            parts.append(f"**Owner** {self.link('team', entity.owner)}")
        else:
            parts.append("**Owner** none")
        if not short or entity.status != "approved":
            parts.append(f"**Status** {md_escape(entity.status)}")
        badge = self._review_badge(entity)
        if not short:
            if entity.last_reviewed:
                parts.append(f"**Last reviewed** {entity.last_reviewed.isoformat()}")
            due = self.review_due(entity)
            if badge:
                parts.append(badge)
            elif due:
                parts.append(f"**Next review** {due.isoformat()}")
        elif badge:
            parts.append(badge)
        changed_in = self.history.last_changed.get((entity.KIND, entity.id)) if self.history else None
        if changed_in:
            parts.append(f"**Last changed in version** {md_escape(changed_in)}")
        edit = self.edit_url(entity)
        if edit:
            parts.append(f"[Propose a change]({escape(edit)}){{ .pb-edit }}")
        return Markup(" · ".join(parts) + "\n{: .pb-meta data-search-exclude }")

    def page_meta(self, entities) -> Markup:
        """One review line for a page of many entities: when they were last reviewed and when
        the next review falls due, instead of the same dates under every section."""
        entities = list(entities)
        if not entities:
            return Markup("")
        reviewed = sorted(e.last_reviewed for e in entities if e.last_reviewed)
        dues = sorted(d for d in (self.review_due(e) for e in entities) if d)
        parts = []
        if reviewed:
            first, last = reviewed[0].isoformat(), reviewed[-1].isoformat()
            parts.append(f"**Last reviewed** {first}" + (f" to {last}" if last != first else ""))
        late = [d for d in dues if d < self.today]
        if late:
            parts.append(f'<span class="pb-overdue">{len(late)} overdue for review</span>')
        elif dues:
            parts.append(f"**Next review** {dues[0].isoformat()}")
        changed = [self.history.last_changed.get((e.KIND, e.id)) for e in entities] if self.history else []
        changed = sorted({c for c in changed if c})
        if changed:
            parts.append(f"**Last changed in version** {md_escape(changed[-1])}")
        return Markup(" · ".join(parts) + "\n{: .pb-meta data-search-exclude }") if parts else Markup("")

    def tag_links(self, entity) -> Markup:
        tags = self.tags_of(entity)
        if not tags:
            return Markup("")
        links = [f"[{md_escape(self.tag_label(t))}]({self._rel('tags.md')}#{tag_anchor(t)}){{ .pb-tag }}" for t in tags]
        # tags say who owns it and where it belongs, which search results need not repeat
        return Markup(" ".join(links) + "\n{: .pb-tags data-search-exclude }")

    @staticmethod
    def tags_of(entity) -> list[str]:
        """Tags by id (``owner: sales``); :meth:`tag_label` says them in names."""
        tags = []
        if entity.owner:
            tags.append(f"owner: {entity.owner}")
        if isinstance(entity, m.Persona):
            tags.append(f"persona: {entity.kind}")
        stage = getattr(entity, "asked_at", None) or getattr(entity, "exit_to", None)
        if stage:
            tags.append(f"stage: {stage}")
        if isinstance(entity, m.Stage):
            tags.append(f"stage: {entity.id}")
        tags.extend(f"tag: {t}" for t in entity.tags)
        return tags

    def tag_label(self, tag: str) -> str:
        """A tag as readers say it: "Owner: Client services", "Stage: MQL", "Buyer persona"."""
        key, _, value = tag.partition(": ")
        if key == "owner":
            team = self.pb.get("team", value)
            return f"Owner: {team.name if team else value}"
        if key == "stage":
            stage = self.pb.get("stage", value)
            return f"Stage: {(stage.abbreviation or stage.name) if stage else value}"
        if key == "persona":
            return "Buyer persona" if value == "buyer" else "Negative persona"
        return value

    def condition(self, cond) -> Markup:
        parts = []
        for fieldname, ops in cond.items():
            for op, word in STAGE_WORDS.items():
                value = getattr(ops, op)
                if value is None:
                    continue
                if isinstance(value, list):
                    shown = ", ".join(value)
                elif isinstance(value, bool):
                    shown = "" if value else "(not)"
                elif isinstance(value, float):
                    shown = f"{value:g}"
                else:
                    shown = value
                parts.append(f"{fieldname.replace('_', ' ')} {word} {shown}".strip())
        return md_escape(" and ".join(parts))

    def short_criteria(self, criteria) -> Markup:
        """The sentence when there is one, else the structured conditions."""
        if criteria is not None and criteria.description:
            return md_escape(criteria.description)
        return self.criteria(criteria)

    def criteria(self, criteria) -> Markup:
        if criteria is None:
            return Markup("—")
        bits = []
        if criteria.all:
            bits.append(" and ".join(self.condition(c) for c in criteria.all))
        if criteria.any:
            bits.append("any of: " + "; ".join(self.condition(c) for c in criteria.any))
        if criteria.confirmed:
            bits.append("confirmed: " + ", ".join(md_escape(dimension_label(d).lower()) for d in criteria.confirmed))
        text = Markup("; ").join(Markup(b) for b in bits) if bits else Markup("")
        if criteria.description:
            text = Markup(f"{md_escape(criteria.description)}" + (f" ({text})" if text else ""))
        return text or Markup("—")

    def _abbreviations(self) -> list[tuple[str, str]]:
        """Words that show their glossary definition as a tooltip wherever they occur.

        Abbreviations, and terms of two or more words (as written and in lower case); single
        common words such as "lead" would put a tooltip on every other sentence.
        """
        out = {}
        for term in sorted(self.pb.of("term"), key=lambda t: t.id):
            definition = tooltip_text(term.definition)
            words = [term.abbreviation] if term.abbreviation else []
            if len(term.term.split()) >= 2:
                words += [term.term, term.term.lower()]
            for word in words:
                if word and not re.search(r"[\[\]\n]", word):
                    out.setdefault(word, definition)
        return sorted(out.items())

    # ------------------------------------------------------------ pages

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
        template = self.env.get_template(page.template)
        context = dict(page.context, page=page, r=self, **(extra or {}))
        text = template.render(**context)
        text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        # the engine marks abbreviations in Markdown only, not inside the HTML lists of links;
        # the glossary page writes every definition out, so it needs no tooltips
        tooltips = self.abbreviation_block(_LINK_LISTS.sub("", text)) if page.tooltips else ""
        return self.front_matter(page) + text + tooltips

    def front_matter(self, page: Page) -> str:
        """What the site's search needs to know of a page, as YAML front matter: how much a
        defining page outranks pages that only mention it (``search.boost``), the other words
        its entity is called by (``tags``, which the search weighs like a title), or that the
        page is a list of links only (``search.exclude``). Words are data: angle brackets and
        ampersands become look-alikes, and YAML quotes them."""
        if not page.search:
            return ""
        meta = dict(page.search)
        if meta.get("tags"):
            meta["tags"] = [tooltip_text(t) for t in meta["tags"]]
        else:
            meta.pop("tags", None)
        return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000) + "---\n\n"

    @staticmethod
    def _search_meta(entity, boost: float) -> dict:
        return {"search": {"boost": boost}}

    def abbreviation_block(self, text: str) -> str:
        """The abbreviation definitions for a page: only those whose word occurs in ``text``.

        Every definition costs the Markdown engine a block of its own on every page, so listing
        the whole glossary on each page made a large playbook's build many times slower. Words
        are found as the abbr extension finds them (whole words), in the text as written and
        with Markdown escapes and HTML entities undone, so no tooltip is lost.

        Each definition is a paragraph of its own: the abbr extension takes one definition per
        pass and hands the rest of its paragraph back to every block parser, which made a
        paragraph of n definitions cost n² in the engine.
        """
        if not self.abbreviations:
            return ""
        plain = html.unescape(re.sub(r"\\(.)", r"\1", text))
        found = self._abbreviations_in(text) | self._abbreviations_in(plain)
        lines = [f"*[{abbr}]: {self._abbr_definitions[abbr]}" for abbr in sorted(found)]
        return "\n" + "\n\n".join(lines) + "\n" if lines else ""

    def _abbreviations_in(self, text: str) -> set[str]:
        """The abbreviations that occur in ``text`` as whole words.

        A whole-word match of an abbreviation makes each run of word characters in it a whole
        word of the text, so only abbreviations whose words all occur can match: one that is a
        single word matches then. One of several words that begins and ends with a word
        character occurs exactly when it equals the text from the start of one of its words to
        the end of a later one, so it is looked up among those spans of the text (a set built
        once per text); any other is looked for in the text. This finds every abbreviation the
        abbr extension marks (it marks only whole words, longest first) and at most a few that it
        will not mark because a longer one covers them; a definition that marks nothing changes
        nothing on the page. The work grows with the text, not with text times glossary.
        """
        if self._abbr_words is None:
            # each abbreviation under one of its words (those without any: under ""), with how
            # to find it: 0 a single word, n a span of n words, -1 a search of the text
            self._abbr_words = {}
            for word, _ in self.abbreviations:
                parts = _WORD.findall(word)
                tokens = frozenset(parts)
                key = max(sorted(tokens), key=len, default="")
                if _WORD.fullmatch(word):
                    how = 0
                elif parts and _is_word(word[0]) and _is_word(word[-1]):
                    how = len(parts)
                else:
                    how = -1
                self._abbr_words.setdefault(key, []).append((word, tokens, how))
        words = set(_WORD.findall(text))
        found = set()
        spans: dict[int, set[str]] = {}
        bounds = None
        for key in words.union([""]):
            for word, tokens, how in self._abbr_words.get(key, ()):
                if not tokens <= words:
                    continue
                if how == 0:
                    found.add(word)
                elif how < 0:
                    if _whole_word_in(word, text):
                        found.add(word)
                else:
                    if how not in spans:
                        if bounds is None:
                            bounds = [(hit.start(), hit.end()) for hit in _WORD.finditer(text)]
                        spans[how] = {text[bounds[i][0]:bounds[i + how - 1][1]]
                                      for i in range(len(bounds) - how + 1)}
                    if word in spans[how]:
                        found.add(word)
        return found

    # ------------------------------------------------------------ computed views

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

    def persona_propositions(self, persona):
        if self._by_persona is None:
            self._by_persona = {}
            for v in self.pb.of("proposition"):
                for pid in dict.fromkeys(v.personas):
                    self._by_persona.setdefault(pid, []).append(v)
        return self._by_persona.get(persona.id, [])

    def persona_questions(self, persona):
        if self._questions_for is None:
            # by stage; within a stage, an explicit call_order first, then the order written
            order = {s.id: s.order for s in self.pb.stages}
            written = {q.id: i for i, q in enumerate(self.pb.of("question"))}
            ranked = sorted(self.pb.of("question"), key=lambda q: (
                order.get(q.asked_at, 999), q.call_order or 10**6, written[q.id]))
            general = [q for q in ranked if not q.personas]
            self._questions_for = {"": general}
            for q in ranked:
                for pid in dict.fromkeys(q.personas):
                    self._questions_for.setdefault(pid, []).append(q)
            self._question_rank = {q.id: i for i, q in enumerate(ranked)}
        own = self._questions_for.get(persona.id, [])
        merged = {q.id: q for q in self._questions_for[""] + own}
        return sorted(merged.values(), key=lambda q: self._question_rank[q.id])

    def questions_by_stage(self):
        out = []
        for stage in self.pb.stages:
            qs = [q for q in self.pb.of("question") if q.asked_at == stage.id]
            if qs:
                out.append((stage, qs))
        rest = [q for q in self.pb.of("question") if not self.pb.get("stage", q.asked_at or "")]
        if rest:
            out.append((None, rest))
        return out

    def questions_by_dimension(self):
        frameworks = list(self.pb.frameworks) or sorted({fw for q in self.pb.of("question") for fw in q.covers})
        out = []
        for fw in frameworks:
            dims = m.FRAMEWORKS.get(fw, ())
            rows = [(d, [q for q in self.pb.of("question") if d in q.covers.get(fw, [])]) for d in dims]
            out.append((fw, rows))
        return out

    def handoffs_of(self, stage):
        return [h for h in self.pb.of("handoff") if stage.id in (h.from_stage, h.to_stage)]

    def transitions_of(self, stage):
        return [t for t in self.pb.transitions if stage.id in (t.from_, t.to)]

    def thresholds(self):
        rows = []
        for stage in self.pb.stages:
            for f in SCORE_FIELDS:
                bound = lower_bound(stage.entry, f)
                if bound:
                    rows.append((stage, f, bound[0]))
        return rows

    def max_scores(self):
        return max_scores(self.pb.scoring) if self.pb.scoring else {}

    def worked_example(self):
        """A lead shaped like the first buyer persona: which rules fire and what it adds up to."""
        model = self.pb.scoring
        buyers = [p for p in self.pb.personas if p.kind == "buyer"]
        if model is None or not buyers:
            return None
        from .criteria import conditions_by_field, intersects, to_range
        persona = sorted(buyers, key=lambda p: p.id)[0]
        ranges = conditions_by_field(persona.criteria)
        lines, totals = [], {"fit": 0.0, "engagement": 0.0}
        for group in model.groups:
            got = 0.0
            picked = []
            for r in group.rules:
                if r.points <= 0:
                    continue
                if group.kind == "fit":
                    if not r.when:
                        continue
                    fieldname, ops = next(iter(r.when.items()))
                    if fieldname not in ranges or not intersects(ranges[fieldname], to_range(ops)):
                        continue
                elif len(picked) >= 3:
                    continue
                picked.append(r)
                got += r.points
            capped = min(got, group.cap) if group.cap is not None else got
            totals[group.kind] += capped
            lines.append((group, picked, got, capped))
        total = totals["fit"] + totals["engagement"]
        if model.limit is not None:
            total = min(total, model.limit)
        reached = None
        for stage in self.pb.stages:
            if not stage.entry or not any(lower_bound(stage.entry, f) for f in SCORE_FIELDS):
                continue
            ok = True
            for f, value in (("fit_score", totals["fit"]), ("engagement_score", totals["engagement"]),
                             ("total_score", total)):
                bound = lower_bound(stage.entry, f)
                if bound and (value < bound[0] or (value == bound[0] and not bound[1])):
                    ok = False
            if ok:
                reached = stage
        return {"persona": persona, "lines": lines, "fit": totals["fit"],
                "engagement": totals["engagement"], "total": total, "reached": reached}

    # ------------------------------------------------------------ worked examples (lead records)

    def worked(self, example):
        """Score a worked example the way `playbook check` does (PB801) and `playbook score`
        would, with the compiled scoring query: the :class:`~generator.scoring.run.Scored`
        result, or a sentence saying why the example cannot be scored."""
        from .scoring.run import score_examples
        results = getattr(self, "_worked_results", None)
        if results is None or id(example) not in results:
            results = self._worked_results = score_examples(self.pb, self.today)
        return results.get(id(example), "it is not one of the playbook's examples")

    def breakdown(self, example):
        """A worked example as a calculation: every rule that fired with its points (and, for an
        event, its date, age and decay factor), each group's sum and cap, the total, the band and
        the stage. Each event's points come from the compiled query too (the example's events
        scored one at a time), so it adds up to what `playbook score` says. A string when the
        example cannot be scored."""
        from .scoring.run import event_points
        got = self.worked(example)
        if isinstance(got, str):
            return got
        as_of = example.as_of or self.today
        model = self.pb.scoring
        groups = list(model.groups) if model else []
        rules = {(g.id, r.id): r for g in groups for r in g.rules}
        rows: dict[str, list[dict]] = {g.id: [] for g in groups}
        for rule_id, group_id, points in got.rules:
            rule = rules.get((group_id, rule_id))
            if rule is not None and not rule.event:
                rows[group_id].append({"rule": rule, "points": points, "base": rule.points, "event": None})
        events = [(e.type, e.date.isoformat()) for e in example.events]
        for (kind, day), contributions in zip(events, event_points(self.pb, as_of, events)):
            date = dt.date.fromisoformat(day)
            for rule_id, group_id, points in contributions:
                rule = rules.get((group_id, rule_id))
                if rule is None:
                    continue
                rows[group_id].append({"rule": rule, "points": points, "base": rule.points, "event": rule.event,
                                       "date": date, "age": (as_of - date).days,
                                       "factor": points / rule.points if rule.points else 1.0})
        lines = []
        for g in groups:
            total = sum(row["points"] for row in rows[g.id])
            capped = min(total, g.cap) if g.cap is not None else total
            lines.append({"group": g, "rows": rows[g.id], "sum": total, "capped": capped,
                          "cap_applied": g.cap is not None and total > g.cap})
        added = got.fit + got.engagement
        band = None
        for b in sorted(model.bands if model else [], key=lambda b: b.min):
            if b.min <= got.total:
                band = b
        events = [row for line in lines for row in line["rows"] if row["event"]]
        events.sort(key=lambda row: (row["date"] or as_of, row["rule"].id))
        return {"scored": got, "as_of": as_of, "groups": lines, "events": events, "fit": got.fit,
                "engagement": got.engagement, "added": round(added, 2), "total": got.total,
                "limited": round(added, 2) != got.total, "band": band}

    @staticmethod
    def example_problems(example, scored, stage: str | None = None, persona: str | None = None) -> list[str]:
        """Where the example's expectations and the definitions disagree (what PB801 reports)."""
        from .scoring.outputs import example_problems
        return example_problems(example.expect, scored, stage, persona)

    def goal_pairs(self):
        pairs = []
        goals = self.pb.of("goal")
        for g in goals:
            supporters = [x for x in goals if g.id in x.supports]
            if supporters or not g.supports:
                pairs.append((g, supporters))
        return pairs

    def owned_by(self, team):
        return sorted((e for e in self.pb.all_entities if e.owner == team.id and e.KIND != "team"),
                      key=lambda e: (m.KIND_LABELS[e.KIND], self.title_of(e).lower()))

    def tag_index(self):
        out: dict[str, list] = {}
        for e in self.pb.all_entities:
            for t in self.tags_of(e):
                out.setdefault(t, []).append(e)
        return [(self.tag_label(t), Markup(tag_anchor(t)), sorted(es, key=lambda e: (e.KIND, e.id)))
                for t, es in sorted(out.items())]

    def overdue(self):
        rows = []
        for e in self.pb.all_entities:
            due = self.review_due(e)
            if due and due < self.today:
                rows.append((due, e))
        return sorted(rows, key=lambda r: (r[0], r[1].KIND, r[1].id))

    def qualification_stage(self):
        return qualification_stage(self.pb)

    def lifecycle_svg(self) -> Markup:
        # a <div> is a raw HTML block to Markdown, so nothing (abbreviations included) touches the SVG
        svg = lifecycle_svg(self.pb, lambda s: safe_slug(s.id) + "/")
        return Markup(f'<div class="pb-diagram">{svg}</div>') if svg else Markup("")


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \w matches in a str pattern


def _whole_word_in(word: str, text: str) -> bool:
    """Whether ``\\bword\\b`` matches in ``text``; a search for the plain string first is many
    times faster than a pattern that starts with ``\\b``."""
    first, last, end = _is_word(word[0]), _is_word(word[-1]), len(word)
    i = text.find(word)
    while i >= 0:
        if (i > 0 and _is_word(text[i - 1])) != first:
            j = i + end
            if (j < len(text) and _is_word(text[j])) != last:
                return True
        i = text.find(word, i + 1)
    return False


# The HTML blocks of links that link_list and referred_html write (their text is escaped, so
# the first closing tag after the opening one is theirs)
_LINK_LISTS = re.compile(r'^<ul(?: class="[^"]*")? data-search-exclude>\n.*?\n</ul>$'
                         r'|^<div class="pb-referred" data-search-exclude>\n.*?\n</ul>\n</div>$', re.MULTILINE | re.DOTALL)


def _served(path: str) -> str:
    """Where the engine serves a page of the Markdown tree (directory addresses): ``x.md`` and
    ``x/index.md`` as ``x/``, the home page as the site's root ("")."""
    if path == "index.md":
        return ""
    if path.endswith("/index.md"):
        return path[:-len("index.md")]
    return path[:-3] + "/"


def tag_anchor(tag: str) -> str:
    return "tag-" + re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")
