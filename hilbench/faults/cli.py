"""`hilbench proxy`: run a FaultProxy in the foreground until Ctrl-C / SIGTERM / SIGHUP.

Why a separate module: hilbench/cli.py stays a list of thin commands, and the option
parsing here (rates per direction, the listen address) is unit-testable without typer.

Output, made to be parsed by a script or a test fixture:
- first line on stdout, as soon as the relay runs:
  `hilbench proxy: listening on ADDRESS` (a pty path, or `socket://127.0.0.1:PORT`);
- on exit, one line per direction, `hilbench proxy: to_board bytes_in=N bytes_out=N ...`,
  then `hilbench proxy: counters {JSON}` with the seed and both directions.
A signal ends it cleanly with exit 0 (stopping it is how it is meant to end); a board port
that fails ends it with one error line and exit 2.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Annotated

import typer

from hilbench.errors import ConfigError, LinkError

if TYPE_CHECKING:
    from hilbench.faults.inject import FaultInjector

PREFIX = "hilbench proxy:"


def parse_listen(listen: str) -> int | None:
    """`pty` -> None (a new pty); `tcp` or `tcp:PORT` -> the TCP port (0: any free one)."""
    if listen == "pty":
        return None
    if listen == "tcp":
        return 0
    if listen.startswith("tcp:"):
        raw = listen[4:]
        if raw.isdigit() and 0 <= int(raw) <= 65535:
            return int(raw)
        raise ConfigError(f"--listen '{listen}': PORT must be a number in 0..65535 (0: any free port)")
    raise ConfigError(
        f"--listen '{listen}': expected pty, tcp or tcp:PORT (the proxy listens on 127.0.0.1 only)"
    )


def build_injector(
    corrupt: str = "0",
    drop: str = "0",
    dup: str = "0",
    delay: str = "0",
    delay_ms: float = 0.0,
    disconnect_every: str = "0",
    disconnect_ms: float = 200.0,
    seed: int = 0,
) -> FaultInjector:
    """The injector the options describe; every bad value is one ConfigError naming its option."""
    from hilbench.faults.inject import FaultInjector, FaultSpec, parse_count, parse_rate

    rates = {
        name: parse_rate(v, f"--{name}")
        for name, v in (("corrupt", corrupt), ("drop", drop), ("dup", dup), ("delay", delay))
    }
    every = parse_count(disconnect_every, "--disconnect-every")
    for option, ms in (("--delay-ms", delay_ms), ("--disconnect-ms", disconnect_ms)):
        if not math.isfinite(ms) or ms < 0:
            raise ConfigError(f"{option} {ms}: must be a number of milliseconds >= 0")
    if any(rates["delay"]) and not delay_ms > 0:
        raise ConfigError("--delay: a stall rate needs --delay-ms MS (how long each stall lasts)")
    if seed < 0:
        raise ConfigError(f"--seed {seed}: must be >= 0")
    specs = [
        FaultSpec(
            corrupt=rates["corrupt"][d],
            drop=rates["drop"][d],
            dup=rates["dup"][d],
            delay=rates["delay"][d],
            delay_ms=float(delay_ms),
            disconnect_every=every[d],
            disconnect_ms=float(disconnect_ms),
        )
        for d in (0, 1)
    ]
    return FaultInjector(specs[0], specs[1], seed=seed)


def counter_lines(injector: FaultInjector) -> list[str]:
    """What the proxy prints on exit: a key=value line per direction, then all as JSON."""
    summary = injector.summary()
    lines = [f"{PREFIX} {d} " + " ".join(f"{k}={v}" for k, v in c.items()) for d, c in summary.items()]
    lines.append(f"{PREFIX} counters " + json.dumps({"seed": injector.seed, **summary}, sort_keys=True))
    return lines


def run_proxy(to: str, listen: str, baudrate: int, injector: FaultInjector) -> None:
    """Relay until a signal (exit 0) or until the board side fails (LinkError)."""
    from hilbench.signals import stop_on_signals

    port = parse_listen(listen)
    if baudrate <= 0:
        raise ConfigError(f"--baudrate {baudrate}: must be > 0")
    from hilbench.devices.served import announced
    from hilbench.faults.proxy import FaultProxy

    proxy = FaultProxy(to, injector, listen=port, baudrate=baudrate)
    signalled = False
    with stop_on_signals():
        try:
            proxy.start()
            # A run through the proxy to `hilbench serve` is timed as emulated (devices/served.py).
            with announced(proxy.address, {"via": to}):
                print(f"{PREFIX} listening on {proxy.address}", flush=True)
                while not proxy.wait(0.2):
                    pass
        except KeyboardInterrupt:  # hilbench.signals.Interrupted too: the way to stop a proxy
            signalled = True
        finally:
            proxy.stop()
            for line in counter_lines(injector):
                print(line, flush=True)
    if proxy.error is not None and not signalled:
        raise LinkError(f"proxy to {to} stopped: {proxy.error}")


def proxy_command(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="board side: serial device, pty or socket://127.0.0.1:PORT URL (loopback only)",
            metavar="PORT_OR_URL",
        ),
    ],
    listen: Annotated[
        str,
        typer.Option(
            "--listen",
            help="host side: pty (a new pty, its path printed), tcp (any "
            "free port) or tcp:PORT, on 127.0.0.1",
            metavar="pty|tcp[:PORT]",
        ),
    ] = "pty",
    corrupt: Annotated[
        str,
        typer.Option(
            "--corrupt", help="bytes with one bit flipped: RATE or TO_BOARD,TO_HOST", metavar="RATE"
        ),
    ] = "0",
    drop: Annotated[
        str, typer.Option("--drop", help="bytes dropped: RATE or TO_BOARD,TO_HOST", metavar="RATE")
    ] = "0",
    dup: Annotated[
        str, typer.Option("--dup", help="bytes delivered twice: RATE or TO_BOARD,TO_HOST", metavar="RATE")
    ] = "0",
    delay: Annotated[
        str,
        typer.Option(
            "--delay", help="stalls per byte (with --delay-ms): RATE or TO_BOARD,TO_HOST", metavar="RATE"
        ),
    ] = "0",
    delay_ms: Annotated[
        float, typer.Option("--delay-ms", help="length of each stall, ms", metavar="MS")
    ] = 0.0,
    disconnect_every: Annotated[
        str,
        typer.Option(
            "--disconnect-every",
            metavar="BYTES",
            help="cut the line after every N bytes of that direction: N or TO_BOARD,TO_HOST; 0 never",
        ),
    ] = "0",
    disconnect_ms: Annotated[
        float, typer.Option("--disconnect-ms", help="how long the line stays cut, ms", metavar="MS")
    ] = 200.0,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", help="random seed: the same seed injects the same faults at the same byte positions"
        ),
    ] = 0,
    baudrate: Annotated[
        int, typer.Option("--baudrate", help="board side baud rate (real serial ports)")
    ] = 115200,
) -> None:
    """Relay a board's serial link through injected faults (docs/faults.md)."""
    injector = build_injector(corrupt, drop, dup, delay, delay_ms, disconnect_every, disconnect_ms, seed)
    run_proxy(to, listen, baudrate, injector)
