"""`hilbench proxy`: run a FaultProxy in the foreground until Ctrl-C / SIGTERM.

Prints the address to point a board's `port` at as the first line of stdout (a pty path
or `socket://127.0.0.1:PORT`), and on exit one JSON line with what it injected.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Annotated, Optional

import typer

from hilbench.errors import ConfigError
from hilbench.faults.inject import FaultInjector, FaultSpec, parse_rate
from hilbench.faults.proxy import FaultProxy


def parse_listen(listen: str | None, pty: bool) -> int | None:
    """None: a pty; else the TCP port (0: any free one)."""
    if listen is None:
        return None
    if pty:
        raise ConfigError("give either --pty or --listen, not both")
    if not listen.startswith("tcp:"):
        raise ConfigError(f"--listen '{listen}': expected tcp:PORT (the proxy listens on 127.0.0.1 only)")
    try:
        port = int(listen[4:])
    except ValueError:
        raise ConfigError(f"--listen '{listen}': PORT must be a number") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"--listen '{listen}': PORT must be in 0..65535")
    return port


def build_injector(corrupt: str, drop: str, dup: str, delay: str, delay_ms: float,
                   disconnect_every: str, disconnect_ms: float, seed: int) -> FaultInjector:
    rates = {name: parse_rate(v, f"--{name.replace('_', '-')}")
             for name, v in (("corrupt", corrupt), ("drop", drop), ("dup", dup), ("delay", delay))}
    every = parse_rate(disconnect_every, "--disconnect-every")
    if (delay_ms > 0) != any(rates["delay"]):
        raise ConfigError("--delay RATE (stalls per byte) and --delay-ms MS (how long each) go together")
    specs = []
    for d in (0, 1):
        specs.append(FaultSpec(corrupt=rates["corrupt"][d], drop=rates["drop"][d], dup=rates["dup"][d],
                               delay=rates["delay"][d], delay_ms=delay_ms, disconnect_every=int(every[d]),
                               disconnect_ms=disconnect_ms))
    return FaultInjector(specs[0], specs[1], seed=seed)


def run_proxy(to: str, listen: str | None, pty: bool, baudrate: int, injector: FaultInjector) -> None:
    port = parse_listen(listen, pty)
    proxy = FaultProxy(to, injector, listen=port, baudrate=baudrate).start()
    print(proxy.address, flush=True)
    stopped = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        stopped.set()

    old = signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopped.is_set() and not proxy.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, old)
        proxy.stop()
        print(json.dumps({"proxy": proxy.address, "seed": injector.seed, "injected": injector.summary()}),
              flush=True)
    if proxy.error is not None:
        from hilbench.errors import LinkError

        raise LinkError(f"proxy to {to} stopped: {proxy.error}")
    sys.stdout.flush()


def proxy_command(
    to: Annotated[str, typer.Option("--to", help="board side: serial port, pty or socket://127.0.0.1:PORT URL",
                                    metavar="PORT_OR_URL")],
    listen: Annotated[Optional[str], typer.Option(help="serve on 127.0.0.1 TCP instead of a pty: tcp:PORT (0: any)",
                                                  metavar="tcp:PORT")] = None,
    pty: Annotated[bool, typer.Option("--pty", help="serve on a new pty (the default); its path is printed")] = False,
    corrupt: Annotated[str, typer.Option(help="bytes with one bit flipped: RATE or TO_BOARD,TO_HOST")] = "0",
    drop: Annotated[str, typer.Option(help="bytes dropped: RATE or TO_BOARD,TO_HOST")] = "0",
    dup: Annotated[str, typer.Option(help="bytes delivered twice: RATE or TO_BOARD,TO_HOST")] = "0",
    delay: Annotated[str, typer.Option(help="stalls per byte (with --delay-ms): RATE or TO_BOARD,TO_HOST")] = "0",
    delay_ms: Annotated[float, typer.Option(help="length of each stall, ms")] = 0.0,
    disconnect_every: Annotated[str, typer.Option(
        help="cut the line after every N bytes (of that direction): N or TO_BOARD,TO_HOST; 0 never")] = "0",
    disconnect_ms: Annotated[float, typer.Option(help="how long the line stays cut, ms")] = 200.0,
    seed: Annotated[int, typer.Option(help="random seed: the same seed injects the same faults")] = 0,
    baudrate: Annotated[int, typer.Option(help="board side baud rate")] = 115200,
) -> None:
    """Relay a board's serial link through injected faults (docs/faults.md)."""
    injector = build_injector(corrupt, drop, dup, delay, delay_ms, disconnect_every, disconnect_ms, seed)
    run_proxy(to, listen, pty, baudrate, injector)
