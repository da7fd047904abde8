/*
 * hil_kernels_mve.c - optimised int8 kernels on Arm Helium (M-profile Vector Extension,
 * Cortex-M55), ACLE intrinsics of arm_mve.h. Built only with -DHIL_USE_MVE on a compiler
 * targeting MVE-I (-mcpu=cortex-m55); otherwise this file is empty. Same API as
 * hil_kernels_dsp_*.c (hil_kernels.h), which are not built in that case; the im2col plan and
 * layout are shared with it (hil_kernels_pack.c); the ADD kernel keeps the scalar DSP
 * requantization of hil_kernels.h.
 *
 * Arithmetic (README.md, "Helium (MVE) kernels"):
 * - dot products: VMLADAVA.S8 adds the 16 int8 x int8 products of two vectors to a
 *   32-bit register modulo 2^32 (TFLM's int32 accumulation with its wrap-around; the
 *   order of the additions does not matter modulo 2^32). The input offset is folded:
 *   sum w (x + off) = sum w x + off sum w (mod 2^32), with sum w over every tap the
 *   accumulator covers (whole windows: once per channel; clipped border windows: VADDVA
 *   of the taps inside, in the same loop). Tails: VCTP8 predicates with zeroing loads
 *   (inactive lanes are 0: no contribution, nothing read past the data).
 * - depthwise: 8 channels in int16 lanes (VLDRB.S16), x + off in [-255, 255] exact in
 *   int16, VMULLB / VMULLT.S16 give the exact int32 products of the even / odd lanes,
 *   added (modulo 2^32) to two int32x4 accumulators.
 * - requantization, 4 lanes: a = acc << ls (VSHL, wraps; ls >= 32 gives 0);
 *   VQRDMULH(a, m) = floor((a m + 2^30) / 2^31) = SaturatingRoundingDoublingHighMul
 *   (m >= 0: never saturates); RoundingDivideByPOT(y, e) = floor((y + 2^(e-1) - [y<0])
 *   / 2^e) = VRSHL(y - [y<0 and e>0], -e) (VRSHL rounds half up without overflow; the
 *   -1 is a saturating add, exact except for y = INT32_MIN, where both give the same
 *   result for e >= 1); + zero point (wrapping), clamp, narrowing store.
 */
#include "hil_kernels.h"

#if HIL_KERNELS_MVE

#include <arm_mve.h>

#include "hil_rt_internal.h"

/* ---- requantization of 4 lanes ---- */
typedef struct {
    int32x4_t m;  /* multipliers */
    int32x4_t ls; /* left shifts, >= 0 */
    int32x4_t ne; /* minus the right shifts, <= 0 */
} rq4_t;

/* Lanes c0 .. c0 + 3 * step (per_channel), else channel 0 everywhere; lanes at or after
 * `valid` repeat the last valid one. */
static inline void rq4_load(rq4_t *q, const hil_k_conv_params_t *p, uint32_t c0,
                            uint32_t step, uint32_t valid, int per_channel)
{
    int32_t m[4] __attribute__((aligned(8))), ls[4] __attribute__((aligned(8))),
        ne[4] __attribute__((aligned(8)));
    for (uint32_t i = 0; i < 4; i++) {
        const uint32_t c = per_channel ? c0 + step * (i < valid ? i : valid - 1u) : 0u;
        const int32_t s = p->shift[c];
        m[i] = p->mult[c];
        ls[i] = s > 0 ? s : 0;
        ne[i] = s < 0 ? s : 0;
    }
    q->m = vldrwq_s32(m);
    q->ls = vldrwq_s32(ls);
    q->ne = vldrwq_s32(ne);
}

HIL_K_INLINE int32x4_t rq4(int32x4_t acc, const rq4_t *q, const hil_k_out_t *o)
{
    const int32x4_t a = vshlq_s32(acc, q->ls);
    int32x4_t y = vqrdmulhq_s32(a, q->m);
    const int32x4_t fix = vshrq_n_s32(vandq_s32(y, q->ne), 31); /* -1: y < 0 and e > 0 */
    y = vrshlq_s32(vqaddq_s32(y, fix), q->ne);
    y = vaddq_n_s32(y, o->zp);
    y = vmaxq_s32(y, vdupq_n_s32(o->act_min));
    return vminq_s32(y, vdupq_n_s32(o->act_max));
}

