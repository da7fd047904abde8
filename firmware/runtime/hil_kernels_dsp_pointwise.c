/*
 * hil_kernels_dsp_pointwise.c - the DSP-extension pointwise CONV_2D on pixel pairs widened
 * to int16 once (SXTAB16 into a scratch), then read by every output-channel pair
 * (hil_k_pointwise, hil_k_pointwise_scratch_bytes).
 * Built only with -DHIL_USE_DSP (on the host: on the C emulations of the instructions)
 * and without -DHIL_USE_MVE; otherwise this file is empty. Shared inner loops:
 * hil_kernels_dsp.h; API: hil_kernels.h; README.md, "Optimised kernels".
 */
#include "hil_kernels_dsp.h"

#if HIL_KERNELS_OPT && !HIL_KERNELS_MVE /* HIL_USE_MVE: hil_kernels_mve.c instead */

typedef int hil_kernels_dsp_pointwise_nonempty_t; /* ISO C: no empty translation unit */

/* ---- pointwise CONV_2D on two pixels widened to int16 ----
 * The two columns are converted once (SXTAB16: x + offset, exact in 16 bits) into an
 * interleaved scratch [k/4][column][lanes c0 c2, c1 c3]; every output channel pair then
 * reads them with two LDRD per 4 k: 16 instructions per 16 MACs. */
#if HIL_DSP_NATIVE
#define MAC_2X2_X16_STEP                                                                   \
    "ldrd   %[x0a], %[x0b], [%[x]], #16\n\t"                                               \
    "ldrd   %[x1a], %[x1b], [%[x], #-8]\n\t"                                               \
    "ldr    %[t0], [%[w]], #4\n\t"                                                         \
    "sxtb16 %[t1], %[t0]\n\t"                                                              \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "smlad  %[a00], %[t1], %[x0a], %[a00]\n\t"                                             \
    "smlad  %[a00], %[t0], %[x0b], %[a00]\n\t"                                             \
    "smlad  %[a01], %[t1], %[x1a], %[a01]\n\t"                                             \
    "smlad  %[a01], %[t0], %[x1b], %[a01]\n\t"                                             \
    "ldr    %[t0], [%[w], %[ws4]]\n\t"                                                     \
    "sxtb16 %[t1], %[t0]\n\t"                                                              \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "smlad  %[a10], %[t1], %[x0a], %[a10]\n\t"                                             \
    "smlad  %[a10], %[t0], %[x0b], %[a10]\n\t"                                             \
    "smlad  %[a11], %[t1], %[x1a], %[a11]\n\t"                                             \
    "smlad  %[a11], %[t0], %[x1b], %[a11]\n\t"

/* acc[r][c] += sum_k w_r[k] xs_c[k] over 4 n4 k; xs: the interleaved int16 scratch
 * (4-byte aligned), rows w and w + ws */
