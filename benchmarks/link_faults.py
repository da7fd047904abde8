#!/usr/bin/env python3
"""KWS on kws01 through a noisy line, beside a clean run: issue [8/15]'s link acceptance.

Starts `hilbench serve BOARD` (our firmware under QEMU), then for each fault setting a
`hilbench proxy` that corrupts and drops bytes both ways, and runs MLPerf Tiny's KWS model
on a `kind = "mcu"` board on the proxy's pty. Prints, per setting, beside the anchor
(every sample once, outputs and instruction counts identical to the clean run):

  rows, lost / duplicated samples, outputs identical?, wall time (host clock), retransmission rate,
  the link's smallest window and payload, and the proxy's fault counters.

usage: python benchmarks/link_faults.py [--vectors 1000] [--board mps2-an386]
       [--faults 0/0,0.01/0.001,0.001/0.0001,0.0001/0.00001]   (corrupt/drop pairs; 0/0: the
       proxy with no faults, the fair anchor of wall time, since the relay adds its own latency)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hilbench.results  # noqa: E402
from tests.serving import Child, mcu_boards  # noqa: E402

SHARED = ROOT.parent / "shared"


def run(results: Path, vectors: int, *board: str) -> tuple[object, str, float]:
    model = SHARED / "models/mlperf-tiny/kws_ref_model.tflite"
    data = SHARED / "datasets/kws01"
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hilbench",
            "run",
            *board,
            "--model",
            str(model),
            "--dataset",
            str(data),
            "--limit",
            str(vectors),
            "--no-report",
            "--results-dir",
            str(results),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
    )
    took = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"run {board} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    run_id = re.search(r"hilbench run (\S+)", proc.stdout).group(1)  # type: ignore[union-attr]
    df = hilbench.results.load(run_id, results)
    df = (
        df.assign(window=df["window"].fillna(-1))
        .set_index(["phase", "window", "sample_id", "iteration"])
        .sort_index()
    )
    return df, proc.stderr, took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=1000)
    ap.add_argument("--board", default="mps2-an386")
    ap.add_argument("--faults", default="0/0,0.01/0.001,0.001/0.0001,0.0001/0.00001")
    ap.add_argument("--seed", default="5")
    args = ap.parse_args()
    if not (SHARED / "datasets/kws01").is_dir():
        print(f"skipped: {SHARED}/datasets/kws01 is not there (../shared beside the repo)")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="hilbench-link-faults-"))
    serve = Child(
        "serve",
        args.board,
        "--boards",
        str(ROOT / "boards.toml"),
        prefix=f"hilbench serve: board {args.board} on /dev/pts/",
        timeout=300,
    )
    try:
        clean, _, clean_s = run(
            tmp / "clean", args.vectors, "--board", args.board, "--boards", str(ROOT / "boards.toml")
        )
        print(f"clean line ({args.board} direct): {len(clean)} rows in {clean_s:.0f} s")
        print(
            "anchor: every sample once; outputs, predictions and instruction counts identical to the clean run"
        )
        print(
            f"{'corrupt/drop':>16} {'rows':>6} {'lost':>5} {'dup':>4} {'identical':>9} {'host s':>7} "
            f"{'x clean':>7}  link"
        )
        for pair in args.faults.split(","):
            corrupt, drop = pair.split("/")
            d = tmp / pair.replace("/", "_")
            d.mkdir()
            proxy = Child(
                "proxy",
                "--to",
                serve.address,
                "--corrupt",
                corrupt,
                "--drop",
                drop,
                "--seed",
                args.seed,
                prefix="hilbench proxy: listening on /dev/pts/",
            )
            try:
                via, err, took = run(
                    d, args.vectors, "--board", "bench-mcu", "--boards", str(mcu_boards(d, proxy.address))
                )
                _, out, _ = proxy.stop(signal.SIGTERM)
            finally:
                proxy.kill()
            counters = json.loads(out.strip().splitlines()[-1].split("counters ", 1)[1])
            lost = len(set(clean.index) - set(via.index))
            dup = int(via.index.duplicated().sum())
            same = list(via.index) == list(clean.index) and all(
                via[c].tolist() == clean[c].tolist() for c in ("output", "prediction", "cycles")
            )
            link = [ln for ln in err.splitlines() if "frame(s) sent again" in ln]
            rate = re.search(r"\(([\d.]+ % of \d+ frames)\)", link[-1]).group(1) if link else "0 %"  # type: ignore[union-attr]
            small = re.search(r"smallest (\d+ / \d+ B)", link[-1]).group(1) if link else "-"  # type: ignore[union-attr]
            inj = ", ".join(
                f"{k} {v['corrupted']} corrupted {v['dropped']} dropped"
                for k, v in counters.items()
                if isinstance(v, dict)
            )
            print(
                f"{pair:>16} {len(via):>6} {lost:>5} {dup:>4} {str(same):>9} {took:>7.0f} {took / clean_s:>7.1f}  "
                f"retransmitted {rate}; smallest window/payload {small}; injected: {inj}"
            )
    finally:
        serve.stop(signal.SIGTERM)
        serve.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
