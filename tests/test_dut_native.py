"""The DUT protocol end to end against the real firmware built for the host.

Same C sources as on the boards (firmware/dut + firmware/runtime), built with
AddressSanitizer and UBSan, driven over stdin/stdout by the real host link layer. A
sanitizer report kills the DUT process, which the link reports: so "never crashes on a
malformed frame" is checked byte for byte here, fast.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from hilbench import firmware
from hilbench.errors import LinkError
from hilbench.link import frame as fr
from hilbench.link.messages import CAP_MODEL_UPLOAD, Msg, Status
from hilbench.link.session import DutError, DutLink
from hilbench.link.transport import ProcessTransport
from tests.conftest import need_tool


@pytest.fixture(scope="module")
def dut_image() -> Path:
    need_tool("gcc")
    need_tool("make")
    return firmware.build_image("host", sanitize=True)


class FaultyTransport:
    """Wraps a transport and damages chosen traffic: the link must recover from it."""

    def __init__(self, inner: ProcessTransport) -> None:
        self.inner = inner
        self.name = inner.name
        self.writes = 0
        self.corrupt_writes: set[int] = set()
        self.drop_next_reads = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        if self.writes in self.corrupt_writes and len(data) > 4:
            data = bytearray(data)
            data[len(data) // 2] ^= 0x5A
            if data[len(data) // 2] == 0:
                data[len(data) // 2] = 0x01
            data = bytes(data)
        self.inner.write(data)

    def read(self, timeout: float) -> bytes:
        data = self.inner.read(timeout)
        # Only reads that carry frame bytes count: the DUT sends a lone 0x00 delimiter
        # ahead of each frame (docs/protocol.md §2a), which a read can return by itself.
        if data.strip(b"\x00") and self.drop_next_reads:
            self.drop_next_reads -= 1
            return b""
        return data

    def close(self) -> None:
        self.inner.close()


@pytest.fixture()
def dut(dut_image: Path):  # type: ignore[no-untyped-def]
    t = FaultyTransport(ProcessTransport([str(dut_image)]))
    link = DutLink(t, timeout=0.5, retries=4)
    link.connect(deadline_s=10)
    yield link
    proc = t.inner.process
    t.close()
    assert proc.returncode in (0, None), f"DUT exited with {proc.returncode} (sanitizer report?)"


def demo_model() -> bytes:
    from hilbench import demo

    return Path(demo.DEMO_MODEL).read_bytes()


def test_hello_describes_the_dut(dut: DutLink) -> None:
    h = dut.hello
    assert h is not None
    assert h.proto_version == 1 and h.board == "host" and h.firmware_name == "hilbench-dut"
    assert h.timer_kind == "host_clock" and h.timer_hz == 1_000_000_000
    assert h.max_payload >= 256 and h.has(CAP_MODEL_UPLOAD)
    assert h.arena_bytes > 0 and h.model_capacity_bytes > 0


def test_demo_model_runs_bit_exact(dut: DutLink) -> None:
    from hilbench import demo
    from hilbench.datasets import load_dataset
    from hilbench.models.reference import ReferenceInterpreter

    model = demo_model()
    desc = dut.load_model(model)
    assert desc.n_ops >= 2 and len(desc.inputs) == 1 and len(desc.outputs) == 1
    assert desc.inputs[0].type == "int8" and desc.arena_used > 0
    ref = ReferenceInterpreter(model)
    ds = load_dataset(demo.DEMO_DATASET, limit=20)
    for v in ds.vectors:
        data = ds.read(v)
        ticks = dut.run_once(data)
        assert ticks > 0
        out = dut.get_output(desc.outputs[0].nbytes)
        assert np.array_equal(np.frombuffer(out, np.int8), np.asarray(ref.run(data)[0]).reshape(-1))


def test_invoke_counts_and_warmup(dut: DutLink) -> None:
    desc = dut.load_model(demo_model())
    dut.set_input(bytes(desc.inputs[0].nbytes))
    assert len(dut.invoke(count=5, warmup=2)) == 5
    per_frame = (dut.max_payload - 4) // 8
    assert len(dut.invoke(count=per_frame + 3)) == per_frame + 3  # split over calls


def test_corrupted_request_frames_are_retransmitted(dut: DutLink) -> None:
    t = dut.transport
    assert isinstance(t, FaultyTransport)
    model = demo_model()
    t.corrupt_writes = {t.writes + 2, t.writes + 5}  # two MODEL_DATA frames damaged on the wire
    desc = dut.load_model(model)
    assert desc.n_ops >= 2
    assert dut.stats.retransmits >= 1


def test_lost_response_is_replayed_not_reexecuted(dut: DutLink) -> None:
    t = dut.transport
    assert isinstance(t, FaultyTransport)
    desc = dut.load_model(demo_model())
    dut.set_input(bytes(desc.inputs[0].nbytes))
    t.drop_next_reads = 1  # the INVOKE response is lost
    ticks = dut.invoke(count=1)
    assert len(ticks) == 1
    assert dut.stats.replays >= 1


def test_garbage_then_frames_resynchronise(dut: DutLink) -> None:
    rng = random.Random(3)
    dut.transport.write(
        bytes(rng.randrange(1, 256) for _ in range(3000))
    )  # no delimiter: overflows the DUT buffer
    dut.transport.write(b"\x00" + bytes(rng.randrange(256) for _ in range(500)) + b"\x00")
    assert dut.request(Msg.HELLO).status == Status.OK


@pytest.mark.parametrize(
    "msg,payload,status",
    [
        (Msg.INVOKE, struct.pack("<HHI", 1, 0, 0), Status.BAD_STATE),
        (Msg.GET_OUTPUT, struct.pack("<BxxxIH", 0, 0, 4), Status.BAD_STATE),
        (Msg.MODEL_DATA, struct.pack("<I", 0) + b"x", Status.BAD_STATE),
        (Msg.MODEL_BEGIN, struct.pack("<II", 0xFFFFFFF0, 0), Status.MODEL_TOO_LARGE),
        (Msg.MODEL_BEGIN, b"\x01", Status.BAD_LENGTH),
        (0x55, b"", Status.UNKNOWN_TYPE),
    ],
)
def test_refusals_carry_status_and_message(dut: DutLink, msg: int, payload: bytes, status: Status) -> None:
    with pytest.raises(DutError) as e:
        dut.request(msg, payload)  # type: ignore[arg-type]
    assert e.value.detail.status == status
    assert e.value.detail.message


def test_model_crc_and_range_checks(dut: DutLink) -> None:
    model = demo_model()
    dut.request(Msg.MODEL_BEGIN, struct.pack("<II", len(model), zlib.crc32(model) ^ 1))
    dut.request(Msg.MODEL_DATA, struct.pack("<I", 0) + model[:200])
    with pytest.raises(DutError) as e:
        dut.request(Msg.MODEL_DATA, struct.pack("<I", len(model) - 10) + model[:200])
    assert e.value.detail.status == Status.OUT_OF_RANGE
    with pytest.raises(DutError) as e:
        dut.request(Msg.MODEL_END)
    assert e.value.detail.status == Status.MODEL_CRC


@pytest.mark.parametrize("mutate", ["random", "truncate", "flip"])
def test_malformed_models_are_refused_not_crashing(dut: DutLink, mutate: str) -> None:
    rng = random.Random(hash(mutate) & 0xFFFF)
    model = demo_model()
    for _ in range(25):
        if mutate == "random":
            bad = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
        elif mutate == "truncate":
            bad = model[: rng.randrange(1, len(model))]
        else:
            b = bytearray(model)
            for _ in range(rng.randrange(1, 4)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            bad = bytes(b)
        try:
            dut.load_model(bad)
        except DutError as e:
            assert e.detail.status in (
                Status.MODEL_INVALID,
                Status.UNSUPPORTED_OP,
                Status.UNSUPPORTED_TYPE,
                Status.ARENA_TOO_SMALL,
                Status.TOO_MANY,
            ), e.detail
    assert dut.request(Msg.HELLO).status == Status.OK  # still alive


def test_fuzzed_request_payloads_never_crash(dut: DutLink) -> None:
    rng = random.Random(11)
    dut.load_model(demo_model())
    for _ in range(400):
        msg = rng.choice([m for m in Msg if m not in (Msg.RAW_ECHO, Msg.BOOT, Msg.HELLO)])
        payload = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 3, 4, 8, 10, 12, 40])))
        if msg == Msg.INVOKE and len(payload) >= 2:
            payload = struct.pack("<H", rng.randrange(0, 4)) + payload[2:]  # keep runs short
        try:
            dut.request(msg, payload)
        except DutError:
            pass
    assert dut.request(Msg.HELLO).status == Status.OK


def test_dut_exit_is_reported_as_link_error(dut_image: Path) -> None:
    t = ProcessTransport([str(dut_image)])
    link = DutLink(t, timeout=0.3, retries=1)
    link.connect(deadline_s=10)
    t.process.kill()
    t.process.wait()
    with pytest.raises(LinkError):
        link.request(Msg.HELLO)
    t.close()


def test_repeated_invokes_keep_input_and_output_exact(dut: DutLink) -> None:
    """The planner must keep graph inputs alive: INVOKE(n) runs n times on the same input."""
    from hilbench import demo
    from hilbench.datasets import load_dataset
    from hilbench.models.reference import ReferenceInterpreter

    model = demo_model()
    desc = dut.load_model(model)
    ds = load_dataset(demo.DEMO_DATASET, limit=5)
    ref = ReferenceInterpreter(model)
    for v in ds.vectors:
        data = ds.read(v)
        dut.set_input(data)
        dut.invoke(count=3, warmup=2)
        out = dut.get_output(desc.outputs[0].nbytes)
        assert np.array_equal(np.frombuffer(out, np.int8), np.asarray(ref.run(data)[0]).reshape(-1))


def test_profile_gives_ticks_per_op(dut: DutLink) -> None:
    from hilbench.link.messages import CAP_PROFILE

    assert dut.hello is not None and dut.hello.has(CAP_PROFILE)
    desc = dut.load_model(demo_model())
    dut.set_input(bytes(range(64)))
    ticks = dut.profile()
    assert len(ticks) == desc.n_ops
    assert all(t > 0 for t in ticks)
    with pytest.raises(DutError) as e:
        dut.request(Msg.PROFILE, struct.pack("<HH", desc.n_ops + 1, 1))
    assert e.value.detail.status == Status.OUT_OF_RANGE


def test_model_flash_without_partition_is_bad_state(dut: DutLink) -> None:
    from hilbench.link.messages import CAP_FLASH_MODEL

    assert dut.hello is not None and not dut.hello.has(CAP_FLASH_MODEL)
    with pytest.raises(DutError) as e:
        dut.load_flash_model(demo_model())
    assert e.value.detail.status == Status.BAD_STATE