HIL_K_INLINE int32x4_t vec4(int32_t a0, int32_t a1, int32_t a2, int32_t a3)
{
    int32x4_t v = vdupq_n_s32(a0);
    v = vsetq_lane_s32(a1, v, 1);
    v = vsetq_lane_s32(a2, v, 2);
    return vsetq_lane_s32(a3, v, 3);
}

/* store lanes 0 .. n-1 (n <= 4) of v as int8 */
HIL_K_INLINE void st4(int8_t *d, int32x4_t v, uint32_t n)
{
    if (n >= 4)
        vstrbq_s32(d, v);
    else
        vstrbq_p_s32(d, v, vctp32q(n));
}

/* ---- dot products: one column against four rows ----
 * a[r] += sum_{k < len} w_r[k] x[k]; with_sum: s[r] += sum_k w_r[k]. */
HIL_K_INLINE void dot1x4(const int8_t *x, const int8_t *w0, const int8_t *w1,
                         const int8_t *w2, const int8_t *w3, uint32_t len, int32_t *a,
                         int32_t *s, int with_sum)
{
    int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (uint32_t n = len >> 4; n; n--) {
        const int8x16_t xv = vldrbq_s8(x);
        x += 16;
        int8x16_t v = vldrbq_s8(w0);
        w0 += 16;
        a0 = vmladavaq_s8(a0, v, xv);
        if (with_sum)
            s0 = vaddvaq_s8(s0, v);
        v = vldrbq_s8(w1);
        w1 += 16;
        a1 = vmladavaq_s8(a1, v, xv);
        if (with_sum)
            s1 = vaddvaq_s8(s1, v);
        v = vldrbq_s8(w2);
        w2 += 16;
        a2 = vmladavaq_s8(a2, v, xv);
        if (with_sum)
            s2 = vaddvaq_s8(s2, v);
        v = vldrbq_s8(w3);
        w3 += 16;
        a3 = vmladavaq_s8(a3, v, xv);
        if (with_sum)
            s3 = vaddvaq_s8(s3, v);
    }
    if (len & 15u) {
        const mve_pred16_t pr = vctp8q(len & 15u);
        const int8x16_t xv = vldrbq_z_s8(x, pr);
        int8x16_t v = vldrbq_z_s8(w0, pr);
        a0 = vmladavaq_s8(a0, v, xv);
        if (with_sum)
            s0 = vaddvaq_s8(s0, v);
        v = vldrbq_z_s8(w1, pr);
        a1 = vmladavaq_s8(a1, v, xv);
        if (with_sum)
            s1 = vaddvaq_s8(s1, v);
        v = vldrbq_z_s8(w2, pr);
        a2 = vmladavaq_s8(a2, v, xv);
        if (with_sum)
            s2 = vaddvaq_s8(s2, v);
        v = vldrbq_z_s8(w3, pr);
        a3 = vmladavaq_s8(a3, v, xv);
        if (with_sum)
            s3 = vaddvaq_s8(s3, v);
    }
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
    if (with_sum) {
        s[0] += s0;
        s[1] += s1;
        s[2] += s2;
        s[3] += s3;
    }
}

/* sum of the int8 row w[0 .. len) (|sum| <= 128 len: no overflow for the sizes here;
 * the caller multiplies it by the offset with wrap-around) */
static int32_t row_sum(const int8_t *w, uint32_t len)
{
    int32_t s = 0;
    for (uint32_t n = len >> 4; n; n--, w += 16)
        s = vaddvaq_s8(s, vldrbq_s8(w));
    if (len & 15u)
        s = vaddvaq_s8(s, vldrbq_z_s8(w, vctp8q(len & 15u)));
    return s;
}

/* rows oc .. oc + 3 of w (stride ws), the ones past out_c repeat the last */
HIL_K_INLINE void rows4(const int8_t *w, uint32_t ws, uint32_t oc, uint32_t out_c,
                        const int8_t **r)
{
    for (uint32_t i = 0; i < 4; i++) {
        const uint32_t c = oc + i < out_c ? oc + i : out_c - 1u;
        r[i] = w + (size_t)c * ws;
    }
}

