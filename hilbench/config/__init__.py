"""Parsing and validation of boards.toml (and, later, suite files)."""

from hilbench.config.boards import BoardConfig, BoardsFile, QemuConfig, load_boards

__all__ = ["BoardConfig", "BoardsFile", "QemuConfig", "load_boards"]
