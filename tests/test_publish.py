"""Published versions with mike on real git repositories, and the version selector in Chromium."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest


from conftest import git, invoke_in, repo_state

TODAY = "2026-11-22"


def run(repo: Path, *args):
    return invoke_in(repo, *args)


def lower_sql(repo: Path):
    """A meaningful change: the SQL entry threshold (and the glossary that quotes it) go 45 → 40."""
    path = repo / "definitions/lifecycle.yaml"
    path.write_text(path.read_text().replace("fit_score: {gte: 45}", "fit_score: {gte: 40}"))
    path = repo / "definitions/glossary.yaml"
    path.write_text(path.read_text().replace("45 points or more", "40 points or more"))
    git(repo, "commit", "-qam", "Lower the SQL threshold")


@pytest.fixture(autouse=True)
def identity(example_repo, monkeypatch, tmp_path):
    """The repository says who commits; nothing comes from this machine's git configuration."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    git(example_repo, "config", "user.name", "Test Publisher")
    git(example_repo, "config", "user.email", "publisher@example.com")


@pytest.fixture
def published_repo(example_repo):
    assert run(example_repo, "publish", "1.0", "--alias", "latest", "--today", TODAY).exit_code == 0
    lower_sql(example_repo)
    result = run(example_repo, "publish", "2.0", "--alias", "latest", "--set-default", "--today", TODAY)
    assert result.exit_code == 0, result.output
    return example_repo


