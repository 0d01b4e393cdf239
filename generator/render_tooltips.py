"""The glossary's abbreviations as tooltips: which occur in a text, the definitions a page's
Markdown needs, and user text for an HTML block with its abbreviations marked.

The abbr extension of the Markdown engine marks an abbreviation wherever it occurs as a whole
word in Markdown text, longest first; it leaves HTML blocks alone. So a page lists only the
definitions of the words it uses (:meth:`Abbreviations.block`), and text the pages write as
HTML is marked here the same way (:meth:`Abbreviations.marked`).
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup, escape

from .render_words import tooltip_text

_WORD = re.compile(r"\w+")
_TAGS = re.compile(r"(<[^>]*>)")


def glossary_abbreviations(terms) -> list[tuple[str, str]]:
    """Words that show their glossary definition as a tooltip wherever they occur.

    Abbreviations, and terms of two or more words (as written and in lower case); single
    common words such as "lead" would put a tooltip on every other sentence.
    """
    out = {}
    for term in sorted(terms, key=lambda t: t.id):
        definition = tooltip_text(term.definition)
        words = [term.abbreviation] if term.abbreviation else []
        if len(term.term.split()) >= 2:
            words += [term.term, term.term.lower()]
        for word in words:
            if word and not re.search(r"[\[\]\n]", word):
                out.setdefault(word, definition)
    return sorted(out.items())


class Abbreviations:
    """(word, definition) pairs, sorted by word; the definitions are tooltip text."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.abbreviations = list(pairs)
        self.definitions = dict(self.abbreviations)
        self._by_word: dict[str, list[tuple[str, frozenset[str], int]]] | None = None
        self._marked: dict[str, Markup] = {}
        self._patterns: dict[frozenset, re.Pattern] = {}

    def block(self, text: str) -> str:
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
        found = self.found_in(text) | self.found_in(plain)
        lines = [f"*[{abbr}]: {self.definitions[abbr]}" for abbr in sorted(found)]
        return "\n" + "\n\n".join(lines) + "\n" if lines else ""

    def marked(self, text: str) -> Markup:
        """``text`` escaped for HTML, each abbreviation in it an ``<abbr>`` with its definition
        as the title, as the abbr extension marks Markdown text: whole words, longest first."""
        done = self._marked.get(text)
        if done is not None:
            return done
        words = self.found_in(text) if self.abbreviations else ()
        if not words:
            done = escape(text)
        else:
            key = frozenset(words)
            pattern = self._patterns.get(key)
            if pattern is None:
                alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                pattern = self._patterns[key] = re.compile(rf"\b(?:{alternation})\b")
            out, last = [], 0
            for hit in pattern.finditer(text):
                word = hit.group(0)
                out += [str(escape(text[last:hit.start()])),
                        f'<abbr title="{escape(self.definitions[word])}">{escape(word)}</abbr>']
                last = hit.end()
            out.append(str(escape(text[last:])))
            done = Markup("".join(out))
        self._marked[text] = done
        return done

    def mark_block(self, block: str) -> str:
        """An HTML block (its texts escaped) with the abbreviations in its texts marked, as the
        abbr extension marks Markdown text: the words the template wrote as well as the user
        text (:meth:`marked`); text already inside an ``<abbr>`` is left as it is."""
        parts = _TAGS.split(block)
        inside = 0
        for i, part in enumerate(parts):
            if i % 2:
                if part.startswith("<abbr"):
                    inside += 1
                elif part == "</abbr>":
                    inside -= 1
            elif part and not inside and not part.isspace():
                text = html.unescape(part)
                if self.found_in(text):
                    parts[i] = str(self.marked(text))
        return "".join(parts)

    def found_in(self, text: str) -> set[str]:
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
        if self._by_word is None:
            # each abbreviation under one of its words (those without any: under ""), with how
            # to find it: 0 a single word, n a span of n words, -1 a search of the text
            self._by_word = {}
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
                self._by_word.setdefault(key, []).append((word, tokens, how))
        words = set(_WORD.findall(text))
        found = set()
        spans: dict[int, set[str]] = {}
        bounds = None
        for key in words.union([""]):
            for word, tokens, how in self._by_word.get(key, ()):
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
