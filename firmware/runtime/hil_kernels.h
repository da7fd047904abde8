/*
 * hil_kernels.h - optimised int8 inner loops of hilbench-rt, selected at build time.
 *
 *   -DHIL_USE_DSP   Arm DSP extension (Cortex-M4 / M7 / M33 / M55): SMLAD, SXTB16, SXTAB16,
 *                   SMLAxy, SSAT through ACLE (arm_acle.h); the hot loops and the 64-bit
 *                   requantization as inline asm (hil_kernels_dsp_*.c).
 *   -DHIL_USE_MVE   Arm Helium / MVE-I (Cortex-M55): the same kernels on arm_mve.h
 *                   intrinsics (VMLADAVA, VMULLB/T, VQRDMULH, VRSHL, tail predication) in
 *                   hil_kernels_mve.c, which then replaces hil_kernels_dsp_*.c; the scalar
 *                   helpers below (ADD's requantization) stay on the DSP extension.
 *   (none)          the portable C kernels in ops/ (the reference: host, RISC-V).
 *
 * With -DHIL_USE_DSP on a compiler without __ARM_FEATURE_DSP (the host), the same
 * optimised kernels are built on C emulations of those instructions (exact, with the
 * instructions' wrap-around), so that the sanitizer build and the tflite-micro test
 * suites exercise them on the host too.
 *
 * Every optimised kernel gives exactly the bytes of the portable one (TFLM's reference
 * kernels): see README.md, "Optimised kernels", for the arithmetic proofs.
 */
#ifndef HIL_KERNELS_H
#define HIL_KERNELS_H

#include <stdint.h>

#include "hil_conv_util.h"
#include "hil_quant.h"

/* PopulateConvolutionQuantizationParams' per-channel multipliers (as hil_conv_multipliers,
 * the same double arithmetic), with the shifts stored as int8 to keep the arena small:
 * call it only after hil_conv_multipliers accepted the op (then -31 <= shift <= 30). */
static inline void hil_k_channel_multipliers(const hil_rt_t *rt, const hil_tensor_t *input,
                                             const hil_tensor_t *filter,
                                             const hil_tensor_t *output, uint32_t channels,
                                             int32_t *mult, int8_t *shift)
{
    const int per_channel = filter->nscales > 1;
    for (uint32_t c = 0; c < channels; c++) {
        const double effective = (double)input->scale *
                                 (double)hil_tensor_scale(rt, filter, per_channel ? c : 0) /
                                 (double)output->scale;
        int32_t m = 0;
        int s = 0;
        if (effective < 1073741824.0)
            hil_quantize_multiplier(effective, &m, &s);
        mult[c] = m;
        shift[c] = (int8_t)s;
    }
}

/* Bytes of a per-channel requantization table: int32 multipliers, int8 shifts (4-aligned). */
static inline uint64_t hil_k_channel_bytes(uint64_t channels)
{
    return 4u * channels + ((channels + 3u) & ~(uint64_t)3u);
}

#if defined(HIL_USE_MVE)
#if !defined(__ARM_FEATURE_MVE) || !(__ARM_FEATURE_MVE & 1) || !defined(__ARM_FEATURE_DSP)
#error                                                                                     \
    "HIL_USE_MVE needs a compiler targeting MVE-I and the DSP extension (-mcpu=cortex-m55)"
#endif
#define HIL_KERNELS_MVE 1
#else
#define HIL_KERNELS_MVE 0
#endif

#if defined(HIL_USE_DSP) || defined(HIL_USE_MVE)
#define HIL_KERNELS_OPT 1
#if defined(__ARM_FEATURE_DSP)
#define HIL_DSP_NATIVE 1
#include <arm_acle.h>
#else
#define HIL_DSP_NATIVE 0
#endif
#else
#define HIL_KERNELS_OPT 0
#endif

#if HIL_KERNELS_OPT

#define HIL_K_INLINE static inline __attribute__((always_inline))

