"""Benchmark: `playbook build` against a naive site of the same synthetic playbook.

    python benchmarks/site_speed.py [--personas 100] [--entities 1000] [--runs 1] [--search]

The naive baseline is what a team gets by publishing its YAML directly: one page per entity
(its YAML in a code block), all in one flat navigation, plain Material. Both are built in the
same run with the same MkDocs; the script reports wall time, size on disk, the search index
size and their ratios. With --search it also measures, in headless Chromium, the time from
loading the home page to the first search result, and from the last keystroke of each of a list
of reader queries to its results.

The baseline repeats the whole navigation in every page, so its size and time grow with the
square of the entity count; at 1,000 personas and 10,000 entities it cannot be built in
reasonable time, which is why the default scale is smaller. Use --ours-only for full scale.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed(cmd: list[str], env=None) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system) of the command and its children: on a
    shared machine the CPU time says what the build costs when the wall time says how busy the
    machine was."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed:\n{proc.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def naive_site(root: Path, work: Path) -> Path:
    """One Markdown page per entity with its YAML, one flat navigation, plain Material."""
    docs = work / "docs"
    docs.mkdir(parents=True)
    nav = []
    for path in sorted((root / "personas").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        nav.append(_page(docs, f"persona-{data['id']}", data))
    for path in sorted((root / "definitions").glob("*.yaml")):
        for section, items in (yaml.safe_load(path.read_text()) or {}).items():
            if isinstance(items, list):
                for item in items:
                    if isinstance(item, dict) and "id" in item:
                        nav.append(_page(docs, f"{section}-{item['id']}", item))
    (docs / "index.md").write_text("# Playbook\n")
    config = {"site_name": "Naive playbook", "docs_dir": "docs", "site_dir": "site",
              "theme": {"name": "material"}, "nav": [{"Home": "index.md"}] + nav}
    (work / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return work / "mkdocs.yml"


def _page(docs: Path, name: str, data: dict) -> dict:
    title = str(data.get("name") or data.get("term") or data.get("question") or data["id"])
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    (docs / f"{name}.md").write_text(f"# {title}\n\n```yaml\n{body}```\n")
    return {title: f"{name}.md"}


def search_latency(site: Path, queries: list[str]) -> tuple[float, list[float]]:
    """In Chromium: seconds from navigation start to the first result for ``queries[0]``, and
    for each query, milliseconds from its last keystroke to its results on screen (the search
    index already loaded, as it is once a reader has searched once)."""
    from playwright.sync_api import sync_playwright
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    # the results of a finished query carry its last word in ?h= (a half-typed one's do not)
    answered = """(word) => [...document.querySelectorAll('.md-search-result__list > li a')].some(
        a => (new URL(a.href).searchParams.get('h') || '').toLowerCase().split(' ').includes(word))
        || (!document.querySelector('.md-search-result__list > li')
            && /^No matching/.test(document.querySelector('.md-search-result__meta').textContent))"""
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.fill("input.md-search__input", queries[0])
            page.wait_for_selector(".md-search-result__item", timeout=120_000)
            first = time.perf_counter() - start
            keystroke = []
            box = page.locator("input.md-search__input")
            for query in queries:
                box.fill("")
                box.press_sequentially(query[:-1], delay=40)
                page.wait_for_timeout(400)
                t0 = time.perf_counter()
                box.press(query[-1])
                page.wait_for_function(answered, arg=query.lower().split()[-1], timeout=60_000, polling="raf")
                keystroke.append((time.perf_counter() - t0) * 1000)
            browser.close()
            return first, keystroke
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--personas", type=int, default=100)
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--search", action="store_true", help="also time the first search result")
    parser.add_argument("--ours-only", action="store_true", help="skip the naive baseline")
    args = parser.parse_args()
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = tmp / "playbook"
        synthetic.write(root, args.personas, args.entities)
        ours, naive, ours_cpu, naive_cpu = [], [], [], []
        for run in range(args.runs):
            out = tmp / f"ours-{run}"
            wall, cpu = timed([sys.executable, "-m", "generator.cli", "build", str(root), "--site-dir", str(out),
                               "--today", "2026-11-22"], env)
            ours.append(wall)
            ours_cpu.append(cpu)
            if not args.ours_only:
                work = tmp / f"naive-{run}"
                config = naive_site(root, work)
                wall, cpu = timed([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)], env)
                naive.append(wall)
                naive_cpu.append(cpu)
        site = tmp / "ours-0"
        pages = sum(1 for _ in site.rglob("index.html"))
        ours_size = size_of(site)
        index = site / "search" / "search_index.json"
        print(f"synthetic playbook: {args.personas} personas + {args.entities} other entities; {args.runs} run(s)")
        print(f"playbook build   wall median {statistics.median(ours):7.1f} s   CPU median {statistics.median(ours_cpu):7.1f} s   {pages} pages   "
              f"{ours_size / 1e6:8.1f} MB   search index {index.stat().st_size / 1e6:.1f} MB")
        if naive:
            nsite = tmp / "naive-0" / "site"
            npages = sum(1 for _ in nsite.rglob("index.html"))
            nsize = size_of(nsite)
            nindex = nsite / "search" / "search_index.json"
            print(f"naive baseline   wall median {statistics.median(naive):7.1f} s   CPU median {statistics.median(naive_cpu):7.1f} s   {npages} pages   "
                  f"{nsize / 1e6:8.1f} MB   search index {nindex.stat().st_size / 1e6:.1f} MB")
            print(f"ratios ours/naive: build time {statistics.median(ours) / statistics.median(naive):.2f} (wall), "
                  f"{statistics.median(ours_cpu) / statistics.median(naive_cpu):.2f} (CPU), "
                  f"size {ours_size / nsize:.2f}")
        if args.search:
            queries = ["persona", "what is a lead", "refund", "decision maker", "MQL", "nurture track", "owner"]
            first, keystroke = search_latency(site, queries)
            print(f"first search result in Chromium: {first:.2f} s after navigation start")
            print(f"last keystroke to results: median {statistics.median(keystroke):.0f} ms, max {max(keystroke):.0f} ms "
                  f"over {len(queries)} queries ({', '.join(f'{q!r} {ms:.0f}' for q, ms in zip(queries, keystroke))})")


if __name__ == "__main__":
    main()
