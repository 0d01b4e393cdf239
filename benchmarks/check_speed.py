"""Benchmark: `playbook check` on a synthetic playbook against loading the same files bare.

    python benchmarks/check_speed.py [--personas 1000] [--entities 10000] [--runs 7]

Both are timed as whole processes, alternating A B A B, after one warm-up each. The baseline
loads every file with PyYAML's C loader and does nothing else. Prints medians, the median of
the pairwise ratios, and peak memory (max RSS) of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one whole-process run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{cmd} exited {code}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--personas", type=int, default=1000)
    parser.add_argument("--entities", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synthetic.write(root, args.personas, args.entities)
        check = [sys.executable, "-m", "generator.cli", "check", str(root), "--today", "2026-11-22"]
        bare = [sys.executable, str(HERE / "bare_load.py"), str(root)]
        run(check), run(bare)
        a, b = [], []
        for _ in range(args.runs):
            a.append(run(check))
            b.append(run(bare))
        ratios = [x[0] / y[0] for x, y in zip(a, b)]
        files = sum(1 for _ in root.rglob("*.yaml"))
        size = sum(p.stat().st_size for p in root.rglob("*.yaml")) / 1e6
        print(f"synthetic playbook: {args.personas} personas + {args.entities} other entities, "
              f"{files} files, {size:.1f} MB; {args.runs} runs each")
        print(f"playbook check   wall median {statistics.median(x[0] for x in a):.3f} s  "
              f"(min {min(x[0] for x in a):.3f}, max {max(x[0] for x in a):.3f})  "
              f"peak {max(x[1] for x in a):.0f} MiB")
        print(f"bare C-loader    wall median {statistics.median(x[0] for x in b):.3f} s  "
              f"(min {min(x[0] for x in b):.3f}, max {max(x[0] for x in b):.3f})  "
              f"peak {max(x[1] for x in b):.0f} MiB")
        print(f"ratio check/bare median {statistics.median(ratios):.2f} "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
