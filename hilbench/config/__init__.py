"""Parsing and validation of boards.toml (and, later, suite files)."""

from hilbench.config.boards import BoardConfig, BoardsFile, QemuConfig, load_boards
from hilbench.config.suite import MeasureConfig, ModelEntry, Suite, load_suite

__all__ = [
    "BoardConfig",
    "BoardsFile",
    "MeasureConfig",
    "ModelEntry",
    "QemuConfig",
    "Suite",
    "load_boards",
    "load_suite",
]
