"""Nothing from YAML runs in a reader's browser, and nothing outside the playbook is published."""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.check import run_check
from generator.cli import main
from generator.config import Config
from generator.render import edit_link, tooltip_text
from generator.site import generate

from conftest import TODAY, write_playbook

TEAMS = """
    teams:
      - id: sales
        name: Sales
    """


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


# ----------------------------------------------------------------------------- links from data

@pytest.mark.parametrize("pattern, path, expected", [
    ("https://git.example.com/edit/main/{path}", "definitions/x)[clk](javascript:alert(7)).yaml",
     "https://git.example.com/edit/main/definitions/x%29%5Bclk%5D%28javascript%3Aalert%287%29%29.yaml"),
    ("https://git.example.com/edit/{path}", "personas/a b.yaml", "https://git.example.com/edit/personas/a%20b.yaml"),
    ("javascript:alert(1)//{path}", "personas/a.yaml", None),
    ("data:text/html,{path}", "personas/a.yaml", None),
    ("{path}", "personas/a.yaml", None),
    ('https://x.example/"onmouseover=alert(1)/{path}', "personas/a.yaml", None),
])
def test_edit_links_are_http_only_with_the_path_percent_encoded(pattern, path, expected):
    assert edit_link(pattern, path) == expected


def test_a_file_name_cannot_make_the_edit_link_run_script(tmp_path):
    evil = "definitions/x)[clk](javascript:alert(7)).yaml"
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS, evil: """
        service_commitments:
          - {id: reply, name: Reply, metric: response_time, value: 1d business, owner: sales}
        """})
    (root / "playbook.yaml").write_text("name: Evil\nsite:\n  edit_url: https://git.example.com/edit/{path}\n",
                                       encoding="utf-8")
    site = tmp_path / "site"
    result = invoke("build", str(root), "--site-dir", str(site), "--today", "2026-11-22", "--allow-errors")
    assert result.exit_code == 0, result.output
    html = (site / "service-commitments" / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert not [h for h in hrefs if h.lower().lstrip().startswith(("javascript:", "data:", "vbscript:"))]
    assert "https://git.example.com/edit/definitions/x%29%5Bclk%5D%28javascript%3Aalert%287%29%29.yaml" in hrefs


# ----------------------------------------------------------------------------- tooltips

@pytest.mark.parametrize("definition", [
    'Lead <img src=x onerror="alert(1)">\n  and <b>more</b>',
    "Lead &lt;img src=x onerror=alert(1)&gt;",  # entities: the Markdown engine keeps them as written
    "Lead &#60;img src=x onerror=alert(1)&#x3e;",
    "Lead &amp;lt;img src=x onerror=alert(1)&amp;gt;",  # encoded twice
])
def test_tooltip_text_can_never_open_a_tag(definition):
    import markdown
    text = tooltip_text(definition)
    assert "onerror" in text and "\n" not in text
    page = markdown.markdown(f"MQL here\n\n*[MQL]: {text}", extensions=["abbr"])
    title = html.unescape(re.search(r'title="([^"]*)"', page).group(1))  # what the browser decodes
    assert "<" not in title and ">" not in title  # so Material's tooltip cannot render a tag


def test_ordinary_ampersands_stay_as_written():
    assert tooltip_text("R&D and Q & A") == "R&D and Q & A"


def test_glossary_definitions_reach_the_abbreviation_list_without_angle_brackets(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS, "definitions/glossary.yaml": """
        glossary:
          - id: evl
            term: Evil term
            abbreviation: EVL
            owner: sales
            definition: '<img src=x onerror=alert(1)> <script>alert(2)</script>'
        """, "personas/p.yaml": "id: p\nname: P\nowner: sales\nsummary: Asks about EVL first.\n"})
    result = run_check(root, Config(), TODAY)
    tree = generate(result.playbook, Config(), TODAY)
    lines = [line for text in tree.files.values() for line in text.splitlines() if line.startswith("*[")]
    assert lines and all("<" not in line and ">" not in line for line in lines)
    assert any("onerror" in line for line in lines)


# ----------------------------------------------------------------------------- symbolic links

@pytest.fixture
def outside(tmp_path):
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.yaml").write_text("glossary:\n  - {id: secret, term: Secret, definition: s3cr3t-value, owner: sales}\n",
                                        encoding="utf-8")
    (secret / "secret.md").write_text("# Secret page\n\ns3cr3t-value\n", encoding="utf-8")
    return secret


@pytest.mark.parametrize("link, target", [
    ("definitions/secret.yaml", "secret.yaml"),
    ("personas/secret.yaml", "secret.yaml"),
    ("playbook/secret.md", "secret.md"),
    ("definitions/more", "."),  # a linked folder
    ("playbook/guides", "."),
])
def test_a_symlink_is_refused_with_a_located_finding_and_never_published(tmp_path, outside, link, target):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS, "playbook/index.md": "# Home\n"})
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    (root / link).symlink_to(outside / target)
    result = run_check(root, Config(), TODAY)
    found = [(f.code, f.location.path, f.location.line) for f in result.findings if f.code == "PB003"]
    assert found == [("PB003", link, 1)]
    assert "symbolic link" in [f for f in result.findings if f.code == "PB003"][0].message
    assert result.playbook.get("term", "secret") is None
    site = tmp_path / "site"
    built = invoke("build", str(root), "--site-dir", str(site), "--today", "2026-11-22", "--allow-errors")
    assert built.exit_code == 0, built.output
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".xml"):
            assert "s3cr3t-value" not in path.read_text(encoding="utf-8", errors="replace"), path


