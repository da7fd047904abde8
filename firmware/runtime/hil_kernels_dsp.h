/*
 * hil_kernels_dsp.h - private to the Arm DSP-extension kernels (hil_kernels_dsp_*.c): the
 * inner loops and the requantizing store that more than one of them uses. All are
 * always-inline (HIL_K_INLINE), so each kernel compiles exactly as if they were in its own
 * file. Active with -DHIL_USE_DSP and without -DHIL_USE_MVE, like the kernels.
 *
 * Every loop keeps the geometry and the requantization parameters in locals: byte stores
 * through int8_t pointers may alias anything else in memory.
 */
#ifndef HIL_KERNELS_DSP_H
#define HIL_KERNELS_DSP_H

#include "hil_kernels.h"

#if HIL_KERNELS_OPT && !HIL_KERNELS_MVE /* HIL_USE_MVE: hil_kernels_mve.c instead */

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
    const int32_t v =
        fast ? hil_k_rq_hi(acc, q->m, q->clo, q->chi) >> q->e1 : hil_k_rq(acc, q);
    if (full)
        *dst = (int8_t)hil_k_ssat8(v + o->zp);
    else
        *dst = hil_k_out(v, o);
}

HIL_K_INLINE int rq_fast(const hil_k_rq_t *q)
{
    return q->e1 >= 0 && q->ls == 0;
}

/* sum of the int8 row w[0 .. 4 n4) */
static inline int32_t row_sum(const int8_t *w, uint32_t n4)
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

#endif /* HIL_KERNELS_OPT */

#endif
