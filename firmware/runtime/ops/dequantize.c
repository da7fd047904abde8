/*
 * DEQUANTIZE: int8 -> float32 (per-tensor: the first scale / zero point, as TFLM).
 *
 * Bit-exact with TFLM's reference kernel (micro/kernels/dequantize.cc,
 * dequantize_common.cc; reference_ops::Dequantize): y = (float)((double)scale *
 * (double)(x - zero_point)). When |x - zero_point| < 2^24 the double product is exact
 * (24-bit mantissa times a 24-bit integer), so one float multiplication, correctly
 * rounded, gives the same float; that is the fast path (no double arithmetic, which is
 * software-emulated on most MCUs). Other zero points take the double path.
 */
#include "../hil_quant.h"
#include "../hil_rt_internal.h"

typedef struct {
    float scale;
    int32_t zero_point;
    uint32_t exact_in_float; /* |x - zero_point| < 2^24 for every int8 x */
} dequantize_state_t;

static int dequantize_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs != 1 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 1 input, 1 output");
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    const hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (input == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input missing");
    if (input->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (output->type != HIL_TYPE_FLOAT32)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);
    if (hil_tensor_elems(input) != hil_tensor_elems(output))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "element counts differ");
    if (input->nscales == 0)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->inputs[0], "tensor %d: not quantized (DEQUANTIZE)",
                        (int)op->inputs[0]);

    dequantize_state_t *st = hil_rt_persist(rt, sizeof(dequantize_state_t));
    if (st == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    st->scale = input->scale;
    st->zero_point = input->zero_point;
    const int32_t lim = (1 << 24) - 256;
    st->exact_in_float = input->zero_point > -lim && input->zero_point < lim;
    op->state = st;
    return HIL_OK;
}

static int dequantize_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op,
                           hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const dequantize_state_t *st = (const dequantize_state_t *)op->state;
    const hil_tensor_t *in_t = hil_op_input(rt, op, 0);
    const int8_t *in = (const int8_t *)in_t->data;
    float *out =
        (float *)(void *)hil_op_output(rt, op, 0)->data; /* arena: 16-byte aligned */
    const uint32_t n = hil_tensor_elems(in_t);
    if (st->exact_in_float) {
        for (uint32_t i = 0; i < n; i++)
            out[i] = st->scale * (float)(in[i] - st->zero_point);
    } else {
        for (uint32_t i = 0; i < n; i++)
            out[i] = (float)((double)st->scale * (double)hil_wsub(in[i], st->zero_point));
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_dequantize = {6, "DEQUANTIZE", dequantize_prepare,
                                        dequantize_eval};
