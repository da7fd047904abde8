/*
 * DEPTHWISE_CONV_2D, int8 x int8 (+ int32 bias) -> int8, NHWC, filter [1, f_h, f_w, out_c]
 * with out_c = in_c * depth_multiplier.
 *
 * Bit-exact with TFLM's reference kernel (micro/kernels/depthwise_conv.cc,
 * depthwise_conv_common.cc; reference_integer_ops::DepthwiseConvPerChannel):
 * output channel oc = ic * depth_multiplier + m reads input channel ic; requantization
 * per channel as CONV_2D (PopulateConvolutionQuantizationParams along dimension 3, a single
 * filter scale broadcast, all in double); padding as ComputePaddingHeightWidth.
 * Refused where TFLM ignores or would write out of bounds: out_c != in_c * multiplier,
 * filter dimension 0 != 1, a filter zero point other than 0, TANH / SIGN_BIT activations.
 */
#include "../hil_conv_util.h"
#include "../hil_kernels.h"
#include "../hil_quant.h"

typedef struct {
    hil_window_t w;
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    int32_t act_min, act_max;
    int32_t depth_multiplier;
#if HIL_KERNELS_OPT
    uint32_t *ring; /* the 3x3 row ring of hil_k_dwconv, NULL if unused */
#endif
    int32_t channel[]; /* multiplier[out_c], then int8 shift[out_c] */
} dw_state_t;

static int dw_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs < 2 || op->ninputs > 3 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 2-3 inputs, 1 output");
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    const hil_tensor_t *filter = hil_op_input(rt, op, 1);
    const hil_tensor_t *bias = hil_op_input(rt, op, 2);
    const hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (input == NULL || filter == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input or filter missing");
    if (input->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (filter->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[1]);
    if (bias && bias->type != HIL_TYPE_INT32)
        return hil_err_type(rt, err, oi, op, op->inputs[2]);
    if (output->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);

    hil_window_opts_t o;
    int st = hil_window_options(rt, oi, op, HIL_WOPT_DEPTHWISE, &o, err);
    if (st)
        return st;
    if (filter->ndims != 4 || filter->dims[0] != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "filter must be [1, h, w, c]");
    hil_window_t w;
    st = hil_window_geometry(oi, op, input, output, filter->dims[1], filter->dims[2], &o,
                             &w, err);
    if (st)
        return st;
    const int32_t out_c = w.out_c;
    if (filter->dims[3] != out_c)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "filter / output channels differ");
    if (o.depth_multiplier < 1 || (int64_t)w.in_c * o.depth_multiplier != out_c)
        return hil_errf(err, HIL_ERR_MODEL_INVALID, oi, op->code, oi,
                        "op %u: DEPTHWISE_CONV_2D: %d channels != %d x multiplier %d",
                        (unsigned)oi, (int)out_c, (int)w.in_c, (int)o.depth_multiplier);
    if (bias && hil_tensor_elems(bias) != (uint32_t)out_c)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bias length != channels");

    if ((st = hil_check_quant(rt, oi, op, op->inputs[0], 0, err)) ||
        (st = hil_check_quant(rt, oi, op, op->inputs[1], 0, err)) ||
        (st = hil_check_quant(rt, oi, op, op->outputs[0], 1, err)))
        return st;
    if (filter->nscales > 1 &&
        (filter->nscales != (uint32_t)out_c || filter->dims[filter->qdim] != out_c))
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->inputs[1], "tensor %d: scales do not match channels",
                        (int)op->inputs[1]);
    if (filter->zero_point != 0)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->inputs[1], "tensor %d: filter zero point must be 0",
                        (int)op->inputs[1]);
    int32_t act_min, act_max;
    if ((st = hil_window_activation(oi, op, output, o.activation, &act_min, &act_max, err)))
        return st;
    if ((st = hil_conv_multipliers(rt, oi, op, input, filter, output, (uint32_t)out_c, NULL,
                                   NULL, err)))
        return st;

    const uint64_t table = hil_k_channel_bytes((uint64_t)out_c);
    uint32_t ring_bytes = 0;
#if HIL_KERNELS_OPT
    ring_bytes = hil_k_dw_ring_bytes(&w, o.depth_multiplier);
