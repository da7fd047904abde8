/*
 * AVERAGE_POOL_2D, int8 -> int8, NHWC.
 *
 * Bit-exact with TFLM (micro/kernels/pooling.cc, pooling_common.cc;
 * reference_integer_ops::AveragePool): the window is clipped to the input (padded taps are
 * not counted), the sum of the raw int8 values is rounded to the nearest integer, half
 * away from zero, with C's truncating division:
 *     acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count
 * then clamped to the activation range. Input and output must share scale (within 1e-6,
 * in double) and zero point, as TFLM checks; padding as ComputePaddingHeightWidth.
 * The geometry checks of hil_pool_prepare guarantee count >= 1 (TFLM fails the invoke
 * when a window is empty).
 */
#include "../hil_conv_util.h"
#include "../hil_quant.h"

static int avgpool_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    const hil_pool_state_t *ps = (const hil_pool_state_t *)op->state;
    const hil_window_t *w = &ps->w;
    const int8_t *input = (const int8_t *)hil_op_input(rt, op, 0)->data;
    int8_t *output = (int8_t *)hil_op_output(rt, op, 0)->data;
    const int32_t depth = w->in_c;
    const size_t in_row = (size_t)w->in_w * (size_t)depth;

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
                const int32_t count = (fy1 - fy0) * (fx1 - fx0);
                if (count <= 0) /* not reachable after prepare; TFLM fails here */
                    return hil_err_op(err, HIL_ERR_INVOKE_FAILED, oi, op, "empty window");
                int8_t *out = output + (out_row + (size_t)ox) * (size_t)depth;
                const int8_t *in_w0 = in_b + (size_t)(iy0 + fy0) * in_row +
                                      (size_t)(ix0 + fx0) * (size_t)depth;
                for (int32_t c = 0; c < depth; c++) {
                    uint32_t sum = 0; /* int32 with defined wrap-around */
                    const int8_t *in_y = in_w0 + (size_t)c;
                    for (int32_t fy = fy0; fy < fy1; fy++, in_y += in_row) {
                        const int8_t *ip = in_y;
                        for (int32_t fx = fx0; fx < fx1; fx++, ip += depth)
                            sum += (uint32_t)(int32_t)*ip;
                    }
                    int32_t acc = (int32_t)sum;
                    acc = acc > 0 ? hil_wadd(acc, count / 2) / count
                                  : hil_wsub(acc, count / 2) / count;
                    if (acc < ps->act_min)
                        acc = ps->act_min;
                    if (acc > ps->act_max)
                        acc = ps->act_max;
                    out[c] = (int8_t)acc;
                }
            }
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_average_pool_2d = {1, "AVERAGE_POOL_2D", hil_pool_prepare,
                                             avgpool_eval};