@pytest.mark.parametrize("link", ["templates/glossary.md.j2", "templates"])
def test_a_symlinked_template_is_refused_and_never_read(tmp_path, outside, link):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS})
    (root / "templates").mkdir()
    if link == "templates":
        (root / "templates").rmdir()
        (outside / "glossary.md.j2").write_text("# Glossary\n\ns3cr3t-value\n", encoding="utf-8")
        (root / link).symlink_to(outside)
    else:
        (root / link).symlink_to(outside / "secret.md")
    result = run_check(root, Config(), TODAY)
    assert [(f.code, f.location.path) for f in result.findings if f.code == "PB003"] == [("PB003", link)]
    tree = generate(result.playbook, Config(), TODAY)
    assert not [p for p, text in tree.files.items() if "s3cr3t-value" in text]
    assert "# Glossary" in tree.files["glossary.md"]


def test_check_reports_a_symlink_and_exits_1(tmp_path, outside):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS})
    (root / "definitions" / "secret.yaml").symlink_to(outside / "secret.yaml")
    result = invoke("check", str(root), "--today", "2026-11-22")
    assert result.exit_code == 1
    assert "definitions/secret.yaml:1:1: PB003" in result.output


# ----------------------------------------------------------------------------- hand-written pages

@pytest.mark.parametrize("content, line", [(b"# Caf\xe9\n", 1), (b"# Title\n\nok\n\x00binary", 4)])
def test_an_unreadable_hand_written_page_is_a_located_finding(tmp_path, content, line):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS})
    (root / "playbook").mkdir()
    (root / "playbook" / "guide.md").write_bytes(content)
    result = invoke("check", str(root), "--today", "2026-11-22")
    assert result.exit_code == 1, result.output
    assert f"playbook/guide.md:{line}:" in result.output and "PB003" in result.output
    built = invoke("build", str(root), "--site-dir", str(tmp_path / "site"), "--today", "2026-11-22")
    assert built.exit_code == 1 and not (tmp_path / "site").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file without read permission")
def test_a_hand_written_page_without_read_permission_is_a_located_finding(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS, "playbook/guide.md": "# Guide\n"})
    (root / "playbook" / "guide.md").chmod(0)
    result = invoke("check", str(root), "--today", "2026-11-22")
    assert result.exit_code == 1 and "playbook/guide.md:1:1: PB003" in result.output


def test_a_folder_named_like_a_page_is_not_a_crash(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS,
                                            "playbook/odd.md/inner.md": "# Inner page\n"})
    result = invoke("build", str(root), "--site-dir", str(tmp_path / "site"), "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "odd.md" / "inner" / "index.html").is_file()


# ----------------------------------------------------------------------------- the team's mkdocs.yml

@pytest.mark.parametrize("text, where", [
    ("nav: 5\n", "mkdocs.yml:1:6"),
    ("extra: [1]\n", "mkdocs.yml:1:8"),
    ("extra_css: 5\n", "mkdocs.yml:1:12"),
    ("markdown_extensions: [{}]\n", "mkdocs.yml:1:23"),
    ("- one\n- two\n", "mkdocs.yml:1:1"),
    ("site_name: x\nplugins:\n  - [search]\n", "mkdocs.yml:3:5"),
    ("theme:\n  features: 3\n", "mkdocs.yml:2:13"),
])
def test_a_wrong_type_in_mkdocs_yml_is_a_located_configuration_error(tmp_path, text, where):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS})
    (root / "mkdocs.yml").write_text(text, encoding="utf-8")
    result = invoke("build", str(root), "--site-dir", str(tmp_path / "site"), "--today", "2026-11-22")
    assert result.exit_code == 2, result.output
    assert where in result.output
    assert not (tmp_path / "site").exists()


def test_a_setting_the_engine_cannot_use_is_reported_without_its_traceback(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS})
    (root / "mkdocs.yml").write_text("theme:\n  name: material\n  palette: 5\n", encoding="utf-8")
    result = invoke("build", str(root), "--site-dir", str(tmp_path / "site"), "--today", "2026-11-22")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and 'File "' not in result.output
    assert "mkdocs.yml" in result.output and "TypeError" in result.output


def test_a_theme_given_by_name_builds(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS})
    (root / "mkdocs.yml").write_text("theme: material\n", encoding="utf-8")
    result = invoke("build", str(root), "--site-dir", str(tmp_path / "site"), "--today", "2026-11-22")
    assert result.exit_code == 0, result.output


# ----------------------------------------------------------------------------- serve

