"""Links between the pages: where each entity is shown, links to it in Markdown and in HTML
(relative to the page being rendered), the lists of links a page shows, and its tags.
"""

from __future__ import annotations

import posixpath

from markupsafe import Markup, escape

from . import model as m
from .kinds import KINDS, OTHER_PLACES
from .render_words import md_escape, safe_slug, tag_anchor


# Where each kind lives: (page pattern, anchored?) — anchored kinds are sections of one page.
PLACES = {k.kind: (k.page, k.anchored) for k in KINDS} | OTHER_PLACES


class Links:
    """The links of :class:`~generator.render.Renderer`: ``self.current`` is the page being rendered."""

    def url(self, kind: str, ident: str) -> str | None:
        """The Markdown path (with #anchor) of an entity, relative to the current page."""
        target = self.target(kind, ident)
        if target is None:
            return None
        rel = self._rel(target[0])
        return rel + "#" + target[1] if target[1] else rel

    def target(self, kind: str, ident: str) -> tuple[str, str] | None:
        """Where an entity is shown: (its page's path in the Markdown tree, the anchor on it or
        ""); None when it has no page. The same from every page."""
        key = (kind, ident)
        try:
            return self._targets[key]
        except KeyError:
            found = self._targets[key] = self._target(kind, ident)
            return found

    def _target(self, kind: str, ident: str) -> tuple[str, str] | None:
        place = PLACES.get(kind)
        if place is None:
            return None
        if kind == "role":
            if ident not in self.pb.roles:
                kind = "team"
                if ident not in self.pb.known_ids["team"]:
                    return None
            else:
                return "teams.md", "role-" + safe_slug(ident)
        elif self.pb.get(kind, ident) is None:
            return None
        pattern, anchored = PLACES[kind]
        return pattern.format(id=safe_slug(ident)), safe_slug(ident) if anchored else ""

    def html_url(self, kind: str, ident: str) -> str | None:
        """The address of an entity as the built site has it (``../personas/erin/``, relative
        to the current page), for links written as HTML; None when it has no page."""
        target = self.target(kind, ident)
        return None if target is None else self._page_href(*target)

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
                rel = relative(there.rstrip("/"), here.rstrip("/"))
                rel = "./" if rel == "." else rel + "/"
            self._href_cache[key] = rel
        return rel + ("#" + anchor if anchor else "") if rel or anchor else "./"

    def html_link(self, kind, ident=None, text=None, marked: bool = False) -> Markup:
        """:meth:`link` written as HTML, for lists of links a page shows as an HTML block (the
        Markdown engine passes those through instead of parsing them): the text escaped, the
        address computed here; struck through when the entity does not exist. ``marked``: its
        text with abbreviation tooltips (:meth:`html_text`), as a Markdown link's has."""
        key = None
        if text is None:
            key = (("html", self.current, marked and self.tooltips)
                   + ((kind.KIND, kind.id) if isinstance(kind, m.Entity) else (kind, ident)))
            found = self._link_cache.get(key)
            if found is not None:
                return found
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
        shown = self.html_text(text) if marked else escape(" ".join(str(text).split()))
        if href is None:
            out = Markup(f"<del>{shown}</del>")
        else:
            out = Markup(f'<a href="{escape(href)}">{shown}</a>')
        if key is not None:
            self._link_cache[key] = out
        return out

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
            rel = self._rel_cache[key] = relative(target, here)
        return rel

    def link(self, kind, ident=None, text=None) -> Markup:
        """A Markdown link to an entity; plain text (struck through) when it does not exist."""
        key = None
        if text is None:
            here = posixpath.dirname(self.current)
            key = ("md", here, kind.KIND, kind.id) if isinstance(kind, m.Entity) else ("md", here, kind, ident)
            found = self._link_cache.get(key)
            if found is not None:
                return found
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
        out = Markup(f"~~{md_escape(text)}~~") if href is None else Markup(f"[{md_escape(text)}]({href})")
        if key is not None:
            self._link_cache[key] = out
        return out

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
        ranked = self._referrers.get((entity.KIND, entity.id))
        if ranked is None:
            ranked = self._referrers[(entity.KIND, entity.id)] = self._ranked_referrers(entity)
        return [(link(src), m.KIND_LABELS[src.KIND]) for src in ranked]

    def _ranked_referrers(self, entity) -> list:
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
        return [src for _, src in ranked]

    def tag_links(self, entity) -> Markup:
        tags = self.tags_of(entity)
        if not tags:
            return Markup("")
        links = [f'<a class="pb-tag" href="{escape(self._page_href("tags.md", tag_anchor(t)))}">'
                 f'{self.html_text(self.tag_label(t))}</a>' for t in tags]
        # tags say who owns it and where it belongs, which search results need not repeat
        return Markup('<p class="pb-tags" data-search-exclude>' + " ".join(links) + "</p>")

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


def _served(path: str) -> str:
    """Where the engine serves a page of the Markdown tree (directory addresses): ``x.md`` and
    ``x/index.md`` as ``x/``, the home page as the site's root ("")."""
    if path == "index.md":
        return ""
    if path.endswith("/index.md"):
        return path[:-len("index.md")]
    return path[:-3] + "/"



def relative(there: str, here: str) -> str:
    """``posixpath.relpath(there, here)`` for two normalised paths inside the tree ("" or "."
    for its root), without asking the file system for the working folder."""
    a = here.split("/") if here not in ("", ".") else []
    b = there.split("/") if there not in ("", ".") else []
    same = 0
    while same < len(a) and same < len(b) and a[same] == b[same]:
        same += 1
    return "/".join([".."] * (len(a) - same) + b[same:]) or "."
