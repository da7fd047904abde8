#!/usr/bin/env python3
"""Link throughput of protocol v1 on an emulated board, beside its goals.

Prints:
  * payload efficiency: payload bytes / wire bytes of MODEL_DATA frames at the DUT's
    negotiated max_payload (goal >= 95 %);
  * sustained host-to-DUT payload throughput of a pipelined model upload, as a ratio to a
    raw byte echo (RAW_ECHO) over the same emulated UART (goal >= 0.9).

The emulated UARTs take one byte at a time (docs/architecture.md §5: 12-18 KiB/s on CMSDK), so the
raw echo is the ceiling any protocol over that UART can reach.

usage: python benchmarks/link_throughput.py [--board mps2-an386] [--kib 64]
"""

from __future__ import annotations

import argparse
import struct
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hilbench.config import load_boards  # noqa: E402
from hilbench.devices import make_device  # noqa: E402
from hilbench.link.messages import Msg  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="mps2-an386")
    ap.add_argument("--boards", default=str(Path(__file__).resolve().parent.parent / "boards.toml"))
    ap.add_argument("--kib", type=int, default=64, help="bytes to send each way, KiB")
    args = ap.parse_args()
    board = load_boards(args.boards).get(args.board)
    n = args.kib * 1024
    data = bytes((i * 7 + 3) & 0xFF for i in range(n))
    with make_device(board) as dev:
        info = dev.open()
        link = dev.link
        assert link is not None and link.hello is not None
        print(
            f"board {info.board} ({info.device_kind}), max_payload {link.max_payload} B, window {link.window}"
        )

        # Raw UART ceiling.
        t0 = time.perf_counter()
        echoed = link.raw_echo(data)
        raw_s = time.perf_counter() - t0
        if echoed != data:
            print("RAW_ECHO returned different bytes", file=sys.stderr)
            return 2

        # Protocol: pipelined MODEL_DATA frames into the model buffer.
        chunk = link.max_payload - 4
        link.request(Msg.MODEL_BEGIN, struct.pack("<II", n, zlib.crc32(data)))
        before_payload, before_wire = link.stats.payload_bytes_sent, link.stats.wire_bytes_sent
        burst = [(Msg.MODEL_DATA, struct.pack("<I", o) + data[o : o + chunk]) for o in range(0, n, chunk)]
        t0 = time.perf_counter()
        link.pipeline(burst)
        proto_s = time.perf_counter() - t0
        payload = link.stats.payload_bytes_sent - before_payload
        wire = link.stats.wire_bytes_sent - before_wire

    efficiency = (payload - 4 * len(burst)) / wire  # model bytes only: offsets are overhead too
    raw_rate = n / raw_s
    proto_rate = n / proto_s
    ratio = proto_rate / raw_rate
    print(f"{'metric':<44}{'measured':>14}{'goal':>10}")
    print(f"{'payload efficiency (model bytes / wire bytes)':<44}{efficiency:>13.1%}{'>= 95%':>10}")
    print(f"{'raw echo host->DUT (KiB/s)':<44}{raw_rate / 1024:>14.1f}{'-':>10}")
    print(f"{'protocol upload host->DUT (KiB/s)':<44}{proto_rate / 1024:>14.1f}{'-':>10}")
    print(f"{'protocol / raw echo throughput':<44}{ratio:>14.2f}{'>= 0.90':>10}")
    print(f"retransmits {link.stats.retransmits}, replays {link.stats.replays}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
