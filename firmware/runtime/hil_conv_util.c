/*
 * hil_conv_util.c - see hil_conv_util.h.
 *
 * TFLM sources mirrored: kernels/padding.h (ComputeOutSize, ComputePaddingWithOffset,
 * ComputePaddingHeightWidth), kernels/kernel_util.cc (PopulateConvolutionQuantizationParams,
 * CalculateActivationRangeQuantized), micro/kernels/pooling_common.cc (PoolingPrepare).
 */
#include "hil_conv_util.h"

#include "hil_quant.h"

#define CONV2D_OPTIONS_TYPE 1    /* BuiltinOptions_Conv2DOptions */
#define DEPTHWISE_OPTIONS_TYPE 2 /* BuiltinOptions_DepthwiseConv2DOptions */
#define POOL2D_OPTIONS_TYPE 5    /* BuiltinOptions_Pool2DOptions */

int hil_window_options(const hil_rt_t *rt, uint16_t oi, const hil_op_t *op, int kind,
                       hil_window_opts_t *o, hil_rt_error_t *err)
{
    static const uint8_t types[3] = {CONV2D_OPTIONS_TYPE, DEPTHWISE_OPTIONS_TYPE,
                                     POOL2D_OPTIONS_TYPE};
    const hil_fb_t *fb = &rt->fb;
    hil_fb_table_t t;
    hil_memset(o, 0, sizeof(*o));
    int r = hil_op_options(rt, op, types[kind], &t);
    if (r < 0)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad options");
    if (r == 0)
        return HIL_OK; /* TFLM leaves its parameters zero-initialised */
    int bad = hil_fb_u8(fb, &t, 0, 0, &o->padding) ||
              hil_fb_i32(fb, &t, 1, 0, &o->stride_w) ||
              hil_fb_i32(fb, &t, 2, 0, &o->stride_h);
    switch (kind) {
    case HIL_WOPT_CONV: /* padding, stride_w, stride_h, act, dil_w, dil_h, bias type */
        bad = bad || hil_fb_u8(fb, &t, 3, 0, &o->activation) ||
              hil_fb_i32(fb, &t, 4, 1, &o->dil_w) || hil_fb_i32(fb, &t, 5, 1, &o->dil_h);
        break;
    case HIL_WOPT_DEPTHWISE: /* padding, stride_w, stride_h, multiplier, act, dil_w, dil_h */
        bad = bad || hil_fb_i32(fb, &t, 3, 0, &o->depth_multiplier) ||
              hil_fb_u8(fb, &t, 4, 0, &o->activation) ||
              hil_fb_i32(fb, &t, 5, 1, &o->dil_w) || hil_fb_i32(fb, &t, 6, 1, &o->dil_h);
        break;
    default: /* padding, stride_w, stride_h, filter_width, filter_height, act */
        bad = bad || hil_fb_i32(fb, &t, 3, 0, &o->filter_w) ||
              hil_fb_i32(fb, &t, 4, 0, &o->filter_h) ||
              hil_fb_u8(fb, &t, 5, 0, &o->activation);
        o->dil_w = o->dil_h = 1;
        break;
    }
    if (bad)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad options");
    return HIL_OK;
}

/* One spatial dimension: ComputeOutSize and ComputePaddingWithOffset in int64 (TFLM's
 * int arithmetic gives the same values wherever it does not overflow; the caller refuses
 * the rest through the extent check). */
static void window_dim(int padding, int64_t in, int64_t filter, int64_t stride, int64_t dil,
                       int64_t *out, int64_t *pad, int64_t *extent)
{
    const int64_t eff = (filter - 1) * dil + 1;
    const int64_t o = padding == HIL_PADDING_SAME ? (in + stride - 1) / stride
                                                  : (in + stride - eff) / stride;
    int64_t total = (o - 1) * stride + eff - in;
    if (total < 0)
        total = 0;
    *out = o;
    *pad = total / 2;
    /* every value the kernels form from this dimension is below this */
    *extent = (o > 0 ? o : 1) * stride + eff + in + *pad + 2 * dil;
}

