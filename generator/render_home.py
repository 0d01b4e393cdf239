"""The home page: the places a hand-written home page names become links, and a "Where to
start" for each team when the page does not write its own.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from . import model as m
from .render_links import PLACES
from .render_words import safe_slug



class Home:
    """The home page's links for :class:`~generator.render.Renderer`."""

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
                place = PLACES.get(e.KIND)
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
                        PLACES["persona"][0].format(id=safe_slug(p.id)))
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
