"""Benchmark: the site engines side by side on the same Markdown tree.

    python benchmarks/engine_speed.py [--personas 100] [--entities 1000] [--runs 5]

For the example playbook (this repository) and a synthetic playbook (benchmarks/synthetic.py),
the Markdown tree and the engine configuration are generated once, exactly as `playbook build`
writes them; then ProperDocs, MkDocs and Zensical each build that tree into HTML, in turns
(ProperDocs, MkDocs, Zensical, ProperDocs, ...) so that a slow moment of the machine touches
all three alike. Every build is cold: the output folder and any engine cache are removed first.
The script prints the median wall time per engine and its ratio to MkDocs 1.6.1 (the engine
ProperDocs replaces), measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import synthetic  # noqa: E402

from generator.check import run_check  # noqa: E402
from generator.config import load_config  # noqa: E402
from generator.site import dump_config, engine_command, engine_config, engine_env, generate, write_tree  # noqa: E402

ENGINES = ("properdocs", "mkdocs", "zensical")
BASELINE = "mkdocs"
TODAY = dt.date(2026, 11, 22)


def prepare(root: Path, work: Path) -> tuple[Path, int]:
    """Write the tree and configuration `playbook build` would hand to the engine."""
    cfg_path = root / "playbook.yaml"
    cfg = load_config(cfg_path if cfg_path.is_file() else None)
    result = run_check(root, cfg, TODAY)
    tree = generate(result.playbook, cfg, TODAY)
    docs, site = work / "docs", work / "site"
    write_tree(tree, docs)
    config = work / "mkdocs.yml"
    config.write_text(dump_config(engine_config(result.playbook, cfg, tree, docs, site)), encoding="utf-8")
    return config, tree.pages


def cold_build(engine: str, config: Path) -> float:
    work = config.parent
    for leftover in (work / "site", work / ".cache"):
        shutil.rmtree(leftover, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run(engine_command(engine, config, strict=False), cwd=work, env=engine_env(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not (work / "site" / "index.html").is_file():
        raise SystemExit(f"{engine} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def measure(label: str, root: Path, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="playbook-engines-") as tmp:
        config, pages = prepare(root, Path(tmp))
        times: dict[str, list[float]] = {e: [] for e in ENGINES}
        for _ in range(runs):
            for engine in ENGINES:
                times[engine].append(cold_build(engine, config))
    base = statistics.median(times[BASELINE])
    print(f"\n{label}: {pages} pages, {runs} cold builds per engine")
    print(f"  {'engine':<11} {'median':>8} {'min':>8} {'max':>8}  ratio to {BASELINE}")
    for engine in ENGINES:
        t = times[engine]
        med = statistics.median(t)
        print(f"  {engine:<11} {med:>7.2f}s {min(t):>7.2f}s {max(t):>7.2f}s  {med / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--personas", type=int, default=100)
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    measure("Example playbook", REPO, args.runs)
    with tempfile.TemporaryDirectory(prefix="playbook-synthetic-") as tmp:
        root = Path(tmp) / "playbook"
        synthetic.write(root, args.personas, args.entities)
        measure(f"Synthetic playbook ({args.personas} personas, {args.entities} other entities)", root, args.runs)


if __name__ == "__main__":
    main()
