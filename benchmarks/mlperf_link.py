"""How fast hilbench's MLPerf Tiny driver loads an input, against the official runner's way.

The official runner sends one 31-byte hex line per round trip and never reads the
buffer back. hilbench sends lines as long as the DUT's command buffer allows (hilbench
firmware announces it: `m-hilbench-line-max-[N]`) and, on hilbench firmware, reads the
input back with `db print%` to catch corruption the protocol cannot see. This prints, for
the KWS input (490 bytes) and an IC image (3,072 bytes), the milliseconds per load of
each way on the emulated mps2-an386, side by side with the anchor.

Measured here (2026-11-28): the three ways take the same time within noise (KWS ~50 ms,
IC ~300 ms): QEMU's UART model takes ~50 µs per received character and a round trip
over the pty costs well under a millisecond, so the 100 -> 7 lines saving is invisible,
and the read-back (DUT -> host is not throttled) is nearly free. On a USB-serial board a
round trip costs ~1 ms or more, so the saving is ~0.1 s per IC load there; the read-back
then costs what the upload costs. What the read-back buys is correctness, not speed.

    python benchmarks/mlperf_link.py [--loads 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=20)
    args = ap.parse_args()
    from hilbench.config import load_boards
    from hilbench.mlperf_tiny.device import MlperfTinyDevice

    model = SHARED / "models" / "mlperf-tiny" / "kws_ref_model.tflite"
    if not model.is_file():
        raise SystemExit(f"needs {model} (the shared reference data beside the project root)")
    kws = (SHARED / "datasets" / "kws01" / "tst_000000_Stop_7.bin").read_bytes()
    ic = (SHARED / "datasets" / "samples" / "ic01" / "ic_inputs_embedded.bin").read_bytes()
    board = (
        load_boards(ROOT / "boards.toml").get("mps2-an386-mlperf").model_copy(update={"model": str(model)})
    )
    ways = [
        ("official: 31-byte lines, no read-back", 31, False),
        ("hilbench: longest lines, no read-back", None, False),
        ("hilbench: longest lines + db print check", None, True),
    ]
    print(
        "MLPerf Tiny input load on emulated mps2-an386 (QEMU pty), median ms per load "
        f"of {args.loads}; host wall clock"
    )
    print(f"{'way':<44} {'KWS 490 B':>10} {'IC 3072 B':>10} {'lines/load (IC)':>16}")
    base: dict[str, float] = {}
    for name, chunk, verify in ways:
        b = board.model_copy(update={"hex_chunk_bytes": chunk, "verify_load": verify})
        with MlperfTinyDevice(b) as dev:
            dev.open()
            assert dev.link is not None
            row = []
            for label, data in (("kws", kws), ("ic", ic)):
                times = []
                for _ in range(args.loads):
                    t = time.perf_counter()
                    dev.link.load(data)
                    times.append((time.perf_counter() - t) * 1e3)
                row.append(statistics.median(times))
            lines = -(-len(ic) // dev.link.effective_chunk())
        if chunk == 31:
            base = {"kws": row[0], "ic": row[1]}
        ratio = (
            f"  ({base['ic'] / row[1]:.1f}x the official way on IC)" if base and chunk != 31 else "  (anchor)"
        )
        print(f"{name:<44} {row[0]:>10.1f} {row[1]:>10.1f} {lines:>16}{ratio}")


if __name__ == "__main__":
    main()
