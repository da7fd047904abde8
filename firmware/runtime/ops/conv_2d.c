/*
 * CONV_2D, int8 x int8 (+ int32 bias) -> int8, NHWC, filter [out_c, f_h, f_w, in_c/groups].
 *
 * Bit-exact with TFLM's reference kernel (micro/kernels/conv.cc, conv_common.cc;
 * reference_integer_ops::ConvPerChannel):
 *  - requantization is always per channel: PopulateConvolutionQuantizationParams
 *    broadcasts a single filter scale, and every channel's multiplier is
 *    (double)input_scale * (double)filter_scale / (double)output_scale, all in double
 *    (unlike FULLY_CONNECTED's per-tensor path, no float product); no bias-scale check;
 *  - padding, output size: ComputePaddingHeightWidth (hil_conv_util.c); the model's output
 *    H and W must be the computed ones (TFLM trusts the model);
 *  - grouped convolution as TFLM: groups = in_c / filter_in_c, output channel oc reads
 *    input channels [g * filter_in_c, (g + 1) * filter_in_c) with g = oc / (out_c / groups);
 *  - int32 accumulation, wrapping as TFLM's does in practice; taps outside the input are
 *    skipped (zero padding in real terms).
 * Refused where TFLM ignores or crashes: a filter zero point other than 0 (TFLM ignores
 * it), TANH / SIGN_BIT activations (ignored by TFLM), shapes that do not match.
 */
#include "../hil_conv_util.h"
#include "../hil_kernels.h"
#include "../hil_quant.h"

typedef struct {
    hil_window_t w;
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    int32_t act_min, act_max;
    int32_t filter_c; /* filter input depth */
    int32_t groups;
#if HIL_KERNELS_OPT
    hil_k_im2col_t im2col; /* the im2col path (in_c % 4 != 0), kp = 0 if unused */
    uint32_t *pw_scratch;  /* the pointwise path's int16 columns, NULL if unused */
#endif
    int32_t channel[]; /* multiplier[out_c], then int8 shift[out_c] */
} conv_state_t;

#if HIL_KERNELS_OPT
static int cs_groups_ok(int32_t in_c, int32_t filter_c)
{
    return in_c == filter_c; /* groups == 1 */
}

/* 1x1, stride 1 (then the padding is 0): the input is a [pixels][in_c] matrix */
static int conv_pointwise(const hil_window_t *w)
{
    return (w->in_c & 3) == 0 && w->f_h == 1 && w->f_w == 1 && w->stride_h == 1 &&
           w->stride_w == 1;
}
#endif

static int conv_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
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
    int st = hil_window_options(rt, oi, op, HIL_WOPT_CONV, &o, err);
    if (st)
        return st;
    if (filter->ndims != 4)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "filter must be 4-D");
    hil_window_t w;
    st = hil_window_geometry(oi, op, input, output, filter->dims[1], filter->dims[2], &o,
                             &w, err);
    if (st)
        return st;
    const int32_t out_c = w.out_c, filter_c = filter->dims[3];
    if (filter->dims[0] != out_c)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "filter / output channels differ");
    if (filter_c < 1 || w.in_c % filter_c != 0 || w.in_c / filter_c < 1 ||
        out_c % (w.in_c / filter_c) != 0)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "filter / input depths differ");
    if (bias && hil_tensor_elems(bias) != (uint32_t)out_c)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bias length != channels");

    /* quantization */
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

    uint32_t extra = 0;
#if HIL_KERNELS_OPT
    /* im2col path: folded biases, weights with rows padded to a multiple of 4 and a
     * column scratch, in the arena (the constant filter and bias are read here) */
    hil_k_im2col_t ic = {0};
    if (cs_groups_ok(w.in_c, filter_c) && (w.in_c & 3) != 0 &&
        (filter->flags & HIL_TF_CONST) && (bias == NULL || (bias->flags & HIL_TF_CONST)))
        extra = hil_k_im2col_plan(&w, &ic);
    /* pointwise: two pixels widened to int16 */
    else if (cs_groups_ok(w.in_c, filter_c) && conv_pointwise(&w))
        extra = hil_k_pointwise_scratch_bytes((uint32_t)w.in_c);
#endif
    const uint64_t table = hil_k_channel_bytes((uint64_t)out_c);
    conv_state_t *cs =
        hil_rt_persist(rt, (uint32_t)(sizeof(conv_state_t) + table + (uint64_t)extra));
    if (cs == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    cs->w = w;
    cs->input_offset = hil_wsub(0, input->zero_point);
    cs->output_offset = output->zero_point;
    cs->act_min = act_min;
    cs->act_max = act_max;
    cs->filter_c = filter_c;
    cs->groups = w.in_c / filter_c;
    hil_k_channel_multipliers(rt, input, filter, output, (uint32_t)out_c, cs->channel,
                              (int8_t *)(cs->channel + out_c));
#if HIL_KERNELS_OPT
    if (extra && ic.kp)
        hil_k_im2col_init(&ic, (uint8_t *)cs->channel + table, filter->data,
                          bias ? bias->data : NULL, cs->input_offset);
    cs->im2col = ic;
    cs->pw_scratch =
        extra && !ic.kp ? (uint32_t *)(void *)((uint8_t *)cs->channel + table) : NULL;
#endif
    op->state = cs;
    return HIL_OK;
}

