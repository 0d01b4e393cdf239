"""Benchmark: `playbook score` on a generated CRM export against merely reading it with csv.

    python benchmarks/score_speed.py [--leads 100000] [--events 20] [--runs 5] [--keep DIR]

Writes a CSV of N leads with E events each (event types taken from the example playbook's
definitions/scoring.yaml, attributes that its fit rules, stages and personas test), then times
whole processes, alternating A B A B after one warm-up each:

  A  python -m generator.cli score FILE --format csv --as-of 2026-11-22 > /dev/null
  B  python -c <csv.DictReader over every row, nothing else>

and the same for a file of N/10 leads, to show that peak memory does not depend on N.
Prints wall medians, the median of the pairwise ratios A/B and peak memory (max RSS).
Targets: A <= 10 s for 100,000 leads x 20 events, A/B <= 3, peak RSS independent of N.

The package's modules are byte-compiled first (`python -m compileall generator`), as an
installed package is: with PYTHONDONTWRITEBYTECODE set and an editable install, every run would
otherwise compile them again, which is start-up time no user of an installed package pays.
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
import csv, sys
with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    for row in csv.DictReader(fh):
        pass
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


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one whole-process run; stdout goes to /dev/null."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def measure(path: Path, runs: int) -> dict:
    score = [sys.executable, "-m", "generator.cli", "score", str(path), "--format", "csv",
             "--as-of", AS_OF.isoformat()]
    baseline = [sys.executable, "-c", BASELINE, str(path)]
    run(score), run(baseline)
    a, b = [], []
    for _ in range(runs):
        a.append(run(score))
        b.append(run(baseline))
    return {"score": a, "baseline": b, "ratios": [x[0] / y[0] for x, y in zip(a, b)]}


def report(label: str, n: int, events: int, path: Path, res: dict) -> None:
    a, b, ratios = res["score"], res["baseline"], res["ratios"]
    print(f"{label}: {n:,} leads x {events} events, {path.stat().st_size / 1e6:.1f} MB")
    for name, xs in (("playbook score --format csv", a), ("csv.DictReader baseline   ", b)):
        print(f"  {name}  wall median {statistics.median(x[0] for x in xs):7.3f} s  "
              f"(min {min(x[0] for x in xs):.3f}, max {max(x[0] for x in xs):.3f})  "
              f"peak RSS {max(x[1] for x in xs):5.0f} MiB")
    print(f"  ratio score/baseline median {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="Write the CSV files here and keep them.")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "generator")], check=True,
                   stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        sizes = [args.leads, max(args.leads // 10, 1)]
        results = {}
        for n in sizes:
            path = folder / f"leads-{n}.csv"
            write_leads(path, n, args.events)
            results[n] = (path, measure(path, args.runs))
        print(f"{args.runs} runs each, alternating, after one warm-up; {os.cpu_count()} CPUs; "
              f"Python {sys.version.split()[0]}")
        for n in sizes:
            report(f"N = {n:,}" if n == args.leads else f"N/10 = {n:,}", n, args.events, *results[n])
        big, small = (max(x[1] for x in results[n][1]["score"]) for n in sizes)
        wall = statistics.median(x[0] for x in results[sizes[0]][1]["score"])
        ratio = statistics.median(results[sizes[0]][1]["ratios"])
        print(f"peak RSS of score: {big:.0f} MiB for N vs {small:.0f} MiB for N/10 ({big / small:.2f}x)")
        print(f"targets: wall <= 10 s: {'met' if wall <= 10 else 'MISSED'} ({wall:.2f} s); "
              f"<= 3x baseline: {'met' if ratio <= 3 else 'MISSED'} ({ratio:.2f}x); "
              f"memory independent of N: {'met' if big <= small * 1.25 else 'MISSED'}")


if __name__ == "__main__":
    main()
