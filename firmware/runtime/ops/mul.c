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
 *  - broadcasting as ADD (hil_bcast_prepare).
 */
#include "../hil_quant.h"
#include "../hil_rt_internal.h"

#define MUL_OPTIONS_TYPE 21 /* BuiltinOptions_MulOptions */

typedef struct {
    int32_t in1_offset, in2_offset, out_offset;
    int32_t mult, shift;
    int32_t act_min, act_max;
    hil_bcast_t bc;
} mul_state_t;

static int scale_ok(float s)
{
    return hil_isfinite_f(s) && s > 0.0f;
}

static int mul_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs != 2 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 2 inputs, 1 output");
    const hil_tensor_t *in1 = hil_op_input(rt, op, 0);
    const hil_tensor_t *in2 = hil_op_input(rt, op, 1);
    const hil_tensor_t *out = hil_op_output(rt, op, 0);
    if (in1 == NULL || in2 == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input missing");
    if (in1->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (in2->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[1]);
    if (out->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);

    const int idx[3] = {op->inputs[0], op->inputs[1], op->outputs[0]};
    const hil_tensor_t *qt[3] = {in1, in2, out};
    for (int k = 0; k < 3; k++) {
        if (qt[k]->nscales == 0)
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)idx[k],
                            "tensor %d: not quantized (MUL)", idx[k]);
        if (!scale_ok(qt[k]->scale))
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)idx[k],
                            "tensor %d: bad scale", idx[k]);
    }

    hil_fb_table_t opt;
    uint8_t act = 0;
    int r = hil_op_options(rt, op, MUL_OPTIONS_TYPE, &opt);
    if (r < 0 || (r > 0 && hil_fb_u8(&rt->fb, &opt, 0, 0, &act)))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad options");

    hil_bcast_t bc;
    r = hil_bcast_prepare(in1->dims, in1->ndims, in2->dims, in2->ndims, out->dims, out->ndims,
                          &bc);
    if (r == -1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input shapes do not broadcast");
    if (r)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "output shape mismatch");

    int32_t act_min, act_max;
    r = hil_activation_range(act, out->scale, out->zero_point, -128, 127, &act_min, &act_max);
    if (r == -2)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_OP, oi, op->code, act,
                        "op %u: MUL activation %s unsupported", (unsigned)oi,
                        act == HIL_ACT_TANH       ? "TANH"
                        : act == HIL_ACT_SIGN_BIT ? "SIGN_BIT"
                                                  : "(unknown)");
    if (r)
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op, "bad output quantization");

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
    st->act_min = act_min;
    st->act_max = act_max;
    st->bc = bc;
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
    const uint32_t n_in = bc->dims[HIL_BCAST_DIMS - 1];
    const uint32_t is1 = bc->s1[HIL_BCAST_DIMS - 1], is2 = bc->s2[HIL_BCAST_DIMS - 1];
    uint32_t rows = 1;
    for (unsigned k = 0; k + 1 < HIL_BCAST_DIMS; k++)
        rows *= bc->dims[k];
    uint32_t idx[HIL_BCAST_DIMS - 1] = {0};
    size_t o = 0;
    for (uint32_t r = 0; r < rows; r++) {
        size_t p1 = 0, p2 = 0;
        for (unsigned k = 0; k + 1 < HIL_BCAST_DIMS; k++) {
            p1 += (size_t)idx[k] * bc->s1[k];
            p2 += (size_t)idx[k] * bc->s2[k];
        }
        for (uint32_t c = 0; c < n_in; c++, p1 += is1, p2 += is2)
            out[o++] = mul_one(st, x[p1], y[p2]);
        for (int k = HIL_BCAST_DIMS - 2; k >= 0; k--) {
            if (++idx[k] < bc->dims[k])
                break;
            idx[k] = 0;
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_mul = {18, "MUL", mul_prepare, mul_eval};