static int conv_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const conv_state_t *cs = (const conv_state_t *)op->state;
    const hil_window_t *w = &cs->w;
    const hil_tensor_t *bias_t = hil_op_input(rt, op, 2);
    const int8_t *input = (const int8_t *)hil_op_input(rt, op, 0)->data;
    const int8_t *filter = (const int8_t *)hil_op_input(rt, op, 1)->data;
    const uint8_t *bias = bias_t ? bias_t->data : NULL; /* may be unaligned: byte loads */
    int8_t *output = (int8_t *)hil_op_output(rt, op, 0)->data;
#if HIL_KERNELS_OPT
    if (cs->groups == 1 && conv_pointwise(w)) {
        const hil_k_conv_params_t kp = {cs->channel,
                                        (const int8_t *)(cs->channel + w->out_c),
                                        bias,
                                        cs->input_offset,
                                        {cs->output_offset, cs->act_min, cs->act_max}};
        const uint32_t n = (uint32_t)w->batches * (uint32_t)w->out_h * (uint32_t)w->out_w;
        if (cs->pw_scratch)
            hil_k_pointwise(input, n, (uint32_t)w->in_c, filter, (uint32_t)w->out_c, &kp,
                            cs->pw_scratch, output);
        else
            hil_k_gemm(input, n, (uint32_t)w->in_c, filter, (uint32_t)w->out_c, &kp, output,
                       (uint32_t)w->out_c);
        return HIL_OK;
    }
    if (cs->im2col.kp) {
        const hil_k_conv_params_t kp = {cs->channel,
                                        (const int8_t *)(cs->channel + w->out_c),
                                        bias,
                                        cs->input_offset,
                                        {cs->output_offset, cs->act_min, cs->act_max}};
        hil_k_conv_im2col(w, input, &cs->im2col, &kp, output);
        return HIL_OK;
    }
    if (cs->groups == 1 && (w->in_c & 3) == 0) {
        const hil_k_conv_params_t kp = {cs->channel,
                                        (const int8_t *)(cs->channel + w->out_c),
                                        bias,
                                        cs->input_offset,
                                        {cs->output_offset, cs->act_min, cs->act_max}};
        hil_k_conv_direct(w, input, filter, &kp, output);
        return HIL_OK;
    }
#endif
    const int32_t out_c = w->out_c, fc = cs->filter_c;
    const int32_t per_group = out_c / cs->groups;
    const int32_t *mult = cs->channel;
    const int8_t *shift = (const int8_t *)(cs->channel + out_c);
    const uint32_t uoff = (uint32_t)cs->input_offset;
    const size_t in_row = (size_t)w->in_w * (size_t)w->in_c;
    const size_t f_row = (size_t)w->f_w * (size_t)fc;
    const size_t f_size = (size_t)w->f_h * f_row;

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
                for (int32_t oc = 0; oc < out_c; oc++) {
                    const int8_t *in_g = in_b + (size_t)(oc / per_group) * (size_t)fc;
                    const int8_t *f_oc = filter + (size_t)oc * f_size;
                    uint32_t acc = 0; /* int32 accumulation with defined wrap-around */
                    for (int32_t fy = fy0; fy < fy1; fy++) {
                        const int8_t *in_y = in_g + (size_t)(iy0 + w->dil_h * fy) * in_row;
                        const int8_t *f_y = f_oc + (size_t)fy * f_row;
                        for (int32_t fx = fx0; fx < fx1; fx++) {
                            const int8_t *ip =
                                in_y + (size_t)(ix0 + w->dil_w * fx) * (size_t)w->in_c;
                            const int8_t *fp = f_y + (size_t)fx * (size_t)fc;
                            for (int32_t ic = 0; ic < fc; ic++)
                                acc += (uint32_t)(int32_t)fp[ic] *
                                       ((uint32_t)(int32_t)ip[ic] + uoff);
                        }
                    }
                    if (bias)
                        acc += hil_ld_u32(bias + 4u * (uint32_t)oc);
                    int32_t v = hil_mbqm((int32_t)acc, mult[oc], shift[oc]);
                    v = hil_wadd(v, cs->output_offset);
                    if (v < cs->act_min)
                        v = cs->act_min;
                    if (v > cs->act_max)
                        v = cs->act_max;
                    out[oc] = (int8_t)v;
                }
            }
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_conv_2d = {3, "CONV_2D", conv_prepare, conv_eval};
