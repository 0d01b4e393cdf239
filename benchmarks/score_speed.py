"""Benchmark: `playbook score` (the compiled query in DuckDB) on a generated CRM export, side by side
with DuckDB merely reading the same file and with the engine before the switch to DuckDB.

    python benchmarks/score_speed.py [--leads 100000] [--events 20] [--runs 5] [--keep DIR]
                                     [--against REF] [--big 1000000] [--memory-limit 700MB]
                                     [--big-timeout 1800]

Writes a CSV of N leads with E events each (event types taken from the example playbook's
definitions/scoring.yaml, attributes that its fit rules, stages and personas test), then times
whole processes, in turn A B C A B C ... after one warm-up each:

  A  python -m generator.cli score FILE --format csv --as-of 2026-11-22 > /dev/null
  B  python -c "import duckdb; duckdb.sql(\"select count(*) from read_csv('FILE')\").fetchall()"
  C  A, run from a git worktree of the last commit before `playbook score` ran on DuckDB (the
     parent of the commit that deleted generator/score.py), on the same playbook; or of the
     commit --against names (an earlier state of the DuckDB engine, say)

Prints wall medians with min and max, the medians of the pairwise ratios A/B and A/C, peak
memory (max RSS), and whether A's and C's outputs are byte for byte the same.
Targets: A <= 1 s for 100,000 leads x 20 events, A/B <= 3.

With --big N, one more run of A alone on N leads with DuckDB's memory limited (--memory-limit,
spilling to a temporary folder): its wall time and peak RSS (target: under 1 GB), or that it was
stopped after --big-timeout seconds. A file of more than 1,000,000 leads is written as copies of
the first 100,000 with the ids made unique (a repeated id is a bad row), which takes minutes
rather than the better part of an hour.

Compiled queries (and worked examples' results) are kept between runs in the user's cache
folder; the warm-up run fills it, so the counted runs are those of a user scoring again with the
same definitions.

The package's modules are byte-compiled first (`python -m compileall generator`), as an
installed package is.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 22)
WINDOW_DAYS = 365

BASELINE = """
import sys, duckdb
duckdb.sql("select count(*) from read_csv(?)", params=[sys.argv[1]]).fetchall()
"""

COLUMNS = ["id", "email", "company", "company_website", "industry", "job_title", "country",
           "employee_count", "monthly_ad_budget", "runs_meta_ads", "expected_contact_cadence",
           "main_channel_needed", "email_opt_in", "lead_source", "create_date", "sales_accepted",
           "discovery_call_held", "confirmed", "agreement_signed", "rejection_reason", "events"]
INDUSTRIES = (["ecommerce"] * 5 + ["dtc"] * 3 + ["dental"] * 2 + ["fitness-studio"] * 2 + ["med-spa", "physiotherapy"]
              + ["online-education"] * 2 + ["coaching", "restaurant", "real-estate", "saas", "legal",
                                            "marketing-agency", ""] )
TITLES = ["founder", "owner", "ceo", "practice-owner", "head-of-marketing", "marketing-manager", "office-manager",
          "marketing-coordinator", "assistant", "student", "intern", ""]
BUDGETS = [0, 300, 800, 1500, 2000, 2500, 3500, 5000, 8000, 12000, 25000, 40000]
CADENCE = ["weekly"] * 5 + ["fortnightly"] * 2 + ["monthly"] * 3 + ["daily", "hourly", ""]
CHANNELS = ["meta-ads"] * 6 + ["google-ads", "tiktok", "seo", "website", ""]
DIMENSIONS = ["budget", "authority", "need", "timeline", "communication", "reporting", "response-time", "scope"]
REASONS = ["", "", "", "", "", "", "bad-timing", "unresponsive", "below-price-point", "long-buying-cycle",
           "no-budget", "no-authority", "poor-fit"]


def event_types() -> list[str]:
    """The event types the example playbook's scoring model knows."""
    data = yaml.safe_load((ROOT / "definitions" / "scoring.yaml").read_text(encoding="utf-8"))
    return [r["event"] for g in data["scoring"]["groups"] for r in g["rules"] if r.get("event")]


