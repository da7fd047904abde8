"""Layer-by-layer check (`hilbench verify`): every intermediate tensor on the DUT against
tflite-micro's. (Named for that job; `hilbench.results.metrics.fidelity` is the output
metrics of a run, a different thing.)

Outputs alone can hide a wrong layer (MLPerf Tiny's softmax outputs saturate; a late ReLU
clips an early error away). So for each operator k the DUT runs operators 0..k and returns
k's output tensor (TENSOR message), and it is compared byte for byte with the reference
interpreter's copy of the same tensor (`preserve_all_tensors`). Not a timed path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hilbench.devices.base import LayerInspection
from hilbench.models.inspect import ModelInfo

if TYPE_CHECKING:
    from hilbench.models.reference import ReferenceInterpreter

_NP = {"int8": "i1", "uint8": "u1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "float32": "<f4"}


@dataclass(frozen=True)
class LayerCheck:
    op_index: int
    op_name: str
    tensor_index: int
    tensor_name: str
    nbytes: int
    bit_exact: bool
    max_abs_diff: float


def check_layers(
    link: LayerInspection, info: ModelInfo, reference: ReferenceInterpreter, vector: bytes
) -> list[LayerCheck]:
    """Compare every operator's outputs for one input vector.

    `reference` is a hilbench.models.reference.ReferenceInterpreter created with
    preserve_all_tensors=True; it is run on the vector here.
    """
    reference.run(vector)
    link.set_input(vector)
    checks: list[LayerCheck] = []
    for op in info.ops:
        for t_index in op.outputs:
            if t_index < 0:
                continue
            t = info.tensors[t_index]
            dtype = np.dtype(_NP.get(t.dtype, "u1"))
            _, dut_bytes = link.tensor(t_index, run_until=op.index)
            ref = np.asarray(reference.tensor(t_index)).astype(dtype).reshape(-1)
            dut = np.frombuffer(dut_bytes, dtype=dtype)
            same = dut.size == ref.size and np.array_equal(dut, ref)
            diff = (
                float(np.max(np.abs(dut.astype(np.float64) - ref.astype(np.float64))))
                if dut.size == ref.size and dut.size
                else float("inf")
            )
            checks.append(LayerCheck(op.index, op.name, t_index, t.name, len(dut_bytes), bool(same), diff))
    return checks
