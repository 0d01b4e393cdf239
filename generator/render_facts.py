"""What the pages say about an entity in a line: owner, status and review dates, the names of
metrics and values, conditions on leads, the dimensions a question covers, other names.
"""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

from . import model as m
from .render_words import (DIMENSION_WORDS, condition_words, dimension_label, edit_link, framework_label,
                           md_escape, value_text)



class Facts:
    """Entity facts for :class:`~generator.render.Renderer` (its links, history, day and settings)."""

    def metric_label(self, metric: str | None) -> str:
        """A metric's name for people: "Response time", never response_time."""
        if not metric:
            return ""
        found = self.pb.metrics.get(metric)
        text = found.label if found is not None else metric.replace("_", " ")
        return text[:1].upper() + text[1:]

    def value_words(self, value) -> Markup:
        """A promised or expected value in words: durations spelled out, sets joined."""
        return md_escape(value_text(value))

    def who(self, text: str | None) -> Markup:
        """A person in a procedure step: the role's or team's name (linked) when it is an id,
        else the words as written."""
        if not text:
            return Markup("")
        if text in self.pb.roles or text in self.pb.known_ids["team"]:
            return self.link("role", text)
        return md_escape(text)

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
        review is due or overdue. The line is a paragraph of HTML, out of search.
        """
        parts = []
        if entity.owner:
            parts.append(f"<strong>Owner</strong> {self.html_link('team', entity.owner, marked=True)}")
        else:
            parts.append("<strong>Owner</strong> none")
        if not short or entity.status != "approved":
            parts.append(f"<strong>Status</strong> {self.html_text(entity.status)}")
        badge = self._review_badge(entity)
        if not short:
            if entity.last_reviewed:
                parts.append(f"<strong>Last reviewed</strong> {entity.last_reviewed.isoformat()}")
            due = self.review_due(entity)
            if badge:
                parts.append(badge)
            elif due:
                parts.append(f"<strong>Next review</strong> {due.isoformat()}")
        elif badge:
            parts.append(badge)
        changed_in = self.history.last_changed.get((entity.KIND, entity.id)) if self.history else None
        if changed_in:
            parts.append(f"<strong>Last changed in version</strong> {self.html_text(changed_in)}")
        edit = self.edit_url(entity)
        if edit:
            parts.append(f'<a class="pb-edit" href="{escape(edit)}">Propose a change</a>')
        return Markup('<p class="pb-meta" data-search-exclude>' + " · ".join(parts) + "</p>")

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
            parts.append(f"<strong>Last reviewed</strong> {first}" + (f" to {last}" if last != first else ""))
        late = [d for d in dues if d < self.today]
        if late:
            parts.append(f'<span class="pb-overdue">{len(late)} overdue for review</span>')
        elif dues:
            parts.append(f"<strong>Next review</strong> {dues[0].isoformat()}")
        changed = [self.history.last_changed.get((e.KIND, e.id)) for e in entities] if self.history else []
        changed = sorted({c for c in changed if c})
        if changed:
            parts.append(f"<strong>Last changed in version</strong> {self.html_text(changed[-1])}")
        if not parts:
            return Markup("")
        return Markup('<p class="pb-meta" data-search-exclude>' + " · ".join(parts) + "</p>")

    def condition(self, cond) -> Markup:
        return md_escape(condition_words(cond))

    def condition_html(self, cond) -> Markup:
        return self.html_text(condition_words(cond))

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
