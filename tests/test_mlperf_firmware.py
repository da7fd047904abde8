"""The DUT firmware's MLPerf Tiny text mode (firmware/dut/hil_mlperf.c), against the real
firmware.

(a) The host build (ASan + UBSan) driven over stdin/stdout, its flash model partition a
    partition image (hilbench.flash.partition.partition_image) named by HIL_FLASH_IMAGE:
    the command flow, kws01 predictions equal to tflite-micro's dequantized outputs to 3
    decimals, the ad01 anomaly score against the float64 host computation, malformed input
    (one `e-[...]` line + `m-ready`, and the DUT keeps serving), missing and corrupted
    partitions, auto-detection (binary protocol v1 still works), the HIL_MLPERF_TINY=1
    build's boot lines, and the %0.3f formatter against Python on many float32 values.
(b) mps2-an386 under QEMU (emulated marker): the HIL_MLPERF_TINY=1 image with the model
    preloaded into its flash partition by `-device loader`, driven over the pty.
"""

from __future__ import annotations

import os
import re
import select
import struct
import subprocess
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from hilbench import firmware
from hilbench.flash.partition import partition_image
from tests.clihelp import ROOT
from tests.conftest import need_tool, shared_path

FW = ROOT / "firmware"
LINE_MAX = 1024  # HIL_MLPERF_LINE_MAX default
KWS_VECTORS = (
    "tst_000000_Stop_7.bin",
    "tst_000001_Left_2.bin",
    "tst_000002_Right_6.bin",
    "tst_000003_Up_8.bin",
)


# ---------------------------------------------------------------------------- helpers


def _model(name: str) -> bytes:
    return shared_path("models", "mlperf-tiny", name).read_bytes()


def _f32(x: float) -> np.float32:
    return np.float32(x)


def expected_results(ref, outputs: list[np.ndarray]) -> list[str]:  # type: ignore[no-untyped-def]
    """What the firmware prints: (q - zp) * scale in float32, as C's printf("%0.3f")."""
    vals: list[str] = []
    for det, out in zip(ref.outputs, outputs):
        q = np.asarray(out).reshape(-1).astype(np.int64) - int(det.zero_point)
        deq = q.astype(np.float32) * np.float32(det.scale)
        vals += ["%.3f" % float(v) for v in deq]
    return vals


def results_of(lines: list[str]) -> list[str]:
    res = [ln for ln in lines if ln.startswith("m-results-[")]
    assert len(res) == 1, lines
    return res[0][len("m-results-[") : -1].split(",")


def laps(lines: list[str]) -> list[int]:
    return [int(ln[len("m-lap-us-") :]) for ln in lines if ln.startswith("m-lap-us-")]


class TextDut:
    """The text protocol over a byte pipe: `cmd("name")` sends `name%` and returns the
    lines up to (without) `m-ready`."""

    def __init__(self, write, read, close) -> None:  # type: ignore[no-untyped-def]
        self._write, self._read, self._close = write, read, close
        self.buf = b""

    def read_until(self, token: bytes, timeout: float) -> bytes:
        end = time.monotonic() + timeout
        while token not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {token!r} within {timeout} s; got {self.buf[-400:]!r}")
            self.buf += self._read(min(left, 0.5))
        i = self.buf.index(token) + len(token)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def lines_until_ready(self, timeout: float = 20.0) -> list[str]:
        lines: list[str] = []
        while True:
            raw = self.read_until(b"\r\n", timeout)
            ln = raw[:-2].decode("ascii")
            if ln == "m-ready":
                return lines
            lines.append(ln)

    def send(self, data: bytes) -> None:
        self._write(data)

    def cmd(self, text: str | bytes, timeout: float = 20.0) -> list[str]:
        data = text.encode() if isinstance(text, str) else text
        self._write(data + b"%")
        return self.lines_until_ready(timeout)

    def load(self, data: bytes, chunk: int = 31) -> list[str]:
        lines = self.cmd(f"db load {len(data)}")
        assert lines == [f"m-[Expecting {len(data)} bytes]"]
        for i in range(0, len(data), chunk):
            lines = self.cmd("db " + data[i : i + chunk].hex())
            done = i + chunk >= len(data)
            assert lines == (["m-load-done"] if done else []), lines
        return lines

    def read_back(self) -> bytes:
        out = bytearray()
        for ln in self.cmd("db print"):
            assert ln.startswith("m-buffer-"), ln
            pairs = ln[len("m-buffer-") :].split("-")
            assert len(pairs) <= 32
            out += bytes(int(p, 16) for p in pairs)
        return bytes(out)

    def close(self) -> None:
        self._close()


