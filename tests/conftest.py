"""Shared test fixtures and paths.

`../shared` (reference models and datasets) sits beside the project root in CI and on
developer machines; tests that need it skip with a clear reason where it is absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the shared reference data beside the project root); not present here")
    return path


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (./test.sh installs it)")
    return path


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
