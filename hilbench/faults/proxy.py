"""A fault-injecting relay between hilbench (or any serial client) and a board.

The host side is a pty whose path the proxy prints (like QEMU's `-serial pty`), or a TCP
server on 127.0.0.1 (`socket://127.0.0.1:PORT`, what pyserial, ser2net and labgrid's
NetworkSerialPort speak). The board side is anything pyserial opens: a serial device, a
QEMU pty, a `socket://` or `rfc2217://` URL. Bytes go through `FaultInjector`, one
thread per direction plus one writer per direction that releases stalled bytes on time.

Only loopback addresses, ever: the proxy listens on 127.0.0.1 and refuses a board URL
whose host is not a loopback address, so a test fixture can never expose a bench.
"""

from __future__ import annotations

import ipaddress
import os
import queue
import select
import socket
import termios
import threading
import time
import tty
from collections.abc import Callable
from urllib.parse import urlparse

from hilbench.errors import ConfigError, LinkError
from hilbench.faults.inject import Direction, FaultInjector

_POLL_S = 0.05


def check_loopback_url(url: str) -> None:
    """Refuse a socket:// or rfc2217:// URL that is not on this machine's loopback."""
    if "://" not in url:
        return  # a device path or pty
    parsed = urlparse(url)
    if parsed.scheme not in ("socket", "rfc2217"):
        return  # loop://, spy:// ...: local by construction
    host = parsed.hostname or ""
    try:
        addrs = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        raise ConfigError(f"--to {url}: cannot resolve host '{host}': {exc}") from None
    if not addrs or not all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addrs):
        raise ConfigError(
            f"--to {url}: host '{host}' is not a loopback address (the proxy only relays on this machine)"
        )


class _BoardSide:
    """The board's port, opened once through pyserial and kept open: a QEMU pty drops
    guest output while nobody has it open."""

    def __init__(self, url: str, baudrate: int) -> None:
        import serial

        check_loopback_url(url)
        self._serial = serial
        try:
            self.port = serial.serial_for_url(url, baudrate=baudrate, timeout=_POLL_S, write_timeout=30)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"--to {url}: cannot open the board port: {exc}") from None
        self.name = url

    def read(self) -> bytes:
        first = self.port.read(1)
        if not first:
            return b""
        waiting = self.port.in_waiting
        return first + (self.port.read(waiting) if waiting else b"")

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:
            pass


class _PtyHost:
    """A pty pair: the client opens `path`; the proxy holds both ends so a client that
    closes and reopens the pty (a reconnect) finds it still there."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave, termios.TCSANOW)  # no echo, no line editing: bytes as they are
        os.set_blocking(self._master, False)  # a full pty (no reader) must not hang stop()
        self.path = os.ttyname(self._slave)
        self.address = self.path
        self.discarded = 0

    def read(self) -> bytes:
        ready, _, _ = select.select([self._master], [], [], _POLL_S)
        if not ready:
            return b""
        try:
            return os.read(self._master, 65536)
        except OSError:
            time.sleep(_POLL_S)
            return b""

    def write(self, data: bytes) -> None:
        """Deliver data; what a client does not read within a few seconds (none has the
        pty open, the queue is full) is discarded, as a UART overruns."""
        view = memoryview(data)
        give_up = time.monotonic() + 5.0
        while view:
            try:
                n = os.write(self._master, view)
            except BlockingIOError:
                if time.monotonic() > give_up:
                    self.discarded += len(view)
                    return
                time.sleep(0.001)
                continue
            view = view[n:]

    def close(self) -> None:
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class _TcpHost:
    """A TCP server on 127.0.0.1; one client at a time, a new connection replaces the old
    one (a client that reconnects gets the line back). Board output with no client
    connected is discarded, as ser2net does."""

    def __init__(self, port: int) -> None:
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._server.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ConfigError(f"--listen tcp:{port}: cannot listen on 127.0.0.1:{port}: {exc}") from None
        self._server.listen(4)
        self.port = self._server.getsockname()[1]
        self.address = f"socket://127.0.0.1:{self.port}"
        self._client: socket.socket | None = None
        self._lock = threading.Lock()
        self.connections = 0
        self.discarded = 0

    def read(self) -> bytes:
        with self._lock:
            client = self._client
        socks = [self._server] + ([client] if client else [])
        ready, _, _ = select.select(socks, [], [], _POLL_S)
        if self._server in ready:
            new, _ = self._server.accept()
            new.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                old, self._client = self._client, new
                self.connections += 1
            if old is not None:
                old.close()
            return b""
        if client is not None and client in ready:
            try:
                data = client.recv(65536)
            except OSError:
                data = b""
            if not data:  # the client went away; wait for the next one
                with self._lock:
                    if self._client is client:
                        self._client = None
                client.close()
            return data
        return b""

    def write(self, data: bytes) -> None:
        with self._lock:
            client = self._client
        if client is None:
            self.discarded += len(data)
            return
        try:
            client.sendall(data)
        except OSError:
            self.discarded += len(data)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
        self._server.close()


class FaultProxy:
    """Relay host side <-> board side through a FaultInjector until stop()."""

    def __init__(
        self, board_url: str, injector: FaultInjector, listen: int | None = None, baudrate: int = 115200
    ) -> None:
        self.injector = injector
        self.board = _BoardSide(board_url, baudrate)
        try:
            self.host: _PtyHost | _TcpHost = _PtyHost() if listen is None else _TcpHost(listen)
        except BaseException:
            self.board.close()
            raise
        self.address = self.host.address
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.error: BaseException | None = None

    def start(self) -> FaultProxy:
        q_board: queue.Queue[tuple[float, bytes]] = queue.Queue()
        q_host: queue.Queue[tuple[float, bytes]] = queue.Queue()
        specs = [
            ("host->board", self.host.read, Direction.TO_BOARD, q_board),
            ("board->host", self.board.read, Direction.TO_HOST, q_host),
        ]
        for name, read, direction, q in specs:
            self._threads.append(
                threading.Thread(
                    target=self._pump, args=(read, direction, q), name=f"proxy {name} reader", daemon=True
                )
            )
        self._threads.append(
            threading.Thread(
                target=self._drain, args=(q_board, self.board.write), name="proxy board writer", daemon=True
            )
        )
        self._threads.append(
            threading.Thread(
                target=self._drain, args=(q_host, self.host.write), name="proxy host writer", daemon=True
            )
        )
        for t in self._threads:
            t.start()
        return self

    def _pump(self, read: Callable[[], bytes], direction: Direction, q: queue.Queue) -> None:
        try:
            while not self._stop.is_set():
                data = read()
                if data:
                    for item in self.injector.process(direction, data, time.monotonic()):
                        q.put(item)
        except BaseException as exc:
            self.error = exc
            self._stop.set()

    def _drain(self, q: queue.Queue, write: Callable[[bytes], None]) -> None:
        try:
            while not self._stop.is_set():
                try:
                    due, data = q.get(timeout=_POLL_S)
                except queue.Empty:
                    continue
                wait = due - time.monotonic()
                if wait > 0:
                    self._stop.wait(wait)
                write(data)
        except BaseException as exc:
            self.error = exc
            self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stopped (or a relay thread failed); True if stopped."""
        return self._stop.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        self.host.close()
        self.board.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
