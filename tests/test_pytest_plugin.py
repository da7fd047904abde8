"""The pytest plugin (hilbench/pytest_plugin.py, docs/pytest.md): board selection and skip
reasons, cross-process board locks, no double booking under pytest-xdist, JUnit
properties, the results store, --hil-baseline, the example module on emulated boards, and
no change to a plain pytest run of a project that does not use hilbench.

Every pytest run under test is a subprocess, as a user would start it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hilbench.config import load_boards
from hilbench.locks import BoardLock, LockTimeout, held_keys, lock_key
from hilbench.pytest_support.selection import Requirement, requirement_from_markers, select
from tests.clihelp import ROOT
from tests.conftest import need_tool

HOST_BOARDS = """
[boards.host-a]
kind = "native"
core = "host"
clock_hz = 1_000_000_000
firmware = "host"

[boards.host-b]
kind = "native"
core = "host"
clock_hz = 1_000_000_000
firmware = "host"
"""


# the outer run's settings that would change what the inner pytest does
_OUTER_ONLY = (
    "HILBENCH_RESULTS",
    "HILBENCH_BOARDS",
    "HILBENCH_BOARD",
    "HILBENCH_EMULATE",
    "HILBENCH_DUT_SCOPE",
    "HILBENCH_LOCK_TIMEOUT",
    "COV_CORE_SOURCE",
)


def run_pytest(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "HIL_", "HILBENCH_TEST_")) and k not in _OUTER_ONLY
    }
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def junit_cases(path: Path) -> dict[str, dict[str, str]]:
    """testcase name -> its properties (plus '_outcome')."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = tag
        props["_outcome"] = outcome
        out[case.get("name")] = props
    return out


# ----------------------------------------------------------------------------- selection


class _Mark:
    def __init__(self, *args: object, **kwargs: object) -> None:
        self.args, self.kwargs = args, kwargs


def _boards(tmp_path: Path, extra: str = "") -> object:
    p = tmp_path / "boards.toml"
    p.write_text((ROOT / "boards.toml").read_text() + extra)
    return load_boards(p)


NANO = """
[boards.nano33ble]
kind = "mcu"
core = "cortex-m4f"
clock_hz = 64_000_000
ram_bytes = 262_144
flash_bytes = 1_048_576
features = ["dsp", "ble"]
port = "/dev/hilbench-test-no-such-port"

[boards.uart-loop]
kind = "mcu"
core = "cortex-m0"
clock_hz = 48_000_000
port = "loop://"
"""


def test_markers_merge_closest_first_and_reject_unknown_arguments() -> None:
    req = requirement_from_markers([_Mark("mps2-*", min_ram=1024), _Mark(board="x", core="cortex-m*")], "t")
    assert req == Requirement(board="mps2-*", core="cortex-m*", min_ram=1024)
    with pytest.raises(ValueError, match="unknown argument.*cpu"):
        requirement_from_markers([_Mark(cpu="m4")], "t.py::test")
    with pytest.raises(ValueError, match="min_ram='1k' is not a byte count"):
        requirement_from_markers([_Mark(min_ram="1k")], "t")
    with pytest.raises(ValueError, match="features='dsp'"):
        requirement_from_markers([_Mark(features="dsp")], "t")


