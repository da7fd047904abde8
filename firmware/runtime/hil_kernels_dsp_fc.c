/*
 * hil_kernels_dsp_fc.c - the DSP-extension FULLY_CONNECTED (filter zero point 0, accum %
 * 4 == 0): one input row against four weight rows at a time (hil_k_fc).
 * Built only with -DHIL_USE_DSP (on the host: on the C emulations of the instructions)
 * and without -DHIL_USE_MVE; otherwise this file is empty. Shared inner loops:
 * hil_kernels_dsp.h; API: hil_kernels.h; README.md, "Optimised kernels".
 */
#include "hil_kernels_dsp.h"

#if HIL_KERNELS_OPT && !HIL_KERNELS_MVE /* HIL_USE_MVE: hil_kernels_mve.c instead */

typedef int hil_kernels_dsp_fc_nonempty_t; /* ISO C: no empty translation unit */

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
            "beq     2f\n\t" FC_1X4_STEP "2:\n\t"
            "cmp     %[x], %[end]\n\t"
            "beq     3f\n\t"
            "1:\n\t" FC_1X4_STEP FC_1X4_STEP "cmp     %[x], %[end]\n\t"
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
            acc[r] = hil_k_smlad(hil_k_sxtb16_r8(u), xb,
                                 hil_k_smlad(hil_k_sxtb16(u), xa, acc[r]));
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