def branch_files(repo: Path, dest: Path, branch: str = "gh-pages") -> Path:
    data = git_bytes(repo, "archive", "--format=tar", branch)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def git_bytes(repo: Path, *args) -> bytes:
    import subprocess
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def test_publish_two_versions_and_list_them(published_repo):
    result = run(published_repo, "versions", "--format", "json")
    assert result.exit_code == 0
    items = json.loads(result.output)
    assert [i["version"] for i in items] == ["2.0", "1.0"]
    assert items[0]["aliases"] == ["latest"] and items[1]["aliases"] == []
    head = git(published_repo, "rev-parse", "HEAD").strip()
    assert items[0]["commit"] == head
    text = run(published_repo, "versions").output
    assert text.startswith("2.0 [latest]  from ")
    # mike's files on the branch, the default version redirect, and our version record
    files = git(published_repo, "ls-tree", "-r", "--name-only", "gh-pages").split()
    assert "versions.json" in files and "index.html" in files and "2.0/playbook-version.json" in files
    assert git(published_repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(published_repo, "status", "--porcelain") == ""


def text_of(html: str) -> str:
    import re
    return re.sub(r"<[^>]+>", "", html)


def test_changelog_and_last_changed_version(published_repo):
    changelog = text_of(git(published_repo, "show", "gh-pages:2.0/changelog/index.html"))
    assert "Version 2.0" in changelog and "Changes since version 1.0" in changelog
    assert "SQL entry threshold lowered: fit_score 45 → 40; more leads reach sales." in changelog
    sql_html = git(published_repo, "show", "gh-pages:2.0/lifecycle/sql/index.html")
    sql = text_of(sql_html)
    assert "Last changed in version 2.0" in sql
    persona = text_of(git(published_repo, "show", "gh-pages:2.0/personas/ecommerce-founder/index.html"))
    assert "Last changed in version 1.0" in persona
    old = text_of(git(published_repo, "show", "gh-pages:1.0/changelog/index.html"))
    assert "first published version" in old
    # every page shows the playbook's own version, and Material's version selector is on
    assert "version 2026.4" in sql
    assert '"provider": "mike"' in sql_html


def test_an_existing_version_is_refused_unless_forced(published_repo):
    before = repo_state(published_repo)
    result = run(published_repo, "publish", "2.0", "--today", TODAY)
    assert result.exit_code == 2 and 'Version "2.0" is already published' in result.output
    result = run(published_repo, "publish", "latest", "--today", TODAY)
    assert result.exit_code == 2
    assert repo_state(published_repo) == before
    result = run(published_repo, "publish", "2.0", "--force", "--today", TODAY)
    assert result.exit_code == 0, result.output


def test_dirty_tree_and_bad_names_are_refused_without_changes(example_repo):
    (example_repo / "playbook.yaml").write_text((example_repo / "playbook.yaml").read_text() + "# edited\n")
    before = repo_state(example_repo)
    result = run(example_repo, "publish", "1.0", "--today", TODAY)
    assert result.exit_code == 2 and "uncommitted changes" in result.output
    assert repo_state(example_repo) == before
    git(example_repo, "checkout", "-q", "--", "playbook.yaml")
    for bad in ("../x", "a/b", "-v"):
        result = run(example_repo, "publish", "--", bad) if bad.startswith("-") else run(example_repo, "publish", bad)
        assert result.exit_code == 2, (bad, result.output)
    assert "gh-pages" not in git(example_repo, "branch", "-a")


def test_versions_without_a_published_branch(example_repo):
    before = repo_state(example_repo)
    result = run(example_repo, "versions")
    assert result.exit_code == 2
    assert 'Nothing has been published yet: there is no "gh-pages" branch' in result.output
    assert repo_state(example_repo) == before


def test_check_errors_block_publishing(example_repo):
    path = example_repo / "definitions/lifecycle.yaml"
    path.write_text(path.read_text().replace("fit_score: {gte: 45}", "fit_score: {gte: 40}"))
    git(example_repo, "commit", "-qam", "inconsistent")
    before = repo_state(example_repo)
    result = run(example_repo, "publish", "1.0", "--today", TODAY)
    assert result.exit_code == 1 and "error" in result.output
    assert repo_state(example_repo) == before


def test_push_to_a_remote_and_configured_branch(example_repo, tmp_path):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(example_repo, "remote", "add", "origin", str(remote))
    with open(example_repo / "playbook.yaml", "a") as fh:
        fh.write("publish:\n  branch: site\n")
    git(example_repo, "commit", "-qam", "publish to site")
    result = run(example_repo, "publish", "1.0", "--push", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "pushed" in result.output
    assert "site" in git(remote, "branch")
    assert json.loads(git(remote, "show", "site:versions.json"))[0]["version"] == "1.0"


def test_version_selector_keeps_the_page_and_old_versions_link_to_latest_in_chromium(published_repo, tmp_path):
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, LAUNCH_ARGS, static_server
    # served from a sub-path, as an internal web server or GitHub Pages for a project would
    branch_files(published_repo, tmp_path / "web" / "playbook")
    with static_server(tmp_path / "web") as root, sync_playwright() as p:
        url = root + "/playbook"
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page()
        page.set_default_timeout(15000)
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url + "/")  # the default version
        page.wait_for_url("**/2.0/**")

        page.goto(url + "/1.0/lifecycle/mql/")
        current = page.locator(".md-version__current")
        current.wait_for(state="visible")
        assert current.text_content().strip() == "1.0"
        banner = page.locator('[data-md-component="outdated"]')
        banner.wait_for(state="visible")
        assert "old version" in banner.text_content()

        page.locator(".md-version").hover()
        page.locator(".md-version__link", has_text="2.0").first.click()
        page.wait_for_url("**/2.0/lifecycle/mql/")  # the same page, not the version's home page
        assert "Marketing Qualified Lead" in page.locator("article h1").text_content()
        assert page.locator(".md-version__current").text_content().strip().startswith("2.0")
        page.wait_for_timeout(500)
        assert page.locator('[data-md-component="outdated"]').is_hidden()  # the latest has no banner

        page.goto(url + "/1.0/lifecycle/mql/")
        page.locator('[data-md-component="outdated"] a').click()
        page.wait_for_url("**/playbook/latest/lifecycle/mql/")
        assert "Marketing Qualified Lead" in page.locator("article h1").text_content()

        page.goto(url + "/2.0/changelog/")
        assert "Changes since version 1.0" in page.locator("article").text_content()
        browser.close()
    assert all(r.startswith(root) or r.startswith("data:") for r in requests), requests


def test_the_site_address_comes_from_the_option_or_playbook_yaml(published_repo):
    sitemap = git(published_repo, "show", "gh-pages:2.0/sitemap.xml")
    assert "<loc>https://site-url-not-set.invalid/2.0/lifecycle/mql/</loc>" in sitemap  # no address given
    result = run(published_repo, "publish", "2.0", "--force", "--site-url", "https://acme.example/playbook/",
                 "--today", TODAY)
    assert result.exit_code == 0, result.output
    sitemap = git(published_repo, "show", "gh-pages:2.0/sitemap.xml")
    assert "<loc>https://acme.example/playbook/2.0/lifecycle/mql/</loc>" in sitemap
    config = published_repo / "playbook.yaml"
    config.write_text(config.read_text() + "site:\n  url: https://intranet.example/sales/\n")
    git(published_repo, "commit", "-qam", "Where the site lives")
    assert run(published_repo, "publish", "2.1", "--today", TODAY).exit_code == 0
    assert "https://intranet.example/sales/2.1/scoring/" in git(published_repo, "show", "gh-pages:2.1/sitemap.xml")
    before = repo_state(published_repo)
    result = run(published_repo, "publish", "2.2", "--site-url", "javascript:alert(1)", "--today", TODAY)
    assert result.exit_code == 2 and "not an http(s) address" in result.output
    assert repo_state(published_repo) == before


def test_mike_builds_each_version_with_properdocs(published_repo):
    for version in ("1.0", "2.0"):
        page = git(published_repo, "show", f"gh-pages:{version}/index.html")
        assert "ProperDocs" in page and 'class="md-header' in page  # the engine, with Material


def test_the_default_version_is_also_latest(example_repo):
    result = run(example_repo, "publish", "1.0", "--set-default", "--today", TODAY)
    assert result.exit_code == 0, result.output
    versions = json.loads(git(example_repo, "show", "gh-pages:versions.json"))
    assert versions[0]["aliases"] == ["latest"]
