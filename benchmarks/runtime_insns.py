#!/usr/bin/env python3
"""hilbench-rt instructions per inference on the MLPerf Tiny models, beside TFLM's.

For each of the four MLPerf Tiny models (KWS DS-CNN, VWW MobileNetV1-0.25, IC ResNet-8,
AD autoencoder): hilbench-rt's instructions per inference on the emulated Cortex-M4
(mps2-an386, QEMU -icount shift=0: 1 guest instruction = 1 ns of virtual time; median of
5 timed inferences of one random input), beside two anchors measured on the same emulated
core with TFLM (reference kernels, and CMSIS-NN kernels), the ratios, hilbench-rt's arena
bytes (TFLM's beside) and the firmware's .text (arm-none-eabi-size). Then the same for the
Cortex-M7 (mps2-an500) and Cortex-M55 (mps3-an547) boards (no anchors: ours only). Each
board's kernel set is read from its board.mk: the Arm DSP-extension kernels
(-DHIL_USE_DSP: M4, M7) or the Helium / MVE kernels (-DHIL_USE_MVE: M55, since the MVE
kernels landed; the M55 figures of its earlier DSP-kernel build are printed beside them).

These are EMULATED INSTRUCTION COUNTS, not silicon cycles: QEMU counts retired
instructions, one per instruction whatever its latency (an SMLAD counts as one, as does a
divide or a load that would stall on silicon; an MVE instruction such as VMLADAVA.S8,
16 MACs that the Cortex-M55 executes in several beats, also counts as one).

Goals: at most half of TFLM's reference-kernel count on every model (bar), at or below
TFLM + CMSIS-NN (goal).

usage: python benchmarks/runtime_insns.py [--boards-file boards.toml]
           [--board mps2-an386 ...] [--repeat 5] [--models kws,vww,ic,ad]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hilbench import firmware  # noqa: E402
from hilbench.config import load_boards  # noqa: E402
from hilbench.devices import make_device  # noqa: E402

MODELS_DIR = ROOT.parent / "shared" / "models" / "mlperf-tiny"

# name -> (file, MACs, TFLM reference-kernel instructions, TFLM + CMSIS-NN instructions,
# TFLM arena bytes); anchors measured on QEMU 7.2 mps2-an386 (Cortex-M4), -icount
# shift=0, TFLM built with arm-none-eabi-gcc 12.2.
MODELS = {
    "kws": ("kws_ref_model.tflite", 2.66e6, 43.04e6, 7.70e6, 22_772),
    "vww": ("vww_96_int8.tflite", 7.49e6, 100.24e6, 24.10e6, 100_660),
    "ic": ("pretrainedResnet_quant.tflite", 12.50e6, 107.40e6, 29.86e6, 54_340),
    "ad": ("ad01_int8.tflite", 0.26e6, 1.95e6, 0.58e6, 2_260),
}
ANCHOR_BOARD = "mps2-an386"
DEFAULT_BOARDS = ["mps2-an386", "mps2-an500", "mps3-an547"]
TFLM_CMSIS_TEXT = 65_000  # TFLM + CMSIS-NN int8-only .text without the model, about
# mps3-an547 (Cortex-M55) built with the DSP-extension kernels (-DHIL_USE_DSP), before the
# MVE kernels: instructions per inference, same measurement
M55_DSP_INSNS = {"kws": 5.55e6, "vww": 15.60e6, "ic": 23.50e6, "ad": 0.49e6}


def kernel_set(board_name: str, boards) -> str:  # type: ignore[no-untyped-def]
    """The optimised kernels the board's firmware builds, from its board.mk."""
    b = boards.get(board_name)
    try:
        mk = (ROOT / "firmware" / "boards" / (b.firmware or board_name) / "board.mk").read_text()
    except OSError:
        return "?"
    if "-DHIL_USE_MVE" in mk:
        return "MVE"
    if "-DHIL_USE_DSP" in mk:
        return "DSP"
    return "portable"


