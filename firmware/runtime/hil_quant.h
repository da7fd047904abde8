/*
 * hil_quant.h - fixed-point helpers, bit-exact with TensorFlow Lite Micro's
 * reference kernels built WITHOUT TFLITE_SINGLE_ROUNDING (TFLM's default):
 * tensorflow/lite/kernels/internal/{quantization_util.cc, common.h, common.cc},
 * tensorflow/lite/kernels/kernel_util.cc and gemmlowp's fixedpoint.h.
 *
 * No libc: frexp() and round() are done on the bits of the IEEE-754 values, with the
 * same results as the C library's (round half away from zero).
 *
 * Integer arithmetic that may overflow in TFLM (where it is undefined behaviour that in
 * practice wraps) is done here in unsigned arithmetic, i.e. with defined wrap-around.
 */
#ifndef HIL_QUANT_H
#define HIL_QUANT_H

#include <stdint.h>

/* C99 frexp(): x = m * 2^e with 0.5 <= |m| < 1 (x finite, non-zero; else m = x, e = 0). */
double hil_frexp(double x, int *e);
/* C99 round() / roundf(): half-way cases away from zero. */
double hil_round(double x);
float hil_roundf(float x);
/* 1 if x is finite (not inf, not NaN). */
int hil_isfinite_f(float x);

/* TFLite QuantizeMultiplier (quantization_util.cc, double-rounding build). */
void hil_quantize_multiplier(double real_multiplier, int32_t *quantized_multiplier,
                             int *shift);

/* Wrapping int32 arithmetic (what TFLM's overflowing int32 operations do in practice). */
static inline int32_t hil_wadd(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}
static inline int32_t hil_wsub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}
static inline int32_t hil_wmul(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a * (uint32_t)b);
}
/* x * (1 << s) with wrap-around; s >= 32 gives 0. */
static inline int32_t hil_wshl(int32_t x, int s)
{
    return s >= 32 ? 0 : (int32_t)((uint32_t)x << s);
}

/* gemmlowp::SaturatingRoundingDoublingHighMul (int32). */
static inline int32_t hil_srdhm(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp::RoundingDivideByPOT (int32), 0 <= exponent <= 31. */
static inline int32_t hil_rdivpot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLM MultiplyByQuantizedMultiplier(int32_t x, ...), double-rounding version. */
static inline int32_t hil_mbqm(int32_t x, int32_t quantized_multiplier, int shift)
{
    int left_shift = shift > 0 ? shift : 0;
    int right_shift = shift > 0 ? 0 : -shift;
    return hil_rdivpot(hil_srdhm(hil_wshl(x, left_shift), quantized_multiplier),
                       right_shift);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> (int32): exponent > 0 saturating
 * left shift, exponent < 0 rounding right shift. |exponent| <= 31. */
static inline int32_t hil_srmulpot(int32_t x, int exponent)
{
    if (exponent == 0)
        return x;
    if (exponent < 0)
        return hil_rdivpot(x, -exponent);
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold)
        return INT32_MAX;
    if (x < -threshold)
        return INT32_MIN;
    return hil_wshl(x, exponent);
}

/* gemmlowp exp_on_negative_values(FixedPoint<int32, integer_bits>) -> Q0.31;
 * 0 <= integer_bits <= 30. */
int32_t hil_exp_on_negative_values(int32_t a, int integer_bits);

/* gemmlowp one_over_one_plus_x_for_x_in_0_1(Q0.31) -> Q0.31. */
int32_t hil_one_over_one_plus_x_for_x_in_0_1(int32_t a);

/* Fused activation codes (TFLite ActivationFunctionType). */
enum {
    HIL_ACT_NONE = 0,
    HIL_ACT_RELU = 1,
    HIL_ACT_RELU_N1_TO_1 = 2,
    HIL_ACT_RELU6 = 3,
    HIL_ACT_TANH = 4,
    HIL_ACT_SIGN_BIT = 5,
};

/* TFLite CalculateActivationRangeQuantized for an output in [qmin, qmax] with the given
 * scale / zero point. Returns 0; -1 where TFLite's prepare fails (a quantized bound does
 * not fit an int32); -2 if the activation is not NONE/RELU/RELU6/RELU_N1_TO_1 (TFLite
 * silently ignores TANH/SIGN_BIT there; hilbench-rt refuses them). */
int hil_activation_range(int activation, float scale, int32_t zero_point, int32_t qmin,
                         int32_t qmax, int32_t *act_min, int32_t *act_max);

/* ---- elementwise broadcasting of two inputs (ADD, MUL) ----
 * TFLM's ProcessBroadcastShapes + NdArrayDescsForElementwiseBroadcast: shapes are
 * right-aligned and extended with 1s to HIL_BCAST_DIMS; equal extended shapes are a flat
 * elementwise loop, else every dimension must match or be 1 in one input (stride 0). */
#define HIL_BCAST_DIMS 6
typedef struct {
    uint32_t dims[HIL_BCAST_DIMS]; /* extended output shape (broadcast only) */
    uint32_t s1[HIL_BCAST_DIMS];   /* element strides of input 1 (0: broadcast) */
    uint32_t s2[HIL_BCAST_DIMS];   /* element strides of input 2 */
    uint32_t flat;                 /* elements of the output */
    uint32_t broadcast;            /* 0: flat loop over `flat` elements */
} hil_bcast_t;

/* Fill bc from the shapes (ndims <= HIL_BCAST_DIMS each). Returns 0, or -1 if the input
 * shapes do not broadcast, or -2 if the output is not their broadcast shape (same
 * element count for equal input shapes, same extended shape otherwise). */
int hil_bcast_prepare(const int32_t *d1, unsigned n1, const int32_t *d2, unsigned n2,
                      const int32_t *dout, unsigned nout, hil_bcast_t *bc);

#endif