class HostDut(TextDut):
    def __init__(self, image: Path, partition: bytes | None, tmp: Path, first_binary: bool = True) -> None:
        env = dict(os.environ)
        env.pop("HIL_FLASH_IMAGE", None)
        if partition is not None:
            part = tmp / f"part-{zlib.crc32(partition):08x}.bin"
            part.write_bytes(partition)
            env["HIL_FLASH_IMAGE"] = str(part)
        env["ASAN_OPTIONS"] = "detect_leaks=0"
        self.proc = subprocess.Popen(
            [str(image)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()

        def write(data: bytes) -> None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

        def read(timeout: float) -> bytes:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return b""
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError(f"DUT exited ({self.proc.poll()}): {self.stderr_text()}")
            return chunk

        super().__init__(write, read, self._stop)

    def stderr_text(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read().decode(errors="replace")[-2000:]

    def _stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        err = self.stderr_text()
        assert self.proc.returncode == 0, f"DUT exited with {self.proc.returncode}: {err}"
        assert "runtime error" not in err and "AddressSanitizer" not in err, err


@pytest.fixture(scope="module")
def asan_image() -> Path:
    need_tool("gcc")
    need_tool("make")
    return firmware.build_image("host", sanitize=True)


@pytest.fixture(scope="module")
def kws() -> bytes:
    return _model("kws_ref_model.tflite")


@pytest.fixture()
def kws_dut(asan_image: Path, kws: bytes, tmp_path: Path):  # type: ignore[no-untyped-def]
    dut = HostDut(asan_image, partition_image(kws), tmp_path)
    dut.read_until(b"\x00", 10)  # auto mode: the binary BOOT frame comes first
    yield dut
    dut.close()


def _reference(model: bytes):  # type: ignore[no-untyped-def]
    pytest.importorskip("tflite_micro")
    from hilbench.models.reference import ReferenceInterpreter

    return ReferenceInterpreter(model)


# ---------------------------------------------------------------------------- (a) host


def test_identity_profile_help_timestamp(kws_dut: TextDut) -> None:
    assert kws_dut.cmd("name") == ["m-name-dut-[hilbench]"]
    assert kws_dut.cmd("\r\n  profile \r\n") == [
        "m-profile-[ULPMark for tinyML Firmware V0.0.1]",
        "m-model-[kws01]",
        f"m-hilbench-line-max-[{LINE_MAX}]",
    ]
    helps = kws_dut.cmd("help")
    assert len(helps) >= 8 and all(h.startswith("m-help-[") for h in helps)
    t = [laps(kws_dut.cmd("timestamp"))[0] for _ in range(3)]
    assert t[0] <= t[1] <= t[2]
    assert kws_dut.cmd("") == []  # an empty command: just m-ready


def test_kws_predictions_equal_tflite_micro(kws_dut: TextDut, kws: bytes) -> None:
    ref = _reference(kws)
    vectors = [shared_path("datasets", "kws01", n).read_bytes() for n in KWS_VECTORS]
    rng = np.random.default_rng(7)
    vectors += [rng.integers(-128, 128, 490, dtype=np.int8).tobytes() for _ in range(2)]
    for i, vec in enumerate(vectors):
        # official 31-byte chunks, and the largest our line buffer takes
        kws_dut.load(vec, chunk=31 if i % 2 == 0 else (LINE_MAX - 3) // 2)
        assert kws_dut.read_back() == vec
        lines = kws_dut.cmd("infer 1 0")
        assert lines[:3] == ["m-warmup-start-0", "m-warmup-done", "m-infer-start-1"]
        assert results_of(lines) == expected_results(ref, ref.run(vec)), f"vector {i}"
        assert kws_dut.cmd("results") == [ln for ln in lines if ln.startswith("m-results-")]


def test_infer_lines_and_timer(kws_dut: TextDut) -> None:
    vec = bytes(490)
    kws_dut.load(vec)
    lines = kws_dut.cmd("infer 20 3")
    assert [re.sub(r"\d+$", "#", ln) if ln.startswith("m-lap-us-") else ln for ln in lines[:-1]] == [
        "m-warmup-start-3",
        "m-warmup-done",
        "m-infer-start-20",
        "m-lap-us-#",
        "m-lap-us-#",
        "m-infer-done",
    ]
    t0, t1 = laps(lines)
    assert t1 > t0  # 20 inferences take more than a microsecond on any host
    # W defaults to 10; the same input gives the same results
    again = kws_dut.cmd("infer 2")
    assert again[0] == "m-warmup-start-10" and results_of(again) == results_of(lines)
    assert laps(again)[0] >= t1  # one timer epoch, never re-based


def test_ad01_score_matches_the_host(asan_image: Path, tmp_path: Path) -> None:
    from hilbench.datasets.anomaly import ad_windows, load_ad_file, quantize_windows, window_scores

    model = _model("ad01_int8.tflite")
    ref = _reference(model)
    frames = load_ad_file(
        shared_path("datasets", "samples", "ad01", "normal_id_01_00000000_hist_librosa.bin")
    )
    windows = ad_windows(frames)[[0, 50, 190]]
    dut = HostDut(asan_image, partition_image(model), tmp_path)
    try:
        dut.read_until(b"\x00", 10)
        assert "m-model-[ad01]" in dut.cmd("profile")
        inp, outp = ref.inputs[0], ref.outputs[0]
        for w in windows:
            raw = w.astype("<f4").tobytes()
            dut.load(raw, chunk=500)
            score = float(results_of(dut.cmd("infer 1 0"))[0])
            q = quantize_windows(w[None, :], inp.scale, inp.zero_point)
            out = np.asarray(ref.run(q[0].tobytes())[0]).reshape(1, -1)
            host = float(window_scores(out, w[None, :], outp.scale, outp.zero_point)[0])
            assert abs(score - host) <= 1e-3, (score, host)
        assert dut.cmd("infer 1 0 7 8")[0].startswith("e-[")
    finally:
        dut.close()


def test_unknown_model_raw_bytes(asan_image: Path, tmp_path: Path) -> None:
    """A model that is none of the four: the input tensor's bytes, copied raw; every output
    element dequantized (another scale than KWS's: the formatter on other values)."""
    from hilbench import demo

    model = Path(demo.DEMO_MODEL).read_bytes()
    ref = _reference(model)
    nbytes = ref.inputs[0].nbytes
    dut = HostDut(asan_image, partition_image(model), tmp_path)
    try:
        dut.read_until(b"\x00", 10)
        assert "m-model-[unknown]" in dut.cmd("profile")
        rng = np.random.default_rng(3)
        for _ in range(5):
            vec = rng.integers(-128, 128, nbytes, dtype=np.int8).tobytes()
            dut.load(vec, chunk=64)
            assert results_of(dut.cmd("infer 1 0")) == expected_results(ref, ref.run(vec))
        dut.load(bytes(nbytes + 1), chunk=64)
        assert dut.cmd("infer 1 0") == [f"e-[infer: unknown takes {nbytes} input bytes, {nbytes + 1} loaded]"]
    finally:
        dut.close()


def _one_error(lines: list[str], text: str | None = None) -> str:
    assert len(lines) == 1 and lines[0].startswith("e-[") and lines[0].endswith("]"), lines
    if text is not None:
        assert lines[0] == f"e-[{text}]"
    return lines[0]


def test_malformed_input_never_breaks_the_dut(kws_dut: TextDut) -> None:
    d = kws_dut
    _one_error(d.cmd("infer 1 0"), "infer: no input loaded (db load N, then db <hex> lines)")
    _one_error(d.cmd("results"))
    _one_error(d.cmd("db 00"), "db: no load in progress (send db load N first)")
    _one_error(d.cmd("db load 0"), "db load N: N must be 1..27648")
    _one_error(d.cmd("db load 27649"))
    _one_error(d.cmd("db load 99999999999999999999"))
    _one_error(d.cmd("db load -1"))
    _one_error(d.cmd("db load"))
    _one_error(d.cmd("db"))
    assert d.cmd("db load 4") == ["m-[Expecting 4 bytes]"]
    _one_error(d.cmd("db 012"), "Insufficent number of hex digits")
    _one_error(d.cmd("db 00"))  # the error aborted the load
    d.cmd("db load 4")
    _one_error(d.cmd("db 00g1"), "Invalid hex digit at column 3")
    d.cmd("db load 4")
    _one_error(d.cmd("db 00 1"), "Invalid hex digit at column 3")
    d.cmd("db load 4")
    _one_error(d.cmd("db 0011223344"), "db: 1 bytes more than the 4 announced")
    d.cmd("db load 4")
    assert d.cmd("db 00112233") == ["m-load-done"]
    _one_error(d.cmd("db 44"))  # past the announced size
    d.cmd("db load 4")
    d.cmd("db 0011")
    _one_error(d.cmd("infer 1 0"), "infer: input incomplete: 2 of 4 bytes")
    d.cmd("db 2233")
    _one_error(d.cmd("infer 1 0"), "infer: kws01 takes 490 input bytes, 4 loaded")
    for bad in ("infer", "infer 0", "infer x", "infer 1 y", "infer 1 2 3", "infer 100000001", "infer -1"):
        _one_error(d.cmd(bad))
    # over-long commands: the rest up to '%' is discarded, the load in progress aborted
    d.cmd("db load 490")
    _one_error(d.cmd("db " + "00" * 2000), "command too long")
    _one_error(d.cmd("x" * 5000), "command too long")
    _one_error(d.cmd("db 00"))
    assert d.cmd("db " + "0" * (LINE_MAX - 3)) != ["e-[command too long]"]  # exactly fits
    _one_error(d.cmd("bogus arg"), "Unknown command: bogus")
    _one_error(d.cmd(b"\x00\xff\x01zz"), "Unknown command: ???zz")
    _one_error(d.cmd("Name"))
    _one_error(d.cmd("a" * 100), "Unknown command: " + "a" * 32 + "...")
    # and it still serves, correctly
    assert d.cmd("name") == ["m-name-dut-[hilbench]"]
    d.load(bytes(490))
    assert len(results_of(d.cmd("infer 1 0"))) == 12


def test_missing_and_corrupted_partitions(asan_image: Path, kws: bytes, tmp_path: Path) -> None:
    good = partition_image(kws)
    bad_model = bytearray(good)
    bad_model[1000] ^= 0x01
    bad_head = bytearray(good)
    bad_head[12] ^= 0x01
    huge = b"HILM" + struct.pack("<II", 0x7FFFFFF0, 0)
    huge += struct.pack("<I", zlib.crc32(huge))
    junk = bytes(range(256)) * 4
    not_tflite = partition_image(junk)
    cases = [
        (None, "this board has no flash model partition"),
        (bytes(64), "no model in flash partition (bad magic)"),
        (bytes(bad_head), "flash model header CRC mismatch"),
        (bytes(bad_model), "flash model CRC mismatch"),
        (huge, "flash model size out of range"),
        (not_tflite, None),
    ]
    for part, message in cases:
        dut = HostDut(asan_image, part, tmp_path)
        try:
            dut.read_until(b"\x00", 10)
            prof = dut.cmd("profile")
            assert prof[0] == "m-profile-[ULPMark for tinyML Firmware V0.0.1]"
            err = [ln for ln in prof if ln.startswith("e-[")]
            assert len(err) == 1 and not any(ln.startswith("m-model-") for ln in prof), prof
            if message is not None:
                assert err[0] == f"e-[{message}]"
            else:
                assert err[0].startswith("e-[flash model refused: ")
            dut.load(bytes(490))
            assert dut.cmd("infer 1 0") == err
            assert dut.cmd("name") == ["m-name-dut-[hilbench]"]
        finally:
            dut.close()


def test_binary_protocol_still_selected_by_a_zero_byte(asan_image: Path, kws: bytes, tmp_path: Path) -> None:
    """The first byte 0x00 (every hilbench host sends one) keeps protocol v1; MODEL_FLASH
    reads the host build's partition through the factored-out loader."""
    from hilbench.link.messages import CAP_FLASH_MODEL
    from hilbench.link.session import DutLink
    from hilbench.link.transport import ProcessTransport

    part = tmp_path / "kws.part"
    part.write_bytes(partition_image(kws))
    env = dict(os.environ, HIL_FLASH_IMAGE=str(part), ASAN_OPTIONS="detect_leaks=0")
    t = ProcessTransport([str(asan_image)], env=env)
    try:
        link = DutLink(t, timeout=2.0, retries=3)
        hello = link.connect(deadline_s=10)
        assert hello.has(CAP_FLASH_MODEL) and hello.flash_model_capacity >= len(kws) + 16
        desc = link.load_flash_model(kws)
        assert desc.inputs[0].nbytes == 490
        vec = shared_path("datasets", "kws01", KWS_VECTORS[0]).read_bytes()
        link.run_once(vec)
        out = np.frombuffer(link.get_output(desc.outputs[0].nbytes), np.int8)
        ref = _reference(kws)
        assert np.array_equal(out, np.asarray(ref.run(vec)[0]).reshape(-1))
    finally:
        proc = t.process
        t.close()
        assert proc.returncode in (0, None)


def test_the_tail_of_a_command_cut_by_a_reset_does_not_choose_the_mode(
    asan_image: Path, kws: bytes, tmp_path: Path
) -> None:
    """After a reset in the middle of `infer 1 0%`, what is left on the line (` 1 0%`, CR/LF)
    reaches the freshly booted DUT first: it must be ignored, so the next text command
    still selects text mode (not the binary protocol, which would lock the host out)."""
    dut = HostDut(asan_image, partition_image(kws), tmp_path)
    try:
        dut.read_until(b"\x00", 10)  # the BOOT frame
        dut.send(b" 1 0%\r\n")
        assert dut.cmd("name") == ["m-name-dut-[hilbench]"]
    finally:
        dut.close()


def test_a_binary_frame_missing_its_first_bytes_still_selects_the_binary_protocol(
    asan_image: Path, kws: bytes, tmp_path: Path
) -> None:
    """A real UART drops what arrives before it is enabled: the host's leading 0x00 and the
    start of its first frame can be lost, and the rest may hold letters (`\\x0bname...`).
    Any non-printable byte means binary, so the host still gets protocol v1."""
    from hilbench.link.session import DutLink
    from hilbench.link.transport import ProcessTransport

    part = tmp_path / "kws.part"
    part.write_bytes(partition_image(kws))
    t = ProcessTransport(
        [str(asan_image)], env=dict(os.environ, HIL_FLASH_IMAGE=str(part), ASAN_OPTIONS="detect_leaks=0")
    )
    try:
        t.write(b"\x0bname\x01x%")  # the tail of a frame: letters and a '%', but a control byte first
        hello = DutLink(t, timeout=2.0, retries=3).connect(deadline_s=10)
        assert hello.firmware_name == "hilbench-dut"
    finally:
        t.close()


def test_mlperf_only_build_boot_lines(kws: bytes, tmp_path: Path) -> None:
    need_tool("gcc")
    image = firmware.build_image("host", sanitize=True, defines=("HIL_MLPERF_TINY=1",))
    dut = HostDut(image, partition_image(kws), tmp_path)
    try:
        boot = dut.lines_until_ready(10)
        assert boot[0] == "m-timestamp-mode-performance" and boot[2] == "m-init-done" and len(boot) == 3
        assert re.fullmatch(r"m-lap-us-\d+", boot[1])
        # text only: a 0x00 first is not a switch to the binary protocol
        _one_error(dut.cmd(b"\x00name"), "Unknown command: ?name")
        assert dut.cmd("name") == ["m-name-dut-[hilbench]"]
    finally:
        dut.close()


FORMAT_HARNESS = r"""
#include "hil_mlperf.c"
#include <stdio.h>

/* Stubs: only the formatter runs. */
void hil_port_write(const uint8_t *buf, uint32_t len) { fwrite(buf, 1, len, stdout); }
int hil_port_read_byte(uint8_t *out) { (void)out; return 0; }
static const hil_port_info_t stub_info = {"t", "t", 1u, 1u, 5, 0};
const hil_port_info_t *hil_port_info(void) { return &stub_info; }
void hil_port_timer_start(void) {}
uint64_t hil_port_timer_elapsed(void) { return 0; }
void hil_port_timestamp_pin(int level) { (void)level; }
int hil_slot_load_flash(const uint32_t *want, hil_rt_error_t *err, int *r)
{ (void)want; (void)err; *r = 0; return 1; }
hil_rt_t *hil_slot_rt(void) { return NULL; }
uint8_t *hil_slot_input_buffer(uint32_t *cap) { *cap = 0; return NULL; }
uint8_t hil_rt_num_inputs(const hil_rt_t *rt) { (void)rt; return 0; }
uint8_t hil_rt_num_outputs(const hil_rt_t *rt) { (void)rt; return 0; }
const hil_rt_io_t *hil_rt_input(const hil_rt_t *rt, uint8_t i) { (void)rt; (void)i; return NULL; }
const hil_rt_io_t *hil_rt_output(const hil_rt_t *rt, uint8_t i) { (void)rt; (void)i; return NULL; }
int hil_rt_invoke(hil_rt_t *rt, hil_rt_op_hook_t h, void *c, hil_rt_error_t *e)
{ (void)rt; (void)h; (void)c; (void)e; return 0; }

int main(void)
{
    uint32_t u;
    while (fread(&u, sizeof u, 1, stdin) == 1) {
        float f;
        memcpy(&f, &u, sizeof f);
        out_f3(f);
        out_char('\n');
    }
    out_flush();
    return 0;
}
"""


def test_f3_formatter_equals_printf_and_python(tmp_path: Path) -> None:
    """The firmware's %0.3f (newlib-nano has no float printf) gives Python's '%.3f' text
    for float32 values: ties (k/2^n), dequantized int8 values, random bit patterns."""
    gcc = need_tool("gcc")
    src = tmp_path / "fmt.c"
    src.write_text(FORMAT_HARNESS)
    exe = tmp_path / "fmt"
    subprocess.run(
        [
            gcc,
            "-std=c11",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsanitize=address,undefined",
            f"-I{FW / 'dut'}",
            f"-I{FW / 'runtime'}",
            str(src),
            "-o",
            str(exe),
        ],
        check=True,
    )
    rng = np.random.default_rng(11)
    vals = [np.arange(-4096, 4097, dtype=np.float32) / np.float32(2**k) for k in (0, 4, 8, 10, 12, 16)]
    for scale, zp in ((1 / 256, -128), (0.0546875, 3), (0.10344, -7), (3.7e-5, 0)):
        vals.append((np.arange(-128, 128) - zp).astype(np.float32) * np.float32(scale))
    vals.append(rng.standard_normal(20000).astype(np.float32) * np.float32(50))
    vals.append((rng.integers(0, 1 << 32, 50000, dtype=np.uint64).astype(np.uint32)).view(np.float32))
    vals.append(
        np.array(
            [
                0.0,
                -0.0,
                0.0005,
                -0.0005,
                0.0625,
                1e-45,
                -1e-45,
                3.4028235e38,
                -3.4028235e38,
                np.inf,
                -np.inf,
                np.nan,
                999.9995,
                1e12,
                16777217.0,
                0.0125,
                2.5e-4,
            ],
            np.float32,
        )
    )
    arr = np.concatenate(vals).astype(np.float32)
    proc = subprocess.run(
        [str(exe)], input=arr.view(np.uint32).astype("<u4").tobytes(), capture_output=True, check=True
    )
    got = proc.stdout.decode().split("\n")[:-1]
    want = ["%.3f" % float(v) for v in arr]
    assert len(got) == len(want)
    bad = [(float(v), g, w) for v, g, w in zip(arr, got, want) if g != w]
    assert not bad, bad[:10]


# ---------------------------------------------------------------------------- (b) QEMU


@pytest.mark.emulated
def test_mlperf_text_mode_on_mps2_an386_from_flash(kws: bytes, tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    serial = pytest.importorskip("serial")
    from hilbench.config import load_boards
    from hilbench.flash.qemu import QemuProcess
    from hilbench.link.session import DutLink
    from hilbench.link.transport import SerialTransport

    board = load_boards(ROOT / "boards.toml").get("mps2-an386")
    q = board.qemu
    mk = (FW / "boards" / "mps2-an386" / "board.mk").read_text()
    m = re.search(r"-DHIL_FLASH_MODEL_ADDR=(0x[0-9A-Fa-f]+)u?", mk)
    assert m, "mps2-an386/board.mk names no HIL_FLASH_MODEL_ADDR"
    addr = int(m[1], 16)
    part = tmp_path / "kws.part"
    part.write_bytes(partition_image(kws))
    loader = ["-device", f"loader,file={part},addr={addr:#x},force-raw=on"]
    ref = _reference(kws)
    vectors = [shared_path("datasets", "kws01", n).read_bytes() for n in KWS_VECTORS[:3]]

    image = firmware.build_image("mps2-an386", defines=("HIL_MLPERF_TINY=1",))
    with QemuProcess(q.binary, q.machine, image, cpu=q.cpu, icount_shift=0, extra_args=loader) as qemu:
        port = serial.Serial(qemu.pty, 115200, timeout=0.2)
        try:
            qemu.resume()
            dut = TextDut(port.write, lambda t: port.read(max(1, port.in_waiting)), port.close)
            boot = dut.lines_until_ready(20)
            assert boot[0] == "m-timestamp-mode-performance" and boot[-1] == "m-init-done"
            assert dut.cmd("name", 20) == ["m-name-dut-[hilbench]"]
            assert "m-model-[kws01]" in dut.cmd("profile", 20)
            for vec in vectors:
                dut.load(vec, chunk=200)
                assert results_of(dut.cmd("infer 1 0", 30)) == expected_results(ref, ref.run(vec))
            lines = dut.cmd("infer 20 1", 60)
            t0, t1 = laps(lines)
            text_us = ((t1 - t0) % (1 << 32)) / 20
        finally:
            port.close()

    # The same board, binary protocol: INVOKE's per-inference ticks on the same input.
    # Under -icount shift=0 both are deterministic; text mode adds only the input copy per
    # inference and the m-lap-us-T0 line inside its window.
    image = firmware.build_image("mps2-an386")
    with QemuProcess(q.binary, q.machine, image, cpu=q.cpu, icount_shift=0, extra_args=loader) as qemu:
        t = SerialTransport(qemu.pty)
        try:
            qemu.resume()
            link = DutLink(t)
            hello = link.connect(deadline_s=20)
            link.load_flash_model(kws)
            link.set_input(vectors[-1])
            ticks = link.invoke(count=3, warmup=1)
        finally:
            t.close()
    # One time base per board (docs/results.md): both in instructions at the nominal clock.
    from hilbench.devices.base import qemu_icount_timing

    bin_us = float(np.median(ticks) * qemu_icount_timing(hello.timer_hz, 0, board.clock_hz).us_per_tick)
    print(f"mps2-an386 kws01: text mode {text_us:.2f} us/inference (T1-T0)/20, binary INVOKE {bin_us:.2f} us")
    assert bin_us > 100  # KWS is millions of instructions
    assert bin_us <= text_us <= bin_us * 1.005 + 5, (text_us, bin_us)