def text_size(board_name: str, boards) -> int | None:  # type: ignore[no-untyped-def]
    b = boards.get(board_name)
    image = firmware.image_path(b.firmware or board_name, defines=tuple(b.defines))
    size = (firmware.toolchain_for(b.firmware or board_name)[0]).replace("gcc", "size")
    try:
        out = subprocess.run([size, str(image)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return int(out.splitlines()[1].split()[0])


_MAP_SECTION = re.compile(r"^\s*(\.text\S*)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.o)\s*$")


def runtime_text(board_name: str, boards) -> int | None:  # type: ignore[no-untyped-def]
    """Bytes of .text the linker kept from hilbench-rt's objects (runtime/, i.e. the
    interpreter and its kernels, without the DUT protocol, board code and libc/libgcc),
    from the firmware's link map."""
    b = boards.get(board_name)
    mp = firmware.image_path(b.firmware or board_name, defines=tuple(b.defines)).with_suffix(".map")
    try:
        lines = mp.read_text().splitlines()
    except OSError:
        return None
    total, in_map, section = 0, False, None
    for line in lines:
        if line.startswith("Linker script and memory map"):
            in_map = True
            continue
        if not in_map:
            continue
        stripped = line.strip()
        if stripped.startswith(".") and " " not in stripped:
            section = stripped  # the input section's name alone; address/size/file follow
            continue
        m = _MAP_SECTION.match(line)
        if m:
            name = m.group(1) or section
            if name and name.startswith(".text") and "/runtime/" in m.group(4):
                total += int(m.group(3), 16)
        section = None
    return total


def measure(board_name: str, boards, models: list[str], repeat: int) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    """model -> (median instructions per inference, arena bytes)."""
    res: dict[str, tuple[int, int]] = {}
    with make_device(boards.get(board_name)) as dev:
        dev.open()
        timing = dev.describe().timing
        assert timing.source == "qemu_icount", timing
        for m in models:
            blob = (MODELS_DIR / MODELS[m][0]).read_bytes()
            desc = dev.load_model(blob, source=MODELS[m][0])
            rng = random.Random(1234)
            vec = bytes(rng.randrange(256) for _ in range(desc.inputs[0].nbytes))
            ticks = dev.run_many(vec, repeat)
            insns = [timing.cycles(t) for t in ticks]
            res[m] = (int(statistics.median(insns)), desc.arena_used)  # type: ignore[type-var]
            print(f"  {board_name} {m}: {res[m][0]:,} instructions (runs {insns})", file=sys.stderr)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards-file", default=str(ROOT / "boards.toml"))
    ap.add_argument("--board", action="append", help=f"boards (default: {' '.join(DEFAULT_BOARDS)})")
    ap.add_argument("--repeat", type=int, default=5, help="timed inferences per model (median)")
    ap.add_argument(
        "--models", default=",".join(MODELS), help="comma-separated subset of " + ",".join(MODELS)
    )
    args = ap.parse_args()
    boards = load_boards(args.boards_file)
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in MODELS:
            ap.error(f"unknown model {m}")
    board_names = args.board or DEFAULT_BOARDS

    print("hilbench-rt instructions per inference, EMULATED (QEMU -icount shift=0: retired")
    print("instructions, not silicon cycles); median of", args.repeat, "runs of one random input.")
    ok = True
    for bn in board_names:
        res = measure(bn, boards, models, args.repeat)
        text, rt_text = text_size(bn, boards), runtime_text(bn, boards)
        b = boards.get(bn)
        ks = kernel_set(bn, boards)
        ks_long = {
            "MVE": "Helium/MVE kernels (-DHIL_USE_MVE)",
            "DSP": "Arm DSP-extension kernels (-DHIL_USE_DSP)",
        }.get(ks, "portable kernels")
        print()
        print(
            f"== {bn} ({b.core}, {ks_long}), firmware .text {text:,} B"
            + (f" (hilbench-rt: {rt_text:,} B; the rest: DUT protocol, board, libc)" if rt_text else "")
            if text
            else f"== {bn} ({b.core}, {ks_long})"
        )
        if bn == ANCHOR_BOARD:
            print(
                f"{'model':<6}{'MACs':>8}{'hilbench-rt':>14}{'TFLM ref':>12}{'TFLM+CMSIS':>12}"
                f"{'/ref':>7}{'/CMSIS':>8}{'MAC/insn':>9}{'arena':>9}{'TFLM arena':>11}  verdict"
            )
            for m in models:
                _, macs, ref, cmsis, tarena = MODELS[m]
                ins, arena = res[m]
                bar = ins <= ref / 2
                goal = ins <= cmsis
                ok = ok and bar and arena <= tarena
                verdict = "goal" if goal else ("bar" if bar else "MISSED")
                if arena > tarena:
                    verdict += ", arena > TFLM"
                print(
                    f"{m:<6}{macs / 1e6:>7.2f}M{ins / 1e6:>13.2f}M{ref / 1e6:>11.2f}M{cmsis / 1e6:>11.2f}M"
                    f"{ins / ref:>7.3f}{ins / cmsis:>8.3f}{macs / ins:>9.3f}{arena:>9,}{tarena:>11,}  {verdict}"
                )
            print(f"(TFLM + CMSIS-NN int8-only .text: about {TFLM_CMSIS_TEXT:,} B without the model)")
        else:
            prev = bn == "mps3-an547" and ks == "MVE"
            print(
                f"{'model':<6}{'kernels':>8}{'MACs':>8}{'hilbench-rt':>14}{'MAC/insn':>9}{'arena':>9}"
                + (f"{'DSP build':>11}{'/DSP':>7}" if prev else "")
            )
            for m in models:
                _, macs, *_rest = MODELS[m]
                ins, arena = res[m]
                print(
                    f"{m:<6}{ks:>8}{macs / 1e6:>7.2f}M{ins / 1e6:>13.2f}M{macs / ins:>9.3f}{arena:>9,}"
                    + (f"{M55_DSP_INSNS[m] / 1e6:>10.2f}M{ins / M55_DSP_INSNS[m]:>7.3f}" if prev else "")
                )
            if prev:
                print(
                    "(DSP build: the same board with the DSP-extension kernels, recorded before the MVE"
                    " kernels; one MVE instruction counts as one, like any other)"
                )
    print()
    print("Emulated instruction counts (QEMU icount), not silicon cycles.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
