/*
 * hil_quant.c - see hil_quant.h.
 */
#include "hil_quant.h"

typedef union {
    double d;
    uint64_t u;
} dbits_t;

typedef union {
    float f;
    uint32_t u;
} fbits_t;

double hil_frexp(double x, int *e)
{
    dbits_t v;
    v.d = x;
    int ee = (int)((v.u >> 52) & 0x7FF);
    *e = 0;
    if (ee == 0) {
        if ((v.u << 1) == 0)
            return x; /* +-0 */
        /* subnormal: scale by 2^64 (exact) and retry */
        v.d = x * 18446744073709551616.0;
        ee = (int)((v.u >> 52) & 0x7FF);
        *e = -64;
    } else if (ee == 0x7FF) {
        return x; /* inf or NaN */
    }
    *e += ee - 1022;
    v.u &= ~((uint64_t)0x7FF << 52);
    v.u |= (uint64_t)1022 << 52;
    return v.d;
}

double hil_round(double x)
{
    dbits_t v;
    v.d = x;
    int e = (int)((v.u >> 52) & 0x7FF) - 1023;
    const uint64_t sign = v.u & ((uint64_t)1 << 63);
    if (e >= 52)
        return x; /* integral already, or inf / NaN */
    if (e < -1) {
        v.u = sign; /* |x| < 0.5 */
        return v.d;
    }
    if (e == -1) {
        v.u = sign | ((uint64_t)1023 << 52); /* 0.5 <= |x| < 1 -> +-1 */
        return v.d;
    }
    const uint64_t frac = ((uint64_t)1 << (52 - e)) - 1;
    if ((v.u & frac) == 0)
        return x;
    v.u += (uint64_t)1 << (51 - e); /* add one half (may carry into the exponent) */
    v.u &= ~frac;
    return v.d;
}

float hil_roundf(float x)
{
    fbits_t v;
    v.f = x;
    int e = (int)((v.u >> 23) & 0xFF) - 127;
    const uint32_t sign = v.u & 0x80000000u;
    if (e >= 23)
        return x;
    if (e < -1) {
        v.u = sign;
        return v.f;
    }
    if (e == -1) {
        v.u = sign | (127u << 23);
        return v.f;
    }
    const uint32_t frac = (1u << (23 - e)) - 1u;
    if ((v.u & frac) == 0)
        return x;
    v.u += 1u << (22 - e);
    v.u &= ~frac;
    return v.f;
}

int hil_isfinite_f(float x)
{
    fbits_t v;
    v.f = x;
    return ((v.u >> 23) & 0xFF) != 0xFF;
}

void hil_quantize_multiplier(double real_multiplier, int32_t *quantized_multiplier,
                             int *shift)
{
    if (real_multiplier == 0.0) {
        *quantized_multiplier = 0;
        *shift = 0;
        return;
    }
    /* Callers only pass finite, positive multipliers (TFLM aborts on others). */
    const double q = hil_frexp(real_multiplier, shift);
    int64_t q_fixed = (int64_t)hil_round(q * 2147483648.0);
    if (q_fixed == ((int64_t)1 << 31)) {
        q_fixed /= 2;
        ++*shift;
    }
    if (*shift < -31) {
        *shift = 0;
        q_fixed = 0;
    }
    *quantized_multiplier = (int32_t)q_fixed;
}

/* kernel_util.cc Quantize(): zero_point + (int32)round(f / scale), in float. */
static int quantize_bound(float scale, int32_t zero_point, float f, int32_t *q)
{
    const float tmp = hil_roundf(f / scale);
    /* TFLite checks tmp against the float images of INT32_MIN / INT32_MAX (the latter
     * is 2^31); 2^31 itself would not convert, so it is refused here as well. */
    if (!(tmp >= -2147483648.0f && tmp < 2147483648.0f))
        return -1;
    *q = hil_wadd(zero_point, (int32_t)tmp);
    return 0;
}

int hil_activation_range(int activation, float scale, int32_t zero_point, int32_t qmin,
                         int32_t qmax, int32_t *act_min, int32_t *act_max)
{
    int32_t q;
    *act_min = qmin;
    *act_max = qmax;
    switch (activation) {
    case HIL_ACT_NONE:
        return 0;
    case HIL_ACT_RELU:
        if (quantize_bound(scale, zero_point, 0.0f, &q))
            return -1;
        *act_min = q > qmin ? q : qmin;
        return 0;
    case HIL_ACT_RELU6:
        if (quantize_bound(scale, zero_point, 0.0f, &q))
            return -1;
        *act_min = q > qmin ? q : qmin;
        if (quantize_bound(scale, zero_point, 6.0f, &q))
            return -1;
        *act_max = q < qmax ? q : qmax;
        return 0;
    case HIL_ACT_RELU_N1_TO_1:
        if (quantize_bound(scale, zero_point, -1.0f, &q))
            return -1;
        *act_min = q > qmin ? q : qmin;
        if (quantize_bound(scale, zero_point, 1.0f, &q))
            return -1;
        *act_max = q < qmax ? q : qmax;
        return 0;
    default:
        return -2;
    }
}