/* ---- SIMD primitives: 32-bit words holding 4 int8 or 2 int16 lanes ---- */

/* Unaligned little-endian 32-bit load (one LDR on Cortex-M3 and up). */
HIL_K_INLINE uint32_t hil_k_ld32(const void *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

HIL_K_INLINE void hil_k_st32(void *p, uint32_t v)
{
    __builtin_memcpy(p, &v, 4);
}

#if HIL_DSP_NATIVE
/* lanes: sign-extended bytes 0 and 2 */
HIL_K_INLINE uint32_t hil_k_sxtb16(uint32_t x)
{
    return (uint32_t)__sxtb16((int8x4_t)x);
}
/* lanes: sign-extended bytes 1 and 3 */
HIL_K_INLINE uint32_t hil_k_sxtb16_r8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
/* lanes of a plus the sign-extended bytes 0 and 2 of x (16-bit wrap) */
HIL_K_INLINE uint32_t hil_k_sxtab16(uint32_t a, uint32_t x)
{
    return (uint32_t)__sxtab16((int16x2_t)a, (int8x4_t)x);
}
/* lanes of a plus the sign-extended bytes 1 and 3 of x */
HIL_K_INLINE uint32_t hil_k_sxtab16_r8(uint32_t a, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}
/* acc + lo(x) * lo(y) + hi(x) * hi(y), wrapping */
HIL_K_INLINE int32_t hil_k_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlad((int16x2_t)x, (int16x2_t)y, acc);
}
HIL_K_INLINE int32_t hil_k_smlabb(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlabb((int32_t)x, (int32_t)y, acc);
}
HIL_K_INLINE int32_t hil_k_smlatt(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlatt((int32_t)x, (int32_t)y, acc);
}
#define hil_k_ssat8(v) __ssat((v), 8)

#else /* C emulations, exact */

HIL_K_INLINE int32_t hil_k_lane(uint32_t x, int hi)
{
    return (int32_t)(int16_t)(uint16_t)(hi ? x >> 16 : x);
}
HIL_K_INLINE uint32_t hil_k_byte(uint32_t x, int i)
{
    return (uint32_t)(int32_t)(int8_t)(uint8_t)(x >> (8 * i));
}
HIL_K_INLINE uint32_t hil_k_sxtb16(uint32_t x)
{
    return (hil_k_byte(x, 0) & 0xFFFFu) | (hil_k_byte(x, 2) << 16);
}
HIL_K_INLINE uint32_t hil_k_sxtb16_r8(uint32_t x)
{
    return (hil_k_byte(x, 1) & 0xFFFFu) | (hil_k_byte(x, 3) << 16);
}
HIL_K_INLINE uint32_t hil_k_sxtab16(uint32_t a, uint32_t x)
{
    return ((a + hil_k_byte(x, 0)) & 0xFFFFu) | (((a >> 16) + hil_k_byte(x, 2)) << 16);
}
HIL_K_INLINE uint32_t hil_k_sxtab16_r8(uint32_t a, uint32_t x)
{
    return ((a + hil_k_byte(x, 1)) & 0xFFFFu) | (((a >> 16) + hil_k_byte(x, 3)) << 16);
}
HIL_K_INLINE int32_t hil_k_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(hil_k_lane(x, 0) * hil_k_lane(y, 0)) +
                     (uint32_t)(hil_k_lane(x, 1) * hil_k_lane(y, 1)));
}
HIL_K_INLINE int32_t hil_k_smlabb(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(hil_k_lane(x, 0) * hil_k_lane(y, 0)));
}
HIL_K_INLINE int32_t hil_k_smlatt(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(hil_k_lane(x, 1) * hil_k_lane(y, 1)));
}
HIL_K_INLINE int32_t hil_k_ssat8(int32_t v)
{
    return v < -128 ? -128 : v > 127 ? 127 : v;
}
#endif