/* fb[i] = bias + off * sum(row i), wrapping (the folded input offset) */
HIL_K_INLINE int32x4_t fold4(const hil_k_conv_params_t *p, const int8_t *const *r,
                             uint32_t len, uint32_t oc, uint32_t out_c)
{
    int32_t fb[4];
    for (uint32_t i = 0; i < 4; i++) {
        const uint32_t c = oc + i < out_c ? oc + i : out_c - 1u;
        fb[i] = hil_wadd(hil_k_ld_bias(p->bias, c),
                         hil_wmul(p->input_offset, row_sum(r[i], len)));
    }
    return vec4(fb[0], fb[1], fb[2], fb[3]);
}

/* ---- GEMM: n columns of K bytes (stride xs) against out_c rows of K bytes (stride ws),
 * offset folded into fb (per output channel: fbs if given, else computed) ---- */
static void gemm_cols(const int8_t *x, uint32_t n, uint32_t xs, uint32_t K, const int8_t *w,
                      uint32_t ws, uint32_t out_c, const int32_t *fbs,
                      const hil_k_conv_params_t *p, int8_t *out, uint32_t out_stride)
{
    const hil_k_out_t o = p->out;
    for (uint32_t oc = 0; oc < out_c; oc += 4) {
        const uint32_t nv = out_c - oc < 4u ? out_c - oc : 4u;
        const int8_t *r[4];
        rows4(w, ws, oc, out_c, r);
        int32x4_t fb;
        if (fbs) {
            int32_t t[4];
            for (uint32_t i = 0; i < 4; i++)
                t[i] = fbs[i < nv ? oc + i : oc + nv - 1u];
            fb = vec4(t[0], t[1], t[2], t[3]);
        } else {
            fb = fold4(p, r, K, oc, out_c);
        }
        rq4_t q;
        rq4_load(&q, p, oc, 1, nv, 1);
        const int8_t *xj = x;
        int8_t *d = out + oc;
        for (uint32_t j = 0; j < n; j++, xj += xs, d += out_stride) {
            int32_t a[4] = {0, 0, 0, 0};
            dot1x4(xj, r[0], r[1], r[2], r[3], K, a, NULL, 0);
            const int32x4_t acc = vaddq_s32(fb, vec4(a[0], a[1], a[2], a[3]));
            st4(d, rq4(acc, &q, &o), nv);
        }
    }
}

void hil_k_gemm(const int8_t *x, uint32_t n, uint32_t K, const int8_t *w, uint32_t out_c,
                const hil_k_conv_params_t *p, int8_t *out, uint32_t out_stride)
{
    gemm_cols(x, n, K, K, w, K, out_c, NULL, p, out, out_stride);
}

uint32_t hil_k_pointwise_scratch_bytes(uint32_t K)
{
    (void)K;
    return 0; /* the int8 GEMM above for every pointwise layer */
}

void hil_k_pointwise(const int8_t *x, uint32_t n, uint32_t K, const int8_t *w,
                     uint32_t out_c, const hil_k_conv_params_t *p, uint32_t *scratch,
                     int8_t *out)
{
    (void)scratch;
    hil_k_gemm(x, n, K, w, out_c, p, out, out_c);
}

/* ---- CONV_2D, groups 1, directly on the NHWC input ----
 * Interior pixels (every tap inside): the offset folded once per channel, one dot product
 * per filter row (f_w * in_c contiguous bytes when dil_w = 1). Border pixels: the runs of
 * taps inside the input, with the sum of their weights (offset added as off * sum). */

