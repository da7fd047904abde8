"""The adaptive link (docs/protocol.md §2a) against the real firmware built for the host.

The DUT is firmware/dut + firmware/runtime with ASan/UBSan, over stdin/stdout; the line
between is hilbench.faults.transport.FaultyTransport, the proxy's own fault model, seeded. Every run
must give the bit-exact outputs of tflite-micro (the reference interpreter): a sample lost,
duplicated or run on a half-written input would differ.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np
import pytest

from hilbench import demo, firmware
from hilbench.datasets import load_dataset
from hilbench.errors import LinkError
from hilbench.faults.inject import Direction, FaultInjector, FaultSpec
from hilbench.faults.transport import FaultyTransport
from hilbench.link.adapt import AimdController, RtoTable
from hilbench.link.messages import CAP_NAK, Msg
from hilbench.link.session import Chunked, DutLink, _Source
from hilbench.link.transport import ProcessTransport
from hilbench.models.reference import ReferenceInterpreter
from tests.conftest import need_tool


@pytest.fixture(scope="module")
def dut_image() -> Path:
    need_tool("gcc")
    need_tool("make")
    return firmware.build_image("host", sanitize=True)


def run_demo(image: Path, corrupt: float, drop: float, vectors: int, seed: int = 1, **link_opts: object):
    """Upload the demo model over a noisy line, run `vectors` vectors; returns (link,
    outputs, reference outputs, injector)."""
    spec = FaultSpec(corrupt=corrupt, drop=drop)
    faults = FaultInjector(spec, spec, seed=seed)
    line = FaultyTransport(ProcessTransport([str(image)]), faults)
    link = DutLink(line, **link_opts)  # type: ignore[arg-type]
    try:
        link.connect(deadline_s=20)
        model = Path(demo.DEMO_MODEL).read_bytes()
        desc = link.load_model(model)
        ref = ReferenceInterpreter(model)
        ds = load_dataset(demo.DEMO_DATASET, limit=vectors)
        got, want = [], []
        for v in ds.vectors:
            data = ds.read(v)
            link.run_once(data)
            got.append(np.frombuffer(link.get_output(desc.outputs[0].nbytes), np.int8).copy())
            want.append(np.asarray(ref.run(data)[0]).reshape(-1))
        return link, got, want, faults
    finally:
        proc = line.inner.process
        line.close()
        assert proc.returncode in (0, None), f"DUT exited with {proc.returncode} (sanitizer report?)"


@pytest.mark.parametrize("corrupt,drop", [(0.001, 0.0001), (0.01, 0.001)])
def test_noisy_line_gives_the_clean_outputs(dut_image: Path, corrupt: float, drop: float) -> None:
    link, got, want, faults = run_demo(dut_image, corrupt, drop, vectors=60)
    assert len(got) == 60
    assert all(np.array_equal(g, w) for g, w in zip(got, want))
    st = link.stats
    injected = faults.counters(Direction.TO_BOARD).corrupted + faults.counters(Direction.TO_HOST).corrupted
    assert injected > 0, "the line injected nothing: the test proves nothing"
    assert st.retransmits > 0 and st.naks > 0, st.summary()
    assert st.min_payload < link.max_payload, f"the link never shrank: {st.summary()}"
    assert st.payload <= link.max_payload and st.window <= link.window


def test_the_dut_announces_naks_and_a_clean_line_retransmits_nothing(dut_image: Path) -> None:
    link, got, want, _ = run_demo(dut_image, 0.0, 0.0, vectors=20)
    assert link.hello is not None and link.hello.has(CAP_NAK)
    assert all(np.array_equal(g, w) for g, w in zip(got, want))
    st = link.stats
    assert (st.retransmits, st.timeouts, st.naks, st.damaged) == (0, 0, 0, 0), st.summary()
    assert st.payload == link.max_payload and st.min_payload == link.max_payload


def test_adaptation_is_reported_as_events(dut_image: Path) -> None:
    events: list[tuple[str, str, int]] = []
    link, *_ = run_demo(dut_image, 0.01, 0.001, vectors=10, on_event=lambda k, d, n: events.append((k, d, n)))
    link.flush_events()
    kinds = {k for k, _, _ in events}
    assert kinds == {"link_adapt"}, events
    assert any("shrank to window" in d for _, d, _ in events), events
    assert "retransmitted of" in link.stats.summary()


def test_a_dead_line_is_still_reported_after_the_silence_limit(dut_image: Path) -> None:
    spec = FaultSpec()
    faults = FaultInjector(spec, spec, seed=0)
    line = FaultyTransport(ProcessTransport([str(dut_image)]), faults)
    link = DutLink(line, timeout=0.2, retries=3)  # type: ignore[arg-type]
    try:
        link.connect(deadline_s=10)
        faults._streams[Direction.TO_BOARD].spec = FaultSpec(drop=1.0)  # the cable is cut
        t0 = time.monotonic()
        with pytest.raises(LinkError, match="no answer to INVOKE"):
            link.invoke(1)
        waited = time.monotonic() - t0
        assert link.silence_limit_s <= waited < link.silence_limit_s + 2.0, waited
    finally:
        line.close()


# ---------------------------------------------------------------- the controller's rules


def test_aimd_halves_on_loss_and_grows_back_within_the_dut_limit() -> None:
    c = AimdController(max_window=8, max_payload=1024)
    assert (c.window, c.payload) == (8, 1024)
    c.on_loss()
    assert (c.window, c.payload) == (4, 512)
    for _ in range(10):
        c.on_loss()
    assert (c.window, c.payload) == (1, 64)
    for _ in range(500):
        c.on_acked(1)
    assert (c.window, c.payload) == (8, 1024)  # back, and never past HELLO's max_payload


def test_rto_is_per_request_kind_and_backs_off() -> None:
    t = RtoTable(initial=2.0, floor=0.02)
    for _ in range(20):
        t.get(Msg.SET_INPUT).sample(0.010)
        t.get(Msg.INVOKE, 10).sample(0.500)
    fast, slow = t.rto(Msg.SET_INPUT), t.rto(Msg.INVOKE, 10)
    assert 0.02 <= fast < 0.05 and 0.5 < slow < 1.0
    assert t.rto(Msg.SET_INPUT, backoff=3) > 3 * fast
    assert t.rto(Msg.INVOKE, 20) > 2 * 0.5  # an unseen INVOKE size scales from a seen one


def test_chunks_are_cut_at_the_size_asked_for_when_taken() -> None:
    data = bytes(range(200))
    src = _Source(
        [Chunked(Msg.SET_INPUT, data, lambda off: struct.pack("<BxxxI", 0, off), 8), (Msg.INVOKE, b"x")]
    )
    got = bytearray()
    sizes = []
    for size in (108, 28, 28, 500):
        msg, payload, chunk = src.take(size)
        assert msg == Msg.SET_INPUT and chunk is not None
        (off,) = struct.unpack_from("<I", payload, 4)
        assert off == len(got)
        got += payload[8:]
        sizes.append(len(payload))
    assert bytes(got) == data and sizes == [108, 28, 28, 8 + 200 - 140]
    assert src.take(64)[0] == Msg.INVOKE and src.done
