"""Models larger than RAM run from the flash model partition (MODEL_FLASH), written by the
flasher: on emulated boards QEMU's -device loader, as a real flasher would."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from hilbench import demo
from hilbench.config import load_boards
from hilbench.devices import make_device
from hilbench.flash.partition import HEADER_BYTES, partition_image
from hilbench.link.messages import CAP_FLASH_MODEL, Msg, Status
from hilbench.link.session import DutError
from hilbench.models.reference import ReferenceInterpreter
from tests.clihelp import ROOT
from tests.conftest import need_tool, shared_path


def test_partition_layout() -> None:
    img = partition_image(b"abc")
    assert img[:4] == b"HILM" and struct.unpack_from("<II", img, 4) == (3, zlib.crc32(b"abc"))
    assert struct.unpack_from("<I", img, 12)[0] == zlib.crc32(img[:12]) and img[HEADER_BYTES:] == b"abc"


@pytest.mark.emulated
def test_demo_from_flash_on_mps2_and_stale_partition_refused(tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    p = tmp_path / "boards.toml"
    p.write_text(
        (ROOT / "boards.toml")
        .read_text()
        .replace(
            'qemu = { binary = "qemu-system-arm", machine = "mps2-an386" }',
            'qemu = { binary = "qemu-system-arm", machine = "mps2-an386" }\nmodel_store = "flash"',
            1,
        )
    )
    model = Path(demo.DEMO_MODEL).read_bytes()
    with make_device(load_boards(p).get("mps2-an386")) as dev:
        dev.open()
        assert dev.link.hello.has(CAP_FLASH_MODEL) and dev.link.hello.flash_model_capacity > len(model)
        desc = dev.load_model(model)
        assert "loader" in " ".join(dev.qemu.argv)  # the partition was written by the flasher
        vec = bytes(range(64))
        out = dev.run(vec).output
        assert np.array_equal(
            np.frombuffer(out, np.int8), ReferenceInterpreter(model).run(vec)[0].reshape(-1)
        )
        assert desc.n_ops == 2
        other = model[:-1] + bytes([model[-1] ^ 1])
        with pytest.raises(DutError) as e:
            dev.link.request(Msg.MODEL_FLASH, struct.pack("<II", len(other), zlib.crc32(other)))
        assert e.value.detail.status == Status.MODEL_CRC


@pytest.mark.emulated
def test_vww_runs_from_flash_on_the_192k_stm32() -> None:
    need_tool("qemu-system-arm")
    vww = shared_path("models", "mlperf-tiny", "vww_96_int8.tflite").read_bytes()
    with make_device(load_boards(ROOT / "boards.toml").get("netduinoplus2")) as dev:
        dev.open()
        assert len(vww) > dev.link.hello.model_capacity_bytes  # does not fit RAM
        desc = dev.load_model(vww)
        assert desc.arena_used <= 100_660
        vec = np.random.default_rng(1).integers(0, 256, 96 * 96 * 3, dtype=np.uint8).tobytes()
        out = dev.run(vec).output
        ref = ReferenceInterpreter(vww).run(vec)[0].reshape(-1)
        assert np.array_equal(np.frombuffer(out, np.int8), ref)
