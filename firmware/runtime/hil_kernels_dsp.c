/*
 * hil_kernels_dsp.c - optimised int8 kernels on the Arm DSP extension (see hil_kernels.h
 * and README.md, "Optimised kernels"). Built only with -DHIL_USE_DSP (on the host: on the
 * C emulations of the instructions); otherwise this file is empty.
 *
 * Layout: helpers; MAC inner loops (inline asm with explicit registers on Arm, the same
 * arithmetic in C elsewhere); pointwise GEMM (int8, folded offsets); pointwise on int16
 * pixel pairs; direct CONV_2D; DEPTHWISE_CONV_2D; im2col CONV_2D (its plan and layout,
 * shared with hil_kernels_mve.c: hil_kernels_pack.c); FULLY_CONNECTED.
 * Every loop keeps the geometry and the requantization parameters in locals: byte stores
 * through int8_t pointers may alias anything else in memory.
 */
#include "hil_kernels.h"

#if HIL_KERNELS_OPT && !HIL_KERNELS_MVE /* HIL_USE_MVE: hil_kernels_mve.c instead */

typedef int hil_kernels_dsp_nonempty_t; /* ISO C: no empty translation unit */

/* acc[r] += sum_{k < 4 n4} w_r[k] * (x[k] + off), rows w and w + ws. */
HIL_K_INLINE void mac_1x2(const int8_t *x, const int8_t *w, uint32_t ws, uint32_t n4,
                          uint32_t off2, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1];
    const int8_t *const end = x + 4u * n4;
    while (x != end) {
        uint32_t v = hil_k_ld32(x);
        const uint32_t xa = hil_k_sxtab16(off2, v), xb = hil_k_sxtab16_r8(off2, v);
        x += 4;
        v = hil_k_ld32(w);
        a0 = hil_k_smlad(hil_k_sxtb16(v), xa, a0);
        a0 = hil_k_smlad(hil_k_sxtb16_r8(v), xb, a0);
        v = hil_k_ld32(w + ws);
        a1 = hil_k_smlad(hil_k_sxtb16(v), xa, a1);
        a1 = hil_k_smlad(hil_k_sxtb16_r8(v), xb, a1);
        w += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* Requantize one accumulator of the channel prepared in q and store it. fast: the
 * channel has e >= 1 and no left shift; full: the activation range is [-128, 127]. */
HIL_K_INLINE void rq_store(int8_t *dst, int32_t acc, const hil_k_rq_t *q,
                           const hil_k_out_t *o, int fast, int full)
{
    const int32_t v = fast ? hil_k_rq_hi(acc, q->m, q->clo, q->chi) >> q->e1 : hil_k_rq(acc, q);
    if (full)
        *dst = (int8_t)hil_k_ssat8(v + o->zp);
    else
        *dst = hil_k_out(v, o);
}

HIL_K_INLINE int rq_fast(const hil_k_rq_t *q)
{
    return q->e1 >= 0 && q->ls == 0;
}

/* acc[r][c] += sum_{k < 4 n4} w_r[k] * x_c[k] for rows w, w + K and columns x, x + K
 * (the input offset is folded into the accumulators' start). */
#if HIL_DSP_NATIVE
/* One step of 4 k: x and w advance by 4; %[k4] = K - 4 reaches the second column / row. */
#define MAC_2X2_FOLD_STEP                                                                  \
    "ldr    %[t0], [%[x]], #4\n\t"                                                         \
    "ldr    %[t2], [%[w]], #4\n\t"                                                         \
    "ldr    %[t1], [%[x], %[k4]]\n\t"                                                      \
    "sxtb16 %[t3], %[t0]\n\t"                                                              \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "sxtb16 %[t4], %[t2]\n\t"                                                              \
    "sxtb16 %[t2], %[t2], ror #8\n\t"                                                      \
    "smlad  %[a00], %[t4], %[t3], %[a00]\n\t"                                              \
    "smlad  %[a00], %[t2], %[t0], %[a00]\n\t"                                              \
    "sxtb16 %[t5], %[t1]\n\t"                                                              \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                      \
    "smlad  %[a01], %[t4], %[t5], %[a01]\n\t"                                              \
    "smlad  %[a01], %[t2], %[t1], %[a01]\n\t"                                              \
    "ldr    %[t4], [%[w], %[k4]]\n\t"                                                      \
    "sxtb16 %[t2], %[t4], ror #8\n\t"                                                      \
    "sxtb16 %[t4], %[t4]\n\t"                                                              \
    "smlad  %[a10], %[t4], %[t3], %[a10]\n\t"                                              \
    "smlad  %[a10], %[t2], %[t0], %[a10]\n\t"                                              \
    "smlad  %[a11], %[t4], %[t5], %[a11]\n\t"                                              \
    "smlad  %[a11], %[t2], %[t1], %[a11]\n\t"

HIL_K_INLINE void mac_2x2_fold(const int8_t *x, const int8_t *w, uint32_t K, uint32_t n4,
                               int32_t *acc)
{
    /* explicit registers: the allocator cannot run out around the 14-register loop */
    register int32_t a00 __asm__("r0") = acc[0];
    register int32_t a01 __asm__("r1") = acc[1];
    register int32_t a10 __asm__("r2") = acc[2];
    register int32_t a11 __asm__("r3") = acc[3];
    register const int8_t *xr __asm__("r4") = x;
    register const int8_t *wr __asm__("r5") = w;
    register uint32_t k4 __asm__("r6") = K - 4u;
    register const int8_t *end __asm__("r8") = x + 4u * n4;
    register uint32_t t0 __asm__("r9");
    register uint32_t t1 __asm__("r10");
    register uint32_t t2 __asm__("r11");
    register uint32_t t3 __asm__("r12");
    register uint32_t t4 __asm__("lr");
    register uint32_t t5 __asm__("r7");
    __asm__("sub    %[t0], %[end], %[x]\n\t"
            "tst    %[t0], #4\n\t"
            "beq    2f\n\t" MAC_2X2_FOLD_STEP
            "2:\n\t"
            "cmp    %[x], %[end]\n\t"
            "beq    3f\n\t"
            "1:\n\t" MAC_2X2_FOLD_STEP MAC_2X2_FOLD_STEP
            "cmp    %[x], %[end]\n\t"
            "bne    1b\n\t"
            "3:"
            : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
              [x] "+r"(xr), [w] "+r"(wr), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
              [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)
            : [k4] "r"(k4), [end] "r"(end)
            : "cc", "memory");
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#else
HIL_K_INLINE void mac_2x2_fold(const int8_t *x, const int8_t *w, uint32_t K, uint32_t n4,
                               int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const int8_t *const end = x + 4u * n4;
    while (x != end) {
        uint32_t v = hil_k_ld32(x);
        const uint32_t x0a = hil_k_sxtb16(v), x0b = hil_k_sxtb16_r8(v);
        v = hil_k_ld32(x + K);
        const uint32_t x1a = hil_k_sxtb16(v), x1b = hil_k_sxtb16_r8(v);
        x += 4;
        v = hil_k_ld32(w);
        uint32_t wa = hil_k_sxtb16(v), wb = hil_k_sxtb16_r8(v);
        a00 = hil_k_smlad(wa, x0a, a00);
        a00 = hil_k_smlad(wb, x0b, a00);
        a01 = hil_k_smlad(wa, x1a, a01);
        a01 = hil_k_smlad(wb, x1b, a01);
        v = hil_k_ld32(w + K);
        w += 4;
        wa = hil_k_sxtb16(v);
        wb = hil_k_sxtb16_r8(v);
        a10 = hil_k_smlad(wa, x0a, a10);
        a10 = hil_k_smlad(wb, x0b, a10);
        a11 = hil_k_smlad(wa, x1a, a11);
        a11 = hil_k_smlad(wb, x1b, a11);
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#endif

/* As mac_2x2_fold with other strides: columns x, x + xs, rows w, w + ws. */
#if HIL_DSP_NATIVE
#define MAC_2X2_FOLD_STEP_S                                                                \
    "ldr    %[t0], [%[x]], #4\n\t"                                                         \
    "ldr    %[t2], [%[w]], #4\n\t"                                                         \
    "ldr    %[t1], [%[x], %[xs4]]\n\t"                                                     \
    "sxtb16 %[t3], %[t0]\n\t"                                                              \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "sxtb16 %[t4], %[t2]\n\t"                                                              \
    "sxtb16 %[t2], %[t2], ror #8\n\t"                                                      \
    "smlad  %[a00], %[t4], %[t3], %[a00]\n\t"                                              \
    "smlad  %[a00], %[t2], %[t0], %[a00]\n\t"                                              \
    "sxtb16 %[t5], %[t1]\n\t"                                                              \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                      \
    "smlad  %[a01], %[t4], %[t5], %[a01]\n\t"                                              \
    "smlad  %[a01], %[t2], %[t1], %[a01]\n\t"                                              \
    "ldr    %[t4], [%[w], %[ws4]]\n\t"                                                     \
    "sxtb16 %[t2], %[t4], ror #8\n\t"                                                      \
    "sxtb16 %[t4], %[t4]\n\t"                                                              \
    "smlad  %[a10], %[t4], %[t3], %[a10]\n\t"                                              \
    "smlad  %[a10], %[t2], %[t0], %[a10]\n\t"                                              \
    "smlad  %[a11], %[t4], %[t5], %[a11]\n\t"                                              \
    "smlad  %[a11], %[t2], %[t1], %[a11]\n\t"

HIL_K_INLINE void mac_2x2_fold_s(const int8_t *x, uint32_t xs, const int8_t *w, uint32_t ws,
                                 uint32_t n4, int32_t *acc)
{
    register int32_t a00 __asm__("r0") = acc[0];
    register int32_t a01 __asm__("r1") = acc[1];
    register int32_t a10 __asm__("r2") = acc[2];
    register int32_t a11 __asm__("r3") = acc[3];
    register const int8_t *xr __asm__("r4") = x;
    register const int8_t *wr __asm__("r5") = w;
    register uint32_t xs4 __asm__("r6") = xs - 4u;
    register uint32_t ws4 __asm__("r8") = ws - 4u;
    register uint32_t t0 __asm__("r9");
    register uint32_t t1 __asm__("r10");
    register uint32_t t2 __asm__("r11");
    register uint32_t t3 __asm__("r12");
    register uint32_t t4 __asm__("lr");
    register uint32_t t5 __asm__("r7");
    const int8_t *endv = x + 4u * n4;
    __asm__("ldr    %[t0], %[end]\n\t"
            "sub    %[t0], %[t0], %[x]\n\t"
            "tst    %[t0], #4\n\t"
            "beq    2f\n\t" MAC_2X2_FOLD_STEP_S
            "2:\n\t"
            "ldr    %[t0], %[end]\n\t"
            "cmp    %[x], %[t0]\n\t"
            "beq    3f\n\t"
            "1:\n\t" MAC_2X2_FOLD_STEP_S MAC_2X2_FOLD_STEP_S
            "ldr    %[t0], %[end]\n\t"
            "cmp    %[x], %[t0]\n\t"
            "bne    1b\n\t"
            "3:"
            : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
              [x] "+r"(xr), [w] "+r"(wr), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
              [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)
            : [xs4] "r"(xs4), [ws4] "r"(ws4), [end] "m"(endv)
            : "cc", "memory");
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#else
HIL_K_INLINE void mac_2x2_fold_s(const int8_t *x, uint32_t xs, const int8_t *w, uint32_t ws,
                                 uint32_t n4, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    for (uint32_t k = 0; k < n4; k++, x += 4, w += 4) {
        uint32_t v = hil_k_ld32(x);
        const uint32_t x0a = hil_k_sxtb16(v), x0b = hil_k_sxtb16_r8(v);
        v = hil_k_ld32(x + xs);
        const uint32_t x1a = hil_k_sxtb16(v), x1b = hil_k_sxtb16_r8(v);
        v = hil_k_ld32(w);
        uint32_t wa = hil_k_sxtb16(v), wb = hil_k_sxtb16_r8(v);
        a00 = hil_k_smlad(wb, x0b, hil_k_smlad(wa, x0a, a00));
        a01 = hil_k_smlad(wb, x1b, hil_k_smlad(wa, x1a, a01));
        v = hil_k_ld32(w + ws);
        wa = hil_k_sxtb16(v);
        wb = hil_k_sxtb16_r8(v);
        a10 = hil_k_smlad(wb, x0b, hil_k_smlad(wa, x0a, a10));
        a11 = hil_k_smlad(wb, x1b, hil_k_smlad(wa, x1a, a11));
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#endif

/* acc[r] += sum_{k < 4 n4} w_r[k] * x[k], rows w and w + K. */
HIL_K_INLINE void mac_1x2_fold(const int8_t *x, const int8_t *w, uint32_t K, uint32_t n4,
                               int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1];
    const int8_t *const end = x + 4u * n4;
    while (x != end) {
        uint32_t v = hil_k_ld32(x);
        const uint32_t xa = hil_k_sxtb16(v), xb = hil_k_sxtb16_r8(v);
        x += 4;
        v = hil_k_ld32(w);
        a0 = hil_k_smlad(hil_k_sxtb16(v), xa, a0);
        a0 = hil_k_smlad(hil_k_sxtb16_r8(v), xb, a0);
        v = hil_k_ld32(w + K);
        w += 4;
        a1 = hil_k_smlad(hil_k_sxtb16(v), xa, a1);
        a1 = hil_k_smlad(hil_k_sxtb16_r8(v), xb, a1);
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* sum of the int8 row w[0 .. 4 n4) */
static int32_t row_sum(const int8_t *w, uint32_t n4)
{
    const uint32_t ones = 0x00010001u;
    int32_t s = 0;
    for (uint32_t k = 0; k < n4; k++, w += 4) {
        const uint32_t v = hil_k_ld32(w);
        s = hil_k_smlad(hil_k_sxtb16(v), ones, s);
        s = hil_k_smlad(hil_k_sxtb16_r8(v), ones, s);
    }
    return s;
}

/* Columns of one output-channel pair (rows w, w + K; ws = 0: one row, stored once). */
HIL_K_INLINE void gemm_pair(const int8_t *x, uint32_t n, uint32_t K, const int8_t *w,
                            int32_t fb0, int32_t fb1, const hil_k_rq_t *q0,
                            const hil_k_rq_t *q1, const hil_k_out_t *o, int8_t *out,
                            uint32_t out_stride, int two_rows, int fast, int full)
{
    const uint32_t n4 = K / 4u;
    uint32_t j = 0;
    for (; j + 2u <= n; j += 2u) {
        int32_t acc[4] = {fb0, fb0, fb1, fb1};
        mac_2x2_fold(x, w, K, n4, acc);
        rq_store(out, acc[0], q0, o, fast, full);
        rq_store(out + out_stride, acc[1], q0, o, fast, full);
        if (two_rows) {
            rq_store(out + 1, acc[2], q1, o, fast, full);
            rq_store(out + out_stride + 1, acc[3], q1, o, fast, full);
        }
        x += 2u * K;
        out += 2u * out_stride;
    }
    if (j < n) {
        int32_t acc[2] = {fb0, fb1};
        mac_1x2_fold(x, w, K, n4, acc);
        rq_store(out, acc[0], q0, o, fast, full);
        if (two_rows)
            rq_store(out + 1, acc[1], q1, o, fast, full);
    }
}

/* One output channel (the odd last one): columns one at a time. */
static void gemm_row(const int8_t *x, uint32_t n, uint32_t K, const int8_t *w, int32_t fb,
                     const hil_k_rq_t *q, const hil_k_out_t *o, int8_t *out,
                     uint32_t out_stride)
{
    for (uint32_t j = 0; j < n; j++, x += K, out += out_stride) {
        int32_t acc = fb;
        for (uint32_t k = 0; k < K; k += 4) {
            const uint32_t v = hil_k_ld32(x + k), u = hil_k_ld32(w + k);
            acc = hil_k_smlad(hil_k_sxtb16(u), hil_k_sxtb16(v), acc);
            acc = hil_k_smlad(hil_k_sxtb16_r8(u), hil_k_sxtb16_r8(v), acc);
        }
        rq_store(out, acc, q, o, 0, 0);
    }
}

void hil_k_gemm(const int8_t *x, uint32_t n, uint32_t K, const int8_t *w, uint32_t out_c,
                const hil_k_conv_params_t *p, int8_t *out, uint32_t out_stride)
{
    const hil_k_out_t o = p->out;
    const int full = o.act_min == -128 && o.act_max == 127;
    const uint32_t n4 = K / 4u;
    for (uint32_t oc = 0; oc < out_c; oc += 2) {
        const int two = oc + 1 < out_c;
        const uint32_t oc1 = two ? oc + 1 : oc;
        const int8_t *w0 = w + (size_t)oc * K;
        /* bias + input_offset * sum(w): sum_k w (x + off) = sum_k w x + off sum_k w,
         * all modulo 2^32 like TFLM's int32 accumulation */
        const int32_t fb0 = hil_wadd(hil_k_ld_bias(p->bias, oc),
                                     hil_wmul(p->input_offset, row_sum(w0, n4)));
        const int32_t fb1 = two ? hil_wadd(hil_k_ld_bias(p->bias, oc1),
                                           hil_wmul(p->input_offset, row_sum(w0 + K, n4)))
                                : 0;
        hil_k_rq_t q0, q1;
        hil_k_rq_init(&q0, p->mult[oc], p->shift[oc]);
        hil_k_rq_init(&q1, p->mult[oc1], p->shift[oc1]);
        const int fast = rq_fast(&q0) && rq_fast(&q1);
        if (!two) {
            gemm_row(x, n, K, w0, fb0, &q0, &o, out + oc, out_stride);
            break;
        }
        if (fast && full)
            gemm_pair(x, n, K, w0, fb0, fb1, &q0, &q1, &o, out + oc, out_stride, 1, 1, 1);
        else
            gemm_pair(x, n, K, w0, fb0, fb1, &q0, &q1, &o, out + oc, out_stride, 1, 0, 0);
    }
}

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
            "beq    2f\n\t" MAC_2X2_X16_STEP
            "2:\n\t"
            "cmp    %[x], %[end]\n\t"
            "beq    3f\n\t"
            "1:\n\t" MAC_2X2_X16_STEP MAC_2X2_X16_STEP
            "cmp    %[x], %[end]\n\t"
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

void hil_k_pointwise(const int8_t *x, uint32_t n, uint32_t K, const int8_t *w, uint32_t out_c,
                     const hil_k_conv_params_t *p, uint32_t *scratch, int8_t *out)
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

/* ---- CONV_2D, in_c % 4 == 0, directly on the input ----
 * Interior output pixels (every tap inside the input), two at a time: the offset folded
 * into the bias (fb = bias + off sum(w) over the whole window) and mac_2x2_fold_s per
 * filter row. Border pixels: the taps inside the input only, the offset added to the
 * input in the loop (mac_1x2, exactly TFLM's sum). */
static void conv_border_pixel(const hil_window_t *w, const int8_t *in_b, int32_t iy0,
                              int32_t ox, const int8_t *f_oc, uint32_t ws, int32_t b0,
                              int32_t b1, uint32_t off2, int32_t *acc)
{
    const uint32_t in_c = (uint32_t)w->in_c;
    const uint32_t f_row = (uint32_t)w->f_w * in_c;
    const uint32_t in_row = (uint32_t)w->in_w * in_c;
    const int32_t ix0 = ox * w->stride_w - w->pad_w;
    int32_t fy0, fy1, fx0, fx1;
    hil_window_taps(iy0, w->dil_h, w->f_h, w->in_h, &fy0, &fy1);
    hil_window_taps(ix0, w->dil_w, w->f_w, w->in_w, &fx0, &fx1);
    acc[0] = b0;
    acc[1] = b1;
    for (int32_t fy = fy0; fy < fy1; fy++) {
        const int8_t *in_y = in_b + (size_t)(iy0 + w->dil_h * fy) * in_row;
        const int8_t *f_y = f_oc + (size_t)fy * f_row;
        if (w->dil_w == 1) {
            mac_1x2(in_y + (size_t)(ix0 + fx0) * in_c, f_y + (size_t)fx0 * in_c, ws,
                    (uint32_t)(fx1 - fx0) * (in_c / 4u), off2, acc);
        } else {
            for (int32_t fx = fx0; fx < fx1; fx++)
                mac_1x2(in_y + (size_t)(ix0 + w->dil_w * fx) * in_c, f_y + (size_t)fx * in_c,
                        ws, in_c / 4u, off2, acc);
        }
    }
}

HIL_K_INLINE void conv_direct_pair(const hil_window_t *w, const int8_t *input,
                                   const int8_t *f_oc, uint32_t ws, int32_t bias0,
                                   int32_t bias1, int32_t fb0, int32_t fb1,
                                   const hil_k_rq_t *q0, const hil_k_rq_t *q1,
                                   const hil_k_out_t *o, uint32_t off2, int8_t *out_oc,
                                   int32_t ylo, int32_t yhi, int32_t xlo, int32_t xhi,
                                   int two_rows, int fast, int full)
{
    const uint32_t in_c = (uint32_t)w->in_c, out_c = (uint32_t)w->out_c;
    const uint32_t f_row = (uint32_t)w->f_w * in_c;
    const uint32_t in_row = (uint32_t)w->in_w * in_c;
    const uint32_t xs = (uint32_t)w->stride_w * in_c;
    for (int32_t b = 0; b < w->batches; b++) {
        const int8_t *in_b = input + (size_t)b * (size_t)w->in_h * in_row;
        for (int32_t oy = 0; oy < w->out_h; oy++) {
            const int32_t iy0 = oy * w->stride_h - w->pad_h;
            int8_t *out = out_oc + ((size_t)b * (size_t)w->out_h + (size_t)oy) *
                                       (size_t)w->out_w * out_c;
            const int inner = oy >= ylo && oy < yhi;
            int32_t ox = 0;
            while (ox < w->out_w) {
                int32_t acc[4];
                if (inner && ox >= xlo && ox + 1 < xhi) {
                    acc[0] = acc[1] = fb0;
                    acc[2] = acc[3] = fb1;
                    const int8_t *xp = in_b + (size_t)iy0 * in_row +
                                       (size_t)(ox * w->stride_w - w->pad_w) * in_c;
                    const int8_t *wp = f_oc;
                    for (int32_t fy = 0; fy < w->f_h; fy++) {
                        /* ws = 0 for the odd last channel: its row twice, not past it */
                        if (w->dil_w == 1) {
                            mac_2x2_fold_s(xp, xs, wp, ws, f_row / 4u, acc);
                        } else {
                            for (int32_t fx = 0; fx < w->f_w; fx++)
                                mac_2x2_fold_s(xp + (size_t)(fx * w->dil_w) * in_c, xs,
                                               wp + (size_t)fx * in_c, ws, in_c / 4u, acc);
                        }
                        xp += (size_t)w->dil_h * in_row;
                        wp += f_row;
                    }
                    int8_t *d = out + (size_t)ox * out_c;
                    rq_store(d, acc[0], q0, o, fast, full);
                    rq_store(d + out_c, acc[1], q0, o, fast, full);
                    if (two_rows) {
                        rq_store(d + 1, acc[2], q1, o, fast, full);
                        rq_store(d + out_c + 1, acc[3], q1, o, fast, full);
                    }
                    ox += 2;
                } else {
                    conv_border_pixel(w, in_b, iy0, ox, f_oc, ws, bias0, bias1, off2, acc);
                    int8_t *d = out + (size_t)ox * out_c;
                    rq_store(d, acc[0], q0, o, fast, full);
                    if (two_rows)
                        rq_store(d + 1, acc[1], q1, o, fast, full);
                    ox += 1;
                }
            }
        }
    }
}

void hil_k_conv_direct(const hil_window_t *w, const int8_t *input, const int8_t *filter,
                       const hil_k_conv_params_t *p, int8_t *output)
{
    const uint32_t in_c = (uint32_t)w->in_c, out_c = (uint32_t)w->out_c;
    const uint32_t K = (uint32_t)w->f_h * (uint32_t)w->f_w * in_c;
    const uint32_t off2 = hil_k_dup16(p->input_offset);
    const hil_k_out_t o = p->out;
    const int full = o.act_min == -128 && o.act_max == 127;
    int32_t ylo, yhi, xlo, xhi;
    hil_k_window_interior(w, &ylo, &yhi, &xlo, &xhi);
    for (uint32_t oc = 0; oc < out_c; oc += 2) {
        const int two = oc + 1 < out_c;
        const uint32_t oc1 = two ? oc + 1 : oc;
        const uint32_t ws = two ? K : 0; /* the odd last channel: its row twice */
        const int8_t *f_oc = filter + (size_t)oc * K;
        const int32_t bias0 = hil_k_ld_bias(p->bias, oc);
        const int32_t bias1 = hil_k_ld_bias(p->bias, oc1);
        const int32_t fb0 = hil_wadd(bias0, hil_wmul(p->input_offset, row_sum(f_oc, K / 4u)));
        const int32_t fb1 =
            hil_wadd(bias1, hil_wmul(p->input_offset, row_sum(f_oc + ws, K / 4u)));
        hil_k_rq_t q0, q1;
        hil_k_rq_init(&q0, p->mult[oc], p->shift[oc]);
        hil_k_rq_init(&q1, p->mult[oc1], p->shift[oc1]);
        const int fast = rq_fast(&q0) && rq_fast(&q1);
        if (two && fast && full)
            conv_direct_pair(w, input, f_oc, ws, bias0, bias1, fb0, fb1, &q0, &q1, &o, off2,
                             output + oc, ylo, yhi, xlo, xhi, 1, 1, 1);
        else
            conv_direct_pair(w, input, f_oc, ws, bias0, bias1, fb0, fb1, &q0, &q1, &o, off2,
                             output + oc, ylo, yhi, xlo, xhi, two, 0, 0);
    }
}

/* ---- DEPTHWISE_CONV_2D, depth multiplier 1, channels % 4 == 0 ----
 * Four channels at a time: one 32-bit load gives a tap's 4 input channels, SXTAB16 adds
 * the offset (lanes c0 c2 and c1 c3), and SMLABB / SMLATT accumulate each channel from the
 * tap's unpacked weights (a stack cache built once per channel group). Interior 3x3
 * windows are unrolled; other windows loop over the taps inside the input. */
#define DW_MAX_TAPS 25

/* The 9 taps of a 3x3 window, 4 channels: rows pp, pp + R, pp + 2 R, columns 0, C, 2 C;
 * wc: 18 words of unpacked weights (lanes c0 c2, c1 c3 per tap). */
#if HIL_DSP_NATIVE
#define DW3_TAP(addr, wofs)                                                                \
    "ldr     %[v], " addr "\n\t"                                                           \
    "ldrd    %[wa], %[wb], [%[wc], #" wofs "]\n\t"                                         \
    "sxtab16 %[xa], %[off2], %[v]\n\t"                                                     \
    "sxtab16 %[xb], %[off2], %[v], ror #8\n\t"                                             \
    "smlabb  %[a0], %[xa], %[wa], %[a0]\n\t"                                               \
    "smlatt  %[a2], %[xa], %[wa], %[a2]\n\t"                                               \
    "smlabb  %[a1], %[xb], %[wb], %[a1]\n\t"                                               \
    "smlatt  %[a3], %[xb], %[wb], %[a3]\n\t"
#define DW3_ROW(o0, o1, o2)                                                                \
    DW3_TAP("[%[pp]]", o0) DW3_TAP("[%[pp], %[C]]", o1) DW3_TAP("[%[pp], %[C], lsl #1]", o2)

HIL_K_INLINE void dw3x3(const int8_t *pp, uint32_t C, uint32_t R, const uint32_t *wc,
                        uint32_t off2, int32_t *acc)
{
    register int32_t a0 __asm__("r0") = acc[0];
    register int32_t a1 __asm__("r1") = acc[1];
    register int32_t a2 __asm__("r2") = acc[2];
    register int32_t a3 __asm__("r3") = acc[3];
    register const int8_t *ppr __asm__("r4") = pp;
    register uint32_t Cr __asm__("r5") = C;
    register uint32_t Rr __asm__("r6") = R;
    register const uint32_t *wcr __asm__("r8") = wc;
    register uint32_t o2 __asm__("r9") = off2;
    register uint32_t v __asm__("r10");
    register uint32_t xa __asm__("r11");
    register uint32_t xb __asm__("r12");
    register uint32_t wa __asm__("lr");
    register uint32_t wb __asm__("r7");
    __asm__(DW3_ROW("0", "8", "16") "add     %[pp], %[pp], %[R]\n\t"
            DW3_ROW("24", "32", "40") "add     %[pp], %[pp], %[R]\n\t"
            DW3_ROW("48", "56", "64")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [pp] "+r"(ppr),
              [v] "=&r"(v), [xa] "=&r"(xa), [xb] "=&r"(xb), [wa] "=&r"(wa), [wb] "=&r"(wb)
            : [C] "r"(Cr), [R] "r"(Rr), [wc] "r"(wcr), [off2] "r"(o2)
            : "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#else
HIL_K_INLINE void dw3x3(const int8_t *pp, uint32_t C, uint32_t R, const uint32_t *wc,
                        uint32_t off2, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int r = 0; r < 3; r++, pp += R) {
        for (int c = 0; c < 3; c++, wc += 2) {
            const uint32_t v = hil_k_ld32(pp + (uint32_t)c * C);
            const uint32_t xa = hil_k_sxtab16(off2, v), xb = hil_k_sxtab16_r8(off2, v);
            a0 = hil_k_smlabb(xa, wc[0], a0);
            a2 = hil_k_smlatt(xa, wc[0], a2);
            a1 = hil_k_smlabb(xb, wc[1], a1);
            a3 = hil_k_smlatt(xb, wc[1], a3);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

HIL_K_INLINE void dw_group(const hil_window_t *w, const int8_t *input, int8_t *output,
                           const uint32_t *wc, const int32_t *bias4, const hil_k_rq_t *q,
                           const hil_k_out_t *o, uint32_t off2, uint32_t zp4, int32_t ylo,
                           int32_t yhi, int32_t xlo, int32_t xhi, int fast, int full)
{
    const uint32_t C = (uint32_t)w->in_c;
    const uint32_t in_row = (uint32_t)w->in_w * C;
    const int k3 = w->f_h == 3 && w->f_w == 3 && w->dil_h == 1 && w->dil_w == 1;
    for (int32_t b = 0; b < w->batches; b++) {
        const int8_t *in_b = input + (size_t)b * (size_t)w->in_h * in_row;
        for (int32_t oy = 0; oy < w->out_h; oy++) {
            const int32_t iy0 = oy * w->stride_h - w->pad_h;
            int32_t fy0, fy1;
            hil_window_taps(iy0, w->dil_h, w->f_h, w->in_h, &fy0, &fy1);
            int8_t *out = output + ((size_t)b * (size_t)w->out_h + (size_t)oy) *
                                       (size_t)w->out_w * C;
            const int inner_y = oy >= ylo && oy < yhi;
            for (int32_t ox = 0; ox < w->out_w; ox++, out += C) {
                const int32_t ix0 = ox * w->stride_w - w->pad_w;
                int32_t acc[4] = {bias4[0], bias4[1], bias4[2], bias4[3]};
                if (k3 && inner_y && ox >= xlo && ox < xhi) {
                    dw3x3(in_b + (size_t)iy0 * in_row + (size_t)ix0 * C, C, in_row, wc, off2,
                          acc);
                } else if (k3) {
                    /* the window's 9 words, taps outside the input hold the zero point
                     * (x + offset = 0: no contribution, as TFLM skips them) */
                    uint32_t win[9];
                    for (int32_t fy = 0; fy < 3; fy++) {
                        const int32_t iy = iy0 + fy;
                        for (int32_t fx = 0; fx < 3; fx++) {
                            const int32_t ix = ix0 + fx;
                            win[fy * 3 + fx] =
                                (iy >= 0 && iy < w->in_h && ix >= 0 && ix < w->in_w)
                                    ? hil_k_ld32(in_b + (size_t)iy * in_row + (size_t)ix * C)
                                    : zp4;
                        }
                    }
                    dw3x3((const int8_t *)win, 4, 12, wc, off2, acc);
                } else {
                    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
                    int32_t fx0, fx1;
                    hil_window_taps(ix0, w->dil_w, w->f_w, w->in_w, &fx0, &fx1);
                    for (int32_t fy = fy0; fy < fy1; fy++) {
                        const int8_t *in_y = in_b + (size_t)(iy0 + w->dil_h * fy) * in_row;
                        const uint32_t *wt = wc + 2u * (uint32_t)(fy * w->f_w);
                        for (int32_t fx = fx0; fx < fx1; fx++) {
                            const uint32_t v =
                                hil_k_ld32(in_y + (size_t)(ix0 + w->dil_w * fx) * C);
                            const uint32_t xa = hil_k_sxtab16(off2, v);
                            const uint32_t xb = hil_k_sxtab16_r8(off2, v);
                            a0 = hil_k_smlabb(xa, wt[2 * fx], a0);
                            a2 = hil_k_smlatt(xa, wt[2 * fx], a2);
                            a1 = hil_k_smlabb(xb, wt[2 * fx + 1], a1);
                            a3 = hil_k_smlatt(xb, wt[2 * fx + 1], a3);
                        }
                    }
                    acc[0] = a0;
                    acc[1] = a1;
                    acc[2] = a2;
                    acc[3] = a3;
                }
                rq_store(out, acc[0], &q[0], o, fast, full);
                rq_store(out + 1, acc[1], &q[1], o, fast, full);
                rq_store(out + 2, acc[2], &q[2], o, fast, full);
                rq_store(out + 3, acc[3], &q[3], o, fast, full);
            }
        }
    }
}

/* 3x3 taps from three rows of 4-channel words (columns at +0, +4, +8 bytes). */
#if HIL_DSP_NATIVE
#define DW3_ROWI(r, o0, o1, o2)                                                            \
    DW3_TAP("[%[" r "]]", o0) DW3_TAP("[%[" r "], #4]", o1) DW3_TAP("[%[" r "], #8]", o2)

HIL_K_INLINE void dw3x3_rows(const uint32_t *r0, const uint32_t *r1, const uint32_t *r2,
                             const uint32_t *wc, uint32_t off2, int32_t *acc)
{
    register int32_t a0 __asm__("r0") = acc[0];
    register int32_t a1 __asm__("r1") = acc[1];
    register int32_t a2 __asm__("r2") = acc[2];
    register int32_t a3 __asm__("r3") = acc[3];
    register const uint32_t *p0 __asm__("r4") = r0;
    register const uint32_t *p1 __asm__("r5") = r1;
    register const uint32_t *p2 __asm__("r6") = r2;
    register const uint32_t *wcr __asm__("r8") = wc;
    register uint32_t o2 __asm__("r9") = off2;
    register uint32_t v __asm__("r10");
    register uint32_t xa __asm__("r11");
    register uint32_t xb __asm__("r12");
    register uint32_t wa __asm__("lr");
    register uint32_t wb __asm__("r7");
    __asm__(DW3_ROWI("r0", "0", "8", "16") DW3_ROWI("r1", "24", "32", "40")
                DW3_ROWI("r2", "48", "56", "64")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [v] "=&r"(v),
              [xa] "=&r"(xa), [xb] "=&r"(xb), [wa] "=&r"(wa), [wb] "=&r"(wb)
            : [r0] "r"(p0), [r1] "r"(p1), [r2] "r"(p2), [wc] "r"(wcr), [off2] "r"(o2)
            : "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#else
HIL_K_INLINE void dw3x3_rows(const uint32_t *r0, const uint32_t *r1, const uint32_t *r2,
                             const uint32_t *wc, uint32_t off2, int32_t *acc)
{
    const uint32_t *rows[3] = {r0, r1, r2};
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++, wc += 2) {
            const uint32_t v = rows[r][c];
            const uint32_t xa = hil_k_sxtab16(off2, v), xb = hil_k_sxtab16_r8(off2, v);
            a0 = hil_k_smlabb(xa, wc[0], a0);
            a2 = hil_k_smlatt(xa, wc[0], a2);
            a1 = hil_k_smlabb(xb, wc[1], a1);
            a3 = hil_k_smlatt(xb, wc[1], a3);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

/* 3x3, dilation 1, every tap column in [-1, in_w]: the three input rows of a window are
 * kept, for the current 4 channels, in a ring of padded rows of words (the zero point's
 * bytes outside the input: x + offset = 0, no contribution, as TFLM skips those taps). */
#define DW_RING_MAX_W 128

uint32_t hil_k_dw_ring_bytes(const hil_window_t *w, int32_t depth_multiplier)
{
    if (!hil_k_dwconv_supported(w, depth_multiplier) || w->f_h != 3 || w->f_w != 3 ||
        w->dil_h != 1 || w->dil_w != 1 || w->pad_w > 1 ||
        (int64_t)(w->out_w - 1) * w->stride_w - w->pad_w + 2 > w->in_w ||
        w->in_w > DW_RING_MAX_W)
        return 0;
    return 3u * ((uint32_t)w->in_w + 2u) * 4u;
}

HIL_K_INLINE void dw_group_ring(const hil_window_t *w, const int8_t *input, int8_t *output,
                                const uint32_t *wc, const int32_t *bias4, const hil_k_rq_t *q,
                                const hil_k_out_t *o, uint32_t off2, uint32_t zp4,
                                uint32_t *ring_mem, int fast, int full)
{
    const uint32_t C = (uint32_t)w->in_c;
    const uint32_t in_row = (uint32_t)w->in_w * C;
    const uint32_t Wp = (uint32_t)w->in_w + 2u;
    uint32_t *const ring[3] = {ring_mem, ring_mem + Wp, ring_mem + 2u * Wp};
    for (int32_t b = 0; b < w->batches; b++) {
        const int8_t *in_b = input + (size_t)b * (size_t)w->in_h * in_row;
        int32_t held[3] = {INT32_MIN, INT32_MIN, INT32_MIN};
        for (int32_t oy = 0; oy < w->out_h; oy++) {
            const int32_t iy0 = oy * w->stride_h - w->pad_h;
            const uint32_t *rows[3];
            for (int32_t r = 0; r < 3; r++) {
                const int32_t iy = iy0 + r;
                uint32_t *slot = ring[(uint32_t)(iy + 3) % 3u]; /* iy >= -3 */
                rows[r] = slot;
                if (held[(uint32_t)(iy + 3) % 3u] == iy)
                    continue;
                held[(uint32_t)(iy + 3) % 3u] = iy;
                if (iy < 0 || iy >= w->in_h) {
                    for (uint32_t k = 0; k < Wp; k++)
                        slot[k] = zp4;
                } else {
                    const int8_t *src = in_b + (size_t)iy * in_row;
                    slot[0] = zp4;
                    for (uint32_t k = 1; k + 1 < Wp; k++, src += C)
                        slot[k] = hil_k_ld32(src);
                    slot[Wp - 1] = zp4;
                }
            }
            int8_t *out = output + ((size_t)b * (size_t)w->out_h + (size_t)oy) *
                                       (size_t)w->out_w * C;
            uint32_t col = (uint32_t)(1 - w->pad_w);
            for (int32_t ox = 0; ox < w->out_w; ox++, out += C, col += (uint32_t)w->stride_w) {
                int32_t acc[4] = {bias4[0], bias4[1], bias4[2], bias4[3]};
                dw3x3_rows(rows[0] + col, rows[1] + col, rows[2] + col, wc, off2, acc);
                rq_store(out, acc[0], &q[0], o, fast, full);
                rq_store(out + 1, acc[1], &q[1], o, fast, full);
                rq_store(out + 2, acc[2], &q[2], o, fast, full);
                rq_store(out + 3, acc[3], &q[3], o, fast, full);
            }
        }
    }
}

int hil_k_dwconv_supported(const hil_window_t *w, int32_t depth_multiplier)
{
    return depth_multiplier == 1 && (w->in_c & 3) == 0 && w->f_h * w->f_w <= DW_MAX_TAPS;
}

void hil_k_dwconv(const hil_window_t *w, const int8_t *input, const int8_t *filter,
                  const hil_k_conv_params_t *p, uint32_t *ring, int8_t *output)
{
    const uint32_t C = (uint32_t)w->in_c;
    const uint32_t taps = (uint32_t)(w->f_h * w->f_w);
    const uint32_t off2 = hil_k_dup16(p->input_offset);
    const hil_k_out_t o = p->out;
    const int full = o.act_min == -128 && o.act_max == 127;
    int32_t ylo, yhi, xlo, xhi;
    hil_k_window_interior(w, &ylo, &yhi, &xlo, &xhi);
    uint32_t wc[2 * DW_MAX_TAPS];
    const uint32_t zp4 = ((uint32_t)(-p->input_offset) & 0xFFu) * 0x01010101u;

    for (uint32_t g = 0; g < C; g += 4) {
        for (uint32_t t = 0; t < taps; t++) {
            const uint32_t v = hil_k_ld32(filter + (size_t)t * C + g);
            wc[2 * t] = hil_k_sxtb16(v);
            wc[2 * t + 1] = hil_k_sxtb16_r8(v);
        }
        int32_t bias4[4];
        hil_k_rq_t q[4];
        int fast = 1;
        for (uint32_t k = 0; k < 4; k++) {
            bias4[k] = hil_k_ld_bias(p->bias, g + k);
            hil_k_rq_init(&q[k], p->mult[g + k], p->shift[g + k]);
            fast = fast && rq_fast(&q[k]);
        }
        if (ring && fast && full)
            dw_group_ring(w, input + g, output + g, wc, bias4, q, &o, off2, zp4, ring, 1, 1);
        else if (ring)
            dw_group_ring(w, input + g, output + g, wc, bias4, q, &o, off2, zp4, ring, 0, 0);
        else if (fast && full)
            dw_group(w, input + g, output + g, wc, bias4, q, &o, off2, zp4, ylo, yhi, xlo,
                     xhi, 1, 1);
        else
            dw_group(w, input + g, output + g, wc, bias4, q, &o, off2, zp4, ylo, yhi, xlo,
                     xhi, 0, 0);
    }
}

/* ---- CONV_2D through an im2col of a few pixels (in_c % 4 != 0) ----
 * Plan and layout (filter rows, folded biases): hil_kernels_pack.c. */
/* n bytes, n small */
HIL_K_INLINE void copy_small(int8_t *d, const int8_t *s, uint32_t n)
{
    uint32_t i = 0;
    for (; i + 4u <= n; i += 4u)
        hil_k_st32(d + i, hil_k_ld32(s + i));
    for (; i < n; i++)
        d[i] = s[i];
}

/* column for output pixel (oy, ox) of batch image in_b (the geometry by value: the byte
 * stores below may alias anything behind a pointer). Inside the input, each filter row is
 * one run of f_w * in_c bytes, copied as whole words when the run's last word stays
 * inside the input tensor (before safe_end): the up to 3 extra bytes land where the next
 * run, the zero tail or the next column (or the scratch's 4 spare bytes) overwrite them. */
HIL_K_INLINE void im2col_column(const hil_window_t g, const int8_t *in_b,
                                const int8_t *safe_end, int32_t oy, int32_t ox, int8_t zp,
                                uint32_t K, uint32_t kp, int8_t *col)
{
    const uint32_t in_c = (uint32_t)g.in_c;
    const uint32_t f_row = (uint32_t)g.f_w * in_c;
    const uint32_t in_row = (uint32_t)g.in_w * in_c;
    const int32_t iy0 = oy * g.stride_h - g.pad_h;
    const int32_t ix0 = ox * g.stride_w - g.pad_w;
    int8_t *const col0 = col;
    if (g.dil_w == 1 && ix0 >= 0 && ix0 + g.f_w <= g.in_w && iy0 >= 0 &&
        iy0 + (g.f_h - 1) * g.dil_h < g.in_h) {
        const int8_t *src = in_b + (size_t)iy0 * in_row + (size_t)ix0 * in_c;
        const uint32_t step = (uint32_t)g.dil_h * in_row;
        for (int32_t fy = 0; fy < g.f_h; fy++, col += f_row, src += step) {
            if (src + f_row <= safe_end) {
                const int8_t *s = src;
                int8_t *d = col;
                do {
                    hil_k_st32(d, hil_k_ld32(s));
                    d += 4;
                    s += 4;
                } while (s < src + f_row);
            } else {
                copy_small(col, src, f_row);
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
                    copy_small(d, in_b + (size_t)iy * in_row + (size_t)ix * in_c, in_c);
                }
            }
        }
    }
    for (uint32_t k = K; k < kp; k++)
        col0[k] = 0;
}

HIL_K_INLINE void im2col_block(const int8_t *cols, uint32_t n, uint32_t kp,
                               const hil_k_im2col_t *ic, const hil_k_conv_params_t *p,
                               const hil_k_out_t *o, int8_t *out, uint32_t out_c, int fast_ok,
                               int full)
{
    for (uint32_t oc = 0; oc < out_c; oc += 2) {
        const int two = oc + 1 < out_c;
        const uint32_t oc1 = two ? oc + 1 : oc;
        hil_k_rq_t q0, q1;
        hil_k_rq_init(&q0, p->mult[oc], p->shift[oc]);
        hil_k_rq_init(&q1, p->mult[oc1], p->shift[oc1]);
        const int8_t *w0 = ic->wk + (size_t)oc * kp;
        if (!two) {
            gemm_row(cols, n, kp, w0, ic->fb[oc], &q0, o, out + oc, out_c);
            break;
        }
        if (fast_ok && rq_fast(&q0) && rq_fast(&q1) && full)
            gemm_pair(cols, n, kp, w0, ic->fb[oc], ic->fb[oc1], &q0, &q1, o, out + oc, out_c,
                      1, 1, 1);
        else
            gemm_pair(cols, n, kp, w0, ic->fb[oc], ic->fb[oc1], &q0, &q1, o, out + oc, out_c,
                      1, 0, 0);
    }
}

void hil_k_conv_im2col(const hil_window_t *wp, const int8_t *input, const hil_k_im2col_t *icp,
                       const hil_k_conv_params_t *p, int8_t *output)
{
    const hil_window_t g = *wp, *const w = &g;
    const hil_k_im2col_t icc = *icp, *const ic = &icc;
    const uint32_t out_c = (uint32_t)w->out_c, kp = ic->kp;
    const int8_t zp = (int8_t)(-p->input_offset);
    const hil_k_out_t o = p->out;
    const int full = o.act_min == -128 && o.act_max == 127;
    const size_t in_img = (size_t)w->in_h * (size_t)w->in_w * (size_t)w->in_c;
    const uint32_t total = (uint32_t)w->batches * (uint32_t)w->out_h * (uint32_t)w->out_w;
    /* word copies may read up to 3 bytes past a run: only before this */
    const size_t in_bytes = (size_t)w->batches * in_img;
    const int8_t *const safe_end = in_bytes >= 3 ? input + in_bytes - 3 : input;
    uint32_t b = 0;
    int32_t oy = 0, ox = 0; /* the next column's pixel */
    for (uint32_t pix = 0; pix < total; pix += ic->ncols) {
        const uint32_t n = total - pix < ic->ncols ? total - pix : ic->ncols;
        for (uint32_t j = 0; j < n; j++) {
            im2col_column(g, input + (size_t)b * in_img, safe_end, oy, ox, zp, ic->K, kp,
                          ic->scratch + (size_t)j * kp);
            if (++ox == w->out_w) {
                ox = 0;
                if (++oy == w->out_h) {
                    oy = 0;
                    b++;
                }
            }
        }
        im2col_block(ic->scratch, n, kp, ic, p, &o, output + (size_t)pix * out_c, out_c, 1,
                     full);
    }
}

/* ---- FULLY_CONNECTED (filter zero point 0, accum % 4 == 0) ----
 * One input row against four weight rows at a time: the input's 4 bytes are unpacked with
 * the offset once (SXTAB16) and reused by the four rows (SMLAD on SXTB16 weights). */
#if HIL_DSP_NATIVE
#define FC_1X4_STEP                                                                        \
    "ldr     %[t0], [%[x]], #4\n\t"                                                        \
    "sxtab16 %[xa], %[off2], %[t0]\n\t"                                                    \
    "sxtab16 %[xb], %[off2], %[t0], ror #8\n\t"                                            \
    "ldr     %[t0], [%[w0]], #4\n\t"                                                       \
    "sxtb16  %[t1], %[t0]\n\t"                                                             \
    "sxtb16  %[t0], %[t0], ror #8\n\t"                                                     \
    "smlad   %[a0], %[t1], %[xa], %[a0]\n\t"                                               \
    "smlad   %[a0], %[t0], %[xb], %[a0]\n\t"                                               \
    "ldr     %[t0], [%[w0], %[k4]]\n\t"                                                    \
    "sxtb16  %[t1], %[t0]\n\t"                                                             \
    "sxtb16  %[t0], %[t0], ror #8\n\t"                                                     \
    "smlad   %[a1], %[t1], %[xa], %[a1]\n\t"                                               \
    "smlad   %[a1], %[t0], %[xb], %[a1]\n\t"                                               \
    "ldr     %[t0], [%[w2]], #4\n\t"                                                       \
    "sxtb16  %[t1], %[t0]\n\t"                                                             \
    "sxtb16  %[t0], %[t0], ror #8\n\t"                                                     \
    "smlad   %[a2], %[t1], %[xa], %[a2]\n\t"                                               \
    "smlad   %[a2], %[t0], %[xb], %[a2]\n\t"                                               \
    "ldr     %[t0], [%[w2], %[k4]]\n\t"                                                    \
    "sxtb16  %[t1], %[t0]\n\t"                                                             \
    "sxtb16  %[t0], %[t0], ror #8\n\t"                                                     \
    "smlad   %[a3], %[t1], %[xa], %[a3]\n\t"                                               \
    "smlad   %[a3], %[t0], %[xb], %[a3]\n\t"

/* acc[r] += sum_{k < 4 n4} w_r[k] (x[k] + off), rows w + r K */
HIL_K_INLINE void mac_1x4(const int8_t *x, const int8_t *w, uint32_t K, uint32_t n4,
                          uint32_t off2, int32_t *acc)
{
    /* explicit registers: the allocator cannot run out around the 14-register loop */
    register int32_t a0 __asm__("r0") = acc[0];
    register int32_t a1 __asm__("r1") = acc[1];
    register int32_t a2 __asm__("r2") = acc[2];
    register int32_t a3 __asm__("r3") = acc[3];
    register const int8_t *xr __asm__("r4") = x;
    register const int8_t *w0 __asm__("r5") = w;
    register const int8_t *w2 __asm__("r6") = w + 2u * K;
    register uint32_t k4 __asm__("r8") = K - 4u;
    register uint32_t o2 __asm__("r9") = off2;
    register const int8_t *end __asm__("r10") = x + 4u * n4;
    register uint32_t t0 __asm__("r11");
    register uint32_t t1 __asm__("r12");
    register uint32_t xa __asm__("lr");
    register uint32_t xb __asm__("r7");
    __asm__("sub     %[t0], %[end], %[x]\n\t"
            "tst     %[t0], #4\n\t"
            "beq     2f\n\t" FC_1X4_STEP
            "2:\n\t"
            "cmp     %[x], %[end]\n\t"
            "beq     3f\n\t"
            "1:\n\t" FC_1X4_STEP FC_1X4_STEP
            "cmp     %[x], %[end]\n\t"
            "bne     1b\n\t"
            "3:"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xr),
              [w0] "+r"(w0), [w2] "+r"(w2), [t0] "=&r"(t0), [t1] "=&r"(t1), [xa] "=&r"(xa),
              [xb] "=&r"(xb)
            : [k4] "r"(k4), [off2] "r"(o2), [end] "r"(end)
            : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#else
HIL_K_INLINE void mac_1x4(const int8_t *x, const int8_t *w, uint32_t K, uint32_t n4,
                          uint32_t off2, int32_t *acc)
{
    for (uint32_t k = 0; k < n4; k++, x += 4, w += 4) {
        const uint32_t v = hil_k_ld32(x);
        const uint32_t xa = hil_k_sxtab16(off2, v), xb = hil_k_sxtab16_r8(off2, v);
        for (uint32_t r = 0; r < 4; r++) {
            const uint32_t u = hil_k_ld32(w + r * K);
            acc[r] = hil_k_smlad(hil_k_sxtb16_r8(u), xb, hil_k_smlad(hil_k_sxtb16(u), xa, acc[r]));
        }
    }
}
#endif

void hil_k_fc(const int8_t *x, uint32_t batches, uint32_t K, const int8_t *w,
              uint32_t out_depth, const hil_k_conv_params_t *p, uint32_t per_channel,
              int8_t *out)
{
    const uint32_t off2 = hil_k_dup16(p->input_offset);
    const hil_k_out_t o = p->out;
    const int full = o.act_min == -128 && o.act_max == 127;
    const uint32_t n4 = K / 4u;
    hil_k_rq_t q[4];
    if (!per_channel)
        hil_k_rq_init(&q[0], p->mult[0], p->shift[0]);
    for (uint32_t b = 0; b < batches; b++, x += K, out += out_depth) {
        uint32_t oc = 0;
        for (; oc + 4u <= out_depth; oc += 4u) {
            int32_t acc[4];
            for (uint32_t r = 0; r < 4; r++)
                acc[r] = hil_k_ld_bias(p->bias, oc + r);
            mac_1x4(x, w + (size_t)oc * K, K, n4, off2, acc);
            for (uint32_t r = 0; r < 4; r++) {
                const hil_k_rq_t *qr = &q[0];
                if (per_channel) {
                    hil_k_rq_init(&q[r], p->mult[oc + r], p->shift[oc + r]);
                    qr = &q[r];
                }
                if (full && rq_fast(qr))
                    rq_store(out + oc + r, acc[r], qr, &o, 1, 1);
                else
                    rq_store(out + oc + r, acc[r], qr, &o, 0, 0);
            }
        }
        for (; oc < out_depth; oc += 2u) {
            const uint32_t ws = oc + 1u < out_depth ? K : 0; /* the last row twice */
            int32_t acc[2] = {hil_k_ld_bias(p->bias, oc),
                              ws ? hil_k_ld_bias(p->bias, oc + 1u) : 0};
            mac_1x2(x, w + (size_t)oc * K, ws, n4, off2, acc);
            for (uint32_t r = 0; r < (ws ? 2u : 1u); r++) {
                const hil_k_rq_t *qr = &q[0];
                if (per_channel) {
                    hil_k_rq_init(&q[r], p->mult[oc + r], p->shift[oc + r]);
                    qr = &q[r];
                }
                rq_store(out + oc + r, acc[r], qr, &o, 0, 0);
            }
        }
    }
}

#endif /* HIL_KERNELS_OPT */
