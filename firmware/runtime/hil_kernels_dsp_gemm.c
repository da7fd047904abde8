/*
 * hil_kernels_dsp_gemm.c - the DSP-extension GEMM on folded input offsets (2x2 and 1x2
 * MAC blocks, two output channels at a time, an odd last channel alone): the pointwise
 * CONV_2D on int8 columns (hil_k_gemm) and the CONV_2D through an im2col of a few pixels
 * (hil_k_conv_im2col; its plan and layout, shared with the MVE kernels:
 * hil_kernels_pack.c), which feeds the same GEMM.
 * Built only with -DHIL_USE_DSP (on the host: on the C emulations of the instructions)
 * and without -DHIL_USE_MVE; otherwise this file is empty. Shared inner loops:
 * hil_kernels_dsp.h; API: hil_kernels.h; README.md, "Optimised kernels".
 */
#include "hil_kernels_dsp.h"

#if HIL_KERNELS_OPT && !HIL_KERNELS_MVE /* HIL_USE_MVE: hil_kernels_mve.c instead */

typedef int hil_kernels_dsp_gemm_nonempty_t; /* ISO C: no empty translation unit */

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
            "beq    2f\n\t" MAC_2X2_FOLD_STEP "2:\n\t"
            "cmp    %[x], %[end]\n\t"
            "beq    3f\n\t"
            "1:\n\t" MAC_2X2_FOLD_STEP MAC_2X2_FOLD_STEP "cmp    %[x], %[end]\n\t"
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
                               const hil_k_out_t *o, int8_t *out, uint32_t out_c,
                               int fast_ok, int full)
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
            gemm_pair(cols, n, kp, w0, ic->fb[oc], ic->fb[oc1], &q0, &q1, o, out + oc,
                      out_c, 1, 1, 1);
        else
            gemm_pair(cols, n, kp, w0, ic->fb[oc], ic->fb[oc1], &q0, &q1, o, out + oc,
                      out_c, 1, 0, 0);
    }
}

void hil_k_conv_im2col(const hil_window_t *wp, const int8_t *input,
                       const hil_k_im2col_t *icp, const hil_k_conv_params_t *p,
                       int8_t *output)
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

#endif /* HIL_KERNELS_OPT */