def write_leads(path: Path, n: int, events: int, seed: int = 20261122) -> None:
    rng = random.Random(seed)
    kinds = event_types()
    weights = [1 + 10 * (k in ("blog_post_viewed", "newsletter_clicked_3x", "guide_downloaded")) for k in kinds]
    days = [(AS_OF - dt.timedelta(days=d)).isoformat() for d in range(WINDOW_DAYS)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(COLUMNS)
        for i in range(n):
            industry = rng.choice(INDUSTRIES)
            company = f"company{i}"
            sales = rng.random() < 0.2
            called = sales and rng.random() < 0.5
            confirmed = ";".join(rng.sample(DIMENSIONS, rng.randint(0, 8))) if called else ""
            evs = sorted(zip(rng.choices(range(WINDOW_DAYS), k=events), rng.choices(kinds, weights, k=events)),
                         reverse=True)
            out.writerow([f"hs-{100000 + i}", f"person{i}@{company}.example", company,
                          f"https://www.{company}.example" if industry else "", industry, rng.choice(TITLES),
                          rng.choice(["US", "US", "US", "CA", "GB", "AU"]), rng.choice([2, 5, 12, 25, 60, 150]),
                          rng.choice(BUDGETS), rng.choice(["yes", "no", ""]), rng.choice(CADENCE),
                          rng.choice(CHANNELS), rng.choice(["yes", "yes", "no"]),
                          rng.choice(["facebook-ads", "webinar", "referral", "organic-search"]),
                          days[rng.randrange(WINDOW_DAYS)], "yes" if sales else "", "yes" if called else "",
                          confirmed, "yes" if called and rng.random() < 0.2 else "", rng.choice(REASONS),
                          ";".join(f"{kind}:{days[d]}" for d, kind in evs)])


def write_copies(path: Path, n: int, events: int, folder: Path) -> None:
    """N leads: copies of a file of 100,000 (written first if missing), each copy's ids made unique."""
    if n <= 1_000_000:
        write_leads(path, n, events)
        return
    block = folder / f"leads-100000-{events}.csv"
    if not block.exists():
        write_leads(block, 100_000, events)
    header, body = block.read_text(encoding="utf-8").split("\n", 1)
    part = path.with_name(path.name + ".part")
    with open(part, "w", encoding="utf-8", newline="") as out:
        out.write(header + "\n")
        for k in range(n // 100_000):
            out.write(("\n" + body).replace("\nhs-", f"\nhs{k}-")[1:])
    os.replace(part, path)


def run(cmd: list[str], cwd: Path = ROOT, env: dict | None = None, out: Path | None = None,
        timeout: float | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one whole-process run; stdout goes to ``out`` or /dev/null.
    A run longer than ``timeout`` seconds is stopped (SystemExit)."""
    sink = open(out, "wb") if out else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=sink, stderr=subprocess.PIPE)
    if timeout is not None:
        import threading
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if timeout is not None:
        timer.cancel()
        if time.perf_counter() - start >= timeout:
            raise SystemExit(f"{' '.join(cmd)} stopped after {timeout:.0f} s")
    wall = time.perf_counter() - start
    if out:
        sink.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def before_switch() -> str:
    """The last commit before `playbook score` ran on DuckDB: the parent of the commit that
    deleted the Python engine (generator/score.py)."""
    done = subprocess.run(["git", "log", "-1", "--format=%H", "--diff-filter=D", "--", "generator/score.py"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    if not done.stdout.strip():
        raise SystemExit("no commit deletes generator/score.py: nothing to compare with")
    return done.stdout.strip() + "^"


def score_cmd(path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "generator.cli", "score", str(path), "--format", "csv",
            "--as-of", AS_OF.isoformat(), *extra]


def measure(path: Path, runs: int, worktree: Path, outputs: Path) -> dict:
    a_cmd = score_cmd(path)
    b_cmd = [sys.executable, "-c", BASELINE, str(path)]
    c_cmd = score_cmd(path, "--path", str(ROOT))
    c_env = {**os.environ, "PYTHONPATH": str(worktree)}
    run(a_cmd, out=outputs / "a.csv"), run(b_cmd), run(c_cmd, worktree, c_env, outputs / "c.csv")
    same = (outputs / "a.csv").read_bytes() == (outputs / "c.csv").read_bytes()
    a, b, c = [], [], []
    for _ in range(runs):
        a.append(run(a_cmd))
        b.append(run(b_cmd))
        c.append(run(c_cmd, worktree, c_env))
    return {"score": a, "read": b, "before": c, "same": same,
            "a/b": [x[0] / y[0] for x, y in zip(a, b)], "a/c": [x[0] / y[0] for x, y in zip(a, c)]}


def line(name: str, xs: list) -> str:
    return (f"  {name:<40} wall median {statistics.median(x[0] for x in xs):7.3f} s  "
            f"(min {min(x[0] for x in xs):.3f}, max {max(x[0] for x in xs):.3f})  "
            f"peak RSS {max(x[1] for x in xs):6.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="Write the CSV files here and keep them.")
    parser.add_argument("--big", type=int, default=0, help="Also score this many leads once, memory limited.")
    parser.add_argument("--memory-limit", default="700MB",
                        help="DuckDB's limit for --big; the process needs some 150 MB more (default: 700MB).")
    parser.add_argument("--big-timeout", type=float, default=1800,
                        help="Stop the --big run after this many seconds (default: 1800).")
    parser.add_argument("--against", default=None, metavar="REF",
                        help="Compare with this commit instead of the last one before the switch to DuckDB.")
    args = parser.parse_args()
    commit = args.against or before_switch()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        worktree = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(worktree), commit], cwd=ROOT, check=True)
        try:
            for tree in (ROOT, worktree):
                subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "generator")], check=True,
                               stdout=subprocess.DEVNULL)
            path = folder / f"leads-{args.leads}.csv"
            if not path.exists():
                write_leads(path, args.leads, args.events)
            res = measure(path, args.runs, worktree, Path(tmp))
            print(f"{args.runs} runs each, in turn, after one warm-up; {os.cpu_count()} CPUs; "
                  f"Python {sys.version.split()[0]}; before = {commit} ({worktree.name} worktree)")
            print(f"{args.leads:,} leads x {args.events} events, {path.stat().st_size / 1e6:.1f} MB")
            print(line("A playbook score --format csv", res["score"]))
            print(line("B DuckDB count(*) over read_csv", res["read"]))
            print(line(f"C playbook score at {commit[:12]}", res["before"]))
            for name in ("a/b", "a/c"):
                rs = res[name]
                print(f"  ratio {name.upper()} median {statistics.median(rs):.2f} (min {min(rs):.2f}, max {max(rs):.2f})")
            print(f"  outputs of A and C byte for byte the same: {'yes' if res['same'] else 'NO'}")
            wall = statistics.median(x[0] for x in res["score"])
            ratio = statistics.median(res["a/b"])
            print(f"targets: wall <= 1 s: {'met' if wall <= 1 else 'MISSED'} ({wall:.2f} s); "
                  f"<= 3x the bare read: {'met' if ratio <= 3 else 'MISSED'} ({ratio:.2f}x)")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
        if args.big:
            big = folder / f"leads-{args.big}.csv"
            if not big.exists():
                write_copies(big, args.big, args.events, folder)
            spill = Path(tmp) / "spill"
            wall, peak = run(score_cmd(big, "--memory-limit", args.memory_limit, "--temp-dir", str(spill)),
                             timeout=args.big_timeout)
            print(f"{args.big:,} leads x {args.events} events, {big.stat().st_size / 1e9:.2f} GB, "
                  f"--memory-limit {args.memory_limit}: wall {wall:.1f} s, peak RSS {peak:.0f} MiB "
                  f"({'under' if peak < 1024 else 'OVER'} 1 GiB)")


if __name__ == "__main__":
    main()
