"""The device session behind the `dut` fixture, and the board locks it holds.

A `DutSession` is one board opened for as long as the configured `--hil-dut-scope`
(function: a fresh device per test, so every test starts from a reset DUT; module or
session: one device kept open). While it is open it holds the board's cross-process
lock (`hilbench.locks`), so no other pytest-xdist worker uses the board meanwhile.

No deadlock: a test uses one board. When a worker has to wait for a board that another
worker holds, it first closes ("suspends") the idle sessions it keeps open on other
boards, releasing their locks, so it never waits while holding a board. And a session
kept open between tests hands its board over after a test when another process is
waiting for it. A suspended session reopens by itself the next time a test uses it, with
its model loaded again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hilbench.locks import BoardLock, lock_key, lock_timeout

# Sessions of this process that are open now (and so hold their board's lock).
_OPEN: dict[int, DutSession] = {}


def acquire_board(board: Any, owner: str, keep: DutSession | None = None) -> BoardLock:
    """The board's lock, held; if another process has it, close this process's idle
    sessions on other boards first (so we never wait while holding a board)."""
    lock = BoardLock(lock_key(board), owner=owner)
    if lock.try_acquire():
        return lock
    key = lock.key
    for s in list(_OPEN.values()):
        if s is not keep and s.lock_key != key:
            s.suspend()
    lock.acquire(timeout=lock_timeout())
    return lock


def prebuild(board: Any) -> None:
    """Build (or confirm up to date) the board's firmware image, one builder at a time:
    two workers never run make on one build directory together."""
    if board.image or board.kind not in ("emulated", "native"):
        return
    from hilbench import firmware

    target = board.firmware or board.name
    defines = tuple(board.defines)
    with BoardLock("build-" + firmware.build_name(target, defines=defines), owner=f"building {target}"):
        firmware.build_image(target, defines=defines)


def model_bytes(model: str | Path | bytes | bytearray | memoryview) -> tuple[bytes, str]:
    """(bytes, source name) of a model given as a path or as bytes."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), "model"
    path = Path(model)
    from hilbench.errors import ModelError

    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model: {exc.strerror or exc}") from None


