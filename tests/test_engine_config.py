"""The team's mkdocs.yml is the engine's configuration, read as the engine reads it.

Its YAML tags (``!ENV``, ``!!python/name:``) reach the engine as written, Material's documented
settings (palette toggle, logo, emoji, admonitions, announcement bar through ``custom_dir``)
work on the default engine (ProperDocs) and on MkDocs, and a wrong type is still a located
configuration error (exit 2). The built site references no outside host.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import write_playbook
from generator.cli import main
from generator.site import DEFAULT_ENGINE, Tagged, _user_config

TEAMS = "teams:\n  - id: sales\n    name: Sales\n"
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/></svg>\n'
GUIDE = """\
# Guide

!!! note "Before a call"
    Read the persona first :smile: :material-account-group:

??? tip "Folded away"
    Hidden until opened.
"""
ANNOUNCE = """\
{% extends "base.html" %}
{% block announce %}Pricing changes on 1 December: read the guide.{% endblock %}
"""
# Material for MkDocs' own documentation examples, combined.
MATERIAL_MKDOCS_YML = """\
copyright: !ENV [PLAYBOOK_TEST_COPYRIGHT, "Copyright Acme"]
theme:
  name: material
  custom_dir: overrides
  logo: assets/logo.svg
  favicon: assets/logo.svg
  palette:
    - media: "(prefers-color-scheme: light)"
      scheme: default
      toggle:
        icon: material/brightness-7
        name: Switch to dark mode
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
      toggle:
        icon: material/brightness-4
        name: Switch to light mode
  features:
    - announce.dismiss
    - navigation.tabs
markdown_extensions:
  - admonition
  - pymdownx.details
  - pymdownx.superfences
  - attr_list
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
"""


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def material_playbook(root: Path) -> Path:
    return write_playbook(root, {"definitions/teams.yaml": TEAMS, "playbook/guide.md": GUIDE,
                                 "playbook/assets/logo.svg": LOGO, "overrides/main.html": ANNOUNCE,
                                 "mkdocs.yml": MATERIAL_MKDOCS_YML})


def outside_references(site: Path) -> list[str]:
    found = []
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        found += [f"{html.name}: {u}" for u in re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', text)]
        found += [f"{html.name}: {u}" for u in re.findall(r"url\((?:'|\")?((?:https?:)?//[^)'\"]+)", text)]
    return found


def test_properdocs_is_the_default_engine(tmp_path):
    assert DEFAULT_ENGINE == "properdocs"
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS})
    result = invoke("build", root, "--site-dir", tmp_path / "site", "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert "ProperDocs" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("engine", ["properdocs", "mkdocs"])
def test_material_documentation_settings_build(tmp_path, monkeypatch, engine):
    monkeypatch.setenv("PLAYBOOK_TEST_COPYRIGHT", "Acme, read from the environment")
    root = material_playbook(tmp_path / "pb")
    site = tmp_path / "site"
    result = invoke("build", root, "--site-dir", site, "--strict", "--engine", engine, "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    page = (site / "guide" / "index.html").read_text(encoding="utf-8")
    assert "Acme, read from the environment" in page  # !ENV, resolved by the engine
    assert page.count('class="md-option"') == 2  # the palette toggle: a light and a dark scheme
    assert 'src="../assets/logo.svg"' in page and (site / "assets" / "logo.svg").read_text() == LOGO
    assert "Read the persona first \U0001F604" in page  # an emoji is its character, not a CDN image
    assert re.search(r'<span class="twemoji">\s*<svg', page)  # an icon: inline SVG from the twemoji index
    assert 'class="admonition note"' in page and "<details" in page
    assert "Pricing changes on 1 December" in page  # the announcement bar from custom_dir
    assert outside_references(site) == []


def test_tagged_values_reach_the_engine_as_written(tmp_path):
    root = material_playbook(tmp_path)
    data = _user_config(root)
    emoji = data["markdown_extensions"][4]["pymdownx.emoji"]
    assert isinstance(emoji["emoji_index"], Tagged)
    assert emoji["emoji_index"].node.tag == "tag:yaml.org,2002:python/name:material.extensions.emoji.twemoji"
    assert isinstance(data["copyright"], Tagged) and data["copyright"].node.tag == "!ENV"
    assert data["theme"]["custom_dir"] == str((root / "overrides").resolve())  # relative to mkdocs.yml


@pytest.mark.parametrize("text, where", [
    ("copyright: !ENV X\nextra_css: [!ENV CSS, 5]\n", "mkdocs.yml:2:23"),
    ("theme:\n  name: material\n  icon: {logo: !ENV LOGO}\n  features: {a: 1}\n", "mkdocs.yml:4:13"),
    ("markdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:x.y\n  - [a, b]\n", "mkdocs.yml:4:5"),
    ("site_name: [unclosed\n", "mkdocs.yml:2:1"),
    ("nav: !ENV NAV\nplugins: 3\n", "mkdocs.yml:2:10"),
])
def test_a_wrong_type_beside_tags_is_still_a_located_configuration_error(tmp_path, text, where):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS})
    (root / "mkdocs.yml").write_text(text, encoding="utf-8")
    result = invoke("build", root, "--site-dir", tmp_path / "site", "--today", "2026-11-22")
    assert result.exit_code == 2, result.output
    assert where in result.output and "Traceback" not in result.output
    assert not (tmp_path / "site").exists()


def test_an_asset_beside_the_pages_is_copied_but_never_through_a_link(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS, "playbook/img/team.svg": LOGO,
                                            "outside/secret.txt": "not for the site"})
    (root / "playbook" / "leak.txt").symlink_to(root / "outside" / "secret.txt")
    site = tmp_path / "site"
    result = invoke("build", root, "--site-dir", site, "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert (site / "img" / "team.svg").read_text() == LOGO
    assert not (site / "leak.txt").exists()


@pytest.mark.parametrize("value", ["acme.example/playbook/", "javascript:alert(1)", "https://", "[1]"])
def test_a_site_url_that_is_not_an_http_address_is_a_configuration_error(tmp_path, value):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS})
    (root / "playbook.yaml").write_text(f"name: Acme\nsite:\n  url: {value}\n", encoding="utf-8")
    result = invoke("check", root)
    assert result.exit_code == 2, result.output
    assert "playbook.yaml:3:8" in result.output and "site.url" in result.output


def test_site_url_is_the_engines_site_url(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS})
    (root / "playbook.yaml").write_text("name: Acme\nsite:\n  url: https://intranet.example/playbook/\n")
    result = invoke("build", root, "--site-dir", tmp_path / "site", "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    sitemap = (tmp_path / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://intranet.example/playbook/teams/</loc>" in sitemap


def test_a_mkdocs_yml_that_is_not_a_plain_file_is_refused(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS, "elsewhere.yml": "site_name: x\n"})
    (root / "mkdocs.yml").symlink_to(root / "elsewhere.yml")
    result = invoke("build", root, "--site-dir", tmp_path / "site", "--today", "2026-11-22")
    assert result.exit_code == 2 and "not a plain file" in result.output, result.output
    (root / "mkdocs.yml").unlink()
    os.mkfifo(root / "mkdocs.yml")
    result = invoke("build", root, "--site-dir", tmp_path / "site", "--today", "2026-11-22")
    assert result.exit_code == 2 and "not a plain file" in result.output, result.output