HIL_K_INLINE void mac_2x2_x16(const uint32_t *xs, const int8_t *w, uint32_t ws, uint32_t n4,
                              int32_t *acc)
{
    register int32_t a00 __asm__("r0") = acc[0];
    register int32_t a01 __asm__("r1") = acc[1];
    register int32_t a10 __asm__("r2") = acc[2];
    register int32_t a11 __asm__("r3") = acc[3];
    register const uint32_t *xr __asm__("r4") = xs;
    register const int8_t *wr __asm__("r5") = w;
    register uint32_t ws4 __asm__("r6") = ws - 4u;
    register const uint32_t *end __asm__("r8") = xs + 4u * n4;
    register uint32_t x0a __asm__("r9");
    register uint32_t x0b __asm__("r10");
    register uint32_t x1a __asm__("r11");
    register uint32_t x1b __asm__("r12");
    register uint32_t t0 __asm__("lr");
    register uint32_t t1 __asm__("r7");
    __asm__("sub    %[t0], %[end], %[x]\n\t"
            "tst    %[t0], #16\n\t"
            "beq    2f\n\t" MAC_2X2_X16_STEP "2:\n\t"
            "cmp    %[x], %[end]\n\t"
            "beq    3f\n\t"
            "1:\n\t" MAC_2X2_X16_STEP MAC_2X2_X16_STEP "cmp    %[x], %[end]\n\t"
            "bne    1b\n\t"
            "3:"
            : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
              [x] "+r"(xr), [w] "+r"(wr), [x0a] "=&r"(x0a), [x0b] "=&r"(x0b),
              [x1a] "=&r"(x1a), [x1b] "=&r"(x1b), [t0] "=&r"(t0), [t1] "=&r"(t1)
            : [ws4] "r"(ws4), [end] "r"(end)
            : "cc", "memory");
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#else
HIL_K_INLINE void mac_2x2_x16(const uint32_t *xs, const int8_t *w, uint32_t ws, uint32_t n4,
                              int32_t *acc)
{
    for (uint32_t k = 0; k < n4; k++, xs += 4, w += 4) {
        for (uint32_t r = 0; r < 2; r++) {
            const uint32_t u = hil_k_ld32(w + r * ws);
            const uint32_t wa = hil_k_sxtb16(u), wb = hil_k_sxtb16_r8(u);
            acc[2 * r] = hil_k_smlad(wb, xs[1], hil_k_smlad(wa, xs[0], acc[2 * r]));
            acc[2 * r + 1] = hil_k_smlad(wb, xs[3], hil_k_smlad(wa, xs[2], acc[2 * r + 1]));
        }
    }
}
#endif

/* columns c0, c1 (K int8 each, K % 4 == 0) into the interleaved int16 scratch */
HIL_K_INLINE void widen_pair(const int8_t *c0, const int8_t *c1, uint32_t K, uint32_t off2,
                             uint32_t *d)
{
    for (uint32_t k = 0; k < K; k += 4u, d += 4) {
        const uint32_t u0 = hil_k_ld32(c0 + k), u1 = hil_k_ld32(c1 + k);
        d[0] = hil_k_sxtab16(off2, u0);
        d[1] = hil_k_sxtab16_r8(off2, u0);
        d[2] = hil_k_sxtab16(off2, u1);
        d[3] = hil_k_sxtab16_r8(off2, u1);
    }
}

/* One requantized output, the fast case (shift < 0: a right shift e >= 1, no left shift;
 * activation range [-128, 127]). */
HIL_K_INLINE int8_t rq_fast_full(int32_t acc, int32_t m, int32_t shift, int32_t zp)
{
    const uint32_t e = (uint32_t)-shift, pe = 1u << e;
    const int32_t hi = hil_k_rq_hi(acc, m, 0x40000000u + (pe << 30), (int32_t)(pe >> 2));
    return (int8_t)hil_k_ssat8((hi >> (e - 1u)) + zp);
}

HIL_K_INLINE void pw_pair_all_oc(const uint32_t *xs, uint32_t K, const int8_t *w,
                                 uint32_t out_c, const int32_t *mult, const int8_t *shift,
                                 const uint8_t *bias, const hil_k_out_t o, int8_t *out,
                                 uint32_t out_stride, int two_cols)
{
    const uint32_t n4 = K / 4u;
    const int full = o.act_min == -128 && o.act_max == 127;
    const int32_t zp = o.zp;
    for (uint32_t oc = 0; oc < out_c; oc += 2, w += 2u * K, out += 2) {
        const int two = oc + 1 < out_c;
        const uint32_t oc1 = two ? oc + 1 : oc;
        int32_t acc[4];
        acc[0] = acc[1] = hil_k_ld_bias(bias, oc);
        acc[2] = acc[3] = hil_k_ld_bias(bias, oc1);
        mac_2x2_x16(xs, w, two ? K : 0, n4, acc);
        const int32_t s0 = shift[oc], s1 = shift[oc1];
        if (full && s0 < 0 && s1 < 0 && two && two_cols) {
            const int32_t m0 = mult[oc], m1 = mult[oc1];
            out[0] = rq_fast_full(acc[0], m0, s0, zp);
            out[1] = rq_fast_full(acc[2], m1, s1, zp);
            out[out_stride] = rq_fast_full(acc[1], m0, s0, zp);
            out[out_stride + 1] = rq_fast_full(acc[3], m1, s1, zp);
        } else {
            hil_k_rq_t q0, q1;
            hil_k_rq_init(&q0, mult[oc], s0);
            hil_k_rq_init(&q1, mult[oc1], s1);
            rq_store(out, acc[0], &q0, &o, 0, 0);
            if (two)
                rq_store(out + 1, acc[2], &q1, &o, 0, 0);
            if (two_cols) {
                rq_store(out + out_stride, acc[1], &q0, &o, 0, 0);
                if (two)
                    rq_store(out + out_stride + 1, acc[3], &q1, &o, 0, 0);
            }
        }
    }
}

uint32_t hil_k_pointwise_scratch_bytes(uint32_t K)
{
    /* below 64 channels the per-tile requantization outweighs the faster loop: the int8
     * GEMM (channel pairs outer, biases folded once per channel) wins there */
    return (K & 3u) == 0 && K >= 64u && K <= 4096u ? 4u * K : 0u;
}

void hil_k_pointwise(const int8_t *x, uint32_t n, uint32_t K, const int8_t *w,
                     uint32_t out_c, const hil_k_conv_params_t *p, uint32_t *scratch,
                     int8_t *out)
{
    const uint32_t off2 = hil_k_dup16(p->input_offset);
    const hil_k_out_t o = p->out;
    const int32_t *const mult = p->mult;
    const int8_t *const shift = p->shift;
    const uint8_t *const bias = p->bias;
    uint32_t j = 0;
    for (; j + 2u <= n; j += 2u, x += 2u * K, out += 2u * out_c) {
        widen_pair(x, x + K, K, off2, scratch);
        pw_pair_all_oc(scratch, K, w, out_c, mult, shift, bias, o, out, out_c, 1);
    }
    if (j < n) {
        widen_pair(x, x, K, off2, scratch);
        pw_pair_all_oc(scratch, K, w, out_c, mult, shift, bias, o, out, out_c, 0);
    }
}

#endif /* HIL_KERNELS_OPT */