def as_bytes(data: Any) -> bytes:
    """Bytes of a vector given as bytes, a numpy array or a path to a raw file."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, (str, Path)):
        return Path(data).read_bytes()
    tobytes = getattr(data, "tobytes", None)
    if tobytes is not None:
        return bytes(tobytes())
    raise TypeError(f"expected bytes, a numpy array or a file path, got {type(data).__name__}")


class DutSession:
    """One board, opened on demand, holding its lock while open."""

    def __init__(self, board: Any, owner: str = "") -> None:
        self.board = board
        self.owner = owner
        self.lock_key = lock_key(board)
        self.device: Any = None
        self.info: Any = None
        self.lock: BoardLock | None = None
        self.model: Any = None  # ModelDesc of the loaded model
        self.model_bytes: bytes | None = None
        self.model_source = "model"
        self.model_sha256: str | None = None
        self.opened = 0  # how many times a device was opened (1 + reopenings)

    @property
    def is_open(self) -> bool:
        return self.device is not None

    def open(self) -> Any:
        """Open the device (taking the board lock); return its DeviceInfo."""
        if self.device is not None:
            return self.info
        from hilbench.devices import make_device

        self.lock = acquire_board(self.board, self.owner, keep=self)
        try:
            prebuild(self.board)
            # prebuild() built the image already (once per session, under a lock)
            device = make_device(self.board, build=bool(self.board.image))
            self.info = device.open()
            self.device = device
            _OPEN[id(self)] = self
            self.opened += 1
            if self.model_bytes is not None:  # back from a suspension: same model as before
                self.model = device.load_model(self.model_bytes, source=self.model_source)
        except BaseException:
            self.close(forget_model=False)
            raise
        return self.info

    def ensure_open(self) -> Any:
        if self.device is None:
            self.open()
        return self.device

    def load_model(self, model: str | Path | bytes | bytearray | memoryview) -> Any:
        data, source = model_bytes(model)
        device = self.ensure_open()
        self.model = device.load_model(data, source=source)
        self.model_bytes, self.model_source = data, source
        self.model_sha256 = hashlib.sha256(data).hexdigest()
        return self.model

    def yield_if_wanted(self) -> None:
        """Between tests: hand the board over if another process is waiting for it."""
        if self.lock is not None and self.lock.others_waiting():
            self.suspend()

    def suspend(self) -> None:
        """Close the device and release the lock; the next use reopens it, model and all."""
        self.close(forget_model=False)

    def close(self, forget_model: bool = True) -> None:
        _OPEN.pop(id(self), None)
        device, self.device = self.device, None
        try:
            if device is not None:
                device.close()
        finally:
            if self.lock is not None:
                self.lock.release()
                self.lock = None
            if forget_model:
                self.model = self.model_bytes = self.model_sha256 = None


class Dut:
    """What a test gets as `dut`: one board's device session.

    >>> dut.load_model("model.tflite")          # or bytes
    >>> dut.set_input(vector); ticks = dut.invoke(count=10, warmup=1); out = dut.get_output()
    >>> sample = dut.run(vector)                # set input + one timed inference + output
    >>> dut.micros(sample.ticks), dut.info.timing.source, dut.board.core
    """

    def __init__(self, session: DutSession, on_model: Callable[[str], None] | None = None) -> None:
        self._session = session
        self._on_model = on_model

    # ---------------------------------------------------------------- identity
    @property
    def board(self) -> Any:
        """The BoardConfig from boards.toml."""
        return self._session.board

    @property
    def name(self) -> str:
        return str(self._session.board.name)

    @property
    def info(self) -> Any:
        """The DeviceInfo (firmware, timing source, core, clock) of the open device."""
        self._session.ensure_open()
        return self._session.info

    @property
    def timing(self) -> Any:
        return self.info.timing

    @property
    def firmware_sha256(self) -> str | None:
        return self.info.firmware_sha256

    @property
    def model(self) -> Any:
        """The ModelDesc (arena, tensors) of the loaded model, or None."""
        return self._session.model

    @property
    def model_sha256(self) -> str | None:
        return self._session.model_sha256

    @property
    def device(self) -> Any:
        """The underlying hilbench device (open)."""
        return self._session.ensure_open()

    @property
    def link(self) -> Any:
        """The protocol session (DutLink) of the open device."""
        return self._session.ensure_open().link

    # ---------------------------------------------------------------- actions
    def load_model(self, model: str | Path | bytes | bytearray | memoryview) -> Any:
        """Upload a .tflite model (path or bytes) to the DUT; return its ModelDesc."""
        desc = self._session.load_model(model)
        if self._on_model and self._session.model_sha256:
            self._on_model(self._session.model_sha256)
        return desc

    def _need_model(self) -> None:
        if self._session.model is None:
            raise RuntimeError(f"dut {self.name}: no model loaded (call dut.load_model first)")

    def set_input(self, data: Any, index: int = 0) -> None:
        """Write input tensor `index` (bytes or a numpy array)."""
        self._need_model()
        self.link.set_input(as_bytes(data), index)

    def invoke(self, count: int = 1, warmup: int = 0) -> list[int]:
        """`count` timed inferences on the current input after `warmup` untimed ones; ticks each."""
        self._need_model()
        return list(self.link.invoke(count=count, warmup=warmup))

    def get_output(self, index: int = 0) -> bytes:
        """The raw bytes of output tensor `index`."""
        self._need_model()
        outs = self._session.model.outputs
        if not 0 <= index < len(outs):
            raise IndexError(f"dut {self.name}: the model has {len(outs)} output(s), no index {index}")
        return self.link.get_output(outs[index].nbytes, index)

    def run(self, vector: Any) -> Any:
        """Set the input, one timed inference, read the output: a Sample(ticks, output)."""
        self._need_model()
        return self.device.run(as_bytes(vector))

    def run_many(self, vector: Any, count: int) -> list[int]:
        """`count` timed inferences of one vector; ticks each."""
        self._need_model()
        return list(self.device.run_many(as_bytes(vector), count))

    def profile(self, vector: Any) -> list[int] | None:
        """Per-operator ticks of one inference, or None if the firmware cannot profile."""
        self._need_model()
        return self.device.profile(as_bytes(vector))

    def micros(self, ticks: int) -> float:
        """Ticks in microseconds (on an emulated board: at its nominal clock)."""
        return self.timing.micros(ticks)

    def reset(self) -> None:
        """A fresh device session now (the model, if any, is loaded again)."""
        self._session.suspend()
        self._session.open()

    def __repr__(self) -> str:
        state = "open" if self._session.is_open else "closed"
        return f"<hilbench Dut {self.name} ({self._session.board.kind}, {state})>"
