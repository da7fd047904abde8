#!/usr/bin/env python3
"""Long libFuzzer runs of the firmware harnesses, beside the acceptance target.

Target (docs/fuzzing.md): 1,000,000 executions of each harness (fuzz_dut: frame decoder and
dispatcher; fuzz_mlperf: MLPerf Tiny text commands; fuzz_model: model reader, validation,
planning, prepare) without a crash, leak or sanitizer report. Prints, per harness, the
executions, wall time, executions/s and the coverage libFuzzer reports (cov: edges, ft:
features), from libFuzzer's own final statistics (timing_source: host_clock).

usage: python benchmarks/fuzz.py [--runs 1000000] [--models DIR] [--work DIR] [--nice 15]
                                 [--harness fuzz_dut ...]

The corpus directory (--work, default firmware/build/fuzz/work) is kept between runs, so a
second run continues where the first stopped. Exit status 1 if any run failed.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "firmware" / "fuzz"))

import fuzzrun  # noqa: E402

TARGET = 1_000_000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=TARGET, help="executions per harness")
    ap.add_argument(
        "--models",
        type=Path,
        action="append",
        default=[],
        help="directory of real .tflite models for the seeds (e.g. the MLPerf Tiny "
        "reference models); hilbench/demo is always used",
    )
    ap.add_argument("--work", type=Path, default=fuzzrun.BUILD_DIR / "work")
    ap.add_argument("--nice", type=int, default=15, help="nice level (the machine is shared)")
    ap.add_argument("--harness", action="append", choices=fuzzrun.HARNESSES)
    args = ap.parse_args()
    try:
        bin_dir = fuzzrun.build()
    except fuzzrun.FuzzSetupError as exc:
        print(f"fuzz: error: {exc}", file=sys.stderr)
        return 2
    seeds = fuzzrun.write_seeds(args.work / "seeds", args.models)
    commit = (
        subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# libFuzzer, {date}, commit {commit}, target {TARGET:,} executions per harness")
    print(
        f"{'harness':<12} {'executions':>11} {'seconds':>8} {'exec/s':>7} {'cov':>6} "
        f"{'ft':>6} {'corpus':>6}  result"
    )
    print("(cov: edges covered, of the binary's instrumented edges in brackets; ft: libFuzzer features)")
    failed = False
    for h in args.harness or fuzzrun.HARNESSES:
        res = fuzzrun.run(
            h,
            [args.work / "corpus" / h, seeds[h], *fuzzrun.regression_inputs(h)],
            runs=args.runs,
            artifact_dir=args.work / "artifacts" / h,
            bin_dir=bin_dir,
            nice=args.nice,
        )
        verdict = (
            "ok"
            if res.ok and res.executions >= TARGET
            else (res.problem() if not res.ok else f"only {res.executions:,} executions")
        )
        failed |= not res.ok
        print(
            f"{h:<12} {res.executions:>11,} {res.seconds:>8.0f} {res.exec_per_s:>7} "
            f"{res.cov:>6} [{res.edges_total}] {res.ft:>6} {res.corpus:>6}  {verdict}",
            flush=True,
        )
        print(f"  command: {' '.join(res.command)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