def test_serve_on_a_port_in_use_or_no_port_is_a_usage_error(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = invoke("serve", str(root), "-a", f"127.0.0.1:{port}")
        assert result.exit_code == 2 and "already in use" in result.output
    for address in ("127.0.0.1:99999", "8000", "127.0.0.1:", "host.invalid:8000"):
        result = invoke("serve", str(root), "-a", address)
        assert result.exit_code == 2, (address, result.output)
        assert "Serving on" not in result.output


@pytest.mark.parametrize("value", ["javascript:alert(1)//{path}", "https://git.example.com/edit/main/", "[1]",
                                   "ftp://git.example.com/{path}"])
def test_an_edit_url_that_is_not_an_http_address_is_a_configuration_error(tmp_path, value):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS})
    (root / "playbook.yaml").write_text(f"name: Acme\nsite:\n  edit_url: {value}\n", encoding="utf-8")
    result = invoke("check", str(root))
    assert result.exit_code == 2, result.output
    assert "playbook.yaml:3:13" in result.output and "edit_url" in result.output


def test_an_unknown_site_setting_is_a_configuration_error(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS})
    (root / "playbook.yaml").write_text("name: Acme\nsite:\n  edit_url: https://x.example/{path}\n  theme: dark\n",
                                       encoding="utf-8")
    result = invoke("check", str(root))
    assert result.exit_code == 2 and "playbook.yaml:4:3" in result.output and '"theme"' in result.output


def test_names_in_html_blocks_are_escaped(tmp_path):
    """Lists of links, "Referred to by" and the question facts are written as HTML: every name
    in them is escaped, and an id that names nothing is shown struck through, not linked."""
    evil = "<img src=x onerror=alert(1)> & <b>"
    root = write_playbook(tmp_path, {
        "definitions/teams.yaml": TEAMS,
        "personas/p.yaml": f"id: p\nname: '{evil}'\nowner: sales\n",
        "definitions/qualifying-questions.yaml": "qualifying_questions:\n"
            f"  - {{id: q, question: '{evil}?', owner: sales, personas: [p, ghost]}}\n",
        "definitions/value-propositions.yaml": "value_propositions:\n"
            f"  - {{id: v, name: '{evil} offer', statement: s, owner: sales, personas: [p]}}\n"})
    pb = run_check(root, Config(), TODAY).playbook
    files = generate(pb, Config(), TODAY).files
    for path in ("qualifying-questions/index.md", "personas/p.md", "teams.md", "tags.md"):
        text = files[path]
        assert "<img" not in text and "<b>" not in text, path
        assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;" in text, path
    assert "<del>ghost</del>" in files["qualifying-questions/index.md"]


def test_texts_in_html_tables_and_lists_are_escaped_and_shown_as_written(tmp_path):
    """The persona page, the call sheet, the questions and campaigns are written as HTML blocks,
    which the Markdown engine does not parse: every YAML text in them is HTML-escaped (no tag
    can open), shown as written (no Markdown backslash shows), and a glossary tooltip on a word
    in it cannot open a tag either."""
    evil = "<img src=x onerror=alert(1)> *not bold* [x](javascript:alert(2)) & <b>"
    shown = "&lt;img src=x onerror=alert(1)&gt; *not bold* [x](javascript:alert(2)) &amp; &lt;b&gt;"
    root = write_playbook(tmp_path, {
        "definitions/teams.yaml": TEAMS,
        "definitions/glossary.yaml": "glossary:\n"
            "  - {id: evl, term: Evil term, abbreviation: EVL, definition: '<script>alert(3)</script> EVL', owner: sales}\n",
        "personas/p.yaml": "id: p\nname: P\nkind: buyer\nowner: sales\n"
            f"goals: ['{evil} EVL']\nchallenges: ['{evil}']\nwatering_holes: ['{evil}']\n"
            f"demographics: {{role: '{evil}'}}\n"
            f"objections: [{{objection: '{evil}', response: '{evil}'}}]\n"
            f"red_flags: [{{text: '{evil}'}}]\ngood_fit_signals: [{{text: '{evil}'}}]\n",
        "definitions/qualifying-questions.yaml": "qualifying_questions:\n"
            f"  - {{id: q, question: '{evil}?', owner: sales, personas: [p], acceptable: [{{text: '{evil}'}}],"
            f" red_flags: [{{text: '{evil}'}}]}}\n",
        "definitions/campaigns.yaml": "campaigns:\n"
            f"  - {{id: c, name: C, starts: 2027-01-01, owner: sales, offer: '{evil}', channels: ['{evil}']}}\n"})
    pb = run_check(root, Config(), TODAY).playbook
    files = generate(pb, Config(), TODAY).files
    for path in ("personas/p.md", "qualifying-questions/call-sheet-p.md", "qualifying-questions/index.md",
                 "campaigns.md"):
        text = files[path]
        assert "<img" not in text and "<b>" not in text and "<script" not in text, path
        assert shown in text, path
        assert "\\*" not in text.split("*[", 1)[0] or path == "qualifying-questions/index.md", path
    goal = next(line for line in files["personas/p.md"].splitlines() if line.startswith("<li>&lt;img"))
    # the abbreviation is marked as the abbr extension marks it, its definition escaped
    assert goal.endswith('<abbr title="‹script›alert(3)‹/script› EVL">EVL</abbr></li>'), goal