def test_selection_filters_and_skip_reasons(tmp_path: Path) -> None:
    bf = _boards(tmp_path, NANO)
    boards = bf.boards  # type: ignore[attr-defined]

    def sel(req: Requirement, cli: str | None = None, emulate: bool = True):  # type: ignore[no-untyped-def]
        return select(boards, req, cli_board=cli, emulate=emulate, boards_path=bf.path)  # type: ignore[attr-defined]

    assert sel(Requirement(board="mps2-*", core="cortex-m*", min_ram=1 << 20)).boards == [
        "mps2-an386",
        "mps2-an500",
    ]
    assert sel(Requirement(core="cortex-m4*")).boards == [
        "mps2-an386",
        "netduinoplus2",
    ]  # nano33ble: port absent
    assert sel(Requirement(kind="native")).boards == ["host"]
    assert sel(Requirement(), cli="mps3-*,riscv*").boards == ["mps3-an547", "riscv32-virt"]

    r = sel(Requirement(board="mps2-*"), emulate=False)
    assert r.boards == [] and r.reason is not None
    assert "mps2-an386, mps2-an500 are emulated (pass --hil-emulate)" in r.reason

    r = sel(Requirement(board="stm32*", min_ram=256_000))
    assert r.reason == (
        "no board matches hil(board='stm32*', min_ram=256000): nothing named stm32* in "
        "boards.toml (known: mps2-an386, mps2-an500, mps3-an547, netduinoplus2, riscv32-virt, "
        "host, mps2-an386-mlperf, nano33ble, uart-loop)"
    )
    r = sel(Requirement(board="mps2-*"), cli="nano33ble")
    assert r.reason is not None and "--hil-board='nano33ble'" in r.reason and "nano33ble" in r.reason

    r = sel(Requirement(min_ram=256_000, features=("dsp",)), cli="nano33ble,netduinoplus2,host")
    assert r.reason is not None
    assert "netduinoplus2: ram_bytes 196_608 < min_ram 256_000" in r.reason
    assert "host: ram_bytes not given in boards.toml" in r.reason
    assert "nano33ble: serial port /dev/hilbench-test-no-such-port not present" in r.reason
    r = sel(
        Requirement(kind="mcu"), cli="uart-loop"
    )  # a port and no flasher: usable (runs hilbench firmware)
    assert r.boards == ["uart-loop"] and r.reason is None
    r = sel(Requirement(features=("dsp", "npu")), cli="nano33ble")
    assert r.reason is not None and "nano33ble: lacks feature(s) npu" in r.reason
    r = sel(Requirement(min_flash=2 << 20), cli="netduinoplus2")
    assert r.reason is not None and "flash_bytes 1_048_576 < min_flash 2_097_152" in r.reason


# ----------------------------------------------------------------------------- locks


_HOLDER = """
import sys, time
from hilbench.locks import BoardLock
lock = BoardLock(sys.argv[1], directory=sys.argv[2], owner="holder script")
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
"""


def test_board_lock_excludes_other_processes_and_reenters_in_one(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, "board-x", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lock = BoardLock("board-x", directory=tmp_path, owner="me")
        assert not lock.try_acquire()
        with pytest.raises(
            LockTimeout, match=rf"still locked after 0.2 s by pid {holder.pid} .*holder script"
        ):
            lock.acquire(timeout=0.2)
        other = BoardLock("board-y", directory=tmp_path)
        assert other.try_acquire()  # another board is free
        other.release()
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
    lock.acquire(timeout=5)  # the kernel released the exited holder's lock
    again = BoardLock("board-x", directory=tmp_path)
    assert again.try_acquire()  # re-entrant within this process
    again.release()
    assert "board-x" in held_keys()
    lock.release()
    assert "board-x" not in held_keys()


def test_lock_key_is_the_port_for_real_boards(tmp_path: Path) -> None:
    boards = _boards(tmp_path, NANO).boards  # type: ignore[attr-defined]
    assert lock_key(boards["mps2-an386"]) == "board-mps2-an386"
    assert lock_key(boards["nano33ble"]).startswith("port_dev_hilbench-test-no-such-port")


# ----------------------------------------------------------------------------- xdist


_XDIST_MODULE = """
import json, os, time
import pytest
from hilbench.demo import DEMO_DATASET, DEMO_MODEL

pytestmark = pytest.mark.hil(kind="native")
VEC = (DEMO_DATASET / "digit_0000.bin").read_bytes()

@pytest.mark.parametrize("i", range(8))
def test_hold_board(dut, i):
    start = time.monotonic()
    if dut.model is None:
        dut.load_model(DEMO_MODEL)
    assert len(dut.run(VEC).output) == 10
    time.sleep(float(os.environ.get("HILBENCH_TEST_SLEEP", "0.12")))
    end = time.monotonic()
    with open(os.environ["HILBENCH_TEST_LOG"], "a") as f:
        f.write(json.dumps([dut.name, os.getpid(), start, end]) + "\\n")
"""

_NO_LOCKS_CONFTEST = """
import os

if os.environ.get("HILBENCH_TEST_NO_LOCKS"):
    import hilbench.pytest_support.session as s

    class _NoLock:
        def release(self):
            pass

        def others_waiting(self):
            return False

    s.acquire_board = lambda *a, **k: _NoLock()
"""


def _overlaps(log: Path) -> tuple[int, set[int], list[str]]:
    rows = [json.loads(ln) for ln in log.read_text().splitlines()]
    bad = []
    for board in {r[0] for r in rows}:
        spans = sorted((r[2], r[3], r[1]) for r in rows if r[0] == board)
        bad += [f"{board}: pid {a[2]} and pid {b[2]}" for a, b in zip(spans, spans[1:]) if b[0] < a[1]]
    return len(rows), {r[1] for r in rows}, bad


def _xdist_project(tmp_path: Path) -> Path:
    need_tool("gcc")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "boards.toml").write_text(HOST_BOARDS)
    (proj / "test_xdist_hil.py").write_text(_XDIST_MODULE)
    (proj / "conftest.py").write_text(_NO_LOCKS_CONFTEST)
    return proj


