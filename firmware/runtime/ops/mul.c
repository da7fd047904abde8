/*
 * MUL, int8 * int8 -> int8 (per-tensor quantization), with broadcasting and a fused
 * activation.
 *
 * Bit-exact with TFLM's reference kernel (micro/kernels/mul.cc, mul_common.cc
 * CalculateOpDataMul; reference_integer_ops::MulElementwise / BroadcastMul*DSlow):
 *  - real multiplier = (double)in1_scale * (double)in2_scale / (double)out_scale, all in
 *    double, through QuantizeMultiplier (may be above 1: a left shift);
 *  - per element: out = zp_out + MultiplyByQuantizedMultiplier((x - zp1) * (y - zp2)),
 *    clamped to the activation range (double rounding).
 *  - broadcasting as ADD (hil_bcast_prepare, hil_elementwise_broadcast).
 */
#include "../hil_elementwise.h"

#define MUL_OPTIONS_TYPE 21 /* BuiltinOptions_MulOptions */

typedef struct {
    int32_t in1_offset, in2_offset, out_offset;
    int32_t mult, shift;
    int32_t act_min, act_max;
    hil_bcast_t bc;
} mul_state_t;

static int mul_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    hil_elementwise_t ew;
    int r = hil_elementwise_prepare(rt, oi, op, MUL_OPTIONS_TYPE, "MUL", &ew, err);
    if (r != HIL_OK)
        return r;
    const hil_tensor_t *in1 = ew.in1, *in2 = ew.in2, *out = ew.out;

    const double real = (double)in1->scale * (double)in2->scale / (double)out->scale;
    int32_t mult;
    int shift;
    hil_quantize_multiplier(real, &mult, &shift);
    if (shift > 30) /* TFLM: x * (1 << shift) is undefined */
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op,
                          "input / output scales out of range");

    mul_state_t *st = hil_rt_persist(rt, sizeof(mul_state_t));
    if (st == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    st->in1_offset = hil_wsub(0, in1->zero_point);
    st->in2_offset = hil_wsub(0, in2->zero_point);
    st->out_offset = out->zero_point;
    st->mult = mult;
    st->shift = shift;
    st->act_min = ew.act_min;
    st->act_max = ew.act_max;
    st->bc = ew.bc;
    op->state = st;
    return HIL_OK;
}

static inline int8_t mul_one(const mul_state_t *st, int8_t x, int8_t y)
{
    const int32_t a = hil_wadd(st->in1_offset, x);
    const int32_t b = hil_wadd(st->in2_offset, y);
    int32_t v = hil_wadd(st->out_offset, hil_mbqm(hil_wmul(a, b), st->mult, st->shift));
    if (v < st->act_min)
        v = st->act_min;
    if (v > st->act_max)
        v = st->act_max;
    return (int8_t)v;
}

/* One row of BroadcastMul6DSlow (hil_elementwise_broadcast). */
static void mul_row(const void *state, const int8_t *x, const int8_t *y, int8_t *out,
                    uint32_t n, uint32_t s1, uint32_t s2)
{
    const mul_state_t *st = (const mul_state_t *)state;
    for (uint32_t c = 0; c < n; c++, x += s1, y += s2)
        out[c] = mul_one(st, *x, *y);
}

static int mul_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const mul_state_t *st = (const mul_state_t *)op->state;
    const int8_t *x = (const int8_t *)hil_op_input(rt, op, 0)->data;
    const int8_t *y = (const int8_t *)hil_op_input(rt, op, 1)->data;
    int8_t *out = (int8_t *)hil_op_output(rt, op, 0)->data;
    const hil_bcast_t *bc = &st->bc;

    if (!bc->broadcast) {
        for (uint32_t i = 0; i < bc->flat; i++)
            out[i] = mul_one(st, x[i], y[i]);
        return HIL_OK;
    }
    hil_elementwise_broadcast(bc, x, y, out, mul_row, st);
    return HIL_OK;
}

const hil_op_reg_t hil_op_mul = {18, "MUL", mul_prepare, mul_eval};
