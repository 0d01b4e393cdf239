"""Text written into Markdown that others render: one escaping rule for every command's output.

``playbook check --format markdown`` (a CI job summary), ``playbook diff --format markdown`` (a
pull-request comment) and ``playbook review --format markdown`` (an agenda pasted into an issue)
are read rendered as GitHub-flavoured Markdown. A name, message or value from the playbook must
show as itself there: never as emphasis, a link, a table cell boundary, an HTML tag or an entity.
CommonMark lets a backslash make any ASCII punctuation literal, so every character that could
start markup gets one. (The site's pages are rendered by Python-Markdown, whose escapes differ:
see ``render.md_escape``.) GitHub still links a bare web address in any text, as it does in
every comment; the address stays as written, save that punctuation escaped right after it can
show its backslash.
"""

from __future__ import annotations

import re

# what could start markup in GitHub-flavoured Markdown: code, emphasis, strikethrough, links and
# images, HTML and autolinks, entities, table cells, headings
_SPECIAL = re.compile(r"([\\`*_~\[\]<>|&#])")


def markdown_text(text, *, one_line: bool = True) -> str:
    """``text`` as literal GitHub-flavoured Markdown. With ``one_line`` (a table cell, a list
    item's line) runs of whitespace, line breaks included, become one space; without it line
    breaks stay, for the caller to join."""
    text = str(text)
    if one_line:
        text = " ".join(text.split())
    return _SPECIAL.sub(r"\\\1", text)
