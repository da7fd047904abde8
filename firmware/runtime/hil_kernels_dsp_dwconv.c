/*
 * hil_kernels_dsp_dwconv.c - the DSP-extension DEPTHWISE_CONV_2D (depth multiplier 1,
 * channels % 4 == 0): four channels at a time, 3x3 interiors unrolled, with an optional
 * ring of input rows (hil_k_dwconv, hil_k_dwconv_supported, hil_k_dw_ring_bytes).
 * Built only with -DHIL_USE_DSP (on the host: on the C emulations of the instructions)
 * and without -DHIL_USE_MVE; otherwise this file is empty. Shared inner loops:
 * hil_kernels_dsp.h; API: hil_kernels.h; README.md, "Optimised kernels".
 */
#include "hil_kernels_dsp.h"

#if HIL_KERNELS_OPT && !HIL_KERNELS_MVE /* HIL_USE_MVE: hil_kernels_mve.c instead */

typedef int hil_kernels_dsp_dwconv_nonempty_t; /* ISO C: no empty translation unit */

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
    __asm__(DW3_ROW("0", "8", "16") "add     %[pp], %[pp], %[R]\n\t" DW3_ROW(
                "24", "32", "40") "add     %[pp], %[pp], %[R]\n\t" DW3_ROW("48", "56", "64")
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
            int8_t *out =
                output + ((size_t)b * (size_t)w->out_h + (size_t)oy) * (size_t)w->out_w * C;
            const int inner_y = oy >= ylo && oy < yhi;
            for (int32_t ox = 0; ox < w->out_w; ox++, out += C) {
                const int32_t ix0 = ox * w->stride_w - w->pad_w;
                int32_t acc[4] = {bias4[0], bias4[1], bias4[2], bias4[3]};
                if (k3 && inner_y && ox >= xlo && ox < xhi) {
                    dw3x3(in_b + (size_t)iy0 * in_row + (size_t)ix0 * C, C, in_row, wc,
                          off2, acc);
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
                                    ? hil_k_ld32(in_b + (size_t)iy * in_row +
                                                 (size_t)ix * C)
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
                                const uint32_t *wc, const int32_t *bias4,
                                const hil_k_rq_t *q, const hil_k_out_t *o, uint32_t off2,
                                uint32_t zp4, uint32_t *ring_mem, int fast, int full)
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
            int8_t *out =
                output + ((size_t)b * (size_t)w->out_h + (size_t)oy) * (size_t)w->out_w * C;
            uint32_t col = (uint32_t)(1 - w->pad_w);
            for (int32_t ox = 0; ox < w->out_w;
                 ox++, out += C, col += (uint32_t)w->stride_w) {
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
            dw_group_ring(w, input + g, output + g, wc, bias4, q, &o, off2, zp4, ring, 1,
                          1);
        else if (ring)
            dw_group_ring(w, input + g, output + g, wc, bias4, q, &o, off2, zp4, ring, 0,
                          0);
        else if (fast && full)
            dw_group(w, input + g, output + g, wc, bias4, q, &o, off2, zp4, ylo, yhi, xlo,
                     xhi, 1, 1);
        else
            dw_group(w, input + g, output + g, wc, bias4, q, &o, off2, zp4, ylo, yhi, xlo,
                     xhi, 0, 0);
    }
}

#endif /* HIL_KERNELS_OPT */
