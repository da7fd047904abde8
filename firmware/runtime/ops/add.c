/*
 * ADD, int8 + int8 -> int8 (per-tensor quantization), with broadcasting and a fused
 * activation.
 *
 * Bit-exact with TFLM's reference kernel (micro/kernels/add.cc, add_common.cc
 * CalculateOpDataAdd; reference_integer_ops::AddFunc / Add / BroadcastAdd6DSlow):
 *  - left_shift = 20; twice_max = 2 * (double)max(in1_scale, in2_scale) (max of the
 *    floats); input multipliers (double)in_scale / twice_max, output multiplier
 *    twice_max / ((1 << 20) * (double)out_scale), each through
 *    QuantizeMultiplierSmallerThanOneExp (must be in (0, 1) with shift <= 0, TFLM aborts
 *    otherwise: refused here).
 *  - per element: a = (x - zp1) << 20, b = (y - zp2) << 20, each scaled by its multiplier
 *    (double rounding: SaturatingRoundingDoublingHighMul then RoundingDivideByPOT), the
 *    sum scaled by the output multiplier, plus the output zero point, clamped to the
 *    activation range.
 *  - equal (extended) input shapes: a flat loop, the output only needs as many elements;
 *    else each dimension (right-aligned, up to 6) must match or be 1 in one input, and the
 *    output must have the broadcast shape.
 */
#include "../hil_elementwise.h"
#include "../hil_kernels.h"

#define ADD_OPTIONS_TYPE 11 /* BuiltinOptions_AddOptions */
#define ADD_LEFT_SHIFT 20

typedef struct {
    int32_t in1_offset, in2_offset, out_offset;
    int32_t in1_mult, in1_shift;
    int32_t in2_mult, in2_shift;
    int32_t out_mult, out_shift;
    int32_t act_min, act_max;
    hil_bcast_t bc;
} add_state_t;

/* QuantizeMultiplierSmallerThanOneExp: 0 on success, -1 where TFLM aborts. */
static int quantize_smaller_than_one(double real, int32_t *mult, int32_t *shift)
{
    if (!(real > 0.0 && real < 1.0))
        return -1;
    int s;
    hil_quantize_multiplier(real, mult, &s);
    if (s > 0)
        return -1;
    *shift = s;
    return 0;
}

static int add_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    hil_elementwise_t ew;
    int r = hil_elementwise_prepare(rt, oi, op, ADD_OPTIONS_TYPE, "ADD", &ew, err);
    if (r != HIL_OK)
        return r;
    const hil_tensor_t *in1 = ew.in1, *in2 = ew.in2, *out = ew.out;

    /* CalculateOpDataAdd */
    const float max_scale = in1->scale > in2->scale ? in1->scale : in2->scale;
    const double twice_max = 2 * (double)max_scale;
    const double real1 = (double)in1->scale / twice_max;
    const double real2 = (double)in2->scale / twice_max;
    const double real_out = twice_max / ((1 << ADD_LEFT_SHIFT) * (double)out->scale);
    int32_t m1, s1, m2, s2, mo, so;
    if (quantize_smaller_than_one(real1, &m1, &s1) ||
        quantize_smaller_than_one(real2, &m2, &s2) ||
        quantize_smaller_than_one(real_out, &mo, &so))
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op,
                          "input / output scales out of range");

    add_state_t *st = hil_rt_persist(rt, sizeof(add_state_t));
    if (st == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    st->in1_offset = hil_wsub(0, in1->zero_point);
    st->in2_offset = hil_wsub(0, in2->zero_point);
    st->out_offset = out->zero_point;
    st->in1_mult = m1;
    st->in1_shift = s1;
    st->in2_mult = m2;
    st->in2_shift = s2;
    st->out_mult = mo;
    st->out_shift = so;
    st->act_min = ew.act_min;
    st->act_max = ew.act_max;
    st->bc = ew.bc;
    op->state = st;
    return HIL_OK;
}

/* reference_integer_ops::AddFunc; shifts are <= 0 (right shifts only) */
static inline int8_t add_one(const add_state_t *st, int8_t x, int8_t y)
{
    const int32_t a = hil_wshl(hil_wadd(st->in1_offset, x), ADD_LEFT_SHIFT);
    const int32_t b = hil_wshl(hil_wadd(st->in2_offset, y), ADD_LEFT_SHIFT);
    const int32_t sa = hil_rdivpot(hil_srdhm(a, st->in1_mult), -st->in1_shift);
    const int32_t sb = hil_rdivpot(hil_srdhm(b, st->in2_mult), -st->in2_shift);
    const int32_t sum = hil_wadd(sa, sb);
    int32_t v =
        hil_wadd(hil_rdivpot(hil_srdhm(sum, st->out_mult), -st->out_shift), st->out_offset);
    if (v < st->act_min)
        v = st->act_min;
    if (v > st->act_max)
        v = st->act_max;
    return (int8_t)v;
}

