"""Benchmark: the site's search in headless Chromium, on a synthetic playbook's site.

    python benchmarks/search_speed.py [--personas 1000] [--entities 10000] [--site DIR] [--runs 3]

Builds the synthetic playbook (benchmarks/synthetic.py) with `playbook build`, or uses a site
already built (--site), serves it on this machine and measures in Chromium (Debian's
/usr/bin/chromium; no browser is downloaded):

- load: seconds from opening the home page to the first result of the first query (the search
  index is fetched and built in the browser once, on the first search);
- keystroke: for each reader query, milliseconds from its last keystroke to its results on
  screen. The query is typed up to its last character, the search answers that, then the last
  character is typed and timed: what a reader waits for once they stop typing;
- typed through: the same with the query typed without pausing (40 ms a key), so the time also
  holds the answers to the half-typed query still being worked out (the search answers every
  keystroke in turn).

Medians and maxima over --runs repetitions of the query list; the index size and entries are
printed with them.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 600_000
QUERIES = ["persona", "what is a lead", "refund", "decision maker", "MQL", "nurture track", "owner", "term 42"]

# Answered: a result carries the query's last word in ?h= (results of a half-typed query carry
# the half-typed word), or the search says nothing matches.
_ANSWERED = """(word) => [...document.querySelectorAll('.md-search-result__list > li a')].some(
    a => (new URL(a.href).searchParams.get('h') || '').toLowerCase().split(' ').includes(word))
    || (!document.querySelector('.md-search-result__list > li')
        && /^No matching/.test((document.querySelector('.md-search-result__meta') || {}).textContent || ''))"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _last_word(text: str) -> str:
    return text.lower().split()[-1]


def measure(site: Path, queries: list[str], runs: int = 1) -> dict:
    """{"load": seconds, "keystroke": {query: [ms ...]}, "typed": {query: [ms ...]}}."""
    from playwright.sync_api import sync_playwright
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = {"load": [], "keystroke": {q: [] for q in queries}, "typed": {q: [] for q in queries}}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for _ in range(runs):
                page = browser.new_page()
                start = time.perf_counter()
                page.goto(f"http://127.0.0.1:{server.server_port}/")
                box = page.locator("input.md-search__input")
                box.fill(queries[0])
                box.press("End")  # the search reads the box on a key going up
                page.wait_for_function(_ANSWERED, arg=_last_word(queries[0]), timeout=TIMEOUT, polling="raf")
                out["load"].append(time.perf_counter() - start)
                for query in queries:
                    for typed in (False, True):
                        box.fill("")
                        box.press("End")
                        page.wait_for_timeout(200)
                        prefix = query[:-1]
                        if typed:
                            box.press_sequentially(prefix, delay=40)
                        else:
                            box.fill(prefix)
                            box.press("End")
                            if prefix.strip():
                                page.wait_for_function(_ANSWERED, arg=_last_word(prefix), timeout=TIMEOUT,
                                                       polling="raf")
                        t0 = time.perf_counter()
                        box.press(query[-1])
                        page.wait_for_function(_ANSWERED, arg=_last_word(query), timeout=TIMEOUT, polling="raf")
                        out["typed" if typed else "keystroke"][query].append((time.perf_counter() - t0) * 1000)
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return out


def index_figures(site: Path) -> str:
    path = site / "search" / "search_index.json"
    docs = json.loads(path.read_text(encoding="utf-8"))["docs"]
    return f"search index {path.stat().st_size / 1e6:.1f} MB, {len(docs)} entries"


def report(figures: dict) -> None:
    print(f"first result after opening the home page: median {statistics.median(figures['load']):.2f} s")
    for kind, what in (("keystroke", "last keystroke to results"), ("typed", "typed through, last keystroke to results")):
        per_query = {q: statistics.median(ms) for q, ms in figures[kind].items()}
        every = [v for ms in figures[kind].values() for v in ms]
        print(f"{what}: median {statistics.median(every):.0f} ms, max {max(every):.0f} ms "
              f"({', '.join(f'{q!r} {ms:.0f}' for q, ms in per_query.items())})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--personas", type=int, default=1000)
    parser.add_argument("--entities", type=int, default=10000)
    parser.add_argument("--site", type=Path, help="a site already built (skips building the synthetic playbook)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            root = Path(tmp) / "playbook"
            synthetic.write(root, args.personas, args.entities)
            site = Path(tmp) / "site"
            env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
            subprocess.run([sys.executable, "-m", "generator.cli", "build", str(root), "--site-dir", str(site),
                            "--today", "2026-11-22"], check=True, env=env, stdout=subprocess.DEVNULL)
            print(f"synthetic playbook: {args.personas} personas + {args.entities} other entities")
        print(index_figures(site))
        report(measure(site, QUERIES, args.runs))


if __name__ == "__main__":
    main()
