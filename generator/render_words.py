"""Words for the pages: user text made inert Markdown, ids as slugs, durations and framework
dimensions as people say them, and the search engine's vocabulary.

All user text reaches a Markdown page through :func:`md_escape`: HTML is escaped and Markdown
punctuation is backslash-escaped, so a ``<script>`` in a persona's name is shown as text.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from .criteria import condition_text
from .units import Duration, describe

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~^])")


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


def value_text(value) -> str:
    """A promised or expected value in words: durations spelled out, sets joined."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return duration_words(value)


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


def condition_words(cond) -> str:
    """Conditions on lead fields in words: "monthly ad budget ≥ 2000 and industry is one of dtc"."""
    return condition_text(cond)


def tag_anchor(tag: str) -> str:
    return "tag-" + re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")

