"""Models: build small int8 TFLite models, inspect them, and run the reference interpreter.

The submodules are imported on demand: `hilbench.models.reference` loads tflite-micro, which
takes a while, and `import hilbench` must stay fast (docs/architecture.md §2: `hilbench/models/`).

- `builder.ModelBuilder` writes .tflite flatbuffers in pure Python (test models, the demo).
- `inspect.inspect_model` parses a model into `ModelInfo` (ops, tensors, MACs, sha256).
- `reference.ReferenceInterpreter` runs a model on tflite-micro, the int8 bit-exactness
  reference (docs/architecture.md §5).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["ModelBuilder", "ModelInfo", "ReferenceInterpreter", "inspect_model", "load_schema"]

_LAZY = {
    "ModelBuilder": "hilbench.models.builder",
    "load_schema": "hilbench.models.builder",
    "ModelInfo": "hilbench.models.inspect",
    "inspect_model": "hilbench.models.inspect",
    "ReferenceInterpreter": "hilbench.models.reference",
}


def __getattr__(name: str) -> Any:
    """Import the submodule that defines `name` only when it is first used."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hilbench.models' has no attribute {name!r}")
    return getattr(import_module(module), name)