/* ---- gemmlowp fixedpoint.h, scalar int32 ---- */

/* exp(x) for x in [-1/4, 0), Q0.31 in and out */
static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a)
{
    const int32_t constant_term = 1895147668;    /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883; /* 1/3 */
    const int32_t x = hil_wadd(a, 1 << 28);      /* a + 1/8 */
    const int32_t x2 = hil_srdhm(x, x);
    const int32_t x3 = hil_srdhm(x2, x);
    const int32_t x4 = hil_srdhm(x2, x2);
    const int32_t x4_over_4 = hil_rdivpot(x4, 2);
    const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 =
        hil_rdivpot(hil_wadd(hil_srdhm(hil_wadd(x4_over_4, x3), constant_1_over_3), x2), 1);
    return hil_wadd(
        constant_term,
        hil_srdhm(constant_term, hil_wadd(x, x4_over_24_plus_x3_over_6_plus_x2_over_2)));
}

int32_t hil_exp_on_negative_values(int32_t a, int integer_bits)
{
    const int frac_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = hil_wsub(a & mask, one_quarter);
    int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        hil_srmulpot(a_mod_quarter_minus_one_quarter, integer_bits));
    const int32_t remainder = hil_wsub(a_mod_quarter_minus_one_quarter, a);

    /* barrel shifter: multiply by exp(-2^k) for every set bit 2^k of the remainder */
    static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308,
                                           39332535,   720401,     242};
    for (int k = -2; k <= 4; k++) {
        if (integer_bits > k) {
            const int shift = frac_bits + k;
            if (remainder & (int32_t)((uint32_t)1 << shift))
                result = hil_srdhm(result, multipliers[k + 2]);
        }
    }
    if (integer_bits > 5) {
        const int32_t clamp = -(int32_t)((uint32_t)1 << (36 - integer_bits)); /* -32.0 */
        if (a < clamp)
            result = 0;
    }
    if (a == 0)
        result = INT32_MAX; /* One() in Q0.31 */
    return result;
}

static int32_t rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

int32_t hil_one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    /* F0 = Q0.31, F2 = Q2.29 */
    const int32_t half_denominator = rounding_half_sum(a, INT32_MAX);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    int32_t x =
        hil_wadd(constant_48_over_17, hil_srdhm(half_denominator, constant_neg_32_over_17));
    for (int i = 0; i < 3; i++) {
        const int32_t half_denominator_times_x = hil_srdhm(half_denominator, x);
        const int32_t one_minus_half_denominator_times_x =
            hil_wsub((int32_t)1 << 29, half_denominator_times_x);
        /* x * (1 - d*x) is Q4.27; Rescale<2> is a saturating left shift by 2 */
        x = hil_wadd(x, hil_srmulpot(hil_srdhm(x, one_minus_half_denominator_times_x), 2));
    }
    /* ExactMulByPot<-1> (Q2 -> Q1), then Rescale<0>: saturating left shift by 1 */
    return hil_srmulpot(x, 1);
}

/* ---- elementwise broadcasting ---- */

static void extend_shape(const int32_t *d, unsigned n, uint32_t *out)
{
    for (unsigned i = 0; i < HIL_BCAST_DIMS; i++)
        out[i] = 1;
    for (unsigned i = 0; i < n && i < HIL_BCAST_DIMS; i++)
        out[HIL_BCAST_DIMS - n + i] = (uint32_t)d[i];
}

int hil_bcast_prepare(const int32_t *d1, unsigned n1, const int32_t *d2, unsigned n2,
                      const int32_t *dout, unsigned nout, hil_bcast_t *bc)
{
    uint32_t e1[HIL_BCAST_DIMS], e2[HIL_BCAST_DIMS], eo[HIL_BCAST_DIMS];
    if (n1 > HIL_BCAST_DIMS || n2 > HIL_BCAST_DIMS || nout > HIL_BCAST_DIMS)
        return -1;
    extend_shape(d1, n1, e1);
    extend_shape(d2, n2, e2);
    extend_shape(dout, nout, eo);
    uint64_t n_in = 1, n_out = 1;
    int same = 1;
    for (unsigned i = 0; i < HIL_BCAST_DIMS; i++) {
        same &= e1[i] == e2[i];
        n_in *= e1[i];
        n_out *= eo[i];
    }
    bc->flat = (uint32_t)n_out; /* element counts are bounded at parse time */
    if (same) {
        bc->broadcast = 0;
        return n_in == n_out ? 0 : -2;
    }
    bc->broadcast = 1;
    uint32_t st1 = 1, st2 = 1;
    for (int i = HIL_BCAST_DIMS - 1; i >= 0; i--) {
        uint32_t d;
        if (e1[i] == e2[i])
            d = e1[i];
        else if (e1[i] == 1)
            d = e2[i];
        else if (e2[i] == 1)
            d = e1[i];
        else
            return -1;
        if (eo[i] != d)
            return -2;
        bc->dims[i] = d;
        bc->s1[i] = e1[i] == d ? st1 : 0;
        bc->s2[i] = e2[i] == d ? st2 : 0;
        st1 *= e1[i];
        st2 *= e2[i];
    }
    return 0;
}
