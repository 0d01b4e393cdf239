"""Real-browser tests: the built site in Debian's Chromium, driven by Playwright's sync API.

The example playbook (the repository root) is built once per module into a temporary folder and
served with ``http.server`` on 127.0.0.1. Every request a page makes is recorded; a request to any
host other than the local server fails the test. The browser is always /usr/bin/chromium: these
tests never download one, and they fail (not skip) when it is missing.

Screenshots go to tests/artifacts/ (git-ignored). ``-s`` is not needed to see the search timing:
it is printed straight to the terminal.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
TODAY = "2026-11-22"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# URLs that never leave the browser
INLINE_SCHEMES = {"data", "blob", "about", "javascript"}
SEARCH_BOX = "input.md-search__input"
RESULT_ITEM = ".md-search-result__item"
RESULT_LINK = ".md-search-result__item a"

# Every request made by every page opened in this module: (url, page url when it was made).
ALL_REQUESTS: list[tuple[str, str]] = []


# ----------------------------------------------------------------------------- helpers

def is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in INLINE_SCHEMES:
        return True
    return parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname in LOCAL_HOSTS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(root: Path, site: Path, *extra: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "generator.cli", "build", str(root), "--site-dir", str(site),
                           "--today", TODAY, "--no-color", *extra],
                          check=False, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"playbook build failed:\n{proc.stdout}\n{proc.stderr}"
    assert (site / "index.html").is_file()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a browser closing a page mid-transfer is not an error worth a traceback
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def static_server(folder: Path):
    """Serve ``folder`` on 127.0.0.1 (a free port) in a background thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def path_of(page: Page) -> str:
    return urlparse(page.url).path


def h1_text(page: Page) -> str:
    return page.locator("article h1").first.text_content() or ""


def open_search(page: Page):
    """Focus Material's search box (on a narrow screen it hides behind the header's search icon)."""
    box = page.locator(SEARCH_BOX)
    if not box.is_visible():
        page.locator('label.md-header__button[for="__search"]').click()
    box.click()
    return box


def type_query(page: Page, query: str) -> None:
    box = open_search(page)
    box.fill("")
    box.press_sequentially(query, delay=30)  # real key presses: Material searches on keyup


# Finds the page-level result (no #fragment) whose path ends with `path`, among the results of
# the finished query: Material puts the searched words in ?h=, so results still on screen for a
# half-typed query ("MQ") do not count.
_FIND_RESULT = """([selector, path, word]) => {
    for (const a of document.querySelectorAll(selector)) {
        const u = new URL(a.href, document.baseURI);
        if (u.pathname.endsWith(path) && !u.hash
                && (u.searchParams.get("h") || "").toLowerCase().includes(word)) {
            return a.getAttribute("href");
        }
    }
    return null;
}"""


def wait_for_result(page: Page, query: str, path: str) -> str:
    """The href attribute of the search result leading to ``path``; fails when it never shows."""
    word = query.lower().split()[-1]
    try:
        handle = page.wait_for_function(_FIND_RESULT, arg=[RESULT_LINK, path, word], timeout=15_000)
    except PlaywrightTimeout:
        shown = page.eval_on_selector_all(RESULT_LINK, "els => els.map(e => e.href)")
        meta = page.locator(".md-search-result__meta").text_content()
        pytest.fail(f"searching {query!r} shows no result leading to {path} ({meta!r}); results: {shown}")
    return handle.json_value()


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(these tests never download a browser).")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh page whose requests are recorded; teardown fails on any request off this machine."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    seen: list[str] = []

    def record(request):
        seen.append(request.url)
        ALL_REQUESTS.append((request.url, pg.url))

    pg.on("request", record)
    pg.requests = seen  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        context.close()
    outside = [u for u in seen if not is_local(u)]
    if outside:
        pytest.fail(f"the page requested other hosts: {outside}")


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("example") / "site"
    build(REPO, site)
    return site


@pytest.fixture(scope="module")
def base_url(example_site):
    with static_server(example_site) as url:
        yield url


EVIL_NAME = "<script>window.__pwned = 1</script> Evil"
EVIL_IMG = '<img src=x onerror="window.__pwned=2">'
# Would break out of <title> if the engine's page title were not made safe.
TITLE_BREAKER = "</title><script>window.__pwned = 3</script> Evil two"
# Material's tooltips (content.tooltips) show an abbreviation's title on hover.
EVIL_TOOLTIP = '<img src=x onerror="window.__pwned=4">'
EVIL_ENTITIES = '&lt;img src=x onerror="window.__pwned=5"&gt;'  # the same, written as entities


