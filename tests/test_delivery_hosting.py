"""Hosting the site privately on any internal web server: the built site served from a sub-path
(/playbook/) by a plain static server (python -m http.server on the parent folder) works in
Chromium, its links included, and asks for nothing outside that sub-path or this machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import sync_playwright

from test_browser import CHROMIUM, LAUNCH_ARGS, build, free_port, is_local

REPO = Path(__file__).resolve().parent.parent
SUB_PATH = "/playbook/"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    web = tmp_path_factory.mktemp("intranet")
    build(REPO, web / "playbook")
    (web / "index.html").write_text("<p>The intranet's own home page.</p>\n", encoding="utf-8")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(web)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(base + SUB_PATH, timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_site_works_from_a_sub_path_of_a_plain_static_server(served):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package.")
    requests: list[str] = []
    failed: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page()
        page.set_default_timeout(15000)
        page.on("request", lambda r: requests.append(r.url))
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        page.goto(served + SUB_PATH)
        assert "Brightside Ads" in page.title()
        # the navigation leads to a persona and to the stage it reaches, all under the sub-path
        page.locator("nav.md-nav a.md-nav__link", has_text="Lifecycle").first.click()
        page.wait_for_url(f"**{SUB_PATH}lifecycle/")
        page.locator("article a[href*='mql/']").first.click()
        page.wait_for_url(f"**{SUB_PATH}lifecycle/mql/")
        assert "Marketing Qualified Lead" in page.locator("article h1").text_content()

        # every link on these pages that stays on the site answers, and none climbs out of it
        checked = set()
        for path in ("", "lifecycle/mql/", "personas/ecommerce-founder/", "glossary/"):
            page.goto(served + SUB_PATH + path)
            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            for href in hrefs:
                url = urljoin(page.url, href).split("#")[0]
                if not url.startswith(served) or url in checked:
                    continue
                checked.add(url)
                assert urlparse(url).path.startswith(SUB_PATH), f"{path or 'home'} links out of the site: {href}"
                response = page.request.get(url)
                assert response.ok, f"{path or 'home'} links to {url}, which answers {response.status}"
        browser.close()
    assert len(checked) > 40
    assert failed == []
    outside = [u for u in requests if not is_local(u)]
    assert outside == [], outside
    escaped = [u for u in requests if u.startswith(served) and not urlparse(u).path.startswith(SUB_PATH)]
    assert escaped == [], escaped
