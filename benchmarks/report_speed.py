"""How long `hilbench report` takes, and how big the file is, for a run of 10,000 samples.

Writes a synthetic run (boards x model variants, per-layer profiles, performance windows,
energy on the real board) with `hilbench.results.store.write_run` into a temporary results
directory, then times `collect` + `render_html` + write, and prints the seconds and the size
beside the goal of issue [4/12]: a 10,000-sample report under 5 MB.

    python benchmarks/report_speed.py [--samples 10000] [--history 5] [--keep DIR]

`synthetic_run()` is also the test data of tests/test_report.py and
tests/test_report_chromium.py.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

GOAL_BYTES = 5 * 1024 * 1024

# board -> (device_kind, core, clock_hz, timing_source, emulated, relative speed, energy source)
BOARDS: dict[str, tuple[str, str, int, str, bool, float, str | None]] = {
    "mps2-an386": ("emulated", "cortex-m4f", 25_000_000, "qemu_icount", True, 1.0, None),
    "mps3-an547": ("emulated", "cortex-m55", 32_000_000, "qemu_icount", True, 0.62, None),
    "nucleo-l4r5zi": ("mcu", "cortex-m4f", 120_000_000, "dwt_cycles", False, 1.15, "ppk2"),
}
# model -> (cycles on the reference board, top-1, arena bytes, MACs, bit-exact fraction)
MODELS: dict[str, tuple[int, float, int, int, float]] = {
    "kws_int8.tflite": (3_000_000, 0.915, 21_512, 2_656_768, 1.0),
    "kws_pruned_int8.tflite": (1_900_000, 0.884, 16_384, 1_480_000, 1.0),
    "kws_float.tflite": (9_500_000, 0.931, 84_000, 2_656_768, 0.97),
}
OPS = [
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "CONV_2D",
    "AVERAGE_POOL_2D",
    "RESHAPE",
    "FULLY_CONNECTED",
    "SOFTMAX",
]
OP_SHARE = [0.23, 0.06, 0.26, 0.06, 0.38, 0.004, 0.0005, 0.004, 0.0015]
CLASSES = 12


def synthetic_run(
    results_dir: Path,
    run_id: str,
    *,
    samples: int = 10_000,
    boards: list[str] | None = None,
    models: list[str] | None = None,
    started: datetime | None = None,
    seed: int = 0,
    slower: dict[tuple[str, str], float] | None = None,
    windows: int = 3,
    window_n: int = 20,
    suite: str = "synthetic",
) -> Path:
    """A complete run with about `samples` rows (spread over boards x models) written with
    write_run. `slower` scales the cycles of chosen (board, model) pairs (1.05 = 5 % slower)."""
    from hilbench.results.store import write_run

    boards = boards or list(BOARDS)
    models = models or list(MODELS)
    started = started or datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    rng = np.random.default_rng(seed)
    combos = [(b, m) for b in boards for m in models]
    fixed = 1 + windows * window_n  # warm-up + window rows of a combination
    per = max(1, samples // len(combos) - fixed)
    extra = max(0, samples - len(combos) * (per + fixed))  # the remainder goes to the first combination
    rows: list[dict[str, Any]] = []
    layers: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    for b, m in combos:
        kind, core, hz, src, emulated, speed, esrc = BOARDS[b]
        base_cycles, acc, arena, macs, exact = MODELS[m]
        cyc0 = base_cycles * speed * (slower or {}).get((b, m), 1.0)
        fw = hashlib.sha256(f"{b}/firmware".encode()).hexdigest()
        ident = dict(
            run_id=run_id,
            started_at=started,
            host="bench-host",
            hilbench_version="0.1.0",
            suite=suite,
            job_id=f"{b}/{m[:-7]}/kws01",
            board=b,
            board_serial=None if emulated else "0672FF49",
            device_kind=kind,
            core=core,
            clock_hz=hz,
            firmware_name="hilbench-dut",
            firmware_sha256=fw,
            runtime="hilbench-rt",
            model=m,
            model_sha256=hashlib.sha256(m.encode()).hexdigest(),
            dataset="kws01",
            dataset_sha256=hashlib.sha256(b"kws01").hexdigest(),
            timing_source=src,
            emulated=emulated,
            energy_source=esrc,
        )

        def one(phase: str, i: int, label: int, window: int | None, cycles: float) -> dict[str, Any]:
            cycles = int(round(cycles))
            right = rng.random() < acc
            pred = label if right else int((label + 1 + rng.integers(CLASSES - 1)) % CLASSES)
            out = rng.integers(-128, 60, CLASSES).astype(np.int8)
            out[pred] = 127
            ref = out.copy()
            if rng.random() > exact:  # one output element one LSB off the reference
                k = int(rng.integers(CLASSES))
                ref[k] = ref[k] - 1 if ref[k] > -128 else ref[k] + 1
            lat = cycles / hz * 1e6
            energy = (
                None if esrc is None else lat * 1e-6 * 0.0185 * 1e6 * (1 + rng.normal(0, 0.01))
            )  # ~18.5 mW
            diff = int(np.max(np.abs(out.astype(int) - ref.astype(int))))
            acc_row = window is None
            return dict(
                ident,
                sample_id=f"s{i:05d}",
                label=label,
                phase=phase,
                window=window,
                iteration=i,
                ticks=cycles,
                cycles=cycles,
                latency_us=lat,
                timing_source=src,
                energy_uj=energy,
                prediction=pred if acc_row else None,
                correct=(pred == label) if acc_row else None,
                output_sha256=None,
                output=out.tobytes() if acc_row else None,
                reference_output=ref.tobytes() if acc_row else None,
                max_abs_diff_vs_reference=diff if acc_row else None,
                bit_exact=(diff == 0) if acc_row else None,
                score=None,
            )

        def jitter() -> float:
            if emulated:  # exact counts with a little data dependence
                return cyc0 * (1 + rng.normal(0, 0.0002))
            return cyc0 * float(np.exp(rng.normal(0, 0.03))) * (1.3 if rng.random() < 0.02 else 1.0)

        rows.append(one("warmup", 0, 0, None, cyc0 * 1.08))
        for i in range(per + (extra if (b, m) == combos[0] else 0)):
            rows.append(one("measure", 0, int(rng.integers(CLASSES)), None, jitter()))
        for w in range(windows):
            for i in range(window_n):
                rows.append(one("measure", i, 0, w, jitter()))
        for k, (op, share) in enumerate(zip(OPS, OP_SHARE)):
            c = int(cyc0 * share)
            layers.append(
                dict(
                    run_id=run_id,
                    board=b,
                    model=m,
                    model_sha256=ident["model_sha256"],
                    op_index=k,
                    op_name=op,
                    macs=int(macs * share) if "CONV" in op or op == "FULLY_CONNECTED" else 0,
                    ticks=c,
                    cycles=c,
                    latency_us=c / hz * 1e6,
                    timing_source=src,
                    emulated=emulated,
                    clock_hz=hz,
                )
            )
        jobs.append(
            dict(
                run_id=run_id,
                started_at=started,
                suite=suite,
                job_id=ident["job_id"],
                board=b,
                device_kind=kind,
                model=m,
                model_sha256=ident["model_sha256"],
                dataset="kws01",
                dataset_sha256=ident["dataset_sha256"],
                firmware_sha256=fw,
                timing_source=src,
                emulated=emulated,
                arena_used=arena,
                n_ops=len(OPS),
                macs=macs,
                status="ok",
                error=None,
                git_commit="0123456789abcdef0123456789abcdef01234567",
            )
        )
    meta = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(seconds=95)).isoformat(),
        "host": "bench-host",
        "hilbench_version": "0.1.0",
        "suite": suite,
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "jobs": [
            dict(j, started_at=None, model_path=f"models/{j['model']}", dataset_path="datasets/kws01")
            for j in jobs
        ],
    }
    return write_run(results_dir / run_id, rows, meta, complete=True, layers=layers, jobs=jobs)


def history_runs(results_dir: Path, n: int, **kw: Any) -> list[str]:
    """n runs an hour apart, oldest first; returns their ids."""
    t0 = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)
    ids = []
    for i in range(n):
        t = t0 + timedelta(hours=i)
        rid = f"{t:%Y%m%dT%H%M%SZ}-{i:06x}"
        synthetic_run(results_dir, rid, started=t, seed=i, **kw)
        ids.append(rid)
    return ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument(
        "--history", type=int, default=5, help="earlier runs in the store (for the trend section)"
    )
    ap.add_argument(
        "--keep", type=Path, help="write the results and the report here instead of a temporary dir"
    )
    args = ap.parse_args()
    from hilbench.report.html import render_html
    from hilbench.report.model import collect

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        ids = history_runs(root, args.history, samples=2_000) if args.history else []
        t = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc) + timedelta(hours=args.history)
        rid = f"{t:%Y%m%dT%H%M%SZ}-ffffff"
        synthetic_run(root, rid, samples=args.samples, started=t, seed=99)
        import pandas as pd

        n = len(pd.read_parquet(root / rid / "samples.parquet", columns=["phase"]))
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            rep = collect(rid, root, baseline=ids[-1] if ids else None)
            html = render_html(rep)
            out = root / rid / "report.html"
            out.write_text(html, encoding="utf-8")
            times.append(time.perf_counter() - t0)
        size = out.stat().st_size
        print(
            f"run of {n:,} sample rows, {len(rep.combos)} board x model, {args.history} earlier runs in the store"
        )
        print(
            f"report generation (collect + render + write, best of 3): {min(times):.2f} s "
            f"(first {times[0]:.2f} s)"
        )
        print(
            f"report size: {size / 1e6:.2f} MB ({size:,} bytes)   goal < 5 MB ({GOAL_BYTES:,} bytes): "
            f"{'met' if size < GOAL_BYTES else 'MISSED'}"
        )
        if args.keep:
            print(f"report: {out}")


if __name__ == "__main__":
    main()