int hil_window_geometry(uint16_t oi, const hil_op_t *op, const hil_tensor_t *input,
                        const hil_tensor_t *output, int32_t f_h, int32_t f_w,
                        const hil_window_opts_t *o, hil_window_t *w, hil_rt_error_t *err)
{
    if (input->ndims != 4 || output->ndims != 4)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "input and output must be 4-D");
    if (o->padding != HIL_PADDING_SAME && o->padding != HIL_PADDING_VALID)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_OP, oi, op->code, o->padding,
                        "op %u: %s: unknown padding %u", (unsigned)oi, op->reg->name,
                        (unsigned)o->padding);
    if (o->stride_h < 1 || o->stride_w < 1 || o->dil_h < 1 || o->dil_w < 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "stride/dilation must be >= 1");
    if (f_h < 1 || f_w < 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "empty filter window");
    if (input->dims[0] != output->dims[0])
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "batches differ");
    int64_t oh, ow, ph, pw, eh, ew;
    window_dim(o->padding, input->dims[1], f_h, o->stride_h, o->dil_h, &oh, &ph, &eh);
    window_dim(o->padding, input->dims[2], f_w, o->stride_w, o->dil_w, &ow, &pw, &ew);
    if (eh > 0x7FFFFFFF || ew > 0x7FFFFFFF)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "window arithmetic overflows");
    if (oh != output->dims[1] || ow != output->dims[2])
        return hil_errf(err, HIL_ERR_MODEL_INVALID, oi, op->code, oi,
                        "op %u: %s: output %dx%d, padding gives %dx%d", (unsigned)oi,
                        op->reg->name, (int)output->dims[1], (int)output->dims[2], (int)oh,
                        (int)ow);
    w->batches = input->dims[0];
    w->in_h = input->dims[1];
    w->in_w = input->dims[2];
    w->in_c = input->dims[3];
    w->out_h = (int32_t)oh;
    w->out_w = (int32_t)ow;
    w->out_c = output->dims[3];
    w->f_h = f_h;
    w->f_w = f_w;
    w->stride_h = o->stride_h;
    w->stride_w = o->stride_w;
    w->dil_h = o->dil_h;
    w->dil_w = o->dil_w;
    w->pad_h = (int32_t)ph;
    w->pad_w = (int32_t)pw;
    return HIL_OK;
}

int hil_check_quant(const hil_rt_t *rt, uint16_t oi, const hil_op_t *op, int tensor,
                    int need_positive, hil_rt_error_t *err)
{
    const hil_tensor_t *t = &rt->tensors[tensor];
    if (t->nscales == 0)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)tensor,
                        "tensor %d: not quantized (%s)", tensor, op->reg->name);
    for (uint32_t c = 0; c < t->nscales; c++) {
        const float s = hil_tensor_scale(rt, t, c);
        if (!hil_isfinite_f(s) || !(s >= 0.0f) || (need_positive && c == 0 && !(s > 0.0f)))
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)tensor,
                            "tensor %d: bad scale", tensor);
    }
    return HIL_OK;
}

int hil_window_activation(uint16_t oi, const hil_op_t *op, const hil_tensor_t *output,
                          uint8_t act, int32_t *act_min, int32_t *act_max,
                          hil_rt_error_t *err)
{
    int r = hil_activation_range(act, output->scale, output->zero_point, -128, 127, act_min,
                                 act_max);
    if (r == -2)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_OP, oi, op->code, act,
                        "op %u: %s activation %s unsupported", (unsigned)oi, op->reg->name,
                        act == HIL_ACT_TANH       ? "TANH"
                        : act == HIL_ACT_SIGN_BIT ? "SIGN_BIT"
                                                  : "(unknown)");
    if (r)
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op, "bad output quantization");
    return HIL_OK;
}

int hil_conv_multipliers(const hil_rt_t *rt, uint16_t oi, const hil_op_t *op,
                         const hil_tensor_t *input, const hil_tensor_t *filter,
                         const hil_tensor_t *output, uint32_t channels, int32_t *mult,
                         int32_t *shift, hil_rt_error_t *err)
{
    const int per_channel = filter->nscales > 1;
    const double input_scale = (double)input->scale;
    const double output_scale = (double)output->scale;
    for (uint32_t c = 0; c < channels; c++) {
        const double filter_scale =
            (double)hil_tensor_scale(rt, filter, per_channel ? c : 0);
        const double effective = input_scale * filter_scale / output_scale;
        int32_t m = 0;
        int s = 0;
        if (effective < 1073741824.0) /* 2^30; also false for inf */
            hil_quantize_multiplier(effective, &m, &s);
        if (!(effective < 1073741824.0) || s > 30)
            return hil_errf(
                err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)op->outputs[0],
                "op %u: %s: requantization scale too large", (unsigned)oi, op->reg->name);
        if (mult) {
            mult[c] = m;
            shift[c] = s;
        }
    }
    return HIL_OK;
}

int hil_pool_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs != 1 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 1 input, 1 output");
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    const hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (input == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input missing");
    if (input->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (output->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);

    hil_window_opts_t o;
    int st = hil_window_options(rt, oi, op, HIL_WOPT_POOL, &o, err);
    if (st)
        return st;
    hil_window_t w;
    st = hil_window_geometry(oi, op, input, output, o.filter_h, o.filter_w, &o, &w, err);
    if (st)
        return st;
    if (input->dims[3] != output->dims[3])
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "depths differ");

    /* PoolingPrepare: same quantization in and out (TFLM's check, in double) */
    double diff = (double)input->scale - (double)output->scale;
    if (diff < 0)
        diff = -diff;
    if (!(diff <= 1.0e-6) || input->zero_point != output->zero_point)
        return hil_errf(
            err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)op->outputs[0],
            "op %u: %s: input and output quantization differ", (unsigned)oi, op->reg->name);
    int32_t act_min, act_max;
    st = hil_window_activation(oi, op, output, o.activation, &act_min, &act_max, err);
    if (st)
        return st;

    hil_pool_state_t *ps = hil_rt_persist(rt, sizeof(hil_pool_state_t));
    if (ps == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    ps->w = w;
    ps->act_min = act_min;
    ps->act_max = act_max;
    op->state = ps;
    return HIL_OK;
}