@pytest.fixture(scope="module")
def evil_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("evil")
    files = {
        "definitions/teams.yaml": """
            teams:
              - id: sales
                name: Sales
            """,
        "personas/evil.yaml": f"""
            id: evil
            name: "{EVIL_NAME}"
            owner: sales
            summary: 'Summary with {EVIL_IMG} inside'
            goals:
              - 'Goal with {EVIL_IMG} inside'
            """,
        "personas/evil-two.yaml": f"""
            id: evil-two
            name: "{TITLE_BREAKER}"
            owner: sales
            summary: Every page that says EVL or ENT shows the glossary's tooltip.
            """,
        "definitions/glossary.yaml": f"""
            glossary:
              - id: evl
                term: Evil term
                abbreviation: EVL
                owner: sales
                definition: '{EVIL_TOOLTIP} and <b>bold</b>'
              - id: evl-entities
                term: Entity term
                abbreviation: ENT
                owner: sales
                definition: '{EVIL_ENTITIES} and &amp;lt;i&amp;gt;twice&amp;lt;/i&amp;gt; and &#60;b&#62;strong&#60;/b&#62;'
            """,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    site = root / "site"
    build(root, site, "--allow-errors")
    with static_server(site) as url:
        yield url


# ----------------------------------------------------------------------------- 1. search

def test_search_mql_leads_to_the_stage_page(page, base_url, capsys):
    page.goto(base_url + "/")
    loaded = time.perf_counter()
    type_query(page, "MQL")
    page.locator(RESULT_ITEM).first.wait_for(state="visible")
    elapsed = time.perf_counter() - loaded
    with capsys.disabled():
        print(f"\n[benchmark] search: first result for 'MQL' shown {elapsed * 1000:.0f} ms after page load")

    href = wait_for_result(page, "MQL", "/lifecycle/mql/")
    first = page.locator(RESULT_LINK).first.get_attribute("href")
    assert urlparse(first).path.endswith("/lifecycle/mql/"), f"the MQL stage should rank first, not {first}"
    page.locator(f'{RESULT_LINK}[href="{href}"]').first.click()
    page.wait_for_url(lambda url: urlparse(url).path.endswith("/lifecycle/mql/"))
    assert path_of(page).endswith("/lifecycle/mql/")
    assert "Marketing Qualified Lead" in h1_text(page)


@pytest.mark.parametrize("query, path", [
    ("sales qualified", "/lifecycle/sql/"),
    ("daily calls", "/personas/always-on-client/"),  # a red flag of the negative persona
])
def test_search_finds(page, base_url, query, path):
    page.goto(base_url + "/")
    type_query(page, query)
    href = wait_for_result(page, query, path)
    assert urlparse(href).path.endswith(path)


# ----------------------------------------------------------------------------- 2. navigation

PERSONA_PATH = "/personas/ecommerce-founder/"


def test_persona_to_value_proposition_and_back(page, base_url):
    page.goto(base_url + PERSONA_PATH)
    persona_title = h1_text(page).rstrip("¶").strip()
    assert persona_title

    section = page.locator("article h2#value-propositions")
    assert "Value propositions for this persona" in (section.text_content() or "")
    vp_links = page.locator("article h2#value-propositions + ul > li > a")
    assert vp_links.count() > 0, "the persona page lists no value propositions"
    link = vp_links.first
    vp_id = urlparse(link.get_attribute("href") or "").path.rstrip("/").split("/")[-1]
    vp_name = (link.text_content() or "").strip()
    link.click()
    page.wait_for_url(lambda url: urlparse(url).path.endswith(f"/value-propositions/{vp_id}/"))
    assert vp_name in h1_text(page)

    back = (page.locator("article p")
            .filter(has_text="For:").or_(page.locator("article p:has-text('Referred to by') + ul"))
            .locator('a[href$="personas/ecommerce-founder/"]'))
    assert back.count() > 0, "the value proposition page does not link back to its persona"
    back.first.click()
    page.wait_for_url(lambda url: urlparse(url).path.endswith(PERSONA_PATH))
    assert persona_title in h1_text(page)


# ----------------------------------------------------------------------------- 3. no outside requests

VISITED = ["/", PERSONA_PATH, "/lifecycle/", "/scoring/", "/glossary/", "/qualifying-questions/"]

# Every URL the document loads or may load: stylesheets, scripts, fonts, images, icons, frames,
# and url(...) inside the page's (same-origin) style sheets and style attributes.
_RESOURCE_URLS = """() => {
    const out = [];
    const add = (v) => { if (v) out.push(new URL(v, document.baseURI).href); };
    const css = (text) => {
        for (const m of (text || "").matchAll(/url\\(\\s*(['"]?)([^'")]+)\\1\\s*\\)/g)) add(m[2]);
        for (const m of (text || "").matchAll(/@import\\s+(['"])([^'"]+)\\1/g)) add(m[2]);
    };
    document.querySelectorAll("link[href]").forEach(e => add(e.getAttribute("href")));
    document.querySelectorAll("script[src], img[src], iframe[src], embed[src], audio[src], video[src], "
                              + "source[src], track[src], input[src]").forEach(e => add(e.getAttribute("src")));
    document.querySelectorAll("img[srcset], source[srcset]").forEach(e =>
        e.getAttribute("srcset").split(",").forEach(part => add(part.trim().split(/\\s+/)[0])));
    document.querySelectorAll("object[data]").forEach(e => add(e.getAttribute("data")));
    document.querySelectorAll("video[poster]").forEach(e => add(e.getAttribute("poster")));
    document.querySelectorAll("image, use, feImage").forEach(e =>
        add(e.getAttribute("href") || e.getAttribute("xlink:href")));
    document.querySelectorAll("[style]").forEach(e => css(e.getAttribute("style")));
    document.querySelectorAll("style").forEach(e => css(e.textContent));
    for (const sheet of document.styleSheets) {
        if (sheet.href) add(sheet.href);
        let rules;
        try { rules = sheet.cssRules; } catch (e) { out.push("unreadable stylesheet: " + sheet.href); continue; }
        for (const rule of rules) css(rule.cssText);
    }
    return out;
}"""


def test_no_request_leaves_the_local_server(page, base_url):
    for path in VISITED:
        page.goto(base_url + path, wait_until="networkidle")
        assert path_of(page) == path
        resources = page.evaluate(_RESOURCE_URLS)
        assert any(u.endswith(".css") for u in resources), f"{path}: no stylesheet found; is the check blind?"
        foreign = sorted({u for u in resources if not is_local(u)})
        assert not foreign, f"{path} points at other hosts: {foreign}"
    requests = page.requests  # type: ignore[attr-defined]
    assert any(u.endswith("search_index.json") for u in requests), "the search index was never loaded"
    assert any("/assets/" in u for u in requests)
    outside = [(u, where) for u, where in ALL_REQUESTS if not is_local(u)]
    assert not outside, f"requests to other hosts during the session: {outside}"


# ----------------------------------------------------------------------------- 4. escaping

def test_persona_text_is_escaped(page, evil_url):
    page.goto(evil_url + "/personas/evil/", wait_until="networkidle")
    page.wait_for_timeout(300)  # give an injected onerror handler time to fire
    assert page.evaluate("window.__pwned") is None
    heading = page.locator("article h1").first
    assert "<script>" in (heading.text_content() or "")
    assert "<script>" in heading.inner_text()  # rendered as visible text
    scripts = page.eval_on_selector_all("script", "els => els.map(e => e.textContent)")
    assert not [s for s in scripts if "__pwned" in s]
    assert page.locator("img[onerror]").count() == 0
    assert "onerror" in (page.locator("article").text_content() or "")  # shown as text, not dropped


def test_a_name_cannot_close_the_title(page, evil_url):
    # Material un-escapes page titles for <title> (`striptags`); a name holding "</title>" must
    # still not get out of it.
    page.goto(evil_url + "/personas/evil-two/", wait_until="networkidle")
    assert page.evaluate("window.__pwned") is None
    assert "Evil two" in page.title()
    assert "</title>" in (page.locator("article h1").first.text_content() or "")
    scripts = page.eval_on_selector_all("script", "els => els.map(e => e.textContent)")
    assert not [s for s in scripts if "__pwned" in s]


def test_a_glossary_tooltip_shows_text_only(page, evil_url):
    page.goto(evil_url + "/personas/evil-two/", wait_until="networkidle")
    abbr = page.locator("article abbr", has_text="EVL").first
    abbr.hover()
    tooltip = page.locator(".md-tooltip2, .md-tooltip").filter(has_text="bold").first
    tooltip.wait_for(state="visible")
    page.wait_for_timeout(300)  # give an injected onerror handler time to fire
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[onerror]").count() == 0
    assert page.locator(".md-tooltip2 b, .md-tooltip b").count() == 0
    assert "onerror" in (tooltip.text_content() or "")  # the definition is shown, as text
    page.mouse.move(0, 0)
    page.locator("article abbr", has_text="ENT").first.hover()
    tooltip = page.locator(".md-tooltip2, .md-tooltip").filter(has_text="strong").first
    tooltip.wait_for(state="visible")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[onerror]").count() == 0
    assert page.locator(".md-tooltip2 b, .md-tooltip2 i, .md-tooltip b, .md-tooltip i").count() == 0


# ----------------------------------------------------------------------------- 5. screenshots

@pytest.mark.parametrize("path, name", [("/", "home.png"), (PERSONA_PATH, "persona.png")])
def test_screenshot(page, base_url, path, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / name
    target.unlink(missing_ok=True)
    page.goto(base_url + path, wait_until="networkidle")
    # Material's sidebars are sticky and only as tall as the window; a window as tall as the page
    # lets the full-page picture show the whole navigation instead of its first screenful.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(max(height, 900), 12_000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(target), full_page=True)
    assert target.is_file()
    assert target.stat().st_size > 10 * 1024, f"{name} is only {target.stat().st_size} bytes"


# ----------------------------------------------------------------------------- rendering of shared snippets

def test_referred_to_by_and_bullets_render(page, base_url):
    # Shared macros must reach the page as Markdown: "Referred to by" links, real bullet lists.
    page.goto(base_url + "/value-propositions/scale-profitably/")
    heading = page.locator("article p").filter(has_text="Referred to by")
    assert heading.count() == 1
    assert "**" not in (heading.text_content() or "")
    referred = page.locator("article p:has-text('Referred to by') + ul")
    assert referred.locator('a[href$="personas/ecommerce-founder/"]').count() == 1
    page.goto(base_url + PERSONA_PATH)
    assert page.locator("article h2#goals + ul > li").count() >= 2


# Rendering defects once seen in the browser; these keep them from coming back.

def test_canvas_items_are_not_joined_by_visible_br(page, base_url):
    page.goto(base_url + "/value-propositions/scale-profitably/")
    canvas = page.locator("article h2#canvas + * table")  # Material wraps tables in divs
    assert canvas.count() == 1
    assert "<br>" not in (canvas.text_content() or "")


def test_list_separators_keep_their_space(page, base_url):
    page.goto(base_url + "/value-propositions/scale-profitably/")
    for_line = page.locator("article p").filter(has_text="For:").first.text_content() or ""
    assert not re.search(r"[a-z)],\S", for_line), for_line
    page.goto(base_url + PERSONA_PATH)
    matches = page.locator("article tr").filter(has_text="Matches leads where").first.text_content() or ""
    assert not re.search(r";\S", matches), matches


def test_red_flags_are_not_part_of_the_good_fit_list(page, base_url):
    page.goto(base_url + PERSONA_PATH)
    assert page.locator("article li").filter(has_text="Red flags").filter(
        has_not=page.locator("span.pb-redflag")).count() == 0


# ----------------------------------------------------------------------------- 6. live reload

def _wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"playbook serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"playbook serve did not answer on {url} within {timeout:.0f} s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop ``playbook serve`` and the ``mkdocs serve`` it started.

    Ctrl-C (SIGINT) is the documented way out and lets it stop MkDocs and clean up; the
    process group (its own session) is killed afterwards in case anything is left behind.
    """
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout=10)


def _wait_for_h1(page: Page, text: str, timeout_ms: int = 30_000) -> None:
    # Polls the open page; never reloads or navigates it: only live reload can change the heading.
    page.wait_for_function(
        "(t) => { const h = document.querySelector('article h1'); return !!h && h.textContent.includes(t); }",
        arg=text, timeout=timeout_ms, polling=250)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_live_reload(page, tmp_path):
    root = tmp_path / "playbook-copy"
    root.mkdir()
    for name in ("personas", "definitions", "playbook"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy2(REPO / "playbook.yaml", root / "playbook.yaml")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", str(root), "-a", f"127.0.0.1:{port}"],
                                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_http(base + PERSONA_PATH, proc, log)

        persona_file = root / "personas" / "ecommerce-founder.yaml"
        old_line = next(line for line in persona_file.read_text(encoding="utf-8").splitlines()
                        if line.startswith("name:"))
        old_name = old_line.split(":", 1)[1].strip().strip("\"'")
        new_name = "Erin, renamed while the page was open"
        page.goto(base + PERSONA_PATH)
        assert old_name in h1_text(page)
        _edit(persona_file, old_line, f"name: {new_name}")
        try:
            _wait_for_h1(page, new_name)
        except PlaywrightTimeout:
            pytest.fail(f"the open persona page never showed the new name; heading {h1_text(page)!r}\n"
                        f"{log.read_text()}")
        assert path_of(page) == PERSONA_PATH

        guide = root / "playbook" / "deal-alignment.md"
        old_heading = next(line for line in guide.read_text(encoding="utf-8").splitlines() if line.startswith("# "))
        new_heading = "Deal alignment, edited while the page was open"
        page.goto(base + "/deal-alignment/")
        assert old_heading[2:].strip() in h1_text(page)
        _edit(guide, old_heading, f"# {new_heading}")
        try:
            _wait_for_h1(page, new_heading)
        except PlaywrightTimeout:
            pytest.fail(f"the open guide page never showed the new heading; heading {h1_text(page)!r}\n"
                        f"{log.read_text()}")
        assert path_of(page) == "/deal-alignment/"
        assert any("/livereload/" in u for u in page.requests)  # type: ignore[attr-defined]
    finally:
        _stop(proc)
    assert proc.poll() is not None
