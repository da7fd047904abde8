/*
 * MAX_POOL_2D, int8 -> int8, NHWC.
 *
 * Bit-exact with TFLM (micro/kernels/pooling.cc, pooling_common.cc;
 * reference_integer_ops::MaxPool): the maximum over the window clipped to the input
 * (starting from -128), then std::max<int8_t> / std::min<int8_t> with the activation
 * bounds -- i.e. the bounds converted to int8 first. Input and output must share scale
 * (within 1e-6, in double) and zero point; padding as ComputePaddingHeightWidth.
 */
#include "../hil_conv_util.h"

static int maxpool_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const hil_pool_state_t *ps = (const hil_pool_state_t *)op->state;
    const hil_window_t *w = &ps->w;
    const int8_t *input = (const int8_t *)hil_op_input(rt, op, 0)->data;
    int8_t *output = (int8_t *)hil_op_output(rt, op, 0)->data;
    const int32_t depth = w->in_c;
    const size_t in_row = (size_t)w->in_w * (size_t)depth;
    const int8_t lo = (int8_t)ps->act_min, hi = (int8_t)ps->act_max;

    for (int32_t b = 0; b < w->batches; b++) {
        const int8_t *in_b = input + (size_t)b * (size_t)w->in_h * in_row;
        for (int32_t oy = 0; oy < w->out_h; oy++) {
            const int32_t iy0 = oy * w->stride_h - w->pad_h;
            const size_t out_row =
                ((size_t)b * (size_t)w->out_h + (size_t)oy) * (size_t)w->out_w;
            int32_t fy0, fy1;
            hil_window_taps(iy0, 1, w->f_h, w->in_h, &fy0, &fy1);
            for (int32_t ox = 0; ox < w->out_w; ox++) {
                const int32_t ix0 = ox * w->stride_w - w->pad_w;
                int32_t fx0, fx1;
                hil_window_taps(ix0, 1, w->f_w, w->in_w, &fx0, &fx1);
                int8_t *out = output + (out_row + (size_t)ox) * (size_t)depth;
                for (int32_t c = 0; c < depth; c++) {
                    int8_t m = -128;
                    for (int32_t fy = fy0; fy < fy1; fy++) {
                        const int8_t *ip = in_b + (size_t)(iy0 + fy) * in_row +
                                           (size_t)(ix0 + fx0) * (size_t)depth + (size_t)c;
                        for (int32_t fx = fx0; fx < fx1; fx++, ip += depth)
                            if (*ip > m)
                                m = *ip;
                    }
                    if (m < lo)
                        m = lo;
                    if (m > hi)
                        m = hi;
                    out[c] = m;
                }
            }
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_max_pool_2d = {17, "MAX_POOL_2D", hil_pool_prepare, maxpool_eval};
