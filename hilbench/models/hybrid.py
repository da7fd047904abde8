"""Detect "hybrid" models up front: float32 activations computed with int8 weights.

Why: the TFLite converter's dynamic-range quantization (MLPerf Tiny's
`kws_ref_model_float32.tflite`, the ToyCar `model_ToyCar_quant.tflite`) stores weights as
int8 but keeps activations float32; the kernel dequantizes the weights on the fly.
Neither tflite-micro ("Hybrid models are not supported on TFLite Micro", printed only to
the C stderr) nor hilbench-rt runs such ops, and the Python runtime only reports "failed to
allocate tensors", which reads like an arena problem. Finding the first such op in the
model's own tables names the real cause, the op and the tensors before anything runs.

A float model whose int8 weights pass through DEQUANTIZE ops first is *not* hybrid: the
DEQUANTIZE output is a float tensor and the compute op sees float weights.
"""

from __future__ import annotations

from dataclasses import dataclass

from hilbench.errors import ModelError
from hilbench.models.inspect import ModelInfo, OpInfo, TensorInfo

_FLOAT_TYPES = frozenset({"float32", "float16"})
_WEIGHT_TYPES = frozenset({"int8", "uint8", "int4"})
# Ops where an int8 constant beside float data is legitimate (not a hybrid kernel).
_NOT_HYBRID_OPS = frozenset({"DEQUANTIZE", "EMBEDDING_LOOKUP", "GATHER", "GATHER_ND"})


@dataclass(frozen=True)
class HybridOp:
    """The first op that mixes float activations with int8 constant weights."""

    op: OpInfo
    activation: TensorInfo
    weights: TensorInfo

    def describe(self) -> str:
        return (
            f"op {self.op.index} {self.op.name} takes {self.activation.dtype} input "
            f"{self.activation.name!r} (tensor {self.activation.index}) with "
            f"{self.weights.dtype} constant weights {self.weights.name!r} "
            f"(tensor {self.weights.index})"
        )


def find_hybrid_op(info: ModelInfo) -> HybridOp | None:
    """The first op whose first input is a float activation and another input an int8 constant."""
    tensors = info.tensors
    for op in info.ops:
        if op.name in _NOT_HYBRID_OPS or not op.inputs:
            continue
        first = op.inputs[0]
        if not 0 <= first < len(tensors):
            continue
        act = tensors[first]
        if act.dtype not in _FLOAT_TYPES or act.is_constant:
            continue
        for i in op.inputs[1:]:
            if 0 <= i < len(tensors):
                w = tensors[i]
                if w.is_constant and w.dtype in _WEIGHT_TYPES:
                    return HybridOp(op, act, w)
    return None


def check_not_hybrid(info: ModelInfo, label: str) -> None:
    """Raise one ModelError line naming the model, op and tensors if the model is hybrid."""
    found = find_hybrid_op(info)
    if found is not None:
        raise ModelError(
            f"{label}: hybrid model (float32 activations, int8 weights) is not supported "
            f"by tflite-micro or hilbench-rt: {found.describe()}; convert it with full-integer "
            "quantization (int8 activations)"
        )
