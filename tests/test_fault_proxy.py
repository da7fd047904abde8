"""The fault-injecting link proxy (hilbench/faults/, docs/faults.md) and `hilbench serve`.

Unit tests of the injector (seeded, chunking-independent, rates and counters), the relay
itself in-process over real ptys and loopback TCP, and end to end with real components:
`hilbench serve mps2-an386` (QEMU) + `hilbench proxy` + a kind = "mcu" board on the
proxy's port, compared with a direct run on mps2-an386.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import termios
import threading
import time
import tty
from pathlib import Path

import numpy as np
import pytest

from hilbench.errors import ConfigError, NotImplementedFeature
from hilbench.faults.cli import build_injector, parse_listen
from hilbench.faults.inject import Direction, FaultInjector, FaultSpec, parse_count, parse_rate
from hilbench.faults.proxy import FaultProxy, check_loopback_url
from tests.clihelp import ROOT, assert_one_line_error, run_cli
from tests.serving import Child, mcu_boards, served

TB, TH = Direction.TO_BOARD, Direction.TO_HOST


def stream(n: int, seed: int = 1) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def feed(inj: FaultInjector, direction: Direction, data: bytes, chunks: list[int], now: float = 0.0) -> bytes:
    out = bytearray()
    pos = 0
    for size in chunks:
        for _, seg in inj.process(direction, data[pos : pos + size], now):
            out += seg
        pos += size
    assert pos == len(data)
    return bytes(out)


def random_chunks(n: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(1, 300)))
    sizes[-1] -= sum(sizes) - n
    return [s for s in sizes if s > 0]


# ------------------------------------------------------------------ injector


def test_same_seed_same_faults_whatever_the_chunking() -> None:
    spec = FaultSpec(corrupt=0.01, drop=0.01, dup=0.01, delay=0.01, delay_ms=1)
    data = stream(50_000)
    outs, counts = [], []
    for chunks in ([len(data)], [1] * len(data), random_chunks(len(data), 3), random_chunks(len(data), 4)):
        inj = FaultInjector(spec, spec, seed=42)
        outs.append(feed(inj, TB, data, chunks))
        counts.append(inj.summary())
    assert all(o == outs[0] for o in outs)
    assert all(c == counts[0] for c in counts)
    assert outs[0] != data  # faults were injected
    other = FaultInjector(spec, spec, seed=43)
    assert feed(other, TB, data, [len(data)]) != outs[0]  # and the seed decides them


def test_directions_have_independent_streams() -> None:
    """Traffic one way does not move the faults of the other way."""
    spec = FaultSpec(corrupt=0.02)
    data = stream(20_000)
    a = FaultInjector(spec, spec, seed=5)
    b = FaultInjector(spec, spec, seed=5)
    feed(b, TH, stream(7_777, seed=9), [7_777])
    assert feed(a, TB, data, [len(data)]) == feed(b, TB, data, [len(data)])


def test_zero_rates_relay_every_byte_unchanged() -> None:
    inj = FaultInjector(FaultSpec(), FaultSpec(), seed=1)
    data = stream(30_000)
    assert FaultSpec().clean
    assert feed(inj, TB, data, random_chunks(len(data), 1)) == data
    assert feed(inj, TH, data, [len(data)]) == data
    c = inj.summary()
    assert c["to_board"]["bytes_in"] == c["to_board"]["bytes_out"] == len(data)
    assert all(v == 0 for d in c.values() for k, v in d.items() if k not in ("bytes_in", "bytes_out"))


N = 200_000


def within(count: int, rate: float, n: int = N) -> bool:
    expected = rate * n
    return abs(count - expected) <= 5 * (expected**0.5) + 1  # 5 sigma


def test_corrupt_flips_one_bit_at_about_the_rate() -> None:
    inj = FaultInjector(FaultSpec(corrupt=0.01), FaultSpec(), seed=2)
    data = stream(N)
    out = feed(inj, TB, data, [N])
    assert len(out) == N
    a, b = np.frombuffer(data, np.uint8), np.frombuffer(out, np.uint8)
    diff = a ^ b
    changed = diff[diff != 0]
    assert all(bin(int(x)).count("1") == 1 for x in changed)  # exactly one bit per corrupted byte
    assert len(changed) == inj.counters(TB).corrupted
    assert within(len(changed), 0.01)
    assert set(np.log2(changed).astype(int)) == set(range(8))  # every bit position gets hit


def test_drop_and_dup_at_about_the_rate_and_counted() -> None:
    inj = FaultInjector(FaultSpec(drop=0.02), FaultSpec(dup=0.03), seed=3)
    data = stream(N)
    dropped = feed(inj, TB, data, random_chunks(N, 5))
    duped = feed(inj, TH, data, [N])
    tb, th = inj.counters(TB), inj.counters(TH)
    assert len(dropped) == N - tb.dropped == tb.bytes_out and within(tb.dropped, 0.02)
    assert len(duped) == N + th.duplicated == th.bytes_out and within(th.duplicated, 0.03)
    assert tb.duplicated == th.dropped == tb.corrupted == th.corrupted == 0


def test_delay_stalls_the_stream_in_order() -> None:
    inj = FaultInjector(FaultSpec(delay=0.001, delay_ms=5), FaultSpec(), seed=4)
    data = stream(N)
    segments = inj.process(TB, data, now=100.0)
    delays = inj.counters(TB).delays
    assert within(delays, 0.001)
    assert b"".join(seg for _, seg in segments) == data  # nothing lost, order kept
    dues = [due for due, _ in segments]
    assert dues == sorted(dues)
    assert dues[-1] == pytest.approx(100.0 + delays * 0.005)


def test_disconnect_cuts_both_directions_for_a_while() -> None:
    inj = FaultInjector(FaultSpec(disconnect_every=1000, disconnect_ms=200), FaultSpec(), seed=0)
    data = stream(3000)
    out = feed(inj, TB, data, [3000], now=10.0)
    assert out == data[:1000]  # cut after byte 1000, the rest arrived while it was down
    assert inj.counters(TB).disconnects == 1 and inj.counters(TB).lost_disconnected == 2000
    assert feed(inj, TH, b"abc", [3], now=10.1) == b""  # the other way is cut too
    assert inj.counters(TH).lost_disconnected == 3
    assert feed(inj, TB, data[:500], [500], now=10.3) == data[:500]  # back after 200 ms


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"corrupt": 1.5}, "--corrupt"),
        ({"drop": -0.1}, "--drop"),
        ({"dup": float("nan")}, "--dup"),
        ({"corrupt": 0.6, "drop": 0.6}, "add up to more than 1"),
        ({"delay_ms": -1.0}, "--delay-ms"),
        ({"disconnect_ms": float("inf")}, "--disconnect-ms"),
        ({"disconnect_every": -5}, "--disconnect-every"),
    ],
)
def test_bad_specs_rejected(kwargs: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        FaultSpec(**kwargs)


def test_option_parsing() -> None:
    assert parse_rate("0.01", "--corrupt") == (0.01, 0.01)
    assert parse_rate("0.01,0", "--corrupt") == (0.01, 0.0)
    assert parse_count("100,0", "--disconnect-every") == (100, 0)
    for bad in ("x", "1.5", "nan", "0.1,0.2,0.3", "-0.1", ""):
        with pytest.raises(ConfigError, match="--corrupt"):
            parse_rate(bad, "--corrupt")
    for bad in ("1.5", "-1", "a"):
        with pytest.raises(ConfigError, match="--disconnect-every"):
            parse_count(bad, "--disconnect-every")
    assert parse_listen("pty") is None and parse_listen("tcp") == 0 and parse_listen("tcp:5555") == 5555
    for bad in ("udp", "tcp:x", "tcp:70000"):
        with pytest.raises(ConfigError, match="--listen"):
            parse_listen(bad)
    with pytest.raises(ConfigError, match="--delay-ms"):
        build_injector(delay="0.1")
    with pytest.raises(ConfigError, match="--delay-ms"):
        build_injector(delay="0.1", delay_ms=float("nan"))
    with pytest.raises(ConfigError, match="--seed -1"):
        build_injector(seed=-1)
    inj = build_injector(corrupt="0,0.5", seed=3)
    assert inj.seed == 3 and feed(inj, TB, b"x" * 100, [100]) == b"x" * 100


def test_board_url_must_be_loopback() -> None:
    check_loopback_url("socket://127.0.0.1:1234")
    check_loopback_url("socket://localhost:1234")
    check_loopback_url("/dev/ttyACM0")
    with pytest.raises(ConfigError, match="--to .*not a loopback"):
        check_loopback_url("socket://192.0.2.1:1234")


def test_cli_bad_values_one_line_naming_the_option() -> None:
    r = run_cli("proxy", "--to", "/dev/null", "--drop", "2", timeout=60)
    assert_one_line_error(r, "--drop", "'2'")
    r = run_cli("proxy", "--to", "/dev/null", "--listen", "serial", timeout=60)
    assert_one_line_error(r, "--listen", "serial")
    r = run_cli("proxy", "--to", "/nonexistent/tty", timeout=60)
    assert_one_line_error(r, "--to /nonexistent/tty", "cannot open")
    r = run_cli("serve", "host", timeout=60)
    assert_one_line_error(r, "board 'host'", "emulated")


# ------------------------------------------------------------------ the relay, in-process


class EchoServer:
    """A stand-in board on socket://127.0.0.1:PORT that sends back what it gets."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.conn = conn
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(data)

    def close(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sock.close()


def read_exactly(read, n: int, timeout: float = 20.0) -> bytes:  # type: ignore[no-untyped-def]
    out = bytearray()
    end = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < end:
        out += read()
    return bytes(out)


def test_proxy_tcp_zero_faults_is_byte_identical() -> None:
    board = EchoServer()
    inj = FaultInjector(FaultSpec(), FaultSpec(), seed=0)
    proxy = FaultProxy(board.url, inj, listen=0).start()
    try:
        assert proxy.address.startswith("socket://127.0.0.1:")
        with socket.create_connection(("127.0.0.1", int(proxy.address.rsplit(":", 1)[1])), timeout=10) as c:
            data = stream(100_000)
            threading.Thread(target=c.sendall, args=(data,), daemon=True).start()
            got = read_exactly(lambda: c.recv(65536), len(data))
        assert got == data
    finally:
        proxy.stop()
        board.close()
    s = inj.summary()
    assert s["to_board"]["bytes_out"] == s["to_host"]["bytes_in"] == 100_000
    assert proxy.error is None


def test_proxy_tcp_port_in_use_and_board_that_goes_away() -> None:
    board = EchoServer()
    busy = socket.create_server(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    try:
        with pytest.raises(ConfigError, match=f"--listen tcp:{port}: cannot listen on 127.0.0.1:{port}"):
            FaultProxy(board.url, FaultInjector(FaultSpec(), FaultSpec()), listen=port)
    finally:
        busy.close()
    proxy = FaultProxy(board.url, FaultInjector(FaultSpec(), FaultSpec()), listen=0).start()
    try:
        deadline = time.monotonic() + 5
        while getattr(board, "conn", None) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        board.close()
        # the board side's connection closes: the relay stops and says why
        with socket.create_connection(("127.0.0.1", int(proxy.address.rsplit(":", 1)[1])), timeout=5) as c:
            c.sendall(b"hello")
            assert proxy.wait(10), "proxy kept running with its board gone"
    finally:
        proxy.stop()
    assert proxy.error is not None


def test_proxy_pty_counts_faults_and_follows_the_seed() -> None:
    """Over a real pty: a seeded corrupting proxy changes exactly the bytes the injector
    counted, and the same seed changes the same bytes again."""
    results = []
    for _ in range(2):
        board = EchoServer()
        inj = FaultInjector(FaultSpec(corrupt=0.01), FaultSpec(), seed=11)
        proxy = FaultProxy(board.url, inj).start()
        fd = os.open(proxy.address, os.O_RDWR | os.O_NOCTTY)
        try:
            tty.setraw(fd, termios.TCSANOW)
            data = stream(20_000, seed=2)
            for i in range(0, len(data), 1000):  # paced: a pty's queue is 4 KiB
                os.write(fd, data[i : i + 1000])
                time.sleep(0.005)

            def read() -> bytes:
                ready, _, _ = select.select([fd], [], [], 0.2)
                return os.read(fd, 65536) if ready else b""

            got = read_exactly(read, len(data))
        finally:
            os.close(fd)
            proxy.stop()
            board.close()
        assert len(got) == len(data)
        flipped = sum(a != b for a, b in zip(got, data))
        assert flipped == inj.counters(TB).corrupted > 0
        results.append(got)
    assert results[0] == results[1]


def test_faulty_transport_in_process() -> None:
    from hilbench.faults.transport import FaultyTransport
    from hilbench.link.transport import SerialTransport

    inj = FaultInjector(FaultSpec(dup=0.1), FaultSpec(), seed=1)
    t = FaultyTransport(SerialTransport("loop://"), inj)
    try:
        t.write(b"0123456789" * 10)
        got = read_exactly(lambda: t.read(0.1), 100 + inj.counters(TB).duplicated, timeout=5)
    finally:
        t.close()
    assert len(got) == 100 + inj.counters(TB).duplicated and inj.counters(TB).duplicated > 0


def test_mcu_board_with_a_flasher_is_a_config_error() -> None:
    """boards.toml accepts only what runs: a flasher hilbench cannot drive yet is refused
    when the board is read, not when the run reaches it."""
    from pydantic import ValidationError

    from hilbench.config.boards import BoardConfig

    with pytest.raises(ValidationError, match="the GDB-remote flasher is not implemented yet"):
        BoardConfig(
            name="nucleo", kind="mcu", core="cortex-m4f", clock_hz=80_000_000, port="/dev/null", flasher="gdb"
        )


def test_served_announcement_of_a_dead_process_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hilbench.devices import served

    monkeypatch.setenv("HILBENCH_LOCK_DIR", str(tmp_path))
    with (
        served.announced("/dev/pts/999", {"emulated": True}),
        served.announced("socket://localhost:9", {"via": "/dev/pts/999"}),
    ):
        assert served.lookup("socket://127.0.0.1:9")["emulated"] is True
    assert served.lookup("/dev/pts/999") is None  # removed on exit
    f = served._file("/dev/pts/998")
    f.write_text(json.dumps({"pid": 2**22 + 12345, "emulated": True}))
    assert served.lookup("/dev/pts/998") is None


# ------------------------------------------------------------------ end to end: serve + proxy + run


def qemu_children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.fixture(scope="module")
def served_board():  # type: ignore[no-untyped-def]
    with served("mps2-an386") as serve:
        yield serve


def run_demo(results: Path, *args: str):  # type: ignore[no-untyped-def]
    import hilbench.results
    from tests.test_run import run_id_from

    r = run_cli(
        "run",
        *args,
        "--model",
        str(ROOT / "hilbench/demo/digits_mlp.tflite"),
        "--dataset",
        str(ROOT / "hilbench/demo/digits"),
        "--limit",
        "4",
        "--no-report",
        "--results-dir",
        str(results),
        timeout=120,
    )
    assert r.code == 0, r.stdout + r.stderr
    df = hilbench.results.load(run_id_from(r.stdout), results)
    return df[df.phase == "measure"].set_index("sample_id")


@pytest.fixture(scope="module")
def direct_run(served_board, tmp_path_factory):  # type: ignore[no-untyped-def]
    return run_demo(
        tmp_path_factory.mktemp("direct"), "--board", "mps2-an386", "--boards", str(ROOT / "boards.toml")
    )


@pytest.mark.emulated
@pytest.mark.parametrize("listen", ["pty", "tcp"])
def test_run_through_serve_and_proxy_matches_direct_run(
    listen: str, served_board, direct_run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    prefix = "hilbench proxy: listening on " + ("/dev/pts/" if listen == "pty" else "socket://127.0.0.1:")
    proxy = Child("proxy", "--to", served_board.address, "--listen", listen, "--seed", "1", prefix=prefix)
    try:
        via = run_demo(tmp_path, "--board", "bench-mcu", "--boards", str(mcu_boards(tmp_path, proxy.address)))
        code, out, err = proxy.stop(signal.SIGTERM)
    finally:
        proxy.kill()
    assert code == 0, err
    counters = json.loads(out.strip().splitlines()[-1].split("counters ", 1)[1])
    assert counters["seed"] == 1
    for d in ("to_board", "to_host"):
        assert counters[d]["bytes_in"] == counters[d]["bytes_out"] > 0
    assert f"hilbench proxy: to_board bytes_in={counters['to_board']['bytes_in']} " in out
    a, b = direct_run, via
    assert list(a.index) == list(b.index) and len(b) == 4
    assert (b.device_kind == "mcu").all() and (b.board == "bench-mcu").all()
    assert b.output.tolist() == a.output.tolist() and b.prediction.tolist() == a.prediction.tolist()
    assert b.bit_exact.all()
    # Served QEMU: timed as the direct emulated run, never as silicon cycles.
    assert (b.timing_source == "qemu_icount").all() and b.emulated.all()
    assert b.cycles.tolist() == a.cycles.tolist()
    assert (b.firmware_sha256 == a.firmware_sha256).all()


@pytest.mark.emulated
def test_run_directly_on_served_pty_and_serve_stops_clean(served_board, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = run_demo(
        tmp_path, "--board", "bench-mcu", "--boards", str(mcu_boards(tmp_path, served_board.address))
    )
    assert rows.emulated.all() and (rows.timing_source == "qemu_icount").all()
    children = qemu_children(served_board.proc.pid)
    assert children, "no QEMU under hilbench serve"
    tmpdirs = []
    for pid in children:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        tmpdirs += [
            Path(a.decode().split("unix:", 1)[1].split(",")[0]).parent for a in argv if b"qmp.sock" in a
        ]
    assert tmpdirs and all(d.is_dir() for d in tmpdirs)
    code, _, err = served_board.stop(signal.SIGINT)
    assert code == 0, err
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or b"zombie" in Path(f"/proc/{pid}/status").read_bytes()
    assert not any(d.exists() for d in tmpdirs), "QEMU temp dir left behind"