@pytest.mark.parametrize("scope", ["function", "session"])
def test_no_board_is_used_by_two_xdist_workers_at_once(tmp_path: Path, scope: str) -> None:
    proj = _xdist_project(tmp_path)
    log = tmp_path / "spans.jsonl"
    r = run_pytest(
        "-n",
        "4",
        "--hil-emulate",
        f"--hil-dut-scope={scope}",
        "-q",
        cwd=proj,
        env={"HILBENCH_TEST_LOG": str(log), "HILBENCH_LOCK_DIR": str(tmp_path / "locks")},
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "16 passed" in r.stdout
    n, pids, bad = _overlaps(log)
    assert n == 16 and len(pids) >= 2  # several workers really ran hil tests
    assert bad == [], bad


def test_the_xdist_check_sees_double_booking_without_locks(tmp_path: Path) -> None:
    """The control: with the locks patched out, the same run does overlap."""
    proj = _xdist_project(tmp_path)
    log = tmp_path / "spans.jsonl"
    r = run_pytest(
        "-n",
        "4",
        "--hil-emulate",
        "--hil-dut-scope=function",
        "-q",
        cwd=proj,
        env={
            "HILBENCH_TEST_LOG": str(log),
            "HILBENCH_TEST_NO_LOCKS": "1",
            "HILBENCH_TEST_SLEEP": "0.6",
            "HILBENCH_LOCK_DIR": str(tmp_path / "locks"),
        },
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    _, _, bad = _overlaps(log)
    assert bad


# ----------------------------------------------------------------------------- host board


_HOST_MODULE = """
import os
import numpy as np
import pytest
from hilbench.demo import DEMO_DATASET, DEMO_MODEL

pytestmark = pytest.mark.hil(board="host-a")
VEC = (DEMO_DATASET / "digit_0003.bin").read_bytes()


def test_a_loads_a_model(dut):
    dut.load_model(DEMO_MODEL)
    dut.set_input(VEC)
    assert len(dut.invoke(count=3)) == 3
    assert len(dut.get_output()) == 10


def test_b_sees_a_reset_dut_only_when_function_scoped(dut):
    if os.environ["HILBENCH_DUT_SCOPE"] == "function":
        assert dut.model is None
    else:
        assert dut.model is not None


def test_c_bench(hil_bench):
    result = hil_bench(limit=20)
    assert result.latency.timing_source == "host_clock" and result.latency.n == 20
    assert result.bit_exact and result.accuracy.top1 is not None


@pytest.mark.hil(min_ram=1)
def test_d_needs_ram_the_host_does_not_declare(hil_board):
    raise AssertionError("must be skipped")
"""


@pytest.mark.parametrize("scope", ["function", "module"])
def test_host_board_dut_bench_junit_and_results(tmp_path: Path, scope: str) -> None:
    need_tool("gcc")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "boards.toml").write_text(HOST_BOARDS)
    (proj / "test_host_hil.py").write_text(_HOST_MODULE)
    xml, results = tmp_path / "junit.xml", tmp_path / "results"
    r = run_pytest(
        "--hil-emulate",
        f"--hil-results={results}",
        f"--junitxml={xml}",
        "-rs",
        "--strict-markers",
        cwd=proj,
        env={"HILBENCH_DUT_SCOPE": scope, "HILBENCH_LOCK_DIR": str(tmp_path / "locks")},
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "3 passed, 1 skipped" in r.stdout
    assert "host-a: ram_bytes not given in boards.toml" in r.stdout
    cases = junit_cases(xml)
    a, c = cases["test_a_loads_a_model[host-a]"], cases["test_c_bench[host-a]"]
    import hashlib

    from hilbench import demo, firmware

    model_sha = hashlib.sha256(demo.DEMO_MODEL.read_bytes()).hexdigest()
    fw_sha = firmware.sha256_file(firmware.image_path("host"))
    for props in (a, c):
        assert props["board"] == "host-a"
        assert props["firmware_sha256"] == fw_sha
        assert props["model_sha256"] == model_sha
    run_id = c["hil_run_id"]
    assert (results / run_id / "samples.parquet").is_file()
    meta = json.loads((results / run_id / "run.json").read_text())
    assert meta["suite"] == "pytest:test_host_hil.py::test_c_bench[host-a]"


def test_a_broken_boards_file_is_one_collection_error(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "boards.toml").write_text(
        '[boards.x]\nkind = "native"\ncore = "host"\nclock_hz = 1\nfirmware = "host"\nspeed = 3\n'
    )
    (proj / "test_x.py").write_text("import pytest\n\n@pytest.mark.hil\ndef test_x():\n    pass\n")
    r = run_pytest("-q", cwd=proj)
    assert r.returncode == 2, r.stdout
    assert "[boards.x] key 'speed'" in r.stdout and "Traceback" not in r.stdout


# ----------------------------------------------------------------------------- plain projects


_PLAIN_TEST = """
import sys
import pytest


@pytest.fixture
def dut():
    return "my own dut"


def test_plain(dut):
    assert dut == "my own dut"


def test_nothing_heavy_was_imported():
    heavy = {"numpy", "pandas", "pyarrow", "pydantic", "hilbench.devices", "hilbench.config", "hilbench.runner"}
    assert not heavy & set(sys.modules), sorted(heavy & set(sys.modules))
    print("HILBENCH_PLUGIN_LOADED", "hilbench.pytest_plugin" in sys.modules)
"""


def _summary(out: str) -> str:
    return [ln for ln in out.splitlines() if ln.strip()][-1].split(" in ")[0]


def test_a_plain_pytest_run_is_unchanged(tmp_path: Path) -> None:
    proj = tmp_path / "plain"
    proj.mkdir()
    (proj / "test_plain.py").write_text(_PLAIN_TEST)
    on = run_pytest("-q", "-s", cwd=proj)
    off = run_pytest("-q", "-s", "-p", "no:hilbench", cwd=proj)
    assert on.returncode == off.returncode == 0, on.stdout + off.stdout
    assert _summary(on.stdout) == _summary(off.stdout) == "2 passed"
    assert "HILBENCH_PLUGIN_LOADED True" in on.stdout  # the plugin was there, and imported nothing heavy
    assert "HILBENCH_PLUGIN_LOADED False" in off.stdout

    # The start-up time this adds is a speed figure: benchmarks/plugin_overhead.py prints it
    # beside its goal (< 0.3 s); here only the reason it stays small is asserted (nothing
    # heavy is imported, checked inside the plain test run above).


def test_strict_markers_accept_the_hil_marker(tmp_path: Path) -> None:
    proj = tmp_path / "strict"
    proj.mkdir()
    (proj / "test_marked.py").write_text(
        textwrap.dedent("""
        import pytest

        @pytest.mark.hil(board="nano33ble")
        def test_on_a_board_that_is_not_here(hil_board):
            pass
    """)
    )
    r = run_pytest("--strict-markers", "-rs", cwd=proj, env={"HILBENCH_BOARDS": str(ROOT / "boards.toml")})
    assert r.returncode == 0, r.stdout
    assert (
        "1 skipped" in r.stdout and "nothing" not in r.stdout and "nano33ble not in boards.toml" in r.stdout
    )
    r = run_pytest("--strict-markers", "-p", "no:hilbench", cwd=proj)
    assert r.returncode != 0 and "'hil' not found in `markers`" in r.stdout


def test_another_plugins_dut_fixture_keeps_its_name(tmp_path: Path) -> None:
    """pytest-embedded has a `dut` fixture too: hilbench then leaves `dut` alone (its own
    session is `hil_dut`)."""
    proj = tmp_path / "embedded"
    proj.mkdir()
    (proj / "otherplug.py").write_text("import pytest\n\n@pytest.fixture\ndef dut():\n    return 'other'\n")
    (proj / "test_other.py").write_text("def test_other(dut):\n    assert dut == 'other'\n")
    r = run_pytest("-p", "otherplug", "-q", cwd=proj, env={"PYTHONPATH": str(proj)})
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout
    r = run_pytest("--fixtures", cwd=proj)
    assert "hil_dut" in r.stdout and "hil_bench" in r.stdout and "\ndut" in r.stdout


# ----------------------------------------------------------------------------- the example


def test_example_module_skips_every_test_on_a_board_that_is_not_here(tmp_path: Path) -> None:
    xml = tmp_path / "junit.xml"
    r = run_pytest(
        "examples/test_with_hilbench.py",
        "--hil-board",
        "nano33ble",
        "--hil-emulate",
        "-rs",
        "--strict-markers",
        f"--junitxml={xml}",
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout
    cases = junit_cases(xml)
    assert cases and all(c["_outcome"] == "skipped" for c in cases.values())
    skips = [ln for ln in r.stdout.splitlines() if ln.startswith("SKIPPED")]
    assert skips and all("nano33ble not in boards.toml" in ln for ln in skips)
    r = run_pytest(
        "examples/test_with_hilbench.py", "--hil-emulate", "-q", cwd=ROOT, env={"HILBENCH_BOARD": "nano33ble"}
    )
    assert r.returncode == 0 and "4 skipped" in r.stdout, r.stdout  # $HILBENCH_BOARD mirrors --hil-board


@pytest.mark.emulated
def test_example_module_passes_on_emulated_boards(tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    xml, results = tmp_path / "junit.xml", tmp_path / "results"
    r = run_pytest(
        "examples/test_with_hilbench.py",
        "--hil-emulate",
        "--strict-markers",
        "-v",
        f"--hil-results={results}",
        f"--junitxml={xml}",
        cwd=ROOT,
        env={"HILBENCH_LOCK_DIR": str(tmp_path / "locks")},
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "7 passed" in r.stdout
    cases = junit_cases(xml)
    assert {n.split("[")[1].rstrip("]") for n in cases} == {"mps2-an386", "mps2-an500"}
    for name, props in cases.items():
        assert props["_outcome"] == "passed"
        assert (
            props["board"] in name
            and len(props["firmware_sha256"]) == 64
            and len(props["model_sha256"]) == 64
        )
    runs = sorted(p.parent.name for p in results.glob("*/samples.parquet"))
    assert len(runs) == 2  # one hil_bench run per board, in the results store


_BASELINE_MODULE = """
import pytest

@pytest.mark.hil(board="mps2-an386")
def test_bench(hil_bench):
    result = hil_bench(limit=30)
    assert result.bit_exact
"""


@pytest.mark.emulated
def test_hil_baseline_catches_a_slower_firmware(tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "test_bench.py").write_text(_BASELINE_MODULE)
    normal = (ROOT / "boards.toml").read_text()
    (proj / "boards.toml").write_text(normal)
    results = tmp_path / "results"
    args = ("--hil-emulate", "--hil-baseline", f"--hil-results={results}", "-q")
    env = {"HILBENCH_LOCK_DIR": str(tmp_path / "locks")}
    for _ in range(2):  # the first run becomes the baseline; the second compares unchanged
        r = run_pytest(*args, cwd=proj, env=env)
        assert r.returncode == 0, r.stdout[-3000:]
    tags = json.loads((results / "tags.json").read_text())
    assert list(tags) == ["pytest:test_bench.py::test_bench[mps2-an386]:digits_mlp.tflite:digits"]
    good = tags[next(iter(tags))]

    # The same board name, tonight's firmware 5 % slower.
    slow = normal.replace(
        'firmware = "mps2-an386"\n', 'firmware = "mps2-an386"\ndefines = ["HIL_SLOWDOWN_PERMILLE=50"]\n', 1
    )
    assert slow != normal
    (proj / "boards.toml").write_text(slow)
    r = run_pytest(*args, cwd=proj, env=env)
    assert r.returncode == 1, r.stdout[-3000:]
    assert f"regressed against baseline run {good}: cycles +" in r.stdout
    assert json.loads((results / "tags.json").read_text()) == tags  # a regressed run is no new baseline
