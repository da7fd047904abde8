"""Errors a user can act on.

Every error that comes from bad input or a broken bench derives from HilbenchError. The
CLI prints its message as one line and exits 2 (docs/architecture.md §1: exit 2 means harness or
infrastructure error, never a benchmark verdict), so messages must name the file, key,
op or byte at fault.
"""

from __future__ import annotations


class HilbenchError(Exception):
    """An error the user can fix; the CLI prints its message as one line and exits 2."""

    exit_code = 2


class ConfigError(HilbenchError):
    """boards.toml or a suite file is malformed."""


class ModelError(HilbenchError):
    """A model file cannot be read, or the DUT refused it."""


class DatasetError(HilbenchError):
    """A dataset directory or vector does not fit the model."""


class DeviceError(HilbenchError):
    """A device cannot be opened, flashed, started or talked to."""


class LinkError(DeviceError):
    """The serial link to the DUT failed: no answer, bad frames beyond retry, reset."""


class ToolMissingError(HilbenchError):
    """An external program (QEMU, the cross compiler) is not installed."""


class NotImplementedFeature(HilbenchError):
    """A feature that hilbench names but does not implement yet."""
