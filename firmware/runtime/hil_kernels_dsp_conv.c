/*
 * hil_kernels_dsp_conv.c - the DSP-extension CONV_2D directly on the input (in_c % 4 ==
 * 0): interior pixels two at a time with the offset folded into the bias, border pixels
 * with the offset added in the loop (hil_k_conv_direct).
 * Built only with -DHIL_USE_DSP (on the host: on the C emulations of the instructions)
 * and without -DHIL_USE_MVE; otherwise this file is empty. Shared inner loops:
 * hil_kernels_dsp.h; API: hil_kernels.h; README.md, "Optimised kernels".
 */
#include "hil_kernels_dsp.h"

#if HIL_KERNELS_OPT && !HIL_KERNELS_MVE /* HIL_USE_MVE: hil_kernels_mve.c instead */

typedef int hil_kernels_dsp_conv_nonempty_t; /* ISO C: no empty translation unit */

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
            "beq    2f\n\t" MAC_2X2_FOLD_STEP_S "2:\n\t"
            "ldr    %[t0], %[end]\n\t"
            "cmp    %[x], %[t0]\n\t"
            "beq    3f\n\t"
            "1:\n\t" MAC_2X2_FOLD_STEP_S MAC_2X2_FOLD_STEP_S "ldr    %[t0], %[end]\n\t"
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
                mac_1x2(in_y + (size_t)(ix0 + w->dil_w * fx) * in_c,
                        f_y + (size_t)fx * in_c, ws, in_c / 4u, off2, acc);
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
        const int32_t fb0 =
            hil_wadd(bias0, hil_wmul(p->input_offset, row_sum(f_oc, K / 4u)));
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

#endif /* HIL_KERNELS_OPT */
