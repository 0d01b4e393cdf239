"""Text from the playbook in the Markdown that check, diff and review write shows as itself when
GitHub renders it (GitHub's own renderer, cmark-gfm, with its table, strikethrough and autolink
extensions): no emphasis, link, tag, entity, struck text or extra table cell out of a name."""

from __future__ import annotations

import html
import re

import cmarkgfm
import pytest
from click.testing import CliRunner
from cmarkgfm.cmark import Options

from generator.cli import main
from generator.text import markdown_text

from conftest import write_playbook

HOSTILE = [
    "*bold* and _italic_ and __strong__",
    "~~struck~~ ~single~",
    "[a link](https://example.com) ![img](x.png)",
    "<script>alert(1)</script> <b>b</b>",
    "&lt; is an entity, &amp; &#42; too",
    "pipe | in | a cell",
    "`code` and ``more``",
    "# not a heading",
    "back\\slash \\* \\|",
    "see https://example.com/auto here, <not-a-tag> <https:x>",
    "line one\nline two\t\ttabbed",
    "Sales & Marketing",
    "* a list? 1. no",
]


def render(md: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)


def without_bare_urls(fragment: str) -> str:
    """GitHub links a bare web address wherever it stands; its text stays the address itself."""
    return re.sub(r'<a href="([^"]+)">\1</a>', r"\1", fragment)


def visible(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_renders_as_itself_in_a_table_cell_and_a_list_item(text):
    shown = " ".join(text.split())
    table = render(f"| A | B |\n| --- | --- |\n| {markdown_text(text)} | x |\n")
    cells = re.findall(r"<td>(.*?)</td>", table, re.S)
    assert len(cells) == 2, table
    assert "<" not in without_bare_urls(cells[0]), cells[0]  # no tag of any kind from the text
    assert visible(cells[0]) == shown
    item = render(f"- **changed** {markdown_text(text)}\n")
    body = without_bare_urls(re.search(r"<li>(.*)</li>", item, re.S).group(1))
    assert visible(body) == "changed " + shown
    assert body.count("<strong>") == 1 and "<em>" not in body and "<del>" not in body and "<a " not in body


def test_line_breaks_kept_when_asked():
    assert markdown_text("a *b*\nc", one_line=False) == "a \\*b\\*\nc"
    assert markdown_text("a *b*\nc") == "a \\*b\\* c"


GOALS = """
goals:
  - {id: odd, name: "*Grow* <b>MRR</b> | fast & [well](https://x.example)", owner: sales, metric: m,
     target: t, last_reviewed: 2025-01-01, review_every_days: 30}
"""


def test_review_agenda_shows_a_hostile_name_as_itself(tmp_path):
    root = write_playbook(tmp_path, {
        "playbook.yaml": "name: Odd ~team~ & *co*\n",
        "definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales <i>team</i>}\n",
        "definitions/goals.yaml": GOALS,
    })
    result = CliRunner().invoke(main, ["review", str(root), "--today", "2026-01-01", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    page = without_bare_urls(render(result.output))
    assert visible(re.search(r"<h2>(.*?)</h2>", page).group(1)) == "Review agenda — Odd ~team~ & *co*, 2026-01-01"
    assert visible(re.search(r"<h3>(.*?)</h3>", page).group(1)) == "Sales <i>team</i>"
    row = re.findall(r"<tr>(.*?)</tr>", page, re.S)[1]
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert len(cells) == 7
    assert visible(cells[1]) == "*Grow* <b>MRR</b> | fast & [well](https://x.example) (odd)"
    for tag in ("<em>", "<b>", "<a ", "<del>", "<i>"):
        assert tag not in page


def test_diff_comment_shows_a_hostile_name_and_value_as_themselves(tmp_path):
    from conftest import git, invoke_in
    root = write_playbook(tmp_path, {
        "playbook.yaml": "name: Odd\n",
        "definitions/teams.yaml": "teams:\n  - {id: sales, name: Sales}\n",
        "definitions/goals.yaml": GOALS,
    })
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    goals = root / "definitions" / "goals.yaml"
    goals.write_text(goals.read_text().replace("target: t,", "target: '*x* ~y~ <u>z</u> | w',"))
    result = invoke_in(root, "diff", "main", "--format", "markdown")
    assert result.exit_code == 0, result.output
    page = without_bare_urls(render(result.output))
    item = re.search(r"<li><strong>changed</strong>(.*?)</li>", page, re.S).group(1)
    assert "*Grow* <b>MRR</b> | fast & [well](https://x.example)" in visible(item)
    assert "*x* ~y~ <u>z</u> | w" in visible(item)
    name, _, value = item.partition("<ul>")
    assert "<em>" not in name and "<b>" not in name and "<a " not in name and "<del>" not in name
    # the word diff strikes the old value and marks the new one in bold; nothing else is markup
    assert re.search(r"<del>t</del> <strong>([^<]*)</strong>", value), value
