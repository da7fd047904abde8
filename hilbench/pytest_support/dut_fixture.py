"""The `dut` fixture: `hil_dut` under its short name.

Registered by `hilbench.pytest_plugin` only when no other plugin (pytest-embedded has
one) already provides a `dut` fixture; `hil_dut` is always there.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def dut(hil_dut: Any) -> Any:
    """An open device session on this hil test's board: load_model, set_input, invoke,
    get_output, run (see hilbench.pytest_support.session.Dut)."""
    return hil_dut
