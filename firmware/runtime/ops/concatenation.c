/*
 * CONCATENATION along one axis (negative: counted from the end, as TFLM's
 * CalculatePositiveAxis with the output's rank), any fixed-size element type.
 *
 * Bit-exact with TFLM (micro/kernels/concatenation.cc, reference_ops::Concatenation): a
 * byte copy, no requantization. As TFLM's prepare: all inputs and the output of one type
 * among FLOAT32, INT8, INT16, INT32, INT64, BOOL; no fused activation; at most 6
 * dimensions; int8 inputs must have exactly the output's scale and zero point, int16
 * tensors zero point 0. Every input must have the output's rank and its dimensions except
 * along the axis, and the axis sizes must sum to the output's (TFLM only DCHECKs these).
 */
#include "../hil_quant.h"
#include "../hil_rt_internal.h"

#define CONCAT_OPTIONS_TYPE 10 /* BuiltinOptions_ConcatenationOptions */
#define CONCAT_MAX_DIMS 6      /* RuntimeShape::kMaxSmallSize */

typedef struct {
    uint32_t outer; /* product of the dims before the axis */
    uint32_t ninputs;
    uint32_t copy_bytes[HIL_RT_MAX_OP_INPUTS]; /* per input and outer index */
} concat_state_t;

static int concat_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs < 1 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs inputs, 1 output");
    const hil_tensor_t *out = hil_op_output(rt, op, 0);
    for (unsigned i = 0; i < op->ninputs; i++)
        if (hil_op_input(rt, op, i) == NULL)
            return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input missing");

    const uint8_t type = hil_op_input(rt, op, 0)->type;
    if (type != HIL_TYPE_FLOAT32 && type != HIL_TYPE_INT8 && type != HIL_TYPE_INT16 &&
        type != HIL_TYPE_INT32 && type != HIL_TYPE_INT64 && type != 6 /* BOOL */)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (out->type != type)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);
    for (unsigned i = 1; i < op->ninputs; i++)
        if (hil_op_input(rt, op, i)->type != type)
            return hil_err_type(rt, err, oi, op, op->inputs[i]);

    hil_fb_table_t opt;
    int32_t axis = 0;
    uint8_t act = 0;
    int r = hil_op_options(rt, op, CONCAT_OPTIONS_TYPE, &opt);
    if (r < 0 || (r > 0 && (hil_fb_i32(&rt->fb, &opt, 0, 0, &axis) ||
                            hil_fb_u8(&rt->fb, &opt, 1, 0, &act))))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad options");
    if (act != HIL_ACT_NONE)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_OP, oi, op->code, act,
                        "op %u: CONCATENATION with a fused activation", (unsigned)oi);

    for (unsigned i = 0; i < op->ninputs; i++) {
        const hil_tensor_t *t = hil_op_input(rt, op, i);
        if (t->ndims > CONCAT_MAX_DIMS)
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                            (uint32_t)op->inputs[i], "tensor %d: more than 6 dims (%s)",
                            (int)op->inputs[i], "CONCATENATION");
        /* TFLM: no requantization in the int8 kernel; int16 is symmetric */
        if ((type == HIL_TYPE_INT8 &&
             (t->scale != out->scale || t->zero_point != out->zero_point)) ||
            (type == HIL_TYPE_INT16 && t->zero_point != 0))
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                            (uint32_t)op->inputs[i],
                            "tensor %d: quantization differs from the output (%s)",
                            (int)op->inputs[i], "CONCATENATION");
    }
    if (type == HIL_TYPE_INT16 && out->zero_point != 0)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->outputs[0],
                        "tensor %d: int16 zero point must be 0 (%s)", (int)op->outputs[0],
                        "CONCATENATION");
    const int nd = out->ndims;
    if (axis < 0)
        axis += nd;
    if (axis < 0 || axis >= nd)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "axis out of range");

    uint64_t axis_sum = 0;
    for (unsigned i = 0; i < op->ninputs; i++) {
        const hil_tensor_t *t = hil_op_input(rt, op, i);
        if (t->ndims != nd)
            return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input ranks differ");
        for (int d = 0; d < nd; d++)
            if (d != axis && t->dims[d] != out->dims[d])
                return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                                  "input shapes differ");
        axis_sum += (uint32_t)t->dims[axis];
    }
    if (axis_sum != (uint32_t)out->dims[axis])
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "axis sizes do not add up");

    uint32_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= (uint32_t)out->dims[d];
    for (int d = axis + 1; d < nd; d++)
        inner *= (uint32_t)out->dims[d];
    const uint32_t esize = hil_type_size(type);

    concat_state_t *st = hil_rt_persist(rt, sizeof(concat_state_t));
    if (st == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    st->outer = outer;
    st->ninputs = op->ninputs;
    /* outer * sum(copy_bytes) == output bytes and outer * copy_bytes[i] == input i bytes,
     * all bounded at parse time */
    for (unsigned i = 0; i < op->ninputs; i++)
        st->copy_bytes[i] = (uint32_t)hil_op_input(rt, op, i)->dims[axis] * inner * esize;
    op->state = st;
    return HIL_OK;
}

static int concat_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const concat_state_t *st = (const concat_state_t *)op->state;
    uint8_t *out = hil_op_output(rt, op, 0)->data;
    const uint8_t *in[HIL_RT_MAX_OP_INPUTS];
    for (uint32_t i = 0; i < st->ninputs; i++)
        in[i] = hil_op_input(rt, op, i)->data;
    size_t o = 0;
    for (uint32_t k = 0; k < st->outer; k++) {
        for (uint32_t i = 0; i < st->ninputs; i++) {
            const uint32_t n = st->copy_bytes[i];
            if (n)
                hil_memmove(out + o, in[i] + (size_t)k * n, n); /* may alias */
            o += n;
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_concatenation = {2, "CONCATENATION", concat_prepare, concat_eval};