void hil_k_conv_direct(const hil_window_t *wp, const int8_t *input, const int8_t *filter,
                       const hil_k_conv_params_t *p, int8_t *output)
{
    const hil_window_t g = *wp;
    const uint32_t in_c = (uint32_t)g.in_c, out_c = (uint32_t)g.out_c;
    const uint32_t f_row = (uint32_t)g.f_w * in_c;
    const uint32_t K = (uint32_t)g.f_h * f_row;
    const size_t in_row = (size_t)g.in_w * in_c;
    const hil_k_out_t o = p->out;
    const int32_t off = p->input_offset;
    int32_t ylo, yhi, xlo, xhi;
    hil_k_window_interior(&g, &ylo, &yhi, &xlo, &xhi);
    for (uint32_t oc = 0; oc < out_c; oc += 4) {
        const uint32_t nv = out_c - oc < 4u ? out_c - oc : 4u;
        const int8_t *r[4];
        rows4(filter, K, oc, out_c, r);
        const int32x4_t fb = fold4(p, r, K, oc, out_c);
        int32_t b4[4];
        for (uint32_t i = 0; i < 4; i++)
            b4[i] = hil_k_ld_bias(p->bias, i < nv ? oc + i : oc + nv - 1u);
        const int32x4_t bias = vec4(b4[0], b4[1], b4[2], b4[3]);
        rq4_t q;
        rq4_load(&q, p, oc, 1, nv, 1);
        for (int32_t b = 0; b < g.batches; b++) {
            const int8_t *in_b = input + (size_t)b * (size_t)g.in_h * in_row;
            for (int32_t oy = 0; oy < g.out_h; oy++) {
                const int32_t iy0 = oy * g.stride_h - g.pad_h;
                int8_t *d =
                    output +
                    ((size_t)b * (size_t)g.out_h + (size_t)oy) * (size_t)g.out_w * out_c +
                    oc;
                const int inner_y = oy >= ylo && oy < yhi;
                for (int32_t ox = 0; ox < g.out_w; ox++, d += out_c) {
                    const int32_t ix0 = ox * g.stride_w - g.pad_w;
                    int32_t a[4] = {0, 0, 0, 0};
                    int32x4_t acc;
                    if (inner_y && ox >= xlo && ox < xhi) {
                        const int8_t *xp = in_b + (size_t)iy0 * in_row + (size_t)ix0 * in_c;
                        for (int32_t fy = 0; fy < g.f_h;
                             fy++, xp += (size_t)g.dil_h * in_row) {
                            const size_t fo = (size_t)fy * f_row;
                            if (g.dil_w == 1) {
                                dot1x4(xp, r[0] + fo, r[1] + fo, r[2] + fo, r[3] + fo,
                                       f_row, a, NULL, 0);
                            } else {
                                for (int32_t fx = 0; fx < g.f_w; fx++) {
                                    const size_t fxo = fo + (size_t)fx * in_c;
                                    dot1x4(xp + (size_t)(fx * g.dil_w) * in_c, r[0] + fxo,
                                           r[1] + fxo, r[2] + fxo, r[3] + fxo, in_c, a,
                                           NULL, 0);
                                }
                            }
                        }
                        acc = vaddq_s32(fb, vec4(a[0], a[1], a[2], a[3]));
                    } else {
                        int32_t s[4] = {0, 0, 0, 0};
                        int32_t fy0, fy1, fx0, fx1;
                        hil_window_taps(iy0, g.dil_h, g.f_h, g.in_h, &fy0, &fy1);
                        hil_window_taps(ix0, g.dil_w, g.f_w, g.in_w, &fx0, &fx1);
                        for (int32_t fy = fy0; fy < fy1; fy++) {
                            const int8_t *in_y =
                                in_b + (size_t)(iy0 + g.dil_h * fy) * in_row;
                            if (g.dil_w == 1) {
                                const size_t fo = (size_t)fy * f_row + (size_t)fx0 * in_c;
                                if (fx1 > fx0)
                                    dot1x4(in_y + (size_t)(ix0 + fx0) * in_c, r[0] + fo,
                                           r[1] + fo, r[2] + fo, r[3] + fo,
                                           (uint32_t)(fx1 - fx0) * in_c, a, s, 1);
                            } else {
                                for (int32_t fx = fx0; fx < fx1; fx++) {
                                    const size_t fo =
                                        (size_t)fy * f_row + (size_t)fx * in_c;
                                    dot1x4(in_y + (size_t)(ix0 + g.dil_w * fx) * in_c,
                                           r[0] + fo, r[1] + fo, r[2] + fo, r[3] + fo, in_c,
                                           a, s, 1);
                                }
                            }
                        }
                        /* bias + off * sum(w inside) + sum(w x inside), modulo 2^32 */
                        acc = vaddq_s32(vaddq_s32(bias, vec4(a[0], a[1], a[2], a[3])),
                                        vmulq_n_s32(vec4(s[0], s[1], s[2], s[3]), off));
                    }
                    st4(d, rq4(acc, &q, &o), nv);
                }
            }
        }
    }
}

/* ---- DEPTHWISE_CONV_2D, depth multiplier 1 (any channel count) ----
 * 8 channels per group in int16 lanes; per group the unpacked weights (int16, one vector
 * per tap) on the stack, bias and requantization split into even / odd channels. */
#define DW_MAX_TAPS 25

