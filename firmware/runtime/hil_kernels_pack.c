/*
 * hil_kernels_pack.c - prepare-time side of the optimised kernels, the same for the DSP
 * (hil_kernels_dsp_*.c) and the Helium / MVE (hil_kernels_mve.c) builds: the im2col
 * CONV_2D path's plan (sizes, arena bytes) and layout (filter rows re-packed to a
 * multiple of 4 bytes, input offset folded into the biases). Built with -DHIL_USE_DSP or
 * -DHIL_USE_MVE (hil_kernels.h's HIL_KERNELS_OPT); otherwise this file is empty.
 */
#include "hil_kernels.h"

#if HIL_KERNELS_OPT

#include "hil_rt_internal.h"

/* ---- CONV_2D through an im2col of a few pixels (in_c % 4 != 0) ----
 * Columns with the zero point for taps outside the input (x + off = 0: no contribution)
 * and zeros up to kp; filter rows padded to kp with zeros; biases folded
 * (fb = bias + off * sum(w)) here, at prepare; the columns are built by the kernels. */
#define IM2COL_MAX_KP 1024u
#define IM2COL_MAX_W 16384u
#define IM2COL_SCRATCH 320u

uint32_t hil_k_im2col_plan(const hil_window_t *w, hil_k_im2col_t *ic)
{
    const uint64_t K64 = (uint64_t)w->f_h * (uint64_t)w->f_w * (uint64_t)w->in_c;
    hil_memset(ic, 0, sizeof(*ic));
    if (K64 == 0 || K64 > IM2COL_MAX_KP || (uint64_t)w->out_c * K64 > IM2COL_MAX_W)
        return 0;
    const uint32_t K = (uint32_t)K64, kp = (K + 3u) & ~3u; /* kp <= 1024 */
    if ((uint64_t)w->out_c * kp > IM2COL_MAX_W)
        return 0;
    uint32_t ncols = (IM2COL_SCRATCH / kp) & ~1u;
    if (ncols < 2)
        ncols = 2;
    if (ncols > 16)
        ncols = 16;
    ic->K = K;
    ic->kp = kp;
    ic->ncols = ncols;
    ic->out_c = (uint32_t)w->out_c;
    return 4u * ic->out_c + (K == kp ? 0u : ic->out_c * ic->kp) + ncols * ic->kp + 4u;
}

void hil_k_im2col_init(hil_k_im2col_t *ic, uint8_t *mem, const uint8_t *filter,
                       const uint8_t *bias, int32_t input_offset)
{
    const uint32_t K = ic->K, kp = ic->kp;
    ic->fb = (int32_t *)(void *)mem;
    mem += 4u * ic->out_c;
    if (K == kp) {
        ic->wk = (int8_t *)(uintptr_t)filter; /* rows already a multiple of 4 */
    } else {
        ic->wk = (int8_t *)mem;
        for (uint32_t oc = 0; oc < ic->out_c; oc++) {
            hil_memcpy(mem, filter + (size_t)oc * K, K);
            hil_memset(mem + K, 0, kp - K);
            mem += kp;
        }
    }
    ic->scratch = (int8_t *)mem;
    for (uint32_t oc = 0; oc < ic->out_c; oc++) {
        int32_t sum = 0;
        for (uint32_t k = 0; k < K; k++)
            sum += (int8_t)filter[(size_t)oc * K + k]; /* |sum| <= 128 * 1024 */
        ic->fb[oc] = hil_wadd(hil_k_ld_bias(bias, oc), hil_wmul(input_offset, sum));
    }
}

#else
typedef int hil_kernels_pack_nonempty_t; /* ISO C: no empty translation unit */
#endif /* HIL_KERNELS_OPT */