#endif
    dw_state_t *ds =
        hil_rt_persist(rt, (uint32_t)(sizeof(dw_state_t) + table + ring_bytes));
    if (ds == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    ds->w = w;
    ds->input_offset = hil_wsub(0, input->zero_point);
    ds->output_offset = output->zero_point;
    ds->act_min = act_min;
    ds->act_max = act_max;
    ds->depth_multiplier = o.depth_multiplier;
#if HIL_KERNELS_OPT
    ds->ring = ring_bytes ? (uint32_t *)(void *)((uint8_t *)ds->channel + table) : NULL;
#endif
    hil_k_channel_multipliers(rt, input, filter, output, (uint32_t)out_c, ds->channel,
                              (int8_t *)(ds->channel + out_c));
    op->state = ds;
    return HIL_OK;
}

static int dw_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const dw_state_t *ds = (const dw_state_t *)op->state;
    const hil_window_t *w = &ds->w;
    const hil_tensor_t *bias_t = hil_op_input(rt, op, 2);
    const int8_t *input = (const int8_t *)hil_op_input(rt, op, 0)->data;
    const int8_t *filter = (const int8_t *)hil_op_input(rt, op, 1)->data;
    const uint8_t *bias = bias_t ? bias_t->data : NULL; /* may be unaligned: byte loads */
    int8_t *output = (int8_t *)hil_op_output(rt, op, 0)->data;
#if HIL_KERNELS_OPT
    if (hil_k_dwconv_supported(w, ds->depth_multiplier)) {
        const hil_k_conv_params_t kp = {ds->channel,
                                        (const int8_t *)(ds->channel + w->out_c),
                                        bias,
                                        ds->input_offset,
                                        {ds->output_offset, ds->act_min, ds->act_max}};
        hil_k_dwconv(w, input, filter, &kp, ds->ring, output);
        return HIL_OK;
    }
#endif
    const int32_t in_c = w->in_c, out_c = w->out_c, dm = ds->depth_multiplier;
    const int32_t *mult = ds->channel;
    const int8_t *shift = (const int8_t *)(ds->channel + out_c);
    const uint32_t uoff = (uint32_t)ds->input_offset;
    const size_t in_row = (size_t)w->in_w * (size_t)in_c;
    const size_t f_row = (size_t)w->f_w * (size_t)out_c;

    for (int32_t b = 0; b < w->batches; b++) {
        const int8_t *in_b = input + (size_t)b * (size_t)w->in_h * in_row;
        for (int32_t oy = 0; oy < w->out_h; oy++) {
            const int32_t iy0 = oy * w->stride_h - w->pad_h;
            const size_t out_row =
                ((size_t)b * (size_t)w->out_h + (size_t)oy) * (size_t)w->out_w;
            int32_t fy0, fy1;
            hil_window_taps(iy0, w->dil_h, w->f_h, w->in_h, &fy0, &fy1);
            for (int32_t ox = 0; ox < w->out_w; ox++) {
                const int32_t ix0 = ox * w->stride_w - w->pad_w;
                int32_t fx0, fx1;
                hil_window_taps(ix0, w->dil_w, w->f_w, w->in_w, &fx0, &fx1);
                int8_t *out = output + (out_row + (size_t)ox) * (size_t)out_c;
                for (int32_t ic = 0; ic < in_c; ic++) {
                    for (int32_t m = 0; m < dm; m++) {
                        const int32_t oc = ic * dm + m;
                        uint32_t acc = 0; /* int32 accumulation with defined wrap-around */
                        for (int32_t fy = fy0; fy < fy1; fy++) {
                            const int8_t *in_y =
                                in_b + (size_t)(iy0 + w->dil_h * fy) * in_row + (size_t)ic;
                            const int8_t *f_y = filter + (size_t)fy * f_row + (size_t)oc;
                            for (int32_t fx = fx0; fx < fx1; fx++) {
                                const int32_t x =
                                    in_y[(size_t)(ix0 + w->dil_w * fx) * (size_t)in_c];
                                const int32_t f = f_y[(size_t)fx * (size_t)out_c];
                                acc += (uint32_t)f * ((uint32_t)x + uoff);
                            }
                        }
                        if (bias)
                            acc += hil_ld_u32(bias + 4u * (uint32_t)oc);
                        int32_t v = hil_mbqm((int32_t)acc, mult[oc], shift[oc]);
                        v = hil_wadd(v, ds->output_offset);
                        if (v < ds->act_min)
                            v = ds->act_min;
                        if (v > ds->act_max)
                            v = ds->act_max;
                        out[oc] = (int8_t)v;
                    }
                }
            }
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_depthwise_conv_2d = {4, "DEPTHWISE_CONV_2D", dw_prepare, dw_eval};