int hil_k_dwconv_supported(const hil_window_t *w, int32_t depth_multiplier)
{
    return depth_multiplier == 1 && w->f_h * w->f_w <= DW_MAX_TAPS && w->in_c > 0;
}

uint32_t hil_k_dw_ring_bytes(const hil_window_t *w, int32_t depth_multiplier)
{
    (void)w;
    (void)depth_multiplier;
    return 0; /* no row ring on this path */
}

/* x + off for 8 channels at p (tail: only the valid ones are read) */
HIL_K_INLINE int16x8_t dw_ld(const int8_t *p, int16_t off, mve_pred16_t pr, int tail)
{
    const int16x8_t v = tail ? vldrbq_z_s16(p, pr) : vldrbq_s16(p);
    return vaddq_n_s16(v, off);
}

HIL_K_INLINE void dw_mac(int32x4_t *ae, int32x4_t *ao, int16x8_t x, int16x8_t w)
{
    *ae = vaddq_s32(*ae, vmullbq_int_s16(x, w));
    *ao = vaddq_s32(*ao, vmulltq_int_s16(x, w));
}

HIL_K_INLINE void dw_group(const hil_window_t *wp, const int8_t *input, int8_t *output,
                           const int16_t *wc, int32x4_t be, int32x4_t bo, const rq4_t *qe,
                           const rq4_t *qo, const hil_k_out_t *o, int16_t off, uint32_t nv,
                           int32_t ylo, int32_t yhi, int32_t xlo, int32_t xhi, int tail)
{
    const hil_window_t g = *wp;
    const uint32_t C = (uint32_t)g.in_c;
    const size_t in_row = (size_t)g.in_w * C;
    const mve_pred16_t pr = vctp16q(nv);
    const int k3 = g.f_h == 3 && g.f_w == 3 && g.dil_h == 1 && g.dil_w == 1;
    for (int32_t b = 0; b < g.batches; b++) {
        const int8_t *in_b = input + (size_t)b * (size_t)g.in_h * in_row;
        for (int32_t oy = 0; oy < g.out_h; oy++) {
            const int32_t iy0 = oy * g.stride_h - g.pad_h;
            int32_t fy0, fy1;
            hil_window_taps(iy0, g.dil_h, g.f_h, g.in_h, &fy0, &fy1);
            int8_t *d =
                output + ((size_t)b * (size_t)g.out_h + (size_t)oy) * (size_t)g.out_w * C;
            const int inner_y = oy >= ylo && oy < yhi;
            for (int32_t ox = 0; ox < g.out_w; ox++, d += C) {
                const int32_t ix0 = ox * g.stride_w - g.pad_w;
                int32x4_t ae = be, ao = bo;
                if (k3 && inner_y && ox >= xlo && ox < xhi) {
                    const int8_t *pp = in_b + (size_t)iy0 * in_row + (size_t)ix0 * C;
                    for (int r = 0; r < 3; r++, pp += in_row) {
                        dw_mac(&ae, &ao, dw_ld(pp, off, pr, tail), vldrhq_s16(wc + 24 * r));
                        dw_mac(&ae, &ao, dw_ld(pp + C, off, pr, tail),
                               vldrhq_s16(wc + 24 * r + 8));
                        dw_mac(&ae, &ao, dw_ld(pp + 2u * C, off, pr, tail),
                               vldrhq_s16(wc + 24 * r + 16));
                    }
                } else {
                    int32_t fx0, fx1;
                    hil_window_taps(ix0, g.dil_w, g.f_w, g.in_w, &fx0, &fx1);
                    for (int32_t fy = fy0; fy < fy1; fy++) {
                        const int8_t *in_y = in_b + (size_t)(iy0 + g.dil_h * fy) * in_row;
                        const int16_t *wt = wc + 8 * fy * g.f_w;
                        for (int32_t fx = fx0; fx < fx1; fx++)
                            dw_mac(&ae, &ao,
                                   dw_ld(in_y + (size_t)(ix0 + g.dil_w * fx) * C, off, pr,
                                         tail),
                                   vldrhq_s16(wt + 8 * fx));
                    }
                }
                int16x8_t v = vmovnbq_s32(vdupq_n_s16(0), rq4(ae, qe, o));
                v = vmovntq_s32(v, rq4(ao, qo, o));
                if (tail)
                    vstrbq_p_s16(d, v, pr);
                else
                    vstrbq_s16(d, v);
            }
        }
    }
}

