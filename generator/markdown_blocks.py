"""The HTML blocks of the generated pages, handed to the page as written (a Python-Markdown
extension the site's configuration loads as ``generator.markdown_blocks``).

The heavy parts of the pages (tables, lists, call sheets, lists of links) are written as HTML
blocks whose texts are already escaped (:meth:`generator.render.Renderer.html_text`). Markdown
passes such a block through unchanged, but finds where it ends by parsing every tag of it,
which cost a large playbook's build more than the rest of the page. :func:`wrap` marks each
complete block of a generated page between two comment lines; the preprocessor here puts what
is between them into the page as it is, without parsing it. Without the extension (another
engine, the kept Markdown tree) the marks are HTML comments and the blocks are read as before.
"""

from __future__ import annotations

import re

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

OPEN = "<!-- pb-html -->"
CLOSE = "<!-- /pb-html -->"
_FIRST_TAG = re.compile(r"<(table|ul|ol|dl|div|p)[\s>]")


def wrap(text: str) -> str:
    """``text`` (a generated page) with each complete HTML block between the marks: a block of
    lines without a blank line that opens with a block-level tag (not one whose content is
    Markdown, ``markdown`` attribute), and closes every element of that name it opens."""
    chunks = text.split("\n\n")
    for i, chunk in enumerate(chunks):
        found = _FIRST_TAG.match(chunk)
        if not found:
            continue
        first_line = chunk.split("\n", 1)[0]
        tag = found.group(1)
        if " markdown" in first_line or not chunk.rstrip().endswith(f"</{tag}>"):
            continue
        if chunk.count(f"<{tag}>") + chunk.count(f"<{tag} ") != chunk.count(f"</{tag}>"):
            continue
        body = chunk.rstrip()
        chunks[i] = f"{OPEN}\n{body}\n{CLOSE}{chunk[len(body):]}"
    return "\n\n".join(chunks)


_MARKED = re.compile(re.escape(OPEN) + r"\n.*?\n" + re.escape(CLOSE), re.DOTALL)


def each_block(text: str, change) -> str:
    """``text`` with the body of each marked block replaced by ``change(body)``."""
    return _MARKED.sub(lambda hit: f"{OPEN}\n{change(hit.group(0)[len(OPEN) + 1:-len(CLOSE) - 1])}\n{CLOSE}", text)


def unmarked(text: str) -> str:
    """``text`` without its marked blocks: what the Markdown engine reads of it."""
    return _MARKED.sub("", text)


class _Blocks(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        if OPEN not in lines:
            return lines
        out: list[str] = []
        i = 0
        while i < len(lines):
            if lines[i] == OPEN:
                try:
                    end = lines.index(CLOSE, i + 1)
                except ValueError:
                    out.extend(lines[i:])
                    break
                out += ["", self.md.htmlStash.store("\n".join(lines[i + 1:end])), ""]
                i = end + 1
            else:
                out.append(lines[i])
                i += 1
        return out


class PlaybookBlocks(Extension):
    def extendMarkdown(self, md):
        # after the whitespace is normalised (30), before the engine looks for raw HTML (20)
        md.preprocessors.register(_Blocks(md), "playbook_blocks", 25)


def makeExtension(**kwargs):  # noqa: N802 - the name Python-Markdown looks for
    return PlaybookBlocks(**kwargs)