/* Both lanes = v (an int16 value, e.g. the input offset -zp in [-127, 128]). */
HIL_K_INLINE uint32_t hil_k_dup16(int32_t v)
{
    return ((uint32_t)v & 0xFFFFu) * 0x00010001u;
}

/* ---- requantization: TFLM's MultiplyByQuantizedMultiplier (double rounding) ----
 *
 * For a channel with multiplier m (QuantizeMultiplier: 0 or in [2^30, 2^31)) and shift s:
 * a = x << max(s, 0) (wrapping), e = max(-s, 0). TFLM computes
 *   y = SaturatingRoundingDoublingHighMul(a, m) = floor((a*m + 2^30) / 2^31)
 *   (its nudge and truncating division give this for both signs; the saturating case
 *   a = m = INT32_MIN cannot occur since m >= 0), then
 *   RoundingDivideByPOT(y, e) = floor((y + 2^(e-1) - [y < 0]) / 2^e)   (e >= 1).
 * Nested floors merge (floor((floor(z/p) + c) / q) = floor((z + c p) / (p q))), so for
 * e >= 1 the result is
 *   (a*m + 2^30 + 2^(e+30) - [a < 0] 2^31) >> (31 + e)
 *   = (int32)(that >> 32) >> (e - 1),
 * where [y < 0] was replaced by [a < 0]: they differ only when y = 0 (a < 0 with
 * a*m >= -2^30), and then both choices give 0. No int64 overflow: |a m| < 2^62.
 * So one SMLAL into the 64-bit constant C_e = 2^30 + 2^(e+30), corrected by -2^31 when
 * a < 0, and one arithmetic shift of the high word. e = 0 (s >= 0) takes the plain
 * (a*m + 2^30) >> 31. */
typedef struct {
    int32_t m;    /* multiplier */
    int32_t ls;   /* left shift, >= 0 */
    int32_t e1;   /* right shift e minus 1; -1 when e = 0 */
    uint32_t clo; /* C_e low word (e >= 1) */
    int32_t chi;  /* C_e high word */
} hil_k_rq_t;

HIL_K_INLINE void hil_k_rq_init(hil_k_rq_t *q, int32_t m, int32_t shift)
{
    const uint32_t e = shift < 0 ? (uint32_t)-shift : 0u; /* <= 31 (QuantizeMultiplier) */
    q->m = m;
    q->ls = shift > 0 ? shift : 0;
    if (shift >= 32) { /* x << shift wraps to 0 (hil_wshl), and the result is 0 */
        q->m = 0;
        q->ls = 0;
    }
    q->e1 = (int32_t)e - 1;
    const uint32_t p = 1u << e;
    q->clo = 0x40000000u + (p << 30); /* + 2^31 when e == 1 */
    q->chi = (int32_t)(p >> 2);       /* 2^(e-2) when e >= 2 */
}

/* High word of (a*m + C_e - [a < 0] 2^31). */
HIL_K_INLINE int32_t hil_k_rq_hi(int32_t a, int32_t m, uint32_t clo, int32_t chi)
{
#if HIL_DSP_NATIVE
    uint32_t lo, t;
    int32_t hi;
    __asm__("and %[t], %[a], #0x80000000\n\t"
            "adds %[lo], %[clo], %[t]\n\t"
            "adc %[hi], %[chi], %[a], asr #31\n\t"
            "smlal %[lo], %[hi], %[a], %[m]"
            : [lo] "=&r"(lo), [hi] "=&r"(hi), [t] "=&r"(t)
            : [a] "r"(a), [m] "r"(m), [clo] "r"(clo), [chi] "r"(chi)
            : "cc");
    (void)lo;
    return hi;
#else
    const int64_t c = (int64_t)(((uint64_t)(uint32_t)chi << 32) | clo);
    const int64_t z = c + (int64_t)(int32_t)((uint32_t)a & 0x80000000u) + (int64_t)a * m;
    return (int32_t)(z >> 32);
#endif
}