void hil_k_dwconv(const hil_window_t *w, const int8_t *input, const int8_t *filter,
                  const hil_k_conv_params_t *p, uint32_t *ring, int8_t *output)
{
    (void)ring;
    const uint32_t C = (uint32_t)w->in_c;
    const uint32_t taps = (uint32_t)(w->f_h * w->f_w);
    const int16_t off = (int16_t)p->input_offset; /* in [-127, 128] */
    const hil_k_out_t o = p->out;
    int32_t ylo, yhi, xlo, xhi;
    /* hil_k_window_interior written out: through the helper GCC 12 allocates this
     * function's registers differently, a few more instructions per inference */
    hil_k_interior_range(w->out_h, w->stride_h, w->pad_h, (w->f_h - 1) * w->dil_h + 1,
                         w->in_h, &ylo, &yhi);
    hil_k_interior_range(w->out_w, w->stride_w, w->pad_w, (w->f_w - 1) * w->dil_w + 1,
                         w->in_w, &xlo, &xhi);
    int16_t wc[8 * DW_MAX_TAPS] __attribute__((aligned(8)));
    for (uint32_t g = 0; g < C; g += 8) {
        const uint32_t nv = C - g < 8u ? C - g : 8u;
        for (uint32_t t = 0; t < taps; t++)
            for (uint32_t k = 0; k < 8; k++)
                wc[8 * t + k] = k < nv ? filter[(size_t)t * C + g + k] : 0;
        int32_t bias[8];
        for (uint32_t k = 0; k < 8; k++)
            bias[k] = hil_k_ld_bias(p->bias, g + (k < nv ? k : nv - 1u));
        const int32x4_t be = vec4(bias[0], bias[2], bias[4], bias[6]);
        const int32x4_t bo = vec4(bias[1], bias[3], bias[5], bias[7]);
        /* even channels g, g+2, ..; odd g+1, g+3, ..: past the last, repeat a valid one */
        rq4_t qe, qo;
        rq4_load(&qe, p, g, 2, (nv + 1u) / 2u, 1);
        if (nv >= 2)
            rq4_load(&qo, p, g + 1u, 2, nv / 2u, 1);
        else
            qo = qe;
        if (nv == 8)
            dw_group(w, input + g, output + g, wc, be, bo, &qe, &qo, &o, off, nv, ylo, yhi,
                     xlo, xhi, 0);
        else
            dw_group(w, input + g, output + g, wc, be, bo, &qe, &qo, &o, off, nv, ylo, yhi,
                     xlo, xhi, 1);
    }
}

/* ---- CONV_2D through an im2col of a few pixels (in_c % 4 != 0) ----
 * As hil_kernels_dsp_*.c: columns with the zero point for taps outside the input (x + off =
 * 0: no contribution) and zeros up to kp; filter rows padded to kp with zeros and biases
 * folded (fb = bias + off * sum(w)) at prepare (hil_kernels_pack.c, shared). */
/* column for output pixel (oy, ox): K bytes, then zeros up to kp */
HIL_K_INLINE void im2col_column(const hil_window_t g, const int8_t *in_b, int32_t oy,
                                int32_t ox, int8_t zp, uint32_t K, uint32_t kp, int8_t *col)
{
    const uint32_t in_c = (uint32_t)g.in_c;
    const uint32_t f_row = (uint32_t)g.f_w * in_c;
    const size_t in_row = (size_t)g.in_w * in_c;
    const int32_t iy0 = oy * g.stride_h - g.pad_h;
    const int32_t ix0 = ox * g.stride_w - g.pad_w;
    int8_t *const col0 = col;
    if (g.dil_w == 1 && ix0 >= 0 && ix0 + g.f_w <= g.in_w && iy0 >= 0 &&
        iy0 + (g.f_h - 1) * g.dil_h < g.in_h) {
        const int8_t *src = in_b + (size_t)iy0 * in_row + (size_t)ix0 * in_c;
        for (int32_t fy = 0; fy < g.f_h;
             fy++, col += f_row, src += (size_t)g.dil_h * in_row) {
            uint32_t k = 0;
            for (; k + 16u <= f_row; k += 16u)
                vstrbq_s8(col + k, vldrbq_s8(src + k));
            if (k < f_row) {
                const mve_pred16_t pr = vctp8q(f_row - k);
                vstrbq_p_s8(col + k, vldrbq_z_s8(src + k, pr), pr);
            }
        }
    } else {
        for (int32_t fy = 0; fy < g.f_h; fy++, col += f_row) {
            const int32_t iy = iy0 + fy * g.dil_h;
            for (int32_t fx = 0; fx < g.f_w; fx++) {
                const int32_t ix = ix0 + fx * g.dil_w;
                int8_t *d = col + (size_t)fx * in_c;
                if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) {
                    for (uint32_t c = 0; c < in_c; c++)
                        d[c] = zp;
                } else {
                    const int8_t *s = in_b + (size_t)iy * in_row + (size_t)ix * in_c;
                    for (uint32_t c = 0; c < in_c; c++)
                        d[c] = s[c];
                }
            }
        }
    }
    for (uint32_t k = K; k < kp; k++)
        col0[k] = 0;
}