/* One row of BroadcastAdd6DSlow (hil_elementwise_broadcast). */
static void add_row(const void *state, const int8_t *x, const int8_t *y, int8_t *out,
                    uint32_t n, uint32_t s1, uint32_t s2)
{
    const add_state_t *st = (const add_state_t *)state;
    for (uint32_t c = 0; c < n; c++, x += s1, y += s2)
        out[c] = add_one(st, *x, *y);
}

#if HIL_KERNELS_OPT
/* The flat loop with the one-SMLAL requantization of hil_kernels.h (the same bytes as
 * add_one: each step is MultiplyByQuantizedMultiplier; every shift here is <= 0).
 * mode: bit 0 input 1 has a right shift (else shift 0: a plain rounding doubling high
 * multiply), bit 1 the same for input 2, bit 2 all general (hil_k_rq). */
static inline __attribute__((always_inline)) int32_t add_rq(int32_t a, const hil_k_rq_t *q,
                                                            int shifted, int general)
{
    if (general)
        return hil_k_rq(a, q);
    if (shifted)
        return hil_k_rq_hi(a, q->m, q->clo, q->chi) >> q->e1;
    return (int32_t)(((int64_t)a * q->m + (1 << 30)) >> 31);
}

static inline __attribute__((always_inline)) void add_flat(const add_state_t *st,
                                                           const int8_t *x, const int8_t *y,
                                                           int8_t *out, uint32_t n,
                                                           int mode)
{
    hil_k_rq_t q1, q2, qo;
    hil_k_rq_init(&q1, st->in1_mult, st->in1_shift);
    hil_k_rq_init(&q2, st->in2_mult, st->in2_shift);
    hil_k_rq_init(&qo, st->out_mult, st->out_shift);
    const hil_k_out_t o = {st->out_offset, st->act_min, st->act_max};
    const int general = (mode & 4) != 0;
    for (uint32_t i = 0; i < n; i++) {
        /* |x + offset| <= 255: the << 20 cannot overflow */
        const int32_t a = (int32_t)((uint32_t)(x[i] + st->in1_offset) << ADD_LEFT_SHIFT);
        const int32_t b = (int32_t)((uint32_t)(y[i] + st->in2_offset) << ADD_LEFT_SHIFT);
        const int32_t sum =
            hil_wadd(add_rq(a, &q1, mode & 1, general), add_rq(b, &q2, mode & 2, general));
        out[i] = hil_k_out(add_rq(sum, &qo, 1, general), &o);
    }
}
#endif

static int add_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const add_state_t *st = (const add_state_t *)op->state;
    const int8_t *x = (const int8_t *)hil_op_input(rt, op, 0)->data;
    const int8_t *y = (const int8_t *)hil_op_input(rt, op, 1)->data;
    int8_t *out = (int8_t *)hil_op_output(rt, op, 0)->data;
    const hil_bcast_t *bc = &st->bc;

    if (!bc->broadcast) {
#if HIL_KERNELS_OPT
        /* in_offset in [-127, 128], so x + offset fits 9 bits */
        if (st->in1_offset >= -128 && st->in1_offset <= 128 && st->in2_offset >= -128 &&
            st->in2_offset <= 128) {
            const int m = (st->in1_shift < 0 ? 1 : 0) | (st->in2_shift < 0 ? 2 : 0);
            if (st->out_shift >= 0)
                add_flat(st, x, y, out, bc->flat, 4);
            else if (m == 3)
                add_flat(st, x, y, out, bc->flat, 3);
            else if (m == 2)
                add_flat(st, x, y, out, bc->flat, 2);
            else if (m == 1)
                add_flat(st, x, y, out, bc->flat, 1);
            else
                add_flat(st, x, y, out, bc->flat, 0);
            return HIL_OK;
        }
#endif
        for (uint32_t i = 0; i < bc->flat; i++)
            out[i] = add_one(st, x[i], y[i]);
        return HIL_OK;
    }
    hil_elementwise_broadcast(bc, x, y, out, add_row, st);
    return HIL_OK;
}

const hil_op_reg_t hil_op_add = {0, "ADD", add_prepare, add_eval};