/* MultiplyByQuantizedMultiplier(acc, m, shift) for the channel prepared in q. */
HIL_K_INLINE int32_t hil_k_rq(int32_t acc, const hil_k_rq_t *q)
{
    const int32_t a = (int32_t)((uint32_t)acc << q->ls);
    if (q->e1 >= 0)
        return hil_k_rq_hi(a, q->m, q->clo, q->chi) >> q->e1;
    return (int32_t)(((int64_t)a * q->m + (1 << 30)) >> 31);
}

/* Output stage shared by the kernels: zero point, activation clamp. */
typedef struct {
    int32_t zp;
    int32_t act_min, act_max;
} hil_k_out_t;

HIL_K_INLINE int8_t hil_k_out(int32_t v, const hil_k_out_t *o)
{
    v += o->zp; /* |v| < 2^31 - 2^8 after a requantization: no overflow */
    if (v < o->act_min)
        v = o->act_min;
    if (v > o->act_max)
        v = o->act_max;
    return (int8_t)v;
}

/* ---- helpers shared by hil_kernels_dsp_*.c and hil_kernels_mve.c ---- */

/* Bias of output channel oc: int32 at bias + 4 oc, possibly unaligned; NULL = zeros. */
static inline int32_t hil_k_ld_bias(const uint8_t *bias, uint32_t oc)
{
    return bias ? (int32_t)hil_k_ld32(bias + 4u * oc) : 0;
}

/* First and one past the last output index whose whole window (eff taps wide) is inside
 * [0, size) along one dimension. */
static inline void hil_k_interior_range(int32_t out, int32_t stride, int32_t pad,
                                        int32_t eff, int32_t size, int32_t *lo, int32_t *hi)
{
    int32_t l = 0, h = out;
    while (l < out && l * stride - pad < 0)
        l++;
    while (h > l && (h - 1) * stride - pad + eff > size)
        h--;
    *lo = l;
    *hi = h;
}

/* The interior output pixels of geometry w (every tap inside the input): rows
 * [*ylo, *yhi), columns [*xlo, *xhi). */
static inline void hil_k_window_interior(const hil_window_t *w, int32_t *ylo, int32_t *yhi,
                                         int32_t *xlo, int32_t *xhi)
{
    hil_k_interior_range(w->out_h, w->stride_h, w->pad_h, (w->f_h - 1) * w->dil_h + 1,
                         w->in_h, ylo, yhi);
    hil_k_interior_range(w->out_w, w->stride_w, w->pad_w, (w->f_w - 1) * w->dil_w + 1,
                         w->in_w, xlo, xhi);
}

/* ---- kernels (hil_kernels_dsp_*.c, or hil_kernels_mve.c with HIL_USE_MVE; the im2col
 * plan and layout, shared by both, in hil_kernels_pack.c) ---- */

/* Per-channel parameters of a convolution-like op. */
typedef struct {
    const int32_t *mult;  /* [out_c] */
    const int8_t *shift;  /* [out_c] */
    const uint8_t *bias;  /* int32 [out_c], possibly unaligned; NULL = zeros */
    int32_t input_offset; /* -input zero point */
    hil_k_out_t out;
} hil_k_conv_params_t;

/* out[j * out_stride + oc] = requantized bias[oc] + sum_k w[oc][k] (x[j][k] + input_offset)
 * for j < n columns of K int8 each (x[j] at x + j K), K % 4 == 0: a pointwise (1x1,
 * stride 1) convolution or a batched FULLY_CONNECTED with per-channel requantization. */
void hil_k_gemm(const int8_t *x, uint32_t n, uint32_t K, const int8_t *w, uint32_t out_c,
                const hil_k_conv_params_t *p, int8_t *out, uint32_t out_stride);

/* CONV_2D with groups == 1 and in_c % 4 == 0, directly on the NHWC input (no scratch):
 * output[b][oy][ox][oc] = requantized bias + sum over the taps inside the input (TFLM's
 * clipped window) of filter[oc][fy][fx][ic] * (input + input_offset). */