void hil_k_conv_im2col(const hil_window_t *wp, const int8_t *input,
                       const hil_k_im2col_t *icp, const hil_k_conv_params_t *p,
                       int8_t *output)
{
    const hil_window_t g = *wp;
    const hil_k_im2col_t ic = *icp;
    const uint32_t out_c = (uint32_t)g.out_c, kp = ic.kp;
    const int8_t zp = (int8_t)(-p->input_offset);
    const size_t in_img = (size_t)g.in_h * (size_t)g.in_w * (size_t)g.in_c;
    const uint32_t total = (uint32_t)g.batches * (uint32_t)g.out_h * (uint32_t)g.out_w;
    uint32_t b = 0;
    int32_t oy = 0, ox = 0; /* the next column's pixel */
    for (uint32_t pix = 0; pix < total; pix += ic.ncols) {
        const uint32_t n = total - pix < ic.ncols ? total - pix : ic.ncols;
        for (uint32_t j = 0; j < n; j++) {
            im2col_column(g, input + (size_t)b * in_img, oy, ox, zp, ic.K, kp,
                          ic.scratch + (size_t)j * kp);
            if (++ox == g.out_w) {
                ox = 0;
                if (++oy == g.out_h) {
                    oy = 0;
                    b++;
                }
            }
        }
        gemm_cols(ic.scratch, n, kp, kp, ic.wk, kp, out_c, ic.fb, p,
                  output + (size_t)pix * out_c, out_c);
    }
}

/* ---- FULLY_CONNECTED (filter zero point 0) ----
 * Four weight rows per pass over the input row; the offset as off * sum(w) from VADDVA in
 * the same loop. */
void hil_k_fc(const int8_t *x, uint32_t batches, uint32_t K, const int8_t *w,
              uint32_t out_depth, const hil_k_conv_params_t *p, uint32_t per_channel,
              int8_t *out)
{
    const hil_k_out_t o = p->out;
    const int32_t off = p->input_offset;
    rq4_t q;
    rq4_load(&q, p, 0, 0, 1, 0); /* per tensor: channel 0's for all */
    for (uint32_t oc = 0; oc < out_depth; oc += 4) {
        const uint32_t nv = out_depth - oc < 4u ? out_depth - oc : 4u;
        const int8_t *r[4];
        rows4(w, K, oc, out_depth, r);
        int32_t b4[4];
        for (uint32_t i = 0; i < 4; i++)
            b4[i] = hil_k_ld_bias(p->bias, i < nv ? oc + i : oc + nv - 1u);
        const int32x4_t bias = vec4(b4[0], b4[1], b4[2], b4[3]);
        if (per_channel)
            rq4_load(&q, p, oc, 1, nv, 1);
        for (uint32_t b = 0; b < batches; b++) {
            int32_t a[4] = {0, 0, 0, 0}, s[4] = {0, 0, 0, 0};
            dot1x4(x + (size_t)b * K, r[0], r[1], r[2], r[3], K, a, s, 1);
            const int32x4_t acc = vaddq_s32(vaddq_s32(bias, vec4(a[0], a[1], a[2], a[3])),
                                            vmulq_n_s32(vec4(s[0], s[1], s[2], s[3]), off));
            st4(out + (size_t)b * out_depth + oc, rq4(acc, &q, &o), nv);
        }
    }
}

#else
typedef int hil_kernels_mve_nonempty_t; /* ISO C: no empty translation unit */
#endif /* HIL_KERNELS_MVE */