void hil_k_conv_direct(const hil_window_t *w, const int8_t *input, const int8_t *filter,
                       const hil_k_conv_params_t *p, int8_t *output);

/* DEPTHWISE_CONV_2D with depth multiplier 1 and channels % 4 == 0 (and at most 25 taps):
 * hil_k_dwconv_supported() says whether hil_k_dwconv() takes the op. 3x3 windows whose
 * columns stay within one pixel of the input use a ring of three padded input rows of
 * hil_k_dw_ring_bytes() bytes (0: not this path) from the arena; ring NULL: no ring. */
int hil_k_dwconv_supported(const hil_window_t *w, int32_t depth_multiplier);
uint32_t hil_k_dw_ring_bytes(const hil_window_t *w, int32_t depth_multiplier);
void hil_k_dwconv(const hil_window_t *w, const int8_t *input, const int8_t *filter,
                  const hil_k_conv_params_t *p, uint32_t *ring, int8_t *output);

/* CONV_2D with groups == 1 through an im2col of a few output pixels (for in_c % 4 != 0,
 * e.g. a first layer on RGB or a 1-channel spectrogram): each column holds the window's
 * K = f_h f_w in_c input bytes, the zero point where a tap is outside the input (then
 * x + offset = 0, as TFLM skipping the tap) and 0 up to kp = K rounded up to 4; the
 * filter is copied with rows of kp bytes (zero padded) and the input offset folded into
 * the biases (fb = bias + offset * sum(w)), all at prepare, in the arena. */
typedef struct {
    uint32_t K, kp; /* kp == 0: path unused */
    uint32_t ncols; /* columns per scratch block (even) */
    uint32_t out_c;
    int32_t *fb;     /* [out_c] */
    int8_t *wk;      /* [out_c][kp] */
    int8_t *scratch; /* [ncols][kp] */
} hil_k_im2col_t;

/* Plan the path for geometry w: fills ic's sizes and returns the arena bytes it needs
 * (0: not worth it / too large, then ic->kp = 0). */
uint32_t hil_k_im2col_plan(const hil_window_t *w, hil_k_im2col_t *ic);
/* Lay out ic in mem (the planned bytes, 4-byte aligned): copy the filter, fold biases. */
void hil_k_im2col_init(hil_k_im2col_t *ic, uint8_t *mem, const uint8_t *filter,
                       const uint8_t *bias, int32_t input_offset);
void hil_k_conv_im2col(const hil_window_t *w, const int8_t *input, const hil_k_im2col_t *ic,
                       const hil_k_conv_params_t *p, int8_t *output);

/* FULLY_CONNECTED, filter zero point 0, K % 4 == 0: out[b][oc] = requantized bias[oc] +
 * sum_k w[oc][k] (x[b][k] + input_offset); per_channel: mult / shift per output, else
 * mult[0] / shift[0] for all. */
void hil_k_fc(const int8_t *x, uint32_t batches, uint32_t K, const int8_t *w,
              uint32_t out_depth, const hil_k_conv_params_t *p, uint32_t per_channel,
              int8_t *out);

/* Pointwise CONV_2D (1x1, stride 1) / batched GEMM with K % 4 == 0: two pixels at a time
 * widened to int16 (with the input offset) in `scratch` (hil_k_pointwise_scratch_bytes(K)
 * bytes, 4-byte aligned; 0: not worth it, use hil_k_gemm), then every output channel pair
 * against them.
 * Same result as hil_k_gemm. */
uint32_t hil_k_pointwise_scratch_bytes(uint32_t K);
void hil_k_pointwise(const int8_t *x, uint32_t n, uint32_t K, const int8_t *w,
                     uint32_t out_c, const hil_k_conv_params_t *p, uint32_t *scratch,
                     int8_t *out);

#endif /* HIL_KERNELS_OPT */

#endif
